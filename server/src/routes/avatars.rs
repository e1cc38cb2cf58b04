//! Avatars: `POST /api/users/{id}/avatar` takes a multipart form with one
//! file field, `avatar`, of at most 2 MiB; PNG, JPEG and WebP are
//! recognised from the file's first bytes (the part's declared content
//! type is ignored). The file is stored under a name the server makes,
//! `<uuid>.<ext>`, in the upload directory (`--upload-dir`), and the user's
//! `avatarUrl` becomes `/uploads/<name>` (version bumped, `USER_UPDATED`
//! appended, in one transaction); the answer is 200 with the user. A file
//! the user pointed to before is deleted once the change is committed.
//!
//! `If-Match` is optional here: when sent, it must name the current
//! version (412 with the current user otherwise); without it the upload
//! is unconditional. Checks run in this order: the path's id (404), the
//! headers (400), the body (415 when not multipart, 413, 422 without an
//! `avatar` field, 415 for a file that is not one of the images), then
//! the user (404) and the version (412).
//!
//! Only an admin or the user themself may upload (403 otherwise, checked
//! right after the path's id). `GET /uploads/{name}` needs a signed-in
//! caller, as the API does, and serves a stored file with its image type and
//! `X-Content-Type-Options: nosniff`; any name the server could not have
//! made is 404, so no path leaves the upload directory.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tidings::FieldErrors;
use uuid::Uuid;

use super::openapi::parts as doc;
use super::parse_id;
use crate::auth::{policy, Actor};
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::safe_write::{Answer, IfMatch};
use crate::state::AppState;

/// Largest avatar file, in bytes.
pub const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;

/// Largest avatar request body: the file plus room for the multipart
/// framing and any small fields around it.
const AVATAR_BODY_LIMIT: usize = AVATAR_MAX_BYTES + 64 * 1024;

/// The form field that carries the file.
const FIELD: &str = "avatar";

/// An image type the server stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// The type the file's first bytes announce, if one of ours.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(Self::Png),
            "jpg" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// The kind of a stored file's name, if the server could have made it:
/// `<uuid>.<ext>` and nothing else (no separators, no dots elsewhere).
fn parse_name(name: &str) -> Option<ImageKind> {
    let (stem, ext) = name.split_once('.')?;
    let id = Uuid::try_parse(stem).ok()?;
    // Only the canonical hyphenated lower-case form the server writes.
    (id.hyphenated().to_string() == stem)
        .then(|| ImageKind::from_extension(ext))
        .flatten()
}

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

fn not_an_image() -> ApiError {
    ApiError::UnsupportedMediaType(
        "the avatar must be a PNG, JPEG or WebP image (recognised from its contents)".into(),
    )
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

/// Writes `bytes` to `dir/name` durably: through a temporary file in the
/// same directory, synced, renamed into place, and the directory synced,
/// so once the row naming the file commits, a crash cannot leave it
/// pointing at a missing or torn image.
async fn store(dir: &FsPath, name: &str, bytes: Vec<u8>) -> Result<PathBuf, ApiError> {
    let (dir, temp, target) = (
        dir.to_owned(),
        dir.join(format!(".{name}.tmp")),
        dir.join(name),
    );
    let written = {
        let (temp, target) = (temp.clone(), target.clone());
        tokio::task::spawn_blocking(move || write_synced(&dir, &temp, &target, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    };
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(ApiError::internal("storing an avatar", e));
    }
    Ok(target)
}

fn write_synced(dir: &FsPath, temp: &FsPath, target: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::File::create(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(temp, target)?;
    std::fs::File::open(dir)?.sync_all()
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
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Answer, ApiError> {
    let id = parse_id("user", &id)?;
    policy::upload_avatar(&actor, id)?;
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
    let kind = ImageKind::sniff(&bytes).ok_or_else(not_an_image)?;
    let name = format!("{}.{}", Uuid::new_v4(), kind.extension());
    let dir = config.uploads_dir();
    let path = store(&dir, &name, bytes).await?;
    let user = match db
        .set_user_avatar(id, &format!("/uploads/{name}"), &condition, &actor)
        .await
    {
        Ok(Some((user, previous))) => {
            if let Some(old) = previous
                .as_deref()
                .and_then(|url| url.strip_prefix("/uploads/"))
                .filter(|old| parse_name(old).is_some())
            {
                if let Err(e) = tokio::fs::remove_file(dir.join(old)).await {
                    tracing::warn!(file = old, error = %e, "could not delete a replaced avatar");
                }
            }
            user
        }
        Ok(None) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(ApiError::not_found("user", &id.to_string()));
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
    };
    Answer::entity(StatusCode::OK, &user, user.version)
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
async fn serve(State(config): State<Arc<Config>>, Path(name): Path<String>) -> Response {
    let missing = || ApiError::NotFound(format!("no upload named {name}")).into_response();
    let Some(kind) = parse_name(&name) else {
        return missing();
    };
    match tokio::fs::read(config.uploads_dir().join(&name)).await {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(kind.mime())),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing(),
        Err(e) => ApiError::internal("reading an upload", e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_name, ImageKind};

    #[test]
    fn images_are_recognised_from_their_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::sniff(b"\xFF\xD8\xFF\xE0"), Some(ImageKind::Jpeg));
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b"\x89PNG"), None);
        assert_eq!(ImageKind::sniff(b"hello"), None);
    }

    #[test]
    fn only_names_the_server_makes_are_served() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(parse_name(&format!("{id}.png")), Some(ImageKind::Png));
        assert_eq!(parse_name(&format!("{id}.webp")), Some(ImageKind::Webp));
        assert_eq!(parse_name(&format!("{id}.exe")), None);
        assert_eq!(parse_name(&format!("{id}.png.png")), None);
        assert_eq!(parse_name(&format!("../{id}.png")), None);
        assert_eq!(parse_name(&format!(".{id}.png.tmp")), None);
        assert_eq!(parse_name(&format!("{}.png", id.simple())), None);
        assert_eq!(parse_name("../../etc/passwd"), None);
    }
}
