//! `/api/auth`: sign in, refresh, sign out, and who am I. Sign-in checks
//! the password and starts a session here; refresh, sign-out and the
//! password change are account writes (`crate::writes`), which end the
//! sessions they revoke.
//!
//! - `POST /api/auth/login {email, password}`: 200 `{accessToken,
//!   expiresIn, user}` with the access and refresh cookies set; 401
//!   `invalid_credentials` (one answer for an unknown email and a wrong
//!   password, after the same work); 422 naming `email` / `password`; 429
//!   `rate_limited` with `Retry-After` (see `crate::auth::limiter`).
//! - `POST /api/auth/refresh` (refresh cookie): the same answer, with the
//!   refresh token rotated; a token rotated less than
//!   `--refresh-grace-secs` ago gets the same answer with the token that
//!   replaced it (rotated no further), so a lost answer or two tabs
//!   refreshing at once sign nobody out; 401 `invalid_refresh` otherwise,
//!   and a token presented again after the grace revokes its whole
//!   family.
//! - `POST /api/auth/logout`: 204, revokes the presented token's family
//!   and clears both cookies.
//! - `GET /api/auth/me`: the signed-in user (behind `crate::auth::require`).
//! - `POST /api/auth/password {currentPassword, newPassword}`: 204, the
//!   password changed and every other session signed out; 422 naming the
//!   field (a wrong current password is `currentPassword`), rate-limited
//!   like sign-in.
//! - `POST /api/auth/logout-all`: 204, every session of the account signed
//!   out (refresh tokens revoked, sockets closed on every instance).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tidings::{Email, ErrorBody, FieldErrors, User};
use uuid::Uuid;

use crate::auth::password::Password;
use crate::auth::{cookies, refresh, Actor, Auth, SignedInSession};
use crate::db::auth::Rotation;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::ops::client_addr::client_addr;
use crate::state::AppState;
use crate::writes::Writes;

/// The routes anyone may call.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh_session))
        .route("/auth/logout", post(logout))
}

/// The routes that need a signed-in caller.
pub fn signed_in_router() -> Router<AppState> {
    Router::new()
        .route("/auth/me", get(me))
        .route("/auth/password", post(change_password))
        .route("/auth/logout-all", post(logout_all))
}

/// The body of `POST /api/auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginInput {
    #[schema(value_type = tidings::Email, required = true, nullable = false)]
    email: Option<String>,
    /// 1 to 1,024 characters.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 1024)]
    password: Option<String>,
}

/// A signed-in session: a short-lived access token and who it is for.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Session {
    /// An HS256 JWT (claims `sub`, `role`, `exp`, `iat`), sent back as
    /// `Authorization: Bearer <accessToken>`.
    access_token: String,
    /// Seconds until the access token expires (900 by default).
    expires_in: i64,
    user: User,
}

/// The client's address: the connection's, or behind a trusted proxy the
/// one it forwarded for (see `crate::ops::client_addr`); none when served
/// without connection info.
pub(super) struct ClientIp(Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientIp(client_addr(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

fn parse_login(input: &LoginInput) -> Result<(Email, Password), ApiError> {
    let mut errors = FieldErrors::new();
    let email = match input.email.as_deref() {
        Some(raw) => errors.check("email", Email::parse(raw)),
        None => {
            errors.add("email", "email is required");
            None
        }
    };
    let password = errors.check(
        "password",
        Password::parse_given(input.password.as_deref().unwrap_or_default()),
    );
    match (email, password) {
        (Some(email), Some(password)) if errors.is_empty() => Ok((email, password)),
        _ => Err(errors.into()),
    }
}

/// A session's answer: the access token, the user, and both cookies.
fn start_session(auth: &Auth, user: User, session: Uuid, refresh_token: &str) -> Response {
    let access = auth.issue_in(
        Actor {
            id: user.id,
            role: user.role,
        },
        session,
    );
    let secure = auth.secure_cookies();
    let mut response = Json(Session {
        access_token: access.clone(),
        expires_in: auth.access_ttl(),
        user,
    })
    .into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::access(&access, auth.access_ttl(), secure),
    );
    headers.append(
        header::SET_COOKIE,
        cookies::refresh(refresh_token, auth.refresh_ttl(), secure),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; sets the `tidings_refresh` (HttpOnly, Path=/api/auth, 30 days) and `tidings_access` (HttpOnly, Path=/, 15 minutes) cookies", body = Session,
            headers(("Set-Cookie" = String, description = "`tidings_refresh` and `tidings_access`"))),
        (status = 400, response = super::openapi::parts::BadRequest),
        (status = 401, description = "Unknown email or wrong password, with one message for both (`invalid_credentials`)", body = ErrorBody),
        (status = 415, response = super::openapi::parts::UnsupportedMediaType),
        (status = 422, response = super::openapi::parts::Unprocessable),
        (status = 429, response = super::openapi::parts::TooManyRequests),
    )
)]
pub(super) async fn login(
    State(db): State<Db>,
    State(auth): State<Auth>,
    ClientIp(ip): ClientIp,
    body: Result<ApiJson<LoginInput>, ApiError>,
) -> Result<Response, ApiError> {
    let ApiJson(input) = body?;
    let (email, password) = parse_login(&input)?;
    let limiter = auth.limiter();
    limiter
        .attempt(ip, email.as_str(), Instant::now())
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    let account = db.account_by_email(&email).await?;
    let (user, stored) = match account {
        Some((user, Some(hash))) => (Some(user), hash),
        _ => (None, auth.decoy_hash().await?),
    };
    let matches = auth.hashing().verify(password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        limiter.failed(ip, email.as_str(), Instant::now());
        return Err(ApiError::InvalidCredentials);
    };
    limiter.succeeded(ip, email.as_str());
    let token = refresh::new_token();
    let session = db
        .start_refresh_family(
            user.id,
            &refresh::digest(&token),
            Utc::now(),
            TimeDelta::seconds(auth.refresh_ttl()),
        )
        .await?;
    Ok(start_session(&auth, user, session, &token))
}

/// 401 `invalid_refresh`, clearing both cookies.
fn refused(auth: &Auth, message: &str) -> Response {
    let mut response = ApiError::InvalidRefresh(message.to_owned()).into_response();
    for cookie in cookies::cleared(auth.secure_cookies()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    security(("refreshCookie" = [])),
    responses(
        (status = 200, description = "A new access token; the refresh cookie is rotated and the access cookie set again. A refresh cookie rotated less than `--refresh-grace-secs` (10 s) ago gets the refresh token that replaced it again (its login's current one), not rotated further", body = Session,
            headers(("Set-Cookie" = String, description = "`tidings_refresh` and `tidings_access`"))),
        (status = 401, description = "The refresh cookie is missing, unknown, expired or revoked (`invalid_refresh`); presenting one rotated longer ago than the grace window revokes every token of its login", body = ErrorBody),
    )
)]
pub(super) async fn refresh_session(
    State(writes): State<Writes>,
    State(auth): State<Auth>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(presented) = cookies::read(&headers, cookies::names(auth.secure_cookies()).refresh)
    else {
        return Ok(refused(&auth, "no refresh cookie: sign in again"));
    };
    Ok(match writes.rotate_refresh(presented).await? {
        Rotation::Rotated {
            user,
            session,
            token,
        } => start_session(&auth, user, session, &token),
        Rotation::Reused { .. } => refused(
            &auth,
            "this refresh token was already used; every session it belonged to is signed out",
        ),
        Rotation::Invalid => refused(
            &auth,
            "the refresh token is unknown, expired or revoked: sign in again",
        ),
    })
}

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
pub(super) async fn logout(
    State(writes): State<Writes>,
    State(auth): State<Auth>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(presented) = cookies::read(&headers, cookies::names(auth.secure_cookies()).refresh)
    {
        writes.sign_out(presented).await?;
    }
    Ok(signed_out(&auth))
}

/// 204, clearing both cookies.
fn signed_out(auth: &Auth) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    for cookie in cookies::cleared(auth.secure_cookies()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = User),
        (status = 401, response = super::openapi::parts::Unauthorized),
    )
)]
pub(super) async fn me(State(db): State<Db>, actor: Actor) -> Result<Json<User>, ApiError> {
    db.get_user(actor.id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PasswordChange {
    /// The password signed in with: 1 to 1,024 characters.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 1024)]
    current_password: Option<String>,
    /// 8 to 1,024 characters.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 1024)]
    new_password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "The password is changed; every other session of the account is signed out (this one stays)"),
        (status = 400, response = super::openapi::parts::BadRequest),
        (status = 401, response = super::openapi::parts::Unauthorized),
        (status = 415, response = super::openapi::parts::UnsupportedMediaType),
        (status = 422, response = super::openapi::parts::Unprocessable),
        (status = 429, response = super::openapi::parts::TooManyRequests),
        (status = 503, description = "Password hashing is busy (`busy`); try again after `Retry-After`", body = ErrorBody),
    )
)]
pub(super) async fn change_password(
    State(writes): State<Writes>,
    actor: Actor,
    SignedInSession(session): SignedInSession,
    body: Result<ApiJson<PasswordChange>, ApiError>,
) -> Result<StatusCode, ApiError> {
    let ApiJson(input) = body?;
    let mut errors = FieldErrors::new();
    let current = errors.check(
        "currentPassword",
        Password::parse_given(input.current_password.as_deref().unwrap_or_default()),
    );
    let new = errors.check(
        "newPassword",
        Password::parse_new(input.new_password.as_deref().unwrap_or_default()),
    );
    let (Some(current), Some(new)) = (current, new) else {
        return Err(errors.into());
    };
    writes
        .change_password(&actor, session, current, new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/auth/logout-all",
    tag = "auth",
    responses(
        (status = 204, description = "Every session of the account is signed out, this one included: refresh tokens revoked, realtime sockets closed, both cookies cleared (access tokens already issued live out their 15 minutes)",
            headers(("Set-Cookie" = String, description = "Clears `tidings_refresh` and `tidings_access`"))),
        (status = 401, response = super::openapi::parts::Unauthorized),
    )
)]
pub(super) async fn logout_all(
    State(writes): State<Writes>,
    State(auth): State<Auth>,
    actor: Actor,
) -> Result<Response, ApiError> {
    writes.sign_out_everywhere(&actor).await?;
    Ok(signed_out(&auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_input_names_each_bad_field() {
        let input = |email: Option<&str>, password: Option<&str>| LoginInput {
            email: email.map(str::to_owned),
            password: password.map(str::to_owned),
        };
        let fields = |r: Result<(Email, Password), ApiError>| match r {
            Err(ApiError::Validation(f)) => f.0.keys().cloned().collect::<Vec<_>>(),
            other => panic!("expected 422, got {other:?}"),
        };
        assert_eq!(
            fields(parse_login(&input(None, None))),
            ["email", "password"]
        );
        assert_eq!(
            fields(parse_login(&input(Some("nope"), Some("x")))),
            ["email"]
        );
        assert_eq!(
            fields(parse_login(&input(Some("a@b.co"), Some("")))),
            ["password"]
        );
        let (email, _) = parse_login(&input(Some(" A@B.co "), Some("x"))).unwrap();
        assert_eq!(email.as_str(), "a@b.co");
    }
}
