//! Small builders shared by the engine's tests, over the model's fixtures.

use crate::model::{fixtures, Post, Role, SortOrder, User, UserFilter, UserSort};

/// User `n` (id `n`, created `n` seconds after the epoch), version 1.
pub(crate) fn user(n: u128, name: &str, role: Role) -> User {
    fixtures::user(n, name, &format!("u{n}@example.com"), role)
}

/// Post `n` by user `author`, created `n` seconds after the epoch.
pub(crate) fn post(n: u128, author: u128) -> Post {
    fixtures::post(n, author)
}

/// Every user, by name A to Z.
pub(crate) fn by_name() -> UserFilter {
    UserFilter {
        sort: UserSort::Name,
        order: SortOrder::Asc,
        ..Default::default()
    }
}
