//! The timer that reaches the engine's deadlines (gc, retries, polling).
//!
//! The engine owns no timer: it tells the earliest time it has work
//! ([`QueryClient::next_deadline`](tidings::cache::QueryClient::next_deadline))
//! and does that work in `tick(now)`. In the browser one `setTimeout` is
//! armed for that deadline and re-armed after every change that may move
//! it (`host.rs`, after each flush). The server renders one request and is
//! gone: it has no timers, so queries there neither retry nor poll. Tests
//! inject a clock and call
//! [`QueryClientHandle::tick`](super::QueryClientHandle::tick) themselves
//! ([`Timers::Manual`]), which makes them exact.

use tidings::cache::Millis;

/// How a client reaches its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timers {
    /// `setTimeout` in the browser; none on the server (no retries, no
    /// polling there).
    #[default]
    Auto,
    /// Whoever holds the client calls
    /// [`QueryClientHandle::tick`](super::QueryClientHandle::tick).
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

    /// Arms the browser timer to call `fire` at `next` (the time is `now`),
    /// replacing one armed for another time; with no `next`, disarms.
    /// Nothing outside the browser.
    #[cfg(feature = "hydrate")]
    pub(crate) fn arm(&self, next: Option<Millis>, now: Millis, fire: impl FnOnce() + 'static) {
        use std::time::Duration;

        use super::lock::lock;

        /// `setTimeout` takes a signed 32-bit delay.
        const LONGEST: Millis = i32::MAX as Millis;

        if self.mode != Mode::Browser {
            return;
        }
        let mut armed = lock(&self.armed);
        if armed.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, timer)) = armed.take() {
            timer.clear();
        }
        let Some(at) = next else {
            return;
        };
        let delay = Duration::from_millis(at.saturating_sub(now).min(LONGEST));
        match leptos::prelude::set_timeout_with_handle(fire, delay) {
            Ok(timer) => *armed = Some((at, timer)),
            Err(e) => leptos::logging::warn!("could not arm the cache timer: {e:?}"),
        }
    }

    /// No timer to arm outside the browser.
    #[cfg(not(feature = "hydrate"))]
    pub(crate) fn arm(&self, _next: Option<Millis>, _now: Millis, _fire: impl FnOnce() + 'static) {}

    /// Forgets the timer that just fired.
    pub(crate) fn fired(&self) {
        #[cfg(feature = "hydrate")]
        super::lock::lock(&self.armed).take();
    }
}
