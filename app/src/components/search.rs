//! The header's search box: one input for people and posts, following
//! the ARIA combobox pattern (`role="combobox"` owning a listbox popup).
//!
//! It searches from the second character, 300 ms after the last
//! keystroke, through the query engine: each term's answer is cached (the
//! same term again answers at once, with no request), and a search the
//! reader typed past is aborted. ArrowDown / ArrowUp move through
//! the options (wrapping), Enter opens the highlighted person's or post's
//! page, Escape closes the popup, or clears the box when it is closed.

use std::sync::Arc;

use leptos::prelude::*;

use tidings::cache::{QueryOptions, RetryPolicy};

use super::search_results::{
    find, option_id, search_term, Found, SearchListbox, LISTBOX_ID, MIN_CHARS,
};
use crate::api::{Api, ApiHandle};
use crate::keys;
use crate::query::use_query;

/// Quiet time after the last keystroke before searching, in milliseconds.
pub const DEBOUNCE_MS: u64 = 300;

/// How long a term's answer is shown again without asking the server.
const SEARCH_FRESH_MS: u64 = 30_000;

#[component]
pub fn SiteSearch() -> impl IntoView {
    // No API while the server only lists the routes: nothing to search.
    let Some(ApiHandle(api)) = use_context::<ApiHandle>() else {
        return ().into_any();
    };
    let text = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Found>);
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    // A search is scheduled (the debounce runs).
    let waiting = RwSignal::new(false);
    // The term searched for, and how many times a search was asked (the
    // same term again shows its cached answer again).
    let term = RwSignal::new(None::<String>);
    let asked = RwSignal::new(0_u64);
    let results = use_query(
        move || keys::search::results(term.get().unwrap_or_default()),
        move |(_, term): (&str, String)| {
            let api: Arc<dyn Api> = Arc::clone(&api);
            // A failure is shown, not cached as the term's answer.
            find(api, term)
        },
        QueryOptions::default()
            .enabled(false)
            .stale_time(SEARCH_FRESH_MS)
            .retry(RetryPolicy::NONE),
    );
    results.enabled_when(move || term.with(Option::is_some));
    let searching = Memo::new(move |_| term.with(Option::is_some) && results.is_fetching().get());
    // The answer of the term searched for opens the popup.
    Effect::new(move |_| {
        asked.track();
        let Some(wanted) = term.get() else { return };
        let answer = match (results.data().get(), results.error().get()) {
            (Some(found), _) if found.term == wanted => found,
            (_, Some(error)) if !results.is_fetching().get() => Found {
                term: wanted,
                error: Some(error.to_string()),
                ..Found::default()
            },
            _ => return,
        };
        found.set(Some(answer));
        active.set(None);
        open.set(true);
    });
    let hits = Memo::new(move |_| found.with(|f| f.as_ref().map(Found::hits).unwrap_or_default()));
    // Local to the browser's thread; the server never picks.
    #[cfg(feature = "hydrate")]
    let navigate = StoredValue::new_local(leptos_router::hooks::use_navigate());

    let search = move |wanted: String| {
        waiting.set(false);
        term.set(Some(wanted));
        asked.update(|n| *n += 1);
    };
    let debounce = Debouncer::new();
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        text.set(value.clone());
        debounce.cancel();
        match search_term(&value) {
            Some(term) => {
                waiting.set(true);
                debounce.run(DEBOUNCE_MS, move || search(term));
            }
            None => {
                waiting.set(false);
                term.set(None);
                found.set(None);
                open.set(false);
                active.set(None);
            }
        }
    };
    let pick = move |index: usize| {
        let Some(hit) = hits.with_untracked(|h| h.get(index).cloned()) else {
            return;
        };
        open.set(false);
        active.set(None);
        text.set(String::new());
        found.set(None);
        #[cfg(feature = "hydrate")]
        navigate.with_value(|go| go(&hit.href(), Default::default()));
        #[cfg(not(feature = "hydrate"))]
        let _ = hit;
    };
    let pick = Callback::new(pick);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = hits.with_untracked(Vec::len);
        let step = |from: Option<usize>, down: bool| match (from, down) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(i), true) => (i + 1) % count,
            (Some(i), false) => (i + count - 1) % count,
        };
        match ev.key().as_str() {
            key @ ("ArrowDown" | "ArrowUp") => {
                ev.prevent_default();
                if count > 0 {
                    open.set(true);
                    active.update(|a| *a = Some(step(*a, key == "ArrowDown")));
                }
            }
            "Enter" => {
                if let (true, Some(index)) = (open.get_untracked(), active.get_untracked()) {
                    ev.prevent_default();
                    pick.run(index);
                }
            }
            "Escape" => {
                ev.prevent_default();
                if open.get_untracked() {
                    open.set(false);
                    active.set(None);
                } else {
                    text.set(String::new());
                    found.set(None);
                }
            }
            _ => {}
        }
    };
    // What the box is doing, for styles and tests.
    let state = move || {
        if waiting.get() {
            "waiting"
        } else if searching.get() {
            "searching"
        } else if found.with(Option::is_some) {
            "done"
        } else {
            "idle"
        }
    };
    let status = move || {
        if searching.get() && found.with(Option::is_none) {
            return "Searching…".to_owned();
        }
        found.with(|f| match f {
            None => String::new(),
            Some(f) if f.error.is_some() => {
                format!("Search failed: {}", f.error.as_deref().unwrap_or_default())
            }
            Some(f) if f.users.is_empty() && f.posts.is_empty() => {
                format!("No people or posts match “{}”.", f.term)
            }
            Some(f) => format!("{} people, {} posts", f.users.len(), f.posts.len()),
        })
    };

    view! {
        <div class="site-search" role="search" aria-label="People and posts" data-testid="site-search" data-state=state>
            <label class="visually-hidden" for="site-search-input">"Search people and posts"</label>
            <input
                id="site-search-input"
                type="search"
                role="combobox"
                aria-autocomplete="list"
                aria-controls=LISTBOX_ID
                aria-expanded=move || open.get().to_string()
                aria-activedescendant=move || active.get().map(option_id)
                aria-describedby="site-search-status"
                placeholder=format!("Search people and posts ({MIN_CHARS}+ letters)")
                autocomplete="off"
                spellcheck="false"
                data-testid="site-search-input"
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:focus=move |_| open.set(found.with_untracked(Option::is_some))
                on:blur=move |_| open.set(false)
            />
            <p id="site-search-status" class="visually-hidden" aria-live="polite">{status}</p>
            <div class="site-search-popup" data-testid="site-search-popup" hidden=move || !open.get()>
                {move || found.get().map(|found| {
                    let empty = found.users.is_empty() && found.posts.is_empty();
                    view! {
                        <SearchListbox
                            found
                            active
                            on_pick=pick
                            on_hover=Callback::new(move |i| active.set(Some(i)))
                        />
                        {empty.then(|| view! {
                            <p class="search-empty" data-testid="site-search-empty">{status}</p>
                        })}
                    }
                })}
            </div>
        </div>
    }
    .into_any()
}

/// One pending call at a time: a new one cancels the last (browser only;
/// on the server nothing types).
#[derive(Clone, Copy)]
struct Debouncer {
    #[cfg(feature = "hydrate")]
    pending: StoredValue<Option<leptos::leptos_dom::helpers::TimeoutHandle>>,
}

impl Debouncer {
    fn new() -> Self {
        Self {
            #[cfg(feature = "hydrate")]
            pending: StoredValue::new(None),
        }
    }

    fn cancel(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(handle) = self.pending.get_value() {
            handle.clear();
        }
    }

    fn run(&self, after_ms: u64, f: impl FnOnce() + 'static) {
        #[cfg(feature = "hydrate")]
        {
            let handle = set_timeout_with_handle(f, std::time::Duration::from_millis(after_ms));
            self.pending.set_value(handle.ok());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (after_ms, f);
    }
}
