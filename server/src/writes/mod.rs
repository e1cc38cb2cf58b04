//! The API's writes, one function each, called alike by the HTTP routes
//! and by server rendering (`crate::ssr_api`): each validates its input,
//! decides who may write (`crate::auth::policy`, and nowhere else), runs
//! the store's transaction (an entity write's at most once per idempotency
//! key), tells the hub what it committed (the change events, or the
//! sessions an account write ended), and gives the answer ([`Written`]
//! for an entity write) each caller turns into its own.
//!
//! Callers parse what belongs to their edge (a path's id, the `If-Match`
//! and `Idempotency-Key` headers, a JSON body) and hand over typed values.

mod accounts;
mod avatars;
mod posts;
mod users;

use chrono::{DateTime, Utc};

use crate::auth::{Actor, Auth};
use crate::db::events::WriteTx;
use crate::db::idempotency::{settle, Begun};
use crate::db::Db;
use crate::error::ApiError;
use crate::realtime::Hub;
use crate::safe_write::{Answer, IdempotencyKey, IdempotentRequest, IfMatch, Written};
use crate::uploads::StoredAvatars;

/// The writes of one server: its store, the hub its commits are
/// announced to, auth (password hashing within its bound, the attempt
/// limits, token lifetimes) and the stored avatars. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Writes {
    db: Db,
    hub: Hub,
    auth: Auth,
    avatars: StoredAvatars,
}

/// How a write may be repeated: the `Idempotency-Key` it was sent with,
/// if any, its body as canonical JSON (`crate::extract::canonical_json`,
/// empty for a write without a body), which the key's fingerprint covers,
/// and when it was sent, which the key's age counts from.
#[derive(Debug, Clone, Copy)]
pub struct Once<'a> {
    key: Option<&'a IdempotencyKey>,
    body: &'a str,
    sent: DateTime<Utc>,
}

impl<'a> Once<'a> {
    /// A write sent now.
    pub fn new(key: Option<&'a IdempotencyKey>, body: &'a str) -> Self {
        Self {
            key,
            body,
            sent: Utc::now(),
        }
    }

    /// The same write, sent at `sent`.
    pub fn sent_at(self, sent: DateTime<Utc>) -> Self {
        Self { sent, ..self }
    }
}

impl Writes {
    pub fn new(db: Db, hub: Hub, auth: Auth, avatars: StoredAvatars) -> Self {
        Self {
            db,
            hub,
            auth,
            avatars,
        }
    }

    /// The frame of every keyed write: begins `by`'s transaction (or
    /// answers a replay of `method path` at once), runs `write` in it,
    /// records its answer under the key and commits (see
    /// `crate::db::idempotency`), then announces the commit.
    async fn keyed(
        &self,
        by: &Actor,
        (method, path): (&str, &str),
        condition: Option<&IfMatch>,
        once: Once<'_>,
        write: impl AsyncFnOnce(&mut WriteTx) -> Result<Answer, ApiError>,
    ) -> Result<Written, ApiError> {
        let request = once.key.map(|key| {
            IdempotentRequest::new(key.clone(), method, path, condition, once.body, once.sent)
        });
        let mut tx = match self.db.begin_keyed(by, request.as_ref()).await? {
            Begun::Write(tx) => tx,
            Begun::Replay(answer) => return Ok(answer),
        };
        let result = write(&mut tx).await;
        let (written, commit) = settle(tx, request.as_ref(), result).await?;
        self.hub.announce(commit);
        Ok(written)
    }
}
