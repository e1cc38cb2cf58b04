//! `/api/users` against a real server: the paged, filtered, sorted list
//! (checked against the shared `tidings::UserFilter`), get, create, patch,
//! delete, and concurrent writes.

use crate::support;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    assert_error, assert_invalid, assert_user_shape, etag, id_of, time_of, TestServer, SEEDED_USERS,
};
use tidings::{Page, Role, SortOrder, User, UserFilter, UserSort};
use uuid::Uuid;

fn ids(users: &[User]) -> Vec<Uuid> {
    users.iter().map(|u| u.id).collect()
}

fn expected_ids(filter: &UserFilter, all: &[User]) -> Vec<Uuid> {
    filter.apply(all).into_iter().map(|u| u.id).collect()
}

async fn page(server: &TestServer, query: &[(&str, &str)]) -> Page<User> {
    let reply = server.get_query("/api/users", query).await;
    assert_eq!(reply.status, StatusCode::OK, "{query:?}: {}", reply.text);
    let json = reply.json();
    for user in json["data"].as_array().expect("data is an array") {
        assert_user_shape(user);
    }
    assert_eq!(
        support::keys(&json["pagination"]),
        ["page", "limit", "total", "hasNextPage", "hasPreviousPage"]
            .into_iter()
            .collect(),
        "{}",
        json["pagination"]
    );
    reply.parse()
}

/// Every page of a query at `limit` rows a page, concatenated.
async fn all_pages(server: &TestServer, query: &[(&str, &str)], limit: u32) -> Vec<User> {
    let limit_text = limit.to_string();
    let mut out = Vec::new();
    for n in 1.. {
        let n_text = n.to_string();
        let mut q = query.to_vec();
        q.push(("limit", &limit_text));
        q.push(("page", &n_text));
        let p = page(server, &q).await;
        assert_eq!(p.pagination.page, n);
        assert_eq!(p.pagination.limit, limit);
        out.extend(p.data);
        if !p.pagination.has_next_page {
            assert_eq!(out.len() as u64, p.pagination.total);
            return out;
        }
    }
    unreachable!()
}

// --- list: paging ---------------------------------------------------------

#[tokio::test]
async fn list_defaults_to_first_page_of_twenty() {
    let server = TestServer::start_seeded().await;
    let p = page(&server, &[]).await;
    assert_eq!(p.data.len(), 20);
    let pg = p.pagination;
    assert_eq!((pg.page, pg.limit, pg.total), (1, 20, SEEDED_USERS as u64));
    assert!(pg.has_next_page && !pg.has_previous_page);
    server.stop().await;
}

#[tokio::test]
async fn pages_cover_every_user_exactly_once() {
    let server = TestServer::start_seeded().await;
    let expected: [(u32, usize, bool, bool); 4] = [
        (1, 25, true, false),
        (2, 25, true, true),
        (3, 10, false, true),
        (4, 0, false, true),
    ];
    let mut seen = HashSet::new();
    for (n, len, next, prev) in expected {
        let p = page(&server, &[("page", &n.to_string()), ("limit", "25")]).await;
        let pg = p.pagination;
        assert_eq!(p.data.len(), len, "page {n}");
        assert_eq!((pg.page, pg.limit, pg.total), (n, 25, 60), "page {n}");
        assert_eq!(
            (pg.has_next_page, pg.has_previous_page),
            (next, prev),
            "page {n}"
        );
        for user in p.data {
            assert!(seen.insert(user.id), "{} is on two pages", user.id);
        }
    }
    assert_eq!(seen.len(), SEEDED_USERS);

    // A limit that divides the total: the last full page has no next.
    let last = page(&server, &[("page", "3"), ("limit", "20")]).await;
    assert_eq!(last.data.len(), 20);
    assert!(!last.pagination.has_next_page && last.pagination.has_previous_page);
    server.stop().await;
}

#[tokio::test]
async fn bad_list_parameters_are_each_named() {
    let server = TestServer::start().await;
    let reply = server
        .get_query(
            "/api/users",
            &[
                ("page", "0"),
                ("limit", "101"),
                ("role", "king"),
                ("sort", "height"),
                ("order", "up"),
            ],
        )
        .await;
    assert_invalid(&reply, &["page", "limit", "role", "sort", "order"]);
    for (key, value) in [
        ("page", "abc"),
        ("page", "-1"),
        ("limit", "0"),
        ("limit", "x"),
        // A typed value is taken as sent, as the document's enums and
        // integers have it: padding is not trimmed away.
        ("page", " 2"),
        ("limit", "5 "),
        ("role", " admin"),
        ("active", "true "),
        ("sort", "name "),
        ("order", " asc"),
    ] {
        let reply = server.get_query("/api/users", &[(key, value)]).await;
        assert_invalid(&reply, &[key]);
    }
    // Empty is absent, as a form sends an unset field.
    let empty = server
        .get_query(
            "/api/users",
            &[("role", ""), ("active", ""), ("sort", ""), ("order", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    server.stop().await;
}

// --- list: search, role, sort ---------------------------------------------

#[tokio::test]
async fn search_matches_name_or_email_ignoring_case() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    assert_eq!(all.len(), SEEDED_USERS);

    // By name, by email, in any case.
    for needle in ["AVERY", "avery admin", "ADMIN@TIDINGS.DEV"] {
        let p = page(&server, &[("search", needle), ("limit", "100")]).await;
        assert_eq!(p.pagination.total, 1, "{needle}");
        assert_eq!(p.data[0].email.as_str(), "admin@tidings.dev", "{needle}");
    }
    let some_user = &all[17];
    let surname = some_user.name.as_str().rsplit(' ').next().unwrap();
    let local_part = some_user.email.as_str().split('@').next().unwrap();

    let needles = [
        surname.to_uppercase(),
        surname.to_lowercase(),
        local_part.to_uppercase(),
        "EXAMPLE.com".to_owned(),
        "tidings.dev".to_owned(),
        "  ada  ".to_owned(),
        "o".to_owned(),
        // LIKE wildcards are literal characters.
        "%".to_owned(),
        "_".to_owned(),
        "a%e".to_owned(),
        "nobody-is-called-this".to_owned(),
    ];
    for needle in &needles {
        let got = page(&server, &[("search", needle), ("limit", "100")]).await;
        let filter = UserFilter {
            search: Some(needle.clone()),
            ..Default::default()
        };
        assert_eq!(
            ids(&got.data),
            expected_ids(&filter, &all),
            "search {needle:?}"
        );
        assert_eq!(got.pagination.total, got.data.len() as u64);
        let trimmed = needle.trim().to_ascii_lowercase();
        for u in &got.data {
            assert!(
                u.name.as_str().to_ascii_lowercase().contains(&trimmed)
                    || u.email.as_str().contains(&trimmed),
                "{} <{}> does not contain {needle:?}",
                u.name,
                u.email
            );
        }
    }
    let by_surname = page(&server, &[("search", &needles[0]), ("limit", "100")]).await;
    assert!(by_surname.data.iter().any(|u| u.id == some_user.id));
    let none = page(&server, &[("search", "%"), ("limit", "100")]).await;
    assert!(none.data.is_empty() && none.pagination.total == 0);
    let blank = page(&server, &[("search", "   ")]).await;
    assert_eq!(
        blank.pagination.total, SEEDED_USERS as u64,
        "blank = no search"
    );
    server.stop().await;
}

#[tokio::test]
async fn role_filter_keeps_only_that_role() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    let mut total = 0;
    for role in Role::ALL {
        let got = page(&server, &[("role", role.as_str()), ("limit", "100")]).await;
        assert!(!got.data.is_empty(), "the seed has some {role}s");
        assert!(got.data.iter().all(|u| u.role == role), "{role}");
        let filter = UserFilter {
            role: Some(role),
            ..Default::default()
        };
        assert_eq!(ids(&got.data), expected_ids(&filter, &all), "{role}");
        assert_eq!(got.pagination.total, got.data.len() as u64);
        total += got.pagination.total;
    }
    assert_eq!(total, SEEDED_USERS as u64);
    server.stop().await;
}

#[tokio::test]
async fn every_sort_and_order_matches_the_shared_filter() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    for sort in UserSort::ALL {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let query = [("sort", sort.as_str()), ("order", order.as_str())];
            let mut q = query.to_vec();
            q.push(("limit", "100"));
            let got = page(&server, &q).await.data;
            let filter = UserFilter {
                sort,
                order,
                ..Default::default()
            };
            assert_eq!(ids(&got), expected_ids(&filter, &all), "{query:?}");

            // Independently of the shared filter: the column is monotonic.
            for pair in got.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let ordering = match sort {
                    UserSort::Name => a.name.as_str().cmp(b.name.as_str()),
                    UserSort::Email => a.email.as_str().cmp(b.email.as_str()),
                    UserSort::Role => a.role.as_str().cmp(b.role.as_str()),
                    UserSort::CreatedAt => a.created_at.cmp(&b.created_at),
                    UserSort::LastActive => a.last_active.cmp(&b.last_active),
                };
                let wrong = match order {
                    SortOrder::Asc => std::cmp::Ordering::Greater,
                    SortOrder::Desc => std::cmp::Ordering::Less,
                };
                assert_ne!(ordering, wrong, "{query:?}: {} then {}", a.id, b.id);
            }

            // Paging through the same order gives the same sequence, so ties
            // (many users share a role) break the same way on every page.
            let paged = all_pages(&server, &query, 7).await;
            assert_eq!(ids(&paged), ids(&got), "{query:?} in pages of 7");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn combined_filter_matches_the_shared_filter_across_pages() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    let cases: [(&str, Role, Option<bool>, UserSort, SortOrder); 5] = [
        ("example", Role::User, None, UserSort::Name, SortOrder::Asc),
        (
            "A",
            Role::Moderator,
            None,
            UserSort::LastActive,
            SortOrder::Desc,
        ),
        ("", Role::Admin, None, UserSort::Email, SortOrder::Asc),
        (
            "e",
            Role::User,
            Some(true),
            UserSort::LastActive,
            SortOrder::Asc,
        ),
        ("", Role::User, Some(false), UserSort::Name, SortOrder::Desc),
    ];
    for (search, role, active, sort, order) in cases {
        let active_text = active.map(|a| a.to_string()).unwrap_or_default();
        let query = [
            ("search", search),
            ("role", role.as_str()),
            ("active", active_text.as_str()),
            ("sort", sort.as_str()),
            ("order", order.as_str()),
        ];
        // `active` is evaluated at each request's time, between these two.
        let before = chrono::Utc::now();
        let got = all_pages(&server, &query, 4).await;
        let after = chrono::Utc::now();
        let filter = UserFilter {
            search: Some(search.to_owned()).filter(|s| !s.is_empty()),
            role: Some(role),
            active,
            sort,
            order,
        };
        let (early, late) = (
            ids_of(filter.apply_at(&all, before)),
            ids_of(filter.apply_at(&all, after)),
        );
        assert!(
            ids(&got) == early || ids(&got) == late,
            "{query:?}: got {:?}, expected {early:?} or {late:?}",
            ids(&got)
        );
        if active.is_none() {
            assert_eq!(ids(&got), expected_ids(&filter, &all), "{query:?}");
        }
    }
    server.stop().await;
}

fn ids_of(users: Vec<&User>) -> Vec<Uuid> {
    users.into_iter().map(|u| u.id).collect()
}

// --- get ------------------------------------------------------------------

#[tokio::test]
async fn get_by_id_returns_the_listed_user() {
    let server = TestServer::start_seeded().await;
    let all = server.all_users().await;
    for user in [&all[0], &all[31], &all[59]] {
        let reply = server.get(&format!("/api/users/{}", user.id)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.content_type().starts_with("application/json"));
        assert_user_shape(&reply.json());
        assert_eq!(&reply.parse::<User>(), user);
    }
    server.stop().await;
}

#[tokio::test]
async fn get_unknown_or_malformed_id_is_not_found() {
    let server = TestServer::start().await;
    for id in [
        Uuid::nil().to_string(),
        "0190a5f2-8c1e-7d3a-9b4c-5e6f7a8b9c0d".to_owned(),
        "not-a-uuid".to_owned(),
        "42".to_owned(),
    ] {
        let reply = server.get(&format!("/api/users/{id}")).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    server.stop().await;
}

// --- create ---------------------------------------------------------------

#[tokio::test]
async fn create_returns_201_with_the_new_user() {
    let server = TestServer::start().await;
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": "  Ada Lovelace ", "email": " Ada@Example.COM " }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let user = reply.json();
    assert_user_shape(&user);
    assert_eq!(user["name"], "Ada Lovelace", "trimmed");
    assert_eq!(user["email"], "ada@example.com", "lower-cased");
    assert_eq!(user["role"], "user", "default role");
    assert_eq!(
        user["preferences"],
        json!({ "theme": "system", "notifications": true, "language": "en" })
    );
    assert_eq!(user["avatarUrl"], Value::Null);
    assert_eq!(user["version"], 1);
    assert_eq!(user["createdAt"], user["updatedAt"]);
    Uuid::parse_str(&id_of(&user)).expect("id is a UUID");

    let fetched = server.get(&format!("/api/users/{}", id_of(&user))).await;
    assert_eq!(fetched.json(), user);

    let full = server
        .create_user_with(json!({
            "name": "Grace Hopper",
            "email": "grace@navy.mil",
            "role": "admin",
            "preferences": { "theme": "dark", "notifications": false, "language": "pt-BR" }
        }))
        .await;
    assert_eq!(full["role"], "admin");
    assert_eq!(
        full["preferences"],
        json!({ "theme": "dark", "notifications": false, "language": "pt-BR" })
    );
    let list = page(&server, &[]).await;
    assert_eq!(list.pagination.total, 2);
    assert_eq!(
        list.data[0].email.as_str(),
        "grace@navy.mil",
        "newest first"
    );
    server.stop().await;
}

#[tokio::test]
async fn create_with_a_taken_email_is_a_conflict() {
    let server = TestServer::start().await;
    server.create_user("Ada", "ada@example.com").await;
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": "Other Ada", "email": "ADA@Example.com" }),
        )
        .await;
    let details = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(
        details["email"].as_str().is_some_and(|m| !m.is_empty()),
        "{details}"
    );
    assert_eq!(page(&server, &[]).await.pagination.total, 1);
    server.stop().await;
}

#[tokio::test]
async fn create_names_every_bad_field() {
    let server = TestServer::start().await;
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": "   ", "email": "nope", "role": "king" }),
        )
        .await;
    assert_invalid(&reply, &["name", "email", "role"]);

    let reply = server
        .post_json(
            "/api/users",
            &json!({ "role": "admin", "preferences": { "theme": "neon", "language": "!" } }),
        )
        .await;
    let details = assert_invalid(
        &reply,
        &["name", "email", "preferences.theme", "preferences.language"],
    );
    assert_eq!(details["name"], "name is required");
    assert_eq!(details["email"], "email is required");

    let too_long = "x".repeat(101);
    let reply = server
        .post_json(
            "/api/users",
            &json!({ "name": too_long, "email": "a@b.co" }),
        )
        .await;
    assert_invalid(&reply, &["name"]);
    assert_eq!(
        page(&server, &[]).await.pagination.total,
        0,
        "nothing created"
    );
    server.stop().await;
}

// --- patch ----------------------------------------------------------------

/// Asserts `after` equals `before` except in `changed` and the bookkeeping
/// (`updatedAt` later, `version` one up).
fn assert_only_changed(before: &Value, after: &Value, changed: &[&str]) {
    assert_user_shape(after);
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert!(
        time_of(after, "updatedAt") > time_of(before, "updatedAt"),
        "updatedAt moves forward: {before} -> {after}"
    );
    for field in support::USER_FIELDS {
        if !changed.contains(&field) && !["updatedAt", "version"].contains(&field) {
            assert_eq!(after[field], before[field], "{field} must not change");
        }
    }
}

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let path = format!("/api/users/{}", id_of(&created));

    let reply = server
        .patch_if(&path, &etag(&created), &json!({ "name": "Ada King" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let v2 = reply.json();
    assert_eq!(v2["name"], "Ada King");
    assert_eq!(v2["version"], 2);
    assert_only_changed(&created, &v2, &["name"]);

    // Nested: one preference changes, the others stay.
    let v3 = server
        .patch_if(
            &path,
            &etag(&v2),
            &json!({ "preferences": { "theme": "dark" } }),
        )
        .await
        .json();
    assert_eq!(
        v3["preferences"],
        json!({ "theme": "dark", "notifications": true, "language": "en" })
    );
    assert_only_changed(&v2, &v3, &["preferences"]);

    let v4 = server
        .patch_if(
            &path,
            &etag(&v3),
            &json!({ "role": "moderator", "email": "KING@Example.com" }),
        )
        .await
        .json();
    assert_eq!(
        (v4["role"].as_str(), v4["email"].as_str()),
        (Some("moderator"), Some("king@example.com"))
    );
    assert_only_changed(&v3, &v4, &["role", "email"]);

    // The change is stored, not just answered.
    assert_eq!(server.get(&path).await.json(), v4);
    server.stop().await;
}

#[tokio::test]
async fn patch_refuses_empty_and_invalid_changes() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let path = format!("/api/users/{}", id_of(&created));

    let tag = etag(&created);
    assert_invalid(&server.patch_if(&path, &tag, &json!({})).await, &["body"]);
    let reply = server
        .patch_if(
            &path,
            &tag,
            &json!({ "name": "", "email": "x", "role": "king", "preferences": { "theme": "neon" } }),
        )
        .await;
    assert_invalid(&reply, &["name", "email", "role", "preferences.theme"]);
    assert_eq!(server.get(&path).await.json(), created, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn patch_to_a_taken_email_is_a_conflict() {
    let server = TestServer::start().await;
    server.create_user("Ada", "ada@example.com").await;
    let grace = server.create_user("Grace", "grace@example.com").await;
    let path = format!("/api/users/{}", id_of(&grace));
    let reply = server
        .patch_if(&path, &etag(&grace), &json!({ "email": "ADA@example.com" }))
        .await;
    let details = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(details["email"].is_string(), "{details}");
    assert_eq!(server.get(&path).await.json(), grace, "unchanged");

    // Re-stating one's own email in another case is not a conflict.
    let reply = server
        .patch_if(
            &path,
            &etag(&grace),
            &json!({ "email": "GRACE@example.com" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn patch_unknown_or_malformed_id_is_not_found() {
    let server = TestServer::start().await;
    for id in [Uuid::nil().to_string(), "not-a-uuid".to_owned()] {
        for if_match in ["*", "\"1\""] {
            let reply = server
                .patch_if(
                    &format!("/api/users/{id}"),
                    if_match,
                    &json!({ "name": "X" }),
                )
                .await;
            assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
        }
    }
    server.stop().await;
}

// --- delete ---------------------------------------------------------------

#[tokio::test]
async fn delete_then_get_is_not_found() {
    let server = TestServer::start().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let path = format!("/api/users/{}", id_of(&user));

    let reply = server.delete_if(&path, &etag(&user)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.text.is_empty(), "204 has no body");
    assert_error(&server.get(&path).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &server.delete_if(&path, &etag(&user)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &server.delete_if(&path, "*").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &server
            .patch_if(&path, &etag(&user), &json!({ "name": "Back" }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &server.delete_if("/api/users/not-a-uuid", "*").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(page(&server, &[]).await.pagination.total, 0);

    // The email is free again.
    server.create_user("Ada again", "ada@example.com").await;
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_user_deletes_their_posts() {
    let server = TestServer::start().await;
    let ada = id_of(&server.create_user("Ada", "ada@example.com").await);
    let grace = id_of(&server.create_user("Grace", "grace@example.com").await);
    let mut ada_posts = Vec::new();
    for n in 0..3 {
        let post = server
            .create_post(&ada, &format!("Ada {n}"), "Notes on engines.")
            .await;
        ada_posts.push(id_of(&post));
    }
    let grace_post = id_of(&server.create_post(&grace, "Grace", "Compilers.").await);

    assert_eq!(
        server
            .delete_if(&format!("/api/users/{ada}"), "*")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for id in &ada_posts {
        assert_error(
            &server.get(&format!("/api/posts/{id}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    let by_ada = server.posts_page(&[("authorId", &ada)]).await;
    assert!(by_ada.data.is_empty() && !by_ada.has_more);
    let feed = server.posts_page(&[]).await;
    let left: Vec<String> = feed.data.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(left, [grace_post], "only the other author's post remains");
    server.stop().await;
}

// --- concurrency ----------------------------------------------------------

/// Five single-writer fields, each patched once, and fifteen renames.
fn twenty_patches() -> Vec<Value> {
    let mut patches: Vec<Value> = vec![
        json!({ "email": "final@example.com" }),
        json!({ "role": "moderator" }),
        json!({ "preferences": { "theme": "dark" } }),
        json!({ "preferences": { "notifications": false } }),
        json!({ "preferences": { "language": "fr" } }),
    ];
    for n in 0..15 {
        patches.push(json!({ "name": format!("Name {n:02}") }));
    }
    patches
}

/// Sends every patch to `path` at once, each with `If-Match: *` (apply on
/// top of whatever is current); returns (patch, answer) pairs.
async fn patch_concurrently(
    server: &Arc<TestServer>,
    path: &str,
    patches: &[Value],
) -> Vec<(Value, Value)> {
    let tasks: Vec<_> = patches
        .iter()
        .cloned()
        .map(|body| {
            let server = server.clone();
            let path = path.to_owned();
            tokio::spawn(async move {
                let reply = server.patch_if(&path, "*", &body).await;
                assert_eq!(reply.status, StatusCode::OK, "{body}: {}", reply.text);
                (body, reply.json())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("patch task"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_one_user_lose_nothing() {
    let server = Arc::new(TestServer::start().await);
    let user = server.create_user("Start", "start@example.com").await;
    let path = format!("/api/users/{}", id_of(&user));
    let patches = twenty_patches();
    let answers = patch_concurrently(&server, &path, &patches).await;
    assert_eq!(answers.len(), 20);
    for (body, answer) in &answers {
        assert_user_shape(answer);
        // The answer carries at least this patch's own change.
        for (pointer, value) in [
            ("/name", body.get("name")),
            ("/email", body.get("email")),
            ("/role", body.get("role")),
            ("/preferences/theme", body.pointer("/preferences/theme")),
            (
                "/preferences/notifications",
                body.pointer("/preferences/notifications"),
            ),
            (
                "/preferences/language",
                body.pointer("/preferences/language"),
            ),
        ] {
            if let Some(value) = value {
                if pointer != "/name" {
                    assert_eq!(answer.pointer(pointer), Some(value), "{body} -> {answer}");
                }
            }
        }
    }

    // Twenty writes, twenty versions; every single-field change survived.
    let last = server.get(&path).await.json();
    assert_eq!(last["version"], 21, "{last}");
    assert_eq!(last["email"], "final@example.com");
    assert_eq!(last["role"], "moderator");
    assert_eq!(
        last["preferences"],
        json!({ "theme": "dark", "notifications": false, "language": "fr" })
    );
    let names: HashSet<&Value> = patches.iter().filter_map(|p| p.get("name")).collect();
    assert!(names.contains(&last["name"]), "{last}");
    assert_eq!(last["createdAt"], user["createdAt"]);
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_concurrent_patch_answers_its_own_write() {
    let server = Arc::new(TestServer::start().await);
    let user = server.create_user("Start", "start@example.com").await;
    let path = format!("/api/users/{}", id_of(&user));
    let answers = patch_concurrently(&server, &path, &twenty_patches()).await;

    // Each patch was applied exactly once, one after another: versions
    // 2..=21, one per answer.
    let mut by_version: BTreeMap<i64, (Value, Value)> = BTreeMap::new();
    for (body, answer) in answers {
        let version = answer["version"].as_i64().unwrap();
        assert!(
            by_version.insert(version, (body, answer)).is_none(),
            "two patches answered version {version}"
        );
    }
    assert_eq!(
        by_version.keys().copied().collect::<Vec<_>>(),
        (2..=21).collect::<Vec<_>>()
    );

    // Every answer holds every change made before it (nothing overwritten
    // by a stale read), and none made after it.
    let single_writer: [(&str, Value, Value); 5] = [
        (
            "/email",
            json!("start@example.com"),
            json!("final@example.com"),
        ),
        ("/role", json!("user"), json!("moderator")),
        ("/preferences/theme", json!("system"), json!("dark")),
        ("/preferences/notifications", json!(true), json!(false)),
        ("/preferences/language", json!("en"), json!("fr")),
    ];
    for (pointer, old, new) in &single_writer {
        let at = by_version
            .iter()
            .find(|(_, (body, _))| body.pointer(pointer).is_some())
            .map(|(v, _)| *v)
            .unwrap();
        for (version, (_, answer)) in &by_version {
            let expected = if *version >= at { new } else { old };
            assert_eq!(
                answer.pointer(pointer).unwrap(),
                expected,
                "{pointer} at version {version} (changed at {at})"
            );
        }
    }
    let mut last_name = json!("Start");
    for (version, (body, answer)) in &by_version {
        if let Some(name) = body.get("name") {
            last_name = name.clone();
        }
        assert_eq!(answer["name"], last_name, "name at version {version}");
    }
    let last = server.get(&path).await.json();
    assert_eq!(
        &last, &by_version[&21].1,
        "the last answer is what is stored"
    );
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_with_one_email_admit_exactly_one() {
    let server = Arc::new(TestServer::start().await);
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let server = server.clone();
            tokio::spawn(async move {
                // The same address in ten spellings.
                let email = if n % 2 == 0 {
                    "Same@Example.com"
                } else {
                    "same@EXAMPLE.COM"
                };
                let body = json!({ "name": format!("User {n}"), "email": email });
                server.post_json("/api/users", &body).await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        let reply = task.await.expect("create task");
        match reply.status {
            StatusCode::CREATED => created += 1,
            _ => {
                assert_error(&reply, StatusCode::CONFLICT, "conflict");
            }
        }
    }
    assert_eq!(created, 1);
    assert_eq!(page(&server, &[]).await.pagination.total, 1);
    let server = Arc::into_inner(server).expect("all tasks finished");
    server.stop().await;
}
