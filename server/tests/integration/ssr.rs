//! Server rendering: the pages come back as complete HTML with the data in
//! them (no JavaScript needed to read a list), and unknown pages are 404s.
//! The compiled site files (`target/site`) need not exist for this.

use crate::support;

use reqwest::StatusCode;
use support::{id_of, Reply, TestServer};
use tidings::{CursorPage, Page, Post, User};

fn assert_html(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(
        reply.content_type().starts_with("text/html"),
        "content type {:?}",
        reply.content_type()
    );
    assert!(reply.text.contains("<html"), "a whole document");
}

#[tokio::test]
async fn users_page_renders_the_first_page_of_users() {
    let server = TestServer::start_seeded().await;
    let reply = server.get("/users").await;
    assert_html(&reply, StatusCode::OK);
    let html = &reply.text;
    assert!(html.contains(r#"data-testid="users-table""#));

    // The page shows 25 users, newest first: the API's first 25.
    let first: Page<User> = server
        .get_query("/api/users", &[("limit", "25")])
        .await
        .parse();
    for user in &first.data {
        assert!(
            html.contains(&format!(r#"data-user-id="{}""#, user.id)),
            "{} is on page 1",
            user.id
        );
        assert!(html.contains(user.name.as_str()), "{}", user.name);
        assert!(html.contains(user.email.as_str()), "{}", user.email);
    }
    assert_eq!(html.matches(r#"data-testid="user-row""#).count(), 25);
    assert!(html.contains("Page 1 of 3 · 60 users"));

    // The next page, by query string.
    let second = server.get("/users?page=2").await;
    assert_html(&second, StatusCode::OK);
    let page2: Page<User> = server
        .get_query("/api/users", &[("limit", "25"), ("page", "2")])
        .await
        .parse();
    for user in &page2.data {
        assert!(second
            .text
            .contains(&format!(r#"data-user-id="{}""#, user.id)));
    }
    assert!(second.text.contains("Page 2 of 3 · 60 users"));
    server.stop().await;
}

#[tokio::test]
async fn home_page_is_the_users_page() {
    let server = TestServer::start_seeded().await;
    let reply = server.get("/").await;
    assert_html(&reply, StatusCode::OK);
    assert!(reply.text.contains(r#"data-testid="users-table""#));
    server.stop().await;
}

#[tokio::test]
async fn posts_page_renders_the_newest_posts() {
    let server = TestServer::start_seeded().await;
    let reply = server.get("/posts").await;
    assert_html(&reply, StatusCode::OK);
    let html = &reply.text;
    let feed: CursorPage<Post> = server.get("/api/posts").await.parse();
    let users: Page<User> = server
        .get_query("/api/users", &[("limit", "100")])
        .await
        .parse();
    for post in &feed.data {
        assert!(
            html.contains(&format!(r#"data-post-id="{}""#, post.id)),
            "{} is on the page",
            post.id
        );
        assert!(html.contains(post.title.as_str()), "{}", post.title);
        let author = users.data.iter().find(|u| u.id == post.author_id).unwrap();
        assert!(html.contains(author.name.as_str()), "{}", author.name);
    }
    assert_eq!(html.matches(r#"data-testid="post-item""#).count(), 20);
    // More exist: the page offers them.
    assert!(html.contains(r#"data-testid="posts-load-more""#));
    server.stop().await;
}

#[tokio::test]
async fn pages_show_what_the_api_just_wrote_and_escape_it() {
    let server = TestServer::start().await;
    let user = server
        .create_user("<script>alert(1)</script> & Co", "mallory@example.com")
        .await;
    server
        .create_post(&id_of(&user), "Fresh <b>news</b>", "Body & soul.")
        .await;

    let users = server.get("/users").await;
    assert_html(&users, StatusCode::OK);
    assert!(users.text.contains("mallory@example.com"));
    assert!(users
        .text
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(!users.text.contains("<script>alert(1)"), "text is escaped");

    let posts = server.get("/posts").await;
    assert_html(&posts, StatusCode::OK);
    assert!(posts.text.contains("Fresh &lt;b&gt;news&lt;/b&gt;"));
    assert!(!posts.text.contains("<b>news</b>"));
    assert!(posts.text.contains("Body &amp; soul."));
    server.stop().await;
}

#[tokio::test]
async fn empty_store_renders_empty_pages() {
    let server = TestServer::start().await;
    let users = server.get("/users").await;
    assert_html(&users, StatusCode::OK);
    assert!(users.text.contains(r#"data-testid="users-empty""#));
    assert!(users.text.contains("Page 1 of 1 · 0 users"));
    let posts = server.get("/posts").await;
    assert_html(&posts, StatusCode::OK);
    assert_eq!(posts.text.matches(r#"data-testid="post-item""#).count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let server = TestServer::start_seeded().await;
    for path in [
        "/nope",
        "/users/extra/segments",
        "/posts/123",
        "/pkg/missing.js",
    ] {
        let reply = server.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
    }
    let reply = server.get("/nope").await;
    assert_html(&reply, StatusCode::NOT_FOUND);
    assert!(reply.text.contains("Page not found"));
    server.stop().await;
}

#[tokio::test]
async fn a_post_has_its_own_page() {
    let server = TestServer::start().await;
    let user = server
        .create_user("Grace Hopper", "grace@example.com")
        .await;
    let post = server
        .create_post(&id_of(&user), "Compilers <3", "Nanoseconds & wire.")
        .await;
    let reply = server.get(&format!("/posts/{}", id_of(&post))).await;
    assert_html(&reply, StatusCode::OK);
    let html = &reply.text;
    assert!(html.contains(r#"data-testid="post-detail""#));
    assert!(html.contains("Compilers &lt;3"), "the title, escaped");
    assert!(html.contains("Nanoseconds &amp; wire."), "the content");
    assert!(html.contains("Grace Hopper"), "the author");

    let missing = server.get(&format!("/posts/{}", uuid::Uuid::nil())).await;
    assert_html(&missing, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("Page not found"));
    server.stop().await;
}

#[tokio::test]
async fn a_user_has_their_own_page_with_their_posts() {
    let server = TestServer::start().await;
    let user = server
        .create_user("Ada <Lovelace>", "ada@example.com")
        .await;
    server
        .create_post(&id_of(&user), "Notes & sketches", "On the engine.")
        .await;
    let reply = server.get(&format!("/users/{}", id_of(&user))).await;
    assert_html(&reply, StatusCode::OK);
    let html = &reply.text;
    assert!(html.contains(r#"data-testid="user-page""#));
    assert!(html.contains("Ada &lt;Lovelace&gt;"), "the name, escaped");
    assert!(html.contains("ada@example.com"), "the email");
    assert!(html.contains("Notes &amp; sketches"), "the user's post");
    assert_eq!(html.matches(r#"data-testid="user-post""#).count(), 1);

    let missing = server.get(&format!("/users/{}", uuid::Uuid::nil())).await;
    assert_html(&missing, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("Page not found"));
    server.stop().await;
}

/// Many readers at once, on one server as deployed (a multi-threaded
/// runtime): every page comes back whole. A render that lost the wake-up
/// of its data would hold its answer until the client gave up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_rendered_side_by_side_all_complete() {
    let server = TestServer::start_seeded().await;
    let posts: CursorPage<Post> = server
        .get_query("/api/posts", &[("limit", "5")])
        .await
        .parse();
    let mut paths = vec!["/users".to_string(), "/posts".to_string()];
    paths.extend(posts.data.iter().map(|p| format!("/posts/{}", p.id)));
    paths.push(format!("/users/{}", posts.data[0].author_id));

    // No other server renders or starts meanwhile; these renders overlap.
    let alone = support::pages_alone().await;
    let mut renders = tokio::task::JoinSet::new();
    for round in 0..12 {
        for path in &paths {
            let request = server.client.get(server.url(path));
            let path = path.clone();
            renders.spawn(async move {
                let response = request.send().await.expect("request reaches the server");
                let status = response.status();
                let html = response.text().await.expect("read the page");
                (round, path, status, html)
            });
        }
    }
    let mut done = 0;
    while let Some(joined) = renders.join_next().await {
        let (round, path, status, html) = joined.expect("a render task");
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(
            html.contains("</html>"),
            "{path} (round {round}) whole: ...{}",
            &html[html.len().saturating_sub(200)..]
        );
        done += 1;
    }
    drop(alone);
    assert_eq!(done, 12 * paths.len());
    server.stop().await;
}
