//! `RawResponse`: an answer as the transport got it (status, headers,
//! body text), and its decoding into the typed result of a call.

use serde::de::DeserializeOwned;

use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::retry_after::parse_retry_after;

#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A success as itself; any other status as the typed error its body
    /// describes, with the wait its `Retry-After` asks for, read at `now`.
    pub fn into_result(self, now: DateTime<Utc>) -> Result<RawResponse, ApiError> {
        if self.is_success() {
            return Ok(self);
        }
        let wait = self
            .header("retry-after")
            .and_then(|value| parse_retry_after(value, now));
        Err(ApiError::from_response(self.status, &self.body).with_retry_after(wait))
    }

    /// The JSON body of a success.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_str(&self.body).map_err(|e| ApiError::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_split_into_answers_and_errors() {
        let ok = RawResponse::new(200, "[1,2]").with_header("Retry-After", "3");
        assert_eq!(ok.header("retry-after"), Some("3"));
        let ok = ok.into_result(DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(ok.json::<Vec<u8>>().unwrap(), vec![1, 2]);
        assert!(matches!(ok.json::<String>(), Err(ApiError::Decode(_))));
        let err = RawResponse::new(404, "")
            .into_result(DateTime::UNIX_EPOCH)
            .unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.retry_after_ms(), None);
        let busy = RawResponse::new(503, "").with_header("Retry-After", "2");
        let err = busy.into_result(DateTime::UNIX_EPOCH).unwrap_err();
        assert_eq!(err.retry_after_ms(), Some(2_000));
        assert!(RawResponse::new(204, "").is_success());
    }
}
