//! The refresh grace window in the store: a refresh token rotated less
//! than the window ago that comes back (its answer was lost, or another
//! tab of the same browser refreshed with it at the same moment) is
//! answered with the token its family holds now, and nothing is written,
//! so neither tab is signed out.
//!
//! The store keeps only hashes, so that token is found by deriving
//! successors from the presented text (`crate::auth::refresh::Successors`)
//! and looking each one up, until one of the same family is neither
//! rotated nor revoked. That is the presented token's own successor, or,
//! when the family has already moved on within the window, the newest
//! token after it: the browser holds that one already, and answering it
//! keeps every tab signed in. A family revoked or expired in between, or
//! a successor this server cannot derive (another secret), answers
//! nothing.
//!
//! The window lives in the table (`rotated_at`), so every instance on one
//! database keeps the same one.

use chrono::{DateTime, TimeDelta, Utc};
use tidings::format_timestamp;

use super::engine::dispatch;
use super::events::WriteTx;
use crate::auth::refresh::{digest, Successors};
use crate::error::ApiError;

/// Whether a token rotated at `rotated_at` (the tables' text form) was
/// rotated less than `grace` before `now`.
pub(super) fn within(rotated_at: &str, now: DateTime<Utc>, grace: TimeDelta) -> bool {
    grace > TimeDelta::zero() && rotated_at > format_timestamp(&(now - grace)).as_str()
}

/// The current token of `family` descended from the rotated token
/// `rotated`, and its user, as the store holds them at `now` (text form).
pub(super) async fn current_descendant(
    tx: &mut WriteTx,
    successors: &Successors,
    rotated: &str,
    family: &str,
    now: &str,
) -> Result<Option<(String, String)>, ApiError> {
    let mut token = successors.of(rotated);
    loop {
        let row: Option<(String, String, Option<String>)> = dispatch!(tx.conn(), c => sqlx::query_as(
            "SELECT family_id, user_id, rotated_at FROM refresh_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(digest(&token))
        .bind(now)
        .fetch_optional(c)
        .await?);
        match row {
            Some((of, user, None)) if of == family => return Ok(Some((token, user))),
            Some((of, _, Some(_))) if of == family => token = successors.of(&token),
            _ => return Ok(None),
        }
    }
}
