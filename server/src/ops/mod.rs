//! Limits and operations: the layers every route passes through, and the
//! metrics endpoint. `build_router` stacks them (outermost first):
//!
//! 1. [`request_id`]: an `x-request-id` for every request, echoed back;
//! 2. [`trace`]: one span per request (method, route template, request id,
//!    status, latency);
//! 3. [`compression`]: brotli or gzip, as the client accepts, for answers
//!    big enough to gain;
//! 4. [`security_headers`]: `nosniff`, no framing, referrer policy,
//!    opener policy and a default Content-Security-Policy ([`csp`] gives
//!    server-rendered pages their own, with the script nonce);
//! 5. [`cache_control`]: the caching policy of answers that set none;
//! 6. [`metrics`]: requests by route template and status, and latency;
//! 7. [`cors`]: same-origin unless origins are configured;
//! 8. [`body_limit`]: a ceiling on every request body;
//! 9. [`timeout`]: a deadline for every request but the realtime socket.
//!
//! The layers sit on the router (after routing), so each sees the matched
//! route template. [`client_addr`] says which address a request came from
//! (behind `--trusted-proxy`, the one the proxy forwarded for).

pub mod body_limit;
pub mod cache_control;
pub mod client_addr;
pub mod compression;
pub mod cors;
pub mod csp;
pub mod metrics;
pub mod request_id;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tidings::{ErrorBody, ErrorInfo};

/// The route label of a request no route template matched (static files,
/// 404s).
pub const UNMATCHED: &str = "unmatched";

/// The route template a request matched, or [`UNMATCHED`].
pub fn route_of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or(UNMATCHED, axum::extract::MatchedPath::as_str)
}

/// An answer in the API's one error shape, `{"error":{code, message,
/// details}}`, for the refusals the layers make themselves.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: ErrorInfo {
            code: code.to_owned(),
            message: message.into(),
            details: serde_json::Value::Null,
        },
    };
    (status, Json(body)).into_response()
}
