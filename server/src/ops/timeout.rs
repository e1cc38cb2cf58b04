//! A deadline for every request (`--request-timeout-ms`, 30 s by default):
//! a handler that has not produced its response head in time is dropped
//! (its transaction, if any, rolls back) and the client gets 503
//! (`timeout`) in the API's error shape, which its retry policy retries.
//! Writes are safe to retry: they carry idempotency keys. A page a browser
//! navigated to (a GET outside `/api` asking for HTML) has a shorter
//! deadline (`--page-timeout-ms`, 10 s by default: a reader does not wait
//! longer) and gets a small HTML page saying so instead, so a server render
//! waiting on data that never comes ends in a page the reader can act on,
//! and in a warning in the log, never a hang.
//!
//! The realtime socket's route is exempt ([`LONG_LIVED`]): its upgrade is
//! the start of a connection meant to last.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::route_of;
use crate::config::Config;

/// Route templates whose requests have no deadline.
pub const LONG_LIVED: &[&str] = &["/api/events"];

/// How long a request may take: any request, and a page navigation (never
/// longer than any request).
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout {
    pub requests: Duration,
    pub pages: Duration,
}

impl RequestTimeout {
    /// How long `config` lets a request and a page render take; `None`
    /// when unlimited.
    pub fn from_config(config: &Config) -> Option<Self> {
        let ms = std::time::Duration::from_millis;
        (config.request_timeout_ms > 0).then(|| Self {
            requests: ms(config.request_timeout_ms),
            pages: ms(config.page_timeout_ms.clamp(1, config.request_timeout_ms)),
        })
    }
}

/// Middleware: answers 503 when the handler overruns the deadline.
pub async fn enforce(
    State(deadlines): State<RequestTimeout>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_of(&request);
    if LONG_LIVED.contains(&route) {
        return next.run(request).await;
    }
    let (method, route) = (request.method().clone(), route.to_owned());
    let page = is_page_navigation(&request);
    let limit = if page {
        deadlines.pages.min(deadlines.requests)
    } else {
        deadlines.requests
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, route, limit_ms = limit.as_millis(), "request timed out");
            if page {
                return too_slow_page();
            }
            super::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request took longer than {} ms; try again",
                    limit.as_millis()
                ),
            )
        }
    }
}

/// A browser asking for a page: a GET outside the API that accepts HTML.
fn is_page_navigation(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.uri().path().starts_with("/api")
        && request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The page a timed-out page request gets: it says what happened and links
/// back to the same page. No script, so the default policy suits it.
fn too_slow_page() -> Response {
    let html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>Tidings: taking too long</title></head><body>\
        <h1>This page is taking too long</h1>\
        <p>The server could not gather its data in time. \
        <a href=\"\">Try again</a> in a moment.</p></body></html>";
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Html(html)).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "done"
    }

    async fn medium() -> &'static str {
        tokio::time::sleep(Duration::from_millis(100)).await;
        "medium"
    }

    fn app() -> Router {
        Router::new()
            .route("/slow", get(slow))
            .route("/medium", get(medium))
            .route("/api/medium", get(medium))
            .route("/fast", get(|| async { "quick" }))
            .route("/api/events", get(slow))
            .route("/api/slow", get(slow))
            .layer(axum::middleware::from_fn_with_state(
                RequestTimeout {
                    requests: Duration::from_millis(200),
                    pages: Duration::from_millis(50),
                },
                enforce,
            ))
    }

    async fn call(path: &str) -> (StatusCode, String) {
        call_accepting(path, "*/*").await
    }

    async fn call_accepting(path: &str, accept: &str) -> (StatusCode, String) {
        let request = Request::get(path)
            .header(ACCEPT, accept)
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_slow_handler_is_answered_503_in_the_error_shape() {
        let (status, body) = call("/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "timeout");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("200 ms"));
        assert!(body["error"]["details"].is_null());
        assert_eq!(call("/fast").await, (StatusCode::OK, "quick".to_owned()));
    }

    #[tokio::test]
    async fn a_page_that_overruns_is_answered_with_a_page_not_a_hang() {
        let html = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
        let (status, body) = call_accepting("/slow", html).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
        assert!(body.contains("taking too long"), "{body}");
        // The API keeps its error shape, whatever it accepts.
        let (status, body) = call_accepting("/api/slow", html).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.starts_with("{\"error\""), "{body}");
    }

    /// A page has the shorter deadline: what the API may still answer in
    /// time, a page navigation may not.
    #[tokio::test]
    async fn a_page_waits_less_than_an_api_call() {
        let html = "text/html";
        let (status, body) = call_accepting("/medium", html).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("taking too long"), "{body}");
        assert_eq!(
            call_accepting("/api/medium", html).await,
            (StatusCode::OK, "medium".to_owned())
        );
        assert_eq!(call("/medium").await, (StatusCode::OK, "medium".to_owned()));
    }

    #[tokio::test]
    async fn the_realtime_route_has_no_deadline() {
        assert_eq!(
            call("/api/events").await,
            (StatusCode::OK, "done".to_owned())
        );
    }
}
