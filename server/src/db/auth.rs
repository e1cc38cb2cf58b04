//! Accounts in the store: password hashes (never part of a `User`, so
//! never in an answer or an event) and refresh-token families.
//!
//! A refresh token is stored as the hex SHA-256 of its text. Rotation
//! marks the presented token rotated and adds its successor (derived from
//! it, `crate::auth::refresh`) to the same family, in one write
//! transaction. A rotated token presented again within the grace window
//! is answered with its family's current token ([`super::refresh_grace`]);
//! after the window it revokes every token of its family, the newest
//! included.

use chrono::{DateTime, TimeDelta, Utc};
use tidings::{format_timestamp, Email, NewUser, User};
use uuid::Uuid;

use super::engine::dispatch;
use super::events::{Commit, WriteTx};
use super::{refresh_grace, Db};
use crate::auth::refresh::{digest, Successors};
use crate::error::ApiError;

/// What presenting a refresh token did.
#[derive(Debug)]
pub enum Rotation {
    /// It was current, and its successor `token` is stored now; or it was
    /// rotated less than the grace window ago, and `token` is what its
    /// family holds now (the successor stored then, unless that was
    /// rotated too), rotated no further. Here are its user and the
    /// session (family) it belongs to.
    Rotated {
        user: User,
        session: Uuid,
        token: String,
    },
    /// It had been rotated longer ago than the grace window: its whole
    /// family (the session of `user`) is now revoked.
    Reused { user: Uuid, session: Uuid },
    /// Unknown, expired, revoked, or its user is gone.
    Invalid,
}

/// Stores `password_hash` as the password of user `id`, in `tx`.
pub(crate) async fn set_password_in(
    tx: &mut WriteTx,
    id: Uuid,
    password_hash: &str,
) -> Result<(), ApiError> {
    dispatch!(tx.conn(), c => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id.to_string())
        .execute(c)
        .await
        .map(|_| ())?);
    Ok(())
}

async fn insert_token(
    tx: &mut WriteTx,
    token_hash: &str,
    family: &str,
    user: &str,
    now: DateTime<Utc>,
    ttl: TimeDelta,
) -> Result<(), ApiError> {
    let created_at = format_timestamp(&now);
    let expires_at = format_timestamp(&(now + ttl));
    dispatch!(tx.conn(), c => sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family)
    .bind(user)
    .bind(&created_at)
    .bind(&expires_at)
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(())
}

impl Db {
    /// Creates a user who signs in with the password hashed
    /// `password_hash` (`crate::auth::password::hash`), appending
    /// `USER_CREATED`, in one transaction; 409 for a taken email. For
    /// operators and tools: the API's `POST /api/users` does the same for
    /// admins. Announce the commit to the hub of a running server.
    pub async fn create_account(
        &self,
        new: &NewUser,
        password_hash: &str,
    ) -> Result<(User, Commit), ApiError> {
        let mut tx = self.begin_write().await?;
        let user = super::users::insert(&mut tx, new).await?;
        set_password_in(&mut tx, user.id, password_hash).await?;
        Ok((user, tx.commit().await?))
    }

    /// The user with `email` and their password hash (`None` when they
    /// have no password), or `None` when no user has this email.
    pub async fn account_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<(User, Option<String>)>, ApiError> {
        let row: Option<(String, Option<String>)> = dispatch!(self.pool(), pool => {
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?
        });
        let Some((id, hash)) = row else {
            return Ok(None);
        };
        let id = super::rows::id(&id)?;
        Ok(self.get_user(id).await?.map(|user| (user, hash)))
    }

    /// Stores the first token of a new family for `user` (a sign-in);
    /// the family's id names the session.
    pub async fn start_refresh_family(
        &self,
        user: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<Uuid, ApiError> {
        let mut tx = self.begin_write().await?;
        let family = Uuid::new_v4();
        insert_token(
            &mut tx,
            token_hash,
            &family.to_string(),
            &user.to_string(),
            now,
            ttl,
        )
        .await?;
        tx.commit_quiet().await?;
        Ok(family)
    }

    /// Whether a token naming `user` with `role`, signed in through
    /// `session` (if it names one), still stands: the user has that role,
    /// and the session exists and was not signed out or revoked. A token
    /// without a session (an operator's) stands unless its user has
    /// another role.
    pub async fn session_is_current(
        &self,
        user: Uuid,
        role: tidings::Role,
        session: Option<Uuid>,
    ) -> Result<bool, ApiError> {
        let stored: Option<String> = dispatch!(self.pool(), pool => {
            sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(pool)
                .await?
        });
        let session = match (&stored, session) {
            (Some(stored), _) if stored != role.as_str() => return Ok(false),
            // A signed-in user who is gone.
            (None, Some(_)) => return Ok(false),
            // Tokens without a session are an operator's, minted with the
            // signing secret; they name no row when the store is empty.
            (_, None) => return Ok(true),
            (Some(_), Some(session)) => session,
        };
        let live: Option<i32> = dispatch!(self.pool(), pool => {
            sqlx::query_scalar(
                "SELECT 1 FROM refresh_tokens \
                 WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL LIMIT 1",
            )
            .bind(session.to_string())
            .bind(user.to_string())
            .fetch_optional(pool)
            .await?
        });
        Ok(live.is_some())
    }

    /// Revokes every session of `user` but `keep` (sign out everywhere, or
    /// everywhere else), and sets their password to `new_hash` first if
    /// given, in one transaction: the sessions (families) it ended. On
    /// PostgreSQL each is notified to every instance; the caller ends this
    /// instance's sockets.
    pub async fn end_sessions_of(
        &self,
        user: Uuid,
        keep: Option<Uuid>,
        new_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, ApiError> {
        let mut tx = self.begin_write().await?;
        if let Some(hash) = new_hash {
            set_password_in(&mut tx, user, hash).await?;
        }
        let families: Vec<String> = dispatch!(tx.conn(), c => {
            sqlx::query_scalar(
                "SELECT DISTINCT family_id FROM refresh_tokens \
                 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user.to_string())
            .fetch_all(c)
            .await?
        });
        let at = format_timestamp(&now);
        let mut ended = Vec::new();
        for family in families {
            let id = super::rows::id(&family)?;
            if Some(id) == keep {
                continue;
            }
            if revoke_family(&mut tx, &family, &at).await?.is_some() {
                ended.push(id);
            }
        }
        tx.commit_quiet().await?;
        Ok(ended)
    }

    /// The password hash of `user`, if they have one.
    pub async fn password_hash(&self, user: Uuid) -> Result<Option<String>, ApiError> {
        let hash: Option<Option<String>> = dispatch!(self.pool(), pool => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(hash.flatten())
    }

    /// Deletes the refresh tokens that expired before `now` (they sign
    /// nobody in and only say who was signed in when); how many went.
    pub async fn purge_expired_refresh_tokens(&self, now: DateTime<Utc>) -> Result<u64, ApiError> {
        let done = dispatch!(self.pool(), pool => {
            sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
                .bind(format_timestamp(&now))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    /// The sessions (user, family) revoked at or after `since`.
    pub async fn sessions_revoked_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Uuid)>, ApiError> {
        let rows: Vec<(String, String)> = dispatch!(self.pool(), pool => {
            sqlx::query_as(
                "SELECT DISTINCT user_id, family_id FROM refresh_tokens WHERE revoked_at >= $1",
            )
            .bind(format_timestamp(&since))
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(user, family)| Ok((super::rows::id(user)?, super::rows::id(family)?)))
            .collect()
    }

    /// Exchanges the refresh token `presented` for its successor,
    /// derived by `successors`, which lives `ttl` from `now`; a token
    /// rotated less than `grace` ago is answered with its family's current
    /// token, one rotated longer ago revokes its family (see [`Rotation`]).
    pub async fn rotate_refresh(
        &self,
        presented: &str,
        successors: &Successors,
        now: DateTime<Utc>,
        ttl: TimeDelta,
        grace: TimeDelta,
    ) -> Result<Rotation, ApiError> {
        let at = format_timestamp(&now);
        let presented_hash = digest(presented);
        let mut tx = self.begin_write().await?;
        // On PostgreSQL a concurrent rotation of the same token makes this
        // wait for it, then find the token rotated: a replay or a reuse.
        let current: Option<(String, String)> = dispatch!(tx.conn(), c => sqlx::query_as(
            "UPDATE refresh_tokens SET rotated_at = $1 \
             WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $1 RETURNING family_id, user_id",
        )
        .bind(&at)
        .bind(&presented_hash)
        .fetch_optional(c)
        .await?);
        let Some((family, user_id)) = current else {
            let known: Option<(String, Option<String>, Option<String>)> = dispatch!(tx.conn(), c => sqlx::query_as(
                    "SELECT family_id, rotated_at, revoked_at FROM refresh_tokens \
                     WHERE token_hash = $1",
                )
                .bind(&presented_hash)
                .fetch_optional(c)
                .await?);
            let Some((family, Some(rotated_at), None)) = known else {
                return Ok(Rotation::Invalid);
            };
            if refresh_grace::within(&rotated_at, now, grace) {
                let found =
                    refresh_grace::current_descendant(&mut tx, successors, presented, &family, &at)
                        .await?;
                tx.commit_quiet().await?;
                return match found {
                    Some((token, user_id)) => self.rotated(&user_id, &family, token).await,
                    None => Ok(Rotation::Invalid),
                };
            }
            let ended = revoke_family(&mut tx, &family, &at).await?;
            tx.commit_quiet().await?;
            return Ok(match ended {
                Some((user, session)) => Rotation::Reused { user, session },
                None => Rotation::Invalid,
            });
        };
        let token = successors.of(presented);
        insert_token(&mut tx, &digest(&token), &family, &user_id, now, ttl).await?;
        tx.commit_quiet().await?;
        self.rotated(&user_id, &family, token).await
    }

    /// [`Rotation::Rotated`] handing out `token` of `family`, if its user
    /// is still there.
    async fn rotated(
        &self,
        user_id: &str,
        family: &str,
        token: String,
    ) -> Result<Rotation, ApiError> {
        let session = super::rows::id(family)?;
        Ok(match self.get_user(super::rows::id(user_id)?).await? {
            Some(user) => Rotation::Rotated {
                user,
                session,
                token,
            },
            None => Rotation::Invalid,
        })
    }

    /// Revokes the family of the token hashed `presented`, if it is known
    /// (a sign-out): the session (user, family) it ended. On PostgreSQL
    /// the commit notifies every instance, whose sockets of that session
    /// end; the caller ends this instance's.
    pub async fn revoke_refresh_family(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Uuid, Uuid)>, ApiError> {
        let mut tx = self.begin_write().await?;
        let family: Option<String> = dispatch!(tx.conn(), c => {
            sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(presented)
                .fetch_optional(c)
                .await?
        });
        let Some(family) = family else {
            return Ok(None);
        };
        let ended = revoke_family(&mut tx, &family, &format_timestamp(&now)).await?;
        tx.commit_quiet().await?;
        Ok(ended)
    }
}

/// Revokes every token of `family`; the session (user, family) it was, if
/// any token was still valid. On PostgreSQL the commit also notifies
/// [`super::engine::SESSIONS_CHANNEL`].
async fn revoke_family(
    tx: &mut WriteTx,
    family: &str,
    at: &str,
) -> Result<Option<(Uuid, Uuid)>, ApiError> {
    let user: Option<String> = dispatch!(tx.conn(), c => sqlx::query_scalar(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL \
         RETURNING user_id",
    )
    .bind(at)
    .bind(family)
    .fetch_all(c)
    .await?
    .into_iter()
    .next());
    let Some(user) = user else {
        return Ok(None);
    };
    let ended = (super::rows::id(&user)?, super::rows::id(family)?);
    if let super::engine::Engine::Postgres(c) = tx.conn() {
        let payload = format!("{}:{}", ended.0, ended.1);
        super::engine::notify(c, super::engine::SESSIONS_CHANNEL, &payload).await?;
    }
    Ok(Some(ended))
}
