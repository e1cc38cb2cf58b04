//! The sentinels at the ends of an infinite list: empty elements watched
//! by an `IntersectionObserver` whose root margin reaches past the
//! viewport (below it under the list, above it over the list), so the
//! next (or earlier) page is asked for while the reader still has a
//! screenful to read. Without JavaScript (or before hydration) they do
//! nothing, and the list's buttons remain the way on.

use leptos::prelude::*;

/// How far below the viewport the sentinel under a list counts as reached.
pub const LOOKAHEAD: &str = "0px 0px 600px 0px";
/// How far above the viewport the sentinel over a list counts as reached.
pub const LOOKBEHIND: &str = "600px 0px 0px 0px";

/// Calls `on_reached` whenever the sentinel comes within [`LOOKAHEAD`]
/// (with `above`: [`LOOKBEHIND`]) of the viewport while `armed` is true,
/// and again after each page if it is still that close (when `busy` falls
/// back to false, the observer is asked anew).
#[component]
pub fn Sentinel(
    /// Whether there is more to load.
    #[prop(into)]
    armed: Signal<bool>,
    /// Whether a page is being loaded.
    #[prop(into)]
    busy: Signal<bool>,
    /// Loads the next (or earlier) page.
    on_reached: Callback<()>,
    /// Whether this sentinel sits over the list, loading earlier pages.
    #[prop(optional)]
    above: bool,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let margin = if above { LOOKBEHIND } else { LOOKAHEAD };
    #[cfg(feature = "hydrate")]
    browser::observe(node, margin, armed, busy, on_reached);
    #[cfg(not(feature = "hydrate"))]
    let _ = (margin, armed, busy, on_reached);
    let testid = if above {
        "feed-sentinel-top"
    } else {
        "feed-sentinel"
    };
    view! { <div class="feed-sentinel" node_ref=node aria-hidden="true" data-testid=testid></div> }
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
        margin: &str,
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
        options.set_root_margin(margin);
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
