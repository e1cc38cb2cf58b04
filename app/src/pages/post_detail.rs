//! One post at `/posts/:id`: its title, content and author, read through
//! a query and shown as the store last saw it (so an edit made elsewhere
//! shows as soon as its event arrives), with an editor (optimistic,
//! `If-Match` the version it was opened on, see `post_editor`).

use crate::keys;
use crate::pages::use_id_param;
use leptos::prelude::*;
use tidings::cache::{QueryOptions, Tag};
use tidings::Post;
use uuid::Uuid;

use super::post_editor::{use_editor, Editor, PostEditor};
use super::posts::{names, use_authors, POSTS_STALE_MS};
use crate::api::{use_api, ApiError};
use crate::components::error_box::ErrorBox;
use crate::components::layout::NotFound;
use crate::components::skeleton::Skeleton;
use crate::query::use_query;

#[component]
pub fn PostDetailPage() -> impl IntoView {
    let id = use_id_param();
    move || match id.get() {
        Some(id) => view! { <PostDetail id/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}

#[component]
fn PostDetail(id: Uuid) -> impl IntoView {
    let api = use_api();
    let post = use_query(
        move || keys::posts::detail(id),
        move |(_, _, id)| api.get_post(id),
        QueryOptions::default()
            .stale_time(POSTS_STALE_MS)
            .tags([Tag::Posts, Tag::Post(id)]),
    );
    let authors = use_authors();
    let editor = use_editor();
    let shown = post.data();
    view! {
        <Suspense fallback=|| view! { <Skeleton label="Loading the post…" rows=3/> }>
            {move || {
                untrack(|| {
                    post.data().with(|_| ());
                    authors.data().with(|_| ());
                });
                match (shown.get(), post.error().get()) {
                    (Some(shown), _) => {
                        let author = authors.data().with_untracked(|a| {
                            names(a.as_deref().unwrap_or(&[])).remove(&shown.author_id)
                        });
                        view! { <PostView post=shown author editor/> }.into_any()
                    }
                    (None, Some(ApiError::Http { status: 404, .. })) => view! { <NotFound/> }.into_any(),
                    (None, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                    (None, None) => view! { <Skeleton label="Loading the post…" rows=3/> }.into_any(),
                }
            }}
        </Suspense>
    }
}

#[component]
fn PostView(post: Post, author: Option<String>, editor: Editor) -> impl IntoView {
    let author = author.unwrap_or_else(|| "a former member".to_owned());
    let id = post.id;
    let editing = Memo::new(move |_| editor.is_open_on(id));
    let opened = post.clone();
    let edit_button = NodeRef::<leptos::html::Button>::new();
    editor.return_focus_to(id, edit_button);
    view! {
        <article class="post-detail" data-testid="post-detail" data-post-id=post.id.to_string()>
            <h1 data-testid="post-detail-title">{post.title.to_string()}</h1>
            <p class="byline">
                <span data-testid="post-detail-author">{author}</span>
                " · "
                <time datetime=tidings::format_timestamp(&post.created_at)>
                    {post.created_at.format("%b %-d, %Y").to_string()}
                </time>
            </p>
            <p class="content" data-testid="post-detail-content">{post.content.to_string()}</p>
            <Show
                when=move || editing.get()
                fallback=move || {
                    let opened = opened.clone();
                    view! {
                        <div class="post-actions">
                            <button
                                type="button"
                                node_ref=edit_button
                                data-testid="post-edit-open"
                                on:click=move |_| editor.open(opened.clone())
                            >
                                "Edit"
                            </button>
                        </div>
                    }
                }
            >
                <PostEditor editor/>
            </Show>
            <p><a href="/posts">"← All posts"</a></p>
        </article>
    }
    .into_any()
}
