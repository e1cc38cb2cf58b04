//! From the UI's [`ApiError`] to the engine's [`QueryError`] and back.
//!
//! The engine only needs a message, a code and whether a retry may help;
//! the UI wants the typed error. The host keeps the last `ApiError` of each
//! query beside the engine (`host.rs`), so [`from_query_error`] is only the
//! fallback for an error the engine holds without one (none in practice).

use serde_json::Value;
use tidings::cache::QueryError;

use crate::api::ApiError;

/// The engine's view of `error`: network trouble, timeouts (408), rate
/// limits (429) and server failures (5xx) are worth retrying; anything
/// else the server said is final.
pub(crate) fn to_query_error(error: &ApiError) -> QueryError {
    let (code, retryable) = match error {
        ApiError::Http { status, code, .. } => (code.clone(), retryable_status(*status)),
        ApiError::Network(_) => ("network".to_owned(), true),
        ApiError::Timeout { .. } => ("timeout".to_owned(), true),
        ApiError::Aborted => ("aborted".to_owned(), false),
        ApiError::Decode(_) => ("decode".to_owned(), false),
    };
    QueryError {
        message: error.to_string(),
        code: Some(code),
        retryable,
        retry_after: error.retry_after_ms(),
    }
}

/// An `ApiError` standing for an engine error that came without one.
pub(crate) fn from_query_error(error: &QueryError) -> ApiError {
    match error.code.as_deref() {
        Some("decode") => ApiError::Decode(error.message.clone()),
        Some("network") | None => ApiError::Network(error.message.clone()),
        Some(code) => ApiError::Http {
            status: 0,
            code: code.to_owned(),
            message: error.message.clone(),
            details: Value::Null,
            retry_after_ms: error.retry_after,
        },
    }
}

fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ApiError {
        ApiError::Http {
            status,
            code: "x".into(),
            message: "m".into(),
            details: Value::Null,
            retry_after_ms: None,
        }
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(to_query_error(&ApiError::Network("down".into())).retryable);
        assert!(to_query_error(&http(503)).retryable);
        assert!(to_query_error(&http(429)).retryable);
        assert!(!to_query_error(&http(404)).retryable);
        assert!(!to_query_error(&http(422)).retryable);
        assert!(!to_query_error(&ApiError::Decode("bad".into())).retryable);
        assert_eq!(to_query_error(&http(404)).code.as_deref(), Some("x"));
    }

    #[test]
    fn fallback_keeps_the_kind() {
        let back = from_query_error(&to_query_error(&ApiError::Decode("bad".into())));
        assert!(matches!(back, ApiError::Decode(_)));
        let back = from_query_error(&to_query_error(&http(404)));
        assert!(matches!(back, ApiError::Http { ref code, .. } if code == "x"));
    }
}
