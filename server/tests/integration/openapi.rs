//! The OpenAPI document at `/api/openapi.json`, held against a live
//! server: it is OpenAPI 3.1, it documents exactly the routes the router
//! has ([`ROUTES`], checked both ways), each documented operation is
//! answered by its own handler with a status the document lists, and the
//! entity schemas have the keys the API really answers with.

use crate::support;

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{id_of, keys, TestServer};

/// Every route the router has outside the server-rendered pages and static
/// assets, as `METHOD /path/{param}`.
const ROUTES: &[&str] = &[
    "GET /api/users",
    "POST /api/users",
    "GET /api/users/stats",
    "GET /api/users/search",
    "PATCH /api/users/batch",
    "GET /api/users/{id}",
    "PATCH /api/users/{id}",
    "DELETE /api/users/{id}",
    "GET /api/users/{id}/posts",
    "POST /api/users/{id}/avatar",
    "GET /api/posts",
    "POST /api/posts",
    "GET /api/posts/{id}",
    "PATCH /api/posts/{id}",
    "DELETE /api/posts/{id}",
    "GET /api/events",
    "POST /api/auth/login",
    "POST /api/auth/refresh",
    "POST /api/auth/logout",
    "GET /api/auth/me",
    "POST /api/auth/password",
    "POST /api/auth/logout-all",
    "GET /api/openapi.json",
    "GET /healthz",
    "GET /metrics",
    "GET /uploads/{name}",
];

/// An id no entity has.
const MISSING: &str = "0190a000-0000-7000-8000-00000000dead";

async fn document(server: &TestServer) -> Value {
    let reply = server.get("/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.content_type().starts_with("application/json"),
        "{}",
        reply.content_type()
    );
    reply.json()
}

/// `METHOD /path` of every operation the document describes.
fn documented(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for method in item.as_object().expect("a path item is an object").keys() {
            out.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_covers_exactly_the_routes() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let version = doc["openapi"].as_str().expect("openapi names a version");
    assert!(version.starts_with("3.1."), "version {version}");
    assert_eq!(doc["info"]["title"], "Tidings API");

    let routes: BTreeSet<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    let described = documented(&doc);
    let undocumented: Vec<_> = routes.difference(&described).collect();
    let unrouted: Vec<_> = described.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not in ROUTES: {unrouted:?}"
    );

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["bearerAuth"]["bearerFormat"], "JWT");
    assert_eq!(schemes["cookieAuth"]["type"], "apiKey");
    assert_eq!(schemes["cookieAuth"]["in"], "cookie");
    assert_eq!(schemes["cookieAuth"]["name"], "tidings_access");
    server.stop().await;
}

/// A request its route's handler answers itself, for the route `route`
/// with `user` and `post` existing.
struct Probe {
    method: Method,
    path: String,
    headers: Vec<(&'static str, &'static str)>,
    body: Option<Value>,
}

fn probe(route: &str, user: &str, post: &str) -> Probe {
    let (method, template) = route.split_once(' ').expect("METHOD /path");
    let method: Method = method.parse().expect("an HTTP method");
    let (id, headers, body) = match route {
        // Writes that reach their handler and stop at its first check.
        "POST /api/users" | "POST /api/posts" | "POST /api/auth/login" => {
            (None, vec![], Some(json!({})))
        }
        "PATCH /api/users/batch" => (None, vec![], Some(json!({ "updates": [] }))),
        "PATCH /api/users/{id}" => (Some(user), vec![], Some(json!({ "name": "Ada" }))),
        "DELETE /api/users/{id}" => (Some(MISSING), vec![("If-Match", "*")], None),
        "POST /api/users/{id}/avatar" => (Some(user), vec![], Some(json!({}))),
        "PATCH /api/posts/{id}" => (
            Some(MISSING),
            vec![("If-Match", "*")],
            Some(json!({ "title": "T" })),
        ),
        "DELETE /api/posts/{id}" => (Some(post), vec![], None),
        // Reads of what exists.
        "GET /api/users/{id}" | "GET /api/users/{id}/posts" => (Some(user), vec![], None),
        "GET /api/posts/{id}" => (Some(post), vec![], None),
        _ => (None, vec![], None),
    };
    let mut path = template.to_owned();
    if let Some(id) = id {
        path = path.replace("{id}", id);
    }
    path = path.replace("{name}", &format!("{MISSING}.png"));
    if route == "GET /api/users/search" {
        path.push_str("?q=ada");
    }
    assert!(!path.contains('{'), "no probe fills {route}");
    Probe {
        method,
        path,
        headers,
        body,
    }
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_its_handler() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let user = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = id_of(&server.create_post(&user, "Title", "Content.").await);

    let mut statuses = BTreeSet::new();
    for route in documented(&doc) {
        let probe = probe(&route, &user, &post);
        let reply = server
            .send_with(
                probe.method.clone(),
                &probe.path,
                &probe.headers,
                probe.body.as_ref(),
            )
            .await;
        let status = reply.status;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{route}: {}",
            reply.text
        );
        if !(status.is_success() || status == StatusCode::SWITCHING_PROTOCOLS) {
            let body = reply.json();
            let error = &body["error"];
            let shaped = keys(&body) == BTreeSet::from(["error"])
                && keys(error) == BTreeSet::from(["code", "message", "details"])
                && error["code"].is_string();
            assert!(
                shaped,
                "{route}: {status} is not the API's error shape: {body}"
            );
            let message = error["message"].as_str().unwrap_or_default();
            assert!(
                !message.starts_with("no API route"),
                "{route}: the router found no route: {message}"
            );
        }
        let (method, template) = route.split_once(' ').expect("METHOD /path");
        let responses = &doc["paths"][template][method.to_lowercase()]["responses"];
        assert!(
            responses.get(status.as_str()).is_some(),
            "{route} answered {status}, which the document does not list: {}",
            reply.text
        );
        statuses.insert(status.as_u16());
    }
    // The probes reach both the handlers' successes and their refusals.
    for expected in [200, 404, 415, 422, 426, 428] {
        assert!(statuses.contains(&expected), "no probe answered {expected}");
    }
    server.stop().await;
}

/// The property names of the schema `name` in the document.
fn properties<'a>(doc: &'a Value, name: &str) -> BTreeSet<&'a str> {
    let schema = &doc["components"]["schemas"][name];
    let required = schema["required"].as_array().expect("required fields");
    let props = keys(&schema["properties"]);
    for field in required {
        let field = field.as_str().expect("a field name");
        assert!(
            props.contains(field),
            "{name}.{field} is required but not a property"
        );
    }
    props
}

#[tokio::test]
async fn entity_schemas_have_the_keys_the_api_answers_with() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let user = id_of(&server.create_user("Ada", "ada@example.com").await);
    let post = id_of(&server.create_post(&user, "Title", "Content.").await);

    let fetched = server.fetch(&format!("/api/users/{user}")).await;
    assert_eq!(properties(&doc, "User"), keys(&fetched));
    assert_eq!(
        properties(&doc, "Preferences"),
        keys(&fetched["preferences"])
    );
    let fetched = server.fetch(&format!("/api/posts/{post}")).await;
    assert_eq!(properties(&doc, "Post"), keys(&fetched));
    let stats = server.fetch("/api/users/stats").await;
    assert_eq!(properties(&doc, "UserStats"), keys(&stats));
    let missing = server.get(&format!("/api/users/{MISSING}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        properties(&doc, "ErrorInfo"),
        keys(&missing.json()["error"])
    );
    server.stop().await;
}
