//! One module per page the router shows, and the parts only pages use:
//! the feed's row logic (`feed`), a feed item with its actions
//! (`post_item`), the post form (`post_form`) and the post editor
//! (`post_editor`, with its `post_draft`); and [`use_id_param`], the
//! `:id` of the detail pages.

pub mod feed;
pub mod login;
pub mod post_detail;
mod post_draft;
mod post_editor;
mod post_form;
mod post_item;
pub mod posts;
pub mod user;
pub mod users;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The page's `:id` path parameter as a UUID; `None` when it is missing
/// or not a UUID, which a detail page shows as not found.
pub(crate) fn use_id_param() -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|raw| Uuid::parse_str(&raw).ok())
    })
}
