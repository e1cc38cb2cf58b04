//! Cross-cutting error behaviour of the API: every bad request gets the one
//! JSON error shape `{"error":{"code","message","details"}}` with the right
//! status, on every write endpoint, and never a 500. PATCH requests carry
//! `If-Match: *`, so that what is judged is the body.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{assert_error, assert_invalid, id_of, TestServer};

/// A write endpoint that takes a JSON body.
struct Target {
    method: Method,
    path: String,
    /// Whether the endpoint is for users (else posts).
    users: bool,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A server holding one user and one post, and the four JSON endpoints.
async fn setup() -> (TestServer, Vec<Target>) {
    let server = TestServer::start().await;
    let user = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = id_of(&server.create_post(&user, "Title", "Content.").await);
    let targets = vec![
        Target {
            method: Method::POST,
            path: "/api/users".into(),
            users: true,
        },
        Target {
            method: Method::PATCH,
            path: format!("/api/users/{user}"),
            users: true,
        },
        Target {
            method: Method::POST,
            path: "/api/posts".into(),
            users: false,
        },
        Target {
            method: Method::PATCH,
            path: format!("/api/posts/{post}"),
            users: false,
        },
    ];
    (server, targets)
}

async fn send(server: &TestServer, target: &Target, body: &str) -> support::Reply {
    send_as(server, target, Some("application/json"), body).await
}

/// `body` to `target` declared as `content_type`, with `If-Match: *` on a
/// PATCH.
async fn send_as(
    server: &TestServer,
    target: &Target,
    content_type: Option<&str>,
    body: &str,
) -> support::Reply {
    let mut request = server
        .client
        .request(target.method.clone(), server.url(&target.path))
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header(reqwest::header::CONTENT_TYPE, content_type);
    }
    if target.method == Method::PATCH {
        request = request.header(reqwest::header::IF_MATCH, "*");
    }
    server.call(request).await
}

/// Nothing changed: the user and the post are as created.
async fn assert_untouched(server: &TestServer) {
    let users = server.all_users().await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].version, 1);
    let posts = server.posts_page(&[]).await.data;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].version, 1);
}

#[tokio::test]
async fn syntax_errors_are_400_malformed_json() {
    let (server, targets) = setup().await;
    for target in &targets {
        // A field the endpoint knows, so the syntax is the first problem.
        let f = if target.users { "name" } else { "title" };
        for body in [
            "{".to_owned(),
            "".to_owned(),
            "   ".to_owned(),
            "not json".to_owned(),
            format!(r#"{{"{f}": "#),
            format!(r#"{{"{f}": "x",}}"#),
            format!(r#"{{"{f}": 'x'}}"#),
            format!(r#"{{"{f}" "x"}}"#),
            format!(r#"{{"{f}": "unterminated}}"#),
        ] {
            let reply = send(&server, target, &body).await;
            let details = assert_error(&reply, StatusCode::BAD_REQUEST, "malformed_json");
            assert!(details.is_null(), "{target} {body:?}: {details}");
        }
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field() {
    let (server, targets) = setup().await;
    for target in &targets {
        let cases: &[(&str, &str)] = if target.users {
            &[
                (r#"{"name": 5}"#, "name"),
                (r#"{"email": true}"#, "email"),
                (r#"{"role": ["admin"]}"#, "role"),
                (r#"{"preferences": "dark"}"#, "preferences"),
                (
                    r#"{"preferences": {"notifications": "yes"}}"#,
                    "preferences.notifications",
                ),
                (r#"{"preferences": {"theme": 1}}"#, "preferences.theme"),
            ]
        } else {
            &[
                (r#"{"title": 5}"#, "title"),
                (r#"{"content": {"text": "x"}}"#, "content"),
                (r#"{"title": "T", "content": false}"#, "content"),
            ]
        };
        for (body, field) in cases {
            let reply = send(&server, target, body).await;
            let details = assert_invalid(&reply, &[field]);
            assert!(
                details[*field].as_str().unwrap().contains("invalid type"),
                "{target} {body}: {details}"
            );
        }
    }
    // Only on posts' creation is `authorId` a field; there it is a string.
    let reply = send(&server, &targets[2], r#"{"authorId": 5}"#).await;
    assert_invalid(&reply, &["authorId"]);
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_fields_are_422_naming_them() {
    let (server, targets) = setup().await;
    for target in &targets {
        for (body, field) in [
            (r#"{"nmae": "x"}"#, "nmae"),
            (r#"{"id": "x"}"#, "id"),
            (r#"{"version": 3}"#, "version"),
        ] {
            let reply = send(&server, target, body).await;
            let details = assert_invalid(&reply, &[field]);
            assert!(
                details[field].as_str().unwrap().contains("unknown field"),
                "{target} {body}: {details}"
            );
        }
        let misspelt = if target.users {
            (r#"{"name": "Ada", "emial": "a@b.co"}"#, "emial")
        } else {
            (r#"{"title": "T", "tilte": "T"}"#, "tilte")
        };
        assert_invalid(&send(&server, target, misspelt.0).await, &[misspelt.1]);
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_nested_fields_are_422() {
    let (server, targets) = setup().await;
    for target in &targets[..2] {
        let reply = send(&server, target, r#"{"preferences": {"colour": "red"}}"#).await;
        let details = assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let named = support::keys(&details);
        assert_eq!(named.len(), 1, "{target}: {details}");
        let field = *named.iter().next().unwrap();
        assert!(field.ends_with("colour"), "{target}: {details}");
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_nested_fields_are_named_by_their_path() {
    let (server, targets) = setup().await;
    for target in &targets[..2] {
        let reply = send(&server, target, r#"{"preferences": {"colour": "red"}}"#).await;
        assert_invalid(&reply, &["preferences.colour"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn bodies_that_are_not_objects_are_422() {
    let (server, targets) = setup().await;
    for target in &targets {
        for body in ["[]", r#""text""#, "42", "true", "null"] {
            let reply = send(&server, target, body).await;
            assert_invalid(&reply, &["body"]);
        }
        let reply = send(&server, target, "[1, 2]").await;
        assert_invalid(&reply, &["body"]);
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn arrays_and_trailing_characters_are_refused() {
    let (server, targets) = setup().await;
    let author = server.all_users().await[0].id;
    // Every field present, in declaration order: still not an object.
    let positional = format!(r#"["T", "C", "{author}"]"#);
    let reply = send(&server, &targets[2], &positional).await;
    assert_invalid(&reply, &["body"]);
    for target in &targets {
        assert_invalid(&send(&server, target, "[1, 2]").await, &["body"]);
        let valid = if target.users {
            r#"{"name": "Grace", "email": "grace@example.com"}"#.to_owned()
        } else {
            format!(r#"{{"title": "T", "content": "C", "authorId": "{author}"}}"#)
        };
        for trailing in [" trailing", "}", " {}", ","] {
            let reply = send(&server, target, &format!("{valid}{trailing}")).await;
            assert_error(&reply, StatusCode::BAD_REQUEST, "malformed_json");
        }
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn bodies_not_declared_as_json_are_415() {
    let (server, targets) = setup().await;
    for target in &targets {
        let valid = if target.users {
            r#"{"name": "Grace", "email": "grace@example.com"}"#
        } else {
            r#"{"title": "T", "content": "C", "authorId": "00000000-0000-0000-0000-000000000000"}"#
        };
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonp"),
        ] {
            let reply = send_as(&server, target, content_type, valid).await;
            let details = assert_error(
                &reply,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            );
            assert!(details.is_null(), "{target} {content_type:?}");
        }
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn json_media_types_with_parameters_or_suffixes_are_accepted() {
    let (server, targets) = setup().await;
    let reply = server
        .send_raw(
            Method::POST,
            "/api/users",
            Some("Application/JSON; charset=utf-8"),
            r#"{"name": "Grace", "email": "grace@example.com"}"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let reply = send_as(
        &server,
        &targets[3],
        Some("application/merge-patch+json"),
        r#"{"title": "Patched"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let (server, targets) = setup().await;
    let limit = 64 * 1024;
    for target in &targets {
        let field = if target.users { "name" } else { "title" };
        // Just over the limit, and well over it.
        for size in [limit + 1, 4 * limit] {
            let filler = "x".repeat(size - field.len() - 8);
            let body = format!(r#"{{"{field}": "{filler}"}}"#);
            assert!(body.len() >= size, "{} < {size}", body.len());
            let reply = send(&server, target, &body).await;
            let details = assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
            assert!(details.is_null());
        }
        // Just under the limit the body is read, and the field refused.
        let filler = "x".repeat(limit - field.len() - 16);
        let body = format!(r#"{{"{field}": "{filler}"}}"#);
        assert!(body.len() < limit);
        let reply = send(&server, target, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target}: {}",
            reply.text
        );
        assert!(
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation")[field].is_string()
        );
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_api_paths_are_json_404() {
    let (server, _targets) = setup().await;
    let user = server.all_users().await[0].id;
    for (method, path) in [
        (Method::GET, "/api/nope".to_owned()),
        (Method::POST, "/api/nope".to_owned()),
        (Method::DELETE, "/api/nope/1".to_owned()),
        (Method::GET, format!("/api/users/{user}/comments")),
        (Method::GET, "/api/userz".to_owned()),
        (Method::PATCH, "/api/posts/1/2".to_owned()),
    ] {
        let reply = server
            .call(server.client.request(method.clone(), server.url(&path)))
            .await;
        let details = assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
        assert!(details.is_null(), "{method} {path}");
    }
    server.stop().await;
}

/// No field of any request takes `null`: an optional field is left out.
/// A `null` anywhere in a body is a 422 naming where it is, and changes
/// nothing.
#[tokio::test]
async fn a_null_field_is_422_naming_it() {
    let (server, targets) = setup().await;
    for target in &targets {
        let cases: &[(&str, &str)] = if target.users {
            &[
                (r#"{"name": null, "email": "x@example.com"}"#, "name"),
                (
                    r#"{"name": "N", "email": "x@example.com", "role": null}"#,
                    "role",
                ),
                (
                    r#"{"name": "N", "email": "x@example.com", "preferences": {"theme": null}}"#,
                    "preferences.theme",
                ),
            ]
        } else {
            &[
                (r#"{"title": "T", "content": null}"#, "content"),
                (r#"{"title": null, "content": "C"}"#, "title"),
            ]
        };
        for (body, field) in cases {
            let reply = send(&server, target, body).await;
            let details = assert_invalid(&reply, &[field]);
            assert!(
                details[*field].as_str().unwrap().contains("null"),
                "{target} {body}: {details}"
            );
        }
    }
    let user = server.all_users().await[0].id.to_string();
    let batch = server
        .send_json(
            Method::PATCH,
            "/api/users/batch",
            &json!({"updates": [{"id": user, "version": null, "changes": {"role": "admin"}}]}),
        )
        .await;
    assert_invalid(&batch, &["updates[0].version"]);
    assert_untouched(&server).await;
    server.stop().await;
}

/// A batch's `version` is an integer as JSON Schema counts one: `1.0` is
/// the integer 1, `1.5` is refused.
#[tokio::test]
async fn a_batch_version_may_be_written_as_an_integral_number() {
    let (server, _) = setup().await;
    let user = server.all_users().await[0].id.to_string();
    let half = server
        .send_json(
            Method::PATCH,
            "/api/users/batch",
            &json!({"updates": [{"id": user, "version": 1.5, "changes": {"role": "moderator"}}]}),
        )
        .await;
    assert_invalid(&half, &["updates[0].version"]);
    assert_untouched(&server).await;
    let whole = server
        .send_json(
            Method::PATCH,
            "/api/users/batch",
            &json!({"updates": [{"id": user, "version": 1.0, "changes": {"role": "moderator"}}]}),
        )
        .await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    assert_eq!(whole.json()["data"][0]["role"], "moderator");
    server.stop().await;
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let (server, targets) = setup().await;
    let user_path = &targets[1].path;
    let post_path = &targets[3].path;
    for (method, path) in [
        (Method::PUT, "/api/users"),
        (Method::DELETE, "/api/users"),
        (Method::PATCH, "/api/users"),
        (Method::PUT, user_path.as_str()),
        (Method::POST, user_path.as_str()),
        (Method::PUT, "/api/posts"),
        (Method::DELETE, "/api/posts"),
        (Method::POST, post_path.as_str()),
    ] {
        let reply = server
            .send_raw(
                method.clone(),
                path,
                Some("application/json"),
                r#"{"name": "x"}"#,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            reply.text
        );
        let allow = reply
            .headers
            .get(reqwest::header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
    }
    assert_untouched(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn error_messages_do_not_leak_internals() {
    let (server, targets) = setup().await;
    let replies = [
        send(&server, &targets[0], "{").await,
        send(&server, &targets[0], r#"{"name": 5}"#).await,
        send(
            &server,
            &targets[2],
            r#"{"title": "T", "content": "C", "authorId": "00000000-0000-0000-0000-000000000000"}"#,
        )
        .await,
        server
            .post_json(
                "/api/users",
                &json!({ "name": "Ada", "email": "ada@example.com" }),
            )
            .await,
        server.get("/api/users/nope").await,
        server.get_query("/api/posts", &[("cursor", "zzz")]).await,
    ];
    for reply in &replies {
        assert!(reply.status.is_client_error(), "{}", reply.text);
        let text = reply.text.to_lowercase();
        for leak in ["sqlx", "sqlite", "constraint", "serde", "panicked", "src/"] {
            assert!(!text.contains(leak), "{leak:?} leaks in {}", reply.text);
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn every_api_error_is_json() {
    let (server, _targets) = setup().await;
    let reply = server.get("/api/").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let reply = server
        .send_raw(Method::PUT, "/api/users", Some("application/json"), "{}")
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.content_type().starts_with("application/json"));
    let body = reply.json();
    assert!(body["error"]["code"].is_string(), "{body}");
    server.stop().await;
}
