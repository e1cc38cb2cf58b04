//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::db::Db;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "health",
    security(()),
    responses(
        (status = 200, description = "The database answers", body = String, example = "ok"),
        (status = 503, description = "The database does not answer", body = String, example = "database unavailable"),
    )
)]
async fn health(State(db): State<Db>) -> (StatusCode, &'static str) {
    match db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
