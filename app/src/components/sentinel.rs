//! The sentinel under an infinite list: an empty element watched by an
//! `IntersectionObserver` whose root margin reaches below the viewport, so
//! the next page is asked for while the reader still has a screenful to
//! read. Without JavaScript (or before hydration) it does nothing, and the
//! list's "Load more" button remains the way on.

use leptos::prelude::*;

/// How far below the viewport the sentinel counts as reached.
pub const LOOKAHEAD: &str = "0px 0px 600px 0px";

/// Calls `on_reached` whenever the sentinel comes within [`LOOKAHEAD`] of
/// the viewport while `armed` is true, and again after each page if it is
/// still that close (when `busy` falls back to false, the observer is
/// asked anew).
#[component]
pub fn Sentinel(
    /// Whether there is more to load.
    #[prop(into)]
    armed: Signal<bool>,
    /// Whether a page is being loaded.
    #[prop(into)]
    busy: Signal<bool>,
    /// Loads the next page.
    on_reached: Callback<()>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    browser::observe(node, armed, busy, on_reached);
    #[cfg(not(feature = "hydrate"))]
    let _ = (armed, busy, on_reached);
    view! { <div class="feed-sentinel" node_ref=node aria-hidden="true" data-testid="feed-sentinel"></div> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

    pub(super) fn observe(
        node: NodeRef<leptos::html::Div>,
        armed: Signal<bool>,
        busy: Signal<bool>,
        on_reached: Callback<()>,
    ) {
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let reached = entries.iter().any(|entry| {
                entry
                    .dyn_into::<IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if reached && armed.get_untracked() && !busy.get_untracked() {
                on_reached.run(());
            }
        });
        let options = IntersectionObserverInit::new();
        options.set_root_margin(super::LOOKAHEAD);
        let Ok(observer) =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options)
        else {
            return;
        };
        let observer = SendWrapper::new(observer);
        let callback = SendWrapper::new(callback);
        // Observing (again) makes the observer report the current state:
        // after a page has landed, a sentinel still in reach loads the next.
        let watched = observer.clone();
        Effect::new(move |_| {
            let idle = armed.get() && !busy.get();
            if let (Some(el), true) = (node.get(), idle) {
                watched.unobserve(&el);
                watched.observe(&el);
            }
        });
        on_cleanup(move || {
            observer.disconnect();
            drop(callback);
        });
    }
}
