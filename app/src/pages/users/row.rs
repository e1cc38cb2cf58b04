//! One row of the users table: selection box, avatar and name (a link to
//! the user's page that prefetches it on hover or focus), email, role,
//! dates, and the row's actions (edit, delete with a second click to
//! confirm). A pending row (created here, unanswered) offers none.

use leptos::prelude::*;

use super::actions::{use_users_state, DeleteUser, Editor};
use super::rows::UserRow;
use crate::api::IdempotencyKey;
use crate::components::users_avatar::UserAvatar;
use crate::pages::user::use_prefetch_user;

#[component]
pub fn UserRowView(row: UserRow) -> impl IntoView {
    let state = use_users_state();
    let UserRow { user, pending } = row;
    let (id, version) = (user.id, user.version);
    let selected = move || state.selection.with(|s| s.contains_key(&id));
    let select = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        state.selection.update(|s| {
            if on {
                s.insert(id, version);
            } else {
                s.remove(&id);
            }
        });
    };
    let prefetch = use_prefetch_user();
    let armed = RwSignal::new(false);
    let name = user.name.to_string();
    let href = format!("/users/{id}");
    let edit = {
        let user = user.clone();
        move |_| {
            state.alert.set(None);
            state.editor.set(Some(Editor::edit(user.clone())));
        }
    };
    let delete = {
        let user = user.clone();
        move |_| {
            if !armed.get_untracked() {
                armed.set(true);
                return;
            }
            state.alert.set(None);
            state.selection.update(|s| {
                s.remove(&user.id);
            });
            state.delete.mutate(DeleteUser {
                user: user.clone(),
                key: IdempotencyKey::random(),
            });
        }
    };

    view! {
        <tr
            data-testid="user-row"
            data-user-id=id.to_string()
            data-pending=pending.to_string()
            class:pending=pending
            class:selected=selected
        >
            <td class="users-select-col">
                <input
                    type="checkbox"
                    data-testid="user-select"
                    aria-label=format!("Select {name}")
                    disabled=pending
                    prop:checked=selected
                    on:change=select
                />
            </td>
            <td class="users-name-cell">
                <div class="users-name">
                    <UserAvatar user=user.clone()/>
                    {if pending {
                        view! {
                            <span data-testid="user-name">{name.clone()}</span>
                            <span class="pending-mark" data-testid="user-pending">"saving…"</span>
                        }
                        .into_any()
                    } else {
                        let (hover, focus) = (prefetch.clone(), prefetch);
                        view! {
                            <a
                                href=href
                                data-testid="user-link"
                                on:mouseenter=move |_| hover(id)
                                on:focus=move |_| focus(id)
                            >
                                <span data-testid="user-name">{name.clone()}</span>
                            </a>
                        }
                        .into_any()
                    }}
                </div>
            </td>
            <td data-testid="user-email">{user.email.to_string()}</td>
            <td>
                <span class=format!("role role-{}", user.role) data-testid="user-role">
                    {user.role.to_string()}
                </span>
            </td>
            <td class="users-joined">
                <time datetime=tidings::format_timestamp(&user.created_at)>
                    {user.created_at.format("%b %-d, %Y").to_string()}
                </time>
            </td>
            <td class="users-last-active">
                <time datetime=tidings::format_timestamp(&user.last_active)>
                    {user.last_active.format("%Y-%m-%d %H:%M").to_string()}
                </time>
            </td>
            <td class="users-actions">
                {(!pending).then(|| view! {
                    <button type="button" class="users-action" data-testid="user-edit" on:click=edit>
                        "Edit"
                    </button>
                    <button
                        type="button"
                        class="users-action danger"
                        class:armed=armed
                        data-testid=move || if armed.get() { "user-delete-confirm" } else { "user-delete" }
                        on:click=delete
                        on:blur=move |_| armed.set(false)
                    >
                        {move || if armed.get() { "Confirm delete" } else { "Delete" }}
                    </button>
                })}
            </td>
        </tr>
    }
    .into_any()
}
