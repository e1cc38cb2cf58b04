//! Account writes: changing a password, rotating a refresh token, and
//! signing out of one session or of all of them. Each commits in the
//! store, which answers the sessions (refresh-token families) it ended;
//! this instance's sockets of those sessions end here, and the other
//! instances learn of them from the store (`crate::realtime::listener`).
//! Starting a session (sign-in) ends none and stays with its route.

use std::time::Instant;

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use super::Writes;
use crate::auth::password::Password;
use crate::auth::{refresh, Actor};
use crate::db::auth::Rotation;
use crate::error::ApiError;

impl Writes {
    /// `POST /api/auth/password` by `by`, signed in through `session`:
    /// `current` must be their password (422 naming `currentPassword`
    /// otherwise, the attempts rate-limited like sign-in); the password
    /// becomes `new` and every session but `session` is signed out.
    pub async fn change_password(
        &self,
        by: &Actor,
        session: Option<Uuid>,
        current: Password,
        new: Password,
    ) -> Result<(), ApiError> {
        let key = by.id.to_string();
        let limiter = self.auth.limiter();
        limiter
            .attempt(None, &key, Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        let stored = match self.db.password_hash(by.id).await? {
            Some(hash) => hash,
            None => self.auth.decoy_hash().await?,
        };
        if !self.auth.hashing().verify(current, stored).await? {
            limiter.failed(None, &key, Instant::now());
            return Err(ApiError::field(
                "currentPassword",
                "this is not your password",
            ));
        }
        let hash = self.auth.hashing().hash(new).await?;
        self.end_sessions(by.id, session, Some(&hash)).await
    }

    /// `POST /api/auth/logout-all` by `by`: every session of theirs,
    /// the caller's own included, is signed out.
    pub async fn sign_out_everywhere(&self, by: &Actor) -> Result<(), ApiError> {
        self.end_sessions(by.id, None, None).await
    }

    /// `POST /api/auth/logout` with the refresh token `presented`: its
    /// session is signed out, if the token is known.
    pub async fn sign_out(&self, presented: &str) -> Result<(), ApiError> {
        let ended = self
            .db
            .revoke_refresh_family(&refresh::digest(presented), Utc::now())
            .await?;
        if let Some((user, session)) = ended {
            self.end_sockets(user, &[session]);
        }
        Ok(())
    }

    /// `POST /api/auth/refresh` with the refresh token `presented`,
    /// exchanged for its successor (see [`Rotation`]): a token presented
    /// again within the refresh grace window gets its family's current
    /// token, one presented again after it signs its whole session out.
    pub async fn rotate_refresh(&self, presented: &str) -> Result<Rotation, ApiError> {
        let rotation = self
            .db
            .rotate_refresh(
                presented,
                self.auth.successors(),
                Utc::now(),
                TimeDelta::seconds(self.auth.refresh_ttl()),
                TimeDelta::seconds(self.auth.refresh_grace()),
            )
            .await?;
        if let Rotation::Reused { user, session } = rotation {
            tracing::warn!(
                "a refresh token rotated longer ago than the grace window was presented again; \
                 its family is revoked"
            );
            self.end_sockets(user, &[session]);
        }
        Ok(rotation)
    }

    /// Signs out every session of `user` but `keep`, setting their
    /// password to `new_hash` first if given (see `Db::end_sessions_of`).
    async fn end_sessions(
        &self,
        user: Uuid,
        keep: Option<Uuid>,
        new_hash: Option<&str>,
    ) -> Result<(), ApiError> {
        let ended = self
            .db
            .end_sessions_of(user, keep, new_hash, Utc::now())
            .await?;
        self.end_sockets(user, &ended);
        Ok(())
    }

    fn end_sockets(&self, user: Uuid, sessions: &[Uuid]) {
        for session in sessions {
            self.hub.sessions().end_session(user, *session);
        }
    }
}
