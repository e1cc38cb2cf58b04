//! Limits and operations against real servers: Prometheus metrics (requests
//! by route template and status, the latency histogram, realtime sockets,
//! events delivered, lagging readers), security headers, CORS, request
//! ids, body limits, and the request timeout's exemption of the socket.
//!
//! The timeout answer itself is exercised by the unit tests of
//! `server::ops::timeout` (a test-only slow route behind the same
//! middleware): no real route is slow on purpose.

use crate::support;

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::metrics::{eventually, metric, metrics_text};
use support::ws::WsClient;
use support::{assert_error, id_of, Reply, TestServer};
use tidings::protocol::Topic;

const EVENTS: &str = "/api/events";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let server = TestServer::start().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let id = id_of(&user);
    let path = format!("/api/users/{id}");
    for _ in 0..2 {
        assert_eq!(server.get(&path).await.status, StatusCode::OK);
    }
    let missing = "/api/users/00000000-0000-4000-8000-000000000000";
    assert_eq!(server.get(missing).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.get("/api/nothing/here").await.status,
        StatusCode::NOT_FOUND
    );

    let text = metrics_text(&server).await;
    let by_id = r#"method="GET",route="/api/users/{id}""#;
    assert_eq!(
        metric(
            &text,
            &format!("http_requests_total{{{by_id},status=\"200\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            &format!("http_requests_total{{{by_id},status=\"404\"}}")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"http_requests_total{method="POST",route="/api/users",status="201"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // Templates, never raw paths: the ids do not appear.
    assert!(!text.contains(&id), "{text}");
    assert!(!text.contains("00000000-0000"), "{text}");
    assert!(!text.contains("/api/nothing"), "{text}");

    // The histogram: cumulative buckets, +Inf equal to the count.
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    let count = format!("http_request_duration_seconds_count{{{by_id}}}");
    assert_eq!(metric(&text, &count), Some(3.0), "{text}");
    let inf = format!("http_request_duration_seconds_bucket{{{by_id},le=\"+Inf\"}}");
    assert_eq!(metric(&text, &inf), Some(3.0), "{text}");
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(&format!("http_request_duration_seconds_bucket{{{by_id}")))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 5, "{text}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    let sum = format!("http_request_duration_seconds_sum{{{by_id}}}");
    assert!(metric(&text, &sum).unwrap() > 0.0);

    // The metrics endpoint counts itself like any route.
    let again = metrics_text(&server).await;
    assert_eq!(
        metric(
            &again,
            r#"http_requests_total{method="GET",route="/metrics",status="200"}"#
        ),
        Some(1.0),
        "{again}"
    );
    server.stop().await;
}

#[tokio::test]
async fn socket_gauge_rises_and_falls_and_delivered_events_count() {
    let server = TestServer::start().await;
    let text = metrics_text(&server).await;
    assert_eq!(metric(&text, "tidings_realtime_sockets_open"), Some(0.0));
    assert_eq!(
        metric(&text, "tidings_realtime_events_delivered_total"),
        Some(0.0)
    );

    // The hello is sent after the socket is counted.
    let (mut first, _) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    eventually(&server, "tidings_realtime_sockets_open", 1.0).await;
    let (second, _) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    eventually(&server, "tidings_realtime_sockets_open", 2.0).await;

    first.subscribe(&[Topic::Users], 0).await;
    first.sync().await;
    server.create_user("Ada", "ada@example.com").await;
    server.create_user("Grace", "grace@example.com").await;
    let events = first.events_through(2).await;
    assert_eq!(events.len(), 2);
    eventually(&server, "tidings_realtime_events_delivered_total", 2.0).await;
    eventually(&server, "tidings_event_log_head", 2.0).await;

    first.close().await;
    eventually(&server, "tidings_realtime_sockets_open", 1.0).await;
    second.close().await;
    eventually(&server, "tidings_realtime_sockets_open", 0.0).await;
    server.stop().await;
}

#[tokio::test]
async fn a_reader_more_than_a_batch_behind_counts_as_lagged() {
    let server = TestServer::start_with(|config| config.events_batch = 2).await;
    for n in 0..5 {
        server
            .create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
    }
    let behind = r#"tidings_realtime_lagged_readers_total{reason="behind"}"#;
    let resync = r#"tidings_realtime_lagged_readers_total{reason="resync"}"#;
    assert_eq!(metric(&metrics_text(&server).await, behind), Some(0.0));

    // Caught up one event at a time: never a batch behind.
    let (mut near, _) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    near.subscribe(&[Topic::Users], 4).await;
    assert_eq!(near.events_through(5).await.len(), 1);
    // Five events behind with batches of two: lagging, counted once.
    let (mut far, _) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    far.subscribe(&[Topic::Users], 0).await;
    assert_eq!(far.events_through(5).await.len(), 5);
    eventually(&server, behind, 1.0).await;
    eventually(&server, "tidings_realtime_readers_lagging", 0.0).await;
    let text = metrics_text(&server).await;
    assert_eq!(metric(&text, resync), Some(0.0), "{text}");
    assert_eq!(
        metric(&text, "tidings_realtime_events_delivered_total"),
        Some(6.0),
        "{text}"
    );
    near.close().await;
    far.close().await;
    server.stop().await;
}

fn assert_security_headers(reply: &Reply, what: &str) {
    let h = &reply.headers;
    assert_eq!(
        header(h, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(h, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(h, "referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    assert_eq!(
        header(h, "cross-origin-opener-policy"),
        Some("same-origin"),
        "{what}"
    );
    let csp = header(h, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let server = TestServer::start_seeded().await;
    for path in ["/api/users", "/api/nothing", "/healthz", "/metrics"] {
        let reply = server.get(path).await;
        assert_security_headers(&reply, path);
        let csp = header(&reply.headers, "content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
    }
    let invalid = server.post_json("/api/users", &json!({})).await;
    assert_security_headers(&invalid, "a 422");

    // A page: its policy names the nonce its inline scripts carry, and
    // lets the WASM compile; no inline script runs without the nonce.
    for path in ["/users", "/", "/posts", "/no-such-page"] {
        let page = server.get(path).await;
        assert!(
            page.content_type().starts_with("text/html"),
            "{path}: {}",
            page.content_type()
        );
        assert_security_headers(&page, path);
        let csp = header(&page.headers, "content-security-policy").unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
        assert!(nonce.len() >= 16, "{path}: nonce {nonce:?}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        let scripts = page.text.matches("<script").count();
        assert!(scripts > 0, "{path}: a page has its hydration script");
        assert_eq!(
            page.text
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + page
                    .text
                    .matches(&format!("<script nonce=\"{nonce}\""))
                    .count(),
            scripts,
            "{path}: every inline script carries the nonce"
        );
        // A fresh nonce for every render.
        let again = server.get(path).await;
        assert_ne!(
            header(&again.headers, "content-security-policy"),
            Some(csp),
            "{path}"
        );
    }
    server.stop().await;
}

async fn preflight(server: &TestServer, origin: &str) -> Reply {
    server
        .call(
            server
                .client
                .request(Method::OPTIONS, server.url("/api/users"))
                .header("origin", origin)
                .header("access-control-request-method", "PATCH")
                .header(
                    "access-control-request-headers",
                    "content-type, if-match, idempotency-key",
                ),
        )
        .await
}

async fn get_from(server: &TestServer, origin: &str) -> Reply {
    server
        .call(
            server
                .client
                .get(server.url("/api/users"))
                .header("origin", origin),
        )
        .await
}

#[tokio::test]
async fn cross_origin_preflights_are_refused_by_default() {
    let server = TestServer::start().await;
    let refused = preflight(&server, "https://elsewhere.test").await;
    assert_error(&refused, StatusCode::FORBIDDEN, "cors_forbidden");
    assert_eq!(
        header(&refused.headers, "access-control-allow-origin"),
        None
    );
    assert_security_headers(&refused, "a refused preflight");
    // A read from another origin is answered, but without CORS headers
    // the browser keeps it from the other page.
    let read = get_from(&server, "https://elsewhere.test").await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(
        read.headers
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        read.headers
    );
    server.stop().await;
}

#[tokio::test]
async fn named_origins_are_allowed_across_origins() {
    let server = TestServer::start_with(|config| {
        config.cors_origins = vec!["https://Admin.Example.test/".into()];
    })
    .await;
    let allowed = preflight(&server, "https://admin.example.test").await;
    assert!(allowed.status.is_success(), "{allowed:?}");
    let h = &allowed.headers;
    assert_eq!(
        header(h, "access-control-allow-origin"),
        Some("https://admin.example.test")
    );
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    let methods = header(h, "access-control-allow-methods").unwrap();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = header(h, "access-control-allow-headers").unwrap();
    for name in ["content-type", "if-match", "idempotency-key"] {
        assert!(headers.contains(name), "{headers}");
    }

    let read = get_from(&server, "https://admin.example.test").await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        header(&read.headers, "access-control-allow-origin"),
        Some("https://admin.example.test")
    );
    let exposed = header(&read.headers, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-request-id"), "{exposed}");

    // Other origins are still refused.
    let other = preflight(&server, "https://elsewhere.test").await;
    assert_error(&other, StatusCode::FORBIDDEN, "cors_forbidden");
    let read = get_from(&server, "https://elsewhere.test").await;
    assert_eq!(header(&read.headers, "access-control-allow-origin"), None);
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_cors_origin_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        server::config::Config::for_database(format!("sqlite://{}/t.db", dir.path().display()));
    config.cors_origins = vec!["admin.example.test/app".into()];
    let error = server::AppState::from_config(config)
        .await
        .err()
        .expect("a bad origin is refused");
    assert!(error.to_string().contains("CORS origin"), "{error}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let server = TestServer::start().await;
    let mine = server
        .call(
            server
                .client
                .get(server.url("/api/users"))
                .header("x-request-id", "trace-me-42"),
        )
        .await;
    assert_eq!(header(&mine.headers, "x-request-id"), Some("trace-me-42"));

    let made = server.get("/healthz").await;
    let first = header(&made.headers, "x-request-id").expect("an id is made");
    assert_eq!(first.len(), 36, "{first}");
    let other = server.get("/users").await;
    let second = header(&other.headers, "x-request-id").expect("pages get one too");
    assert_ne!(first, second);

    // An unreasonable id is replaced, not echoed.
    let long = "x".repeat(200);
    let replaced = server
        .call(
            server
                .client
                .get(server.url("/api/users"))
                .header("x-request-id", HeaderValue::from_str(&long).unwrap()),
        )
        .await;
    let id = header(&replaced.headers, "x-request-id").unwrap();
    assert_eq!(id.len(), 36, "{id}");
    // Errors carry it as well.
    let missing = server.get("/api/nothing").await;
    assert!(header(&missing.headers, "x-request-id").is_some());
    server.stop().await;
}

/// POSTs `body` as one chunk of a chunked request, signed in as the
/// admin, over a raw connection (the HTTP client always declares a
/// length); returns the status and the raw rest of the answer.
async fn post_chunked(server: &TestServer, path: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        server.addr,
        server.admin_token,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    // A reset after the answer (a refused body left unread) still leaves
    // what was read in `answer`.
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers in time");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}

#[tokio::test]
async fn every_route_has_a_body_limit() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 4096).await;
    let big = "x".repeat(8192);
    // Over the ceiling: refused before any handler, on any route.
    for (method, path) in [
        (Method::POST, "/api/users"),
        (Method::POST, "/users"),
        (Method::PUT, "/healthz"),
        (Method::POST, "/no/such/route"),
    ] {
        let reply = server
            .send_raw(method.clone(), path, Some("application/json"), big.clone())
            .await;
        assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    }
    // A body without a declared length (chunked) is cut off at the
    // ceiling too, though the API's own limit is higher.
    let (status, body) = post_chunked(&server, "/api/users", big.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains(r#""code":"payload_too_large""#), "{body}");
    // Under the ceiling, routes keep their own limits and answers.
    let small = server
        .post_json(
            "/api/users",
            &json!({"name": "Ada", "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(small.status, StatusCode::CREATED, "{}", small.text);
    server.stop().await;

    // The JSON limit of the API (64 KiB) holds under the default ceiling.
    let server = TestServer::start().await;
    let name = "x".repeat(100 * 1024);
    let reply = server
        .post_json("/api/users", &json!({"name": name, "email": "a@b.test"}))
        .await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    server.stop().await;
}

#[tokio::test]
async fn the_realtime_socket_outlives_the_request_timeout() {
    // Honest note: the upgrade answers at once and the socket lives on in
    // its own task, so a deadline on the upgrade request would not end it
    // either; what this shows is that a socket and ordinary requests both
    // work under a short deadline. The exemption itself and the 503 are
    // unit-tested in `server::ops::timeout`.
    let server = TestServer::start_with(|config| config.request_timeout_ms = 200).await;
    let (mut socket, _) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    socket.subscribe(&[Topic::Users], 0).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.create_user("Ada", "ada@example.com").await;
    assert_eq!(socket.events_through(1).await.len(), 1);
    socket.sync().await;
    assert_eq!(server.get("/api/users").await.status, StatusCode::OK);
    socket.close().await;
    server.stop().await;
}
