//! Editing a post, in the feed or on its page. The change shows at once
//! (an optimistic layer) and names the version the editor was opened on
//! (`If-Match`). Refused, it is rolled back and a toast carries the
//! server's message; refused because the post changed meanwhile (412),
//! the editor reopens on the newer version the server sent, and the
//! writer re-applies their change on top of it or discards it.
//!
//! The draft lives in an [`Editor`] owned by the page, not in the view: a
//! realtime update re-renders the post without losing what was typed.

use leptos::prelude::*;
use serde::Serialize;
use tidings::cache::{EntityOp, StoreOp, Tag};
use tidings::{Post, PostPatchInput};
use uuid::Uuid;

use super::post_draft::Draft;
use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::components::focus::{focus_is_lost, focus_when_mounted};
use crate::components::toasts::use_toasts;
use crate::offline::sync::refusal;
use crate::offline::{use_offline, OutboxRequest, QueuedWrite};
use crate::query::{use_mutation, use_query_client, Mutation, MutationOptions};

/// One save: the change, the post as it will read (its version is the
/// one named), the draft to reopen if refused, the key.
#[derive(Debug, Clone, Serialize)]
struct Edit {
    input: PostPatchInput,
    edited: Post,
    draft: Draft,
    key: IdempotencyKey,
}

/// The editor of a page: at most one draft, and the save mutation. `Copy`.
#[derive(Clone, Copy)]
pub struct Editor {
    draft: RwSignal<Option<Draft>>,
    save: Mutation<Edit, Post>,
    /// The post whose editor closed last: its "Edit" takes the focus back
    /// when shown with the focus lost (the editor's controls went away
    /// with it), however often the saved post's view is rebuilt meanwhile.
    focus_back: StoredValue<Option<Uuid>>,
    /// Whether the content field (rather than the title) had the focus
    /// last: a rebuilt editor (a realtime update re-renders the post)
    /// gives it back there.
    in_content: StoredValue<bool>,
}

/// An editor for the current page.
pub fn use_editor() -> Editor {
    let api = use_api();
    let toasts = use_toasts();
    let client = use_query_client();
    let offline = use_offline();
    let draft = RwSignal::new(None::<Draft>);
    // Back to the refused draft, unless another post's editor was opened
    // meanwhile.
    let reopen = move |again: Draft| {
        draft.update(|d| {
            if d.as_ref()
                .is_none_or(|d| d.original.id == again.original.id)
            {
                *d = Some(again);
            }
        })
    };
    let save = use_mutation(
        move |e: Edit| api.update_post(e.edited.id, e.edited.version, e.input, Some(e.key)),
        MutationOptions::default()
            .scope(|e: &Edit| Some(format!("post:{}", e.edited.id)))
            .on_mutate(|e: &Edit| vec![StoreOp::Post(EntityOp::Upsert(e.edited.clone()))])
            .on_success(|_, post: &Post| vec![StoreOp::Post(EntityOp::Upsert(post.clone()))])
            .invalidates([Tag::Posts])
            .divert(offline.divert(|e: &Edit| {
                let request = OutboxRequest::update_post(e.edited.id, e.edited.version, &e.input);
                (e.key.clone(), request)
            }))
            .on_error(move |e: &Edit, error: &ApiError| {
                if let Some(current) = error.current::<Post>() {
                    let newer = StoreOp::Post(EntityOp::Upsert(current.clone()));
                    client.confirm_entities(&[newer]);
                    toasts.error(format!("Not saved: {error}"));
                    reopen(e.draft.clone().rebased(current));
                } else {
                    let reason = refusal(error);
                    toasts.error(format!("Could not save your edit: {reason}"));
                    reopen(Draft {
                        error: Some(reason),
                        ..e.draft.clone()
                    });
                }
            }),
    );
    reopen_on_replayed_conflicts(offline.refusals(), reopen);
    Editor {
        draft,
        save,
        focus_back: StoredValue::new(None),
        in_content: StoredValue::new(false),
    }
}

/// A post edit made offline and refused on replay because the post
/// changed meanwhile reopens in the conflict view, as it would online: the
/// writer's change over the version the server sent.
fn reopen_on_replayed_conflicts(
    refusals: Signal<Vec<crate::offline::Refusal>>,
    reopen: impl Fn(Draft) + 'static,
) {
    let seen = StoredValue::new(refusals.with_untracked(Vec::len));
    Effect::new(move |_| {
        let fresh: Vec<_> = refusals.with(|r| r.iter().skip(seen.get_value()).cloned().collect());
        seen.update_value(|n| *n += fresh.len());
        for refusal in fresh {
            let (Some(QueuedWrite::UpdatePost { patch, .. }), Some(current)) =
                (&refusal.write, refusal.error.current::<Post>())
            else {
                continue;
            };
            let mut draft = Draft::open(current.clone());
            draft.title = patch.title.clone().unwrap_or(draft.title);
            draft.content = patch.content.clone().unwrap_or(draft.content);
            reopen(draft.rebased(current));
        }
    });
}

impl Editor {
    /// Opens the editor on `post` (closing any other).
    pub fn open(&self, post: Post) {
        self.focus_back.set_value(None);
        self.in_content.set_value(false);
        self.draft.set(Some(Draft::open(post)));
    }

    pub fn close(&self) {
        let open_on = self
            .draft
            .with_untracked(|d| d.as_ref().map(|d| d.original.id));
        self.focus_back.set_value(open_on);
        self.draft.set(None);
    }

    /// Makes `button`, the "Edit" of post `id`, take the focus back when it
    /// is shown after that post's editor closed and nothing holds the focus.
    pub fn return_focus_to(&self, id: Uuid, button: NodeRef<leptos::html::Button>) {
        let focus_back = self.focus_back;
        focus_when_mounted(button, move || {
            if focus_back.get_value() != Some(id) {
                return false;
            }
            // Focus held elsewhere: the reader has moved on.
            let lost = focus_is_lost();
            if !lost {
                focus_back.set_value(None);
            }
            lost
        });
    }

    /// Whether the editor is open on post `id` (tracked).
    pub fn is_open_on(&self, id: Uuid) -> bool {
        self.draft
            .with(|d| d.as_ref().is_some_and(|d| d.original.id == id))
    }

    /// Saves the draft against its base; closes the editor at once (the
    /// change shows) unless it is invalid or changes nothing.
    pub fn save(&self) {
        let Some(draft) = self.draft.get_untracked() else {
            return;
        };
        let input = draft.change();
        if input.title.is_none() && input.content.is_none() {
            self.close();
            return;
        }
        let patch = match input.validate() {
            Ok(patch) => patch,
            Err(fields) => {
                self.draft.update(|d| {
                    if let Some(d) = d {
                        d.error = Some(fields.to_string());
                    }
                });
                return;
            }
        };
        let edited = patch.apply(&draft.base);
        let draft = Draft {
            conflict: None,
            error: None,
            ..draft
        };
        self.close();
        self.save.mutate(Edit {
            input,
            edited,
            draft,
            key: IdempotencyKey::random(),
        });
    }

    /// After a conflict: saves the writer's change on top of the newer
    /// version (the draft was rebased on it).
    pub fn reapply(&self) {
        self.draft.update(|d| {
            if let Some(d) = d {
                d.conflict = None;
            }
        });
        self.save();
    }

    fn set_title(&self, title: String) {
        self.draft.update(|d| {
            if let Some(d) = d {
                d.title = title;
            }
        });
    }

    fn set_content(&self, content: String) {
        self.draft.update(|d| {
            if let Some(d) = d {
                d.content = content;
            }
        });
    }

    fn read<T>(&self, f: impl Fn(&Draft) -> T) -> Option<T> {
        self.draft.with(|d| d.as_ref().map(f))
    }
}

/// The open editor's form (render it where [`Editor::is_open_on`]).
#[component]
pub fn PostEditor(editor: Editor) -> impl IntoView {
    // Opened in place of the "Edit" pressed, the title takes the focus;
    // rebuilt while open, the field that had it.
    let title = NodeRef::<leptos::html::Input>::new();
    let content = NodeRef::<leptos::html::Textarea>::new();
    let in_content = editor.in_content;
    focus_when_mounted(title, move || !in_content.get_value() && focus_is_lost());
    focus_when_mounted(content, move || in_content.get_value() && focus_is_lost());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        editor.save();
    };
    let conflict = Memo::new(move |_| editor.read(|d| d.conflict.clone()).flatten());
    let error = Memo::new(move |_| editor.read(|d| d.error.clone()).flatten());
    view! {
        <form class="post-edit" data-testid="post-edit" on:submit=submit novalidate>
            <label>
                "Title"
                <input
                    type="text"
                    node_ref=title
                    data-testid="post-edit-title"
                    maxlength="200"
                    on:focus=move |_| in_content.set_value(false)
                    prop:value=move || editor.read(|d| d.title.clone()).unwrap_or_default()
                    on:input=move |ev| editor.set_title(event_target_value(&ev))
                />
            </label>
            <label>
                "Content"
                <textarea
                    node_ref=content
                    data-testid="post-edit-content"
                    on:focus=move |_| in_content.set_value(true)
                    rows="4"
                    prop:value=move || editor.read(|d| d.content.clone()).unwrap_or_default()
                    on:input=move |ev| editor.set_content(event_target_value(&ev))
                ></textarea>
            </label>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-testid="post-edit-error">{e}</p>
            })}
            {move || conflict.get().map(|theirs| view! { <Conflict theirs editor/> })}
            <Show when=move || conflict.with(Option::is_none)>
                <div class="post-edit-actions">
                    <button type="submit" data-testid="post-edit-submit">"Save"</button>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="post-edit-cancel"
                        on:click=move |_| editor.close()
                    >
                        "Cancel"
                    </button>
                </div>
            </Show>
        </form>
    }
    .into_any()
}

/// The newer version next to the writer's change, and the two ways on.
#[component]
fn Conflict(theirs: Post, editor: Editor) -> impl IntoView {
    view! {
        <div class="post-conflict" role="alert" data-testid="post-conflict">
            <p class="post-conflict-lead">
                <strong>"This post changed while you were editing."</strong>
                " Your change was not saved. The current version is below; your edits stay in the form."
            </p>
            <blockquote class="post-conflict-theirs">
                <p class="post-conflict-title" data-testid="post-conflict-title">{theirs.title.to_string()}</p>
                <p class="post-conflict-content" data-testid="post-conflict-content">{theirs.content.to_string()}</p>
            </blockquote>
            <div class="post-conflict-actions">
                <button type="button" data-testid="post-conflict-reapply" on:click=move |_| editor.reapply()>
                    "Re-apply my change"
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="post-conflict-discard"
                    on:click=move |_| editor.close()
                >
                    "Discard my change"
                </button>
            </div>
        </div>
    }
    .into_any()
}
