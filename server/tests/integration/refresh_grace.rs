//! The refresh grace window against real servers, on SQLite and on two
//! PostgreSQL instances sharing one database: two tabs refreshing with one
//! token at the same moment both get the same successor, a refresh whose
//! answer was lost is answered again with the same successor, and a token
//! presented again after the window still revokes its family and closes
//! its sockets.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use server::config::Config;
use support::ws::WsClient;
use support::{assert_error, client_with_token, Account, Reply, TestServer, TEST_JWT_SECRET};
use tidings::protocol::close_code;
use uuid::Uuid;

const EVENTS: &str = "/api/events";
/// Races of one token in each test; one lost race signs a tab out.
const RACES: usize = 40;

/// The refresh cookie a 200 answer sets, and the session its access
/// token names (checked to be valid).
async fn refreshed(server: &TestServer, reply: &Reply) -> (String, Uuid) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let access = reply.json()["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned();
    assert_eq!(reply.cookie_value("tidings_access"), access);
    let me = server
        .call(client_with_token(&access).get(server.url("/api/auth/me")))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    (
        reply.cookie_value("tidings_refresh").to_owned(),
        session_of(&access),
    )
}

/// The sign-in session an access token names.
fn session_of(access: &str) -> Uuid {
    server::auth::token::TokenKeys::new(TEST_JWT_SECRET.as_bytes())
        .grant(access, chrono::Utc::now().timestamp())
        .expect("a valid access token")
        .session
        .expect("a token naming its session")
}

/// Asserts `ws` is still open: it sees a user created by `server`'s admin.
async fn still_live(server: &TestServer, ws: &mut WsClient) {
    let name = format!("Still {}", Uuid::new_v4().simple());
    let email = format!("still-{}@example.com", Uuid::new_v4().simple());
    server.create_user(&name, &email).await;
    while ws.next_event().await.data["name"] != name.as_str() {}
}

/// A signed-in account with a socket on `b`; it refreshes on `a` and `b`
/// at once, `RACES` times in a row: both tabs get 200 with the same
/// successor, in the same session, and the socket stays open.
async fn racing_tabs_share_one_successor(a: &TestServer, b: &TestServer) {
    let Account {
        access, refresh, ..
    } = a.sign_up("user").await;
    let session = session_of(&access);
    let mut ws = WsClient::live(&b.ws_url(EVENTS), &access).await;
    let mut token = refresh;
    for race in 0..RACES {
        let (one, two) = tokio::join!(a.refresh(&token), b.refresh(&token));
        let (one, one_session) = refreshed(a, &one).await;
        let (two, two_session) = refreshed(b, &two).await;
        assert_eq!(one, two, "race {race}: both tabs hold one successor");
        assert_ne!(one, token, "race {race}");
        assert_eq!((one_session, two_session), (session, session));
        token = one;
    }
    let (next, _) = refreshed(a, &a.refresh(&token).await).await;
    assert_ne!(next, token);
    still_live(a, &mut ws).await;
    ws.close().await;
}

/// A refresh on `a` whose answer never arrived is sent again on `b`: the
/// same successor, which refreshes on; the first token sent once more,
/// after its successor was rotated too, gets the family's current token;
/// nothing is signed out.
async fn a_lost_answer_is_given_again(a: &TestServer, b: &TestServer) {
    let Account {
        access, refresh, ..
    } = a.sign_up("user").await;
    let session = session_of(&access);
    let mut ws = WsClient::live(&b.ws_url(EVENTS), &access).await;

    let (lost, _) = refreshed(a, &a.refresh(&refresh).await).await;
    let (again, again_session) = refreshed(b, &b.refresh(&refresh).await).await;
    assert_eq!(again, lost, "the same successor");
    assert_eq!(again_session, session);

    let (third, _) = refreshed(a, &a.refresh(&again).await).await;
    assert!(third != again && third != refresh);
    let (current, _) = refreshed(b, &b.refresh(&refresh).await).await;
    assert_eq!(current, third, "the family's current token");
    let (fourth, fourth_session) = refreshed(a, &a.refresh(&current).await).await;
    assert_ne!(fourth, third);
    assert_eq!(fourth_session, session);
    still_live(a, &mut ws).await;
    ws.close().await;
}

/// With a one-second window: a token presented again at once gets its
/// successor; presented after the window, on `b`, it is refused, its
/// successor stops working and the session's socket on `b` is closed.
async fn a_reuse_after_the_window_revokes_the_family(a: &TestServer, b: &TestServer) {
    let Account {
        access, refresh, ..
    } = a.sign_up("user").await;
    let mut ws = WsClient::live(&b.ws_url(EVENTS), &access).await;
    let (successor, _) = refreshed(a, &a.refresh(&refresh).await).await;
    let (again, _) = refreshed(b, &b.refresh(&refresh).await).await;
    assert_eq!(again, successor, "within the window");

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let reused = b.refresh(&refresh).await;
    assert_error(&reused, StatusCode::UNAUTHORIZED, "invalid_refresh");
    assert!(reused.set_cookie("tidings_refresh").contains("Max-Age=0"));
    let (code, reason) = ws.closed(Duration::from_millis(1_500)).await;
    assert_eq!(code, close_code::SESSION_ENDED, "{reason}");
    assert_error(
        &a.refresh(&successor).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh",
    );
}

fn one_second(config: &mut Config) {
    config.refresh_grace_secs = 1;
}

fn defaults(_: &mut Config) {}

/// Runs `scenario` on one server over SQLite, both tabs on it.
async fn on_sqlite(
    configure: fn(&mut Config),
    scenario: impl AsyncFnOnce(&TestServer, &TestServer),
) {
    let server = TestServer::start_with(configure).await;
    scenario(&server, &server).await;
    server.stop().await;
}

/// Runs `scenario` on two instances sharing one PostgreSQL database.
async fn on_postgres(
    configure: fn(&mut Config),
    scenario: impl AsyncFnOnce(&TestServer, &TestServer),
) {
    let a = TestServer::start_postgres_with(configure).await;
    let b = a.start_sibling_with(configure).await;
    scenario(&a, &b).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn tabs_racing_with_one_token_get_one_successor() {
    on_sqlite(defaults, racing_tabs_share_one_successor).await;
}

#[tokio::test]
async fn instances_racing_with_one_token_give_one_successor_on_postgres() {
    on_postgres(defaults, racing_tabs_share_one_successor).await;
}

#[tokio::test]
async fn a_refresh_whose_answer_was_lost_gets_the_same_successor() {
    on_sqlite(defaults, a_lost_answer_is_given_again).await;
}

#[tokio::test]
async fn a_lost_answer_is_given_again_by_another_instance_on_postgres() {
    on_postgres(defaults, a_lost_answer_is_given_again).await;
}

#[tokio::test]
async fn a_reuse_after_the_grace_window_revokes_the_family() {
    on_sqlite(one_second, a_reuse_after_the_window_revokes_the_family).await;
}

#[tokio::test]
async fn a_reuse_after_the_grace_window_revokes_the_family_on_every_instance() {
    on_postgres(one_second, a_reuse_after_the_window_revokes_the_family).await;
}
