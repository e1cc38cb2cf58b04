//! Small builders shared by the engine's tests.

use chrono::{DateTime, Duration};
use uuid::Uuid;

use crate::model::{Content, Email, Name, Post, Preferences, Role, Title, User};

/// User `n` (id `n`, created `n` seconds after the epoch), version 1.
pub(crate) fn user(n: u128, name: &str, role: Role) -> User {
    let t = DateTime::UNIX_EPOCH + Duration::seconds(n as i64);
    User {
        id: Uuid::from_u128(n),
        name: Name::parse(name).unwrap(),
        email: Email::parse(format!("u{n}@example.com")).unwrap(),
        role,
        avatar_url: None,
        last_active: t,
        preferences: Preferences::default(),
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// Post `n` by user `author`, created `n` seconds after the epoch.
pub(crate) fn post(n: u128, author: u128) -> Post {
    let t = DateTime::UNIX_EPOCH + Duration::seconds(n as i64);
    Post {
        id: Uuid::from_u128(n),
        title: Title::parse(format!("post {n}")).unwrap(),
        content: Content::parse("text").unwrap(),
        author_id: Uuid::from_u128(author),
        created_at: t,
        updated_at: t,
        version: 1,
    }
}
