//! `GET /api/posts?search=`: the feed narrowed to posts whose title or
//! content contains the text, ASCII case folded and with `LIKE` wildcards
//! taken literally, on SQLite and on PostgreSQL alike; still keyset-paged,
//! combinable with `authorId`, and a bad value named.

use crate::support;

use reqwest::StatusCode;
use support::{assert_invalid, id_of, TestServer};
use tidings::Post;

/// Titles (and contents) of a small workspace, oldest first.
const POSTS: [(&str, &str); 6] = [
    ("Rust in production", "Notes from a year of services."),
    ("Gardening", "Tomatoes love the sun; RUSTY tools do not."),
    ("Sale: 100% off", "Everything must go."),
    ("Sale: 1000 off", "Nothing special."),
    ("Snake_case names", "Why we spell things this way."),
    ("Weather", "Rain again, then sun."),
];

/// Creates the workspace: one author for the first three posts, another
/// for the rest. Returns the two author ids.
async fn workspace(server: &TestServer) -> (String, String) {
    let ada = id_of(
        &server
            .create_user("Ada Search", "ada-search@example.com")
            .await,
    );
    let bob = id_of(
        &server
            .create_user("Bob Search", "bob-search@example.com")
            .await,
    );
    for (i, (title, content)) in POSTS.iter().enumerate() {
        let author = if i < 3 { &ada } else { &bob };
        server.create_post(author, title, content).await;
    }
    (ada, bob)
}

fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}

/// The titles the whole feed holds for `query` (every page followed).
async fn search(server: &TestServer, query: &[(&str, &str)], limit: usize) -> Vec<String> {
    let limit_text = limit.to_string();
    let mut q = query.to_vec();
    q.push(("limit", &limit_text));
    titles(&server.walk_posts(&q, limit).await)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

async fn matches_title_or_content_ignoring_case(server: TestServer) {
    let (ada, _) = workspace(&server).await;
    // Title and content both count, whatever the case; newest first.
    assert_eq!(
        search(&server, &[("search", "rUsT")], 20).await,
        ["Gardening", "Rust in production"]
    );
    assert_eq!(
        search(&server, &[("search", "sun")], 20).await,
        ["Weather", "Gardening"]
    );
    // `%` and `_` are text, not wildcards.
    assert_eq!(
        search(&server, &[("search", "100%")], 20).await,
        ["Sale: 100% off"]
    );
    assert_eq!(
        search(&server, &[("search", "e_c")], 20).await,
        ["Snake_case names"]
    );
    // Surrounding blanks are trimmed; no match is an empty page.
    assert_eq!(
        search(&server, &[("search", "  weather ")], 20).await,
        ["Weather"]
    );
    assert!(search(&server, &[("search", "zebra")], 20).await.is_empty());
    // Paged by the cursor like the whole feed, and combined with the author.
    assert_eq!(
        search(&server, &[("search", "s")], 2).await,
        [
            "Weather",
            "Snake_case names",
            "Sale: 1000 off",
            "Sale: 100% off",
            "Gardening",
            "Rust in production"
        ]
    );
    assert_eq!(
        search(&server, &[("search", "sale"), ("authorId", &ada)], 20).await,
        ["Sale: 100% off"]
    );
    server.stop().await;
}

#[tokio::test]
async fn search_matches_title_or_content_ignoring_case_on_sqlite() {
    matches_title_or_content_ignoring_case(TestServer::start().await).await;
}

#[tokio::test]
async fn search_matches_title_or_content_ignoring_case_on_postgres() {
    matches_title_or_content_ignoring_case(TestServer::start_postgres().await).await;
}

#[tokio::test]
async fn a_search_too_long_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    let long = "x".repeat(tidings::MAX_SEARCH_LEN + 1);
    let reply = server.get_query("/api/posts", &[("search", &long)]).await;
    let details = assert_invalid(&reply, &["search"]);
    assert!(
        details["search"].as_str().unwrap().contains("at most 100"),
        "{details}"
    );
    // With another bad parameter, each is named.
    let reply = server
        .get_query("/api/posts", &[("search", &long), ("limit", "0")])
        .await;
    assert_invalid(&reply, &["limit", "search"]);
    // An empty search is no search.
    let reply = server.get_query("/api/posts", &[("search", "   ")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    server.stop().await;
}
