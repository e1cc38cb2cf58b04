//! The posts page: a form to write a post, and the newest-first feed, one
//! keyset page at a time ("Load more"), read through an infinite query and
//! kept current by the store (optimistic posts, realtime events) and the
//! outbox (posts written offline).

use std::collections::HashMap;

use leptos::prelude::*;
use tidings::cache::{InfiniteOptions, QueryOptions, Tag};
use tidings::{
    CursorPage, Post, PostListQuery, SortOrder, User, UserFilter, UserListQuery, UserSort,
};
use uuid::Uuid;

use super::feed::{feed_rows, queued_post, FeedRow};
use super::post_form::PostForm;
use crate::api::use_api;
use crate::components::error_box::ErrorBox;
use crate::offline::use_offline;
use crate::query::{use_infinite_query, use_query, use_query_client, QueryResult};

/// How long loaded data counts as fresh (realtime events invalidate it
/// sooner).
pub(crate) const POSTS_STALE_MS: u64 = 30_000;

/// Every user by name, for the author select and the bylines; keyed
/// `["users", {limit: 100, sort: name, ...}]`.
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
            ("users", query)
        },
        move |(_, query)| {
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
        || ("posts", PostListQuery::default()),
        move |(_, query): (&str, PostListQuery), cursor: Option<String>| {
            api.list_posts(PostListQuery { cursor, ..query })
        },
        InfiniteOptions::cursor(),
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
            <Suspense fallback=|| view! { <p class="loading">"Loading posts…"</p> }>
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
                        (false, None) => view! { <p class="loading">"Loading posts…"</p> }.into_any(),
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
    let store = use_query_client().store();
    let pending = use_offline().pending();
    let rows = Memo::new(move |_| {
        let pages: Vec<Post> = feed.data().with(|pages| {
            pages
                .iter()
                .flatten()
                .flat_map(|page| page.data.iter().cloned())
                .collect()
        });
        let queued: Vec<Post> = pending.with(|p| p.iter().filter_map(queued_post).collect());
        store.with(|store| feed_rows(&pages, store, &queued))
    });
    let load_error = feed.query().error();

    view! {
        <PostForm authors/>
        <ol class="post-list" data-testid="posts-list">
            <For
                each=move || rows.get()
                key=|row| (row.post.id, row.post.version, row.post.title.to_string(), row.pending)
                let:row
            >
                <PostItem author=names.with_untracked(|n| n.get(&row.post.author_id).cloned()) row/>
            </For>
        </ol>
        {move || load_error.get().map(|error| view! { <ErrorBox error/> })}
        <Show when=move || feed.has_next_page().get()>
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
}

#[component]
fn PostItem(row: FeedRow, author: Option<String>) -> impl IntoView {
    let FeedRow { post, pending } = row;
    let author = author.unwrap_or_else(|| "a former member".to_owned());
    let href = format!("/posts/{}", post.id);
    view! {
        <li
            class="post"
            class:pending=pending
            data-testid="post-item"
            data-post-id=post.id.to_string()
            data-pending=pending.to_string()
        >
            <h2 data-testid="post-title-text">
                {if pending {
                    view! { <span>{post.title.to_string()}</span> }.into_any()
                } else {
                    view! { <a href=href data-testid="post-link">{post.title.to_string()}</a> }.into_any()
                }}
            </h2>
            <p class="byline">
                <span data-testid="post-author-name">{author}</span>
                " · "
                <time datetime=tidings::format_timestamp(&post.created_at)>
                    {post.created_at.format("%b %-d, %Y").to_string()}
                </time>
                {pending.then(|| view! {
                    " · " <span class="pending-mark" data-testid="post-pending">"pending"</span>
                })}
            </p>
            <p class="content" data-testid="post-content-text">{post.content.to_string()}</p>
        </li>
    }
}
