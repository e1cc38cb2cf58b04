//! `/api/users`: paged list, stats, search, get, create, patch, delete,
//! batch patch, and a user's posts.
//!
//! Every route needs a signed-in caller; who may write what is
//! `crate::auth::policy`'s, applied by the write (`crate::writes`) (create, delete and batch: admins; patch: an
//! admin, or the user themself without changing their role). `POST` takes
//! an optional `password` (at least 8 characters), stored as an argon2id
//! hash; it is not part of the idempotency fingerprint.
//!
//! A single user is answered with its `ETag` (`"<version>"`). PATCH and
//! DELETE must send it back in `If-Match` (428 without, 412 with the
//! current user when it is stale); POST, PATCH and DELETE honour
//! `Idempotency-Key` (see `crate::db::idempotency`). Checks run in this
//! order: the path's id (404), the headers (400, 428), the body (415, 413,
//! 400, 422), then, in the write, who may make it when that does not
//! depend on the stored user (403), and inside the write's transaction the
//! key (a replay, or 422), the user (404), who may change it (403), the
//! version (412) and the write.
//!
//! `PATCH /api/users/batch` names each user's version in its body instead
//! of `If-Match` (an `If-Match` header is ignored there) and honours
//! `Idempotency-Key` like the other writes. The fixed paths (`stats`,
//! `search`, `batch`) are static routes, which the router prefers to
//! `{id}`, so they are never read as ids.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Serialize;
use tidings::{
    CursorPage, NewUserInput, Page, Post, PostListQuery, User, UserBatchInput, UserListQuery,
    UserPatchInput, UserSearchQuery, UserStats,
};

use super::openapi::parts as doc;
use super::parse_id;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{idempotency_key, CanonicalJson, QueryPairs, WithPassword};
use crate::safe_write::{Answer, IfMatch, Written};
use crate::state::AppState;
use crate::writes::{Once, Writes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/stats", get(stats))
        .route("/users/search", get(search))
        .route("/users/batch", patch(update_batch))
        .route("/users/{id}", get(show).patch(update).delete(remove))
        .route("/users/{id}/posts", get(posts))
}

/// `{data: [...]}`: a list that is not paged.
#[derive(Serialize, utoipa::ToSchema)]
struct DataList<T> {
    data: Vec<T>,
}

#[utoipa::path(
    get,
    path = "/api/users/stats",
    tag = "users",
    operation_id = "userStats",
    summary = "How many users there are, were active recently, and hold each role",
    responses(
        (status = 200, description = "The numbers now", body = UserStats),
        (status = 401, response = doc::Unauthorized),
    )
)]
async fn stats(State(db): State<Db>) -> Result<Json<UserStats>, ApiError> {
    Ok(Json(db.user_stats().await?))
}

#[utoipa::path(
    get,
    path = "/api/users/search",
    tag = "users",
    operation_id = "searchUsers",
    summary = "Users whose name or email contains the text, by name",
    params(
        ("q" = String, Query, description = "1 to 100 characters, matched case-insensitively"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 20, description = "Most results; default 10"),
    ),
    responses(
        (status = 200, description = "The matching users", body = DataList<User>),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn search(
    State(db): State<Db>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<DataList<User>>, ApiError> {
    let query = UserSearchQuery::from_params(&params)?;
    Ok(Json(DataList {
        data: db.search_users(&query).await?,
    }))
}

/// The posts feed of one user: `cursor`, `before` and `limit` as `GET /api/posts`
/// takes them (an `authorId` parameter is ignored: the path names the
/// author).
#[utoipa::path(
    get,
    path = "/api/users/{id}/posts",
    tag = "posts",
    operation_id = "listUserPosts",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the page before: the posts older than its last"),
        ("before" = Option<String>, Query, description = "`prevCursor` of the page after: the posts newer than its first, the nearest `limit` of them, newest first; with `cursor`, the posts between the two"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size; default 20"),
    ),
    responses(
        (status = 200, description = "One page of the user's posts, newest first", body = CursorPage<Post>),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn posts(
    State(db): State<Db>,
    Path(id): Path<String>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<CursorPage<Post>>, ApiError> {
    let id = parse_id("user", &id)?;
    let params: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| k != "authorId")
        .collect();
    let query = PostListQuery::from_params(&params)?;
    db.list_user_posts(id, &query)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user", &id.to_string()))
}

/// Errors in a batch's body are keyed `updates[i].<field>`; a field of an
/// update's `changes` is named as the single-user PATCH names it, so a
/// wrong type in `updates[1].changes.email` is `updates[1].email`, as
/// `tidings::UserBatchInput::validate` names a bad email.
fn batch_field(field: &str) -> String {
    match field.split_once("].changes.") {
        Some((head, rest)) if head.starts_with("updates[") => format!("{head}].{rest}"),
        _ => field.to_owned(),
    }
}

#[utoipa::path(
    patch,
    path = "/api/users/batch",
    tag = "users",
    operation_id = "patchUsers",
    summary = "Change several users at once, all or nothing",
    description = "Each update names the version it read in its body (an `If-Match` header is \
        ignored). When any user is missing (404) or at another version (412) nothing changes.",
    params(doc::IdempotencyKey),
    request_body = UserBatchInput,
    responses(
        (status = 200, description = "The changed users, in the order of the updates", body = DataList<User>,
            headers(("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 410, response = doc::Forgotten),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn update_batch(
    State(writes): State<Writes>,
    actor: Actor,
    headers: HeaderMap,
    body: Result<CanonicalJson<UserBatchInput>, ApiError>,
) -> Result<Written, ApiError> {
    let key = idempotency_key(&headers)?;
    let CanonicalJson { value, canonical } = body.map_err(|e| match e {
        ApiError::Validation(fields) => {
            let mut renamed = tidings::FieldErrors::new();
            for (field, message) in fields.0 {
                renamed.add(batch_field(&field), message);
            }
            ApiError::Validation(renamed)
        }
        other => other,
    })?;
    writes
        .patch_users(&actor, value, Once::new(key.as_ref(), &canonical))
        .await
}

#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    operation_id = "listUsers",
    params(
        ("page" = Option<u32>, Query, minimum = 1, maximum = 2147483647, description = "1-based; default 1"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size; default 20"),
        ("search" = Option<String>, Query, description = "Case-insensitive text in the name or email, at most 100 characters"),
        ("role" = Option<tidings::Role>, Query),
        ("active" = Option<bool>, Query, description = "`true`: active in the last 24 hours; `false`: the others"),
        ("sort" = Option<tidings::UserSort>, Query, description = "Default `createdAt`"),
        ("order" = Option<tidings::SortOrder>, Query, description = "Default `desc`"),
    ),
    responses(
        (status = 200, description = "One page of users", body = Page<User>),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn list(
    State(db): State<Db>,
    QueryPairs(params): QueryPairs,
) -> Result<Json<Page<User>>, ApiError> {
    let query = UserListQuery::from_params(&params)?;
    Ok(Json(db.list_users(&query).await?))
}

#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "users",
    operation_id = "getUser",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id"),
    ),
    responses(
        (status = 200, description = "The user", body = User,
            headers(("ETag" = String, description = "The version, e.g. `\"3\"`, to send back in `If-Match`"))),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
async fn show(State(db): State<Db>, Path(id): Path<String>) -> Result<Answer, ApiError> {
    let id = parse_id("user", &id)?;
    let user = db
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id.to_string()))?;
    Answer::entity(StatusCode::OK, &user, user.version)
}

#[utoipa::path(
    post,
    path = "/api/users",
    tag = "users",
    operation_id = "createUser",
    params(doc::IdempotencyKey),
    request_body = NewUserInput,
    responses(
        (status = 201, description = "The new user", body = User,
            headers(
                ("ETag" = String, description = "The version, `\"1\"`"),
                ("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"),
            )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
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
    body: Result<WithPassword<NewUserInput>, ApiError>,
) -> Result<Written, ApiError> {
    let key = idempotency_key(&headers)?;
    let WithPassword {
        body: CanonicalJson { value, canonical },
        password,
    } = body?;
    let once = Once::new(key.as_ref(), &canonical);
    writes
        .create_user(&actor, value, password.as_deref(), once)
        .await
}

#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "users",
    operation_id = "patchUser",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id"),
        doc::IfMatch,
        doc::IdempotencyKey,
    ),
    request_body = UserPatchInput,
    responses(
        (status = 200, description = "The changed user", body = User,
            headers(
                ("ETag" = String, description = "The new version"),
                ("Idempotent-Replayed" = bool, description = "`true` on a replayed answer"),
            )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
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
    body: Result<CanonicalJson<UserPatchInput>, ApiError>,
) -> Result<Written, ApiError> {
    let id = parse_id("user", &id)?;
    let condition = IfMatch::required(&headers)?;
    let key = idempotency_key(&headers)?;
    let CanonicalJson { value, canonical } = body?;
    let once = Once::new(key.as_ref(), &canonical);
    writes.patch_user(&actor, id, value, &condition, once).await
}

#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    tag = "users",
    operation_id = "deleteUser",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id"),
        doc::IfMatch,
        doc::IdempotencyKey,
    ),
    responses(
        (status = 204, description = "Deleted, with the user's posts",
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
    let id = parse_id("user", &id)?;
    let condition = IfMatch::required(&headers)?;
    let key = idempotency_key(&headers)?;
    let once = Once::new(key.as_ref(), "");
    writes.delete_user(&actor, id, &condition, once).await
}

#[cfg(test)]
mod tests {
    use super::batch_field;

    #[test]
    fn batch_fields_drop_the_changes_level() {
        assert_eq!(batch_field("updates[1].changes.email"), "updates[1].email");
        assert_eq!(
            batch_field("updates[0].changes.preferences.theme"),
            "updates[0].preferences.theme"
        );
        assert_eq!(batch_field("updates[2].version"), "updates[2].version");
        assert_eq!(batch_field("updates"), "updates");
    }
}
