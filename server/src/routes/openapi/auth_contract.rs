//! The `/api/auth` endpoints as the auth contract defines them (login,
//! refresh, logout, me), described ahead of their handlers.
//!
//! Each `#[utoipa::path]` below sits on a stand-in function named as the
//! handler will be. When the handlers are routed, each annotation moves onto
//! its handler unchanged, the stand-ins and [`AuthContractApi`] go, and
//! `super::ApiDoc` lists the handlers in its `paths(...)`. Until then the
//! served document leaves these routes out, since the server does not
//! answer them.

use serde::{Deserialize, Serialize};
use tidings::{ErrorBody, User};
use utoipa::{OpenApi, ToSchema};

use super::parts as doc;

/// The body of `POST /api/auth/login`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// A signed-in session: a short-lived access token and who it is for.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// An HS256 JWT (claims `sub`, `role`, `exp`, `iat`), sent back as
    /// `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Seconds until the access token expires (900).
    pub expires_in: u64,
    pub user: User,
}

/// The auth endpoints, to join `super::ApiDoc` with their handlers.
#[derive(OpenApi)]
#[openapi(paths(login, refresh, logout, me))]
pub struct AuthContractApi;

/// Stand-in for the login handler.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; sets the `tidings_refresh` (HttpOnly, Path=/api/auth, 30 days) and `tidings_access` (HttpOnly, Path=/, 15 minutes) cookies", body = Session,
            headers(("Set-Cookie" = String, description = "`tidings_refresh` and `tidings_access`"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, description = "Unknown email or wrong password, with one message for both (`invalid_credentials`)", body = ErrorBody),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
    )
)]
pub fn login() {}

/// Stand-in for the refresh handler.
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    security(("refreshCookie" = [])),
    responses(
        (status = 200, description = "A new access token; the refresh cookie is rotated and the access cookie set again", body = Session,
            headers(("Set-Cookie" = String, description = "`tidings_refresh` and `tidings_access`"))),
        (status = 401, description = "The refresh cookie is missing, unknown, expired or revoked (`invalid_refresh`); presenting one that was already rotated revokes every token of its login", body = ErrorBody),
    )
)]
pub fn refresh() {}

/// Stand-in for the logout handler.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    security(("refreshCookie" = []), ()),
    responses(
        (status = 204, description = "Signed out: the refresh cookie's login is revoked and both cookies are cleared",
            headers(("Set-Cookie" = String, description = "Clears `tidings_refresh` and `tidings_access`"))),
    )
)]
pub fn logout() {}

/// Stand-in for the handler that names the signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = User),
        (status = 401, response = doc::Unauthorized),
    )
)]
pub fn me() {}
