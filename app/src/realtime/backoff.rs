//! Reconnect delays: exponential backoff with full jitter, capped.
//!
//! The ceiling of attempt `n` (0 for the first retry) is
//! `min(cap, base * 2^n)`, and the delay is drawn uniformly from
//! `[0, ceiling]` ("full jitter"): many tabs dropped by one server restart
//! spread their reconnects over the whole window instead of returning in
//! waves. The random source is injected, so tests are exact.

use tidings::cache::Millis;

/// A source of uniform numbers in `[0, 1)`: `Math.random` in the browser,
/// a fixed sequence in tests.
pub trait Random {
    /// The next number, in `[0, 1)`.
    fn next_unit(&mut self) -> f64;
}

impl<F: FnMut() -> f64> Random for F {
    fn next_unit(&mut self) -> f64 {
        self()
    }
}

/// Exponential backoff with full jitter; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first retry.
    pub base: Millis,
    /// The largest ceiling, whatever the attempt.
    pub cap: Millis,
}

impl Default for Backoff {
    /// 500 ms doubling up to 30 s.
    fn default() -> Self {
        Self {
            base: 500,
            cap: 30_000,
        }
    }
}

impl Backoff {
    /// `min(cap, base * 2^attempt)`, without overflow.
    pub fn ceiling(&self, attempt: u32) -> Millis {
        let factor = 1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry `attempt`: uniform in `[0, ceiling(attempt)]`.
    /// A random value outside `[0, 1)` is clamped into it.
    pub fn delay(&self, attempt: u32, random: &mut dyn Random) -> Millis {
        let ceiling = self.ceiling(attempt);
        let unit = random.next_unit();
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // `ceiling + 1` values are possible: 0..=ceiling.
        let span = ceiling.saturating_add(1) as f64;
        ((unit * span) as Millis).min(ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns `values` in turn, then repeats the last.
    fn sequence(values: &[f64]) -> impl FnMut() -> f64 + '_ {
        let mut i = 0;
        move || {
            let v = values[i.min(values.len() - 1)];
            i += 1;
            v
        }
    }

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let b = Backoff {
            base: 500,
            cap: 30_000,
        };
        let ceilings: Vec<Millis> = (0..9).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(b.ceiling(64), 30_000, "no overflow on huge attempts");
        assert_eq!(b.ceiling(u32::MAX), 30_000);
        let huge = Backoff {
            base: u64::MAX / 2,
            cap: u64::MAX,
        };
        assert_eq!(huge.ceiling(5), u64::MAX, "saturates");
    }

    #[test]
    fn delays_are_full_jitter_within_bounds() {
        let b = Backoff {
            base: 1_000,
            cap: 8_000,
        };
        let mut low = sequence(&[0.0]);
        let mut high = sequence(&[0.999_999_999]);
        let mut mid = sequence(&[0.5]);
        for attempt in 0..10 {
            let ceiling = b.ceiling(attempt);
            assert_eq!(b.delay(attempt, &mut low), 0);
            assert_eq!(b.delay(attempt, &mut high), ceiling);
            let m = b.delay(attempt, &mut mid);
            assert!(m <= ceiling && m >= ceiling / 2 - 1, "{m} of {ceiling}");
        }
        assert_eq!(b.delay(2, &mut sequence(&[0.25])), 1_000);
    }

    #[test]
    fn a_misbehaving_random_source_stays_in_bounds() {
        let b = Backoff::default();
        for bad in [-1.0, 1.0, 7.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let d = b.delay(3, &mut sequence(&[bad]));
            assert!(d <= b.ceiling(3), "{bad} gave {d}");
        }
    }

    #[test]
    fn a_deterministic_source_gives_a_deterministic_schedule() {
        let b = Backoff::default();
        let values = [0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.8, 0.6];
        let run = || {
            let mut random = sequence(&values);
            (0..8).map(|n| b.delay(n, &mut random)).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert_eq!(first[0], 50);
        assert_eq!(first[1], 900);
        for (n, d) in first.iter().enumerate() {
            assert!(*d <= b.ceiling(n as u32));
        }
    }
}
