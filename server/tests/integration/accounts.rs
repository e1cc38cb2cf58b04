//! Accounts against a real server: the demo accounts, the password
//! field of `POST /api/users` (checked, hashed, never shown), the
//! sign-in rate limits per address and per account, and the `Secure`
//! cookie flag.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::{assert_error, assert_invalid, assert_user_shape, TestServer, DEMO_PASSWORD};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn an_address_is_limited_and_told_when_to_come_back() {
    let server = TestServer::start_with(|c| c.login_attempts_per_ip = 3).await;
    server.create_account("ada@example.com", PASSWORD).await;
    let anon = server.anonymous();
    for i in 0..3 {
        let reply = server
            .login(&anon, &format!("who{i}@example.com"), PASSWORD)
            .await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    // Even the right password waits now.
    let limited = server.login(&anon, "ada@example.com", PASSWORD).await;
    assert_error(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    server.stop().await;
}

#[tokio::test]
async fn an_account_is_limited_after_failures_and_others_are_not() {
    let server = TestServer::start_with(|c| c.login_failures_per_account = 2).await;
    server.create_account("ada@example.com", PASSWORD).await;
    server.create_account("bob@example.com", PASSWORD).await;
    let anon = server.anonymous();
    for _ in 0..2 {
        let reply = server.login(&anon, "ada@example.com", "guess guess").await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let limited = server.login(&anon, "ada@example.com", PASSWORD).await;
    assert_error(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    let bob = server.login(&anon, "bob@example.com", PASSWORD).await;
    assert_eq!(bob.status, StatusCode::OK, "{}", bob.text);
    server.stop().await;
}

#[tokio::test]
async fn the_demo_accounts_sign_in_with_the_demo_password() {
    let server = TestServer::start_seeded().await;
    let anon = server.anonymous();
    for (email, role) in [
        ("admin@tidings.dev", "admin"),
        ("moderator@tidings.dev", "moderator"),
        ("user@tidings.dev", "user"),
    ] {
        let reply = server.login(&anon, email, DEMO_PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{email}: {}", reply.text);
        assert_eq!(reply.json()["user"]["role"], role);
        assert_eq!(reply.json()["user"]["email"], email);
    }
    server.stop().await;
}

#[tokio::test]
async fn secure_cookies_are_marked_secure() {
    let server = TestServer::start_with(|c| c.secure_cookies = true).await;
    server.create_account("ada@example.com", PASSWORD).await;
    let login = server
        .login(&server.anonymous(), "ada@example.com", PASSWORD)
        .await;
    // Served over HTTPS, they are host-only too (`__Host-`).
    assert!(login
        .set_cookie("__Host-tidings_access")
        .ends_with("; Secure"));
    assert!(login
        .set_cookie("__Host-tidings_refresh")
        .ends_with("; Secure"));
    server.stop().await;
}

#[tokio::test]
async fn a_new_password_is_checked_and_never_shown() {
    let server = TestServer::start().await;
    let short = server
        .post_json(
            "/api/users",
            &json!({ "name": "Ada", "email": "ada@example.com", "password": "short" }),
        )
        .await;
    assert_invalid(&short, &["password"]);
    let both = server
        .post_json(
            "/api/users",
            &json!({ "name": "", "email": "ada@example.com", "password": "short" }),
        )
        .await;
    assert_invalid(&both, &["name", "password"]);
    let typed = server
        .post_json(
            "/api/users",
            &json!({ "name": "Ada", "email": "ada@example.com", "password": 12345678 }),
        )
        .await;
    assert_invalid(&typed, &["password"]);
    assert!(server.all_users().await.is_empty(), "nothing was created");

    let ada = server.create_account("ada@example.com", PASSWORD).await;
    assert_user_shape(&ada);
    let login = server
        .login(&server.anonymous(), "ada@example.com", PASSWORD)
        .await;
    let mut seen = vec![ada.to_string(), login.text.clone()];
    seen.push(server.get("/api/users").await.text);
    seen.push(
        server
            .get(&format!("/api/users/{}", ada["id"].as_str().unwrap()))
            .await
            .text,
    );
    for event in server.db.all_events_after(0).await.unwrap() {
        seen.push(format!("{event:?}"));
    }
    for text in seen {
        assert!(!text.contains("argon2"), "a hash leaked: {text}");
        assert!(!text.to_lowercase().contains("password"), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
    }
    server.stop().await;
}
