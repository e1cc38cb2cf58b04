//! The bodies of the sign-in endpoints: what the sign-in page sends and
//! what a session starts from.

use serde::{Deserialize, Serialize};
use tidings::User;

/// `POST /api/auth/login`'s body.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A started (or refreshed) session: the access token to send as
/// `Authorization: Bearer`, its lifetime in seconds, and whose it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub access_token: String,
    pub expires_in: i64,
    pub user: User,
}
