//! The users page: the users table with its filters, sort and pages kept
//! in the address (`params.rs`), the users' numbers (`stats.rs`), the
//! batch role change (`batch.rs`), create / edit / delete (`actions.rs`,
//! `dialog.rs`), the rows as the store shows them (`rows.rs`, `table.rs`);
//! and the users count the header shows, read through the same query as
//! the table's first page (one key, one request).

mod actions;
mod batch;
mod dialog;
pub mod params;
mod role_select;
mod row;
pub mod rows;
mod stats;
mod table;
mod toolbar;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tidings::cache::{QueryOptions, Tag};
use tidings::{Page, User, UserFilter, UserListQuery};

pub use self::actions::UsersState;
use self::params::UsersParams;
pub use self::table::UsersTable;
use crate::api::{use_api, ApiHandle};
use crate::components::error_box::ErrorBox;
use crate::components::skeleton::Skeleton;
use crate::keys;
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

/// The users list `query()` names ([`keys::users::list`]).
/// Every component reading a page calls this, so equal pages share one
/// cache entry and one request. While a new page loads, the last one
/// stays on screen (flagged by `is_placeholder`).
pub fn use_users_list(
    query: impl Fn() -> UserListQuery + Send + Sync + 'static,
) -> QueryResult<Page<User>> {
    let api = use_api();
    use_query(
        move || keys::users::list(query()),
        move |(_, _, query)| api.list_users(query),
        QueryOptions::default()
            .stale_time(USERS_STALE_MS)
            .keep_previous_data(true)
            .tags([Tag::Users]),
    )
}

/// How many users there are.
#[component]
pub fn UsersCount() -> impl IntoView {
    // The server lists the routes without an API: nothing to count then.
    use_context::<ApiHandle>().map(|_| view! { <UsersCountBadge/> })
}

/// Reads the users' stats, which the engine keeps in step with every
/// user event (a page of the list would have to be refetched whenever a
/// deletion leaves it a row short).
#[component]
fn UsersCountBadge() -> impl IntoView {
    let stats = stats::use_user_stats();
    view! {
        <Transition fallback=|| ()>
            {move || stats.data().get().map(|stats| {
                let total = stats.total;
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
    let params = Memo::new(move |_| UsersParams::parse(|key| query.read().get(key)));
    let users = use_users_list(move || params.read().list_query());
    let state = UsersState::provide();
    let loaded = Memo::new(move |_| (users.data().with(Option::is_some), users.error().get()));
    // Typed text narrows the shown rows at once; the address follows.
    let typed = RwSignal::new(params.get_untracked().filter.search.unwrap_or_default());

    view! {
        <section class="users" data-testid="users-page">
            <div class="page-head">
                <h1>"Users"</h1>
                <button
                    type="button"
                    class="users-new"
                    data-testid="users-new"
                    on:click=move |_| state.editor.set(Some(actions::Editor::create()))
                >
                    "New user"
                </button>
            </div>
            <stats::UsersStats/>
            <toolbar::UsersToolbar params typed/>
            <Messages state/>
            <batch::BatchBar/>
            <Transition fallback=|| view! { <Skeleton label="Loading users…" rows=8/> }>
                {move || {
                    // Read untracked so the server waits for the page;
                    // re-render only when loading turns into data or error.
                    untrack(|| users.data().with(|_| ()));
                    match loaded.get() {
                        (true, _) => view! {
                            <UsersTable
                                page=users.data()
                                busy=users.is_placeholder()
                                params
                                typed=typed.into()
                            />
                        }
                        .into_any(),
                        (false, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                        (false, None) => view! { <Skeleton label="Loading users…" rows=8/> }.into_any(),
                    }
                }}
            </Transition>
            <dialog::UserDialog/>
        </section>
    }
    .into_any()
}

/// The page's refusal (an alert) and last success (a status line).
#[component]
fn Messages(state: UsersState) -> impl IntoView {
    view! {
        {move || state.alert.get().map(|message| view! {
            <div class="users-alert" role="alert" data-testid="users-alert">
                <span>{message}</span>
                <button
                    type="button"
                    class="link"
                    aria-label="Dismiss"
                    data-testid="users-alert-dismiss"
                    on:click=move |_| state.alert.set(None)
                >
                    "×"
                </button>
            </div>
        })}
        {move || state.notice.get().map(|message| view! {
            <p class="users-notice" role="status" data-testid="users-notice">{message}</p>
        })}
    }
}
