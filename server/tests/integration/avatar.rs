//! `POST /api/users/{id}/avatar` and `GET /uploads/{name}` against a real
//! server: the type comes from the file's bytes, the size is capped at
//! 2 MiB, refusals change nothing, and the stored file is served back.

use crate::support;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use support::{Reply, TestServer, TINY_PNG};

fn file(field: &str, bytes: Vec<u8>, declared: &str) -> Form {
    Form::new().part(
        field.to_owned(),
        Part::bytes(bytes)
            .file_name("me.png")
            .mime_str(declared)
            .expect("a valid media type"),
    )
}

async fn upload(server: &TestServer, id: &str, form: Form) -> Reply {
    server
        .call(
            server
                .client
                .post(server.url(&format!("/api/users/{id}/avatar")))
                .multipart(form),
        )
        .await
}

fn error_code(reply: &Reply) -> String {
    reply.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn user(server: &TestServer, id: &str) -> Value {
    server.fetch(&format!("/api/users/{id}")).await
}

#[tokio::test]
async fn a_png_is_stored_and_served_back() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();

    let reply = upload(&server, &id, file("avatar", TINY_PNG.to_vec(), "image/png")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    let url = body["avatarUrl"]
        .as_str()
        .expect("avatarUrl set")
        .to_owned();
    assert!(
        url.starts_with("/uploads/") && url.ends_with(".png"),
        "{url}"
    );
    assert_eq!(body["version"], created["version"].as_i64().unwrap() + 1);
    assert_eq!(user(&server, &id).await["avatarUrl"], url.as_str());
    let log = server.db.all_events_after(0).await.unwrap();
    let last = log.last().expect("the upload is in the log");
    assert_eq!(last.kind, tidings::protocol::EventKind::UserUpdated);
    assert_eq!(last.data, body);

    let served = server
        .client
        .get(server.url(&url))
        .send()
        .await
        .expect("fetch the avatar");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().as_ref(), TINY_PNG);

    // A second upload replaces the first, whose file goes.
    let again = upload(&server, &id, file("avatar", TINY_PNG.to_vec(), "image/png")).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_ne!(again.json()["avatarUrl"], url.as_str());
    assert_eq!(server.get(&url).await.status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_not_the_declaration() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();

    let before = server.db.all_events_after(0).await.unwrap().len();
    let fake = upload(
        &server,
        &id,
        file("avatar", b"just some text, honest".to_vec(), "image/png"),
    )
    .await;
    assert_eq!(
        fake.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        fake.text
    );
    assert_eq!(error_code(&fake), "unsupported_media_type");
    assert_eq!(server.db.all_events_after(0).await.unwrap().len(), before);
    assert_eq!(user(&server, &id).await, created);

    let real = upload(
        &server,
        &id,
        file("avatar", TINY_PNG.to_vec(), "text/plain"),
    )
    .await;
    assert_eq!(real.status, StatusCode::OK, "{}", real.text);
    assert!(real.json()["avatarUrl"]
        .as_str()
        .is_some_and(|u| u.ends_with(".png")));
    server.stop().await;
}

#[tokio::test]
async fn over_two_mib_is_413_and_changes_nothing() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();

    let mut big = TINY_PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 1, 0);
    let reply = upload(&server, &id, file("avatar", big, "image/png")).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_eq!(error_code(&reply), "payload_too_large");
    assert_eq!(user(&server, &id).await, created);

    // Far over: cut off by the route's body limit, with the same answer.
    let mut huge = TINY_PNG.to_vec();
    huge.resize(3 * 1024 * 1024, 0);
    let reply = upload(&server, &id, file("avatar", huge, "image/png")).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_eq!(error_code(&reply), "payload_too_large");
    assert_eq!(user(&server, &id).await, created);

    // Exactly 2 MiB is accepted.
    let mut edge = TINY_PNG.to_vec();
    edge.resize(2 * 1024 * 1024, 0);
    let reply = upload(&server, &id, file("avatar", edge, "image/png")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn a_missing_field_is_422_naming_it() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();

    let reply = upload(
        &server,
        &id,
        file("picture", TINY_PNG.to_vec(), "image/png"),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(
        reply.json()["error"]["details"].get("avatar").is_some(),
        "{}",
        reply.text
    );
    assert_eq!(user(&server, &id).await, created);
    server.stop().await;
}

/// The form holds the one field the document gives: another field is a
/// 422 naming it, and nothing is stored.
#[tokio::test]
async fn an_unknown_form_field_is_422_naming_it() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();

    let form = file("avatar", TINY_PNG.to_vec(), "image/png").text("caption", "me");
    let reply = upload(&server, &id, form).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let details = &reply.json()["error"]["details"];
    assert!(details.get("caption").is_some(), "{}", reply.text);
    assert!(details.get("avatar").is_none(), "{}", reply.text);
    assert_eq!(user(&server, &id).await, created);
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_user_is_404() {
    let server = TestServer::start().await;
    let reply = upload(
        &server,
        &uuid::Uuid::now_v7().to_string(),
        file("avatar", TINY_PNG.to_vec(), "image/png"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(error_code(&reply), "not_found");
    server.stop().await;
}

#[tokio::test]
async fn if_match_when_sent_must_be_current() {
    let server = TestServer::start().await;
    let created = server.create_user("Ada", "ada@example.com").await;
    let id = created["id"].as_str().unwrap().to_owned();
    let stale = server
        .call(
            server
                .client
                .post(server.url(&format!("/api/users/{id}/avatar")))
                .header("If-Match", "\"99\"")
                .multipart(file("avatar", TINY_PNG.to_vec(), "image/png")),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    assert_eq!(user(&server, &id).await, created);
    server.stop().await;
}

#[tokio::test]
async fn upload_names_cannot_leave_the_directory() {
    let server = TestServer::start().await;
    for path in [
        "/uploads/..%2F..%2Fetc%2Fpasswd",
        "/uploads/..%2Ft.db",
        "/uploads/%2E%2E%2Ft.db",
        "/uploads/t.db",
        "/uploads/not-a-name.png",
    ] {
        let reply = server.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
    }
    server.stop().await;
}
