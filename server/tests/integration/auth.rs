//! Sign-in, refresh, sign-out and `me` against a real server: the
//! answers and cookies of the contract, refresh-token rotation with reuse
//! detection, expired and forged tokens, and the page guard.

use crate::support;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::{
    assert_error, assert_invalid, client_with_token, mint_token_at, Reply, TestServer,
    TEST_JWT_SECRET,
};
use tidings::Role;

const PASSWORD: &str = "correct horse battery";

async fn me_with(server: &TestServer, client: &Client) -> Reply {
    server.call(client.get(server.url("/api/auth/me"))).await
}

#[tokio::test]
async fn login_refresh_me_and_logout_follow_the_contract() {
    let server = TestServer::start().await;
    let ada = server.create_account("ada@example.com", PASSWORD).await;

    let login = server
        .login(&server.anonymous(), "ADA@example.com", PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let session = login.json();
    assert_eq!(
        support::keys(&session),
        ["accessToken", "expiresIn", "user"].into_iter().collect()
    );
    assert_eq!(session["expiresIn"], 900);
    assert_eq!(session["user"], ada);
    let access = session["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(access.split('.').count(), 3, "a JWT");

    let access_cookie = login.set_cookie("tidings_access");
    assert_eq!(login.cookie_value("tidings_access"), access);
    assert!(access_cookie.contains("HttpOnly"));
    assert!(access_cookie.contains("SameSite=Strict"));
    assert!(access_cookie.contains("Path=/;"));
    assert!(access_cookie.contains("Max-Age=900"));
    assert!(!access_cookie.contains("Secure"));
    let refresh_cookie = login.set_cookie("tidings_refresh");
    assert!(refresh_cookie.contains("HttpOnly"));
    assert!(refresh_cookie.contains("SameSite=Strict"));
    assert!(refresh_cookie.contains("Path=/api/auth"));
    assert!(refresh_cookie.contains("Max-Age=2592000"));
    let first_refresh = login.cookie_value("tidings_refresh").to_owned();

    // `me`, by Bearer header and by the access cookie alone.
    let me = me_with(&server, &client_with_token(&access)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json(), ada);
    let by_cookie = server
        .call(
            server
                .anonymous()
                .get(server.url("/api/auth/me"))
                .header("cookie", format!("tidings_access={access}")),
        )
        .await;
    assert_eq!(by_cookie.json(), ada);

    // Refresh: a new session, a rotated refresh cookie.
    let refreshed = server.refresh(&first_refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(refreshed.json()["user"], ada);
    assert_eq!(refreshed.json()["expiresIn"], 900);
    let second_refresh = refreshed.cookie_value("tidings_refresh").to_owned();
    assert_ne!(second_refresh, first_refresh);
    let new_access = refreshed.json()["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(refreshed.cookie_value("tidings_access"), new_access);
    assert_eq!(
        me_with(&server, &client_with_token(&new_access))
            .await
            .status,
        StatusCode::OK
    );

    // Logout: 204, both cookies cleared, the refresh token is dead.
    let logout = server
        .call(
            server
                .anonymous()
                .post(server.url("/api/auth/logout"))
                .header("cookie", format!("tidings_refresh={second_refresh}")),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.set_cookie("tidings_access").contains("Max-Age=0"));
    assert!(logout.set_cookie("tidings_refresh").contains("Max-Age=0"));
    assert_error(
        &server.refresh(&second_refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh",
    );
    server.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_one_answer_and_bad_input_names_the_field() {
    let server = TestServer::start().await;
    server.create_account("ada@example.com", PASSWORD).await;
    server
        .create_user("No Password", "nopass@example.com")
        .await;
    let anon = server.anonymous();

    let wrong = server
        .login(&anon, "ada@example.com", "wrong password")
        .await;
    let unknown = server.login(&anon, "who@example.com", PASSWORD).await;
    let passwordless = server.login(&anon, "nopass@example.com", PASSWORD).await;
    for reply in [&wrong, &unknown, &passwordless] {
        assert_error(reply, StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert!(reply.header("set-cookie").is_none());
    }
    assert_eq!(wrong.json(), unknown.json(), "nothing tells them apart");

    let login = |body: Value| server.call(anon.post(server.url("/api/auth/login")).json(&body));
    assert_invalid(&login(json!({})).await, &["email", "password"]);
    assert_invalid(
        &login(json!({ "email": "not an email", "password": "x" })).await,
        &["email"],
    );
    assert_invalid(
        &login(json!({ "email": "ada@example.com", "password": "" })).await,
        &["password"],
    );
    assert_invalid(
        &login(json!({ "email": "ada@example.com", "password": 5 })).await,
        &["password"],
    );
    server.stop().await;
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_family() {
    // Without a grace window, any token presented again is a reuse.
    let server = TestServer::start_with(|config| config.refresh_grace_secs = 0).await;
    server.create_account("ada@example.com", PASSWORD).await;
    let anon = server.anonymous();
    let login = server.login(&anon, "ada@example.com", PASSWORD).await;
    let first = login.cookie_value("tidings_refresh").to_owned();
    let other_login = server.login(&anon, "ada@example.com", PASSWORD).await;
    let other = other_login.cookie_value("tidings_refresh").to_owned();

    let rotated = server.refresh(&first).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let second = rotated.cookie_value("tidings_refresh").to_owned();

    // The rotated token comes back (as a thief would send it): refused,
    // and the newest token of its family stops working too.
    let reused = server.refresh(&first).await;
    assert_error(&reused, StatusCode::UNAUTHORIZED, "invalid_refresh");
    assert!(reused.set_cookie("tidings_refresh").contains("Max-Age=0"));
    assert_error(
        &server.refresh(&second).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh",
    );
    // Another sign-in is another family.
    assert_eq!(server.refresh(&other).await.status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn refresh_without_a_known_token_is_refused() {
    let server = TestServer::start().await;
    let none = server
        .call(server.anonymous().post(server.url("/api/auth/refresh")))
        .await;
    assert_error(&none, StatusCode::UNAUTHORIZED, "invalid_refresh");
    assert_error(
        &server.refresh("made-up-token").await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh",
    );
    // Logging out without a session is fine, and says so the same way.
    let logout = server
        .call(server.anonymous().post(server.url("/api/auth/logout")))
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    server.stop().await;
}

#[tokio::test]
async fn expired_forged_and_missing_tokens_are_401_with_a_bearer_challenge() {
    let server = TestServer::start().await;
    let now = chrono::Utc::now().timestamp();
    let expired = mint_token_at(server.admin_id, Role::Admin, now - 1_000, 900);
    let other_secret = server::auth::token::TokenKeys::new(b"another-secret-another-secret-00")
        .issue(
            server::auth::Actor {
                id: server.admin_id,
                role: Role::Admin,
            },
            now,
            900,
        );
    assert_ne!(
        TEST_JWT_SECRET.as_bytes(),
        b"another-secret-another-secret-00"
    );
    for client in [
        client_with_token(&expired),
        client_with_token(&other_secret),
        client_with_token("not.a.token"),
        server.anonymous(),
    ] {
        let reply = server.call(client.get(server.url("/api/users"))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
    let still = mint_token_at(server.admin_id, Role::Admin, now - 800, 900);
    let reply = server
        .call(client_with_token(&still).get(server.url("/api/users")))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "valid for 900 s: {}",
        reply.text
    );
    server.stop().await;
}
#[tokio::test]
async fn pages_send_strangers_to_the_login_page() {
    let server = TestServer::start().await;
    let anon = server.anonymous();
    for (path, next) in [("/", "%2F"), ("/posts?x=1", "%2Fposts%3Fx%3D1")] {
        let reply = server.call(anon.get(server.url(path))).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            reply.header("location"),
            Some(format!("/login?next={next}").as_str())
        );
    }
    // Signed in by the access cookie, the page renders.
    let page = server.get("/posts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // Not pages: the login page itself, health, metrics.
    for path in ["/login", "/healthz", "/metrics"] {
        let reply = server.call(anon.get(server.url(path))).await;
        assert_ne!(reply.status, StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(
        server.call(anon.get(server.url("/healthz"))).await.status,
        StatusCode::OK
    );
    server.stop().await;
}
