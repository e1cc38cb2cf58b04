//! The REST API under `/api`: one router per resource, merged here, with a
//! JSON 404 for any path no route matches.

mod avatars;
mod events;
mod health;
pub mod openapi;
mod posts;
mod users;

use axum::Router;

use crate::error::{api_method_not_allowed, api_not_found};
use crate::state::AppState;

/// Largest JSON body any route accepts.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/", axum::routing::any(api_not_found))
        .merge(users::router())
        .merge(avatars::api_router())
        .merge(posts::router())
        .merge(events::router())
        .merge(openapi::router())
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

pub use avatars::files_router as uploads_router;
pub use health::router as health_router;

/// Parses a path id; a malformed id names nothing that exists: 404.
fn parse_id(entity: &str, raw: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| crate::error::ApiError::not_found(entity, raw))
}
