//! What a users list shows and in what order: the single definition that
//! the server's SQL and the browser's client-side filtering both follow.
//!
//! Search is a case-insensitive substring match on name or email, where
//! "case-insensitive" means ASCII case folding, the same as SQL `LIKE` in
//! SQLite. Text compares by bytes (SQLite's BINARY collation), and ties
//! break on id so every order is total.
//!
//! "Active" is relative to a reference time: a user is active at `now`
//! when `lastActive >= now - 24 h` ([`ACTIVE_WINDOW`]); a `lastActive` in
//! the future counts as active. The server evaluates it at the time of the
//! request; [`UserFilter::matches_at`] takes the time explicitly.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::{Role, Timestamp, User};

/// How recently a user must have been active to count as active.
pub const ACTIVE_WINDOW: TimeDelta = TimeDelta::hours(24);

/// Whether `user` was active within `window` before `now`:
/// `lastActive >= now - window`.
pub fn active_within(user: &User, now: Timestamp, window: TimeDelta) -> bool {
    user.last_active >= now - window
}

/// Column a users list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum UserSort {
    Name,
    Email,
    Role,
    #[default]
    CreatedAt,
    LastActive,
}

impl UserSort {
    pub const ALL: [UserSort; 5] = [
        UserSort::Name,
        UserSort::Email,
        UserSort::Role,
        UserSort::CreatedAt,
        UserSort::LastActive,
    ];

    /// The wire name, as in `?sort=lastActive`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Name => "name",
            UserSort::Email => "email",
            UserSort::Role => "role",
            UserSort::CreatedAt => "createdAt",
            UserSort::LastActive => "lastActive",
        }
    }
}

impl FromStr for UserSort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        UserSort::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| "sort must be one of name, email, role, createdAt, lastActive".into())
    }
}

/// Direction of a list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl FromStr for SortOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            _ => Err("order must be asc or desc".into()),
        }
    }
}

/// Which users a list holds and how they are ordered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFilter {
    /// Trimmed, non-empty when present.
    pub search: Option<String>,
    pub role: Option<Role>,
    /// `Some(true)`: only users active within [`ACTIVE_WINDOW`] of the
    /// reference time; `Some(false)`: only the others.
    #[serde(default)]
    pub active: Option<bool>,
    pub sort: UserSort,
    pub order: SortOrder,
}

impl UserFilter {
    /// Whether `user` belongs in a list with this filter, with `active`
    /// evaluated at `now`.
    pub fn matches_at(&self, user: &User, now: Timestamp) -> bool {
        if self
            .active
            .is_some_and(|active| active != active_within(user, now, ACTIVE_WINDOW))
        {
            return false;
        }
        self.matches_ignoring_time(user)
    }

    /// Whether `user` belongs in a list with this filter. Exactly
    /// [`UserFilter::matches_at`] for a filter without `active` (the answer
    /// does not depend on the time); `active` needs a reference time this
    /// crate cannot read (it has no clock, to run in browsers too), so
    /// here it is not applied: a filter with `active` set must use
    /// `matches_at`.
    pub fn matches(&self, user: &User) -> bool {
        self.matches_ignoring_time(user)
    }

    fn matches_ignoring_time(&self, user: &User) -> bool {
        if self.role.is_some_and(|r| r != user.role) {
            return false;
        }
        match self.search.as_deref().map(str::trim) {
            Some(needle) if !needle.is_empty() => {
                contains_ascii_ci(user.name.as_str(), needle)
                    || contains_ascii_ci(user.email.as_str(), needle)
            }
            _ => true,
        }
    }

    /// The list order; ties break on id in the same direction.
    pub fn compare(&self, a: &User, b: &User) -> Ordering {
        let by_column = match self.sort {
            UserSort::Name => a.name.as_str().cmp(b.name.as_str()),
            UserSort::Email => a.email.as_str().cmp(b.email.as_str()),
            UserSort::Role => a.role.as_str().cmp(b.role.as_str()),
            UserSort::CreatedAt => a.created_at.cmp(&b.created_at),
            UserSort::LastActive => a.last_active.cmp(&b.last_active),
        };
        let ordering = by_column.then_with(|| a.id.cmp(&b.id));
        match self.order {
            SortOrder::Asc => ordering,
            SortOrder::Desc => ordering.reverse(),
        }
    }

    /// Filters and orders `users` as the server would; like
    /// [`UserFilter::matches`], without `active` (see [`UserFilter::apply_at`]).
    pub fn apply<'a>(&self, users: impl IntoIterator<Item = &'a User>) -> Vec<&'a User> {
        let mut out: Vec<&User> = users.into_iter().filter(|u| self.matches(u)).collect();
        out.sort_by(|a, b| self.compare(a, b));
        out
    }

    /// Filters and orders `users` as the server would at `now`.
    pub fn apply_at<'a>(
        &self,
        users: impl IntoIterator<Item = &'a User>,
        now: Timestamp,
    ) -> Vec<&'a User> {
        let mut out: Vec<&User> = users
            .into_iter()
            .filter(|u| self.matches_at(u, now))
            .collect();
        out.sort_by(|a, b| self.compare(a, b));
        out
    }
}

/// Case-insensitive (ASCII) substring test, as SQLite's `LIKE` does it.
pub fn contains_ascii_ci(haystack: &str, needle: &str) -> bool {
    let needle = needle.to_ascii_lowercase();
    haystack.to_ascii_lowercase().contains(&needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::user;

    #[test]
    fn search_matches_name_or_email_ignoring_ascii_case() {
        let u = user(1, "Ada Lovelace", "ada@analytical.org", Role::Admin);
        let f = |s: &str| UserFilter {
            search: Some(s.into()),
            ..Default::default()
        };
        assert!(f("LOVE").matches(&u));
        assert!(f("analytical").matches(&u));
        assert!(!f("babbage").matches(&u));
        assert!(f("  ").matches(&u));
    }

    #[test]
    fn role_and_order() {
        let users = [
            user(1, "Bea", "b@x.io", Role::User),
            user(2, "Al", "a@x.io", Role::Admin),
            user(3, "Cy", "c@x.io", Role::User),
        ];
        let f = UserFilter {
            role: Some(Role::User),
            sort: UserSort::Name,
            order: SortOrder::Asc,
            ..Default::default()
        };
        let names: Vec<&str> = f.apply(&users).iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Bea", "Cy"]);
        let newest_first = UserFilter::default();
        let ids: Vec<u128> = newest_first
            .apply(&users)
            .iter()
            .map(|u| u.id.as_u128())
            .collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn active_is_relative_to_the_reference_time() {
        let mut fresh = user(1, "Fay", "f@x.io", Role::User);
        let mut stale = user(2, "Sid", "s@x.io", Role::User);
        let now = fresh.last_active;
        stale.last_active = now - ACTIVE_WINDOW - TimeDelta::seconds(1);
        let on_the_edge = now - ACTIVE_WINDOW;
        let users = [fresh.clone(), stale.clone()];
        let active = UserFilter {
            active: Some(true),
            ..Default::default()
        };
        let inactive = UserFilter {
            active: Some(false),
            ..Default::default()
        };
        assert!(active.matches_at(&fresh, now) && !active.matches_at(&stale, now));
        assert!(!inactive.matches_at(&fresh, now) && inactive.matches_at(&stale, now));
        assert_eq!(active.apply_at(&users, now).len(), 1);
        // Exactly 24 h ago is still within the window; later it is not.
        fresh.last_active = on_the_edge;
        assert!(active.matches_at(&fresh, now));
        assert!(!active.matches_at(&fresh, now + TimeDelta::microseconds(1)));
        // Without `active` the time does not matter.
        let any = UserFilter::default();
        assert!(any.matches_at(&stale, now) && any.matches(&stale));
    }
}
