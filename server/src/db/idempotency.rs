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
//!
//! Deleting a user forgets what the recorded answers said about them, in
//! the deletion's transaction ([`forget_user`]): an answer naming the
//! user's id (the user, a post of theirs, a batch or a 412 holding either)
//! is replaced by a 410 `forgotten` (`ApiError::Forgotten`), under the
//! same key and fingerprint. A replay of such a key answers that 410 and
//! does nothing again (a fresh run could create the user a second time);
//! the same key with another request is still a 422.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use tidings::format_timestamp;
use uuid::Uuid;

use super::engine::{dispatch, Engine};
use super::events::{Commit, WriteTx};
use super::Db;
use crate::auth::Actor;
use crate::error::ApiError;
use crate::safe_write::{Answer, IdempotentRequest, Written, KEY_TTL};

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
        tx.commit_quiet().await?;
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
/// the key, if there is one, and commits, handing back what the write
/// appended. A refusal (4xx) of a keyed request is recorded and committed
/// too (nothing else was written: every refusal is decided before the
/// first write, and a refusal that appended events is an internal error);
/// any other failure rolls back.
pub(crate) async fn settle(
    mut tx: WriteTx,
    once: Option<&IdempotentRequest>,
    result: Result<Answer, ApiError>,
) -> Result<(Written, Commit), ApiError> {
    match result {
        Ok(answer) => {
            if let Some(request) = once {
                record(&mut tx, request, &answer).await?;
            }
            let commit = tx.commit().await?;
            Ok((Written::Fresh(answer), commit))
        }
        Err(refused) if refused.status().is_client_error() => {
            if let Some(request) = once {
                record(&mut tx, request, &Answer::error(&refused)?).await?;
                tx.commit_quiet().await?;
            }
            Err(refused)
        }
        Err(failed) => Err(failed),
    }
}

/// Replaces, in `tx`, every recorded answer that names user `id` with
/// the answer `ApiError::Forgotten` gets (see the module's documentation).
pub(crate) async fn forget_user(tx: &mut WriteTx, id: Uuid) -> Result<(), ApiError> {
    let forgotten = Answer::error(&ApiError::Forgotten)?;
    // Bodies are compact JSON written by `Answer`: an id in them reads
    // `"<id>"` exactly, as a value or in a list (inside a string those
    // quotes would be escaped).
    let naming = format!("%\"{id}\"%");
    dispatch!(tx.conn(), c => sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2, version = NULL WHERE body LIKE $3",
    )
    .bind(i64::from(forgotten.status.as_u16()))
    .bind(forgotten.body.as_deref())
    .bind(&naming)
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(())
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
