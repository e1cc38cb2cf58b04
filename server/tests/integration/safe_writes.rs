//! Writes that are safe to race and safe to retry, against real servers.
//!
//! Racing: every single user or post is answered with its version as a
//! strong `ETag`; PATCH and DELETE must send it back in `If-Match` (428
//! without it, 400 when malformed) and lose with a 412 carrying the current
//! entity when it is stale, changing nothing.
//!
//! Retrying: POST, PATCH and DELETE honour `Idempotency-Key`: a replay of
//! the same request returns the first answer (marked `Idempotent-Replayed:
//! true`) and changes nothing, the same key with another request is a 422,
//! and a key expires 24 hours after its first use (tests move the clock of
//! the store instead of waiting).

use crate::support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::extract::canonical_json;
use server::safe_write::{IdempotencyKey, Written};
use server::writes::Once;
use support::{assert_error, etag, id_of, Reply, TestServer};
use tidings::NewUserInput;

const REPLAYED: &str = "idempotent-replayed";

/// The newest seq in the log: how many changes were made.
async fn head(server: &TestServer) -> u64 {
    server.db.log_state().await.expect("read the log").head
}

/// A user, a post of theirs, and the paths of both.
async fn user_and_post(server: &TestServer) -> [(String, Value); 2] {
    let user = server.create_user("Ada", "ada@example.com").await;
    let post = server.create_post(&id_of(&user), "Title", "Text.").await;
    [
        (format!("/api/users/{}", id_of(&user)), user),
        (format!("/api/posts/{}", id_of(&post)), post),
    ]
}

/// A patch that changes the entity at `path` (a user or a post).
fn rename(path: &str, to: &str) -> Value {
    if path.starts_with("/api/users/") {
        json!({ "name": to })
    } else {
        json!({ "title": to })
    }
}

fn is_replay(reply: &Reply) -> bool {
    match reply.header(REPLAYED) {
        None => false,
        Some("true") => true,
        Some(other) => panic!("{REPLAYED}: {other:?}"),
    }
}

/// A request with an `Idempotency-Key` (and more headers), with a JSON
/// body if given.
async fn keyed(
    server: &TestServer,
    method: Method,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let mut all = vec![("Idempotency-Key", key)];
    all.extend_from_slice(headers);
    server.send_with(method, path, &all, body).await
}

/// Asserts `replay` is the recorded answer `first`, marked as a replay.
fn assert_replays(replay: &Reply, first: &Reply) {
    assert!(!is_replay(first), "the first answer is not a replay");
    assert!(
        is_replay(replay),
        "a replay is marked: {:?}",
        replay.headers
    );
    assert_eq!(replay.status, first.status, "{}", replay.text);
    assert_eq!(replay.text, first.text, "the same body, byte for byte");
    assert_eq!(replay.header("etag"), first.header("etag"));
    assert_eq!(replay.content_type(), first.content_type());
}

// --- versions and If-Match ----------------------------------------------

#[tokio::test]
async fn single_entities_carry_their_version_as_a_strong_etag() {
    let server = TestServer::start().await;
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": "Ada", "email": "ada@example.com" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let user = reply.json();
    let reply = server
        .post_json(
            "/api/posts",
            &json!({ "title": "T", "content": "C", "authorId": id_of(&user) }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let post = reply.json();
    for (path, entity) in [
        (format!("/api/users/{}", id_of(&user)), &user),
        (format!("/api/posts/{}", id_of(&post)), &post),
    ] {
        let got = server.get(&path).await;
        assert_eq!(got.header("etag"), Some("\"1\""), "GET {path}");
        assert_eq!(&got.json(), entity);
        let patched = server
            .patch_if(&path, "\"1\"", &rename(&path, "Renamed"))
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
        assert_eq!(patched.header("etag"), Some("\"2\""), "PATCH {path}");
        assert_eq!(etag(&patched.json()), "\"2\"");
        assert_eq!(server.get(&path).await.header("etag"), Some("\"2\""));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_stale_if_match_is_412_with_the_current_entity_and_changes_nothing() {
    let server = TestServer::start().await;
    for (path, created) in user_and_post(&server).await {
        let stale = etag(&created);
        let v2 = server
            .patch_if(&path, &stale, &rename(&path, "Second"))
            .await
            .json();
        let before = head(&server).await;

        for reply in [
            server.patch_if(&path, &stale, &rename(&path, "Lost")).await,
            server.delete_if(&path, &stale).await,
            server
                .patch_if(&path, "\"7\", \"1\"", &rename(&path, "Lost"))
                .await,
        ] {
            let details = assert_error(
                &reply,
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
            );
            assert_eq!(support::keys(&details), BTreeSet::from(["current"]));
            assert_eq!(details["current"], v2, "the current entity, as GET has it");
            assert_eq!(
                reply.header("etag"),
                Some("\"2\""),
                "its ETag to retry with"
            );
            let message = reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(message.contains("version 2"), "{message}");
        }
        assert_eq!(server.fetch(&path).await, v2, "nothing changed");
        assert_eq!(head(&server).await, before, "no event appended");

        // Retried with the version the 412 named, the write goes through.
        let reply = server
            .patch_if(&path, &etag(&v2), &rename(&path, "Third"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.json()["version"], 3);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_write_without_if_match_is_428() {
    let server = TestServer::start().await;
    let entities = user_and_post(&server).await;
    let before = head(&server).await;
    for (path, created) in &entities {
        for reply in [
            server
                .patch_json(path, &rename(path, "Unconditional"))
                .await,
            server.delete(path).await,
            // A key does not stand in for a condition.
            keyed(&server, Method::DELETE, path, "k-428", &[], None).await,
        ] {
            let details = assert_error(
                &reply,
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
            );
            assert!(details["If-Match"].is_string(), "{details}");
        }
        assert_eq!(&server.fetch(path).await, created);
    }
    assert_eq!(head(&server).await, before);
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 0);
    server.stop().await;
}

#[tokio::test]
async fn if_match_takes_quoted_or_bare_versions_lists_and_star() {
    let server = TestServer::start().await;
    // The post first: deleting the user would take it along.
    for (path, _) in user_and_post(&server).await.into_iter().rev() {
        let mut version = 1;
        for if_match in ["\"1\"", "2", "\"9\", \"3\"", " 4 ", "*"] {
            let reply = server
                .patch_if(&path, if_match, &rename(&path, &format!("V{version}")))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{if_match:?}: {}", reply.text);
            version += 1;
            assert_eq!(reply.json()["version"], version, "{if_match:?}");
        }
        let reply = server.delete_if(&path, "*").await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
        // `*` matches any version of an entity that exists; there is none.
        assert_error(
            &server.patch_if(&path, "*", &rename(&path, "Gone")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_if_match_is_400_naming_the_header() {
    let server = TestServer::start().await;
    let entities = user_and_post(&server).await;
    let before = head(&server).await;
    for (path, created) in &entities {
        for if_match in [
            "W/\"1\"",
            "\"abc\"",
            "\"1",
            "\"\"",
            "",
            ",",
            "*, \"1\"",
            "1.0",
            "-1",
            "v1",
            "99999999999999999999999",
        ] {
            for reply in [
                server
                    .patch_if(path, if_match, &rename(path, "Never"))
                    .await,
                server.delete_if(path, if_match).await,
            ] {
                let details = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_header");
                assert!(
                    details["If-Match"].as_str().is_some_and(|m| !m.is_empty()),
                    "{if_match:?}: {details}"
                );
            }
        }
        assert_eq!(&server.fetch(path).await, created);
    }
    assert_eq!(head(&server).await, before);
    server.stop().await;
}

/// Sends `bodies.len()` PATCHes of `path` at once, all with `If-Match:
/// if_match`; returns the replies in the order of `bodies`.
async fn race(
    server: &Arc<TestServer>,
    path: &str,
    if_match: &str,
    bodies: Vec<Value>,
) -> Vec<Reply> {
    let barrier = Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (server, path, if_match) = (server.clone(), path.to_owned(), if_match.to_owned());
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                server.patch_if(&path, &if_match, &body).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("patch task"));
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_one_version_at_once_one_wins_and_no_change_is_lost() {
    let server = Arc::new(TestServer::start().await);
    let user = server.create_user("Ada", "ada@example.com").await;
    let path = format!("/api/users/{}", id_of(&user));
    let mut current = user;
    for round in 0..10 {
        let ours = json!({ "name": format!("Name {round}") });
        let theirs = if round % 2 == 0 {
            json!({ "role": if round % 4 == 0 { "moderator" } else { "user" } })
        } else {
            json!({ "preferences": { "language": format!("l{round}") } })
        };
        let replies = race(
            &server,
            &path,
            &etag(&current),
            vec![ours.clone(), theirs.clone()],
        )
        .await;
        let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
        let (winner, loser) = match statuses.as_slice() {
            [StatusCode::OK, StatusCode::PRECONDITION_FAILED] => (0, 1),
            [StatusCode::PRECONDITION_FAILED, StatusCode::OK] => (1, 0),
            other => panic!("round {round}: expected one 200 and one 412, got {other:?}"),
        };
        let won = replies[winner].json();
        assert_eq!(won["version"], current["version"].as_i64().unwrap() + 1);
        let details = assert_error(
            &replies[loser],
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
        );
        assert_eq!(
            details["current"], won,
            "the loser is shown the winner's write"
        );

        // The loser re-applies its change on what it was shown: both survive.
        let bodies = [&ours, &theirs];
        let reply = server
            .patch_if(&path, &etag(&details["current"]), bodies[loser])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        current = reply.json();
        assert_eq!(current["name"], ours["name"], "round {round}: {current}");
        for pointer in ["/role", "/preferences/language"] {
            if let Some(value) = theirs.pointer(pointer) {
                assert_eq!(current.pointer(pointer), Some(value), "round {round}");
            }
        }
        assert_eq!(server.fetch(&path).await, current);
    }
    assert_eq!(current["version"], 21);
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_patches_of_one_version_at_once_admit_exactly_one() {
    let server = Arc::new(TestServer::start().await);
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = server.create_post(&author, "T", "C").await;
    let path = format!("/api/posts/{}", id_of(&post));
    let bodies = (0..8)
        .map(|n| json!({ "title": format!("Title {n}") }))
        .collect();
    let replies = race(&server, &path, &etag(&post), bodies).await;
    let won: Vec<Value> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .map(Reply::json)
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
        let details = assert_error(
            reply,
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
        );
        assert_eq!(details["current"], won[0]);
    }
    assert_eq!(server.fetch(&path).await, won[0]);
    assert_eq!(won[0]["version"], 2);
    // One write, one event: the create's two and this one.
    assert_eq!(head(&server).await, 3);
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_and_a_patch_of_one_version_at_once_admit_exactly_one() {
    let server = Arc::new(TestServer::start().await);
    for _ in 0..5 {
        let user = server.create_user("Ada", "ada@example.com").await;
        let path = format!("/api/users/{}", id_of(&user));
        let tag = etag(&user);
        let delete = {
            let (server, path, tag) = (server.clone(), path.clone(), tag.clone());
            tokio::spawn(async move { server.delete_if(&path, &tag).await })
        };
        let patch = server
            .patch_if(&path, &tag, &json!({ "name": "Ada K." }))
            .await;
        let delete = delete.await.expect("delete task");
        match (delete.status, patch.status) {
            // The delete first: the patch finds nothing.
            (StatusCode::NO_CONTENT, StatusCode::NOT_FOUND) => {
                assert_error(&server.get(&path).await, StatusCode::NOT_FOUND, "not_found");
            }
            // The patch first: the delete is stale.
            (StatusCode::PRECONDITION_FAILED, StatusCode::OK) => {
                let details = assert_error(
                    &delete,
                    StatusCode::PRECONDITION_FAILED,
                    "precondition_failed",
                );
                assert_eq!(details["current"], patch.json());
                let reply = server.delete_if(&path, &etag(&patch.json())).await;
                assert_eq!(reply.status, StatusCode::NO_CONTENT);
            }
            other => panic!("expected exactly one write, got {other:?}"),
        }
    }
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

// --- Idempotency-Key ----------------------------------------------------

#[tokio::test]
async fn a_replayed_create_returns_the_first_answer_and_creates_once() {
    let server = TestServer::start().await;
    let body = json!({ "name": "Ada", "email": "ada@example.com", "role": "moderator" });
    let first = keyed(
        &server,
        Method::POST,
        "/api/users",
        "create-ada",
        &[],
        Some(&body),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let user = first.json();
    for _ in 0..3 {
        let replay = keyed(
            &server,
            Method::POST,
            "/api/users",
            "create-ada",
            &[],
            Some(&body),
        )
        .await;
        assert_replays(&replay, &first);
    }
    // The same document spelled differently is the same request.
    let respelled = server
        .call(
            server
                .client
                .post(server.url("/api/users"))
                .header("Idempotency-Key", "create-ada")
                .header("Content-Type", "application/json; charset=utf-8")
                .body(
                    r#"{ "role" : "moderator",
                           "email": "ada@example.com", "name": "Ada" }"#,
                ),
        )
        .await;
    assert_replays(&respelled, &first);
    assert_eq!(server.all_users().await.len(), 1, "one row");
    assert_eq!(head(&server).await, 1, "one event");

    // Posts alike.
    let body = json!({ "title": "T", "content": "C", "authorId": id_of(&user) });
    let first = keyed(
        &server,
        Method::POST,
        "/api/posts",
        "create-post",
        &[],
        Some(&body),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let replay = keyed(
        &server,
        Method::POST,
        "/api/posts",
        "create-post",
        &[],
        Some(&body),
    )
    .await;
    assert_replays(&replay, &first);
    assert_eq!(id_of(&replay.json()), id_of(&first.json()), "the same id");
    assert_eq!(server.posts_page(&[]).await.data.len(), 1);
    assert_eq!(head(&server).await, 2);
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_replayed_patch_returns_the_first_answer_and_changes_nothing() {
    let server = TestServer::start().await;
    for (path, created) in user_and_post(&server).await {
        let key = format!("patch:{path}");
        let tag = etag(&created);
        let headers = [("If-Match", tag.as_str())];
        let body = rename(&path, "Once");
        let first = keyed(&server, Method::PATCH, &path, &key, &headers, Some(&body)).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(first.json()["version"], 2);
        let after_first = head(&server).await;

        let replay = keyed(&server, Method::PATCH, &path, &key, &headers, Some(&body)).await;
        assert_replays(&replay, &first);
        assert_eq!(server.fetch(&path).await["version"], 2, "applied once");
        assert_eq!(head(&server).await, after_first, "no second event");

        // Changed since: a replay still returns the first answer, and
        // leaves the newer state alone.
        let newer = server
            .patch_if(&path, "\"2\"", &rename(&path, "Newer"))
            .await
            .json();
        let replay = keyed(&server, Method::PATCH, &path, &key, &headers, Some(&body)).await;
        assert_replays(&replay, &first);
        assert_eq!(server.fetch(&path).await, newer);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_replayed_delete_answers_204_again() {
    let server = TestServer::start().await;
    // The post first: deleting the user would take it along.
    for (path, created) in user_and_post(&server).await.into_iter().rev() {
        let key = format!("delete:{path}");
        let tag = etag(&created);
        let first = keyed(
            &server,
            Method::DELETE,
            &path,
            &key,
            &[("If-Match", &tag)],
            None,
        )
        .await;
        assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text);
        assert!(first.text.is_empty());
        let after_first = head(&server).await;
        let replay = keyed(
            &server,
            Method::DELETE,
            &path,
            &key,
            &[("If-Match", &tag)],
            None,
        )
        .await;
        assert_replays(&replay, &first);
        assert!(replay.text.is_empty());
        assert_eq!(head(&server).await, after_first, "deleted once");
        // Without the key, the entity is simply gone.
        assert_error(
            &server.delete_if(&path, &tag).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_422_naming_the_header() {
    let server = TestServer::start().await;
    let ada = json!({ "name": "Ada", "email": "ada@example.com" });
    let first = keyed(&server, Method::POST, "/api/users", "k1", &[], Some(&ada)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let user = first.json();
    let user_path = format!("/api/users/{}", id_of(&user));
    let tag = etag(&user);
    let before = head(&server).await;

    let grace = json!({ "name": "Grace", "email": "grace@example.com" });
    let post = json!({ "title": "T", "content": "C", "authorId": id_of(&user) });
    for reply in [
        // Another body.
        keyed(&server, Method::POST, "/api/users", "k1", &[], Some(&grace)).await,
        // Another endpoint.
        keyed(&server, Method::POST, "/api/posts", "k1", &[], Some(&post)).await,
        keyed(
            &server,
            Method::PATCH,
            &user_path,
            "k1",
            &[("If-Match", &tag)],
            Some(&json!({ "name": "Ada" })),
        )
        .await,
        keyed(
            &server,
            Method::DELETE,
            &user_path,
            "k1",
            &[("If-Match", &tag)],
            None,
        )
        .await,
    ] {
        let details = assert_error(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
        );
        assert!(details["Idempotency-Key"].is_string(), "{details}");
        assert!(!is_replay(&reply));
    }

    // Another condition is another request too.
    let rename = json!({ "name": "Ada L." });
    let patched = keyed(
        &server,
        Method::PATCH,
        &user_path,
        "k2",
        &[("If-Match", &tag)],
        Some(&rename),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK);
    let reply = keyed(
        &server,
        Method::PATCH,
        &user_path,
        "k2",
        &[("If-Match", "*")],
        Some(&rename),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );

    assert_eq!(server.all_users().await.len(), 1);
    assert!(server.posts_page(&[]).await.data.is_empty());
    assert_eq!(head(&server).await, before + 1, "only the k2 patch wrote");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_copies_of_a_keyed_request_apply_once() {
    let server = Arc::new(TestServer::start().await);
    let body = json!({ "name": "Ada", "email": "ada@example.com" });
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (server, body, barrier) = (server.clone(), body.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                keyed(
                    &server,
                    Method::POST,
                    "/api/users",
                    "same",
                    &[],
                    Some(&body),
                )
                .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("create task"));
    }
    let fresh: Vec<&Reply> = replies.iter().filter(|r| !is_replay(r)).collect();
    assert_eq!(fresh.len(), 1, "exactly one request did the write");
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        assert_eq!(reply.text, fresh[0].text);
    }
    assert_eq!(server.all_users().await.len(), 1);
    assert_eq!(head(&server).await, 1);
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

#[tokio::test]
async fn refusals_decided_by_the_data_are_replayed_bad_requests_are_not_kept() {
    let server = TestServer::start().await;
    // An invalid body is refused before anything is kept: the corrected
    // request may use the key.
    let bad = json!({ "name": "", "email": "ada@example.com" });
    let reply = keyed(
        &server,
        Method::POST,
        "/api/users",
        "fix-me",
        &[],
        Some(&bad),
    )
    .await;
    support::assert_invalid(&reply, &["name"]);
    let good = json!({ "name": "Ada", "email": "ada@example.com" });
    let reply = keyed(
        &server,
        Method::POST,
        "/api/users",
        "fix-me",
        &[],
        Some(&good),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert!(!is_replay(&reply));
    let user = reply.json();
    let path = format!("/api/users/{}", id_of(&user));

    // A stale write is refused by the data: its replay is that refusal,
    // even once the entity has moved on.
    server
        .patch_if(&path, "\"1\"", &json!({ "name": "Ada L." }))
        .await;
    let stale = [("If-Match", "\"1\"")];
    let body = json!({ "name": "Ada K." });
    let first = keyed(&server, Method::PATCH, &path, "stale", &stale, Some(&body)).await;
    assert_error(
        &first,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    );
    server
        .patch_if(&path, "\"2\"", &json!({ "role": "admin" }))
        .await;
    let replay = keyed(&server, Method::PATCH, &path, "stale", &stale, Some(&body)).await;
    assert_replays(&replay, &first);
    assert_eq!(replay.json()["error"]["details"]["current"]["version"], 2);

    // So is a taken email, and a post by nobody.
    let taken = json!({ "name": "Ada 2", "email": "ADA@example.com" });
    let first = keyed(
        &server,
        Method::POST,
        "/api/users",
        "taken",
        &[],
        Some(&taken),
    )
    .await;
    assert_error(&first, StatusCode::CONFLICT, "conflict");
    let replay = keyed(
        &server,
        Method::POST,
        "/api/users",
        "taken",
        &[],
        Some(&taken),
    )
    .await;
    assert_replays(&replay, &first);
    let orphan = json!({ "title": "T", "content": "C", "authorId": uuid::Uuid::nil() });
    let first = keyed(
        &server,
        Method::POST,
        "/api/posts",
        "orphan",
        &[],
        Some(&orphan),
    )
    .await;
    support::assert_invalid(&first, &["authorId"]);
    let replay = keyed(
        &server,
        Method::POST,
        "/api/posts",
        "orphan",
        &[],
        Some(&orphan),
    )
    .await;
    assert_replays(&replay, &first);
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400_naming_the_header() {
    let server = TestServer::start().await;
    let [(user_path, user), _] = user_and_post(&server).await;
    let before = head(&server).await;
    let long = "k".repeat(256);
    let body = json!({ "name": "Grace", "email": "grace@example.com" });
    for key in ["", "two words", "tab\there", long.as_str()] {
        for reply in [
            keyed(&server, Method::POST, "/api/users", key, &[], Some(&body)).await,
            keyed(
                &server,
                Method::PATCH,
                &user_path,
                key,
                &[("If-Match", "*")],
                Some(&json!({ "name": "X" })),
            )
            .await,
            keyed(
                &server,
                Method::DELETE,
                &user_path,
                key,
                &[("If-Match", "*")],
                None,
            )
            .await,
        ] {
            let details = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_header");
            assert!(details["Idempotency-Key"].is_string(), "{key:?}: {details}");
        }
    }
    // Not ASCII.
    let reply = server
        .call(
            server
                .client
                .post(server.url("/api/users"))
                .header(
                    "Idempotency-Key",
                    reqwest::header::HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap(),
                )
                .json(&body),
        )
        .await;
    let details = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_header");
    assert!(details["Idempotency-Key"].is_string(), "{details}");
    // Sent twice: which one counts?
    let reply = server
        .send_with(
            Method::POST,
            "/api/users",
            &[("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
            Some(&body),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_header");
    assert_eq!(head(&server).await, before, "nothing written");
    assert_eq!(server.fetch(&user_path).await, user);

    // 255 visible characters is a key.
    let longest: String = "k".repeat(254) + "~";
    let reply = keyed(
        &server,
        Method::POST,
        "/api/users",
        &longest,
        &[],
        Some(&body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let replay = keyed(
        &server,
        Method::POST,
        "/api/users",
        &longest,
        &[],
        Some(&body),
    )
    .await;
    assert_replays(&replay, &reply);
    server.stop().await;
}

// --- expiry, with the store's clock moved -------------------------------

fn new_user(name: &str, email: &str) -> (NewUserInput, String) {
    let body = json!({ "name": name, "email": email });
    (
        serde_json::from_value(body.clone()).unwrap(),
        canonical_json(&body),
    )
}

/// `POST /api/users` of `input` by the admin, as if sent at `sent` with
/// `key`.
async fn create_at(
    server: &TestServer,
    (input, canonical): &(NewUserInput, String),
    key: &str,
    sent: chrono::DateTime<Utc>,
) -> Result<Written, server::error::ApiError> {
    let key = IdempotencyKey::parse(key.as_bytes()).unwrap();
    let once = Once::new(Some(&key), canonical).sent_at(sent);
    let by = server.admin();
    server
        .writes
        .create_user(&by, input.clone(), None, once)
        .await
}

#[tokio::test]
async fn a_key_is_remembered_for_24_hours_then_is_new() {
    let server = TestServer::start().await;
    let ada = new_user("Ada", "ada@example.com");
    let t0 = Utc::now() - TimeDelta::days(3);

    let first = create_at(&server, &ada, "k", t0).await.unwrap();
    assert!(!first.is_replay());
    let just_before = TimeDelta::hours(24) - TimeDelta::seconds(1);
    let replay = create_at(&server, &ada, "k", t0 + just_before)
        .await
        .unwrap();
    assert_eq!(replay, Written::Replayed(first.answer().clone()));
    assert_eq!(server.all_users().await.len(), 1);

    // A day and a second on, the key is new: the write is done again (the
    // same email is now a conflict, refused by the data and kept).
    let just_after = TimeDelta::hours(24) + TimeDelta::seconds(1);
    let again = create_at(&server, &ada, "k", t0 + just_after).await;
    assert!(
        matches!(&again, Err(server::error::ApiError::Conflict { .. })),
        "{again:?}"
    );
    assert_eq!(
        server.db.idempotency_keys_held().await.unwrap(),
        1,
        "the old one purged"
    );
    assert_eq!(server.all_users().await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_key_is_treated_as_new_over_http() {
    let server = TestServer::start().await;
    let body = json!({ "name": "Ada", "email": "ada@example.com" });
    let ada = new_user("Ada", "ada@example.com");

    // Used 23 hours ago: replayed.
    let recent = create_at(&server, &ada, "recent", Utc::now() - TimeDelta::hours(23))
        .await
        .unwrap();
    let reply = keyed(
        &server,
        Method::POST,
        "/api/users",
        "recent",
        &[],
        Some(&body),
    )
    .await;
    assert!(is_replay(&reply));
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(Some(reply.text.as_str()), recent.answer().body.as_deref());

    // Used 25 hours ago (and the user since deleted): a new request.
    let path = format!("/api/users/{}", id_of(&reply.json()));
    assert_eq!(
        server.delete_if(&path, "*").await.status,
        StatusCode::NO_CONTENT
    );
    create_at(&server, &ada, "old", Utc::now() - TimeDelta::hours(25))
        .await
        .unwrap();
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 2);
    let old_user = server.all_users().await.remove(0);
    assert_eq!(
        server
            .delete_if(&format!("/api/users/{}", old_user.id), "*")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let reply = keyed(&server, Method::POST, "/api/users", "old", &[], Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert!(!is_replay(&reply), "an expired key is a new key");
    assert_ne!(reply.json()["id"], old_user.id.to_string());
    assert_eq!(server.all_users().await.len(), 1);
    // "old" was purged and used anew; "recent" is still held.
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 2);
    server.stop().await;
}
