//! The users table: sortable headers (`aria-sort`), a select-all box,
//! the rows of `rows.rs` (flat or under role headings), and the pager.
//! While another page or filter loads, the last rows stay, dimmed.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use tidings::cache::group_by_role;
use tidings::{Page, Pagination, Role, User, UserFilter, UserSort};

use super::actions::use_users_state;
use super::params::UsersParams;
use super::row::UserRowView;
use super::rows::{user_rows, UserRow};
use crate::query::use_query_client;

/// The rows under their role headings, in role order, roles without rows
/// left out; within a group the table's order holds.
fn shown_by_role(rows: Vec<UserRow>) -> Vec<(Role, Vec<UserRow>)> {
    group_by_role(rows, |row| row.user.role)
        .into_iter()
        .filter(|(_, group)| !group.is_empty())
        .collect()
}

/// Columns of the table, for `colspan`.
const COLUMNS: u32 = 7;

#[component]
pub fn UsersTable(
    /// The loaded page (the last one while another loads).
    page: Signal<Option<Page<User>>>,
    /// Whether `page` is the last one shown while another loads.
    busy: Signal<bool>,
    params: Memo<UsersParams>,
    /// Text that narrows the shown rows at once.
    typed: Signal<String>,
) -> impl IntoView {
    let state = use_users_state();
    let client = use_query_client();
    let rows = Memo::new(move |_| {
        let page = page
            .with(|d| d.as_ref().map(|p| p.data.clone()))
            .unwrap_or_default();
        let filter = params.with(|p| p.filter.clone());
        let all = state
            .recent
            .with(|recent| client.with_store(|s| user_rows(&page, s, recent, &filter)));
        let narrow = UserFilter {
            search: Some(typed.get()),
            ..Default::default()
        };
        all.into_iter()
            .filter(|r| narrow.matches(&r.user))
            .collect::<Vec<UserRow>>()
    });
    let pagination = Memo::new(move |_| page.with(|d| d.as_ref().map(|p| p.pagination)));
    let grouped = Memo::new(move |_| params.with(|p| p.grouped));

    view! {
        <div class="users-table-wrap" class:is-loading=busy aria-busy=move || busy.get().to_string()>
            <table class="users-table" data-testid="users-table">
                <thead>
                    <tr>
                        <th scope="col" class="users-select-col">
                            <SelectAll rows/>
                        </th>
                        <SortHeader params column=UserSort::Name label="Name"/>
                        <SortHeader params column=UserSort::Email label="Email"/>
                        <SortHeader params column=UserSort::Role label="Role"/>
                        <SortHeader params column=UserSort::CreatedAt label="Joined"/>
                        <SortHeader params column=UserSort::LastActive label="Last active"/>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                {move || if grouped.get() {
                    view! {
                        <For each=move || shown_by_role(rows.get()) key=|(role, group)| (*role, group.len()) let:group>
                            <RoleGroup role=group.0 count=group.1.len() rows/>
                        </For>
                    }
                    .into_any()
                } else {
                    view! { <tbody><Rows rows=rows.into()/></tbody> }.into_any()
                }}
            </table>
        </div>
        <Show when=move || rows.with(Vec::is_empty)>
            <p class="empty" data-testid="users-empty">"No user matches."</p>
        </Show>
        {move || pagination.get().map(|pagination| view! { <Pager pagination params/> })}
    }
    .into_any()
}

/// One role's heading and rows.
#[component]
fn RoleGroup(role: Role, count: usize, rows: Memo<Vec<UserRow>>) -> impl IntoView {
    let mine = Signal::derive(move || {
        rows.with(|all| {
            all.iter()
                .filter(|r| r.user.role == role)
                .cloned()
                .collect()
        })
    });
    view! {
        <tbody data-testid="users-group" data-role=role.as_str()>
            <tr class="users-group-head">
                <th colspan=COLUMNS scope="colgroup" data-testid="users-group-title">
                    {format!("{}s", capitalized(role.as_str()))}
                    <span class="users-group-count">{count.to_string()}</span>
                </th>
            </tr>
            <Rows rows=mine/>
        </tbody>
    }
    .into_any()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[component]
fn Rows(rows: Signal<Vec<UserRow>>) -> impl IntoView {
    view! {
        <For
            each=move || rows.get().into_iter().enumerate()
            // A row per user at its place, kept while its user changes: its
            // cells follow the store on their own. A row that changes place
            // (a new sort, a user placed above it) is built anew rather
            // than moved: the keyed diff was seen to leave a moved row at
            // the top of a re-sorted table.
            key=|(at, r)| (r.user.id, r.pending, *at)
            children=|(_, row)| view! { <UserRowView row/> }
        />
    }
}

/// Selects or clears every settled row shown.
#[component]
fn SelectAll(rows: Memo<Vec<UserRow>>) -> impl IntoView {
    let state = use_users_state();
    let settled = move || -> Vec<(uuid::Uuid, i64)> {
        rows.with(|rows| {
            rows.iter()
                .filter(|r| !r.pending)
                .map(|r| (r.user.id, r.user.version))
                .collect()
        })
    };
    let all = Memo::new(move |_| {
        let ids = settled();
        !ids.is_empty()
            && state
                .selection
                .with(|s| ids.iter().all(|(id, _)| s.contains_key(id)))
    });
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let ids = settled();
        state.selection.update(|s| {
            for (id, version) in ids {
                if on {
                    s.entry(id).or_insert(version);
                } else {
                    s.remove(&id);
                }
            }
        });
    };
    view! {
        <input
            type="checkbox"
            data-testid="users-select-all"
            aria-label="Select every user on this page"
            prop:checked=all
            on:change=toggle
        />
    }
}

#[component]
fn SortHeader(params: Memo<UsersParams>, column: UserSort, label: &'static str) -> impl IntoView {
    let navigate = use_navigate();
    let sort = move |_| {
        let next = params.get_untracked().sorted_by(column);
        navigate(
            &next.href(),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    };
    let aria = move || params.with(|p| p.aria_sort(column));
    let arrow = move || match aria() {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "↕",
    };
    view! {
        <th scope="col" aria-sort=aria data-testid=format!("users-col-{}", column.as_str())>
            <button
                type="button"
                class="users-sort"
                data-testid=format!("users-sort-{}", column.as_str())
                on:click=sort
            >
                {label}
                <span class="users-sort-arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

#[component]
fn Pager(pagination: Pagination, params: Memo<UsersParams>) -> impl IntoView {
    let page = pagination.page;
    let href = move |n: u32| params.with_untracked(|p| p.at_page(n).href());
    view! {
        <nav class="pager" aria-label="Pages">
            {pagination.has_previous_page.then(|| view! {
                <a href=href(page - 1) rel="prev" data-testid="users-prev">"← Previous"</a>
            })}
            <span data-testid="users-page-info">
                {format!("Page {} of {} · {} users", page, pagination.page_count(), pagination.total)}
            </span>
            {pagination.has_next_page.then(|| view! {
                <a href=href(page + 1) rel="next" data-testid="users-next">"Next →"</a>
            })}
        </nav>
    }
}
