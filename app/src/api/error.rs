//! `ApiError` as the UI sees it: an HTTP error with the server's code and
//! message, or a failure to talk to the server at all.

use serde::{Deserialize, Serialize};
use tidings::{ErrorBody, FieldErrors};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status and the JSON error shape.
    #[error("{message}")]
    Http {
        status: u16,
        code: String,
        message: String,
        details: serde_json::Value,
    },
    /// No answer: offline, refused, or aborted.
    #[error("could not reach the server: {0}")]
    Network(String),
    /// An answer that is not what the API promises.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
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
            },
            Err(_) => ApiError::Http {
                status,
                code: "http".into(),
                message: format!("the server answered {status}"),
                details: serde_json::Value::Null,
            },
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
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

    #[test]
    fn parses_the_error_shape_and_tolerates_others() {
        let body = r#"{"error":{"code":"validation","message":"invalid input","details":{"title":"title is required"}}}"#;
        let e = ApiError::from_response(422, body);
        assert_eq!(e.status(), Some(422));
        assert_eq!(
            e.field_errors().unwrap().get("title"),
            Some("title is required")
        );
        let e = ApiError::from_response(502, "<html>bad gateway</html>");
        assert_eq!(e.to_string(), "the server answered 502");
        assert!(e.field_errors().is_none());
    }
}
