//! What a server does when its operator gives it nothing: it seeds no
//! account with a published password (`server::config` tests that), and
//! it signs tokens with a secret it made once and keeps in the store, so a
//! restart signs nobody out and instances on one database agree. Served
//! over HTTPS (`--secure-cookies`), its cookies are `__Host-` and it sends
//! HSTS.

use crate::support;

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::process::ServerProcess;
use support::TestServer;

const DEMO_ADMIN: &str = "admin@tidings.dev";
const DEMO_PASSWORD: &str = "tidings-demo";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(base: &str) -> String {
    let reply: Value = http()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "email": DEMO_ADMIN, "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["accessToken"].as_str().unwrap().to_owned()
}

async fn me(base: &str, token: &str) -> StatusCode {
    http()
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_restart_without_a_secret_keeps_everyone_signed_in() {
    let dir = tempfile::tempdir().unwrap();
    let first = ServerProcess::start_in(dir.path(), None, &["--seed", "true"]);
    let base = format!("http://{}", first.addr);
    let token = sign_in(&base).await;
    assert_eq!(me(&base, &token).await, StatusCode::OK);
    drop(first);

    let second = ServerProcess::start_in(dir.path(), None, &[]);
    let base = format!("http://{}", second.addr);
    assert_eq!(me(&base, &token).await, StatusCode::OK, "same secret");
    // A server over another database made a secret of its own.
    let other = tempfile::tempdir().unwrap();
    let stranger = ServerProcess::start_in(other.path(), None, &[]);
    let base = format!("http://{}", stranger.addr);
    assert_eq!(me(&base, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn instances_without_a_secret_accept_each_others_tokens() {
    let a = TestServer::start_postgres_with(|config| {
        config.jwt_secret = None;
        config.seed = true;
    })
    .await;
    let b = a
        .start_sibling_with(|config| config.jwt_secret = None)
        .await;
    let token = sign_in(&a.url("")).await;
    assert_eq!(me(&b.url(""), &token).await, StatusCode::OK);
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn over_https_cookies_are_host_only_and_hsts_is_sent() {
    let server = TestServer::start_with(|config| {
        config.secure_cookies = true;
        config.seed = true;
    })
    .await;
    let reply = server
        .call(
            server
                .anonymous()
                .post(server.url("/api/auth/login"))
                .json(&json!({ "email": DEMO_ADMIN, "password": DEMO_PASSWORD })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let cookies: Vec<&str> = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for cookie in &cookies {
        assert!(cookie.starts_with("__Host-tidings_"), "{cookie}");
        assert!(
            cookie.contains("; Secure") && cookie.contains("Path=/;"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
    // The prefixed cookie is the one read.
    let token = reply.json()["accessToken"].as_str().unwrap().to_owned();
    let page = |cookie: String| {
        server.call(
            server
                .anonymous()
                .get(server.url("/posts"))
                .header(COOKIE, cookie),
        )
    };
    assert_eq!(
        page(format!("__Host-tidings_access={token}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        page(format!("tidings_access={token}")).await.status,
        StatusCode::SEE_OTHER
    );
    // Plain HTTP sends no HSTS.
    let plain = TestServer::start().await;
    let reply = plain.get("/healthz").await;
    assert_eq!(reply.header("strict-transport-security"), None);
    plain.stop().await;
    server.stop().await;
}
