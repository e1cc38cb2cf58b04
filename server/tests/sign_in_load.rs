//! Sign-in under a flood: password hashing runs a bounded number at once,
//! and who waits too long for a turn is told to come back (503 `busy` with
//! `Retry-After`) instead of queueing without end.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::TestServer;

#[tokio::test]
async fn a_flood_of_sign_ins_is_turned_away_with_retry_after() {
    let server = TestServer::start_with(|config| {
        config.max_concurrent_hashes = 1;
        config.hash_wait_ms = 1;
        config.login_failures_per_account = 1_000;
    })
    .await;
    server
        .create_account("ada@example.com", "correct horse")
        .await;
    let attempts: Vec<_> = (0..16)
        .map(|n| {
            let (client, url) = (server.anonymous(), server.url("/api/auth/login"));
            let password = if n % 2 == 0 {
                "correct horse"
            } else {
                "wrong horse"
            };
            tokio::spawn(async move {
                let reply = client
                    .post(url)
                    .json(&json!({ "email": "ada@example.com", "password": password }))
                    .send()
                    .await
                    .unwrap();
                let retry = reply
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                (reply.status(), retry)
            })
        })
        .collect();
    let mut busy = 0;
    for attempt in attempts {
        let (status, retry) = attempt.await.unwrap();
        match status {
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(retry.as_deref(), Some("1"));
                busy += 1;
            }
            StatusCode::OK | StatusCode::UNAUTHORIZED => {}
            other => panic!("a sign-in answered {other}"),
        }
    }
    assert!(
        busy > 0,
        "16 sign-ins at once, one hash at a time, none turned away"
    );
    // Once the flood is over, the owner signs in.
    let reply = server
        .login(&server.anonymous(), "ada@example.com", "correct horse")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    server.stop().await;
}
