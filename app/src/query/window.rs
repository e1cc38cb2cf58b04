//! Window events the engine refetches on (opt-in with
//! [`QueryClientBuilder::window_events`](super::QueryClientBuilder::window_events)):
//! `focus` refetches stale observed queries, `offline` pauses new fetches
//! and `online` resumes them and refetches what went stale.
//!
//! Listeners hold the client weakly and live as long as the page.

use super::handle::QueryClientHandle;

/// Installs the listeners (browser only; nothing elsewhere).
#[cfg(feature = "hydrate")]
pub(crate) fn listen(handle: &QueryClientHandle) {
    use std::sync::Arc;

    use leptos::prelude::window_event_listener_untyped;

    use super::handle::lock;

    let on = |event: &str, act: fn(&QueryClientHandle)| {
        let client = Arc::downgrade(&handle.0);
        window_event_listener_untyped(event, move |_| {
            if let Some(shared) = client.upgrade() {
                act(&QueryClientHandle(shared));
            }
        })
    };
    let listeners = [
        on("focus", QueryClientHandle::focus),
        on("online", |c| c.set_online(true)),
        on("offline", |c| c.set_online(false)),
    ];
    lock(&handle.0.window).extend(listeners);
    if !navigator_online() {
        handle.set_online(false);
    }
}

/// `navigator.onLine`, `true` when it cannot be read.
#[cfg(feature = "hydrate")]
pub fn navigator_online() -> bool {
    use js_sys::{global, Reflect};
    use wasm_bindgen::JsValue;

    Reflect::get(&global(), &JsValue::from_str("navigator"))
        .and_then(|nav| Reflect::get(&nav, &JsValue::from_str("onLine")))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// No window outside the browser.
#[cfg(not(feature = "hydrate"))]
pub(crate) fn listen(_handle: &QueryClientHandle) {}
