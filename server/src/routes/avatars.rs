//! Avatars: `POST /api/users/{id}/avatar` takes a multipart form with one
//! file field, `avatar`, of at most 2 MiB; PNG, JPEG and WebP are
//! recognised from the file's first bytes (the part's declared content
//! type is ignored). The file is stored under a name the server makes
//! (see `crate::uploads`), and the user's `avatarUrl` becomes
//! `/uploads/<name>` (see `crate::writes`); the answer is 200 with the
//! user. A file the user pointed to before is deleted once the change is
//! committed.
//!
//! `If-Match` is optional here: when sent, it must name the current
//! version (412 with the current user otherwise); without it the upload
//! is unconditional. Checks run in this order: the path's id (404), the
//! headers (400), the body (415 when not multipart, 413, 422 without an
//! `avatar` field), who may upload (403: an admin or the user themself),
//! the file (415 for one that is not one of the images), then the user
//! (404) and the version (412). `GET /uploads/{name}` needs a signed-in
//! caller, as the API does, and serves a stored file with its image type and
//! `X-Content-Type-Options: nosniff`; any name the server could not have
//! made is 404, so no path leaves the upload directory.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tidings::FieldErrors;

use super::openapi::parts as doc;
use super::parse_id;
use crate::auth::Actor;
use crate::error::ApiError;
use crate::ops::cache_control;
use crate::safe_write::{IfMatch, Written};
use crate::state::AppState;
use crate::uploads::StoredAvatars;
use crate::writes::Writes;

/// Largest avatar file, in bytes.
pub const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;

/// Largest avatar request body: the file plus room for the multipart
/// framing and any small fields around it.
const AVATAR_BODY_LIMIT: usize = AVATAR_MAX_BYTES + 64 * 1024;

/// The form field that carries the file.
const FIELD: &str = "avatar";

/// `POST /api/users/{id}/avatar`.
pub fn api_router() -> Router<AppState> {
    Router::new().route(
        "/users/{id}/avatar",
        post(upload).layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT)),
    )
}

/// `GET /uploads/{name}`.
pub fn files_router() -> Router<AppState> {
    Router::new().route("/uploads/{name}", get(serve))
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the avatar is larger than {AVATAR_MAX_BYTES} bytes (2 MiB)"
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => ApiError::BadRequest(format!(
            "the multipart body cannot be read: {}",
            e.body_text()
        )),
    }
}

/// The bytes of the `avatar` field (the first one, if repeated).
async fn read_avatar(mut form: Multipart) -> Result<Vec<u8>, ApiError> {
    let mut found = None;
    let mut errors = FieldErrors::new();
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != FIELD || found.is_some() {
            if name != FIELD {
                errors.add(
                    &name,
                    format!("unknown field: an avatar upload holds only `{FIELD}`"),
                );
            }
            // Drain it: the stream must be read past it.
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > AVATAR_MAX_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        found = Some(bytes);
    }
    if found.is_none() {
        errors.add(FIELD, "an image file is required in the avatar field");
    }
    match found {
        Some(bytes) if errors.is_empty() => Ok(bytes),
        _ => Err(ApiError::Validation(errors)),
    }
}

#[utoipa::path(
    post,
    path = "/api/users/{id}/avatar",
    tag = "users",
    operation_id = "uploadAvatar",
    summary = "Set a user's avatar from an uploaded image",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id"),
        doc::IfMatchOptional,
    ),
    request_body(
        content = doc::AvatarForm,
        content_type = "multipart/form-data",
        encoding(("avatar" = (content_type = "image/png, image/jpeg, image/webp")))
    ),
    responses(
        (status = 200, description = "The user, whose `avatarUrl` names the stored file", body = tidings::User,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
async fn upload(
    State(writes): State<Writes>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Written, ApiError> {
    let id = parse_id("user", &id)?;
    let condition = if headers.contains_key(axum::http::header::IF_MATCH) {
        IfMatch::required(&headers)?
    } else {
        IfMatch::Any
    };
    let form = form.map_err(|e| {
        ApiError::UnsupportedMediaType(format!(
            "send the avatar as multipart/form-data: {}",
            e.body_text()
        ))
    })?;
    let bytes = read_avatar(form).await?;
    writes.set_avatar(&actor, id, bytes, &condition).await
}

#[utoipa::path(
    get,
    path = "/uploads/{name}",
    tag = "users",
    operation_id = "getUpload",
    summary = "A stored avatar",
    params(("name" = String, Path, description = "`<uuid>.<png|jpg|webp>`, as an `avatarUrl` names it")),
    responses(
        (status = 200, description = "The image, served with `X-Content-Type-Options: nosniff`",
            content(("image/png"), ("image/jpeg"), ("image/webp"))),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
async fn serve(State(files): State<StoredAvatars>, Path(name): Path<String>) -> Response {
    match files.read(&name).await {
        Ok(Some((bytes, mime))) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(mime)),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static(cache_control::UPLOAD),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => ApiError::NotFound(format!("no upload named {name}")).into_response(),
        Err(e) => e.into_response(),
    }
}
