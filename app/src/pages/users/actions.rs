//! The users page's writes, each an optimistic mutation over the
//! normalized store: create (a pending draft row at once), edit, delete
//! (the row goes at once), and the batch role change (every selected row
//! shows its new role at once). A refusal drops the call's layer, so the
//! rows show what they showed before, and the server's reason is put in
//! the page's alert; a 412 also brings in the users as they now are.
//! Offline (or unanswered), each goes to the outbox instead, under its
//! idempotency key and the versions it read, and replays when the server
//! is back.
//!
//! [`UsersState`] is what the page's parts share through context.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::Serialize;
use tidings::cache::{EntityOp, StoreOp, Tag};
use tidings::{FieldErrors, NewUserInput, Role, User, UserBatchUpdateInput, UserPatchInput};
use uuid::Uuid;

use super::rows::Recent;
use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::offline::sync::refusal;
use crate::offline::{use_offline, OutboxRequest};
use crate::query::{use_mutation, use_query_client, Mutation, MutationOptions};

/// What the create / edit dialog holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    /// `None` to create a user, else the user being edited (as read).
    pub user: Option<User>,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Messages by field name (`name`, `email`, `role`).
    pub errors: FieldErrors,
}

impl Editor {
    /// An empty form for a new user.
    pub fn create() -> Self {
        Self {
            user: None,
            name: String::new(),
            email: String::new(),
            role: Role::User,
            errors: FieldErrors::new(),
        }
    }

    /// The form filled with `user`.
    pub fn edit(user: User) -> Self {
        Self {
            name: user.name.to_string(),
            email: user.email.to_string(),
            role: user.role,
            user: Some(user),
            errors: FieldErrors::new(),
        }
    }
}

/// State shared by the parts of the users page.
#[derive(Clone, Copy)]
pub struct UsersState {
    /// Selected users, each with the version it was selected at (the
    /// version a batch change names).
    pub selection: RwSignal<BTreeMap<Uuid, i64>>,
    /// The last refusal, in the server's words.
    pub alert: RwSignal<Option<String>>,
    /// The last success worth telling.
    pub notice: RwSignal<Option<String>>,
    /// Users created and deleted here.
    pub recent: RwSignal<Recent>,
    /// The open dialog, if any.
    pub editor: RwSignal<Option<Editor>>,
    pub create: Mutation<CreateUser, User>,
    pub edit: Mutation<EditUser, User>,
    pub delete: Mutation<DeleteUser, ()>,
    pub batch: Mutation<BatchRole, Vec<User>>,
}

/// The page's [`UsersState`].
///
/// # Panics
/// Outside the users page.
pub fn use_users_state() -> UsersState {
    expect_context::<UsersState>()
}

/// One creation: the input, its key, and the draft shown meanwhile (its
/// id is the key).
#[derive(Debug, Clone, Serialize)]
pub struct CreateUser {
    pub input: NewUserInput,
    pub key: IdempotencyKey,
    pub draft: User,
}

/// One edit of `user` (as read) with `input`.
#[derive(Debug, Clone, Serialize)]
pub struct EditUser {
    pub user: User,
    pub input: UserPatchInput,
    pub key: IdempotencyKey,
}

/// One deletion of `user` (as read).
#[derive(Debug, Clone, Serialize)]
pub struct DeleteUser {
    pub user: User,
    pub key: IdempotencyKey,
}

/// One batch: each user with the version read, all to `role`.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRole {
    pub users: Vec<(Uuid, i64)>,
    pub role: Role,
    pub key: IdempotencyKey,
}

impl BatchRole {
    /// The batch as sent: each user at the version read, to the role.
    pub fn updates(&self) -> Vec<UserBatchUpdateInput> {
        self.users
            .iter()
            .map(|(id, version)| UserBatchUpdateInput {
                id: Some(id.to_string()),
                version: Some(*version),
                changes: Some(UserPatchInput {
                    role: Some(self.role.as_str().to_owned()),
                    ..Default::default()
                }),
            })
            .collect()
    }
}

/// Field messages of a refusal: a 422's details, or a 409's (which name
/// the field that clashes).
pub fn field_errors(error: &ApiError) -> FieldErrors {
    match error {
        ApiError::Http {
            status: 409 | 422,
            details,
            ..
        } => serde_json::from_value(details.clone()).unwrap_or_default(),
        _ => FieldErrors::new(),
    }
}

fn upserts(users: &[User]) -> Vec<StoreOp> {
    users
        .iter()
        .map(|u| StoreOp::User(EntityOp::Upsert(u.clone())))
        .collect()
}

impl UsersState {
    /// Creates the state and its mutations, and provides it.
    pub fn provide() -> Self {
        let alert = RwSignal::new(None::<String>);
        let notice = RwSignal::new(None::<String>);
        let editor = RwSignal::new(None::<Editor>);
        let recent = RwSignal::new(Recent::default());
        let selection = RwSignal::new(BTreeMap::<Uuid, i64>::new());
        let client = StoredValue::new(use_query_client());
        // A refusal with the current state: show it as it now is.
        let learn = move |error: &ApiError| {
            let current = error.current_users();
            if !current.is_empty() {
                client.with_value(|c| c.confirm_entities(&upserts(&current)));
            }
            current
        };
        let api = use_api();
        let offline = use_offline();
        let create =
            use_mutation(
                {
                    let api = api.clone();
                    move |c: CreateUser| api.create_user(c.input, Some(c.key))
                },
                MutationOptions::default()
                    .on_mutate(|c: &CreateUser| vec![StoreOp::User(EntityOp::Add(c.draft.clone()))])
                    .on_success(move |_, user: &User| {
                        recent.update(|r| r.created.push(user.id));
                        notice.set(Some(format!("Created {}.", user.name)));
                        upserts(std::slice::from_ref(user))
                    })
                    .invalidates([Tag::Users])
                    .divert(offline.divert(|c: &CreateUser| {
                        (c.key.clone(), OutboxRequest::create_user(&c.input))
                    }))
                    .on_error(move |c: &CreateUser, e: &ApiError| {
                        alert.set(Some(format!(
                            "Could not create {}: {}",
                            c.draft.name,
                            refusal(e)
                        )));
                        editor.set(Some(Editor {
                            name: c.input.name.clone().unwrap_or_default(),
                            email: c.input.email.clone().unwrap_or_default(),
                            role: c.draft.role,
                            errors: field_errors(e),
                            user: None,
                        }));
                    }),
            );
        let edit = use_mutation(
            {
                let api = api.clone();
                move |e: EditUser| api.update_user(e.user.id, e.user.version, e.input, Some(e.key))
            },
            MutationOptions::default()
                .scope(|e: &EditUser| Some(format!("user:{}", e.user.id)))
                .on_mutate(|e: &EditUser| match e.input.validate() {
                    Ok(patch) => vec![StoreOp::User(EntityOp::Update {
                        id: e.user.id,
                        patch,
                    })],
                    Err(_) => Vec::new(),
                })
                .on_success(move |_, user: &User| {
                    notice.set(Some(format!("Saved {}.", user.name)));
                    upserts(std::slice::from_ref(user))
                })
                .invalidates([Tag::Users])
                .divert(offline.divert(|e: &EditUser| {
                    let request = OutboxRequest::update_user(e.user.id, e.user.version, &e.input);
                    (e.key.clone(), request)
                }))
                .on_error(move |e: &EditUser, error: &ApiError| {
                    let user = learn(error).pop().unwrap_or_else(|| e.user.clone());
                    alert.set(Some(format!(
                        "Could not save {}: {}",
                        e.user.name,
                        refusal(error)
                    )));
                    let mut reopened = Editor::edit(user);
                    reopened.name = e.input.name.clone().unwrap_or(reopened.name);
                    reopened.email = e.input.email.clone().unwrap_or(reopened.email);
                    reopened.errors = field_errors(error);
                    editor.set(Some(reopened));
                }),
        );
        let delete = use_mutation(
            {
                let api = api.clone();
                move |d: DeleteUser| api.delete_user(d.user.id, d.user.version, Some(d.key))
            },
            MutationOptions::default()
                .scope(|d: &DeleteUser| Some(format!("user:{}", d.user.id)))
                .on_mutate(|d: &DeleteUser| vec![StoreOp::User(EntityOp::Remove(d.user.id))])
                .on_success(move |d: &DeleteUser, _| {
                    recent.update(|r| {
                        r.deleted.insert(d.user.id);
                    });
                    notice.set(Some(format!("Deleted {}.", d.user.name)));
                    vec![StoreOp::User(EntityOp::Remove(d.user.id))]
                })
                .invalidates([Tag::Users])
                .divert(offline.divert(|d: &DeleteUser| {
                    let request = OutboxRequest::delete_user(d.user.id, d.user.version);
                    (d.key.clone(), request)
                }))
                .on_error(move |d: &DeleteUser, e: &ApiError| {
                    learn(e);
                    alert.set(Some(format!(
                        "Could not delete {}: {}",
                        d.user.name,
                        refusal(e)
                    )));
                }),
        );
        let batch = use_mutation(
            move |b: BatchRole| api.batch_update_users(b.updates(), Some(b.key)),
            MutationOptions::default()
                .on_mutate(|b: &BatchRole| {
                    b.users
                        .iter()
                        .map(|(id, _)| {
                            StoreOp::User(EntityOp::Update {
                                id: *id,
                                patch: tidings::UserPatch {
                                    role: Some(b.role),
                                    ..Default::default()
                                },
                            })
                        })
                        .collect()
                })
                .on_success(move |b: &BatchRole, users: &Vec<User>| {
                    selection.set(BTreeMap::new());
                    notice.set(Some(format!(
                        "Changed the role of {} users to {}.",
                        users.len(),
                        b.role
                    )));
                    upserts(users)
                })
                .invalidates([Tag::Users])
                .divert(offline.divert(|b: &BatchRole| {
                    (
                        b.key.clone(),
                        OutboxRequest::batch_update_users(&b.updates()),
                    )
                }))
                .on_error(move |b: &BatchRole, e: &ApiError| {
                    // Keep the selection, at the versions the server now has,
                    // so the change can be reviewed and applied again.
                    for user in learn(e) {
                        selection.update(|s| {
                            if let Some(v) = s.get_mut(&user.id) {
                                *v = user.version;
                            }
                        });
                    }
                    alert.set(Some(format!(
                        "Could not change the role of {} users; nothing was changed: {}",
                        b.users.len(),
                        refusal(e)
                    )));
                }),
        );
        let state = Self {
            selection,
            alert,
            notice,
            recent,
            editor,
            create,
            edit,
            delete,
            batch,
        };
        provide_context(state);
        state
    }
}
