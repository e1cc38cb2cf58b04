//! Data that should not stay: expired refresh tokens and idempotency
//! records are purged, and names and titles refuse characters that make
//! them show other than they read.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{assert_invalid, id_of, TestServer};

#[tokio::test]
async fn expired_refresh_tokens_and_idempotency_records_are_purged() {
    let server = TestServer::start_with(|config| config.refresh_token_ttl_secs = 1).await;
    server.sign_up("user").await;
    let count = |table: &'static str| {
        let pool = server.db.sqlite().unwrap().clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("refresh_tokens").await, 1);
    let now = chrono::Utc::now();
    assert_eq!(
        server.db.purge_expired_refresh_tokens(now).await.unwrap(),
        0
    );
    let later = now + chrono::TimeDelta::seconds(2);
    assert_eq!(
        server.db.purge_expired_refresh_tokens(later).await.unwrap(),
        1
    );
    assert_eq!(count("refresh_tokens").await, 0);

    let reply = server
        .send_with(
            reqwest::Method::POST,
            "/api/users",
            &[("Idempotency-Key", "purge-me")],
            Some(&json!({ "name": "Keyed", "email": "keyed@example.com" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(count("idempotency_keys").await, 1);
    assert_eq!(server.db.purge_expired_keys(now).await.unwrap(), 0);
    let tomorrow = now + chrono::TimeDelta::hours(25);
    assert_eq!(server.db.purge_expired_keys(tomorrow).await.unwrap(), 1);
    assert_eq!(count("idempotency_keys").await, 0);
    server.stop().await;
}

#[tokio::test]
async fn names_and_titles_with_bidirectional_overrides_are_refused() {
    let server = TestServer::start().await;
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": "Ada\u{202E}nimda", "email": "rlo@example.com" }),
        )
        .await;
    let body = assert_invalid(&reply, &["name"]);
    assert!(body.to_string().contains("U+202E"), "{body}");
    let ada = server.create_user("Ada", "ada@example.com").await;
    let reply = server
        .post_json(
            "/api/posts",
            &json!({ "title": "\u{2066}Free\u{2069}", "content": "x", "authorId": id_of(&ada) }),
        )
        .await;
    assert_invalid(&reply, &["title"]);
    assert_eq!(server.all_users().await.len(), 1, "nothing was created");
    server.stop().await;
}
