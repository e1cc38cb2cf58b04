//! Changing a user's avatar: a file picker, a progress bar driven by the
//! upload's own progress events, and the server's reason when it refuses
//! (too large, not an image). The answer (the user with the new
//! `avatarUrl`) goes into the store, so the picture changes everywhere.
//! A file is not kept for later: offline, the picker is disabled and says
//! that an upload needs a connection.

use leptos::prelude::*;
use uuid::Uuid;

/// Upload state: `None` before any, else the percentage sent.
type Progress = Option<u32>;

#[component]
pub fn AvatarUpload(id: Uuid) -> impl IntoView {
    let progress = RwSignal::new(None::<u32> as Progress);
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let on_change = start(id, progress, done, error);
    let input_id = format!("avatar-input-{id}");
    let online = crate::offline::use_offline().connectivity().online();
    view! {
        <div class="user-avatar-upload">
            <input
                id=input_id.clone()
                class="visually-hidden"
                type="file"
                accept="image/png,image/jpeg,image/webp"
                data-testid="avatar-input"
                disabled=move || !online.get()
                on:change=on_change
            />
            <label class="users-upload-button" class:disabled=move || !online.get() for=input_id>
                "Change avatar"
            </label>
            <Show when=move || !online.get()>
                <p class="users-notice" role="status" data-testid="avatar-offline">
                    "You are offline: changing the avatar needs a connection."
                </p>
            </Show>
            {move || progress.get().map(|pct| view! {
                <div class="users-upload-progress">
                    <progress
                        max="100"
                        value=pct.to_string()
                        aria-label="Avatar upload"
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=pct.to_string()
                        data-testid="avatar-progress"
                    ></progress>
                    <span data-testid="avatar-progress-text">{format!("{pct} %")}</span>
                </div>
            })}
            <Show when=move || done.get()>
                <p class="users-notice" role="status" data-testid="avatar-done">"Avatar updated."</p>
            </Show>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-testid="avatar-error">{e}</p>
            })}
        </div>
    }
    .into_any()
}

/// The picker's change handler: sends the chosen file (in the browser).
#[cfg(feature = "hydrate")]
fn start(
    id: Uuid,
    progress: RwSignal<Progress>,
    done: RwSignal<bool>,
    error: RwSignal<Option<String>>,
) -> impl Fn(leptos::ev::Event) + 'static {
    use tidings::cache::{EntityOp, StoreOp};

    use crate::offline::sync::refusal;
    use crate::query::use_query_client;

    let client = use_query_client();
    let api = crate::api::use_api();
    move |ev| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        progress.set(Some(0));
        done.set(false);
        error.set(None);
        let (client, api) = (client.clone(), api.clone());
        leptos::task::spawn_local(async move {
            let sent =
                super::upload::send(&api, id, &file, move |pct| progress.set(Some(pct))).await;
            match sent {
                Ok(user) => {
                    progress.set(Some(100));
                    done.set(true);
                    client.confirm_entities(&[StoreOp::User(EntityOp::Upsert(user))]);
                }
                Err(e) => {
                    progress.set(None);
                    let reason = if e.is_unanswered() {
                        "the server could not be reached; an upload needs a connection, try again once you are back online".to_owned()
                    } else {
                        refusal(&e)
                    };
                    error.set(Some(format!("Could not upload: {reason}")));
                }
            }
            input.set_value("");
        });
    }
}

/// On the server nothing is chosen.
#[cfg(not(feature = "hydrate"))]
fn start(
    _: Uuid,
    _: RwSignal<Progress>,
    _: RwSignal<bool>,
    _: RwSignal<Option<String>>,
) -> impl Fn(leptos::ev::Event) + 'static {
    |_| {}
}
