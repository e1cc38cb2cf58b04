//! The retry delay schedule: exponential, capped, with jitter.
//!
//! Retry `n` (0-based) waits `min(cap, base · factorⁿ)` scaled by a
//! random factor in `[½, 1)` ("equal jitter"): clients that failed
//! together spread out, yet none retries sooner than half the schedule.
//! The random number is an argument, so the schedule is exact in tests.

use std::time::Duration;

/// The longest any retry waits.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay before the first retry, before jitter.
    pub base: Duration,
    /// How much each retry multiplies the delay by.
    pub factor: f64,
    /// The delay no retry exceeds; never above [`MAX_DELAY`].
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(300),
            factor: 2.0,
            cap: MAX_DELAY,
        }
    }
}

impl Backoff {
    /// A schedule starting at `base`, doubling, capped at 30 s.
    pub fn exponential(base: Duration) -> Self {
        Self {
            base,
            ..Self::default()
        }
    }

    /// The effective cap: the configured one, never above [`MAX_DELAY`].
    pub fn cap(&self) -> Duration {
        self.cap.min(MAX_DELAY)
    }

    /// The delay before retry `retry` (0 for the first), before jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let cap = self.cap().as_secs_f64();
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let raw = self.base.as_secs_f64() * self.factor.max(1.0).powi(exponent);
        // `raw` may be infinite; `min` brings it back before converting.
        Duration::from_secs_f64(if raw.is_finite() { raw.min(cap) } else { cap })
    }

    /// The delay before retry `retry`, for `random` drawn uniformly from
    /// `[0, 1)`: within `[ceiling / 2, ceiling]`.
    pub fn delay(&self, retry: u32, random: f64) -> Duration {
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(0.5 + 0.5 * random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_jitter_bounds() {
        let b = Backoff::exponential(Duration::from_millis(100));
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
        assert_eq!(b.ceiling(1), Duration::from_millis(200));
        assert_eq!(b.ceiling(3), Duration::from_millis(800));
        for retry in 0..8 {
            let ceiling = b.ceiling(retry);
            assert_eq!(b.delay(retry, 0.0), ceiling / 2, "lowest jitter");
            assert!(b.delay(retry, 0.999_999) <= ceiling);
            assert!(b.delay(retry, 0.999_999) > ceiling.mul_f64(0.99));
            for r in [0.1, 0.37, 0.5, 0.9] {
                let d = b.delay(retry, r);
                assert!(d >= ceiling / 2 && d <= ceiling, "{retry} {r} {d:?}");
            }
        }
    }

    #[test]
    fn is_capped_at_thirty_seconds() {
        let b = Backoff::exponential(Duration::from_secs(1));
        assert_eq!(b.ceiling(4), Duration::from_secs(16));
        assert_eq!(b.ceiling(5), MAX_DELAY);
        assert_eq!(b.ceiling(60), MAX_DELAY);
        assert_eq!(b.ceiling(u32::MAX), MAX_DELAY);
        assert!(b.delay(u32::MAX, 1.0) <= MAX_DELAY);
        let wild = Backoff {
            base: Duration::from_secs(3600),
            factor: 10.0,
            cap: Duration::from_secs(600),
        };
        assert_eq!(wild.ceiling(0), MAX_DELAY, "a larger cap is clamped");
        let tight = Backoff {
            cap: Duration::from_secs(2),
            ..b
        };
        assert_eq!(tight.ceiling(10), Duration::from_secs(2));
    }

    #[test]
    fn odd_randoms_are_clamped() {
        let b = Backoff::exponential(Duration::from_millis(100));
        assert_eq!(b.delay(0, -3.0), Duration::from_millis(50));
        assert_eq!(b.delay(0, 7.0), Duration::from_millis(100));
        assert_eq!(b.delay(0, f64::NAN), Duration::from_millis(50));
    }
}
