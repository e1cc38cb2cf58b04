//! Reaching the engine's deadlines (gc, retries, polling).
//!
//! The engine owns no timer: it tells the earliest time it has work
//! ([`QueryClient::next_deadline`](tidings::cache::QueryClient::next_deadline))
//! and does that work in `tick(now)`. In the browser one `setTimeout` is
//! armed for that deadline and re-armed after every change that may move
//! it. The server renders one request and is gone: it has no timers, so
//! queries there neither retry nor poll. Tests inject a clock and call
//! [`QueryClientHandle::tick`] themselves ([`Timers::Manual`]), which makes
//! them exact.

use tidings::cache::Millis;

use super::client::QueryClientHandle;

/// How a client reaches its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timers {
    /// `setTimeout` in the browser; none on the server (no retries, no
    /// polling there).
    #[default]
    Auto,
    /// Whoever holds the client calls [`QueryClientHandle::tick`].
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[cfg(feature = "hydrate")]
    Browser,
    Manual,
    Off,
}

/// The timer state of one client.
pub(crate) struct TimerSlot {
    mode: Mode,
    /// The deadline armed and its `setTimeout`.
    #[cfg(feature = "hydrate")]
    armed: std::sync::Mutex<Option<(Millis, leptos::prelude::TimeoutHandle)>>,
}

impl TimerSlot {
    pub(crate) fn new(timers: Timers) -> Self {
        let mode = match timers {
            Timers::Manual => Mode::Manual,
            #[cfg(feature = "hydrate")]
            Timers::Auto => Mode::Browser,
            #[cfg(not(feature = "hydrate"))]
            Timers::Auto => Mode::Off,
        };
        Self {
            mode,
            #[cfg(feature = "hydrate")]
            armed: std::sync::Mutex::new(None),
        }
    }

    /// Whether deadlines are reached at all (retries and polls can happen).
    pub(crate) fn runs(&self) -> bool {
        self.mode != Mode::Off
    }
}

impl QueryClientHandle {
    /// Does everything due now: drops unobserved queries past their gc
    /// time, starts due retries and polls.
    pub fn tick(&self) {
        let now = self.now();
        let starts = self.update(|c| c.tick(now));
        self.run(starts);
    }

    /// The earliest time [`QueryClientHandle::tick`] has work, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.read(|c| c.next_deadline())
    }

    /// Arms the browser timer for the engine's next deadline, replacing
    /// one armed for another time.
    #[cfg(feature = "hydrate")]
    pub(crate) fn rearm(&self) {
        use std::sync::Arc;
        use std::time::Duration;

        use super::client::lock;

        /// `setTimeout` takes a signed 32-bit delay.
        const LONGEST: Millis = i32::MAX as Millis;

        if self.0.timers.mode != Mode::Browser {
            return;
        }
        let (next, now) = self.read(|c| (c.next_deadline(), c.now()));
        let mut armed = lock(&self.0.timers.armed);
        if armed.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, timer)) = armed.take() {
            timer.clear();
        }
        let Some(at) = next else {
            return;
        };
        let client = Arc::downgrade(&self.0);
        let fire = move || {
            if let Some(shared) = client.upgrade() {
                lock(&shared.timers.armed).take();
                QueryClientHandle(shared).tick();
            }
        };
        let delay = Duration::from_millis(at.saturating_sub(now).min(LONGEST));
        match leptos::prelude::set_timeout_with_handle(fire, delay) {
            Ok(timer) => *armed = Some((at, timer)),
            Err(e) => leptos::logging::warn!("could not arm the cache timer: {e:?}"),
        }
    }

    /// No timer to arm outside the browser.
    #[cfg(not(feature = "hydrate"))]
    pub(crate) fn rearm(&self) {}
}
