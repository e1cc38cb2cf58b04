//! The users table's controls: search (debounced into the address),
//! role, "active in 24 h", and grouping by role. Each change is a new
//! address (filters start again at page 1), so reload and back keep them;
//! typing replaces the address rather than stacking one per keystroke.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use tidings::Role;

use super::params::UsersParams;

/// How long typing pauses before the search goes to the server.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn UsersToolbar(params: Memo<UsersParams>, typed: RwSignal<String>) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |next: UsersParams, replace: bool| {
        navigate(
            &next.href(),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    };
    // Back / forward: the box shows the address's search.
    Effect::new(move |_| {
        let search = params.with(|p| p.filter.search.clone().unwrap_or_default());
        if typed.with_untracked(|t| t.trim() != search) {
            typed.set(search);
        }
    });
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            typed.set(text.clone());
            if let Some(handle) = pending.get_value() {
                handle.clear();
            }
            let go = go.clone();
            let handle = set_timeout_with_handle(
                move || {
                    let search = Some(text.trim().to_owned()).filter(|s| !s.is_empty());
                    let next = params.get_untracked().refiltered(|f| f.search = search);
                    if next != params.get_untracked() {
                        go(next, true);
                    }
                },
                SEARCH_DEBOUNCE,
            );
            pending.set_value(handle.ok());
        }
    };
    let on_role = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let role = event_target_value(&ev).parse::<Role>().ok();
            go(params.get_untracked().refiltered(|f| f.role = role), false);
        }
    };
    let on_active = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let active = event_target_checked(&ev).then_some(true);
            go(
                params.get_untracked().refiltered(|f| f.active = active),
                false,
            );
        }
    };
    let on_group = move |ev: leptos::ev::Event| {
        let grouped = event_target_checked(&ev);
        go(
            UsersParams {
                grouped,
                ..params.get_untracked()
            },
            false,
        );
    };
    let role = move || params.with(|p| p.filter.role.map(|r| r.as_str()).unwrap_or(""));

    view! {
        <div class="users-toolbar" role="search" aria-label="Filter users">
            <label class="search">
                <span class="visually-hidden">"Search users by name or email"</span>
                <input
                    type="search"
                    data-testid="users-search"
                    placeholder="Search by name or email"
                    autocomplete="off"
                    value=typed.get_untracked()
                    prop:value=typed
                    on:input=on_search
                />
            </label>
            <label class="users-field">
                <span>"Role"</span>
                <select data-testid="users-role-filter" prop:value=role on:change=on_role>
                    <option value="" selected=move || role().is_empty()>"All roles"</option>
                    {Role::ALL.map(|r| view! {
                        <option value=r.as_str() selected=move || role() == r.as_str()>
                            {r.as_str()}
                        </option>
                    })}
                </select>
            </label>
            <label class="users-check">
                <input
                    type="checkbox"
                    data-testid="users-active-filter"
                    checked=params.with_untracked(|p| p.filter.active == Some(true))
                    prop:checked=move || params.with(|p| p.filter.active == Some(true))
                    on:change=on_active
                />
                <span>"Active in 24 h"</span>
            </label>
            <label class="users-check">
                <input
                    type="checkbox"
                    data-testid="users-group-toggle"
                    checked=params.with_untracked(|p| p.grouped)
                    prop:checked=move || params.with(|p| p.grouped)
                    on:change=on_group
                />
                <span>"Group by role"</span>
            </label>
        </div>
    }
    .into_any()
}
