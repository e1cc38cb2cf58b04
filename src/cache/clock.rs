//! Time for the cache engine: a [`Clock`] the host injects and [`Millis`],
//! the one unit every deadline is expressed in.
//!
//! The engine never reads the system time itself (there is none on
//! `wasm32-unknown-unknown` without web-sys), so every timestamp enters
//! through a clock or an explicit `now` argument, and tests are exact.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Milliseconds since an epoch the host chooses (the browser's `Date.now()`
/// and the server's Unix time both fit). Only differences and order matter.
pub type Millis = u64;

/// A deadline that never comes: a `gc_time` or `stale_time` of `NEVER`
/// keeps data forever or fresh forever.
pub const NEVER: Millis = Millis::MAX;

/// Where the engine reads the current time.
pub trait Clock: Send + Sync {
    /// The current time in [`Millis`].
    fn now(&self) -> Millis;
}

/// Any `Fn() -> Millis` is a clock, e.g. `|| js_sys::Date::now() as u64`.
impl<F> Clock for F
where
    F: Fn() -> Millis + Send + Sync,
{
    fn now(&self) -> Millis {
        self()
    }
}

/// A clock that moves only when told to: clones share one time, so a test
/// keeps a handle while the engine owns another.
#[derive(Debug, Clone, Default)]
pub struct FakeClock(Arc<AtomicU64>);

impl FakeClock {
    /// A clock standing at `start`.
    pub fn new(start: Millis) -> Self {
        Self(Arc::new(AtomicU64::new(start)))
    }

    /// Moves time forward by `ms` and returns the new time.
    pub fn advance(&self, ms: Millis) -> Millis {
        self.0.fetch_add(ms, Ordering::SeqCst) + ms
    }

    /// Jumps to `at` (which may be earlier: the engine must cope).
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// `base + span`, saturating at [`NEVER`].
pub(crate) fn after(base: Millis, span: Millis) -> Millis {
    base.saturating_add(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time() {
        let clock = FakeClock::new(10);
        let other = clock.clone();
        assert_eq!(clock.advance(5), 15);
        assert_eq!(other.now(), 15);
        other.set(3);
        assert_eq!(clock.now(), 3);
    }

    #[test]
    fn closures_are_clocks() {
        let c = || 42;
        assert_eq!(Clock::now(&c), 42);
        assert_eq!(after(NEVER - 1, 10), NEVER);
    }
}
