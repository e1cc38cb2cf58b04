//! The users page: one server page of users in a table, `?page=N` to move,
//! and a search box that narrows the rows in the browser as you type; and
//! the users count the header shows, read through the same query as the
//! table's first page (one key, one request).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tidings::cache::{QueryOptions, Tag};
use tidings::{Page, Pagination, User, UserFilter, UserListQuery};

use crate::api::{use_api, ApiHandle};
use crate::components::error_box::ErrorBox;
use crate::query::{use_query, QueryResult};

/// Rows per page of the users table.
pub const USERS_PER_PAGE: u32 = 25;

/// The rows of `users` a search string keeps, in their given order. The
/// meaning of a match is [`UserFilter::matches`], the server's own.
pub fn filter_rows(users: &[User], search: &str) -> Vec<User> {
    let filter = UserFilter {
        search: Some(search.to_owned()),
        ..Default::default()
    };
    users
        .iter()
        .filter(|u| filter.matches(u))
        .cloned()
        .collect()
}

/// How long a page of users counts as fresh (realtime events invalidate
/// it sooner).
const USERS_STALE_MS: u64 = 30_000;

/// Page `page()` of the users list, newest first, as a query keyed
/// `["users", {page, limit, ...}]`. Every component reading a page calls
/// this, so equal pages share one cache entry and one request.
pub fn use_users_page(page: impl Fn() -> u32 + Send + Sync + 'static) -> QueryResult<Page<User>> {
    let api = use_api();
    use_query(
        move || {
            let query = UserListQuery {
                page: page(),
                limit: USERS_PER_PAGE,
                ..Default::default()
            };
            ("users", query)
        },
        move |(_, query)| api.list_users(query),
        QueryOptions::default()
            .stale_time(USERS_STALE_MS)
            .tags([Tag::Users]),
    )
}

/// How many users there are, from the first page of the users list.
#[component]
pub fn UsersCount() -> impl IntoView {
    // The server lists the routes without an API: nothing to count then.
    use_context::<ApiHandle>().map(|_| view! { <UsersCountBadge/> })
}

#[component]
fn UsersCountBadge() -> impl IntoView {
    let users = use_users_page(|| 1);
    view! {
        <Transition fallback=|| ()>
            {move || users.data().get().map(|page| {
                let total = page.pagination.total;
                view! {
                    <span class="users-count" data-testid="users-count" data-count=total.to_string()>
                        {format!("{total} users")}
                    </span>
                }
            })}
        </Transition>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let users = use_users_page(page);
    let (search, set_search) = signal(String::new());

    view! {
        <section class="users" data-testid="users-page">
            <div class="page-head">
                <h1>"Users"</h1>
                <label class="search">
                    <span class="visually-hidden">"Filter users on this page"</span>
                    <input
                        type="search"
                        data-testid="users-search"
                        placeholder="Filter by name or email"
                        autocomplete="off"
                        prop:value=search
                        on:input=move |ev| set_search.set(event_target_value(&ev))
                    />
                </label>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || match (users.data().get(), users.error().get()) {
                    (Some(page), _) => view! { <UsersTable page search/> }.into_any(),
                    (None, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                    (None, None) => view! { <p class="loading">"Loading users…"</p> }.into_any(),
                }}
            </Transition>
        </section>
    }
}

/// One page of users as a table (rows narrowed by `search`), with the pager.
#[component]
pub fn UsersTable(page: Page<User>, search: ReadSignal<String>) -> impl IntoView {
    let Page { data, pagination } = page;
    let rows = StoredValue::new(data);
    let visible = Memo::new(move |_| rows.with_value(|all| filter_rows(all, &search.get())));
    view! {
        <table class="users-table" data-testid="users-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Last active"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || visible.get() key=|u| (u.id, u.version) let:user>
                    <tr data-testid="user-row" data-user-id=user.id.to_string()>
                        <td data-testid="user-name">{user.name.to_string()}</td>
                        <td data-testid="user-email">{user.email.to_string()}</td>
                        <td>
                            <span class=format!("role role-{}", user.role) data-testid="user-role">
                                {user.role.to_string()}
                            </span>
                        </td>
                        <td>
                            <time datetime=tidings::format_timestamp(&user.last_active)>
                                {user.last_active.format("%Y-%m-%d %H:%M").to_string()}
                            </time>
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || visible.with(Vec::is_empty)>
            <p class="empty" data-testid="users-empty">"No user on this page matches."</p>
        </Show>
        <Pager pagination/>
    }
}

#[component]
fn Pager(pagination: Pagination) -> impl IntoView {
    let page = pagination.page;
    let href = |n: u32| format!("/users?page={n}");
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
