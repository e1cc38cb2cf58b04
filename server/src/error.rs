//! `ApiError`: every way a request can fail, and the one JSON shape
//! (`{"error":{"code","message","details"}}`) each becomes.
//!
//! Internal failures are logged with their cause and answered with a generic
//! message: nothing about the database or the code leaks to a client.

use axum::http::StatusCode;
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

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::UpgradeRequired(_) => StatusCode::UPGRADE_REQUIRED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
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
        (self.status(), Json(ErrorBody { error: self.info() })).into_response()
    }
}

/// Answer for a known `/api` path asked with a method it does not take.
pub async fn api_method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Answer for any `/api` path no route matches.
pub async fn api_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no API route at {}", uri.path()))
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal("database", e)
    }
}
