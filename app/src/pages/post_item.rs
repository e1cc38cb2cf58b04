//! One post of the feed, with its edit and delete actions, and the
//! feed's delete mutation: the post goes at once (an optimistic layer
//! removing it), comes back with the server's reason in a toast when the
//! server refuses, and stays gone once confirmed, until the feed's pages
//! no longer hold it.

use std::collections::HashSet;

use leptos::prelude::*;
use serde::Serialize;
use tidings::cache::{EntityOp, StoreOp, Tag};
use tidings::Post;
use uuid::Uuid;

use super::feed::FeedRow;
use super::post_editor::{Editor, PostEditor};
use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::components::focus::{focus_is_lost, focus_when_mounted};
use crate::components::toasts::use_toasts;
use crate::offline::sync::refusal;
use crate::offline::{use_offline, OutboxRequest};
use crate::query::{use_mutation, Mutation, MutationOptions};

/// One deletion: the post as it was read (its version is named), the key.
#[derive(Debug, Clone, Serialize)]
pub struct DeletePost {
    post: Post,
    key: IdempotencyKey,
}

/// The feed's delete mutation; confirmed deletions go into `deleted`.
pub fn use_delete_post(deleted: RwSignal<HashSet<Uuid>>) -> Mutation<DeletePost, ()> {
    let api = use_api();
    let toasts = use_toasts();
    use_mutation(
        move |d: DeletePost| {
            let call = api.delete_post(d.post.id, d.post.version, Some(d.key));
            async move {
                call.await?;
                // Before the layer goes: the post must not flash back.
                deleted.update(|gone| {
                    gone.insert(d.post.id);
                });
                Ok(())
            }
        },
        MutationOptions::default()
            .scope(|d: &DeletePost| Some(format!("post:{}", d.post.id)))
            .on_mutate(|d: &DeletePost| vec![StoreOp::Post(EntityOp::Remove(d.post.id))])
            .on_success(|d: &DeletePost, _: &()| vec![StoreOp::Post(EntityOp::Remove(d.post.id))])
            .invalidates([Tag::Posts])
            .divert(use_offline().divert(|d: &DeletePost| {
                let request = OutboxRequest::delete_post(d.post.id, d.post.version);
                (d.key.clone(), request)
            }))
            .on_error(move |d: &DeletePost, e: &ApiError| {
                toasts.error(format!(
                    "Could not delete “{}”: {}",
                    d.post.title,
                    refusal(e)
                ));
            }),
    )
}

/// A post of the feed. While pending it has no link and no actions.
#[component]
pub fn PostItem(
    row: FeedRow,
    author: Option<String>,
    editor: Editor,
    delete: Mutation<DeletePost, ()>,
) -> impl IntoView {
    let FeedRow { post, pending } = row;
    let author = author.unwrap_or_else(|| "a former member".to_owned());
    let href = format!("/posts/{}", post.id);
    let id = post.id;
    let editing = Memo::new(move |_| editor.is_open_on(id));
    let confirming = RwSignal::new(false);
    let stored = StoredValue::new(post.clone());
    // The focus follows the actions as they replace each other: into the
    // editor (see `PostEditor`) and back to "Edit" when it closes; to
    // "Keep" when a deletion asks to be confirmed, back to "Delete" on Keep.
    let (edit_button, delete_button, keep_button) = (
        NodeRef::<leptos::html::Button>::new(),
        NodeRef::<leptos::html::Button>::new(),
        NodeRef::<leptos::html::Button>::new(),
    );
    editor.return_focus_to(id, edit_button);
    let kept = StoredValue::new(false);
    focus_when_mounted(delete_button, move || {
        let was_kept = kept.get_value();
        kept.set_value(false);
        was_kept && focus_is_lost()
    });
    focus_when_mounted(keep_button, focus_is_lost);
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
            <Show when=move || editing.get()>
                <PostEditor editor/>
            </Show>
            <Show when=move || !pending && !editing.get()>
                <div class="post-actions">
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button
                                type="button"
                                class="link"
                                node_ref=edit_button
                                data-testid="post-edit-open"
                                on:click=move |_| editor.open(stored.get_value())
                            >
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="link danger"
                                node_ref=delete_button
                                data-testid="post-delete"
                                on:click=move |_| confirming.set(true)
                            >
                                "Delete"
                            </button>
                        }
                    >
                        <span class="post-confirm" role="group" aria-label="Confirm deletion">
                            "Delete this post?"
                            <button
                                type="button"
                                class="danger"
                                data-testid="post-delete-confirm"
                                on:click=move |_| {
                                    confirming.set(false);
                                    delete.mutate(DeletePost {
                                        post: stored.get_value(),
                                        key: IdempotencyKey::random(),
                                    });
                                }
                            >
                                "Delete"
                            </button>
                            <button
                                type="button"
                                class="secondary"
                                node_ref=keep_button
                                data-testid="post-delete-cancel"
                                on:click=move |_| {
                                    kept.set_value(true);
                                    confirming.set(false);
                                }
                            >
                                "Keep"
                            </button>
                        </span>
                    </Show>
                </div>
            </Show>
        </li>
    }
    .into_any()
}
