//! More of `/api/users` against a real server: the `active` filter, stats,
//! search, a user's posts, and the all-or-nothing batch patch.

use crate::support;

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{
    assert_error, assert_invalid, assert_post_shape, assert_user_shape, id_of, TestServer,
    SEEDED_USERS,
};
use tidings::protocol::EventKind;
use tidings::{
    active_within, CursorPage, Page, Post, Role, SortOrder, User, UserFilter, UserSort, UserStats,
    ACTIVE_WINDOW,
};
use uuid::Uuid;

fn ids<'a>(users: impl IntoIterator<Item = &'a User>) -> Vec<Uuid> {
    users.into_iter().map(|u| u.id).collect()
}

async fn users_page(server: &TestServer, query: &[(&str, &str)]) -> Page<User> {
    let reply = server.get_query("/api/users", query).await;
    assert_eq!(reply.status, StatusCode::OK, "{query:?}: {}", reply.text);
    reply.parse()
}

/// The newest seq in the server's log.
async fn head(server: &TestServer) -> u64 {
    server.db.log_state().await.expect("read the log").head
}

// --- active ---------------------------------------------------------------

/// The server evaluates `active` at the time of the request, which lies
/// between `before` and `after`: its answer is the shared filter's at one
/// of them (they differ only if a user's `lastActive` crosses the 24 h
/// edge during the request).
fn assert_matches_between(
    got: &[User],
    filter: &UserFilter,
    all: &[User],
    before: DateTime<Utc>,
    after: DateTime<Utc>,
    what: &str,
) {
    let at_before = ids(filter.apply_at(all, before));
    let at_after = ids(filter.apply_at(all, after));
    let got = ids(got);
    assert!(
        got == at_before || got == at_after,
        "{what}: got {got:?}, expected {at_before:?} or {at_after:?}"
    );
}

#[tokio::test]
async fn active_filter_matches_the_shared_filter() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    let mut totals = 0;
    for active in [true, false] {
        for (sort, order) in [
            (UserSort::CreatedAt, SortOrder::Desc),
            (UserSort::LastActive, SortOrder::Asc),
            (UserSort::Name, SortOrder::Asc),
        ] {
            let active_text = active.to_string();
            let query = [
                ("active", active_text.as_str()),
                ("sort", sort.as_str()),
                ("order", order.as_str()),
                ("limit", "100"),
            ];
            let before = Utc::now();
            let got = users_page(&server, &query).await;
            let after = Utc::now();
            for user in &got.data {
                assert_eq!(
                    active_within(user, after, ACTIVE_WINDOW)
                        || active_within(user, before, ACTIVE_WINDOW),
                    active,
                    "{query:?}: {} last active {}",
                    user.id,
                    user.last_active
                );
            }
            let filter = UserFilter {
                active: Some(active),
                sort,
                order,
                ..Default::default()
            };
            assert_matches_between(
                &got.data,
                &filter,
                &all,
                before,
                after,
                &format!("{query:?}"),
            );
            assert_eq!(got.pagination.total, got.data.len() as u64);
            if sort == UserSort::Name {
                totals += got.pagination.total;
            }
        }
    }
    assert_eq!(totals, SEEDED_USERS as u64, "active and inactive split all");

    // Combined with search and role, across pages.
    let before = Utc::now();
    let mut paged = Vec::new();
    for n in 1.. {
        let n_text = n.to_string();
        let p = users_page(
            &server,
            &[
                ("active", "false"),
                ("role", "user"),
                ("search", "e"),
                ("sort", "email"),
                ("order", "asc"),
                ("limit", "3"),
                ("page", &n_text),
            ],
        )
        .await;
        paged.extend(p.data);
        if !p.pagination.has_next_page {
            break;
        }
    }
    let after = Utc::now();
    let filter = UserFilter {
        search: Some("e".into()),
        role: Some(Role::User),
        active: Some(false),
        sort: UserSort::Email,
        order: SortOrder::Asc,
    };
    assert_matches_between(&paged, &filter, &all, before, after, "combined");
    server.stop().await;
}

#[tokio::test]
async fn a_new_user_is_active_and_bad_active_values_are_named() {
    let server = TestServer::start().await;
    let user = server.create_user("Nova", "nova@example.com").await;
    let active = users_page(&server, &[("active", "true")]).await;
    assert_eq!(ids(&active.data), [id_of(&user).parse::<Uuid>().unwrap()]);
    let inactive = users_page(&server, &[("active", "false")]).await;
    assert!(inactive.data.is_empty() && inactive.pagination.total == 0);
    for bad in ["yes", "1", "TRUE", "False", "maybe"] {
        let reply = server.get_query("/api/users", &[("active", bad)]).await;
        assert_invalid(&reply, &["active"]);
    }
    let reply = server
        .get_query("/api/users", &[("active", "no"), ("role", "king")])
        .await;
    assert_invalid(&reply, &["active", "role"]);
    server.stop().await;
}

// --- stats ----------------------------------------------------------------

fn stats_at(all: &[User], now: DateTime<Utc>) -> UserStats {
    let count = |keep: &dyn Fn(&User) -> bool| all.iter().filter(|u| keep(u)).count() as u64;
    let within = |window: TimeDelta| move |u: &User| now - u.last_active <= window;
    UserStats {
        total: all.len() as u64,
        active_24h: count(&within(TimeDelta::hours(24))),
        active_7d: count(&within(TimeDelta::days(7))),
        by_role: tidings::RoleCounts {
            admin: count(&|u| u.role == Role::Admin),
            moderator: count(&|u| u.role == Role::Moderator),
            user: count(&|u| u.role == Role::User),
        },
    }
}

#[tokio::test]
async fn stats_agree_with_the_full_list() {
    let server = TestServer::start_seeded().await;
    let before = Utc::now();
    let reply = server.get("/api/users/stats").await;
    let after = Utc::now();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let json = reply.json();
    assert_eq!(
        support::keys(&json),
        BTreeSet::from(["total", "active24h", "active7d", "byRole"]),
        "{json}"
    );
    assert_eq!(
        support::keys(&json["byRole"]),
        BTreeSet::from(["admin", "moderator", "user"]),
        "{json}"
    );
    let stats: UserStats = reply.parse();

    let page = users_page(&server, &[("limit", "100")]).await;
    assert_eq!(page.pagination.total, page.data.len() as u64);
    let all = page.data;
    assert_eq!(all.len(), SEEDED_USERS);
    let (early, late) = (stats_at(&all, before), stats_at(&all, after));
    assert!(
        stats == early || stats == late,
        "got {stats:?}, expected {early:?} or {late:?}"
    );
    assert_eq!(stats.total, SEEDED_USERS as u64);
    let by_role = stats.by_role;
    assert_eq!(
        by_role.admin + by_role.moderator + by_role.user,
        stats.total
    );
    assert!(stats.active_24h <= stats.active_7d && stats.active_7d <= stats.total);
    // The seed spreads activity over two weeks: some of each.
    assert!(
        stats.active_24h > 0 && stats.active_7d < stats.total,
        "{stats:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn stats_of_an_empty_store_then_of_new_users() {
    let server = TestServer::start().await;
    let empty: UserStats = server.get("/api/users/stats").await.parse();
    assert_eq!(empty, UserStats::default());
    server.create_user("Ann", "ann@example.com").await;
    server
        .create_user_with(json!({"name": "Max", "email": "max@example.com", "role": "moderator"}))
        .await;
    let stats: UserStats = server.get("/api/users/stats").await.parse();
    assert_eq!(
        (stats.total, stats.active_24h, stats.active_7d),
        (2, 2, 2),
        "{stats:?}"
    );
    assert_eq!(
        (
            stats.by_role.admin,
            stats.by_role.moderator,
            stats.by_role.user
        ),
        (0, 1, 1)
    );
    // Only GET: "stats" is never read as a user id.
    let reply = server.delete("/api/users/stats").await;
    assert_error(&reply, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    server.stop().await;
}

// --- search ---------------------------------------------------------------

async fn search(server: &TestServer, query: &[(&str, &str)]) -> Vec<User> {
    let reply = server.get_query("/api/users/search", query).await;
    assert_eq!(reply.status, StatusCode::OK, "{query:?}: {}", reply.text);
    let json = reply.json();
    assert_eq!(support::keys(&json), BTreeSet::from(["data"]), "{json}");
    for user in json["data"].as_array().expect("data is an array") {
        assert_user_shape(user);
    }
    serde_json::from_value(json["data"].clone()).unwrap()
}

#[tokio::test]
async fn search_orders_by_name_and_limits() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    for needle in [
        "a",
        "E",
        "example.COM",
        " ar ",
        "tidings.dev",
        "%",
        "zzzz-nobody",
    ] {
        let filter = UserFilter {
            search: Some(needle.to_owned()),
            sort: UserSort::Name,
            order: SortOrder::Asc,
            ..Default::default()
        };
        let expected = ids(filter.apply(&all));
        for (limit, n) in [(None, 10), (Some("1"), 1), (Some("20"), 20), (Some("7"), 7)] {
            let mut query = vec![("q", needle)];
            if let Some(limit) = limit {
                query.push(("limit", limit));
            }
            let got = search(&server, &query).await;
            let want: Vec<Uuid> = expected.iter().copied().take(n).collect();
            assert_eq!(ids(&got), want, "{query:?}");
            for pair in got.windows(2) {
                assert!(pair[0].name.as_str() <= pair[1].name.as_str(), "{query:?}");
            }
        }
    }
    // The same matches as the list's search, on name or email.
    let one = search(&server, &[("q", "ADMIN@TIDINGS.DEV")]).await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].email.as_str(), "admin@tidings.dev");
    let listed = users_page(
        &server,
        &[
            ("search", "an"),
            ("sort", "name"),
            ("order", "asc"),
            ("limit", "20"),
        ],
    )
    .await;
    assert_eq!(
        ids(&search(&server, &[("q", "an"), ("limit", "20")]).await),
        ids(&listed.data)
    );
    // 100 characters is the longest accepted.
    let longest = "x".repeat(100);
    assert!(search(&server, &[("q", &longest)]).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn search_names_bad_parameters() {
    let server = TestServer::start().await;
    let too_long = "y".repeat(101);
    for query in [
        vec![],
        vec![("q", "")],
        vec![("q", "    ")],
        vec![("q", too_long.as_str())],
    ] {
        let reply = server.get_query("/api/users/search", &query).await;
        assert_invalid(&reply, &["q"]);
    }
    for limit in ["0", "21", "-1", "ten", ""] {
        let reply = server
            .get_query("/api/users/search", &[("q", "a"), ("limit", limit)])
            .await;
        assert_invalid(&reply, &["limit"]);
    }
    let reply = server
        .get_query("/api/users/search", &[("limit", "100")])
        .await;
    assert_invalid(&reply, &["q", "limit"]);
    server.stop().await;
}

// --- a user's posts -------------------------------------------------------

async fn user_posts(server: &TestServer, id: &str, query: &[(&str, &str)]) -> CursorPage<Post> {
    let reply = server
        .get_query(&format!("/api/users/{id}/posts"), query)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query:?}: {}", reply.text);
    let json = reply.json();
    assert_eq!(
        support::keys(&json),
        BTreeSet::from(["data", "nextCursor", "hasMore", "prevCursor"]),
        "{json}"
    );
    for post in json["data"].as_array().expect("data is an array") {
        assert_post_shape(post);
    }
    reply.parse()
}

#[tokio::test]
async fn a_users_posts_page_to_exactly_their_posts() {
    let server = TestServer::start_seeded().await;
    let feed = server.walk_posts(&[("limit", "100")], 100).await;
    let all = server.all_users().await;
    // The author with the most posts, and one with a few.
    let count = |u: &User| feed.iter().filter(|p| p.author_id == u.id).count();
    let mut authors: Vec<&User> = all.iter().filter(|u| count(u) > 0).collect();
    authors.sort_by_key(|u| std::cmp::Reverse(count(u)));
    for author in [authors[0], authors[authors.len() - 1]] {
        let id = author.id.to_string();
        let expected: Vec<Uuid> = feed
            .iter()
            .filter(|p| p.author_id == author.id)
            .map(|p| p.id)
            .collect();
        let limit = 7;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "7")];
            if let Some(c) = cursor.as_deref() {
                query.push(("cursor", c));
            }
            // An authorId in the query does not change whose posts these are.
            query.push(("authorId", "not-a-uuid"));
            let page = user_posts(&server, &id, &query).await;
            assert_eq!(page.has_more, page.next_cursor.is_some());
            if page.has_more {
                assert_eq!(page.data.len(), limit);
            }
            assert!(page.data.iter().all(|p| p.author_id == author.id));
            seen.extend(page.data.iter().map(|p| p.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
            assert!(seen.len() <= expected.len(), "the cursor never ends");
        }
        assert_eq!(seen, expected, "author {id}: {} posts", expected.len());
        let unique: HashSet<Uuid> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len());
        // The default page is the first 20.
        let first = user_posts(&server, &id, &[]).await;
        let n = expected.len().min(20);
        assert_eq!(ids_of_posts(&first.data), expected[..n]);
    }
    server.stop().await;
}

fn ids_of_posts(posts: &[Post]) -> Vec<Uuid> {
    posts.iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn a_users_posts_refuse_unknown_users_and_bad_parameters() {
    let server = TestServer::start().await;
    let user = server.create_user("Lee", "lee@example.com").await;
    let id = id_of(&user);
    let empty = user_posts(&server, &id, &[]).await;
    assert!(empty.data.is_empty() && !empty.has_more && empty.next_cursor.is_none());
    let other = server.create_user("Kim", "kim@example.com").await;
    server
        .create_post(&id_of(&other), "Theirs", "not Lee's")
        .await;
    let mine = server.create_post(&id, "Mine", "Lee's").await;
    let page = user_posts(&server, &id, &[]).await;
    assert_eq!(
        ids_of_posts(&page.data),
        [id_of(&mine).parse::<Uuid>().unwrap()]
    );

    for path in [
        format!("/api/users/{}/posts", Uuid::now_v7()),
        "/api/users/not-a-uuid/posts".to_owned(),
    ] {
        let reply = server.get(&path).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    for limit in ["0", "101", "x"] {
        let reply = server
            .get_query(&format!("/api/users/{id}/posts"), &[("limit", limit)])
            .await;
        assert_invalid(&reply, &["limit"]);
    }
    // A deleted user's posts are gone with them: 404.
    let reply = server.delete_if(&format!("/api/users/{id}"), "*").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = server.get(&format!("/api/users/{id}/posts")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    server.stop().await;
}

// --- batch ----------------------------------------------------------------

async fn three_users(server: &TestServer) -> Vec<Value> {
    vec![
        server.create_user("Ada", "ada@example.com").await,
        server.create_user("Bob", "bob@example.com").await,
        server.create_user("Cy", "cy@example.com").await,
    ]
}

async fn batch(server: &TestServer, body: &Value) -> support::Reply {
    server
        .send_json(Method::PATCH, "/api/users/batch", body)
        .await
}

/// Asserts every user is as it was and the log did not grow.
async fn assert_unchanged(server: &TestServer, users: &[Value], log_head: u64) {
    for user in users {
        let now = server.fetch(&format!("/api/users/{}", id_of(user))).await;
        assert_eq!(&now, user, "nothing changed");
    }
    assert_eq!(head(server).await, log_head, "no event was appended");
}

fn update(user: &Value, changes: Value) -> Value {
    json!({ "id": id_of(user), "version": user["version"], "changes": changes })
}

#[tokio::test]
async fn batch_changes_all_bumps_versions_and_appends_one_event_each() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let since = head(&server).await;
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "Ada L." })),
        update(&users[1], json!({ "role": "moderator", "preferences": { "theme": "dark" } })),
        update(&users[2], json!({ "email": "CY@Example.org" })),
    ]});
    let reply = batch(&server, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let json = reply.json();
    assert_eq!(support::keys(&json), BTreeSet::from(["data"]));
    let data = json["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    for (got, before) in data.iter().zip(&users) {
        assert_user_shape(got);
        assert_eq!(got["id"], before["id"], "in the order of the updates");
        assert_eq!(got["version"], before["version"].as_i64().unwrap() + 1);
        assert_eq!(
            &server.fetch(&format!("/api/users/{}", id_of(got))).await,
            got
        );
    }
    assert_eq!(data[0]["name"], "Ada L.");
    assert_eq!(data[1]["role"], "moderator");
    assert_eq!(data[1]["preferences"]["theme"], "dark");
    assert_eq!(data[2]["email"], "cy@example.org");
    assert_eq!(data[2]["name"], "Cy", "unnamed fields stay");

    let events = server.db.all_events_after(since).await.unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    for (event, user) in events.iter().zip(data) {
        assert_eq!(event.kind, EventKind::UserUpdated);
        assert_eq!(&event.data, user, "the event carries the user as answered");
    }
    server.stop().await;
}

#[tokio::test]
async fn batch_is_seen_on_the_realtime_socket() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let (mut ws, hello) =
        support::ws::WsClient::connect(&server.ws_url("/api/events"), &server.admin_token).await;
    ws.subscribe(&[tidings::protocol::Topic::Users], hello.seq)
        .await;
    ws.sync().await;
    let body = json!({ "updates": [
        update(&users[2], json!({ "name": "Cy 2" })),
        update(&users[0], json!({ "name": "Ada 2" })),
    ]});
    let reply = batch(&server, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let events = ws.events_through(hello.seq + 2).await;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::UserUpdated, EventKind::UserUpdated]);
    assert_eq!(events[0].data["name"], "Cy 2");
    assert_eq!(events[1].data["name"], "Ada 2");
    ws.close().await;
    server.stop().await;
}

#[tokio::test]
async fn batch_with_one_stale_version_changes_nothing() {
    let server = TestServer::start().await;
    let mut users = three_users(&server).await;
    // Bob moves on to version 2 behind the batch's back.
    let reply = server
        .patch_if(
            &format!("/api/users/{}", id_of(&users[1])),
            "\"1\"",
            &json!({ "name": "Bobby" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let bob_now = reply.json();
    let log_head = head(&server).await;
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        update(&users[1], json!({ "name": "B" })),
        update(&users[2], json!({ "name": "C" })),
    ]});
    let reply = batch(&server, &body).await;
    let details = assert_error(
        &reply,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    );
    assert_eq!(details["current"], json!([bob_now]), "{details}");
    users[1] = bob_now;
    assert_unchanged(&server, &users, log_head).await;
    server.stop().await;
}

#[tokio::test]
async fn batch_with_one_bad_field_changes_nothing() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let log_head = head(&server).await;
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        update(&users[1], json!({ "email": "not-an-email" })),
        update(&users[2], json!({ "preferences": { "theme": "neon" }, "role": "king" })),
    ]});
    let reply = batch(&server, &body).await;
    assert_invalid(
        &reply,
        &[
            "updates[1].email",
            "updates[2].preferences.theme",
            "updates[2].role",
        ],
    );
    // A wrong type and an unknown field are named the same way.
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        update(&users[1], json!({ "email": 5 })),
    ]});
    assert_invalid(&batch(&server, &body).await, &["updates[1].email"]);
    let body = json!({ "updates": [update(&users[0], json!({ "nmae": "A" }))] });
    assert_invalid(&batch(&server, &body).await, &["updates[0].nmae"]);
    let body = json!({ "updates": [update(&users[0], json!({}))] });
    assert_invalid(&batch(&server, &body).await, &["updates[0].changes"]);
    let body = json!({ "updates": [{ "id": id_of(&users[0]), "changes": { "name": "A" } }] });
    assert_invalid(&batch(&server, &body).await, &["updates[0].version"]);
    assert_unchanged(&server, &users, log_head).await;
    server.stop().await;
}

#[tokio::test]
async fn batch_with_one_missing_id_changes_nothing() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let log_head = head(&server).await;
    let ghost = Uuid::now_v7().to_string();
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        { "id": ghost, "version": 1, "changes": { "name": "Nobody" } },
        update(&users[2], json!({ "name": "C" })),
    ]});
    let reply = batch(&server, &body).await;
    let details = assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(details["missing"], json!([ghost]), "{details}");
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&ghost));
    assert_unchanged(&server, &users, log_head).await;
    server.stop().await;
}

#[tokio::test]
async fn batch_with_a_taken_email_changes_nothing() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let log_head = head(&server).await;
    // The first update is written before the second hits the unique email.
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        update(&users[1], json!({ "email": "cy@example.com" })),
    ]});
    let reply = batch(&server, &body).await;
    assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert_unchanged(&server, &users, log_head).await;
    // Keyed, the refusal is recorded and committed: still without the
    // first update, and replayed as it was.
    for replay in [false, true] {
        let reply = server
            .send_with(
                Method::PATCH,
                "/api/users/batch",
                &[("Idempotency-Key", "taken-email")],
                Some(&body),
            )
            .await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict");
        assert_eq!(
            reply.header("idempotent-replayed"),
            replay.then_some("true"),
            "{}",
            reply.text
        );
        assert_unchanged(&server, &users, log_head).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn batch_refuses_duplicate_ids_and_empty_lists() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let log_head = head(&server).await;
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "A" })),
        update(&users[1], json!({ "name": "B" })),
        update(&users[0], json!({ "name": "A again" })),
    ]});
    assert_invalid(&batch(&server, &body).await, &["updates[2].id"]);
    assert_invalid(
        &batch(&server, &json!({ "updates": [] })).await,
        &["updates"],
    );
    assert_invalid(&batch(&server, &json!({})).await, &["updates"]);
    let many: Vec<Value> = (0..101)
        .map(|_| update(&users[0], json!({ "name": "A" })))
        .collect();
    assert_invalid(
        &batch(&server, &json!({ "updates": many })).await,
        &["updates"],
    );
    let body = json!({ "updates": [{ "id": "nope", "version": 1, "changes": { "name": "A" } }] });
    assert_invalid(&batch(&server, &body).await, &["updates[0].id"]);
    let reply = server
        .send_raw(Method::PATCH, "/api/users/batch", Some("text/plain"), "{}")
        .await;
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert_unchanged(&server, &users, log_head).await;
    server.stop().await;
}

#[tokio::test]
async fn batch_honours_idempotency_keys() {
    let server = TestServer::start().await;
    let users = three_users(&server).await;
    let body = json!({ "updates": [
        update(&users[0], json!({ "name": "Once" })),
        update(&users[1], json!({ "name": "Only once" })),
    ]});
    let send = |body: Value| {
        let server = &server;
        async move {
            server
                .send_with(
                    Method::PATCH,
                    "/api/users/batch",
                    &[("Idempotency-Key", "batch-1")],
                    Some(&body),
                )
                .await
        }
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let log_head = head(&server).await;
    let again = send(body.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(head(&server).await, log_head, "a replay writes nothing");
    let user = server
        .fetch(&format!("/api/users/{}", id_of(&users[0])))
        .await;
    assert_eq!(user["version"], 2, "applied once");
    // The same key with another body is refused.
    let other = json!({ "updates": [update(&users[2], json!({ "name": "Other" }))] });
    let reply = send(other).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );
    server.stop().await;
}
