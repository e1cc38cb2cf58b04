//! The posts page: a form to write a post, and the newest-first feed, one
//! keyset page at a time (fetched as the reader nears the end, or with
//! "Load more"; at most [`FEED_MAX_PAGES`] kept, the earlier ones loaded
//! back as the reader scrolls up), read through an infinite query and kept current by the
//! store (optimistic posts, edits and deletions, realtime events) and the
//! outbox (posts written offline). Posts written elsewhere meanwhile wait
//! behind an "N new posts" pill rather than push the feed down.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use tidings::cache::{InfiniteOptions, KeysetParam, QueryOptions, Tag};
use tidings::{
    CursorPage, Post, PostListQuery, SortOrder, User, UserFilter, UserListQuery, UserSort,
};
use uuid::Uuid;

use super::feed::{feed_view, queued_post, use_own_posts, Loaded, Seen};
use super::post_editor::use_editor;
use super::post_form::PostForm;
use super::post_item::{use_delete_post, PostItem};
use crate::api::use_api;
use crate::components::error_box::ErrorBox;
use crate::components::scroll_anchor::keep_place;
use crate::components::sentinel::Sentinel;
use crate::components::skeleton::Skeleton;
use crate::keys;
use crate::offline::use_offline;
use crate::query::{use_infinite_query, use_query, use_query_client, QueryResult};

/// How long loaded data counts as fresh (realtime events invalidate it
/// sooner).
pub(crate) const POSTS_STALE_MS: u64 = 30_000;

/// Pages of the feed kept at once: reading on past them drops the
/// earliest, scrolling back up loads them again.
pub const FEED_MAX_PAGES: usize = 5;

/// Every user by name, for the author select and the bylines
/// ([`keys::users::authors`]).
pub fn use_authors() -> QueryResult<Vec<User>> {
    let api = use_api();
    use_query(
        || {
            let query = UserListQuery {
                filter: UserFilter {
                    sort: UserSort::Name,
                    order: SortOrder::Asc,
                    ..Default::default()
                },
                page: 1,
                limit: tidings::MAX_LIMIT,
            };
            keys::users::authors(query)
        },
        move |(_, _, query)| {
            let page = api.list_users(query);
            async move { page.await.map(|p| p.data) }
        },
        QueryOptions::default()
            .stale_time(POSTS_STALE_MS)
            .tags([Tag::Users]),
    )
}

/// Author names by id.
pub(crate) fn names(authors: &[User]) -> HashMap<Uuid, String> {
    authors.iter().map(|u| (u.id, u.name.to_string())).collect()
}

#[component]
pub fn PostsPage() -> impl IntoView {
    let api = use_api();
    let feed = use_infinite_query(
        || keys::posts::feed(PostListQuery::default()),
        move |(_, _, query): (&str, &str, PostListQuery), at: Option<KeysetParam>| {
            let at = at.unwrap_or_default();
            api.list_posts(PostListQuery {
                cursor: at.cursor,
                before: at.before,
                ..query
            })
        },
        InfiniteOptions::cursor().max_pages(FEED_MAX_PAGES),
        QueryOptions::default()
            .stale_time(POSTS_STALE_MS)
            .tags([Tag::Posts]),
    );
    let authors = use_authors();
    let ready = Memo::new(move |_| {
        feed.data().with(Option::is_some) && authors.data().with(Option::is_some)
    });
    let error = Memo::new(move |_| feed.query().error().get().or(authors.error().get()));
    view! {
        <section class="posts" data-testid="posts-page">
            <h1>"Posts"</h1>
            <Suspense fallback=|| view! { <Skeleton label="Loading posts…" rows=6/> }>
                {move || {
                    // Read the queries here, untracked, so the server waits
                    // for both; re-render only when readiness changes.
                    untrack(|| {
                        feed.data().with(|_| ());
                        authors.data().with(|_| ());
                    });
                    match (ready.get(), error.get()) {
                        (true, _) => view! { <Feed feed authors/> }.into_any(),
                        (false, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                        (false, None) => view! { <Skeleton label="Loading posts…" rows=6/> }.into_any(),
                    }
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Feed(
    feed: crate::query::InfiniteQueryResult<CursorPage<Post>>,
    authors: QueryResult<Vec<User>>,
) -> impl IntoView {
    let names = Memo::new(move |_| authors.data().with(|a| names(a.as_deref().unwrap_or(&[]))));
    let client = use_query_client();
    let pending = use_offline().pending();
    let own = use_own_posts().ids();
    let deleted = RwSignal::new(HashSet::new());
    let pages = Memo::new(move |_| {
        feed.data().with(|pages| {
            pages
                .iter()
                .flatten()
                .flat_map(|page| page.data.iter().cloned())
                .collect::<Vec<Post>>()
        })
    });
    // The reader has seen the feed as it first showed; posts written
    // elsewhere after that wait behind the pill.
    let up_to = RwSignal::new(pages.with_untracked(|p| p.iter().map(|p| p.created_at).max()));
    let view = Memo::new(move |_| {
        let queued: Vec<Post> = pending.with(|p| p.iter().filter_map(queued_post).collect());
        own.with(|own| {
            deleted.with(|deleted| {
                let seen = Seen {
                    up_to: up_to.get(),
                    own,
                    deleted,
                };
                let at_head = !feed.has_previous_page().get();
                pages.with(|posts| {
                    let loaded = Loaded { posts, at_head };
                    client.with_store(|store| feed_view(loaded, store, &queued, seen))
                })
            })
        })
    });
    let list = NodeRef::<leptos::html::Ol>::new();
    keep_place(list, "data-post-id", move || view.track());
    let held = Memo::new(move |_| view.with(|v| v.held));
    let show_new = move |_| {
        up_to.set(view.with_untracked(|v| v.newest));
        #[cfg(feature = "hydrate")]
        window().scroll_to_with_x_and_y(0.0, 0.0);
    };
    let load_error = feed.query().error();
    let editor = use_editor();
    let delete = use_delete_post(deleted);

    view! {
        <PostForm authors/>
        <div class="new-posts-bar">
            <Show when=move || { held.get() > 0 }>
                <button
                    type="button"
                    class="new-posts-pill"
                    data-testid="new-posts-pill"
                    data-count=move || held.get().to_string()
                    on:click=show_new
                >
                    <span aria-hidden="true">"↑ "</span>
                    {move || match held.get() {
                        1 => "1 new post".to_owned(),
                        n => format!("{n} new posts"),
                    }}
                </button>
            </Show>
        </div>
        <Show when=move || feed.has_previous_page().get()>
            <button
                class="load-more load-newer"
                data-testid="posts-load-newer"
                on:click=move |_| feed.fetch_previous_page()
                disabled=move || feed.is_fetching_previous_page().get()
            >
                {move || {
                    if feed.is_fetching_previous_page().get() { "Loading…" } else { "Load newer posts" }
                }}
            </button>
        </Show>
        <Sentinel
            above=true
            armed=feed.has_previous_page()
            busy=feed.is_fetching_previous_page()
            on_reached=Callback::new(move |_| feed.fetch_previous_page())
        />
        <ol class="post-list" data-testid="posts-list" node_ref=list>
            <For
                each=move || view.with(|v| v.rows.clone())
                key=|row| {
                    let p = &row.post;
                    (p.id, p.version, p.title.to_string(), p.content.to_string(), row.pending)
                }
                let:row
            >
                <PostItem
                    author=names.with_untracked(|n| n.get(&row.post.author_id).cloned())
                    row
                    editor
                    delete
                />
            </For>
        </ol>
        {move || load_error.get().map(|error| view! { <ErrorBox error/> })}
        <Sentinel
            armed=feed.has_next_page()
            busy=feed.is_fetching_next_page()
            on_reached=Callback::new(move |_| feed.fetch_next_page())
        />
        <Show
            when=move || feed.has_next_page().get()
            fallback=|| view! { <p class="feed-end" data-testid="posts-end">"You're all caught up."</p> }
        >
            <button
                class="load-more"
                data-testid="posts-load-more"
                on:click=move |_| feed.fetch_next_page()
                disabled=move || feed.is_fetching_next_page().get()
            >
                {move || if feed.is_fetching_next_page().get() { "Loading…" } else { "Load more" }}
            </button>
        </Show>
    }
    .into_any()
}
