//! Where the keyboard focus goes when the page changes under it: a control
//! that replaces the one just pressed (an editor opening in place of its
//! "Edit") takes the focus, a dialog keeps Tab inside itself and gives the
//! focus back when it closes, and a new page puts it at the start of its
//! content. Without this, the focus falls to the document when the pressed
//! control goes away, and the next Tab starts from the top of the page.
//!
//! Everything here acts in the browser only; on the server it does nothing.

use leptos::html::ElementType;
use leptos::prelude::*;

/// Whether nothing holds the focus (it was on an element that went away).
pub fn focus_is_lost() -> bool {
    #[cfg(feature = "hydrate")]
    return browser::focus_is_lost();
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Focuses the element of `node` each time it is put in the page and
/// `when` says so. `when` is asked a frame later, after the other effects
/// of the same change have run (so it can tell whether one took the focus).
#[cfg(feature = "hydrate")]
pub fn focus_when_mounted<E>(node: NodeRef<E>, when: impl Fn() -> bool + Send + Sync + 'static)
where
    E: ElementType + 'static,
    E::Output: wasm_bindgen::JsCast + Clone + 'static,
{
    use wasm_bindgen::JsCast;
    let when = std::sync::Arc::new(when);
    Effect::new(move |_| {
        let Some(element) = node.get() else { return };
        let when = std::sync::Arc::clone(&when);
        request_animation_frame(move || {
            let element: &web_sys::HtmlElement = element.unchecked_ref();
            if element.is_connected() && when() {
                let _ = element.focus();
            }
        });
    });
}

/// Focuses the element of `node` when it is mounted (in the browser).
#[cfg(not(feature = "hydrate"))]
pub fn focus_when_mounted<E>(node: NodeRef<E>, when: impl Fn() -> bool + Send + Sync + 'static)
where
    E: ElementType + 'static,
    E::Output: 'static,
{
    let _ = (node, when);
}

/// For a modal dialog (`dialog`): Tab on its last control and Shift+Tab on
/// its first go round to the first and the last instead of leaving it.
pub fn keep_tab_inside(ev: &leptos::ev::KeyboardEvent, dialog: NodeRef<leptos::html::Div>) {
    #[cfg(feature = "hydrate")]
    if ev.key() == "Tab" {
        if let Some(dialog) = dialog.get_untracked() {
            browser::keep_tab_inside(ev, &dialog);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, dialog);
}

/// Remembers what has the focus now and gives it the focus back when the
/// calling component goes away, unless the focus went somewhere else that
/// is still in the page (call it where a dialog is made).
pub fn return_focus_on_cleanup() {
    #[cfg(feature = "hydrate")]
    browser::return_focus_on_cleanup();
}

/// The id of the page's `<main>`, which takes the focus on a new page.
pub const MAIN_ID: &str = "main";

/// On each move to another page (a new path; a new query string is the
/// same page filtered or sorted), puts the focus on `<main>`, so the next
/// Tab goes to the new content and a screen reader reads it from the top.
#[component]
pub fn FocusMainOnNavigation() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |last: Option<String>| {
            let path = location.pathname.get();
            if last.is_some_and(|last| last != path) {
                browser::focus_by_id(MAIN_ID);
            }
            path
        });
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    pub(super) fn focus_is_lost() -> bool {
        let document = document();
        match (document.active_element(), document.body()) {
            (None, _) => true,
            (Some(active), Some(body)) => active == *body.unchecked_ref::<Element>(),
            (Some(_), None) => false,
        }
    }

    pub(super) fn keep_tab_inside(ev: &leptos::ev::KeyboardEvent, dialog: &Element) {
        let Ok(found) = dialog.query_selector_all(
            "a[href], button:not([disabled]), input:not([disabled]), \
             select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])",
        ) else {
            return;
        };
        let controls: Vec<HtmlElement> = (0..found.length())
            .filter_map(|i| found.get(i))
            .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
            .collect();
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            return;
        };
        let active = document().active_element();
        let at = |control: &HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == control.unchecked_ref::<Element>())
        };
        let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
        let to = if ev.shift_key() && (at(first) || !inside) {
            last
        } else if !ev.shift_key() && (at(last) || !inside) {
            first
        } else {
            return;
        };
        ev.prevent_default();
        let _ = to.focus();
    }

    pub(super) fn return_focus_on_cleanup() {
        let before = send_wrapper::SendWrapper::new(document().active_element());
        on_cleanup(move || {
            let before = before.take();
            request_animation_frame(move || {
                if let Some(element) = before {
                    if element.is_connected() && focus_is_lost() {
                        let _ = element.unchecked_ref::<HtmlElement>().focus();
                    }
                }
            });
        });
    }

    pub(super) fn focus_by_id(id: &str) {
        if let Some(element) = document().get_element_by_id(id) {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = element
                .unchecked_ref::<HtmlElement>()
                .focus_with_options(&options);
        }
    }
}
