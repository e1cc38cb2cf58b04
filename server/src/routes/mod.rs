//! The REST API under `/api`: one router per resource, merged here, with a
//! JSON 404 for any path no route matches. Every route needs a signed-in
//! caller (`crate::auth::require`) except sign-in, refresh and sign-out,
//! and the realtime socket, which authenticates itself (at the upgrade or
//! by its first frame).

mod auth;
mod avatars;
mod events;
mod health;
pub mod openapi;
mod posts;
mod users;

use axum::middleware::from_fn_with_state;
use axum::Router;

use crate::auth::{require, Auth};
use crate::error::{api_method_not_allowed, api_not_found};
use crate::state::AppState;

/// Largest JSON body any route accepts.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The API; `auth` checks the callers of the routes that need one.
pub fn api_router(auth: Auth) -> Router<AppState> {
    let signed_in = Router::new()
        .merge(users::router())
        .merge(avatars::api_router())
        .merge(posts::router())
        .merge(auth::signed_in_router())
        .route_layer(from_fn_with_state(auth, require));
    Router::new()
        .route("/", axum::routing::any(api_not_found))
        .merge(signed_in)
        .merge(auth::public_router())
        .merge(events::router())
        .merge(openapi::router())
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

/// `GET /uploads/{name}`, for signed-in callers.
pub fn uploads_router(auth: Auth) -> Router<AppState> {
    avatars::files_router().route_layer(from_fn_with_state(auth, require))
}

pub use health::router as health_router;

/// Parses a path id; a malformed id names nothing that exists: 404.
fn parse_id(entity: &str, raw: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| crate::error::ApiError::not_found(entity, raw))
}
