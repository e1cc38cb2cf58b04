//! `/api/posts` against a real server: the keyset-paged feed, the author
//! filter, get, create, patch and delete.

use crate::support;

use std::collections::HashSet;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    assert_error, assert_invalid, assert_post_shape, etag, id_of, time_of, TestServer, SEEDED_POSTS,
};
use tidings::Post;
use uuid::Uuid;

/// Asserts the feed order: strictly newest first by (createdAt, id).
fn assert_newest_first(posts: &[Post]) {
    for pair in posts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (a.created_at, a.id) > (b.created_at, b.id),
            "{} ({}) must come after {} ({})",
            b.id,
            b.created_at,
            a.id,
            a.created_at
        );
    }
}

// --- the feed -------------------------------------------------------------

#[tokio::test]
async fn first_page_has_the_default_limit_and_camel_case_fields() {
    let server = TestServer::start_seeded().await;
    let reply = server.get("/api/posts").await;
    assert_eq!(reply.status, StatusCode::OK);
    let json = reply.json();
    assert_eq!(
        support::keys(&json),
        ["data", "nextCursor", "hasMore", "prevCursor"]
            .into_iter()
            .collect()
    );
    let data = json["data"].as_array().unwrap();
    assert_eq!(data.len(), tidings::DEFAULT_LIMIT as usize);
    data.iter().for_each(assert_post_shape);
    assert_eq!(json["hasMore"], true);
    assert!(json["nextCursor"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(
        json["prevCursor"],
        Value::Null,
        "nothing is newer than the head"
    );
    server.stop().await;
}

#[tokio::test]
async fn following_the_cursor_shows_every_post_once_newest_first() {
    let server = TestServer::start_seeded().await;
    let posts = server
        .walk_posts(&[], tidings::DEFAULT_LIMIT as usize)
        .await;
    assert_eq!(posts.len(), SEEDED_POSTS);
    let unique: HashSet<Uuid> = posts.iter().map(|p| p.id).collect();
    assert_eq!(unique.len(), SEEDED_POSTS, "no post twice");
    assert_newest_first(&posts);

    // 2,000 is a multiple of 20: the last page is full and says it is last.
    let last_cursor = {
        let p = &posts[SEEDED_POSTS - 21];
        format!("{}_{}", p.created_at.timestamp_micros(), p.id)
    };
    let last = server.posts_page(&[("cursor", &last_cursor)]).await;
    assert_eq!(last.data.len(), 20);
    assert!(!last.has_more);
    let raw = server
        .get_query("/api/posts", &[("cursor", &last_cursor)])
        .await
        .json();
    assert_eq!(raw["nextCursor"], Value::Null);
    assert_eq!(raw["hasMore"], false);

    // Another page size walks the same sequence.
    let by_33 = server.walk_posts(&[("limit", "33")], 33).await;
    let ids = |v: &[Post]| v.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(&by_33), ids(&posts));
    let by_100 = server.walk_posts(&[("limit", "100")], 100).await;
    assert_eq!(by_100, posts);
    server.stop().await;
}

#[tokio::test]
async fn cursor_pages_stay_stable_when_posts_are_added() {
    let server = TestServer::start().await;
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(id_of(
            &server
                .create_post(&author, &format!("Post {n}"), "Body.")
                .await,
        ));
    }
    let first = server.posts_page(&[("limit", "3")]).await;
    let first_ids: Vec<String> = first.data.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(
        first_ids,
        created[4..7].iter().rev().cloned().collect::<Vec<_>>()
    );

    // A new post goes on top; the next page continues where the first ended.
    server.create_post(&author, "Newest", "Body.").await;
    let cursor = first.next_cursor.unwrap();
    let second = server
        .posts_page(&[("limit", "3"), ("cursor", &cursor)])
        .await;
    let second_ids: Vec<String> = second.data.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(
        second_ids,
        created[1..4].iter().rev().cloned().collect::<Vec<_>>()
    );
    let third = server
        .posts_page(&[("limit", "3"), ("cursor", &second.next_cursor.unwrap())])
        .await;
    assert_eq!(third.data.len(), 1);
    assert_eq!(third.data[0].id.to_string(), created[0]);
    assert!(!third.has_more && third.next_cursor.is_none());
    server.stop().await;
}

/// The ids of a page, newest first.
fn ids(page: &tidings::CursorPage<Post>) -> Vec<Uuid> {
    page.data.iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn prev_cursor_pages_back_through_the_same_pages() {
    let server = TestServer::start().await;
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    for n in 0..10 {
        server
            .create_post(&author, &format!("Post {n}"), "Body.")
            .await;
    }
    let mut forward = vec![server.posts_page(&[("limit", "3")]).await];
    while let Some(cursor) = forward.last().unwrap().next_cursor.clone() {
        let page = server
            .posts_page(&[("limit", "3"), ("cursor", &cursor)])
            .await;
        assert!(
            page.prev_cursor.is_some(),
            "a page after the head has newer posts"
        );
        forward.push(page);
    }
    assert_eq!(
        forward.iter().map(|p| p.data.len()).collect::<Vec<_>>(),
        [3, 3, 3, 1]
    );

    // From the last page back to the head, by `before` = `prevCursor`.
    let mut back = vec![forward.last().unwrap().clone()];
    while let Some(before) = back.last().unwrap().prev_cursor.clone() {
        let page = server
            .posts_page(&[("limit", "3"), ("before", &before)])
            .await;
        assert!(page.has_more, "a page before another has older posts");
        back.push(page);
    }
    back.reverse();
    assert_eq!(
        back.iter().map(ids).collect::<Vec<_>>(),
        forward.iter().map(ids).collect::<Vec<_>>()
    );
    assert_eq!(back[0].next_cursor, forward[0].next_cursor);

    // A post written since: the page before the old head holds it alone,
    // and it is the head now.
    let newest = id_of(&server.create_post(&author, "Newest", "Body.").await);
    let old_head = &forward[0].data[0];
    let position = format!("{}_{}", old_head.created_at.timestamp_micros(), old_head.id);
    let above = server
        .posts_page(&[("limit", "3"), ("before", &position)])
        .await;
    assert_eq!(ids(&above), [newest.parse::<Uuid>().unwrap()]);
    assert!(above.prev_cursor.is_none() && above.has_more);

    // Both bounds: the posts between them, newest first.
    let (top, bottom) = (&forward[0].data[0], &forward[2].data[0]);
    let at = |p: &Post| format!("{}_{}", p.created_at.timestamp_micros(), p.id);
    let between = server
        .posts_page(&[
            ("limit", "10"),
            ("cursor", &at(top)),
            ("before", &at(bottom)),
        ])
        .await;
    let expected: Vec<Uuid> = forward[0].data[1..]
        .iter()
        .chain(&forward[1].data)
        .map(|p| p.id)
        .collect();
    assert_eq!(ids(&between), expected);
    assert!(between.prev_cursor.is_some() && between.has_more);

    let bad = server.get_query("/api/posts", &[("before", "zzz")]).await;
    assert_invalid(&bad, &["before"]);
    server.stop().await;
}

#[tokio::test]
async fn empty_feed() {
    let server = TestServer::start().await;
    let raw = server.get("/api/posts").await.json();
    assert_eq!(
        raw,
        json!({ "data": [], "nextCursor": null, "hasMore": false, "prevCursor": null })
    );
    server.stop().await;
}

#[tokio::test]
async fn author_filter_returns_only_that_authors_posts() {
    let server = TestServer::start_seeded().await;
    let everything = server.walk_posts(&[("limit", "100")], 100).await;
    let users = server.all_users().await;
    let mut checked = 0;
    for user in users.iter().step_by(7) {
        let author = user.id.to_string();
        let expected: Vec<&Post> = everything
            .iter()
            .filter(|p| p.author_id == user.id)
            .collect();
        let got = server
            .walk_posts(&[("authorId", &author), ("limit", "10")], 10)
            .await;
        assert!(got.iter().all(|p| p.author_id == user.id), "{author}");
        assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{author}");
        assert_newest_first(&got);
        checked += got.len();
    }
    assert!(checked > 0, "the sampled authors wrote something");

    // A well-formed id nobody has: an empty feed, not an error.
    let nobody = server
        .posts_page(&[("authorId", &Uuid::nil().to_string())])
        .await;
    assert!(nobody.data.is_empty() && !nobody.has_more && nobody.next_cursor.is_none());
    server.stop().await;
}

#[tokio::test]
async fn invalid_list_parameters_are_named() {
    let server = TestServer::start_seeded().await;
    let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
    for cursor in [
        "garbage!".to_owned(),
        "aGVsbG8".to_owned(),
        forged("x|y"),
        forged(&format!("yesterday|{}", Uuid::nil())),
        forged("2026-01-01T00:00:00.000000Z|not-a-uuid"),
        // A cursor of the old base64 form, and near misses of the new one.
        forged(&format!("2026-01-01T00:00:00.000000Z|{}", Uuid::nil())),
        format!("_{}", Uuid::nil()),
        format!("-5_{}", Uuid::nil()),
        format!("12345678901234567_{}", Uuid::nil()),
        format!("5_{}", Uuid::nil().simple()),
        format!(" 5_{}", Uuid::nil()),
    ] {
        let reply = server.get_query("/api/posts", &[("cursor", &cursor)]).await;
        assert_invalid(&reply, &["cursor"]);
    }
    let simple = Uuid::nil().simple().to_string();
    let padded = format!(" {}", Uuid::nil());
    for author in ["abc", "42", "not-a-uuid", &simple, &padded] {
        let reply = server
            .get_query("/api/posts", &[("authorId", author)])
            .await;
        assert_invalid(&reply, &["authorId"]);
    }
    for limit in ["0", "101", "abc", "-1", "1.5", ""] {
        let reply = server.get_query("/api/posts", &[("limit", limit)]).await;
        assert_invalid(&reply, &["limit"]);
    }
    let both = server
        .get_query("/api/posts", &[("limit", "0"), ("authorId", "x")])
        .await;
    assert_invalid(&both, &["limit", "authorId"]);

    for (limit, len) in [("1", 1), ("100", 100)] {
        let page = server.posts_page(&[("limit", limit)]).await;
        assert_eq!(page.data.len(), len);
    }
    server.stop().await;
}

// --- get / create ---------------------------------------------------------

#[tokio::test]
async fn create_returns_201_and_leads_the_feed() {
    let server = TestServer::start_seeded().await;
    let author = server.all_users().await[5].id.to_string();
    let reply = server
        .post_json(
            "/api/posts",
            &json!({ "title": "  Hello ", "content": " First line.\n\nSecond. ", "authorId": author }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let post = reply.json();
    assert_post_shape(&post);
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["content"], "First line.\n\nSecond.");
    assert_eq!(post["authorId"], author.as_str());
    assert_eq!(post["version"], 1);
    assert_eq!(post["createdAt"], post["updatedAt"]);

    let feed = server.get("/api/posts").await.json();
    assert_eq!(feed["data"][0], post, "the new post is first");
    assert_eq!(feed["data"].as_array().unwrap().len(), 20);
    let by_author = server.posts_page(&[("authorId", &author)]).await;
    assert_eq!(by_author.data[0].id.to_string(), id_of(&post));
    let fetched = server.get(&format!("/api/posts/{}", id_of(&post))).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json(), post);
    server.stop().await;
}

#[tokio::test]
async fn get_unknown_or_malformed_id_is_not_found() {
    let server = TestServer::start().await;
    for id in [Uuid::nil().to_string(), "nope".to_owned(), "1".to_owned()] {
        let reply = server.get(&format!("/api/posts/{id}")).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    server.stop().await;
}

#[tokio::test]
async fn create_with_an_unknown_author_names_author_id() {
    let server = TestServer::start().await;
    for author in [Uuid::nil().to_string(), "42".to_owned()] {
        let reply = server
            .post_json(
                "/api/posts",
                &json!({ "title": "T", "content": "C", "authorId": author }),
            )
            .await;
        assert_invalid(&reply, &["authorId"]);
    }
    assert!(server.posts_page(&[]).await.data.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn create_names_every_missing_or_bad_field() {
    let server = TestServer::start().await;
    // `authorId` may be left out: the author is then the caller.
    let details = assert_invalid(
        &server.post_json("/api/posts", &json!({})).await,
        &["title", "content"],
    );
    assert_eq!(details["title"], "title is required");
    assert_eq!(details["content"], "content is required");

    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let reply = server
        .post_json(
            "/api/posts",
            &json!({ "title": "a\nb", "content": "x".repeat(10_001), "authorId": author }),
        )
        .await;
    assert_invalid(&reply, &["title", "content"]);
    let reply = server
        .post_json(
            "/api/posts",
            &json!({ "title": " ", "content": " ", "authorId": "" }),
        )
        .await;
    assert_invalid(&reply, &["title", "content", "authorId"]);
    assert!(server.posts_page(&[]).await.data.is_empty());
    server.stop().await;
}

// --- patch / delete -------------------------------------------------------

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let server = TestServer::start().await;
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let created = server.create_post(&author, "Draft", "Body.").await;
    let path = format!("/api/posts/{}", id_of(&created));

    let reply = server
        .patch_if(&path, &etag(&created), &json!({ "title": "Final" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let v2 = reply.json();
    assert_post_shape(&v2);
    assert_eq!(v2["title"], "Final");
    assert_eq!(v2["version"], 2);
    assert!(time_of(&v2, "updatedAt") > time_of(&created, "updatedAt"));
    for field in ["id", "content", "authorId", "createdAt"] {
        assert_eq!(v2[field], created[field], "{field} must not change");
    }

    let v3 = server
        .patch_if(&path, &etag(&v2), &json!({ "content": "New body." }))
        .await
        .json();
    assert_eq!(
        (v3["title"].as_str(), v3["content"].as_str()),
        (Some("Final"), Some("New body."))
    );
    assert_eq!(v3["version"], 3);
    assert_eq!(server.get(&path).await.json(), v3);

    let tag = etag(&v3);
    assert_invalid(&server.patch_if(&path, &tag, &json!({})).await, &["body"]);
    assert_invalid(
        &server
            .patch_if(&path, &tag, &json!({ "title": "", "content": " " }))
            .await,
        &["title", "content"],
    );
    // The author is not something a patch can change.
    assert_invalid(
        &server
            .patch_if(&path, &tag, &json!({ "authorId": Uuid::nil() }))
            .await,
        &["authorId"],
    );
    assert_eq!(server.get(&path).await.json(), v3, "unchanged by refusals");

    for id in [Uuid::nil().to_string(), "nope".to_owned()] {
        let reply = server
            .patch_if(&format!("/api/posts/{id}"), "*", &json!({ "title": "X" }))
            .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    server.stop().await;
}

#[tokio::test]
async fn delete_then_get_is_not_found() {
    let server = TestServer::start().await;
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let keep = server.create_post(&author, "Keep", "Body.").await;
    let post = server.create_post(&author, "Drop", "Body.").await;
    let path = format!("/api/posts/{}", id_of(&post));

    let reply = server.delete_if(&path, &etag(&post)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.text.is_empty());
    assert_error(&server.get(&path).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &server.delete_if(&path, &etag(&post)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &server.delete_if("/api/posts/nope", "*").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let feed = server.posts_page(&[]).await;
    assert_eq!(feed.data.len(), 1);
    assert_eq!(feed.data[0].id.to_string(), id_of(&keep));
    // The author is untouched.
    let user = server.get(&format!("/api/users/{author}")).await;
    assert_eq!(user.status, StatusCode::OK);
    server.stop().await;
}

/// Twenty patches of one post at once, each with `If-Match: *`: nineteen
/// retitles and one new content. Returns the versions the answers carry.
async fn patch_post_concurrently(server: &Arc<TestServer>, path: &str) -> Vec<i64> {
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let (server, path) = (server.clone(), path.to_owned());
            tokio::spawn(async move {
                let body = if n == 7 {
                    json!({ "content": "Final content." })
                } else {
                    json!({ "title": format!("Title {n}") })
                };
                let reply = server.patch_if(&path, "*", &body).await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
                let answer = reply.json();
                assert_post_shape(&answer);
                if n == 7 {
                    assert_eq!(answer["content"], "Final content.");
                }
                answer["version"].as_i64().unwrap()
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.unwrap());
    }
    versions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_one_post_lose_nothing() {
    let server = Arc::new(TestServer::start().await);
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = server.create_post(&author, "T", "C").await;
    let path = format!("/api/posts/{}", id_of(&post));
    let versions = patch_post_concurrently(&server, &path).await;
    assert!(
        versions.iter().all(|v| (2..=21).contains(v)),
        "{versions:?}"
    );
    let last = server.get(&path).await.json();
    assert_eq!(last["version"], 21);
    assert_eq!(
        last["content"], "Final content.",
        "the content patch survived"
    );
    assert!(last["title"].as_str().unwrap().starts_with("Title "));
    let server = Arc::into_inner(server).unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_concurrent_post_patch_answers_its_own_version() {
    let server = Arc::new(TestServer::start().await);
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = server.create_post(&author, "T", "C").await;
    let path = format!("/api/posts/{}", id_of(&post));
    let mut versions = patch_post_concurrently(&server, &path).await;
    versions.sort_unstable();
    assert_eq!(versions, (2..=21).collect::<Vec<_>>());
    let server = Arc::into_inner(server).unwrap();
    server.stop().await;
}

/// The cursor is written `<microseconds>_<post id>`, the form the OpenAPI
/// document gives, and any cursor of that form is a position in the feed:
/// the page after it, whether or not the server issued it.
#[tokio::test]
async fn a_cursor_of_the_documented_form_names_a_position() {
    let server = TestServer::start().await;
    let author = id_of(&server.create_user("Ada", "ada@example.com").await);
    for n in 0..3 {
        server
            .create_post(&author, &format!("Post {n}"), "Body.")
            .await;
    }
    let first = server.posts_page(&[("limit", "1")]).await;
    let cursor = first.next_cursor.clone().expect("a next page");
    let (micros, id) = cursor.split_once('_').expect("<micros>_<id>");
    assert!(micros.bytes().all(|b| b.is_ascii_digit()), "{cursor}");
    assert_eq!(id, first.data[0].id.to_string());
    assert_eq!(
        micros.parse::<i64>().unwrap(),
        first.data[0].created_at.timestamp_micros()
    );
    // A position of our own: after the newest post's time and the largest
    // id, so every post is older; and one before every post.
    let newest = &first.data[0];
    let after_all = format!(
        "{}_{}",
        newest.created_at.timestamp_micros() + 1,
        Uuid::max()
    );
    let everything = server.posts_page(&[("cursor", &after_all)]).await;
    assert_eq!(everything.data.len(), 3);
    let before_all = format!("0_{}", Uuid::nil());
    let nothing = server.posts_page(&[("cursor", &before_all)]).await;
    assert!(nothing.data.is_empty() && !nothing.has_more);
    server.stop().await;
}
