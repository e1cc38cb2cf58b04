//! Writing a post. Online, the creation is a mutation whose optimistic
//! layer shows the post at once (pending), replaced by the server's post
//! on success and rolled back, with the server's reason, when refused.
//! Offline, or when the attempt gets no answer at all, the creation goes
//! to the outbox with the same idempotency key and lands when the server
//! is back.

use leptos::prelude::*;
use serde::Serialize;
use tidings::cache::{EntityOp, StoreOp, Tag};
use tidings::{NewPostInput, Post, User};
use uuid::Uuid;

use super::feed::use_own_posts;
use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::components::toasts::use_toasts;
use crate::offline::sync::refusal;
use crate::offline::{use_offline, OutboxRequest};
use crate::query::{use_mutation, MutationOptions, QueryResult};

/// One creation: what is sent, under which key, and the post shown
/// meanwhile (its id is the key).
#[derive(Debug, Clone, Serialize)]
struct CreatePost {
    input: NewPostInput,
    key: IdempotencyKey,
    draft: Post,
}

impl CreatePost {
    /// `None` (with the fields named) when `input` is not a valid post.
    fn new(input: NewPostInput) -> Result<Self, String> {
        let valid = input.validate().map_err(|fields| fields.to_string())?;
        let key = IdempotencyKey::random();
        let now = crate::api::platform::instant_at(crate::api::platform::now_ms());
        let draft = Post {
            id: Uuid::parse_str(key.as_str()).unwrap_or_else(|_| Uuid::nil()),
            title: valid.title,
            content: valid.content,
            author_id: valid.author_id,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        Ok(Self { input, key, draft })
    }
}

#[component]
pub fn PostForm(authors: QueryResult<Vec<User>>) -> impl IntoView {
    let api = use_api();
    let offline = use_offline();
    let title = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    let first_author = authors
        .data()
        .with_untracked(|a| a.as_ref().and_then(|a| a.first()).map(|u| u.id.to_string()));
    let author = RwSignal::new(first_author.unwrap_or_default());
    let error = RwSignal::new(None::<String>);

    let own = use_own_posts();
    let toasts = use_toasts();
    let create = use_mutation(
        move |call: CreatePost| {
            let created = api.create_post(call.input, Some(call.key));
            async move {
                let post = created.await?;
                // This tab's post: shown at once, not behind the pill.
                own.add(post.id);
                Ok(post)
            }
        },
        MutationOptions::default()
            .on_mutate(|call: &CreatePost| vec![StoreOp::Post(EntityOp::Add(call.draft.clone()))])
            .on_success(|_, post: &Post| vec![StoreOp::Post(EntityOp::Upsert(post.clone()))])
            .invalidates([Tag::Posts])
            .divert(offline.divert(|call: &CreatePost| {
                (call.key.clone(), OutboxRequest::create_post(&call.input))
            }))
            .on_error(move |_: &CreatePost, e: &ApiError| {
                let message = format!("Could not publish: {}", refusal(e));
                toasts.error(message.clone());
                error.set(Some(message));
            }),
    );

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewPostInput {
            title: Some(title.get_untracked()),
            content: Some(content.get_untracked()),
            author_id: Some(author.get_untracked()).filter(|a| !a.is_empty()),
        };
        let call = match CreatePost::new(input) {
            Ok(call) => call,
            Err(fields) => {
                error.set(Some(fields));
                return;
            }
        };
        error.set(None);
        create.mutate(call);
        title.set(String::new());
        content.set(String::new());
    };

    view! {
        <form class="post-form" data-testid="post-form" on:submit=submit novalidate>
            <h2>"Write a post"</h2>
            <label>
                "Title"
                <input type="text" data-testid="post-title" maxlength="200" bind:value=title/>
            </label>
            <label>
                "Content"
                <textarea data-testid="post-content" rows="4" bind:value=content></textarea>
            </label>
            <label>
                "Author"
                <select data-testid="post-author" bind:value=author>
                    <For
                        each=move || authors.data().get().unwrap_or_default()
                        key=|u| (u.id, u.version)
                        let:u
                    >
                        <option value=u.id.to_string()>{u.name.to_string()}</option>
                    </For>
                </select>
            </label>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-testid="post-form-error">{e}</p>
            })}
            <button type="submit" data-testid="post-submit">"Publish"</button>
        </form>
    }
}
