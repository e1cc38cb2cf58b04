//! Reconnect delays: the project's one schedule ([`Backoff`]) with full
//! jitter, so many tabs dropped by one server restart spread their
//! reconnects over the whole window instead of returning in waves; and
//! the random source that draws them, injected so tests are exact.

use tidings::{Backoff, Jitter};

/// Reconnect delays: 500 ms doubling up to 30 s, full jitter.
pub const RECONNECT: Backoff = Backoff::new(500, 30_000, Jitter::Full);

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
    fn a_deterministic_source_gives_a_deterministic_schedule() {
        let values = [0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.8, 0.6];
        let run = || {
            let mut random = sequence(&values);
            (0..8)
                .map(|n| RECONNECT.delay(n, random.next_unit()))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert_eq!(first[0], 50);
        assert_eq!(first[1], 900);
        for (n, d) in first.iter().enumerate() {
            assert!(*d <= RECONNECT.ceiling(n as u32));
        }
    }
}
