//! Whether the server can be reached, as signals the UI and the outbox
//! read: the browser's word (`navigator.onLine` and the window's `online`
//! and `offline` events) and the app's own experience (a request that got
//! no answer at all makes the server unreachable until one gets through).
//!
//! The browser alone is not enough: it says "online" whenever a network
//! interface is up, even when the path to the server is broken, so network
//! errors count too.

use leptos::prelude::*;

/// The tab's connectivity; cheap to clone (clones share the signals).
#[derive(Clone)]
pub struct Connectivity {
    browser_online: ArcRwSignal<bool>,
    unreachable: ArcRwSignal<bool>,
}

impl Default for Connectivity {
    fn default() -> Self {
        Self::new()
    }
}

impl Connectivity {
    /// Online and reachable until told otherwise (what the server renders,
    /// so the first browser render matches it).
    pub fn new() -> Self {
        Self {
            browser_online: ArcRwSignal::new(true),
            unreachable: ArcRwSignal::new(false),
        }
    }

    /// Whether writes should be sent now: the browser is online and the
    /// last request did reach the server.
    pub fn online(&self) -> Signal<bool> {
        let (browser, unreachable) = (self.browser_online.clone(), self.unreachable.clone());
        Signal::derive(move || browser.get() && !unreachable.get())
    }

    /// Whether the browser says it has a network (attempts are pointless
    /// without one).
    pub fn browser_online(&self) -> Signal<bool> {
        self.browser_online.clone().into()
    }

    /// The browser went online or offline. Going online also forgets the
    /// last network error, so the next write is attempted.
    pub fn set_browser_online(&self, online: bool) {
        if online {
            self.set_reachable(true);
        }
        if self.browser_online.get_untracked() != online {
            self.browser_online.set(online);
        }
    }

    /// A request got no answer (`false`), or an answer came (`true`).
    pub fn set_reachable(&self, reachable: bool) {
        if self.unreachable.get_untracked() == reachable {
            self.unreachable.set(!reachable);
        }
    }

    /// Follows the browser: reads `navigator.onLine` once the page is live
    /// (after hydration) and listens to the window's `online` / `offline`
    /// events until the current owner is cleaned up. Nothing outside the
    /// browser.
    pub fn listen(&self) {
        #[cfg(feature = "hydrate")]
        {
            use std::sync::atomic::{AtomicBool, Ordering};
            use std::sync::Arc;

            use leptos::prelude::window_event_listener_untyped;

            // An event heard since supersedes the first reading.
            let heard = Arc::new(AtomicBool::new(false));
            let on = |event: &str, online: bool| {
                let (this, heard) = (self.clone(), heard.clone());
                window_event_listener_untyped(event, move |_| {
                    heard.store(true, Ordering::SeqCst);
                    this.set_browser_online(online)
                })
            };
            // The first reading waits for the page to be live: it was
            // rendered online, and one served without a network (by the
            // service worker) must hydrate as rendered before saying so.
            let handles = [on("online", true), on("offline", false)];
            let this = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if !heard.load(Ordering::SeqCst) {
                    this.set_browser_online(crate::query::navigator_online());
                }
            });
            on_cleanup(move || handles.into_iter().for_each(|h| h.remove()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_errors_and_browser_events_combine() {
        // Signals live in a reactive owner (an arena, when the server's
        // build turns sandboxed arenas on).
        let owner = leptos::prelude::Owner::new();
        owner.set();
        let c = Connectivity::new();
        let online = c.online();
        assert!(online.get_untracked());
        c.set_reachable(false);
        assert!(!online.get_untracked(), "a request got no answer");
        assert!(c.browser_online().get_untracked());
        c.set_reachable(true);
        assert!(online.get_untracked());

        c.set_browser_online(false);
        assert!(!online.get_untracked());
        c.set_reachable(false);
        c.set_browser_online(true);
        assert!(online.get_untracked(), "back online: try again");
    }
}
