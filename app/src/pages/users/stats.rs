//! The users' numbers above the table, from `GET /api/users/stats`:
//! total, active in 24 h and in 7 days, and how many hold each role. The
//! engine keeps them in step with every user event (a creation, a role
//! change, a deletion) without a request; while the realtime socket is not
//! live, the numbers poll instead.

use leptos::prelude::*;
use tidings::cache::{Millis, QueryOptions, Tag};
use tidings::{Role, UserStats};

use crate::api::use_api;
use crate::keys;
use crate::query::{use_query, QueryResult};
use crate::realtime::{use_realtime, Status};

/// How often the numbers are fetched while no realtime events come.
pub const STATS_POLL_MS: Millis = 10_000;

/// The users' numbers ([`keys::users::stats`]).
pub fn use_user_stats() -> QueryResult<UserStats> {
    let api = use_api();
    use_query(
        keys::users::stats,
        move |_| api.user_stats(),
        QueryOptions::default()
            .stale_time(30_000)
            .tags([Tag::Users]),
    )
}

#[component]
pub fn UsersStats() -> impl IntoView {
    let stats = use_user_stats();
    let status = use_realtime().status;
    stats.poll_every(move || (status.get() != Status::Live).then_some(STATS_POLL_MS));
    view! {
        <Transition fallback=|| ()>
            {move || stats.data().get().map(|s| view! { <StatsView stats=s/> })}
        </Transition>
    }
}

#[component]
fn StatsView(stats: UserStats) -> impl IntoView {
    let card = |label: &'static str, value: u64, testid: &'static str| {
        view! {
            <div class="users-stat">
                <dt>{label}</dt>
                <dd data-testid=testid data-value=value.to_string()>{value.to_string()}</dd>
            </div>
        }
    };
    let roles = stats.by_role;
    let count = |role: Role| match role {
        Role::Admin => roles.admin,
        Role::Moderator => roles.moderator,
        Role::User => roles.user,
    };
    view! {
        <section class="users-stats" data-testid="users-stats" aria-label="User numbers">
            <dl class="users-stat-cards">
                {card("Users", stats.total, "stat-total")}
                {card("Active in 24 h", stats.active_24h, "stat-active24h")}
                {card("Active in 7 days", stats.active_7d, "stat-active7d")}
            </dl>
            <ul class="users-roles" aria-label="Users by role">
                {Role::ALL.map(|role| view! {
                    <li>
                        <span class=format!("role role-{role}")>{role.as_str()}</span>
                        <strong
                            data-testid=format!("stat-role-{role}")
                            data-value=count(role).to_string()
                        >
                            {count(role).to_string()}
                        </strong>
                    </li>
                })}
            </ul>
        </section>
    }
    .into_any()
}
