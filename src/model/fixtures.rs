//! Ready-made entities for tests in every crate of the workspace (the
//! `testing` feature; always on for this crate's own tests). Entity `n`
//! has id `n` and was created `n` seconds after the Unix epoch.

use chrono::{DateTime, Duration};
use uuid::Uuid;

use super::{Content, Email, Name, Post, Preferences, Role, Timestamp, Title, User};

fn at(n: u128) -> Timestamp {
    DateTime::UNIX_EPOCH + Duration::seconds(n as i64)
}

/// User `n`, version 1, last active when created.
///
/// # Panics
/// When `name` or `email` is not valid.
pub fn user(n: u128, name: &str, email: &str, role: Role) -> User {
    User {
        id: Uuid::from_u128(n),
        name: Name::parse(name).expect("fixture name"),
        email: Email::parse(email).expect("fixture email"),
        role,
        avatar_url: None,
        last_active: at(n),
        preferences: Preferences::default(),
        created_at: at(n),
        updated_at: at(n),
        version: 1,
    }
}

/// Post `n` by user `author`, titled `post {n}`, version 1.
pub fn post(n: u128, author: u128) -> Post {
    Post {
        id: Uuid::from_u128(n),
        title: Title::parse(format!("post {n}")).expect("fixture title"),
        content: Content::parse(format!("content of post {n}")).expect("fixture content"),
        author_id: Uuid::from_u128(author),
        created_at: at(n),
        updated_at: at(n),
        version: 1,
    }
}
