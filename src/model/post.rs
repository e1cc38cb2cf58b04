//! Posts: the entity and the inputs that create or change one.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_user_id, Content, FieldErrors, Timestamp, Title};

/// A post, as every read answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub id: Uuid,
    pub title: Title,
    pub content: Content,
    pub author_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Bumped by every change; a write names the version it read.
    pub version: i64,
}

/// The body of `POST /api/posts` as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPostInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Title, required = true, nullable = false))]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Content, required = true, nullable = false))]
    pub content: Option<String>,
    /// The author, an existing user; the caller when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid, nullable = false))]
    pub author_id: Option<String>,
}

/// A post ready to insert (its author's existence is checked by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub title: Title,
    pub content: Content,
    pub author_id: Uuid,
}

impl NewPostInput {
    pub fn validate(&self) -> Result<NewPost, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match self.title.as_deref() {
            Some(t) => errors.check("title", Title::parse(t)),
            None => {
                errors.add("title", "title is required");
                None
            }
        };
        let content = match self.content.as_deref() {
            Some(c) => errors.check("content", Content::parse(c)),
            None => {
                errors.add("content", "content is required");
                None
            }
        };
        let author_id = match self.author_id.as_deref() {
            Some(a) => errors.check("authorId", parse_user_id(a, "authorId")),
            None => {
                errors.add("authorId", "authorId is required");
                None
            }
        };
        errors.finish(|| NewPost {
            title: title.expect("checked"),
            content: content.expect("checked"),
            author_id: author_id.expect("checked"),
        })
    }
}

/// The body of `PATCH /api/posts/{id}` as sent: the fields to change, at
/// least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostPatchInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Title, nullable = false))]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Content, nullable = false))]
    pub content: Option<String>,
}

/// A validated, non-empty change to a post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostPatch {
    pub title: Option<Title>,
    pub content: Option<Content>,
}

impl PostPatchInput {
    pub fn validate(&self) -> Result<PostPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patch = PostPatch {
            title: self
                .title
                .as_deref()
                .and_then(|t| errors.check("title", Title::parse(t))),
            content: self
                .content
                .as_deref()
                .and_then(|c| errors.check("content", Content::parse(c))),
        };
        if errors.is_empty() && patch.title.is_none() && patch.content.is_none() {
            errors.add("body", "a patch must change at least one field");
        }
        errors.finish(|| patch)
    }
}

impl PostPatch {
    pub fn apply(&self, post: &Post) -> Post {
        let mut next = post.clone();
        if let Some(t) = &self.title {
            next.title = t.clone();
        }
        if let Some(c) = &self.content {
            next.content = c.clone();
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_post_names_every_bad_field() {
        let errors = NewPostInput {
            title: Some(" ".into()),
            content: None,
            author_id: Some("42".into()),
        }
        .validate()
        .unwrap_err();
        assert!(errors.get("title").unwrap().contains("empty"));
        assert_eq!(errors.get("content"), Some("content is required"));
        assert!(errors.get("authorId").unwrap().contains("UUID"));
    }

    #[test]
    fn post_serializes_camel_case() {
        let json = serde_json::to_value(Post {
            id: Uuid::nil(),
            title: Title::parse("t").unwrap(),
            content: Content::parse("c").unwrap(),
            author_id: Uuid::nil(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            version: 1,
        })
        .unwrap();
        assert!(json.get("authorId").is_some());
        assert!(json.get("createdAt").is_some());
    }
}
