//! Realtime sockets against real servers, as an attacker and an operator
//! would try them: a socket lives no longer than its token or its session,
//! checks the page's origin, is limited per user, and a client that stops
//! reading costs the server bounded memory. Also: sockets inside the
//! in-memory tail never read the event table.

use crate::support;

use std::time::Duration;

use reqwest::header::{COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::json;
use support::metrics::{eventually, metric, metrics_text};
use support::process::ServerProcess;
use support::ws::WsClient;
use support::{id_of, mint_token_at, TestServer};
use tidings::protocol::{close_code, error_code, ClientFrame, ServerFrame, Topic};
use tidings::Role;
use tokio_tungstenite::tungstenite::Message;

const EVENTS: &str = "/api/events";
/// Longest a server may take to close a socket whose session ended.
const WITHIN_A_SECOND: Duration = Duration::from_millis(1500);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn live_socket(server: &TestServer, token: &str) -> WsClient {
    WsClient::live(&server.ws_url(EVENTS), token).await
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires_unless_it_reauthenticates() {
    let server = TestServer::start().await;
    let short = |ttl| mint_token_at(server.admin_id, Role::Admin, now(), ttl);
    let mut lapsing = live_socket(&server, &short(2)).await;
    let mut renewed = live_socket(&server, &short(2)).await;

    // `renewed` sends a fresh token every half second for four seconds.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        renewed.send(&ClientFrame::Auth { token: short(2) }).await;
    }
    let (code, reason) = lapsing.closed(Duration::from_secs(1)).await;
    assert_eq!(code, close_code::TOKEN_EXPIRED, "{reason}");
    assert!(reason.contains("expired"), "{reason}");

    // Past the first token's life, the renewed socket still streams.
    server.create_user("Still", "still@example.com").await;
    let (events, _) = renewed.sync().await;
    let more = if events.is_empty() {
        vec![renewed.next_event().await]
    } else {
        events
    };
    assert_eq!(more.len(), 1);
    eventually(
        &server,
        r#"tidings_realtime_closed_total{reason="token_expired"}"#,
        1.0,
    )
    .await;
    renewed.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_bad_or_foreign_reauthentication_changes_nothing() {
    let server = TestServer::start().await;
    let mut ws = live_socket(&server, &server.admin_token).await;
    let other = support::mint_token(uuid::Uuid::new_v4(), Role::Admin);
    for token in ["nonsense".to_owned(), other] {
        ws.send(&ClientFrame::Auth { token }).await;
        match ws.next_frame().await {
            ServerFrame::Error { code, .. } => assert_eq!(code, error_code::UNAUTHORIZED),
            other => panic!("expected an error frame, got {other:?}"),
        }
    }
    server.create_user("After", "after@example.com").await;
    assert_eq!(ws.next_event().await.kind.as_str(), "USER_CREATED");
    ws.close().await;
    server.stop().await;
}

#[tokio::test]
async fn signing_out_closes_that_sessions_sockets_and_no_other() {
    // No refresh grace window: a token presented twice is a reuse.
    let server = TestServer::start_with(|config| config.refresh_grace_secs = 0).await;
    let mut admins = live_socket(&server, &server.admin_token).await;

    // A clean sign-out.
    let account = server.sign_up("user").await;
    let mut ws = live_socket(&server, &account.access).await;
    server.sign_out(&account.refresh).await;
    let (code, reason) = ws.closed(WITHIN_A_SECOND).await;
    assert_eq!(
        (code, reason.as_str()),
        (close_code::SESSION_ENDED, "signed out")
    );
    // Its access token has not expired, but its session is over.
    let bearer = format!("Bearer {}", account.access);
    let again = WsClient::try_open(&server.ws_url(EVENTS), &[("authorization", &bearer)]).await;
    assert_eq!(again.err(), Some(401));

    // A refresh token presented twice revokes its session: same end.
    let stolen = server.sign_up("user").await;
    let mut ws = live_socket(&server, &stolen.access).await;
    let first = server.refresh(&stolen.refresh).await;
    assert_eq!(first.status, StatusCode::OK);
    let reuse = server.refresh(&stolen.refresh).await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED, "a reuse");
    let (code, _) = ws.closed(WITHIN_A_SECOND).await;
    assert_eq!(code, close_code::SESSION_ENDED);

    // Nobody else's socket noticed.
    server.create_user("Still", "still@example.com").await;
    loop {
        let event = admins.next_event().await;
        if event.data["name"] == "Still" {
            break;
        }
    }
    eventually(
        &server,
        r#"tidings_realtime_closed_total{reason="signed_out"}"#,
        2.0,
    )
    .await;
    admins.close().await;
    server.stop().await;
}

#[tokio::test]
async fn deleting_or_demoting_a_user_ends_their_sockets() {
    let server = TestServer::start().await;
    let doomed = server.sign_up("user").await;
    let demoted = server.sign_up("moderator").await;
    let mut doomed_ws = live_socket(&server, &doomed.access).await;
    let mut demoted_ws = live_socket(&server, &demoted.access).await;

    let reply = server
        .delete_if(&format!("/api/users/{}", doomed.id), "*")
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let (code, reason) = doomed_ws.closed(WITHIN_A_SECOND).await;
    assert_eq!(
        (code, reason.as_str()),
        (close_code::SESSION_ENDED, "account deleted")
    );

    let reply = server
        .patch_if(
            &format!("/api/users/{}", demoted.id),
            "*",
            &json!({ "role": "user" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let (code, reason) = demoted_ws.closed(WITHIN_A_SECOND).await;
    assert_eq!(code, close_code::ROLE_CHANGED, "{reason}");
    // The old token names the old role: refused until refreshed.
    let bearer = format!("Bearer {}", demoted.access);
    let stale = WsClient::try_open(&server.ws_url(EVENTS), &[("authorization", &bearer)]).await;
    assert_eq!(stale.err(), Some(401));
    let fresh = server.refresh(&demoted.refresh).await.json();
    let token = fresh["accessToken"].as_str().unwrap();
    live_socket(&server, token).await.close().await;

    let text = metrics_text(&server).await;
    for reason in ["deleted", "role_changed"] {
        let series = format!(r#"tidings_realtime_closed_total{{reason="{reason}"}}"#);
        assert_eq!(metric(&text, &series), Some(1.0), "{series}\n{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_page_of_another_origin_can_neither_open_the_stream_nor_post_with_cookies() {
    let server = TestServer::start().await;
    let cookie = format!("tidings_access={}", server.admin_token);
    let url = server.ws_url(EVENTS);
    let own = format!("http://{}", server.addr);
    for (origin, upgraded) in [
        (Some("http://evil.example"), false),
        (Some("null"), false),
        (Some(own.as_str()), true),
        (None, true),
    ] {
        let mut headers = vec![("cookie", cookie.as_str())];
        if let Some(origin) = origin {
            headers.push(("origin", origin));
        }
        match WsClient::try_open(&url, &headers).await {
            Ok(ws) => {
                assert!(upgraded, "{origin:?} upgraded");
                let (ws, _) = ws.hello().await;
                ws.close().await;
            }
            Err(status) => {
                assert!(!upgraded, "{origin:?} refused");
                assert_eq!(status, 403, "{origin:?}");
            }
        }
    }

    // Writes that need no preflight: a multipart upload and sign-out.
    let user = server.create_user("Ada", "ada@example.com").await;
    let avatar = format!("/api/users/{}/avatar", id_of(&user));
    for (origin, refused) in [("http://evil.example", true), (own.as_str(), false)] {
        let form = reqwest::multipart::Form::new().part(
            "avatar",
            reqwest::multipart::Part::bytes(support::TINY_PNG.to_vec()).file_name("a.png"),
        );
        let reply = server
            .call(
                server
                    .anonymous()
                    .post(server.url(&avatar))
                    .header(COOKIE, &cookie)
                    .header(ORIGIN, origin)
                    .multipart(form),
            )
            .await;
        assert_eq!(
            reply.status == StatusCode::FORBIDDEN,
            refused,
            "{origin}: {}",
            reply.text
        );
        if refused {
            assert_eq!(reply.json()["error"]["code"], "forbidden_origin");
        }
        for path in ["/api/auth/logout", "/api/auth/refresh"] {
            let reply = server
                .call(
                    server
                        .anonymous()
                        .post(server.url(path))
                        .header(ORIGIN, origin),
                )
                .await;
            assert_eq!(
                reply.status == StatusCode::FORBIDDEN,
                refused,
                "{path} from {origin}: {}",
                reply.text
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_user_holds_at_most_sixteen_sockets() {
    let server = TestServer::start().await;
    let url = server.ws_url(EVENTS);
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(WsClient::connect(&url, &server.admin_token).await.0);
    }
    let bearer = format!("Bearer {}", server.admin_token);
    assert_eq!(
        WsClient::try_open(&url, &[("authorization", &bearer)])
            .await
            .err(),
        Some(429),
        "the 17th at the upgrade"
    );
    // Signing in by frame meets the same limit.
    let mut by_frame = WsClient::open(&url, None).await;
    by_frame
        .send(&ClientFrame::Auth {
            token: server.admin_token.clone(),
        })
        .await;
    match by_frame.next_frame().await {
        ServerFrame::Error { code, message } => {
            assert_eq!(code, error_code::TOO_MANY_SOCKETS);
            assert!(message.contains("16"), "{message}");
        }
        other => panic!("expected too_many_sockets, got {other:?}"),
    }
    let (code, _) = by_frame.closed(Duration::from_secs(5)).await;
    assert_eq!(code, 1008);
    // Another user is not affected, and a closed socket frees its seat.
    let other = support::mint_token(uuid::Uuid::new_v4(), Role::User);
    WsClient::connect(&url, &other).await.0.close().await;
    open.pop().unwrap().close().await;
    eventually(&server, "tidings_realtime_sockets_open", 15.0).await;
    WsClient::connect(&url, &server.admin_token)
        .await
        .0
        .close()
        .await;
    let text = metrics_text(&server).await;
    assert_eq!(
        metric(
            &text,
            r#"tidings_realtime_refused_total{reason="sockets_per_user"}"#
        ),
        Some(2.0),
        "{text}"
    );
    for ws in open {
        ws.close().await;
    }
    server.stop().await;
}

#[tokio::test]
async fn subscribe_floods_and_oversized_frames_are_refused() {
    let server = TestServer::start().await;
    let mut ws = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token)
        .await
        .0;
    for _ in 0..40 {
        ws.subscribe(&[Topic::Users], 0).await;
    }
    ws.send(&ClientFrame::Heartbeat).await;
    let mut limited = 0;
    loop {
        match ws.next_frame().await {
            ServerFrame::Heartbeat { .. } => break,
            ServerFrame::Error { code, .. } => {
                assert_eq!(code, error_code::RATE_LIMITED);
                limited += 1;
            }
            other => panic!("expected refusals then HEARTBEAT, got {other:?}"),
        }
    }
    // A burst of twenty passes; the rest, sent within moments, do not.
    assert!((10..=20).contains(&limited), "{limited} refused");
    let text = metrics_text(&server).await;
    let series = r#"tidings_realtime_refused_total{reason="subscribe_rate"}"#;
    assert_eq!(metric(&text, series), Some(f64::from(limited)), "{text}");

    let big = format!(
        r#"{{"type":"HEARTBEAT","pad":"{}"}}"#,
        "x".repeat(tidings::protocol::MAX_CLIENT_FRAME)
    );
    ws.send_message(Message::text(big)).await;
    match ws.next_frame().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, error_code::FRAME_TOO_LARGE),
        other => panic!("expected frame_too_large, got {other:?}"),
    }
    let (code, _) = ws.closed(Duration::from_secs(5)).await;
    assert_eq!(code, 1009);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_costs_bounded_memory() {
    // A server process of its own, so its memory is its own.
    let server =
        ServerProcess::start(&["--socket-send-timeout-ms", "500", "--events-tail", "1000"]);
    let admin = support::mint_token(support::OPERATOR_ID, Role::Admin);
    let http = support::client_with_token(&admin);
    // A reader with a tiny receive window, so the server's sends block.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            server.ws_url(EVENTS),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {admin}").parse().unwrap());
    let (ws, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    let (mut slow, _) = WsClient::from_stream(ws).hello().await;
    slow.subscribe(&[Topic::Posts], 0).await;
    slow.sync().await;
    let mut reader = WsClient::live(&server.ws_url(EVENTS), &admin).await;

    let author: serde_json::Value = http
        .post(server.url("/api/users"))
        .json(&json!({ "name": "Writer", "email": "writer@example.com" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let author = id_of(&author);
    let before = server.rss();
    let writes = 10_000;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (http, url, author) = (http.clone(), server.url("/api/posts"), author.clone());
            tokio::spawn(async move {
                for n in (w..writes).step_by(4) {
                    let body = json!({
                        "title": format!("Post {n}"), "content": "x".repeat(1000), "authorId": author,
                    });
                    let reply = http.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(reply.status(), StatusCode::CREATED);
                }
            })
        })
        .collect();
    // A reading client keeps up meanwhile.
    let mut seen = 0;
    while seen < writes {
        if reader.next_event().await.kind.as_str() == "POST_CREATED" {
            seen += 1;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let grown = server.rss().saturating_sub(before);
    // The slow client was dropped, not buffered for: what it got ends
    // with the connection.
    let got = slow.events_until_dropped(Duration::from_secs(10)).await;
    assert!(got < writes, "the slow client got all {got} events");
    let metrics = http.get(server.url("/metrics")).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    let series = r#"tidings_realtime_closed_total{reason="too_slow"}"#;
    assert_eq!(metric(&text, series), Some(1.0), "{text}");
    // 10,000 events of 1.3 kB are 13 MB: had they queued for the slow
    // client, it would show.
    assert!(
        grown < 12 * 1024 * 1024,
        "server RSS grew {} KiB",
        grown / 1024
    );
    reader.close().await;
}

#[tokio::test]
async fn sockets_inside_the_tail_never_read_the_table_and_those_behind_do() {
    let server = TestServer::start_with(|config| config.events_tail = 8).await;
    let url = server.ws_url(EVENTS);
    let mut sockets = Vec::new();
    for _ in 0..12 {
        let (mut ws, _) = WsClient::connect(&url, &server.admin_token).await;
        ws.subscribe(&[Topic::Users], 0).await;
        ws.sync().await;
        sockets.push(ws);
    }
    let socket_reads = r#"tidings_event_log_reads_total{by="socket"}"#;
    for n in 0..6 {
        server
            .create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
    }
    for ws in &mut sockets {
        assert_eq!(ws.events_through(6).await.len(), 6);
    }
    let text = metrics_text(&server).await;
    assert_eq!(metric(&text, socket_reads), Some(0.0), "{text}");

    // Twenty more: the tail keeps the newest eight, so a client resuming
    // from seq 6 reads the table, then the tail.
    for n in 6..26 {
        server
            .create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
    }
    let (mut late, _) = WsClient::connect(&url, &server.admin_token).await;
    late.subscribe(&[Topic::Users], 6).await;
    let events = late.events_through(26).await;
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (7..=26).collect::<Vec<_>>()
    );
    let text = metrics_text(&server).await;
    assert!(metric(&text, socket_reads).unwrap() >= 1.0, "{text}");
    for ws in &mut sockets {
        assert_eq!(ws.events_through(26).await.len(), 20);
    }
    for ws in sockets {
        ws.close().await;
    }
    late.close().await;
    server.stop().await;
}

#[tokio::test]
async fn frames_from_memory_are_the_frames_the_table_gives() {
    let server = TestServer::start().await;
    let url = server.ws_url(EVENTS);
    let (mut live, _) = WsClient::connect(&url, &server.admin_token).await;
    live.subscribe(&[Topic::Users, Topic::Posts], 0).await;
    live.sync().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    server.create_post(&id_of(&user), "Hello", "text").await;
    let from_memory = live.events_through(2).await;
    let from_table = server.db.all_events_after(0).await.unwrap();
    assert_eq!(from_memory, from_table);
    live.close().await;
    server.stop().await;
}

#[tokio::test]
async fn the_server_holds_at_most_its_total_of_sockets() {
    let server = TestServer::start_with(|config| config.sockets_total = 3).await;
    let url = server.ws_url(EVENTS);
    let mut open = Vec::new();
    for _ in 0..3 {
        let token = support::mint_token(uuid::Uuid::new_v4(), Role::User);
        open.push(WsClient::connect(&url, &token).await.0);
    }
    let token = support::mint_token(uuid::Uuid::new_v4(), Role::User);
    let bearer = format!("Bearer {token}");
    assert_eq!(
        WsClient::try_open(&url, &[("authorization", &bearer)])
            .await
            .err(),
        Some(429)
    );
    open.pop().unwrap().close().await;
    eventually(&server, "tidings_realtime_sockets_open", 2.0).await;
    WsClient::connect(&url, &token).await.0.close().await;
    let text = metrics_text(&server).await;
    let series = r#"tidings_realtime_refused_total{reason="sockets_total"}"#;
    assert_eq!(metric(&text, series), Some(1.0), "{text}");
    for ws in open {
        ws.close().await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_socket_that_does_not_sign_in_in_time_is_closed_with_the_reason() {
    let server = TestServer::start_with(|config| config.socket_auth_deadline_ms = 300).await;
    let mut ws = WsClient::open(&server.ws_url(EVENTS), None).await;
    match ws.next_frame().await {
        ServerFrame::Error { code, message } => {
            assert_eq!(code, error_code::UNAUTHORIZED);
            assert!(message.contains("in time"), "{message}");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
    let (code, _) = ws.closed(Duration::from_secs(5)).await;
    assert_eq!(code, 1008);
    eventually(
        &server,
        r#"tidings_realtime_refused_total{reason="auth_deadline"}"#,
        1.0,
    )
    .await;
    server.stop().await;
}
