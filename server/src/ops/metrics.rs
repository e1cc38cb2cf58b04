//! Prometheus metrics at `GET /metrics` (text format 0.0.4), from a small
//! registry of our own (no dependency):
//!
//! - `http_requests_total{method, route, status}`: requests answered;
//! - `http_request_duration_seconds{method, route}`: a histogram of the
//!   time to the response head (a streamed page body is not included);
//! - `tidings_realtime_sockets_open`: realtime sockets open now;
//! - `tidings_realtime_events_delivered_total`: change events written to
//!   sockets;
//! - `tidings_realtime_lagged_readers_total{reason}`: readers that fell
//!   more than one read batch behind (`behind`) or were told to `RESYNC`
//!   mid-stream because the log was pruned past them (`resync`), see
//!   `crate::realtime::counters`;
//! - `tidings_realtime_readers_lagging`: readers more than a batch behind
//!   now;
//! - `tidings_event_log_reads_total{by}`: reads of the event table for the
//!   stream, by sockets behind the in-memory tail (`socket`) and by the
//!   PostgreSQL listener (`listener`);
//! - `tidings_realtime_refused_total{reason}` and
//!   `tidings_realtime_closed_total{reason}`: sockets and frames refused,
//!   and sockets the server closed (see `crate::realtime::counters`);
//! - `tidings_event_log_head`: the newest committed seq.
//!
//! `route` is the matched route template (`/api/users/{id}`), never the
//! raw path, and `unmatched` for requests no route matched (static files,
//! 404s); methods outside the standard ones count as `OTHER`. So the
//! number of series stays bounded whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::route_of;
use crate::realtime::counters::{Closed, RealtimeSnapshot, Refused};
use crate::realtime::Hub;

/// Content type of the text exposition format.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implied).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The HTTP metrics; cheap to clone, shared by every request.
#[derive(Clone, Default)]
pub struct Metrics {
    routes: Arc<Mutex<BTreeMap<String, RouteStats>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct RouteStats {
    /// Requests by method and status.
    answered: BTreeMap<(&'static str, u16), u64>,
    /// Latency by method.
    latency: BTreeMap<&'static str, Histogram>,
}

#[derive(Default)]
struct Histogram {
    /// Observations at most each bound (not cumulative here).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// A method as a label: the standard ones by name, any other `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_owned()).or_default(),
        };
        *stats.answered.entry((method, status.as_u16())).or_default() += 1;
        stats
            .latency
            .entry(method)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition of every metric.
    pub fn render(&self, realtime: RealtimeSnapshot, log_head: u64) -> String {
        let mut out = String::new();
        self.render_http(&mut out);
        render_realtime(&mut out, realtime, log_head);
        out
    }

    fn render_http(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        header(
            out,
            "http_requests_total",
            "counter",
            "HTTP requests answered, by method, matched route template and status.",
        );
        for (route, stats) in routes.iter() {
            let route = escape(route);
            for ((method, status), n) in &stats.answered {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        header(
            out,
            "http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response head, in seconds, by method and matched route template.",
        );
        for (route, stats) in routes.iter() {
            let route = escape(route);
            for (method, histogram) in &stats.latency {
                let labels = format!("method=\"{method}\",route=\"{route}\"");
                let mut cumulative = 0;
                for (bound, n) in LATENCY_BUCKETS.iter().zip(histogram.buckets) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_sum{{{labels}}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_count{{{labels}}} {}",
                    histogram.count
                );
            }
        }
    }
}

fn render_realtime(out: &mut String, realtime: RealtimeSnapshot, log_head: u64) {
    let mut single = |name: &str, kind: &str, help: &str, value: u64| {
        header(out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    };
    single(
        "tidings_realtime_sockets_open",
        "gauge",
        "Realtime WebSockets open now.",
        realtime.sockets_open,
    );
    single(
        "tidings_realtime_events_delivered_total",
        "counter",
        "Change events written to realtime sockets.",
        realtime.events_delivered,
    );
    single(
        "tidings_realtime_readers_lagging",
        "gauge",
        "Realtime readers more than one read batch behind the log's head now.",
        realtime.readers_lagging,
    );
    single(
        "tidings_event_log_head",
        "gauge",
        "Newest committed seq of the event log.",
        log_head,
    );
    let name = "tidings_realtime_lagged_readers_total";
    header(
        out,
        name,
        "counter",
        "Times a realtime reader lagged: fell more than one read batch behind the head (behind), or was told to RESYNC mid-stream because the log was pruned past it (resync).",
    );
    let _ = writeln!(
        out,
        "{name}{{reason=\"behind\"}} {}",
        realtime.lagged_behind
    );
    let _ = writeln!(
        out,
        "{name}{{reason=\"resync\"}} {}",
        realtime.lagged_resync
    );
    let name = "tidings_event_log_reads_total";
    header(
        out,
        name,
        "counter",
        "Reads of the event table for the realtime stream: by a socket that fell behind the in-memory tail (socket), or by the PostgreSQL listener filling the tail (listener).",
    );
    let _ = writeln!(
        out,
        "{name}{{by=\"socket\"}} {}",
        realtime.socket_table_reads
    );
    let _ = writeln!(out, "{name}{{by=\"listener\"}} {}", realtime.listener_reads);
    let name = "tidings_realtime_refused_total";
    header(
        out,
        name,
        "counter",
        "Realtime sockets or frames refused, by reason.",
    );
    for (why, n) in Refused::ALL.iter().zip(realtime.refused) {
        let _ = writeln!(out, "{name}{{reason=\"{}\"}} {n}", why.label());
    }
    let name = "tidings_realtime_closed_total";
    header(
        out,
        name,
        "counter",
        "Signed-in realtime sockets the server closed, by reason.",
    );
    for (why, n) in Closed::ALL.iter().zip(realtime.closed) {
        let _ = writeln!(out, "{name}{{reason=\"{}\"}} {n}", why.label());
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value escaped for the text format.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: times and counts every request.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = route_of(&request).to_owned();
    let response = next.run(request).await;
    metrics.observe(&method, &route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Metrics: FromRef<S>,
    Hub: FromRef<S>,
{
    Router::new().route("/metrics", get(expose))
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    security(()),
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
    )
)]
async fn expose(State(metrics): State<Metrics>, State(hub): State<Hub>) -> Response {
    let text = metrics.render(hub.counters().snapshot(), hub.head());
    (
        [(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_TEXT))],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, prefix: &str) -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn requests_count_by_route_and_status_with_a_cumulative_histogram() {
        let metrics = Metrics::default();
        let ms = Duration::from_millis;
        metrics.observe(&Method::GET, "/api/users/{id}", StatusCode::OK, ms(3));
        metrics.observe(&Method::GET, "/api/users/{id}", StatusCode::OK, ms(40));
        metrics.observe(
            &Method::GET,
            "/api/users/{id}",
            StatusCode::NOT_FOUND,
            ms(1),
        );
        let odd = Method::from_bytes(b"BREW").unwrap();
        metrics.observe(&odd, "unmatched", StatusCode::NOT_FOUND, ms(60_000));
        let text = metrics.render(RealtimeSnapshot::default(), 7);
        assert_eq!(
            lines(&text, "http_requests_total{"),
            [
                r#"http_requests_total{method="GET",route="/api/users/{id}",status="200"} 2"#,
                r#"http_requests_total{method="GET",route="/api/users/{id}",status="404"} 1"#,
                r#"http_requests_total{method="OTHER",route="unmatched",status="404"} 1"#,
            ]
        );
        let user = r#"method="GET",route="/api/users/{id}""#;
        let buckets = lines(
            &text,
            &format!("http_request_duration_seconds_bucket{{{user}"),
        );
        assert_eq!(buckets.len(), LATENCY_BUCKETS.len() + 1);
        assert!(buckets.contains(&format!(
            "http_request_duration_seconds_bucket{{{user},le=\"0.001\"}} 1"
        )));
        assert!(buckets.contains(&format!(
            "http_request_duration_seconds_bucket{{{user},le=\"0.005\"}} 2"
        )));
        assert!(buckets.contains(&format!(
            "http_request_duration_seconds_bucket{{{user},le=\"0.05\"}} 3"
        )));
        assert!(text.contains(&format!("http_request_duration_seconds_count{{{user}}} 3")));
        // Past the last bound: only in +Inf.
        let other = r#"method="OTHER",route="unmatched""#;
        assert!(text.contains(&format!(
            "http_request_duration_seconds_bucket{{{other},le=\"30\"}} 0"
        )));
        assert!(text.contains(&format!(
            "http_request_duration_seconds_bucket{{{other},le=\"+Inf\"}} 1"
        )));
        assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
        assert!(text.contains("tidings_event_log_head 7"));
    }

    #[test]
    fn realtime_counters_are_exposed() {
        let text = Metrics::default().render(
            RealtimeSnapshot {
                sockets_open: 2,
                events_delivered: 9,
                lagged_behind: 1,
                lagged_resync: 3,
                readers_lagging: 1,
                socket_table_reads: 4,
                listener_reads: 5,
                refused: [0, 0, 0, 0, 6, 0],
                closed: [7, 0, 0, 0, 0],
            },
            0,
        );
        for line in [
            "# TYPE tidings_realtime_sockets_open gauge",
            "tidings_realtime_sockets_open 2",
            "tidings_realtime_events_delivered_total 9",
            "tidings_realtime_readers_lagging 1",
            r#"tidings_realtime_lagged_readers_total{reason="behind"} 1"#,
            r#"tidings_realtime_lagged_readers_total{reason="resync"} 3"#,
            r#"tidings_event_log_reads_total{by="socket"} 4"#,
            r#"tidings_event_log_reads_total{by="listener"} 5"#,
            r#"tidings_realtime_refused_total{reason="subscribe_rate"} 6"#,
            r#"tidings_realtime_closed_total{reason="token_expired"} 7"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
