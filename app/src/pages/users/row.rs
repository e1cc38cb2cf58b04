//! One row of the users table: selection box, avatar and name (a link to
//! the user's page that prefetches it on hover or focus), email, role,
//! dates, and the row's actions (edit, delete with a second click to
//! confirm). A pending row (created here, unanswered) offers none.
//!
//! Each cell reads its own memo over the user as the normalized store
//! shows it, so a change to one user (an edit, a realtime event, an
//! optimistic layer or its rollback) re-renders only the cells of that
//! user whose value changed; the row itself is made once per user.

use leptos::prelude::*;

use super::actions::{use_users_state, DeleteUser, Editor};
use super::rows::UserRow;
use crate::api::IdempotencyKey;
use crate::components::users_avatar::UserAvatar;
use crate::pages::user::use_prefetch_user;
use crate::query::use_user;

#[component]
pub fn UserRowView(row: UserRow) -> impl IntoView {
    let state = use_users_state();
    let UserRow {
        user: listed,
        pending,
    } = row;
    let id = listed.id;
    let held = use_user(id);
    // The listed copy stands in until the store holds the user (while the
    // server renders, and before hydration feeds the store).
    let user = Memo::new(move |_| held.get().unwrap_or_else(|| listed.clone()));
    let name = Memo::new(move |_| user.with(|u| u.name.to_string()));
    let email = Memo::new(move |_| user.with(|u| u.email.to_string()));
    let role = Memo::new(move |_| user.with(|u| u.role));
    let created = Memo::new(move |_| user.with(|u| u.created_at));
    let last_active = Memo::new(move |_| user.with(|u| u.last_active));
    let picture = Memo::new(move |_| user.with(|u| (u.name.clone(), u.avatar_url.clone())));
    let selected = move || state.selection.with(|s| s.contains_key(&id));
    let select = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        // The version selected is the one the batch will name.
        let version = user.with_untracked(|u| u.version);
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
    let href = format!("/users/{id}");
    let edit = move |_| {
        state.alert.set(None);
        state.editor.set(Some(Editor::edit(user.get_untracked())));
    };
    let delete = move |_| {
        if !armed.get_untracked() {
            armed.set(true);
            return;
        }
        state.alert.set(None);
        state.selection.update(|s| {
            s.remove(&id);
        });
        state.delete.mutate(DeleteUser {
            user: user.get_untracked(),
            key: IdempotencyKey::random(),
        });
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
                    aria-label=move || format!("Select {}", name.get())
                    disabled=pending
                    prop:checked=selected
                    on:change=select
                />
            </td>
            <td class="users-name-cell">
                <div class="users-name">
                    {move || {
                        picture.track();
                        view! { <UserAvatar user=user.get_untracked()/> }
                    }}
                    {if pending {
                        view! {
                            <span data-testid="user-name">{name}</span>
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
                                <span data-testid="user-name">{name}</span>
                            </a>
                        }
                        .into_any()
                    }}
                </div>
            </td>
            <td data-testid="user-email">{email}</td>
            <td>
                <span class=move || format!("role role-{}", role.get()) data-testid="user-role">
                    {move || role.get().to_string()}
                </span>
            </td>
            <td class="users-joined">
                <time datetime=move || tidings::format_timestamp(&created.get())>
                    {move || created.get().format("%b %-d, %Y").to_string()}
                </time>
            </td>
            <td class="users-last-active">
                <time datetime=move || tidings::format_timestamp(&last_active.get())>
                    {move || last_active.get().format("%Y-%m-%d %H:%M").to_string()}
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
