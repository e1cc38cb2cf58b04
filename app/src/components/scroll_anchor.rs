//! Keeps the reader's place in a list whose rows change above what they
//! are reading: an infinite feed that loads earlier pages back over the
//! viewport, or drops its first pages as the reader reads on.
//!
//! Browsers anchor scrolling themselves, but only while the anchor node
//! stays put; a keyed list that moves its rows in the DOM (as Leptos's
//! `<For>` does when rows are inserted ahead of others) defeats that, and
//! the page jumps. So the list remembers its first visible row (by a data
//! attribute) at every scroll and, after each change of its rows, scrolls
//! by however far that row moved. While the list's own top is in view the
//! reader is at its start, and rows added there are meant to be seen: the
//! place is not kept then.

use leptos::prelude::*;

/// After each change `rows` tracks, scrolls the window so the first row of
/// `list` that was visible stays where it was; rows are told apart by
/// their `key` attribute. Nothing outside the browser.
pub fn keep_place(
    list: NodeRef<leptos::html::Ol>,
    key: &'static str,
    rows: impl Fn() + Send + Sync + 'static,
) {
    #[cfg(feature = "hydrate")]
    browser::keep_place(list, key, rows);
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, key, rows);
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlOListElement};

    /// A row and where its top was, from the top of the viewport.
    type Place = (String, f64);

    pub(super) fn keep_place(
        list: NodeRef<leptos::html::Ol>,
        key: &'static str,
        rows: impl Fn() + Send + Sync + 'static,
    ) {
        let place = StoredValue::new(None::<Place>);
        let remember = move || {
            let seen = list.get_untracked().and_then(|l| first_visible(&l, key));
            place.set_value(seen);
        };
        let listener = window_event_listener_untyped("scroll", move |_| remember());
        on_cleanup(move || listener.remove());
        Effect::new(move |_| {
            rows();
            let Some(el) = list.get() else {
                return;
            };
            let start_in_view = el.get_bounding_client_rect().top() >= 0.0;
            if let (Some((id, top)), false) = (place.get_value(), start_in_view) {
                if let Some(row) = row_by_key(&el, key, &id) {
                    let moved = row.get_bounding_client_rect().top() - top;
                    if moved.abs() >= 1.0 {
                        window().scroll_by_with_x_and_y(0.0, moved);
                    }
                }
            }
            remember();
        });
    }

    /// The first row of `list` whose bottom is below the viewport's top.
    fn first_visible(list: &HtmlOListElement, key: &str) -> Option<Place> {
        let rows = list.children();
        (0..rows.length())
            .filter_map(|i| rows.item(i))
            .find(|row| row.get_bounding_client_rect().bottom() > 0.0)
            .and_then(|row| {
                Some((
                    row.get_attribute(key)?,
                    row.get_bounding_client_rect().top(),
                ))
            })
    }

    fn row_by_key(list: &HtmlOListElement, key: &str, id: &str) -> Option<Element> {
        let rows = list.children();
        (0..rows.length())
            .filter_map(|i| rows.item(i))
            .find(|row| row.get_attribute(key).as_deref() == Some(id))
            .and_then(|row| row.dyn_into::<Element>().ok())
    }
}
