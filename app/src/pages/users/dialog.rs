//! The create / edit dialog: name, email, role, each with its own error
//! line. Input is checked with the server's own validation before it is
//! sent; the dialog then closes at once (the change shows optimistically)
//! and comes back, with the server's message beside the field it names,
//! if the server refuses.

use leptos::prelude::*;
use tidings::{NewUserInput, Role, User, UserPatchInput};

use super::actions::{use_users_state, CreateUser, EditUser, Editor};
use super::role_select::RoleSelect;
use crate::api::{platform, IdempotencyKey};
use crate::components::focus::{focus_when_mounted, keep_tab_inside, return_focus_on_cleanup};
use crate::offline::requests::draft_user;

/// The open dialog, if any.
#[component]
pub fn UserDialog() -> impl IntoView {
    let state = use_users_state();
    move || {
        state
            .editor
            .get()
            .map(|editor| view! { <EditorForm editor/> })
    }
}

/// Only the fields that differ from `user`.
fn changes(user: &User, name: &str, email: &str, role: Role) -> UserPatchInput {
    let differs = |new: &str, old: &str| (new.trim() != old).then(|| new.to_owned());
    UserPatchInput {
        name: differs(name, user.name.as_str()),
        email: differs(email, user.email.as_str()),
        role: (role != user.role).then(|| role.as_str().to_owned()),
        preferences: None,
    }
}

#[component]
fn EditorForm(editor: Editor) -> impl IntoView {
    let state = use_users_state();
    let Editor {
        user,
        name,
        email,
        role,
        errors,
    } = editor;
    let creating = user.is_none();
    let (name, email, role) = (
        RwSignal::new(name),
        RwSignal::new(email),
        RwSignal::new(role),
    );
    let errors = RwSignal::new(errors);
    let close = move || state.editor.set(None);
    // A modal dialog: the name takes the focus, Tab stays inside, and on
    // closing the focus goes back to what opened it.
    let (dialog, first_field) = (
        NodeRef::<leptos::html::Div>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    focus_when_mounted(first_field, || true);
    return_focus_on_cleanup();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, e, r) = (
            name.get_untracked(),
            email.get_untracked(),
            role.get_untracked(),
        );
        match &user {
            None => {
                let input = NewUserInput {
                    name: Some(n),
                    email: Some(e),
                    role: Some(r.as_str().to_owned()),
                    preferences: None,
                };
                let key = IdempotencyKey::random();
                match draft_user(&input, key.as_str(), platform::now_ms() as u64) {
                    Err(fields) => errors.set(fields),
                    Ok(draft) => {
                        close();
                        state.alert.set(None);
                        state.create.mutate(CreateUser { input, key, draft });
                    }
                }
            }
            Some(user) => {
                let input = changes(user, &n, &e, r);
                if input == UserPatchInput::default() {
                    close();
                    return;
                }
                match input.validate() {
                    Err(fields) => errors.set(fields),
                    Ok(_) => {
                        close();
                        state.alert.set(None);
                        state.edit.mutate(EditUser {
                            user: user.clone(),
                            input,
                            key: IdempotencyKey::random(),
                        });
                    }
                }
            }
        }
    };
    let error = move |field: &'static str| {
        move || {
            errors.with(|e| e.get(field).map(str::to_owned)).map(|message| view! {
                <span class="users-field-error" id=format!("user-form-{field}-error") data-testid=format!("user-form-error-{field}")>
                    {message}
                </span>
            })
        }
    };
    let invalid =
        move |field: &'static str| move || errors.with(|e| e.get(field).is_some()).to_string();
    let title = if creating { "New user" } else { "Edit user" };
    view! {
        <div class="users-dialog-backdrop" on:click=move |_| close()>
            <div
                class="users-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="user-dialog-title"
                data-testid="user-dialog"
                node_ref=dialog
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        close();
                    } else {
                        keep_tab_inside(&ev, dialog);
                    }
                }
            >
                <h2 id="user-dialog-title">{title}</h2>
                <form class="users-form" on:submit=submit novalidate>
                    <label>
                        "Name"
                        <input
                            type="text"
                            node_ref=first_field
                            data-testid="user-form-name"
                            maxlength="100"
                            aria-invalid=invalid("name")
                            aria-describedby="user-form-name-error"
                            bind:value=name
                        />
                        {error("name")}
                    </label>
                    <label>
                        "Email"
                        <input
                            type="email"
                            data-testid="user-form-email"
                            aria-invalid=invalid("email")
                            aria-describedby="user-form-email-error"
                            bind:value=email
                        />
                        {error("email")}
                    </label>
                    <label>
                        "Role"
                        <RoleSelect role testid="user-form-role"/>
                        {error("role")}
                    </label>
                    {move || errors.with(|e| e.get("body").map(str::to_owned)).map(|m| view! {
                        <p class="form-error" role="alert">{m}</p>
                    })}
                    <div class="users-form-actions">
                        <button type="button" class="secondary" data-testid="user-form-cancel" on:click=move |_| close()>
                            "Cancel"
                        </button>
                        <button type="submit" data-testid="user-form-save">
                            {if creating { "Create" } else { "Save" }}
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
    .into_any()
}
