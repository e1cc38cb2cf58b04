//! The real clock behind the engine's [`Clock`] trait: Unix milliseconds,
//! from `Date.now()` in the browser and `SystemTime` on the server.
//!
//! Both sides count from the same epoch, so a time written on the server
//! (a query's `data_updated_at`, carried in the page for hydration) means
//! the same instant in the browser and `stale_time` holds across the two.

use tidings::cache::{Clock, Millis};

/// Wall-clock time in Unix milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(feature = "hydrate")]
    fn now(&self) -> Millis {
        js_sys::Date::now() as Millis
    }

    #[cfg(not(feature = "hydrate"))]
    fn now(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}
