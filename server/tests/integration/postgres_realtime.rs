//! Realtime across two instances on one PostgreSQL database: a sign-out or
//! a deletion made through one instance ends the user's sockets on the
//! other within a second, and each instance fills its in-memory tail with
//! one read of the table per write, whatever its number of sockets.

use crate::support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::metrics::{metric, metrics_text};
use support::ws::WsClient;
use support::TestServer;
use tidings::protocol::close_code;

const EVENTS: &str = "/api/events";
const WITHIN_A_SECOND: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn sign_out_and_deletion_through_one_instance_close_sockets_on_the_other() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;

    let leaving = a.sign_up("user").await;
    let mut on_b = WsClient::live(&b.ws_url(EVENTS), &leaving.access).await;
    let mut on_a = WsClient::live(&a.ws_url(EVENTS), &leaving.access).await;
    a.sign_out(&leaving.refresh).await;
    for ws in [&mut on_a, &mut on_b] {
        let (code, reason) = ws.closed(WITHIN_A_SECOND).await;
        assert_eq!(
            (code, reason.as_str()),
            (close_code::SESSION_ENDED, "signed out")
        );
    }

    let doomed = a.sign_up("user").await;
    let mut on_b = WsClient::live(&b.ws_url(EVENTS), &doomed.access).await;
    let reply = a.delete_if(&format!("/api/users/{}", doomed.id), "*").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let (code, reason) = on_b.closed(WITHIN_A_SECOND).await;
    assert_eq!(
        (code, reason.as_str()),
        (close_code::SESSION_ENDED, "account deleted")
    );
    b.stop().await;
    a.stop().await;
}

fn reads(text: &str, by: &str) -> f64 {
    let series = format!(r#"tidings_event_log_reads_total{{by="{by}"}}"#);
    metric(text, &series).unwrap_or_else(|| panic!("{series} in\n{text}"))
}

#[tokio::test]
async fn each_instance_reads_the_table_once_per_write_for_all_its_sockets() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    let mut sockets = Vec::new();
    for server in [&a, &b] {
        for _ in 0..10 {
            sockets.push(WsClient::live(&server.ws_url(EVENTS), &server.admin_token).await);
        }
    }
    let before = [metrics_text(&a).await, metrics_text(&b).await];
    let started = Instant::now();
    let writes = 12;
    for n in 0..writes {
        a.create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
        // Each write reaches every socket before the next one.
        for ws in &mut sockets {
            ws.next_event().await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().ceil();
    for (server, before) in [&a, &b].into_iter().zip(before) {
        let after = metrics_text(server).await;
        let listener = reads(&after, "listener") - reads(&before, "listener");
        // One read per write, plus the once-a-second fallback.
        assert!(
            listener <= f64::from(writes) + elapsed + 1.0,
            "{listener} listener reads for {writes} writes in {elapsed} s"
        );
        assert_eq!(reads(&after, "socket"), 0.0, "{after}");
    }
    for ws in sockets {
        ws.close().await;
    }
    b.stop().await;
    a.stop().await;
}
