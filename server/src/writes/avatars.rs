//! The avatar write: the image is stored (synced) before the row naming
//! it commits, and whichever file ends up unnamed (the new one when the
//! write is refused, the old one when it lands) is deleted.

use axum::http::StatusCode;
use uuid::Uuid;

use super::users::existing;
use super::{Once, Writes};
use crate::auth::{policy, Actor};
use crate::db::users;
use crate::error::ApiError;
use crate::safe_write::{Answer, IfMatch, Written};

impl Writes {
    /// `POST /api/users/{id}/avatar` by `by` with the file `image`: 200
    /// with the user whose `avatarUrl` names it; 403, 415 for a file that
    /// is not an accepted image, 404, or 412 with the current user when
    /// `condition` fails.
    pub async fn set_avatar(
        &self,
        by: &Actor,
        id: Uuid,
        image: Vec<u8>,
        condition: &IfMatch,
    ) -> Result<Written, ApiError> {
        policy::upload_avatar(by, id)?;
        let stored = self.avatars.store(image).await?;
        let path = format!("/api/users/{id}/avatar");
        let mut previous = None;
        let written = self
            .keyed(
                by,
                ("POST", &path),
                Some(condition),
                Once::new(None, ""),
                async |tx| {
                    let current = existing(tx, id).await?;
                    condition.check("user", &current, current.version)?;
                    let user = users::set_avatar(tx, &current, stored.url()).await?;
                    previous = current.avatar_url;
                    Answer::entity(StatusCode::OK, &user, user.version)
                },
            )
            .await;
        match &written {
            Ok(_) => {
                if let Some(old) = previous {
                    self.avatars.replaced(&old).await;
                }
            }
            Err(_) => self.avatars.discard(stored).await,
        }
        written
    }
}
