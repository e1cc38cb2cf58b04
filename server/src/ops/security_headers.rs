//! Security headers on every response. A header the handler already set
//! is kept (pages set their own Content-Security-Policy, see
//! [`super::csp`]; the service worker's script gets its own too). A site
//! served over HTTPS (`--secure-cookies`) also sends
//! `Strict-Transport-Security`, so browsers never ask it over plain HTTP
//! again.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::csp::{DEFAULT_POLICY, WORKER_PATH, WORKER_POLICY};

/// `Cross-Origin-Opener-Policy` (no constant in `http`).
pub const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// The headers and their values.
pub fn defaults() -> [(HeaderName, HeaderValue); 5] {
    [
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_POLICY),
        ),
    ]
}

/// `Strict-Transport-Security` for a site served over HTTPS: two years.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Whether the site is served over HTTPS (`--secure-cookies`).
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

/// Middleware: adds each header the response lacks.
pub async fn apply(
    State(Https(https)): State<Https>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = super::csp::PageNonce::default();
    request.extensions_mut().insert(nonce.clone());
    let worker = request.uri().path() == WORKER_PATH;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(policy) = nonce.policy() {
        headers.insert(CONTENT_SECURITY_POLICY, policy);
    } else if worker {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(WORKER_POLICY),
        );
    }
    for (name, value) in defaults() {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    if https {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
