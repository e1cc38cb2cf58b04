//! Request extractors that turn bad input into `ApiError`s naming what is
//! wrong, instead of axum's plain-text rejections, and the
//! `Idempotency-Key` header of a safe write (see `crate::safe_write`).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::safe_write::{IdempotencyKey, IDEMPOTENCY_KEY};
pub use tidings::canonical::canonical_json;

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

/// Reads a JSON body's bytes: 415 unless declared JSON, 413 when too large.
async fn json_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ));
    }
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("the request body is too large".into())
            } else {
                ApiError::MalformedJson("the request body could not be read".into())
            }
        })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body read as [`ApiJson`] reads it, with its canonical text (see
/// [`canonical_json`]): what an idempotent replay must repeat.
pub struct CanonicalJson<T> {
    pub value: T,
    pub canonical: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CanonicalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        let document = parse_object(&bytes)?;
        let canonical = canonical_json(&document);
        let value = deserialize(document)?;
        Ok(CanonicalJson { value, canonical })
    }
}

/// A [`CanonicalJson`] body whose `password` field is taken out before
/// the rest is read: the password is in neither the value nor the
/// canonical text (which request fingerprints hash, so no fast hash of a
/// password is ever stored). Present, it must be a string (422 naming
/// `password` otherwise).
pub struct WithPassword<T> {
    pub body: CanonicalJson<T>,
    pub password: Option<String>,
}

/// The field [`WithPassword`] takes out.
pub const PASSWORD_FIELD: &str = "password";

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WithPassword<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        let mut document = parse_object(&bytes)?;
        let password = match document
            .as_object_mut()
            .and_then(|fields| fields.remove(PASSWORD_FIELD))
        {
            None => None,
            Some(serde_json::Value::String(password)) => Some(password),
            Some(_) => return Err(ApiError::field(PASSWORD_FIELD, "password must be a string")),
        };
        let canonical = canonical_json(&document);
        let value = deserialize(document)?;
        Ok(WithPassword {
            body: CanonicalJson { value, canonical },
            password,
        })
    }
}

/// Parses a JSON document, classifying failures as [`ApiJson`] does: a
/// body must be one JSON object and nothing after it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    deserialize(parse_object(bytes)?)
}

/// One JSON object and nothing after it: not JSON is 400, not an object 422.
fn parse_object(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
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
    if let Some(field) = first_null(&value, String::new()) {
        return Err(ApiError::field(
            &field,
            format!("{field} is null: leave a field out instead of sending null"),
        ));
    }
    Ok(value)
}

/// The path (`name`, `preferences.theme`, `updates[0].version`) of the
/// first `null` in a body. No field of any request takes `null`: an
/// optional field is left out, so `null` never means two things.
fn first_null(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::Null => Some(path),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(name, inner)| {
            let path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            first_null(inner, path)
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, inner)| first_null(inner, format!("{path}[{i}]"))),
        _ => None,
    }
}

/// The document as `T`; a wrong type or unknown field is a 422 naming it.
fn deserialize<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
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

/// The `Idempotency-Key` of a write, if it has one; malformed (or sent
/// twice) is 400 naming the header.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = headers
        .get_all(HeaderName::from_static("idempotency-key"))
        .iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_header(
            IDEMPOTENCY_KEY,
            "send one key, once",
        ));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .map_err(|message| ApiError::invalid_header(IDEMPOTENCY_KEY, message))
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
