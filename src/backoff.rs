//! The one retry schedule of the project: exponential, capped, with the
//! jitter each caller needs.
//!
//! The ceiling of retry `n` (0 for the first) is `min(cap, base · 2ⁿ)`.
//! The query engine waits exactly the ceiling ([`Jitter::None`]: its fake
//! clock tests are exact), the API client's keyed writes a random share of
//! it no smaller than half ([`Jitter::Equal`]: clients that failed together
//! spread out, yet none retries sooner than half the schedule), and the
//! realtime socket anything up to it ([`Jitter::Full`]: many tabs dropped
//! by one server restart spread their reconnects over the whole window).
//! The random number is an argument, so every schedule is exact in tests.

/// How much of the ceiling a delay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// The ceiling itself.
    None,
    /// Uniform in `[ceiling / 2, ceiling]`.
    Equal,
    /// Uniform in `[0, ceiling]`.
    Full,
}

/// An exponential schedule in milliseconds; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first retry.
    pub base: u64,
    /// The largest ceiling, whatever the retry.
    pub cap: u64,
    pub jitter: Jitter,
}

impl Backoff {
    /// `base` doubling up to `cap`, with `jitter`.
    pub const fn new(base: u64, cap: u64, jitter: Jitter) -> Self {
        Self { base, cap, jitter }
    }

    /// `min(cap, base · 2^retry)`, without overflow.
    pub fn ceiling(&self, retry: u32) -> u64 {
        let factor = 1u64.checked_shl(retry.min(63)).unwrap_or(u64::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry `retry`, for `unit` drawn uniformly from
    /// `[0, 1)` (ignored without jitter); a value outside is clamped in.
    pub fn delay(&self, retry: u32, unit: f64) -> u64 {
        let ceiling = self.ceiling(retry);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Equal => {
                let half = ceiling as f64 / 2.0;
                ((half + half * unit) as u64).clamp(ceiling / 2, ceiling)
            }
            // `ceiling + 1` values are possible: 0..=ceiling.
            Jitter::Full => ((unit * ceiling.saturating_add(1) as f64) as u64).min(ceiling),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap_without_overflow() {
        let b = Backoff::new(500, 30_000, Jitter::None);
        let ceilings: Vec<u64> = (0..9).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(b.ceiling(64), 30_000);
        assert_eq!(b.ceiling(u32::MAX), 30_000);
        let huge = Backoff::new(u64::MAX / 2, u64::MAX, Jitter::None);
        assert_eq!(huge.ceiling(5), u64::MAX, "saturates");
        assert_eq!(b.delay(3, 0.7), 4_000, "no jitter: the ceiling");
    }

    #[test]
    fn equal_jitter_stays_in_the_upper_half() {
        let b = Backoff::new(100, 30_000, Jitter::Equal);
        for retry in 0..12 {
            let ceiling = b.ceiling(retry);
            assert_eq!(b.delay(retry, 0.0), ceiling / 2, "lowest jitter");
            assert!(b.delay(retry, 0.999_999) <= ceiling);
            assert!(b.delay(retry, 0.999_999) as f64 >= ceiling as f64 * 0.99);
            for r in [0.1, 0.37, 0.5, 0.9] {
                let d = b.delay(retry, r);
                assert!(d >= ceiling / 2 && d <= ceiling, "{retry} {r} {d}");
            }
        }
        assert_eq!(b.delay(0, 0.5), 75);
    }

    #[test]
    fn full_jitter_spans_the_whole_window() {
        let b = Backoff::new(1_000, 8_000, Jitter::Full);
        for retry in 0..10 {
            let ceiling = b.ceiling(retry);
            assert_eq!(b.delay(retry, 0.0), 0);
            assert_eq!(b.delay(retry, 0.999_999_999), ceiling);
            let mid = b.delay(retry, 0.5);
            assert!(
                mid <= ceiling && mid >= ceiling / 2 - 1,
                "{mid} of {ceiling}"
            );
        }
        assert_eq!(b.delay(2, 0.25), 1_000);
    }

    #[test]
    fn a_misbehaving_random_number_stays_in_bounds() {
        for jitter in [Jitter::None, Jitter::Equal, Jitter::Full] {
            let b = Backoff::new(500, 30_000, jitter);
            for bad in [-1.0, 1.0, 7.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let d = b.delay(3, bad);
                assert!(d <= b.ceiling(3), "{jitter:?} {bad} gave {d}");
            }
        }
    }
}
