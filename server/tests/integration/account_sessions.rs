//! A person's own sessions: changing the password signs out every other
//! session (this one stays), and "sign out everywhere" ends them all; in
//! both, the ended sessions' refresh tokens stop working and their realtime
//! sockets close.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use support::ws::WsClient;
use support::{assert_invalid, client_with_token, Account, TestServer};
use tidings::protocol::close_code;

const EVENTS: &str = "/api/events";
const SOON: Duration = Duration::from_millis(1500);

/// Signs `account` in again: a second session of the same person.
async fn second_session(server: &TestServer, email: &str, password: &str) -> Account {
    let reply = server.login(&server.anonymous(), email, password).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    Account {
        id: String::new(),
        access: reply.json()["accessToken"].as_str().unwrap().to_owned(),
        refresh: reply.cookie_value("tidings_refresh").to_owned(),
    }
}

#[tokio::test]
async fn a_new_password_signs_out_every_other_session() {
    let server = TestServer::start().await;
    server
        .create_account("ada@example.com", "correct horse")
        .await;
    let here = second_session(&server, "ada@example.com", "correct horse").await;
    let there = second_session(&server, "ada@example.com", "correct horse").await;
    let mut here_ws = WsClient::live(&server.ws_url(EVENTS), &here.access).await;
    let mut there_ws = WsClient::live(&server.ws_url(EVENTS), &there.access).await;
    let me = client_with_token(&here.access);

    let change = |current: &str, new: &str| {
        server.call(
            me.post(server.url("/api/auth/password"))
                .json(&json!({ "currentPassword": current, "newPassword": new })),
        )
    };
    assert_invalid(
        &change("wrong horse", "battery staple").await,
        &["currentPassword"],
    );
    assert_invalid(&change("correct horse", "short").await, &["newPassword"]);
    assert_eq!(
        server
            .login(&server.anonymous(), "ada@example.com", "correct horse")
            .await
            .status,
        StatusCode::OK,
        "refusals changed nothing"
    );

    assert_eq!(
        change("correct horse", "battery staple").await.status,
        StatusCode::NO_CONTENT
    );
    let (code, _) = there_ws.closed(SOON).await;
    assert_eq!(code, close_code::SESSION_ENDED);
    assert_eq!(
        server.refresh(&there.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    // This session stays.
    assert_eq!(server.refresh(&here.refresh).await.status, StatusCode::OK);
    server.create_user("Still", "still@example.com").await;
    here_ws.next_event().await;
    for (password, status) in [
        ("correct horse", StatusCode::UNAUTHORIZED),
        ("battery staple", StatusCode::OK),
    ] {
        let reply = server
            .login(&server.anonymous(), "ada@example.com", password)
            .await;
        assert_eq!(reply.status, status, "{password}");
    }
    here_ws.close().await;
    server.stop().await;
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    let server = TestServer::start().await;
    server
        .create_account("ada@example.com", "correct horse")
        .await;
    let one = second_session(&server, "ada@example.com", "correct horse").await;
    let two = second_session(&server, "ada@example.com", "correct horse").await;
    let mut sockets = Vec::new();
    for session in [&one, &two] {
        sockets.push(WsClient::live(&server.ws_url(EVENTS), &session.access).await);
    }
    let reply = server
        .call(client_with_token(&one.access).post(server.url("/api/auth/logout-all")))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.set_cookie("tidings_refresh").contains("Max-Age=0"));
    for ws in &mut sockets {
        let (code, reason) = ws.closed(SOON).await;
        assert_eq!(
            (code, reason.as_str()),
            (close_code::SESSION_ENDED, "signed out")
        );
    }
    for session in [&one, &two] {
        assert_eq!(
            server.refresh(&session.refresh).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    server.stop().await;
}
