//! Post writes: create, patch, delete. Anyone signed in posts as
//! themself; who may change a post depends on its author's role, read in
//! the write's own transaction.

use axum::http::StatusCode;
use tidings::{NewPostInput, Post, PostPatchInput};
use uuid::Uuid;

use super::{Once, Writes};
use crate::auth::{policy, Actor};
use crate::db::events::WriteTx;
use crate::db::{posts, users};
use crate::error::ApiError;
use crate::safe_write::{Answer, IfMatch, Written};

impl Writes {
    /// `POST /api/posts` by `by`: `authorId` defaults to `by` (only an
    /// admin may name another); 201 with the post, 422 naming `authorId`
    /// for a missing author.
    pub async fn create_post(
        &self,
        by: &Actor,
        mut input: NewPostInput,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        if input.author_id.is_none() {
            input.author_id = Some(by.id.to_string());
        }
        let new = input.validate()?;
        policy::create_post(by, new.author_id)?;
        self.keyed(by, ("POST", "/api/posts"), None, once, async |tx| {
            let post = posts::insert(tx, &new).await?;
            Answer::entity(StatusCode::CREATED, &post, post.version)
        })
        .await
    }

    /// `PATCH /api/posts/{id}` by `by`: 200 with the changed post; 403,
    /// 404, or 412 with the current post when `condition` fails.
    pub async fn patch_post(
        &self,
        by: &Actor,
        id: Uuid,
        input: PostPatchInput,
        condition: &IfMatch,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        let patch = input.validate()?;
        let path = format!("/api/posts/{id}");
        self.keyed(by, ("PATCH", &path), Some(condition), once, async |tx| {
            let current = editable(tx, by, id, condition).await?;
            let post = posts::update(tx, &current, &patch).await?;
            Answer::entity(StatusCode::OK, &post, post.version)
        })
        .await
    }

    /// `DELETE /api/posts/{id}` by `by`: 204; 403, 404, or 412 with the
    /// current post when `condition` fails.
    pub async fn delete_post(
        &self,
        by: &Actor,
        id: Uuid,
        condition: &IfMatch,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        let path = format!("/api/posts/{id}");
        self.keyed(by, ("DELETE", &path), Some(condition), once, async |tx| {
            let current = editable(tx, by, id, condition).await?;
            posts::delete(tx, &current).await?;
            Ok(Answer::no_content())
        })
        .await
    }
}

/// Post `id`, locked in `tx`, if it exists (404), `by` may change it
/// (403: the rule depends on its author's role, read without a lock, since
/// a role change committed meanwhile orders after this write) and its
/// version satisfies `condition` (412 with the current post).
async fn editable(
    tx: &mut WriteTx,
    by: &Actor,
    id: Uuid,
    condition: &IfMatch,
) -> Result<Post, ApiError> {
    let current = posts::lock(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("post", &id.to_string()))?;
    let role = users::role_of(tx, current.author_id).await?;
    policy::edit_post(by, current.author_id, role)?;
    condition.check("post", &current, current.version)?;
    Ok(current)
}
