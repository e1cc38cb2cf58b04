//! `ApiError`: every way a request can fail, and the one JSON shape
//! (`{"error":{"code","message","details"}}`) each becomes.
//!
//! Internal failures are logged with their cause and answered with a generic
//! message: nothing about the database or the code leaks to a client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tidings::{ErrorBody, ErrorInfo, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: the listed fields are invalid.
    #[error("validation failed: {0}")]
    Validation(FieldErrors),
    /// 400: the body is not JSON at all.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// 400: the request cannot be read (e.g. a broken query string).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 415: the body is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// 413: the body is larger than the route accepts.
    #[error("payload too large")]
    PayloadTooLarge(String),
    /// 404: no such entity or route.
    #[error("{0}")]
    NotFound(String),
    /// 426: a WebSocket endpoint asked without a WebSocket upgrade.
    #[error("upgrade required: {0}")]
    UpgradeRequired(String),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: a unique field already holds this value.
    #[error("conflict on {field}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// 400: a request header is malformed; names the header.
    #[error("invalid {header} header: {message}")]
    InvalidHeader {
        header: &'static str,
        message: String,
    },
    /// 428: a write that must name the version it read (`If-Match`) did
    /// not.
    #[error("precondition required")]
    PreconditionRequired,
    /// 412: the entity is no longer at the version the write named. The
    /// answer carries the current entity, as a read returns it.
    #[error("precondition failed: {entity} is at version {version}")]
    PreconditionFailed {
        entity: &'static str,
        version: i64,
        current: serde_json::Value,
    },
    /// 404: entities a batch names do not exist; the answer lists their
    /// ids (`details.missing`).
    #[error("{entity}s not found: {ids:?}")]
    MissingEntities {
        entity: &'static str,
        ids: Vec<String>,
    },
    /// 412: entities a batch changes are no longer at the versions it
    /// named; the answer lists each one as it now is (`details.current`).
    #[error("precondition failed for a batch of {entity}s")]
    StaleEntities {
        entity: &'static str,
        current: Vec<serde_json::Value>,
    },
    /// 422: an `Idempotency-Key` came back with a different request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// 410: a replay of a keyed write whose first answer named a user
    /// who has since been deleted: that answer is not kept
    /// (`crate::db::idempotency`), and nothing is done again.
    #[error("the recorded answer was forgotten")]
    Forgotten,
    /// 401: no valid credentials (a missing, malformed or expired access
    /// token); answered with `WWW-Authenticate: Bearer`.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 401: a login named an unknown email or the wrong password (one
    /// message for both).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401: the refresh cookie is missing, unknown, expired or revoked.
    #[error("invalid refresh token: {0}")]
    InvalidRefresh(String),
    /// 403: the caller is signed in, but their role does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 403: a browser request from a page of another origin, which may
    /// not act on this site with the user's cookies.
    #[error("foreign origin: {0}")]
    ForeignOrigin(String),
    /// 429: too many attempts; `Retry-After` says when to try again.
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// 503: the server is too busy for this now (password hashing is
    /// full, the database gave up on a lock, no pooled connection came
    /// free in time); `Retry-After` says when to try again.
    #[error("busy for {retry_after} s")]
    Busy { retry_after: u64 },
    /// 429: the caller holds as many realtime sockets as they may.
    #[error("too many sockets: {0}")]
    TooManySockets(String),
    /// 500: logged with its cause, answered generically.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ApiError::Validation(errors)
    }

    pub fn not_found(entity: &str, id: &str) -> Self {
        ApiError::NotFound(format!("no {entity} with id '{id}'"))
    }

    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        ApiError::Internal(format!("{context}: {error}"))
    }

    pub fn invalid_header(header: &'static str, message: impl Into<String>) -> Self {
        ApiError::InvalidHeader {
            header,
            message: message.into(),
        }
    }

    /// 412 for `entity`, which is now `current` at `version`.
    pub fn precondition_failed(
        entity: &'static str,
        version: i64,
        current: &impl serde::Serialize,
    ) -> Self {
        match serde_json::to_value(current) {
            Ok(current) => ApiError::PreconditionFailed {
                entity,
                version,
                current,
            },
            Err(e) => ApiError::internal("encoding the current entity", e),
        }
    }

    /// The version an answer's `ETag` names, if it has one: a 412 names
    /// the current version, for the client to retry with.
    pub fn etag_version(&self) -> Option<i64> {
        match self {
            ApiError::PreconditionFailed { version, .. } => Some(*version),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) | ApiError::MissingEntities { .. } => StatusCode::NOT_FOUND,
            ApiError::UpgradeRequired(_) => StatusCode::UPGRADE_REQUIRED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::InvalidHeader { .. } => StatusCode::BAD_REQUEST,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed { .. } | ApiError::StaleEntities { .. } => {
                StatusCode::PRECONDITION_FAILED
            }
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Forgotten => StatusCode::GONE,
            ApiError::Unauthorized(_)
            | ApiError::InvalidCredentials
            | ApiError::InvalidRefresh(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::ForeignOrigin(_) => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } | ApiError::TooManySockets(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body a client sees.
    pub fn info(&self) -> ErrorInfo {
        let (code, message, details) = match self {
            ApiError::Validation(fields) => (
                "validation",
                format!("invalid input: {fields}"),
                serde_json::to_value(fields).unwrap_or_default(),
            ),
            ApiError::MalformedJson(m) => ("malformed_json", m.clone(), serde_json::Value::Null),
            ApiError::BadRequest(m) => ("bad_request", m.clone(), serde_json::Value::Null),
            ApiError::UnsupportedMediaType(m) => {
                ("unsupported_media_type", m.clone(), serde_json::Value::Null)
            }
            ApiError::PayloadTooLarge(m) => {
                ("payload_too_large", m.clone(), serde_json::Value::Null)
            }
            ApiError::NotFound(m) => ("not_found", m.clone(), serde_json::Value::Null),
            ApiError::UpgradeRequired(m) => {
                ("upgrade_required", m.clone(), serde_json::Value::Null)
            }
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                "this path does not accept that method".to_owned(),
                serde_json::Value::Null,
            ),
            ApiError::Conflict { field, message } => (
                "conflict",
                message.clone(),
                serde_json::json!({ *field: message }),
            ),
            ApiError::InvalidHeader { header, message } => (
                "invalid_header",
                format!("the {header} header is invalid: {message}"),
                serde_json::json!({ *header: message }),
            ),
            ApiError::PreconditionRequired => (
                "precondition_required",
                "this write must name the version it changes: send If-Match with the \
                 ETag you read (e.g. If-Match: \"3\"), or If-Match: * for any version"
                    .to_owned(),
                serde_json::json!({ "If-Match": "required" }),
            ),
            ApiError::PreconditionFailed {
                entity,
                version,
                current,
            } => (
                "precondition_failed",
                format!(
                    "the {entity} has changed: it is now at version {version}, \
                     which If-Match does not name"
                ),
                serde_json::json!({ "current": current }),
            ),
            ApiError::MissingEntities { entity, ids } => (
                "not_found",
                format!(
                    "no {entity} with id {}; nothing was changed",
                    ids.iter()
                        .map(|id| format!("'{id}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                serde_json::json!({ "missing": ids }),
            ),
            ApiError::StaleEntities { entity, current } => (
                "precondition_failed",
                format!(
                    "{} {entity}(s) have changed since the versions named; nothing was \
                     changed: details.current holds each as it now is",
                    current.len()
                ),
                serde_json::json!({ "current": current }),
            ),
            ApiError::IdempotencyKeyReused => (
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request; \
                 send a new key with a new request"
                    .to_owned(),
                serde_json::json!({
                    "Idempotency-Key": "already used with another method, path, If-Match or body"
                }),
            ),
            ApiError::Forgotten => (
                "forgotten",
                "this request was answered before, but that answer named a user who has \
                 since been deleted and is not kept; nothing was done again"
                    .to_owned(),
                serde_json::Value::Null,
            ),
            ApiError::Unauthorized(m) => ("unauthorized", m.clone(), serde_json::Value::Null),
            ApiError::InvalidCredentials => (
                "invalid_credentials",
                "the email or the password is wrong".to_owned(),
                serde_json::Value::Null,
            ),
            ApiError::InvalidRefresh(m) => ("invalid_refresh", m.clone(), serde_json::Value::Null),
            ApiError::Forbidden(m) => ("forbidden", m.clone(), serde_json::Value::Null),
            ApiError::ForeignOrigin(m) => ("forbidden_origin", m.clone(), serde_json::Value::Null),
            ApiError::TooManySockets(m) => ("too_many_sockets", m.clone(), serde_json::Value::Null),
            ApiError::RateLimited { retry_after } => (
                "rate_limited",
                format!("too many attempts; try again in {retry_after} s"),
                serde_json::json!({ "retryAfter": retry_after }),
            ),
            ApiError::Busy { retry_after } => (
                "busy",
                format!("the server is busy; try again in {retry_after} s"),
                serde_json::json!({ "retryAfter": retry_after }),
            ),
            ApiError::Internal(_) => (
                "internal",
                "something went wrong on our side; it has been logged".to_owned(),
                serde_json::Value::Null,
            ),
        };
        ErrorInfo {
            code: code.to_owned(),
            message,
            details,
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = (self.status(), Json(ErrorBody { error: self.info() })).into_response();
        if let Some(version) = self.etag_version() {
            response.headers_mut().insert(header::ETAG, etag(version));
        }
        match &self {
            ApiError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after } | ApiError::Busy { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

/// The strong entity tag of a version: `"3"`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// Answer for a known `/api` path asked with a method it does not take.
pub async fn api_method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Answer for any `/api` path no route matches.
pub async fn api_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no API route at {}", uri.path()))
}

/// Database errors that say "not now" rather than "wrong": a deadlock
/// or serialization failure on PostgreSQL (the transaction was rolled
/// back), a lock not available, SQLite busy or locked. Safe to retry.
const TRANSIENT_DB_CODES: &[&str] = &["40P01", "40001", "55P03", "5", "6", "261", "262", "517"];

impl From<sqlx::Error> for ApiError {
    /// A transient database error ([`TRANSIENT_DB_CODES`]) or a pool
    /// whose connections all stayed busy past its acquire timeout is 503
    /// `busy`; anything else is internal.
    fn from(e: sqlx::Error) -> Self {
        let transient = matches!(e, sqlx::Error::PoolTimedOut)
            || e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|code| TRANSIENT_DB_CODES.contains(&code.as_ref()));
        if transient {
            tracing::warn!(error = %e, "the database is busy; the client is asked to retry");
            return ApiError::Busy { retry_after: 1 };
        }
        ApiError::internal("database", e)
    }
}
