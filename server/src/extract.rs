//! Request extractors that turn bad input into `ApiError`s naming what is
//! wrong, instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Not JSON at all: 400. Wrong type or unknown field: 422
/// naming the field. Not declared `application/json`: 415. Too large: 413.
pub struct ApiJson<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
        .unwrap_or(false)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge("the request body is too large".into())
                } else {
                    ApiError::MalformedJson("the request body could not be read".into())
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON document, classifying failures as [`ApiJson`] does: a
/// body must be one JSON object and nothing after it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::MalformedJson(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(ApiError::field("body", "the body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = strip_position(&err.into_inner().to_string());
        let field = match (unknown_field(&message), path.as_str()) {
            (_, ".") => unknown_field(&message).unwrap_or_else(|| "body".to_owned()),
            (Some(name), p) if p != name && !p.ends_with(&format!(".{name}")) => {
                format!("{p}.{name}")
            }
            _ => path,
        };
        ApiError::field(&field, message)
    })
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_owned)
}

/// Decoded query pairs, in order; a malformed query string is a 400.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
            .map(QueryPairs)
            .map_err(|_| ApiError::BadRequest("the query string could not be decoded".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings::NewPostInput;

    #[test]
    fn classifies_json_failures() {
        let syntax = parse_json::<NewPostInput>(b"{\"title\": ").unwrap_err();
        assert!(matches!(syntax, ApiError::MalformedJson(_)));
        match parse_json::<NewPostInput>(br#"{"title": 5}"#).unwrap_err() {
            ApiError::Validation(f) => assert!(f.get("title").unwrap().contains("invalid type")),
            other => panic!("expected validation, got {other:?}"),
        }
        match parse_json::<NewPostInput>(br#"{"tilte": "x"}"#).unwrap_err() {
            ApiError::Validation(f) => assert!(f.get("tilte").is_some(), "{f:?}"),
            other => panic!("expected validation, got {other:?}"),
        }
        let trailing = parse_json::<NewPostInput>(br#"{"title": "t"} x"#).unwrap_err();
        assert!(matches!(trailing, ApiError::MalformedJson(_)));
        match parse_json::<tidings::UserPatchInput>(br#"{"preferences": {"colour": 1}}"#)
            .unwrap_err()
        {
            ApiError::Validation(f) => assert!(f.get("preferences.colour").is_some(), "{f:?}"),
            other => panic!("expected validation, got {other:?}"),
        }
        match parse_json::<NewPostInput>(b"[1,2]").unwrap_err() {
            ApiError::Validation(f) => assert!(f.get("body").is_some()),
            other => panic!("expected validation, got {other:?}"),
        }
    }
}
