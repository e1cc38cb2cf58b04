//! The server on PostgreSQL, against the machine's database: each test in
//! a schema of its own, real servers on 127.0.0.1:0, and, where it
//! matters, two instances (separate pools and hubs) on one schema, as a
//! deployment runs them. Covered: the store's basics through HTTP, the
//! SQL dialect both engines share (placeholders, case folding, text
//! order), seq order equal to commit order under concurrent writers on
//! two instances, a socket on one instance following writes made through
//! the other (signed in with a token the other issued: instances share the
//! JWT secret), RESYNC when history was pruned, events naming their actor,
//! idempotency keys per caller, sign-in with refresh rotation and
//! reuse detection, and TLS to the database when the URL requires it.

use crate::support;

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::postgres::PgListener;
use sqlx::{Connection, PgConnection};
use support::writers::{assert_versions_rise_with_seq, write_many};
use support::ws::WsClient;
use support::{assert_error, client_with_token, etag, id_of, Reply, TestServer};
use tidings::protocol::{Event, EventKind, ServerFrame, Topic};
use tidings::{Role, SortOrder, User, UserFilter, UserSort};

const EVENTS: &str = "/api/events";

async fn head(server: &TestServer) -> u64 {
    server.db.log_state().await.expect("read the log").head
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

async fn keyed(server: &TestServer, method: Method, path: &str, key: &str, body: &Value) -> Reply {
    server
        .send_with(method, path, &[("Idempotency-Key", key)], Some(body))
        .await
}

#[tokio::test]
async fn users_and_posts_are_created_listed_patched_and_deleted() {
    let server = TestServer::start_postgres().await;
    let ada = server.create_user("Ada", "ada@example.com").await;
    let user_path = format!("/api/users/{}", id_of(&ada));
    assert_eq!(server.fetch(&user_path).await, ada);
    let grace = server.create_user("Grace", "grace@example.com").await;
    let again = server
        .post_json(
            "/api/users",
            &json!({ "name": "Other", "email": "ada@example.com" }),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "conflict");
    assert_eq!(server.all_users().await.len(), 2);

    // Patch with the version read; the stale version then loses with 412
    // and the current user.
    let patched = server
        .patch_if(&user_path, &etag(&ada), &json!({ "name": "Ada L." }))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json()["version"], 2);
    let stale = server
        .patch_if(&user_path, &etag(&ada), &json!({ "name": "Lost" }))
        .await;
    let details = assert_error(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    );
    assert_eq!(details["current"]["name"], "Ada L.");
    // A taken email on patch is a 409 and the transaction goes on to
    // answer it (on PostgreSQL the failed statement must not poison it).
    let clash = server
        .patch_if(
            &user_path,
            &etag(&patched.json()),
            &json!({ "email": "grace@example.com" }),
        )
        .await;
    assert_error(&clash, StatusCode::CONFLICT, "conflict");

    let post = server.create_post(&id_of(&ada), "Title", "Text.").await;
    let post_path = format!("/api/posts/{}", id_of(&post));
    let feed = server.posts_page(&[]).await;
    assert_eq!(feed.data.len(), 1);
    let edited = server
        .patch_if(&post_path, &etag(&post), &json!({ "title": "Edited" }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(server.fetch(&post_path).await["title"], "Edited");
    let orphan = server
        .post_json(
            "/api/posts",
            &json!({ "title": "T", "content": "C", "authorId": uuid::Uuid::nil() }),
        )
        .await;
    support::assert_invalid(&orphan, &["authorId"]);

    let gone = server.delete_if(&post_path, &etag(&edited.json())).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(server.get(&post_path).await.status, StatusCode::NOT_FOUND);
    let current = server.fetch(&format!("/api/users/{}", id_of(&grace))).await;
    let gone = server
        .delete_if(&format!("/api/users/{}", id_of(&grace)), &etag(&current))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(server.all_users().await.len(), 1);

    let log = server.db.all_events_after(0).await.unwrap();
    assert!(
        log.iter().all(|e| e.actor == Some(server.admin_id)),
        "every event names the admin who wrote it: {log:?}"
    );
    let kinds: Vec<EventKind> = log.iter().map(|e| e.kind).collect();
    use EventKind::*;
    assert_eq!(
        kinds,
        [
            UserCreated,
            UserCreated,
            UserUpdated,
            PostCreated,
            PostUpdated,
            PostDeleted,
            UserDeleted
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_keyed_write_happens_once_and_its_replays_get_the_first_answer() {
    let server = TestServer::start_postgres().await;
    let body = json!({ "name": "Ada", "email": "ada@example.com" });
    let first = keyed(&server, Method::POST, "/api/users", "create-ada", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let replay = keyed(&server, Method::POST, "/api/users", "create-ada", &body).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.text, first.text);
    assert_eq!(server.all_users().await.len(), 1);
    assert_eq!(head(&server).await, 1, "one event");

    // A refusal decided by a failed statement (a taken email) is recorded
    // and replayed too.
    let clash = json!({ "name": "Other", "email": "ada@example.com" });
    let refused = keyed(&server, Method::POST, "/api/users", "clash", &clash).await;
    assert_error(&refused, StatusCode::CONFLICT, "conflict");
    let again = keyed(&server, Method::POST, "/api/users", "clash", &clash).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, refused.text);
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 2);

    // Keys are per caller: another admin's "create-ada" is a new request
    // of theirs, neither a replay nor a reuse of the first admin's key.
    let other = server.client_as(Role::Admin).await;
    let bea = json!({ "name": "Bea", "email": "bea@example.com" });
    let theirs = server
        .call(
            other
                .client
                .post(server.url("/api/users"))
                .header("Idempotency-Key", "create-ada")
                .json(&bea),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_eq!(theirs.json()["email"], "bea@example.com");
    assert_eq!(server.db.idempotency_keys_held().await.unwrap(), 3);
    let last = server.db.all_events_after(0).await.unwrap().pop().unwrap();
    assert_eq!(last.actor.map(|a| a.to_string()), Some(other.id));
    server.stop().await;
}

#[tokio::test]
async fn placeholders_are_numbered_on_both_engines() {
    let schema = support::postgres::PgSchema::create().await;
    let mut conn = PgConnection::connect(&schema.database_url()).await.unwrap();
    let (a, b, a_again): (String, String, String) = sqlx::query_as("SELECT $2, $1, $2")
        .bind("first")
        .bind("second")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (a.as_str(), b.as_str(), a_again.as_str()),
        ("second", "first", "second")
    );
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(path, schema.name(), "the URL selects the test's schema");
    let _ = conn.close().await;
}

/// Names whose order and case folding differ between byte order and a
/// locale's: upper before lower, accents after `z`, punctuation.
const NAMES: [&str; 9] = [
    "alice", "Alice", "ALIBI", "bob", "Émile", "émile", "Zoë", "zed", "_under",
];

/// Every user whose name or email matches `search` (if any), in `sort`
/// and `order`, as the server lists them: names only.
async fn listed(server: &TestServer, search: Option<&str>, sort: &str, order: &str) -> Vec<String> {
    let mut query = vec![("limit", "100"), ("sort", sort), ("order", order)];
    if let Some(search) = search {
        query.push(("search", search));
    }
    let reply = server.get_query("/api/users", &query).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let page: tidings::Page<User> = reply.parse();
    page.data
        .iter()
        .map(|u| u.name.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn both_engines_search_and_sort_text_alike_and_as_the_core_does() {
    let sqlite = TestServer::start().await;
    let postgres = TestServer::start_postgres().await;
    for (i, name) in NAMES.iter().enumerate() {
        for server in [&sqlite, &postgres] {
            server
                .create_user(name, &format!("user{i}@example.com"))
                .await;
        }
    }
    let users = postgres.all_users().await;
    for search in [
        None,
        Some("ali"),
        Some("ALI"),
        Some("é"),
        Some("É"),
        Some("MILE"),
        Some("_"),
        Some("%"),
    ] {
        for (sort, order) in [
            (UserSort::Name, SortOrder::Asc),
            (UserSort::Name, SortOrder::Desc),
            (UserSort::Email, SortOrder::Asc),
        ] {
            let filter = UserFilter {
                search: search.map(str::to_owned),
                sort,
                order,
                ..Default::default()
            };
            let core: Vec<String> = filter
                .apply(&users)
                .iter()
                .map(|u| u.name.as_str().to_owned())
                .collect();
            let sort = sort.as_str();
            let order = match order {
                SortOrder::Asc => "asc",
                SortOrder::Desc => "desc",
            };
            let on_sqlite = listed(&sqlite, search, sort, order).await;
            let on_postgres = listed(&postgres, search, sort, order).await;
            assert_eq!(on_sqlite, core, "SQLite, {search:?} by {sort} {order}");
            assert_eq!(
                on_postgres, core,
                "PostgreSQL, {search:?} by {sort} {order}"
            );
        }
    }
    sqlite.stop().await;
    postgres.stop().await;
}

#[tokio::test]
async fn a_commit_that_appends_events_notifies_the_log_channel() {
    let server = TestServer::start_postgres().await;
    let pool = server.db.postgres().expect("a PostgreSQL store").clone();
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener
        .listen(server::db::engine::LOG_CHANNEL)
        .await
        .unwrap();
    server.create_user("Ada", "ada@example.com").await;
    let poke = tokio::time::timeout(support::ws::FRAME_TIMEOUT, listener.recv())
        .await
        .expect("a notification arrives")
        .unwrap();
    assert_eq!(poke.channel(), server::db::engine::LOG_CHANNEL);
    server.stop().await;
}

#[tokio::test]
async fn a_socket_on_one_instance_receives_writes_made_through_another_in_order() {
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    // Signed in on B with a token A issued.
    let author = a.client_as(Role::User).await;
    let (mut socket, hello) = WsClient::connect(&b.ws_url(EVENTS), &author.token).await;
    assert_eq!(hello.seq, 1, "the author's creation");
    socket.subscribe(&[Topic::Users, Topic::Posts], 1).await;
    socket.sync().await;

    let ada = a.create_user("Ada", "ada@example.com").await;
    let renamed = a
        .patch_if(
            &format!("/api/users/{}", id_of(&ada)),
            &etag(&ada),
            &json!({ "name": "Ada L." }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    let post = a
        .call(
            author
                .client
                .post(a.url("/api/posts"))
                .json(&json!({ "title": "Hello", "content": "From A." })),
        )
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.text);
    let post = post.json();

    let events = socket.events_through(4).await;
    assert_eq!(seqs(&events), [2, 3, 4]);
    assert_eq!(
        events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EventKind::UserCreated,
            EventKind::UserUpdated,
            EventKind::PostCreated
        ]
    );
    assert_eq!(events[1].data["name"], "Ada L.");
    assert_eq!(events[2].data["id"], post["id"]);
    let actors: Vec<String> = events
        .iter()
        .map(|e| e.actor.expect("an actor").to_string())
        .collect();
    let admin = a.admin_id.to_string();
    assert_eq!(actors, [admin.clone(), admin, author.id]);
    // B's hello now names the head A wrote.
    let (late, hello) = WsClient::connect(&b.ws_url(EVENTS), &b.admin_token).await;
    assert_eq!(hello.seq, 4);
    late.close().await;
    socket.close().await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_two_instances_get_contiguous_seqs_in_commit_order() {
    const WRITERS: usize = 8;
    const OPS: usize = 60;
    let a = TestServer::start_postgres().await;
    let b = a.start_sibling().await;
    let mut tails = Vec::new();
    for server in [&a, &b] {
        let (mut tail, hello) = WsClient::connect(&server.ws_url(EVENTS), &a.admin_token).await;
        tail.subscribe(&[Topic::Users, Topic::Posts], hello.seq)
            .await;
        tail.sync().await;
        tails.push(tail);
    }

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let writes = if w % 2 == 0 {
                a.writes.clone()
            } else {
                b.writes.clone()
            };
            tokio::spawn(write_many(writes, w, OPS))
        })
        .collect();
    let mut written = 0;
    for writer in writers {
        written += writer.await.expect("the writer finished");
    }
    let deletes = (1..OPS).filter(|op| op % 8 == 7).count() * WRITERS;
    let expected = (written + deletes) as u64;
    assert_eq!(head(&a).await, expected);

    let log = a.db.all_events_after(0).await.unwrap();
    assert_eq!(seqs(&log), (1..=expected).collect::<Vec<_>>(), "contiguous");
    assert_versions_rise_with_seq(&log);
    // Each tail, on either instance, saw every seq once, each one more
    // than the last: none skipped an event that committed after a later
    // seq.
    for mut tail in tails {
        let mut previous = 0;
        let mut seen = Vec::new();
        while previous < expected {
            let event = tail.next_event().await;
            assert_eq!(event.seq, previous + 1, "no gap or repeat after {previous}");
            previous = event.seq;
            seen.push(event);
        }
        assert_eq!(seen, log);
        tail.close().await;
    }
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_subscriber_behind_the_retained_log_is_told_to_resync() {
    let server = TestServer::start_postgres().await;
    for n in 0..5 {
        server
            .create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
    }
    assert_eq!(server.prune_events(2).await, 4, "seqs 4, 5 kept");
    assert_eq!(seqs(&server.db.all_events_after(0).await.unwrap()), [4, 5]);

    let (mut behind, hello) = WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    behind.subscribe(&[Topic::Users], 1).await;
    assert_eq!(
        behind.next_frame().await,
        ServerFrame::Resync {
            epoch: hello.epoch.clone(),
            seq: 5
        }
    );
    server.create_user("After", "after@example.com").await;
    assert_eq!(behind.next_event().await.seq, 6);

    let (mut close_enough, _) =
        WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await;
    close_enough.subscribe(&[Topic::Users], 3).await;
    assert_eq!(seqs(&close_enough.events_through(6).await), [4, 5, 6]);
    behind.close().await;
    close_enough.close().await;
    server.stop().await;
}

/// The demo data seeds an empty PostgreSQL database, and an instance
/// starting later on it adds nothing.
#[tokio::test]
async fn seeding_fills_an_empty_database_once() {
    let a = TestServer::start_postgres_with(|config| config.seed = true).await;
    let b = a.start_sibling_with(|config| config.seed = true).await;
    let stats = b.fetch("/api/users/stats").await;
    assert_eq!(stats["total"], support::SEEDED_USERS);
    let mut by_author: BTreeMap<String, usize> = BTreeMap::new();
    for post in b.walk_posts(&[("limit", "100")], 100).await {
        *by_author.entry(post.author_id.to_string()).or_default() += 1;
    }
    assert_eq!(by_author.values().sum::<usize>(), support::SEEDED_POSTS);
    let (_, hello) = WsClient::connect(&a.ws_url(EVENTS), &a.admin_token).await;
    assert_eq!(hello.epoch.len(), 32);
    b.stop().await;
    a.stop().await;
}

/// The account SQL on PostgreSQL: a created account signs in with its
/// password on one instance, its refresh token rotates on the other, and
/// the rotated token sent again (no grace window) revokes the whole
/// family on both.
#[tokio::test]
async fn an_account_signs_in_and_its_refresh_token_rotates_once() {
    const PASSWORD: &str = "correct horse battery";
    let no_grace = |config: &mut server::config::Config| config.refresh_grace_secs = 0;
    let a = TestServer::start_postgres_with(no_grace).await;
    let b = a.start_sibling_with(no_grace).await;
    let ada = a.create_account("ada@example.com", PASSWORD).await;
    let anonymous = a.anonymous();
    let wrong = a
        .login(&anonymous, "ada@example.com", "wrong password")
        .await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");

    let login = b.login(&anonymous, "ADA@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.json()["user"], ada);
    let access = login.json()["accessToken"].as_str().unwrap().to_owned();
    let me = a
        .call(client_with_token(&access).get(a.url("/api/auth/me")))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json(), ada);

    let first = login.cookie_value("tidings_refresh").to_owned();
    let rotated = a.refresh(&first).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    assert_eq!(rotated.json()["user"], ada);
    let second = rotated.cookie_value("tidings_refresh").to_owned();
    assert_ne!(second, first);

    let reused = b.refresh(&first).await;
    assert_error(&reused, StatusCode::UNAUTHORIZED, "invalid_refresh");
    assert_error(
        &a.refresh(&second).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh",
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn the_server_talks_to_postgres_over_tls_when_the_url_requires_it() {
    let name = format!("tidings-tls-{}", uuid::Uuid::new_v4().simple());
    let server = TestServer::start_postgres_with(|config| {
        config
            .database_url
            .push_str(&format!("&sslmode=require&application_name={name}"));
    })
    .await;
    let ada = server.create_user("Ada", "ada@example.com").await;
    assert_eq!(
        server.fetch(&format!("/api/users/{}", id_of(&ada))).await["name"],
        "Ada"
    );

    let mut conn = PgConnection::connect(&support::postgres::base_url())
        .await
        .unwrap();
    let by_ssl: Vec<(bool, i64)> = sqlx::query_as(
        "SELECT s.ssl, count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = $1 GROUP BY s.ssl",
    )
    .bind(&name)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(
        matches!(by_ssl.as_slice(), [(true, n)] if *n > 0),
        "every connection of the server's pool is encrypted: {by_ssl:?}"
    );
    server.stop().await;
}
