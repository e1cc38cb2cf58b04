//! Structured tracing of requests: one `request` span each, carrying the
//! method, the matched route template (`/api/users/{id}`, or `unmatched`),
//! the path, the request id, and once answered the status and latency in
//! milliseconds; an `answered` event at INFO closes it. Failures (5xx)
//! are also logged at ERROR by tower-http's default.

use std::time::Duration;

use axum::http::{Request, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, MakeSpan, OnResponse, TraceLayer};
use tracing::field::Empty;
use tracing::Span;

use super::{request_id, route_of};

/// The request tracing layer.
pub type Layer =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, DefaultOnRequest, Answered>;

pub fn layer() -> Layer {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_response(Answered)
}

/// Makes the `request` span.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = route_of(request),
            path = request.uri().path(),
            request_id = request_id::of(request),
            status = Empty,
            latency_ms = Empty,
        )
    }
}

/// Records the status and latency on the span and logs the answer.
#[derive(Debug, Clone, Copy)]
pub struct Answered;

impl<B> OnResponse<B> for Answered {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        span.record("status", response.status().as_u16());
        span.record("latency_ms", latency.as_secs_f64() * 1000.0);
        tracing::info!(parent: span, "answered");
    }
}
