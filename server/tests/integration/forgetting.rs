//! Data that should not stay: a deleted user's personal data leaves the
//! retained event log (in the table and in every instance's memory) and
//! the recorded idempotent answers, expired refresh tokens and
//! idempotency records are purged, and names and titles refuse characters
//! that make them show other than they read.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::ws::WsClient;
use support::{assert_error, assert_invalid, etag, id_of, Reply, TestServer};
use tidings::protocol::{Event, Topic};

/// What a socket replaying the whole log from `server` is sent.
async fn replay(server: &TestServer) -> Vec<Event> {
    let (mut socket, hello) =
        WsClient::connect(&server.ws_url("/api/events"), &server.admin_token).await;
    socket.subscribe(&[Topic::Users, Topic::Posts], 0).await;
    let events = socket.events_through(hello.seq).await;
    socket.close().await;
    events
}

/// Leaves a user with personal data all over the log, and one who stays;
/// deletes the first through `deleter`.
async fn write_then_delete(writer: &TestServer, deleter: &TestServer) {
    let gone = writer
        .create_user("Forget Me", "forget-me@example.com")
        .await;
    let kept = writer.create_user("Keep Me", "keep-me@example.com").await;
    let kept_post = writer
        .create_post(&id_of(&kept), "Kept title", "kept text")
        .await;
    let first = writer
        .create_post(&id_of(&gone), "Secret title", "private text")
        .await;
    let second = writer
        .create_post(&id_of(&gone), "Another secret", "private too")
        .await;
    let edited = writer
        .patch_if(
            &format!("/api/posts/{}", id_of(&first)),
            &etag(&first),
            &json!({ "title": "Secret edit" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    // A post they deleted themselves earlier is forgotten too.
    let removed = writer
        .delete_if(&format!("/api/posts/{}", id_of(&second)), &etag(&second))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let renamed = writer
        .patch_if(
            &format!("/api/users/{}", id_of(&gone)),
            &etag(&gone),
            &json!({ "name": "Forget Me Too" }),
        )
        .await
        .json();
    let deleted = deleter
        .delete_if(&format!("/api/users/{}", id_of(&gone)), &etag(&renamed))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        writer
            .fetch(&format!("/api/posts/{}", id_of(&kept_post)))
            .await["title"],
        "Kept title"
    );
}

fn assert_forgotten(events: &[Event], head: u64) {
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>(),
        "every seq is kept"
    );
    let text = serde_json::to_string(&events.iter().map(|e| &e.data).collect::<Vec<_>>()).unwrap();
    for personal in ["Forget Me", "forget-me@", "Secret", "private"] {
        assert!(
            !text.contains(personal),
            "{personal:?} is still in the log: {text}"
        );
    }
    for kept in ["Keep Me", "keep-me@", "Kept title"] {
        assert!(text.contains(kept), "{kept:?} is kept");
    }
    let redacted = events
        .iter()
        .filter(|e| tidings::protocol::is_redacted(&e.data))
        .count();
    assert_eq!(redacted, 5, "2 user events and 3 post events: {text}");
}

#[tokio::test]
async fn a_deleted_users_personal_data_leaves_the_log() {
    let server = TestServer::start().await;
    // A socket following along, so the events are in the server's memory.
    let follower = WsClient::live(&server.ws_url("/api/events"), &server.admin_token).await;
    write_then_delete(&server, &server).await;
    let head = server.db.log_state().await.unwrap().head;
    assert_forgotten(&replay(&server).await, head);
    assert_forgotten(&server.db.all_events_after(0).await.unwrap(), head);
    follower.close().await;
    server.stop().await;
}

#[tokio::test]
async fn every_postgres_instance_forgets_a_user_deleted_through_another() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    let mut follower = WsClient::live(&b.ws_url("/api/events"), &b.admin_token).await;
    write_then_delete(&b, &a).await;
    let head = a.db.log_state().await.unwrap().head;
    // b held every event in its memory, then heard of the deletion.
    follower.events_through(head).await;
    assert_forgotten(&replay(&b).await, head);
    // a publishes its own commit through its listener, which may not have
    // read it yet: a socket replaying before then is sent the frames a's
    // memory held before the deletion reached it (what any live follower
    // of a got at the time), and the redacted ones only after.
    a.hub
        .watch_head()
        .wait_for(|&seen| seen >= head)
        .await
        .expect("a's hub stays open");
    assert_forgotten(&replay(&a).await, head);
    assert_forgotten(&a.db.all_events_after(0).await.unwrap(), head);
    follower.close().await;
    b.stop().await;
    a.stop().await;
}

/// Every answer recorded under an idempotency key, as stored.
async fn stored_answers(server: &TestServer) -> String {
    const SQL: &str = "SELECT body FROM idempotency_keys WHERE body IS NOT NULL";
    let bodies: Vec<String> = match (server.db.sqlite(), server.db.postgres()) {
        (Some(pool), _) => sqlx::query_scalar(SQL).fetch_all(pool).await,
        (_, Some(pool)) => sqlx::query_scalar(SQL).fetch_all(pool).await,
        _ => unreachable!("a store is SQLite or PostgreSQL"),
    }
    .unwrap();
    bodies.join("\n")
}

/// Sends `body` to `path` by POST with `Idempotency-Key: key`.
async fn keyed_post(server: &TestServer, path: &str, key: &str, body: &Value) -> Reply {
    server
        .send_with(Method::POST, path, &[("Idempotency-Key", key)], Some(body))
        .await
}

/// Creates a user and a post of theirs with idempotency keys through
/// `writer`, and a user who stays; deletes the first through `deleter`;
/// the stored answers keep nothing of theirs, and replaying their keys
/// answers 410 and creates nothing.
async fn keyed_answers_forget_a_deleted_user(writer: &TestServer, deleter: &TestServer) {
    let new_user = json!({ "name": "Keyed Person", "email": "keyed-person@example.com" });
    let created = keyed_post(writer, "/api/users", "create-gone", &new_user).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let gone = created.json();
    let new_post = json!({
        "title": "Keyed secret title",
        "content": "keyed private text",
        "authorId": id_of(&gone),
    });
    let posted = keyed_post(writer, "/api/posts", "post-gone", &new_post).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let kept_user = json!({ "name": "Kept Person", "email": "kept-person@example.com" });
    let kept = keyed_post(writer, "/api/users", "create-kept", &kept_user).await;
    assert_eq!(kept.status, StatusCode::CREATED, "{}", kept.text);
    let personal = [
        "Keyed Person",
        "keyed-person@",
        "Keyed secret",
        "keyed private",
    ];
    let before = stored_answers(writer).await;
    for text in personal {
        assert!(
            before.contains(text),
            "{text:?} is recorded first: {before}"
        );
    }

    let deleted = deleter
        .delete_if(&format!("/api/users/{}", id_of(&gone)), &etag(&gone))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);

    let after = stored_answers(writer).await;
    for text in personal {
        assert!(!after.contains(text), "{text:?} is still recorded: {after}");
    }
    assert!(after.contains("Kept Person"), "a bystander's answer stays");
    for (path, key, body) in [
        ("/api/users", "create-gone", &new_user),
        ("/api/posts", "post-gone", &new_post),
    ] {
        let replay = keyed_post(writer, path, key, body).await;
        assert_error(&replay, StatusCode::GONE, "forgotten");
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        for text in personal {
            assert!(!replay.text.contains(text), "{text:?}: {}", replay.text);
        }
    }
    let kept_again = keyed_post(writer, "/api/users", "create-kept", &kept_user).await;
    assert_eq!(kept_again.status, StatusCode::CREATED);
    assert_eq!(kept_again.json(), kept.json());
    let names: Vec<String> = writer
        .all_users()
        .await
        .into_iter()
        .map(|u| u.name.as_str().to_owned())
        .collect();
    assert_eq!(names, ["Kept Person"], "a replay creates nobody again");
}

#[tokio::test]
async fn a_deleted_users_personal_data_leaves_the_recorded_answers() {
    let server = TestServer::start().await;
    keyed_answers_forget_a_deleted_user(&server, &server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_postgres_deletion_forgets_the_answers_every_instance_recorded() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    keyed_answers_forget_a_deleted_user(&b, &a).await;
    b.stop().await;
    a.stop().await;
}

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
