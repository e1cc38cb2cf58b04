//! `ApiError` as the UI sees it: an HTTP error with the server's code and
//! message, or a failure to get an answer at all (network, timeout, abort),
//! or an answer that is not what the API promises.
//!
//! It is serializable because it crosses from server rendering to hydration
//! inside Leptos resources.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tidings::{ErrorBody, FieldErrors, User};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status and the JSON error shape.
    #[error("{message}")]
    Http {
        status: u16,
        code: String,
        message: String,
        details: serde_json::Value,
        /// The wait the server asked for before another attempt (its
        /// `Retry-After`), in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// No answer: offline, connection refused, DNS, CORS.
    #[error("could not reach the server: {0}")]
    Network(String),
    /// No answer within the time allowed to one attempt.
    #[error("the server did not answer within {after_ms} ms")]
    Timeout { after_ms: u64 },
    /// The caller cancelled the call (or the browser abandoned it).
    #[error("the request was cancelled")]
    Aborted,
    /// An answer that is not what the API promises.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// The kind of an [`ApiError`], without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiErrorKind {
    Http,
    Network,
    Timeout,
    Aborted,
    Decode,
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiErrorKind::Http => "http",
            ApiErrorKind::Network => "network",
            ApiErrorKind::Timeout => "timeout",
            ApiErrorKind::Aborted => "aborted",
            ApiErrorKind::Decode => "decode",
        })
    }
}

/// Whether an answer with this status may succeed if asked again: request
/// timeout (408), rate limited (429) and every server failure (5xx).
/// Every other 4xx is final: the same request gets the same answer.
pub fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 429) || (500..600).contains(&status)
}

impl ApiError {
    /// Builds the error for an error status from the response body, which
    /// should be the JSON error shape but may be anything.
    pub fn from_response(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(parsed) => ApiError::Http {
                status,
                code: parsed.error.code,
                message: parsed.error.message,
                details: parsed.error.details,
                retry_after_ms: None,
            },
            Err(_) => ApiError::Http {
                status,
                code: "http".into(),
                message: format!("the server answered {status}"),
                details: serde_json::Value::Null,
                retry_after_ms: None,
            },
        }
    }

    /// The same error, the server having asked for `wait` before another
    /// attempt; only an HTTP error carries it.
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        if let ApiError::Http { retry_after_ms, .. } = &mut self {
            *retry_after_ms = wait.map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX));
        }
        self
    }

    /// How long the server asked to be left alone, in milliseconds, for an
    /// HTTP error that said so.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            ApiError::Http { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        }
    }

    pub fn kind(&self) -> ApiErrorKind {
        match self {
            ApiError::Http { .. } => ApiErrorKind::Http,
            ApiError::Network(_) => ApiErrorKind::Network,
            ApiError::Timeout { .. } => ApiErrorKind::Timeout,
            ApiError::Aborted => ApiErrorKind::Aborted,
            ApiError::Decode(_) => ApiErrorKind::Decode,
        }
    }

    /// The server's error code for an HTTP error, else the kind's name
    /// (`network`, `timeout`, `aborted`, `decode`).
    pub fn code(&self) -> &str {
        match self {
            ApiError::Http { code, .. } => code,
            ApiError::Network(_) => "network",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Aborted => "aborted",
            ApiError::Decode(_) => "decode",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether asking again may succeed: network failures, timeouts, and
    /// the statuses of [`status_is_retryable`]. A cancelled call, an
    /// undecodable answer and any other 4xx are final.
    pub fn retryable(&self) -> bool {
        match self {
            ApiError::Network(_) | ApiError::Timeout { .. } => true,
            ApiError::Http { status, .. } => status_is_retryable(*status),
            ApiError::Aborted | ApiError::Decode(_) => false,
        }
    }

    /// What a 412 says is current now (`details.current`), read as `T`.
    pub fn current<T: DeserializeOwned>(&self) -> Option<T> {
        match self {
            ApiError::Http {
                status: 412,
                details,
                ..
            } => serde_json::from_value(details.get("current")?.clone()).ok(),
            _ => None,
        }
    }

    /// The users a 412 says are current: one, or a batch's list.
    pub fn current_users(&self) -> Vec<User> {
        self.current::<Vec<User>>()
            .or_else(|| self.current::<User>().map(|u| vec![u]))
            .unwrap_or_default()
    }

    /// Whether the request got no answer at all (it may or may not have
    /// reached the server): no connection, or none in time.
    pub fn is_unanswered(&self) -> bool {
        matches!(self, ApiError::Network(_) | ApiError::Timeout { .. })
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, ApiError::Timeout { .. })
    }

    pub fn is_aborted(&self) -> bool {
        matches!(self, ApiError::Aborted)
    }

    /// Per-field messages of a 422, if this is one.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            ApiError::Http {
                status: 422,
                details,
                ..
            } => serde_json::from_value(details.clone()).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ApiError {
        ApiError::from_response(status, "")
    }

    #[test]
    fn parses_the_error_shape_and_tolerates_others() {
        let body = r#"{"error":{"code":"validation","message":"invalid input","details":{"title":"title is required"}}}"#;
        let e = ApiError::from_response(422, body);
        assert_eq!(e.status(), Some(422));
        assert_eq!(e.code(), "validation");
        assert_eq!(
            e.field_errors().unwrap().get("title"),
            Some("title is required")
        );
        let e = ApiError::from_response(502, "<html>bad gateway</html>");
        assert_eq!(e.to_string(), "the server answered 502");
        assert!(e.field_errors().is_none());
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(http(status).retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422, 426] {
            assert!(!http(status).retryable(), "{status}");
        }
        assert!(ApiError::Network("refused".into()).retryable());
        assert!(ApiError::Timeout { after_ms: 10 }.retryable());
        assert!(!ApiError::Aborted.retryable());
        assert!(!ApiError::Decode("bad".into()).retryable());
    }

    #[test]
    fn kinds_and_codes() {
        assert_eq!(ApiError::Aborted.kind(), ApiErrorKind::Aborted);
        assert_eq!(ApiError::Aborted.code(), "aborted");
        assert_eq!(ApiError::Timeout { after_ms: 5 }.code(), "timeout");
        assert!(ApiError::Timeout { after_ms: 5 }.is_timeout());
        assert_eq!(http(404).kind(), ApiErrorKind::Http);
        assert_eq!(ApiErrorKind::Network.to_string(), "network");
    }

    #[test]
    fn survives_serialization_between_server_and_browser() {
        for e in [
            ApiError::from_response(
                412,
                r#"{"error":{"code":"precondition_failed","message":"m","details":{"version":3}}}"#,
            ),
            ApiError::Network("refused".into()),
            ApiError::Timeout { after_ms: 1500 },
            ApiError::Aborted,
            ApiError::Decode("bad".into()),
        ] {
            let text = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<ApiError>(&text).unwrap(), e);
        }
    }
}
