//! Accounts in the store: password hashes (never part of a `User`, so
//! never in an answer or an event) and refresh-token families.
//!
//! A refresh token is stored as the hex SHA-256 of its text. Rotation
//! marks the presented token rotated and adds its successor to the same
//! family, in one write transaction; presenting a rotated token again
//! revokes every token of its family, the newest included.

use chrono::{DateTime, TimeDelta, Utc};
use tidings::{format_timestamp, Email, NewUser, User};
use uuid::Uuid;

use super::engine::dispatch;
use super::events::WriteTx;
use super::Db;
use crate::error::ApiError;

/// What presenting a refresh token did.
#[derive(Debug)]
pub enum Rotation {
    /// It was current: its successor is stored; here is its user.
    Rotated(User),
    /// It had already been rotated: its whole family is now revoked.
    Reused,
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
    /// admins.
    pub async fn create_account(
        &self,
        new: &NewUser,
        password_hash: &str,
    ) -> Result<User, ApiError> {
        let mut tx = self.begin_write().await?;
        let user = super::users::insert_user(&mut tx, new).await?;
        set_password_in(&mut tx, user.id, password_hash).await?;
        tx.commit().await?;
        Ok(user)
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

    /// Stores the first token of a new family for `user` (a sign-in).
    pub async fn start_refresh_family(
        &self,
        user: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<(), ApiError> {
        let mut tx = self.begin_write().await?;
        let family = Uuid::new_v4().to_string();
        insert_token(&mut tx, token_hash, &family, &user.to_string(), now, ttl).await?;
        tx.commit().await
    }

    /// Exchanges the token hashed `presented` for the one hashed `next`
    /// (see [`Rotation`]).
    pub async fn rotate_refresh(
        &self,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<Rotation, ApiError> {
        let at = format_timestamp(&now);
        let mut tx = self.begin_write().await?;
        // On PostgreSQL a concurrent rotation of the same token makes this
        // wait for it, then find the token rotated: a reuse.
        let current: Option<(String, String)> = dispatch!(tx.conn(), c => sqlx::query_as(
            "UPDATE refresh_tokens SET rotated_at = $1 \
             WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $1 RETURNING family_id, user_id",
        )
        .bind(&at)
        .bind(presented)
        .fetch_optional(c)
        .await?);
        let Some((family, user_id)) = current else {
            let known: Option<(String, Option<String>, Option<String>)> = dispatch!(tx.conn(), c => sqlx::query_as(
                    "SELECT family_id, rotated_at, revoked_at FROM refresh_tokens \
                     WHERE token_hash = $1",
                )
                .bind(presented)
                .fetch_optional(c)
                .await?);
            return match known {
                Some((family, Some(_), None)) => {
                    revoke_family(&mut tx, &family, &at).await?;
                    tx.commit().await?;
                    Ok(Rotation::Reused)
                }
                _ => Ok(Rotation::Invalid),
            };
        };
        insert_token(&mut tx, next, &family, &user_id, now, ttl).await?;
        tx.commit().await?;
        let id = super::rows::id(&user_id)?;
        Ok(match self.get_user(id).await? {
            Some(user) => Rotation::Rotated(user),
            None => Rotation::Invalid,
        })
    }

    /// Revokes the family of the token hashed `presented`, if it is known
    /// (a sign-out).
    pub async fn revoke_refresh_family(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut tx = self.begin_write().await?;
        let family: Option<String> = dispatch!(tx.conn(), c => {
            sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(presented)
                .fetch_optional(c)
                .await?
        });
        if let Some(family) = family {
            revoke_family(&mut tx, &family, &format_timestamp(&now)).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

async fn revoke_family(tx: &mut WriteTx, family: &str, at: &str) -> Result<(), ApiError> {
    dispatch!(tx.conn(), c => sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(family)
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(())
}
