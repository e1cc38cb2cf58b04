//! `/api/posts`: keyset-paged feed, get, create, patch, delete.
//!
//! Every route needs a signed-in caller. A new post's author is the
//! caller: `authorId` may be left out, and only an admin may name someone
//! else. Who may patch or delete a post is `crate::auth::policy`'s, checked
//! by the write (`crate::writes`) inside its transaction (it depends on
//! the author's role).
//!
//! A single post is answered with its `ETag` (`"<version>"`). PATCH and
//! DELETE must send it back in `If-Match` (428 without, 412 with the
//! current post when it is stale); POST, PATCH and DELETE honour
//! `Idempotency-Key` (see `crate::db::idempotency`). Checks run in this
//! order: the path's id (404), the headers (400, 428), the body (415, 413,
//! 400, 422, then 403 for another author), then, inside the write's
//! transaction, the key (a replay, or 422), the post (404), who may change
//! it (403), the version (412) and the write.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use tidings::{CursorPage, NewPostInput, Post, PostListQuery, PostPatchInput};

use super::openapi::parts as doc;
use super::parse_id;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{idempotency_key, CanonicalJson, QueryPairs};
use crate::safe_write::{Answer, IfMatch, Written};
use crate::state::AppState;
use crate::writes::{Once, Writes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts", get(list).post(create))
        .route("/posts/{id}", get(show).patch(update).delete(remove))
}

#[utoipa::path(
    get,
    path = "/api/posts",
    tag = "posts",
    operation_id = "listPosts",
    params(
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the page before: the posts older than its last"),
        ("before" = Option<String>, Query, description = "`prevCursor` of the page after: the posts newer than its first, the nearest `limit` of them, newest first; with `cursor`, the posts between the two"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size; default 20"),
        ("authorId" = Option<uuid::Uuid>, Query, description = "Only this user's posts"),
        ("search" = Option<String>, Query, description = "Only posts whose title or content contains this text (case-insensitive), at most 100 characters"),
    ),
    responses(
        (status = 200, description = "One page of the feed, newest first", body = CursorPage<Post>),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn list(
    State(db): State<Db>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<CursorPage<Post>>, ApiError> {
    let query = PostListQuery::from_params(&params)?;
    Ok(Json(db.list_posts(&query).await?))
}

#[utoipa::path(
    get,
    path = "/api/posts/{id}",
    tag = "posts",
    operation_id = "getPost",
    params(
        ("id" = uuid::Uuid, Path, description = "The post's id"),
    ),
    responses(
        (status = 200, description = "The post", body = Post,
            headers(("ETag" = String, description = "The version, e.g. `\"3\"`, to send back in `If-Match`"))),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
async fn show(State(db): State<Db>, Path(id): Path<String>) -> Result<Answer, ApiError> {
    let id = parse_id("post", &id)?;
    let post = db
        .get_post(id)
        .await?
        .ok_or_else(|| ApiError::not_found("post", &id.to_string()))?;
    Answer::entity(StatusCode::OK, &post, post.version)
}

#[utoipa::path(
    post,
    path = "/api/posts",
    tag = "posts",
    operation_id = "createPost",
    params(doc::IdempotencyKey),
    request_body = NewPostInput,
    responses(
        (status = 201, description = "The new post", body = Post,
            headers(
                ("ETag" = String, description = "The version, `\"1\"`"),
                ("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"),
            )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 410, response = doc::Forgotten),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn create(
    State(writes): State<Writes>,
    actor: Actor,
    headers: HeaderMap,
    body: Result<CanonicalJson<NewPostInput>, ApiError>,
) -> Result<Written, ApiError> {
    let key = idempotency_key(&headers)?;
    let CanonicalJson { value, canonical } = body?;
    writes
        .create_post(&actor, value, Once::new(key.as_ref(), &canonical))
        .await
}

#[utoipa::path(
    patch,
    path = "/api/posts/{id}",
    tag = "posts",
    operation_id = "patchPost",
    params(
        ("id" = uuid::Uuid, Path, description = "The post's id"),
        doc::IfMatch,
        doc::IdempotencyKey,
    ),
    request_body = PostPatchInput,
    responses(
        (status = 200, description = "The changed post", body = Post,
            headers(
                ("ETag" = String, description = "The new version"),
                ("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"),
            )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 410, response = doc::Forgotten),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
async fn update(
    State(writes): State<Writes>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<CanonicalJson<PostPatchInput>, ApiError>,
) -> Result<Written, ApiError> {
    let id = parse_id("post", &id)?;
    let condition = IfMatch::required(&headers)?;
    let key = idempotency_key(&headers)?;
    let CanonicalJson { value, canonical } = body?;
    let once = Once::new(key.as_ref(), &canonical);
    writes.patch_post(&actor, id, value, &condition, once).await
}

#[utoipa::path(
    delete,
    path = "/api/posts/{id}",
    tag = "posts",
    operation_id = "deletePost",
    params(
        ("id" = uuid::Uuid, Path, description = "The post's id"),
        doc::IfMatch,
        doc::IdempotencyKey,
    ),
    responses(
        (status = 204, description = "Deleted",
            headers(("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 410, response = doc::Forgotten),
        (status = 412, response = doc::PreconditionFailed),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
async fn remove(
    State(writes): State<Writes>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Written, ApiError> {
    let id = parse_id("post", &id)?;
    let condition = IfMatch::required(&headers)?;
    let key = idempotency_key(&headers)?;
    let once = Once::new(key.as_ref(), "");
    writes.delete_post(&actor, id, &condition, once).await
}
