//! `Idempotency-Key`: which request a retry repeats. A key names one
//! request of one user (its method, path, `If-Match` condition and
//! canonical body, hashed into a fingerprint); `crate::db::idempotency`
//! records the answer under it.

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::IfMatch;

/// The header's name, as the errors name it.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// How long a key is remembered after its first use.
pub const KEY_TTL: TimeDelta = TimeDelta::hours(24);

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A client's idempotency key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("it is empty; send 1 to 255 visible ASCII characters, e.g. a UUID".into());
        }
        if raw.len() > MAX_KEY_LEN {
            return Err(format!(
                "it is {} characters long; at most {MAX_KEY_LEN} are accepted",
                raw.len()
            ));
        }
        if !raw.iter().all(u8::is_ascii_graphic) {
            return Err("only visible ASCII characters are accepted (no spaces)".into());
        }
        std::str::from_utf8(raw)
            .map(|key| IdempotencyKey(key.to_owned()))
            .map_err(|_| "only visible ASCII characters are accepted".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A keyed write: the key, what the request was, and when it came.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    pub(crate) key: IdempotencyKey,
    pub(crate) method: String,
    pub(crate) path: String,
    /// Hex SHA-256 of the method, path, condition and body.
    pub(crate) fingerprint: String,
    /// When the key is used (its age counts from here).
    pub(crate) now: DateTime<Utc>,
}

impl IdempotentRequest {
    /// `condition` is the write's `If-Match`, if it takes one; `body` the
    /// canonical JSON body (see `crate::extract::canonical_json`), empty
    /// for none; `now` the time the key is used at.
    pub fn new(
        key: IdempotencyKey,
        method: &str,
        path: &str,
        condition: Option<&IfMatch>,
        body: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let condition = condition.map(IfMatch::canonical).unwrap_or_default();
        Self {
            fingerprint: fingerprint(method, path, &condition, body),
            key,
            method: method.to_owned(),
            path: path.to_owned(),
            now,
        }
    }

    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }
}

/// Hex SHA-256 of the parts, one per line (none of them holds a newline:
/// methods, paths and conditions cannot, and canonical JSON escapes them).
fn fingerprint(method: &str, path: &str, condition: &str, body: &str) -> String {
    let mut hash = Sha256::new();
    for part in [method, path, condition, body] {
        hash.update(part.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse(b"a").is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; MAX_KEY_LEN]).is_ok());
        assert!(IdempotencyKey::parse(b"0b5f3c1e-9d2a-4c7e-8f61-3a2b1c0d9e8f").is_ok());
        assert!(IdempotencyKey::parse(br##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; MAX_KEY_LEN + 1],
            b"with space",
            b"tab\there",
            b"caf\xc3\xa9",
            b"nul\x00",
            b"del\x7f",
        ] {
            assert!(
                IdempotencyKey::parse(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_condition_and_body() {
        let key = IdempotencyKey::parse(b"k").unwrap();
        let now = Utc::now();
        let at = |method: &str, path: &str, condition: Option<&IfMatch>, body: &str| {
            IdempotentRequest::new(key.clone(), method, path, condition, body, now).fingerprint
        };
        let one = IfMatch::Versions(vec![1]);
        let base = at("PATCH", "/api/users/a", Some(&one), r#"{"name":"A"}"#);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            at("PATCH", "/api/users/a", Some(&one), r#"{"name":"A"}"#)
        );
        for other in [
            at("POST", "/api/users/a", Some(&one), r#"{"name":"A"}"#),
            at("PATCH", "/api/users/b", Some(&one), r#"{"name":"A"}"#),
            at(
                "PATCH",
                "/api/users/a",
                Some(&IfMatch::Any),
                r#"{"name":"A"}"#,
            ),
            at("PATCH", "/api/users/a", None, r#"{"name":"A"}"#),
            at("PATCH", "/api/users/a", Some(&one), r#"{"name":"B"}"#),
        ] {
            assert_ne!(base, other);
        }
        // Known answer: SHA-256 of "a\nb\n\n\n" (as `sha256sum` computes it).
        assert_eq!(
            fingerprint("a", "b", "", ""),
            "dd51168e781406dc2f35208136e6aff93d1e62d297f8cea0fb744160905e178f"
        );
    }
}
