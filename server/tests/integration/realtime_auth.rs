//! The realtime socket signs in: at the upgrade (Bearer), or by a first
//! `auth` frame; anything else first is refused with `unauthorized` and a
//! close; and every event names the user who made the change.

use crate::support;

use serde_json::json;
use support::ws::{NotAFrame, WsClient};
use support::TestServer;
use tidings::protocol::{ClientFrame, EventKind, ServerFrame, Topic};
use tidings::Role;

const EVENTS: &str = "/api/events";

/// Expects the `unauthorized` error frame, then a close with 1008.
async fn expect_refusal(mut socket: WsClient) {
    match socket.next_frame().await {
        ServerFrame::Error { code, message } => {
            assert_eq!(code, "unauthorized");
            assert!(!message.is_empty());
        }
        other => panic!("expected an unauthorized error, got {other:?}"),
    }
    match socket.try_next_frame(support::ws::FRAME_TIMEOUT).await {
        Err(NotAFrame::Closed(Some(frame))) => assert_eq!(u16::from(frame.code), 1008),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_socket_that_does_not_sign_in_is_refused() {
    let server = TestServer::start().await;
    let url = server.ws_url(EVENTS);

    let mut subscribes_first = WsClient::open(&url, None).await;
    subscribes_first.subscribe(&[Topic::Posts], 0).await;
    expect_refusal(subscribes_first).await;

    let mut bad_token = WsClient::open(&url, None).await;
    bad_token
        .send(&ClientFrame::Auth {
            token: "not.a.token".into(),
        })
        .await;
    expect_refusal(bad_token).await;
    server.stop().await;
}

#[tokio::test]
async fn a_socket_signed_in_by_its_first_frame_gets_events_naming_the_writer() {
    let server = TestServer::start().await;
    let member = server.client_as(Role::User).await;
    let mut socket = WsClient::open(&server.ws_url(EVENTS), None).await;
    socket
        .send(&ClientFrame::Auth {
            token: member.token.clone(),
        })
        .await;
    let (mut socket, hello) = socket.hello().await;
    socket.subscribe(&[Topic::Posts], hello.seq).await;
    socket.sync().await;

    let reply = server
        .call(
            member
                .client
                .post(server.url("/api/posts"))
                .json(&json!({ "title": "Hello", "content": "Text" })),
        )
        .await;
    assert_eq!(reply.status, reqwest::StatusCode::CREATED, "{}", reply.text);
    let event = socket.next_event().await;
    assert_eq!(event.kind, EventKind::PostCreated);
    assert_eq!(event.actor.map(|a| a.to_string()), Some(member.id.clone()));
    assert_eq!(event.data, reply.json());
    socket.close().await;

    // Signed in at the upgrade: greeted at once, and the admin's writes
    // name the admin.
    let (mut admin_socket, hello) =
        WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    admin_socket.subscribe(&[Topic::Users], hello.seq).await;
    admin_socket.sync().await;
    server.create_user("Ada", "ada@example.com").await;
    let event = admin_socket.next_event().await;
    assert_eq!(event.kind, EventKind::UserCreated);
    assert_eq!(event.actor, Some(server.admin_id));
    admin_socket.close().await;
    server.stop().await;
}
