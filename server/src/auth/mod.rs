//! Authentication and authorization.
//!
//! A caller proves who they are with a short-lived access token (an HS256
//! JWT, see [`token`]) sent as `Authorization: Bearer <token>` or in the
//! `tidings_access` cookie (see [`cookies`]); the token names the user and
//! their role, and [`require`] turns it into the request's [`Actor`], or
//! answers 401. What an actor may do is decided in one place, [`policy`].
//! Passwords are argon2id hashes ([`password`]); sign-in is rate-limited
//! ([`limiter`]); refresh tokens are opaque, stored hashed and rotated,
//! each successor derived from its predecessor ([`refresh`],
//! `crate::db::auth`, `crate::routes::auth`); pages without a signed-in
//! reader are sent to `/login` ([`pages`]).
//!
//! Access tokens are not checked against the store on each request: a user
//! deleted or demoted keeps what their token says until it expires (15
//! minutes by default); refresh re-reads the user. Realtime sockets are
//! checked against the store when they sign in, and end when the session
//! does (see `crate::realtime::sessions`).

pub mod cookies;
pub mod limiter;
pub mod pages;
pub mod password;
pub mod policy;
pub mod refresh;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tidings::Role;
use uuid::Uuid;

use crate::config::Config;
use crate::error::ApiError;
use limiter::{Limit, LoginLimiter};
use token::TokenKeys;

/// The signed-in caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

/// Everything auth needs at run time; cheap to clone.
#[derive(Clone, Debug)]
pub struct Auth(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    keys: TokenKeys,
    successors: refresh::Successors,
    limiter: LoginLimiter,
    access_ttl: i64,
    refresh_ttl: i64,
    refresh_grace: i64,
    secure_cookies: bool,
    /// The bound on concurrent password hashing.
    hashing: password::Hashing,
    /// A hash to verify against when an email is unknown, so that answer
    /// takes as long as a wrong password.
    decoy: tokio::sync::OnceCell<String>,
}

/// Shortest `--jwt-secret` accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// Now, in Unix seconds: the clock tokens are issued and checked by.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Auth {
    /// From the configuration: the signing secret (`--jwt-secret`, else
    /// `stored`, the one the store keeps for every instance, else a random
    /// one, with a warning), which also keys the refresh tokens'
    /// successors; token lifetimes, the refresh grace window, cookie flags
    /// and login limits.
    pub fn from_config(config: &Config, stored: Option<&str>) -> Result<Self, String> {
        let (keys, successors) = match (config.jwt_secret.as_ref().map(|s| s.expose()), stored) {
            (Some(secret), _) if secret.len() < MIN_SECRET_BYTES => {
                return Err(format!(
                    "--jwt-secret must be at least {MIN_SECRET_BYTES} bytes long"
                ))
            }
            (Some(secret), _) | (None, Some(secret)) => (
                TokenKeys::new(secret.as_bytes()),
                refresh::Successors::new(secret.as_bytes()),
            ),
            (None, None) => {
                tracing::warn!(
                    "no --jwt-secret (TIDINGS_JWT_SECRET) set: access tokens are signed with a \
                     random per-process secret; they end with this process and other instances \
                     refuse them"
                );
                (TokenKeys::random(), refresh::Successors::random())
            }
        };
        let secs = |n: u64| Duration::from_secs(n.max(1));
        Ok(Self(Arc::new(Inner {
            keys,
            successors,
            limiter: LoginLimiter::new(
                Limit {
                    max: config.login_attempts_per_ip.max(1),
                    window: secs(config.login_ip_window_secs),
                },
                Limit {
                    max: config.login_failures_per_account.max(1),
                    window: secs(config.login_account_window_secs),
                },
            ),
            access_ttl: config.access_token_ttl_secs.max(1) as i64,
            refresh_ttl: config.refresh_token_ttl_secs.max(1) as i64,
            refresh_grace: config
                .refresh_grace_secs
                .min(config.refresh_token_ttl_secs.max(1)) as i64,
            secure_cookies: config.secure_cookies,
            hashing: password::Hashing::new(
                config.max_concurrent_hashes,
                Duration::from_millis(config.hash_wait_ms),
            ),
            decoy: tokio::sync::OnceCell::new(),
        })))
    }

    pub fn limiter(&self) -> &LoginLimiter {
        &self.0.limiter
    }

    /// Seconds an access token lives (`expiresIn`).
    pub fn access_ttl(&self) -> i64 {
        self.0.access_ttl
    }

    /// Seconds a refresh token lives.
    pub fn refresh_ttl(&self) -> i64 {
        self.0.refresh_ttl
    }

    /// Seconds a rotated refresh token is still answered with its
    /// family's current token (0: never), at most a refresh token's life.
    pub fn refresh_grace(&self) -> i64 {
        self.0.refresh_grace
    }

    /// How each refresh token's successor is derived.
    pub fn successors(&self) -> &refresh::Successors {
        &self.0.successors
    }

    pub fn secure_cookies(&self) -> bool {
        self.0.secure_cookies
    }

    /// Password hashing, within its bound.
    pub fn hashing(&self) -> &password::Hashing {
        &self.0.hashing
    }

    /// A fresh access token for `actor`.
    pub fn issue(&self, actor: Actor) -> String {
        self.0.keys.issue(actor, now_secs(), self.0.access_ttl)
    }

    /// A fresh access token for `actor` in the sign-in `session`.
    pub fn issue_in(&self, actor: Actor, session: Uuid) -> String {
        self.0
            .keys
            .issue_in(actor, Some(session), now_secs(), self.0.access_ttl)
    }

    /// The hash unknown emails are checked against.
    pub async fn decoy_hash(&self) -> Result<String, ApiError> {
        self.0
            .decoy
            .get_or_try_init(|| async {
                let decoy = password::Password::parse_given("decoy password")
                    .map_err(|e| ApiError::internal("making the decoy hash", e))?;
                self.0.hashing.hash(decoy).await
            })
            .await
            .cloned()
    }

    /// The actor an access token names, or 401.
    pub fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        self.grant(token).map(|g| g.actor)
    }

    /// What an access token grants (actor, session, expiry), or 401.
    pub fn grant(&self, token: &str) -> Result<token::Grant, ApiError> {
        self.0
            .keys
            .grant(token, now_secs())
            .map_err(|e| ApiError::Unauthorized(e.to_string()))
    }

    /// The caller of a request: `Authorization: Bearer`, else the
    /// `tidings_access` cookie; 401 without either, or when the one sent
    /// is not valid.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, ApiError> {
        self.authenticate_grant(headers).map(|g| g.actor)
    }

    /// [`Auth::authenticate`], with the token's session and expiry.
    pub fn authenticate_grant(&self, headers: &HeaderMap) -> Result<token::Grant, ApiError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "the Authorization header must be `Bearer <access token>`".into(),
                    )
                })?;
            return self.grant(token);
        }
        match cookies::read(headers, cookies::names(self.0.secure_cookies).access) {
            Some(token) => self.grant(token),
            None => Err(ApiError::Unauthorized(
                "sign in first: send `Authorization: Bearer <access token>`".into(),
            )),
        }
    }
}

/// Middleware for the routes that need a signed-in caller: puts the
/// [`Actor`] in the request's extensions, or answers 401.
pub async fn require(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    match auth.authenticate_grant(request.headers()) {
        Ok(grant) => {
            request.extensions_mut().insert(grant.actor);
            request
                .extensions_mut()
                .insert(SignedInSession(grant.session));
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The sign-in session the caller's token was issued in, as [`require`]
/// found it (`None` for a token that names none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedInSession(pub Option<Uuid>);

impl<S: Send + Sync> FromRequestParts<S> for SignedInSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        put_by_require(parts)
    }
}

/// The caller, as [`require`] found them; 401 on a route without it.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        put_by_require(parts)
    }
}

/// What [`require`] put in the request's extensions; 401 on a route
/// without it.
fn put_by_require<T: Copy + Send + Sync + 'static>(parts: &Parts) -> Result<T, ApiError> {
    parts
        .extensions
        .get::<T>()
        .copied()
        .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn config_with_secret(secret: &str) -> Config {
        let mut config = Config::for_database("sqlite::memory:");
        config.jwt_secret = Some(secret.into());
        config
    }

    #[test]
    fn the_bearer_header_goes_first_then_the_cookie() {
        let auth = Auth::from_config(&config_with_secret(&"k".repeat(32)), None).unwrap();
        let actor = Actor {
            id: Uuid::from_u128(1),
            role: Role::User,
        };
        let token = auth.issue(actor);
        let mut headers = HeaderMap::new();
        assert!(auth.authenticate(&headers).is_err());
        let cookie = HeaderValue::from_str(&format!("tidings_access={token}")).unwrap();
        headers.insert(header::COOKIE, cookie);
        assert_eq!(auth.authenticate(&headers).unwrap(), actor);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer nope"),
        );
        assert!(
            auth.authenticate(&headers).is_err(),
            "a bad Bearer token is not rescued by the cookie"
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(matches!(
            auth.authenticate(&headers),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn the_stored_secret_signs_when_none_is_given() {
        let actor = Actor {
            id: Uuid::from_u128(1),
            role: Role::User,
        };
        let config = Config::for_database("sqlite::memory:");
        let stored = "s".repeat(43);
        let one = Auth::from_config(&config, Some(&stored)).unwrap();
        let other = Auth::from_config(&config, Some(&stored)).unwrap();
        assert_eq!(other.verify(&one.issue(actor)).unwrap(), actor);
        let given = Auth::from_config(&config_with_secret(&"k".repeat(32)), Some(&stored)).unwrap();
        assert!(given.verify(&one.issue(actor)).is_err(), "the flag wins");
    }

    #[test]
    fn a_short_secret_is_refused_at_start() {
        assert!(Auth::from_config(&config_with_secret("short"), None).is_err());
    }
}
