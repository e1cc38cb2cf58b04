//! Who may do what, against a real server: every write endpoint, asked by
//! an admin, a moderator and a user, on their own resource, another
//! user's, a moderator's and an admin's, answers exactly as the role rules
//! say (2xx or 403 `forbidden`, and a refusal changes nothing); nothing
//! is read or written without signing in; idempotency keys belong to the
//! caller.

use crate::support;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{assert_error, id_of, Caller, Reply, TestServer};
use tidings::Role;

/// Whose resource a write is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No one's (creating a user).
    Nobody,
    /// The caller's own account, or a post of theirs.
    Own,
    /// Another plain user's.
    Users,
    /// Another moderator's.
    Moderators,
    /// Another admin's.
    Admins,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    CreateUser,
    PatchUserName,
    /// PATCH with `role: "admin"` (the admin's own is no change).
    PatchUserRole,
    DeleteUser,
    BatchPatchUsers,
    UploadAvatar,
    /// POST a post naming the target as its author.
    CreatePost,
    PatchPost,
    DeletePost,
}

use Action::*;
use Target::*;

/// (action, target, expected status for [admin, moderator, user]).
const MATRIX: &[(Action, Target, [u16; 3])] = &[
    //                               admin moderator user
    (CreateUser, Nobody, [201, 403, 403]),
    (BatchPatchUsers, Users, [200, 403, 403]),
    (DeleteUser, Own, [204, 403, 403]),
    (DeleteUser, Users, [204, 403, 403]),
    (DeleteUser, Admins, [204, 403, 403]),
    (PatchUserName, Own, [200, 200, 200]),
    (PatchUserName, Users, [200, 403, 403]),
    (PatchUserName, Moderators, [200, 403, 403]),
    (PatchUserName, Admins, [200, 403, 403]),
    (PatchUserRole, Own, [200, 403, 403]),
    (PatchUserRole, Users, [200, 403, 403]),
    (UploadAvatar, Own, [200, 200, 200]),
    (UploadAvatar, Users, [200, 403, 403]),
    (UploadAvatar, Admins, [200, 403, 403]),
    (CreatePost, Own, [201, 201, 201]),
    (CreatePost, Users, [201, 403, 403]),
    (CreatePost, Admins, [201, 403, 403]),
    (PatchPost, Own, [200, 200, 200]),
    (PatchPost, Users, [200, 200, 403]),
    (PatchPost, Moderators, [200, 200, 403]),
    (PatchPost, Admins, [200, 403, 403]),
    (DeletePost, Own, [204, 204, 204]),
    (DeletePost, Users, [204, 204, 403]),
    (DeletePost, Moderators, [204, 204, 403]),
    (DeletePost, Admins, [204, 403, 403]),
];

const ROLES: [Role; 3] = [Role::Admin, Role::Moderator, Role::User];

/// A complete 1×1 PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The id of the user the target names (the caller for `Own`).
async fn target_user(server: &TestServer, caller: &Caller, target: Target) -> String {
    match target {
        Own => caller.id.clone(),
        Users => server.client_as(Role::User).await.id,
        Moderators => server.client_as(Role::Moderator).await.id,
        Admins | Nobody => server.client_as(Role::Admin).await.id,
    }
}

/// A request by `caller`; `body` as JSON if given.
async fn send(
    server: &TestServer,
    caller: &Caller,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = caller
        .client
        .request(method, server.url(path))
        .header("If-Match", "*");
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.call(request).await
}

/// Does `action` on `target` as `caller`; the answer, and the path to GET
/// to see the resource afterwards.
async fn attempt(
    server: &TestServer,
    caller: &Caller,
    action: Action,
    target: Target,
) -> (Reply, Option<String>) {
    let user = target_user(server, caller, target).await;
    let user_path = format!("/api/users/{user}");
    match action {
        CreateUser => {
            let n = uuid::Uuid::new_v4().simple();
            let body = json!({ "name": "New One", "email": format!("new-{n}@example.com") });
            (
                send(server, caller, Method::POST, "/api/users", Some(body)).await,
                None,
            )
        }
        PatchUserName => {
            let body = json!({ "name": "Renamed" });
            let reply = send(server, caller, Method::PATCH, &user_path, Some(body)).await;
            (reply, Some(user_path))
        }
        PatchUserRole => {
            let body = json!({ "role": "admin" });
            let reply = send(server, caller, Method::PATCH, &user_path, Some(body)).await;
            (reply, Some(user_path))
        }
        DeleteUser => (
            send(server, caller, Method::DELETE, &user_path, None).await,
            Some(user_path),
        ),
        BatchPatchUsers => {
            let body = json!({ "updates": [
                { "id": user, "version": 1, "changes": { "name": "Batched" } }
            ]});
            let reply = send(
                server,
                caller,
                Method::PATCH,
                "/api/users/batch",
                Some(body),
            )
            .await;
            (reply, Some(user_path))
        }
        UploadAvatar => {
            let form =
                Form::new().part("avatar", Part::bytes(TINY_PNG.to_vec()).file_name("me.png"));
            let request = caller
                .client
                .post(server.url(&format!("{user_path}/avatar")))
                .multipart(form);
            (server.call(request).await, Some(user_path))
        }
        CreatePost => {
            let body = json!({ "title": "Hello", "content": "Text", "authorId": user });
            (
                send(server, caller, Method::POST, "/api/posts", Some(body)).await,
                None,
            )
        }
        PatchPost | DeletePost => {
            let post = id_of(&server.create_post(&user, "Theirs", "Text").await);
            let path = format!("/api/posts/{post}");
            let reply = match action {
                PatchPost => {
                    let body = json!({ "title": "Changed" });
                    send(server, caller, Method::PATCH, &path, Some(body)).await
                }
                _ => send(server, caller, Method::DELETE, &path, None).await,
            };
            (reply, Some(path))
        }
    }
}

#[tokio::test]
async fn each_write_is_allowed_exactly_to_the_roles_the_rules_name() {
    let server = TestServer::start().await;
    let mut mismatches = Vec::new();
    for &(action, target, expected) in MATRIX {
        for (role, expected) in ROLES.into_iter().zip(expected) {
            let caller = server.client_as(role).await;
            let (reply, path) = attempt(&server, &caller, action, target).await;
            if reply.status.as_u16() != expected {
                mismatches.push(format!(
                    "{action:?} on {target:?} by {role}: expected {expected}, got {} {}",
                    reply.status, reply.text
                ));
                continue;
            }
            if expected == 403 {
                assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
                // A refusal changes nothing.
                if let Some(path) = path {
                    let after = server.fetch(&path).await;
                    assert_eq!(after["version"], 1, "{action:?} by {role} changed {path}");
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    server.stop().await;
}

#[tokio::test]
async fn a_new_post_is_the_callers_when_no_author_is_named() {
    let server = TestServer::start().await;
    let member = server.client_as(Role::User).await;
    let reply = server
        .call(
            member
                .client
                .post(server.url("/api/posts"))
                .json(&json!({ "title": "Mine", "content": "Text" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["authorId"], member.id);
    // A user may send their own role unchanged.
    let same_role = send(
        &server,
        &member,
        Method::PATCH,
        &format!("/api/users/{}", member.id),
        Some(json!({ "role": "user", "name": "Still Me" })),
    )
    .await;
    assert_eq!(same_role.status, StatusCode::OK, "{}", same_role.text);
    server.stop().await;
}

#[tokio::test]
async fn nothing_is_read_or_written_without_signing_in() {
    let server = TestServer::start().await;
    let user = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = id_of(&server.create_post(&user, "Hello", "Text").await);
    let anon = server.anonymous();
    let reads = [
        "/api/users".to_owned(),
        "/api/users/stats".to_owned(),
        "/api/users/search?q=ada".to_owned(),
        format!("/api/users/{user}"),
        format!("/api/users/{user}/posts"),
        "/api/posts".to_owned(),
        format!("/api/posts/{post}"),
        "/api/auth/me".to_owned(),
        format!("/uploads/{}.png", uuid::Uuid::new_v4()),
    ];
    for path in &reads {
        let reply = server.call(anon.get(server.url(path))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{path}");
    }
    let writes = [
        (Method::POST, "/api/users".to_owned()),
        (Method::PATCH, "/api/users/batch".to_owned()),
        (Method::PATCH, format!("/api/users/{user}")),
        (Method::DELETE, format!("/api/users/{user}")),
        (Method::POST, format!("/api/users/{user}/avatar")),
        (Method::POST, "/api/posts".to_owned()),
        (Method::PATCH, format!("/api/posts/{post}")),
        (Method::DELETE, format!("/api/posts/{post}")),
    ];
    for (method, path) in writes {
        let request = anon
            .request(method.clone(), server.url(&path))
            .header("If-Match", "*")
            .json(&json!({ "name": "X" }));
        let reply = server.call(request).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(
        server.fetch(&format!("/api/users/{user}")).await["version"],
        1
    );
    assert_eq!(
        server.fetch(&format!("/api/posts/{post}")).await["version"],
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_caller() {
    let server = TestServer::start().await;
    let (ann, bob) = (
        server.client_as(Role::User).await,
        server.client_as(Role::User).await,
    );
    let create = |caller: &Caller| {
        server.call(
            caller
                .client
                .post(server.url("/api/posts"))
                .header("Idempotency-Key", "same-key")
                .json(&json!({ "title": "Hello", "content": "Text" })),
        )
    };
    let first = create(&ann).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let bobs = create(&bob).await;
    assert_eq!(bobs.status, StatusCode::CREATED, "{}", bobs.text);
    assert!(
        bobs.header("idempotent-replayed").is_none(),
        "not Ann's answer"
    );
    assert_eq!(bobs.json()["authorId"], bob.id);
    assert_ne!(id_of(&bobs.json()), id_of(&first.json()));
    let again = create(&ann).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    server.stop().await;
}
