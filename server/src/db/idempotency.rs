//! Idempotent writes: a write sent with an `Idempotency-Key` happens at
//! most once, and every retry of it gets the first answer.
//!
//! Keys belong to the user who sent them: two users sending the same key
//! are two requests, and neither ever sees the other's answer.
//!
//! A key names one request: its method, path, `If-Match` condition and
//! body (canonical JSON), hashed into a fingerprint. The answer is recorded
//! in the write's own transaction, beside the write and its change events,
//! so a crash keeps all of them or none. The key is looked up inside that
//! transaction too, after the write lock is taken: two copies of a request
//! racing each other queue on the lock, and the second finds the first's
//! answer instead of writing again. On PostgreSQL, where instances write
//! at once, the key itself is locked too (an advisory lock on the hash of
//! its owner and the key, held until commit).
//!
//! What is recorded: every answer decided inside the transaction, that is
//! the success and the refusals that depend on the stored data (404, 409,
//! 412, and 422 for a post's missing author): a retry of a refused request
//! is refused the same way. Refusals decided before the transaction (a
//! malformed header, an invalid body) are not recorded, so the corrected
//! request may reuse the key; nor are internal errors, which roll the
//! transaction back and leave nothing done.
//!
//! Keys expire [`KEY_TTL`] after their first use: an expired key is a new
//! key. Keyed writes purge the expired ones as they go; the time comes from
//! the request, so tests move it instead of waiting.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tidings::{format_timestamp, ErrorBody};

use super::engine::{dispatch, Engine};
use super::events::WriteTx;
use super::Db;
use crate::auth::Actor;
use crate::error::{etag, ApiError};
use crate::extract::IfMatch;

/// How long a key is remembered after its first use.
pub const KEY_TTL: TimeDelta = TimeDelta::hours(24);

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Marks an answer that was recorded for an earlier request.
pub const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

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
    key: IdempotencyKey,
    method: String,
    path: String,
    fingerprint: String,
    now: DateTime<Utc>,
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

/// How a keyed write begins: with its transaction, or already answered.
pub(crate) enum Begun {
    Write(WriteTx),
    Replay(Written),
}

#[derive(sqlx::FromRow)]
struct Recorded {
    fingerprint: String,
    status: i64,
    body: Option<String>,
    version: Option<i64>,
}

impl Db {
    /// Deletes the keys (and the answers they recorded) older than
    /// [`KEY_TTL`] at `now`; how many went. Keyed writes purge as they go;
    /// this is for a store that sees none.
    pub async fn purge_expired_keys(&self, now: DateTime<Utc>) -> Result<u64, ApiError> {
        let cutoff = format_timestamp(&(now - KEY_TTL));
        let done = dispatch!(self.pool(), pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(&cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    /// Starts the write transaction of a request by `by`, keyed or not
    /// (its events name `by`). A keyed request purges the expired keys,
    /// then looks its own up among `by`'s: found with the same
    /// fingerprint, the recorded answer is the whole answer; found with
    /// another, it is a 422.
    pub(crate) async fn begin_keyed(
        &self,
        by: &Actor,
        once: Option<&IdempotentRequest>,
    ) -> Result<Begun, ApiError> {
        let mut tx = self.begin_write_by(Some(by.id)).await?;
        let Some(request) = once else {
            return Ok(Begun::Write(tx));
        };
        if let Engine::Postgres(c) = tx.conn() {
            super::engine::lock_key(c, by.id, request.key.as_str()).await?;
        }
        let cutoff = format_timestamp(&(request.now - KEY_TTL));
        let owner = by.id.to_string();
        let recorded: Option<Recorded> = dispatch!(tx.conn(), c => {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(&cutoff)
                .execute(&mut *c)
                .await?;
            sqlx::query_as(
                "SELECT fingerprint, status, body, version FROM idempotency_keys \
                 WHERE owner = $1 AND key = $2 AND created_at >= $3",
            )
            .bind(&owner)
            .bind(request.key.as_str())
            .bind(&cutoff)
            .fetch_optional(&mut *c)
            .await?
        });
        let Some(recorded) = recorded else {
            return Ok(Begun::Write(tx));
        };
        if recorded.fingerprint != request.fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        let status = u16::try_from(recorded.status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal("corrupt idempotency record", recorded.status))?;
        // Keeps the purge.
        tx.commit().await?;
        Ok(Begun::Replay(Written::Replayed(Answer {
            status,
            body: recorded.body,
            etag: recorded.version,
        })))
    }

    /// How many keys are remembered (expired ones not yet purged
    /// included).
    pub async fn idempotency_keys_held(&self) -> Result<u64, ApiError> {
        let n: i64 = dispatch!(self.pool(), pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys")
                .fetch_one(pool)
                .await?
        });
        Ok(n as u64)
    }
}

/// Ends a write begun with [`Db::begin_keyed`]: records the answer under
/// the key, if there is one, and commits. A refusal (4xx) of a keyed
/// request is recorded and committed too (nothing else was written: every
/// refusal is decided before the first write); any other failure rolls
/// back.
pub(crate) async fn settle(
    mut tx: WriteTx,
    once: Option<&IdempotentRequest>,
    result: Result<Answer, ApiError>,
) -> Result<Written, ApiError> {
    match result {
        Ok(answer) => {
            if let Some(request) = once {
                record(&mut tx, request, &answer).await?;
            }
            tx.commit().await?;
            Ok(Written::Fresh(answer))
        }
        Err(refused) if refused.status().is_client_error() => {
            if let Some(request) = once {
                record(&mut tx, request, &Answer::error(&refused)?).await?;
                tx.commit().await?;
            }
            Err(refused)
        }
        Err(failed) => Err(failed),
    }
}

async fn record(
    tx: &mut WriteTx,
    request: &IdempotentRequest,
    answer: &Answer,
) -> Result<(), ApiError> {
    let owner = tx.actor().map(|a| a.to_string()).unwrap_or_default();
    let created_at = format_timestamp(&request.now);
    dispatch!(tx.conn(), c => sqlx::query(
        "INSERT INTO idempotency_keys \
         (owner, key, method, path, fingerprint, status, body, version, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&owner)
    .bind(request.key.as_str())
    .bind(&request.method)
    .bind(&request.path)
    .bind(&request.fingerprint)
    .bind(i64::from(answer.status.as_u16()))
    .bind(answer.body.as_deref())
    .bind(answer.etag)
    .bind(&created_at)
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(())
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
