//! What the header's search finds, and how the popup lists it: people
//! (`GET /api/users/search`) and posts (the feed with `search`), fetched
//! together for one term, shown as the options of an ARIA listbox.

use std::sync::Arc;

use leptos::prelude::*;
use tidings::{Post, PostListQuery, User, UserSearchQuery};

use crate::api::{Api, ApiError};

/// Fewest characters searched for.
pub const MIN_CHARS: usize = 2;
/// Most people, and most posts, listed.
const MAX_EACH: u32 = 5;
/// The listbox's element id (the input's `aria-controls`).
pub const LISTBOX_ID: &str = "site-search-listbox";

/// What `text` searches for: trimmed, `None` when shorter than
/// [`MIN_CHARS`] or longer than the server accepts.
pub fn search_term(text: &str) -> Option<String> {
    let term = text.trim();
    let chars = term.chars().count();
    (MIN_CHARS..=tidings::MAX_SEARCH_LEN)
        .contains(&chars)
        .then(|| term.to_owned())
}

/// The element id of option `index` (the input's
/// `aria-activedescendant`).
pub fn option_id(index: usize) -> String {
    format!("site-search-option-{index}")
}

/// One thing found.
#[derive(Debug, Clone, PartialEq)]
pub enum Hit {
    User(User),
    Post(Post),
}

impl Hit {
    /// The page it opens.
    pub fn href(&self) -> String {
        match self {
            Hit::User(u) => format!("/users/{}", u.id),
            Hit::Post(p) => format!("/posts/{}", p.id),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Hit::User(_) => "user",
            Hit::Post(_) => "post",
        }
    }
}

/// The results for one term.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Found {
    pub term: String,
    pub users: Vec<User>,
    pub posts: Vec<Post>,
    /// Why the search failed, when it did.
    pub error: Option<String>,
}

impl Found {
    /// People first, then posts: the options' order.
    pub fn hits(&self) -> Vec<Hit> {
        let users = self.users.iter().cloned().map(Hit::User);
        users
            .chain(self.posts.iter().cloned().map(Hit::Post))
            .collect()
    }
}

/// Searches people and posts for `term` at once; the first failure of
/// the two is the answer when one fails.
pub async fn find(api: Arc<dyn Api>, term: String) -> Result<Found, ApiError> {
    let users = api.search_users(UserSearchQuery {
        q: term.clone(),
        limit: MAX_EACH,
    });
    let posts = api.list_posts(PostListQuery {
        search: Some(term.clone()),
        limit: MAX_EACH,
        ..Default::default()
    });
    let (users, posts) = futures::join!(users, posts);
    Ok(Found {
        term,
        users: users?,
        posts: posts?.data,
        error: None,
    })
}

/// The first characters of `text`, cut at a character boundary.
fn snippet(text: &str) -> String {
    const MAX: usize = 90;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

/// The listbox of `found`: option `active` highlighted, `on_pick(index)`
/// when one is clicked, `on_hover(index)` when the pointer is over one.
#[component]
pub fn SearchListbox(
    found: Found,
    #[prop(into)] active: Signal<Option<usize>>,
    on_pick: Callback<usize>,
    on_hover: Callback<usize>,
) -> impl IntoView {
    let hits = found.hits();
    let option = move |index: usize, hit: Hit| {
        let selected = move || active.get() == Some(index);
        let body = match &hit {
            Hit::User(u) => view! {
                <span class="search-option-title">{u.name.to_string()}</span>
                <span class="search-option-meta">
                    {u.email.to_string()} " · "
                    <span class=format!("role role-{}", u.role.as_str())>{u.role.to_string()}</span>
                </span>
            }
            .into_any(),
            Hit::Post(p) => view! {
                <span class="search-option-title">{p.title.to_string()}</span>
                <span class="search-option-meta">{snippet(p.content.as_str())}</span>
            }
            .into_any(),
        };
        view! {
            <div
                role="option"
                id=option_id(index)
                class="search-option"
                class:active=selected
                aria-selected=move || selected().to_string()
                data-testid="site-search-option"
                data-kind=hit.kind()
                data-href=hit.href()
                on:mousedown=move |ev| {
                    // Keep the focus in the input; pick on press.
                    ev.prevent_default();
                    on_pick.run(index);
                }
                on:mousemove=move |_| {
                    if active.get_untracked() != Some(index) {
                        on_hover.run(index);
                    }
                }
            >
                {body}
            </div>
        }
    };
    let people = found.users.len();
    let group = |label: &'static str, id: &'static str, options: Vec<AnyView>| {
        (!options.is_empty()).then(|| {
            view! {
                <div role="group" aria-labelledby=id class="search-group">
                    <div role="presentation" id=id class="search-group-label">{label}</div>
                    {options}
                </div>
            }
        })
    };
    let (users, posts): (Vec<_>, Vec<_>) = hits
        .into_iter()
        .enumerate()
        .map(|(i, hit)| (i, option(i, hit).into_any()))
        .partition(|(i, _)| *i < people);
    let strip = |v: Vec<(usize, AnyView)>| v.into_iter().map(|(_, o)| o).collect::<Vec<_>>();
    view! {
        <div id=LISTBOX_ID role="listbox" aria-label="Search results" class="search-listbox" data-testid="site-search-listbox">
            {group("People", "site-search-people", strip(users))}
            {group("Posts", "site-search-posts", strip(posts))}
        </div>
    }
}
