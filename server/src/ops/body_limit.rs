//! A ceiling on every request body (`--max-body-bytes`, 8 MiB by default).
//!
//! Routes keep their own, lower limits through axum's `DefaultBodyLimit`:
//! the JSON API 64 KiB (`routes::JSON_BODY_LIMIT`), and everything else
//! (pages, static files, the metrics) the same 64 KiB, set in
//! `build_router`; a route that needs more (an upload) raises its own
//! limit up to this ceiling. The ceiling holds even for a handler that
//! reads the raw body: a declared `Content-Length` above it is answered
//! 413 (`payload_too_large`) before the handler runs, and a body without
//! one is cut off where it passes the ceiling (the handler's read fails
//! with 413).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::Limited;

/// The most bytes any request body may have.
#[derive(Debug, Clone, Copy)]
pub struct BodyCeiling(pub usize);

/// Middleware: enforces the ceiling.
pub async fn enforce(
    State(BodyCeiling(max)): State<BodyCeiling>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return super::error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {max} bytes"),
        );
    }
    next.run(request.map(|body| Body::new(Limited::new(body, max))))
        .await
}
