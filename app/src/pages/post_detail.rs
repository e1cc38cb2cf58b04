//! One post at `/posts/:id`: its title, content and author, read through
//! a query and shown as the store last saw it (so an edit made elsewhere
//! shows as soon as its event arrives), with a form to edit it
//! (optimistic, `If-Match` the version shown).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::Serialize;
use tidings::cache::{EntityOp, QueryOptions, StoreOp, Tag};
use tidings::{Post, PostPatchInput};
use uuid::Uuid;

use super::posts::{names, use_authors, POSTS_STALE_MS};
use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::components::error_box::ErrorBox;
use crate::components::layout::NotFound;
use crate::offline::sync::refusal;
use crate::query::{use_mutation, use_query, use_query_client, MutationOptions};

#[component]
pub fn PostDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|raw| Uuid::parse_str(&raw).ok())
    });
    move || match id.get() {
        Some(id) => view! { <PostDetail id/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}

#[component]
fn PostDetail(id: Uuid) -> impl IntoView {
    let api = use_api();
    let post = use_query(
        move || ("post", id),
        move |(_, id)| api.get_post(id),
        QueryOptions::default()
            .stale_time(POSTS_STALE_MS)
            .tags([Tag::Posts, Tag::Post(id)]),
    );
    let authors = use_authors();
    let store = use_query_client().store();
    let shown = Memo::new(move |_| {
        let fetched = post.data().get()?;
        let held = store.with(|s| {
            s.visible()
                .posts
                .get(&fetched.id)
                .filter(|held| held.version >= fetched.version)
                .cloned()
        });
        Some(held.unwrap_or(fetched))
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the post…"</p> }>
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
                        view! { <PostView post=shown author/> }.into_any()
                    }
                    (None, Some(ApiError::Http { status: 404, .. })) => view! { <NotFound/> }.into_any(),
                    (None, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                    (None, None) => view! { <p class="loading">"Loading the post…"</p> }.into_any(),
                }
            }}
        </Suspense>
    }
}

#[component]
fn PostView(post: Post, author: Option<String>) -> impl IntoView {
    let author = author.unwrap_or_else(|| "a former member".to_owned());
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
            <EditPost post=post.clone()/>
            <p><a href="/posts">"← All posts"</a></p>
        </article>
    }
}

/// One edit: the change, the post as it will read (shown meanwhile; its
/// version is the one the change was made against), its key.
#[derive(Debug, Clone, Serialize)]
struct Edit {
    input: PostPatchInput,
    edited: Post,
    key: IdempotencyKey,
}

#[component]
fn EditPost(post: Post) -> impl IntoView {
    let api = use_api();
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let edit = use_mutation(
        move |e: Edit| api.update_post(e.edited.id, e.edited.version, e.input, Some(e.key)),
        MutationOptions::default()
            .on_mutate(|e: &Edit| vec![StoreOp::Post(EntityOp::Upsert(e.edited.clone()))])
            .on_success(|_, post: &Post| vec![StoreOp::Post(EntityOp::Upsert(post.clone()))])
            .invalidates([Tag::Posts])
            .on_error(move |_, e: &ApiError| {
                error.set(Some(format!("Could not save: {}", refusal(e))))
            }),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PostPatchInput {
            title: Some(title.get_untracked()),
            content: None,
        };
        let patch = match input.validate() {
            Ok(patch) => patch,
            Err(fields) => {
                error.set(Some(fields.to_string()));
                return;
            }
        };
        error.set(None);
        let edited = patch.apply(&post);
        let key = IdempotencyKey::random();
        edit.mutate(Edit { input, edited, key });
        title.set(String::new());
    };
    view! {
        <form class="post-edit" data-testid="post-edit" on:submit=submit novalidate>
            <label>
                "New title"
                <input type="text" data-testid="post-edit-title" maxlength="200" bind:value=title/>
            </label>
            <button type="submit" data-testid="post-edit-submit">"Save"</button>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-testid="post-edit-error">{e}</p>
            })}
        </form>
    }
}
