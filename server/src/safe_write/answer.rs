//! The answer a write gives, as sent and as recorded under its key:
//! first-hand ([`Written::Fresh`]) or replayed for a retry
//! ([`Written::Replayed`], marked `Idempotent-Replayed: true`).

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tidings::ErrorBody;

use crate::error::{etag, ApiError};

/// Marks an answer that was recorded for an earlier request.
pub const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A write's answer, as sent and as recorded: status, JSON body, and the
/// version its `ETag` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Option<String>,
    pub etag: Option<i64>,
}

impl Answer {
    /// An entity at `version`, with its `ETag`.
    pub fn entity(
        status: StatusCode,
        entity: &impl Serialize,
        version: i64,
    ) -> Result<Self, ApiError> {
        let body = serde_json::to_string(entity)
            .map_err(|e| ApiError::internal("encoding an answer", e))?;
        Ok(Answer {
            status,
            body: Some(body),
            etag: Some(version),
        })
    }

    /// A JSON body without an `ETag` (e.g. a list of entities).
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, ApiError> {
        let body =
            serde_json::to_string(body).map_err(|e| ApiError::internal("encoding an answer", e))?;
        Ok(Answer {
            status,
            body: Some(body),
            etag: None,
        })
    }

    pub fn no_content() -> Self {
        Answer {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
        }
    }

    /// The answer `error` gets, byte for byte.
    pub fn error(error: &ApiError) -> Result<Self, ApiError> {
        let body = serde_json::to_string(&ErrorBody {
            error: error.info(),
        })
        .map_err(|e| ApiError::internal("encoding an error answer", e))?;
        Ok(Answer {
            status: error.status(),
            body: Some(body),
            etag: error.etag_version(),
        })
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (
                self.status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            None => self.status.into_response(),
        };
        if let Some(version) = self.etag {
            response.headers_mut().insert(header::ETAG, etag(version));
        }
        response
    }
}

/// What a write answered: first-hand, or the recorded answer to an
/// earlier request with the same key (sent with `Idempotent-Replayed:
/// true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Fresh(Answer),
    Replayed(Answer),
}

impl Written {
    pub fn answer(&self) -> &Answer {
        match self {
            Written::Fresh(answer) | Written::Replayed(answer) => answer,
        }
    }

    pub fn is_replay(&self) -> bool {
        matches!(self, Written::Replayed(_))
    }
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        match self {
            Written::Fresh(answer) => answer.into_response(),
            Written::Replayed(answer) => {
                let mut response = answer.into_response();
                response
                    .headers_mut()
                    .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_is_the_error_response_byte_for_byte() {
        let error = ApiError::precondition_failed("post", 4, &serde_json::json!({"id": "x"}));
        let answer = Answer::error(&error).unwrap();
        assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(answer.etag, Some(4));
        let body: serde_json::Value =
            serde_json::from_str(answer.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "precondition_failed");
        assert_eq!(body["error"]["details"]["current"]["id"], "x");
    }
}
