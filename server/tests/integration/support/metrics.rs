//! Reading the server's `/metrics` in tests: one series' value, and a
//! bounded wait for a series to reach a value.

use std::time::Duration;

use reqwest::StatusCode;

use super::TestServer;

/// The value of `series` (name and labels, as written) in `text`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().expect("a metric value is a number"))
    })
}

/// `GET /metrics`, checked to be the Prometheus text format.
pub async fn metrics_text(server: &TestServer) -> String {
    let reply = server.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply
            .content_type()
            .starts_with("text/plain; version=0.0.4"),
        "content type {:?}",
        reply.content_type()
    );
    reply.text
}

/// Waits (bounded) until `series` reads `expected`.
pub async fn eventually(server: &TestServer, series: &str, expected: f64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = metrics_text(server).await;
        let value = metric(&text, series);
        if value == Some(expected) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} stayed {value:?}, expected {expected}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
