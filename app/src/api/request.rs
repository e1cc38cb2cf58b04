//! `ApiRequest`: one call as data (endpoint, path, query, headers, JSON
//! body), before any transport sees it. Middleware edits it on its way out.

use serde::Serialize;

use super::endpoint::{Endpoint, Method};
use super::error::ApiError;
use super::idempotency::IdempotencyKey;

pub const AUTHORIZATION: &str = "Authorization";
pub const CONTENT_TYPE: &str = "Content-Type";
pub const IF_MATCH: &str = "If-Match";
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    pub endpoint: Endpoint,
    /// The concrete path (`/api/users/7f…`), without the query.
    pub path: String,
    /// Query parameters, unencoded.
    pub query: Vec<(&'static str, String)>,
    /// Header names keep the case they were set with; lookups ignore it.
    pub headers: Vec<(String, String)>,
    /// JSON text, when the call has a body.
    pub body: Option<String>,
    /// The session epoch the access token was read in, stamped by the
    /// auth middleware so a 401 can tell a stale token from a bad one.
    pub auth_epoch: Option<u64>,
}

impl ApiRequest {
    pub fn new(endpoint: Endpoint, path: impl Into<String>) -> Self {
        Self {
            endpoint,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth_epoch: None,
        }
    }

    pub fn method(&self) -> Method {
        self.endpoint.method
    }

    pub fn with_query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    /// The path and encoded query string (relative to the API's base).
    pub fn url(&self) -> String {
        let mut url = self.path.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_component(key));
            url.push('=');
            url.push_str(&encode_component(value));
        }
        url
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name`, replacing any value it had.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.remove_header(name);
        self.headers.push((name.to_owned(), value.into()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Makes `body` the JSON body.
    pub fn with_json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body)
            .map_err(|e| ApiError::Decode(format!("could not encode the request: {e}")))?;
        self.set_header(CONTENT_TYPE, "application/json");
        self.body = Some(text);
        Ok(self)
    }

    /// Makes the write conditional on the entity still being at `version`
    /// (`If-Match: "<version>"`).
    pub fn if_match(mut self, version: i64) -> Self {
        self.set_header(IF_MATCH, format!("\"{version}\""));
        self
    }

    /// Names the logical mutation this request performs; every attempt
    /// of the call carries the same key.
    pub fn idempotent(mut self, key: Option<&IdempotencyKey>) -> Self {
        match key {
            Some(key) => self.set_header(IDEMPOTENCY_KEY, key.as_str()),
            None => self.remove_header(IDEMPOTENCY_KEY),
        }
        self
    }

    pub fn idempotency_key(&self) -> Option<&str> {
        self.header(IDEMPOTENCY_KEY)
    }

    /// Whether sending this request twice is harmless: a safe method, or
    /// a mutation with an idempotency key (the server answers a replay
    /// with the first answer).
    pub fn is_replayable(&self) -> bool {
        self.method().is_safe() || self.idempotency_key().is_some()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as
/// `encodeURIComponent` does for ASCII (and UTF-8 bytes beyond it).
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::{CREATE_POST, LIST_USERS, UPDATE_USER};
    use uuid::Uuid;

    #[test]
    fn query_values_are_encoded() {
        let request = LIST_USERS.request().with_query(vec![
            ("search", "Ada & Grace/ü".into()),
            ("page", "2".into()),
        ]);
        assert_eq!(
            request.url(),
            "/api/users?search=Ada%20%26%20Grace%2F%C3%BC&page=2"
        );
        assert_eq!(LIST_USERS.request().url(), "/api/users");
    }

    #[test]
    fn headers_are_case_insensitive_and_replaced() {
        let mut request = LIST_USERS.request();
        request.set_header("authorization", "Bearer a");
        request.set_header(AUTHORIZATION, "Bearer b");
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer b"));
        request.remove_header("Authorization");
        assert_eq!(request.header(AUTHORIZATION), None);
    }

    #[test]
    fn writes_name_the_version_and_the_key() {
        let key = IdempotencyKey::new("k-1");
        let request = UPDATE_USER
            .request_for(Uuid::nil())
            .if_match(3)
            .idempotent(Some(&key));
        assert_eq!(request.header("if-match"), Some("\"3\""));
        assert_eq!(request.idempotency_key(), Some("k-1"));
        assert!(request.is_replayable());
        assert!(!UPDATE_USER.request_for(Uuid::nil()).is_replayable());
        assert!(!CREATE_POST.request().idempotent(None).is_replayable());
        assert!(LIST_USERS.request().is_replayable());
    }

    #[test]
    fn json_bodies_declare_themselves() {
        let request = CREATE_POST
            .request()
            .with_json(&serde_json::json!({"title": "t"}))
            .unwrap();
        assert_eq!(request.body.as_deref(), Some(r#"{"title":"t"}"#));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
}
