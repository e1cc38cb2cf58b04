//! Sign-in as an attacker would try it: under a flood, password hashing
//! runs a bounded number at once and who waits too long for a turn is told
//! to come back (503 `busy` with `Retry-After`) instead of queueing without
//! end; a guesser slows down only itself, never locking the owner out;
//! behind a trusted proxy the limits see the real client, and nobody else
//! can choose their address with `X-Forwarded-For`.

use crate::support;

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

async fn sign_in_from(server: &TestServer, from: &str, password: &str) -> StatusCode {
    server
        .anonymous()
        .post(server.url("/api/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({ "email": "ada@example.com", "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_guesser_is_slowed_and_the_owner_still_signs_in() {
    let server = TestServer::start_with(|config| {
        config.login_failures_per_account = 3;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    server
        .create_account("ada@example.com", "correct horse")
        .await;
    let guesser = "203.0.113.9";
    for _ in 0..3 {
        assert_eq!(
            sign_in_from(&server, guesser, "wrong horse").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_from(&server, guesser, "correct horse").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser waits, even with the right password"
    );
    assert_eq!(
        sign_in_from(&server, "198.51.100.4", "correct horse").await,
        StatusCode::OK,
        "the owner, elsewhere, is not locked out"
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_trusted_proxy_x_forwarded_for_is_ignored() {
    let server = TestServer::start_with(|config| config.login_failures_per_account = 3).await;
    server
        .create_account("ada@example.com", "correct horse")
        .await;
    // A guesser that names a new address each time is still one address.
    for n in 0..3 {
        let from = format!("203.0.113.{n}");
        assert_eq!(
            sign_in_from(&server, &from, "wrong horse").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_from(&server, "203.0.113.200", "wrong horse").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    server.stop().await;
}
