//! User writes: create (with a password, if one is given), patch, delete
//! and the all-or-nothing batch. Only an admin creates, deletes or
//! batch-changes users; anyone may patch themself, but not their role.

use axum::http::StatusCode;
use serde_json::json;
use tidings::{NewUserInput, User, UserBatchInput, UserPatchInput};
use uuid::Uuid;

use super::{Once, Writes};
use crate::auth::password::Password;
use crate::auth::{policy, Actor};
use crate::db::events::WriteTx;
use crate::db::{auth as accounts, users};
use crate::error::ApiError;
use crate::extract::PASSWORD_FIELD;
use crate::safe_write::{Answer, IfMatch, Written};

impl Writes {
    /// `POST /api/users` by `by`: the user, who signs in with `password`
    /// if one is given; 201 with them, 409 for a taken email. An invalid
    /// body and an unacceptable password are named together (422); the
    /// password is hashed only once the rest is known to be acceptable.
    pub async fn create_user(
        &self,
        by: &Actor,
        input: NewUserInput,
        password: Option<&str>,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        policy::manage_users(by)?;
        let password = password.map(Password::parse_new).transpose();
        let (new, password) = match (input.validate(), password) {
            (Ok(new), Ok(password)) => (new, password),
            (new, password) => {
                let mut errors = new.err().unwrap_or_default();
                if let Err(message) = password {
                    errors.add(PASSWORD_FIELD, message);
                }
                return Err(errors.into());
            }
        };
        let hash = match password {
            Some(password) => Some(self.auth.hashing().hash(password).await?),
            None => None,
        };
        self.keyed(by, ("POST", "/api/users"), None, once, async |tx| {
            let user = users::insert(tx, &new).await?;
            if let Some(hash) = &hash {
                accounts::set_password_in(tx, user.id, hash).await?;
            }
            Answer::entity(StatusCode::CREATED, &user, user.version)
        })
        .await
    }

    /// `PATCH /api/users/{id}` by `by`: 200 with the changed user; 403
    /// (see `policy::patch_user`), 404, 409 for a taken email, or 412 with
    /// the current user when `condition` fails.
    pub async fn patch_user(
        &self,
        by: &Actor,
        id: Uuid,
        input: UserPatchInput,
        condition: &IfMatch,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        let patch = input.validate()?;
        let path = format!("/api/users/{id}");
        self.keyed(by, ("PATCH", &path), Some(condition), once, async |tx| {
            let current = existing(tx, id).await?;
            policy::patch_user(by, &current, patch.role)?;
            condition.check("user", &current, current.version)?;
            let user = users::update(tx, &current, &patch).await?;
            Answer::entity(StatusCode::OK, &user, user.version)
        })
        .await
    }

    /// `DELETE /api/users/{id}` by `by`: the user and their posts, and
    /// their personal data in the retained log and the recorded answers;
    /// 204, 403, 404, or 412 with the current user when `condition`
    /// fails.
    pub async fn delete_user(
        &self,
        by: &Actor,
        id: Uuid,
        condition: &IfMatch,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        policy::manage_users(by)?;
        let path = format!("/api/users/{id}");
        self.keyed(by, ("DELETE", &path), Some(condition), once, async |tx| {
            let current = existing(tx, id).await?;
            condition.check("user", &current, current.version)?;
            users::delete(tx, &current).await?;
            Ok(Answer::no_content())
        })
        .await
    }

    /// `PATCH /api/users/batch` by `by`: every update or none (see
    /// `crate::db::users::update_many`); 200 with `{data: [users]}` in the
    /// order of the updates, or 404, 409, 412 as refused.
    pub async fn patch_users(
        &self,
        by: &Actor,
        input: UserBatchInput,
        once: Once<'_>,
    ) -> Result<Written, ApiError> {
        policy::manage_users(by)?;
        let updates = input.validate()?;
        let route = ("PATCH", "/api/users/batch");
        self.keyed(by, route, None, once, async |tx| {
            let changed = users::update_many(tx, &updates).await?;
            Answer::json(StatusCode::OK, &json!({ "data": changed }))
        })
        .await
    }
}

/// User `id`, locked in `tx`; 404 when there is none.
pub(super) async fn existing(tx: &mut WriteTx, id: Uuid) -> Result<User, ApiError> {
    users::lock(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id.to_string()))
}
