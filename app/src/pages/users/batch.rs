//! The batch role change: shown while users are selected, it names how
//! many, offers a role and Apply. Apply is one optimistic mutation: every
//! selected row shows the new role at once; the server applies all of it
//! or none, and on a refusal every row goes back (see `actions.rs`).

use leptos::prelude::*;
use tidings::Role;

use super::actions::{use_users_state, BatchRole};
use super::role_select::RoleSelect;
use crate::api::IdempotencyKey;

#[component]
pub fn BatchBar() -> impl IntoView {
    let state = use_users_state();
    let role = RwSignal::new(Role::Moderator);
    let count = Memo::new(move |_| state.selection.with(|s| s.len()));
    let apply = move |_| {
        let users: Vec<_> = state
            .selection
            .with_untracked(|s| s.iter().map(|(id, v)| (*id, *v)).collect());
        if users.is_empty() {
            return;
        }
        state.alert.set(None);
        state.notice.set(None);
        state.batch.mutate(BatchRole {
            users,
            role: role.get_untracked(),
            key: IdempotencyKey::random(),
        });
    };
    view! {
        <Show when=move || { count.get() > 0 }>
            <div class="users-batch" data-testid="users-batch" role="region" aria-label="Change the selected users">
                <span data-testid="users-batch-count">
                    {move || format!("{} selected", count.get())}
                </span>
                <label class="users-field">
                    <span>"New role"</span>
                    <RoleSelect role testid="users-batch-role"/>
                </label>
                <button
                    type="button"
                    data-testid="users-batch-apply"
                    on:click=apply
                    disabled=move || state.batch.pending().get()
                >
                    "Apply"
                </button>
                <button
                    type="button"
                    class="link"
                    data-testid="users-batch-clear"
                    on:click=move |_| state.selection.set(Default::default())
                >
                    "Clear selection"
                </button>
            </div>
        </Show>
    }
    .into_any()
}
