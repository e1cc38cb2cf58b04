//! Database rows and their conversion into the validated domain types.
//! A row that does not parse is a corrupt store: an internal error.

use chrono::{DateTime, Utc};
use tidings::{Content, Email, Language, Name, Post, Preferences, Title, User};
use uuid::Uuid;

use super::PostCursor;
use crate::error::ApiError;

pub(super) const USER_COLUMNS: &str = "id, name, email, role, avatar_url, last_active, theme, \
     notifications, language, created_at, updated_at, version";
pub(super) const POST_COLUMNS: &str =
    "id, title, content, author_id, created_at, updated_at, version";

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    avatar_url: Option<String>,
    last_active: String,
    theme: String,
    notifications: bool,
    language: String,
    created_at: String,
    updated_at: String,
    version: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct PostRow {
    id: String,
    title: String,
    content: String,
    author_id: String,
    created_at: String,
    updated_at: String,
    version: i64,
}

impl PostRow {
    /// The row's place in the feed, as stored.
    pub(super) fn position(&self) -> PostCursor {
        PostCursor {
            created_at: self.created_at.clone(),
            id: self.id.clone(),
        }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&format!("corrupt {what} in store"), e)
}

pub(super) fn time(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("timestamp", e))
}

pub(super) fn id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|e| corrupt("id", e))
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;
    fn try_from(r: UserRow) -> Result<Self, ApiError> {
        Ok(User {
            id: id(&r.id)?,
            name: Name::parse(&r.name).map_err(|e| corrupt("user name", e))?,
            email: Email::parse(&r.email).map_err(|e| corrupt("user email", e))?,
            role: r.role.parse().map_err(|e| corrupt("user role", e))?,
            avatar_url: r.avatar_url,
            last_active: time(&r.last_active)?,
            preferences: Preferences {
                theme: r.theme.parse().map_err(|e| corrupt("user theme", e))?,
                notifications: r.notifications,
                language: Language::parse(&r.language).map_err(|e| corrupt("user language", e))?,
            },
            created_at: time(&r.created_at)?,
            updated_at: time(&r.updated_at)?,
            version: r.version,
        })
    }
}

impl TryFrom<PostRow> for Post {
    type Error = ApiError;
    fn try_from(r: PostRow) -> Result<Self, ApiError> {
        Ok(Post {
            id: id(&r.id)?,
            title: Title::parse(&r.title).map_err(|e| corrupt("post title", e))?,
            content: Content::parse(&r.content).map_err(|e| corrupt("post content", e))?,
            author_id: id(&r.author_id)?,
            created_at: time(&r.created_at)?,
            updated_at: time(&r.updated_at)?,
            version: r.version,
        })
    }
}
