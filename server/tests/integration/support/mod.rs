//! Harness for the integration tests: every test starts its own real server
//! (`server::run` on `127.0.0.1:0`) over a fresh SQLite file in a temporary
//! directory, or over a fresh PostgreSQL schema ([`postgres`]), talks to it
//! over HTTP with `reqwest`, and shuts it down through a oneshot channel.
//!
//! Every API route needs a signed-in caller. `TestServer::client` is
//! signed in as an admin (a Bearer header, and the access cookie for
//! pages): over the seeded workspace that is `admin@tidings.dev`; over an
//! empty store, which has no accounts, it is an operator admin whose
//! token the harness signs with the server's secret (tokens are trusted
//! until they expire), so tests that count users count only their own.
//! [`TestServer::anonymous`] is signed in as nobody, and
//! [`TestServer::client_as`] makes a real user of a role and signs as them.
//! Every test server signs with [`TEST_JWT_SECRET`], so instances sharing
//! one PostgreSQL schema accept each other's tokens, as a deployment's
//! instances sharing `--jwt-secret` do.

pub mod metrics;
pub mod postgres;
pub mod process;
pub mod writers;
pub mod ws;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use server::auth::token::TokenKeys;
use server::auth::Actor;
use server::config::Config;
use server::AppState;
use tempfile::TempDir;
use tidings::{Post, Role, User};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use postgres::PgSchema;

/// Users in the seeded demo workspace.
pub const SEEDED_USERS: usize = 60;
/// Posts in the seeded demo workspace.
pub const SEEDED_POSTS: usize = 2_000;

/// Longest any single request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Held while a test's server renders a page or starts: one at a time in
/// this process. A server renders the app once as it starts, to list its
/// routes; a page rendered meanwhile by another server of the same process
/// (each test runs its own, each on its own runtime) now and then never
/// finished: the render waited for data that had come. A deployed server
/// is alone in its process and lists its routes before it serves; renders
/// side by side on one server are checked by
/// `ssr::pages_rendered_side_by_side_all_complete`, which holds this for
/// its whole run.
pub async fn pages_alone() -> tokio::sync::MutexGuard<'static, ()> {
    static PAGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    PAGES.lock().await
}

/// Whether a request to `path` renders a page: not the API (the socket
/// included), health, metrics, the bundle or an upload.
fn is_page(path: &str) -> bool {
    !["/api/", "/healthz", "/metrics", "/pkg/", "/uploads/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// The secret test servers sign access tokens with.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// The password of the seeded demo accounts.
pub const DEMO_PASSWORD: &str = "tidings-demo";

/// The operator admin of an empty store (not a row of `users`).
pub const OPERATOR_ID: uuid::Uuid =
    uuid::Uuid::from_u128(0x0a0a_0000_0000_4000_8000_0000_0000_0001);

/// A signed-in user of a test: who, their token, and a client sending it.
pub struct Caller {
    pub id: String,
    pub token: String,
    pub client: Client,
}

/// A real account signed in over HTTP: its access token (naming its
/// session) and refresh token.
pub struct Account {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

/// A running server with its own database.
pub struct TestServer {
    /// Signed in as the admin (see the module's documentation).
    pub client: Client,
    /// The admin `client` signs in as.
    pub admin_id: uuid::Uuid,
    /// The access token `client` sends.
    pub admin_token: String,
    pub addr: SocketAddr,
    /// The server's store, for tests that look at the event log itself.
    pub db: server::db::Db,
    /// The server's hub, which its writes are announced to.
    pub hub: server::realtime::Hub,
    /// The server's writes, for tests that write without HTTP.
    pub writes: server::writes::Writes,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    // Dropped last: the database (or the uploads) lives here.
    _dir: TempDir,
    /// The PostgreSQL schema, shared by the servers started on it.
    schema: Option<Arc<PgSchema>>,
}

impl TestServer {
    /// A server over an empty database.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server over the seeded demo workspace (60 users, 2,000 posts).
    pub async fn start_seeded() -> Self {
        Self::start_with(|config| config.seed = true).await
    }

    /// A server whose configuration `configure` adjusts first.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        Self::start_on(url, dir, None, configure).await
    }

    /// A server over a fresh PostgreSQL schema of its own.
    pub async fn start_postgres() -> Self {
        Self::start_postgres_with(|_| {}).await
    }

    /// A server over a fresh PostgreSQL schema, configured by `configure`.
    pub async fn start_postgres_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_on_schema(Arc::new(PgSchema::create().await), configure).await
    }

    /// Another instance over the same PostgreSQL schema as `self`, with a
    /// pool and a hub of its own and the same JWT secret.
    pub async fn start_sibling(&self) -> Self {
        self.start_sibling_with(|_| {}).await
    }

    /// Another instance over the same PostgreSQL schema, configured by
    /// `configure`.
    pub async fn start_sibling_with(&self, configure: impl FnOnce(&mut Config)) -> Self {
        let schema = self
            .schema
            .clone()
            .expect("siblings share a PostgreSQL schema");
        Self::start_on_schema(schema, configure).await
    }

    /// The PostgreSQL schema this server runs on, if it does.
    pub fn schema(&self) -> Option<&PgSchema> {
        self.schema.as_deref()
    }

    async fn start_on_schema(schema: Arc<PgSchema>, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = schema.database_url();
        Self::start_on(url, dir, Some(schema), configure).await
    }

    async fn start_on(
        url: String,
        dir: TempDir,
        schema: Option<Arc<PgSchema>>,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config::for_database(url);
        config.jwt_secret = Some(TEST_JWT_SECRET.into());
        // Tests sign in far more often than a person would.
        config.login_attempts_per_ip = 10_000;
        config.upload_dir = Some(dir.path().join("uploads"));
        configure(&mut config);
        let state = AppState::from_config(config)
            .await
            .expect("open the database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local address");
        let (db, hub, writes) = (state.db.clone(), state.hub.clone(), state.writes.clone());
        let (tx, rx) = oneshot::channel::<()>();
        // The server renders the app once as it starts (to list its
        // routes): not while another server renders a page.
        let alone = pages_alone().await;
        // A dropped sender shuts the server down too.
        let task = tokio::spawn(server::run(listener, state, async move {
            let _ = rx.await;
        }));
        let health = client_with_token_opt(None)
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .expect("the new server answers");
        assert!(health.status().is_success(), "healthz: {}", health.status());
        drop(alone);
        let admin_id = match db
            .account_by_email(&tidings::Email::parse("admin@tidings.dev").expect("an email"))
            .await
            .expect("look up the demo admin")
        {
            Some((admin, _)) => admin.id,
            None => OPERATOR_ID,
        };
        let admin_token = mint_token(admin_id, Role::Admin);
        Self {
            client: client_with_token(&admin_token),
            admin_id,
            admin_token,
            addr,
            db,
            hub,
            writes,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
            schema,
        }
    }

    /// Absolute URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `ws://` URL of `path` on this server.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// The admin `client` signs in as, as the server sees them.
    pub fn admin(&self) -> Actor {
        Actor {
            id: self.admin_id,
            role: Role::Admin,
        }
    }

    /// A client signed in as nobody.
    pub fn anonymous(&self) -> Client {
        client_with_token_opt(None)
    }

    /// A new user of `role` (created by the admin), signed in.
    pub async fn client_as(&self, role: Role) -> Caller {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let user = self
            .create_user_with(json!({
                "name": format!("{role} {}", &n[..8]),
                "email": format!("{role}-{n}@example.com"),
                "role": role.as_str(),
            }))
            .await;
        let id = id_of(&user);
        let token = mint_token(id.parse().expect("a user id"), role);
        Caller {
            id,
            client: client_with_token(&token),
            token,
        }
    }

    /// Prunes the log to its newest `keep_last` events, as the retention
    /// task does; the new floor.
    pub async fn prune_events(&self, keep_last: u64) -> u64 {
        let floor = self
            .db
            .prune_events(keep_last)
            .await
            .expect("prune the log");
        self.hub.pruned_below(floor);
        floor
    }

    /// A user named Ada Lovelace with `email` and `password`, created by
    /// the admin; their JSON.
    pub async fn create_account(&self, email: &str, password: &str) -> Value {
        self.create_user_with(
            json!({ "name": "Ada Lovelace", "email": email, "password": password }),
        )
        .await
    }

    /// A new account of `role` with a password, signed in over HTTP.
    pub async fn sign_up(&self, role: &str) -> Account {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("{role}-{n}@example.com");
        let user = self
            .create_user_with(json!({
                "name": "Ada Lovelace", "email": email, "password": "correct horse", "role": role
            }))
            .await;
        let reply = self.login(&self.anonymous(), &email, "correct horse").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        Account {
            id: id_of(&user),
            access: reply.json()["accessToken"]
                .as_str()
                .expect("an access token")
                .to_owned(),
            refresh: reply.cookie_value("tidings_refresh").to_owned(),
        }
    }

    /// Signs out the session of `refresh` (`POST /api/auth/logout`).
    pub async fn sign_out(&self, refresh: &str) {
        let reply = self
            .call(
                self.anonymous()
                    .post(self.url("/api/auth/logout"))
                    .header(COOKIE, format!("tidings_refresh={refresh}")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    }

    /// Signs in over HTTP; the whole answer (200 or not).
    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Reply {
        self.call(
            client
                .post(self.url("/api/auth/login"))
                .json(&json!({ "email": email, "password": password })),
        )
        .await
    }

    /// Presents `refresh_token` as the refresh cookie to
    /// `/api/auth/refresh`; the whole answer (200 or not).
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.call(
            self.anonymous()
                .post(self.url("/api/auth/refresh"))
                .header(COOKIE, format!("tidings_refresh={refresh_token}")),
        )
        .await
    }

    /// Signals shutdown and waits for the server to finish cleanly.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().expect("server task");
        let result = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server stops within 10 s of the shutdown signal")
            .expect("server task did not panic");
        result.expect("server exits without an I/O error");
    }

    // --- requests ------------------------------------------------------

    /// Sends `request` and reads the whole answer. A page (anything but
    /// the API, the socket and files) is rendered alone ([`pages_alone`]).
    pub async fn call(&self, request: reqwest::RequestBuilder) -> Reply {
        let (client, request) = request.build_split();
        let request = request.expect("a well-formed request");
        let _alone = if is_page(request.url().path()) {
            Some(pages_alone().await)
        } else {
            None
        };
        let response = client
            .execute(request)
            .await
            .expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("read the response body");
        let reply = Reply {
            status,
            headers,
            text,
        };
        assert_ne!(
            reply.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed internally: {}",
            reply.text
        );
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(self.client.get(self.url(path))).await
    }

    /// GET `path` with query parameters, encoded by the client.
    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        self.call(self.client.get(self.url(path)).query(query))
            .await
    }

    /// A request with a JSON body (`Content-Type: application/json`).
    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.call(self.client.request(method, self.url(path)).json(body))
            .await
    }

    /// A request with a raw body and, if given, a `Content-Type`.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path)).body(body);
        if let Some(ct) = content_type {
            request = request.header(CONTENT_TYPE, ct);
        }
        self.call(request).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json(Method::PATCH, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(self.client.delete(self.url(path))).await
    }

    /// A request with the given headers and, if any, a JSON body.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.call(request).await
    }

    /// PATCH with `If-Match: <if_match>` (e.g. `etag(&entity)` or `*`).
    pub async fn patch_if(&self, path: &str, if_match: &str, body: &Value) -> Reply {
        self.send_with(Method::PATCH, path, &[("If-Match", if_match)], Some(body))
            .await
    }

    /// DELETE with `If-Match: <if_match>`.
    pub async fn delete_if(&self, path: &str, if_match: &str) -> Reply {
        self.send_with(Method::DELETE, path, &[("If-Match", if_match)], None)
            .await
    }

    /// The entity at `path` as GET answers it; asserts 200.
    pub async fn fetch(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.text);
        reply.json()
    }

    // --- fixtures -------------------------------------------------------

    /// Creates a user from `body`; asserts 201 and returns the JSON.
    pub async fn create_user_with(&self, body: Value) -> Value {
        let reply = self.post_json("/api/users", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "create user {body}: {}",
            reply.text
        );
        reply.json()
    }

    /// Creates a user with the default role and preferences.
    pub async fn create_user(&self, name: &str, email: &str) -> Value {
        self.create_user_with(json!({ "name": name, "email": email }))
            .await
    }

    /// Creates a post; asserts 201 and returns the JSON.
    pub async fn create_post(&self, author_id: &str, title: &str, content: &str) -> Value {
        let body = json!({ "title": title, "content": content, "authorId": author_id });
        let reply = self.post_json("/api/posts", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "create post {body}: {}",
            reply.text
        );
        reply.json()
    }

    /// Every user, in the server's default order (at most 100 exist).
    pub async fn all_users(&self) -> Vec<User> {
        let reply = self.get_query("/api/users", &[("limit", "100")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let page: tidings::Page<User> = reply.parse();
        assert!(
            page.pagination.total <= 100,
            "all_users needs at most 100 users"
        );
        assert_eq!(page.data.len() as u64, page.pagination.total);
        page.data
    }

    /// One page of the posts feed; asserts 200.
    pub async fn posts_page(&self, query: &[(&str, &str)]) -> tidings::CursorPage<Post> {
        let reply = self.get_query("/api/posts", query).await;
        assert_eq!(reply.status, StatusCode::OK, "{query:?}: {}", reply.text);
        reply.parse()
    }

    /// Follows `nextCursor` from the first page to the last, checking each
    /// page's `hasMore`/`nextCursor` and size; returns every post seen.
    pub async fn walk_posts(&self, query: &[(&str, &str)], limit: usize) -> Vec<Post> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(c) = cursor.as_deref() {
                q.push(("cursor", c));
            }
            let page = self.posts_page(&q).await;
            assert!(page.data.len() <= limit, "a page holds at most {limit}");
            assert_eq!(page.has_more, page.next_cursor.is_some(), "{q:?}");
            if page.has_more {
                assert_eq!(page.data.len(), limit, "only the last page is short");
            }
            out.extend(page.data);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return out,
            }
            assert!(
                out.len() <= SEEDED_POSTS * 2,
                "the cursor never reaches the end"
            );
        }
    }
}

/// A complete 1×1 PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// An access token for `id` as `role`, signed as the test server signs
/// (issued now, valid 15 minutes).
pub fn mint_token(id: uuid::Uuid, role: Role) -> String {
    mint_token_at(id, role, chrono::Utc::now().timestamp(), 900)
}

/// An access token issued at `issued_at` (Unix seconds), valid `ttl` s.
pub fn mint_token_at(id: uuid::Uuid, role: Role, issued_at: i64, ttl: i64) -> String {
    TokenKeys::new(TEST_JWT_SECRET.as_bytes()).issue(Actor { id, role }, issued_at, ttl)
}

/// A client sending `token` as a Bearer header and as the access cookie.
pub fn client_with_token(token: &str) -> Client {
    client_with_token_opt(Some(token))
}

fn client_with_token_opt(token: Option<&str>) -> Client {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        let value = |v: String| HeaderValue::from_str(&v).expect("a header value");
        headers.insert(AUTHORIZATION, value(format!("Bearer {token}")));
        headers.insert(COOKIE, value(format!("tidings_access={token}")));
    }
    Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build the HTTP client")
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A whole HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON; fails the test when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body ({e}), got {} {:?}",
                self.status, self.text
            )
        })
    }

    /// The body decoded as `T` (the client's own types).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("decoding {} {:?}: {e}", self.status, self.text))
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` line that sets the cookie `name`.
    pub fn set_cookie(&self, name: &str) -> &str {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", self.headers))
    }

    /// The value the `Set-Cookie` line of the cookie `name` sets.
    pub fn cookie_value(&self, name: &str) -> &str {
        let line = self.set_cookie(name);
        let pair = line.split(';').next().unwrap_or(line);
        pair.split_once('=').map_or("", |(_, value)| value)
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The keys of a JSON object.
pub fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Asserts `reply` is an error with `status` and `code` in the one shape
/// `{"error":{"code","message","details"}}`; returns `details`.
pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) -> Value {
    assert_eq!(reply.status, status, "body: {}", reply.text);
    assert!(
        reply.content_type().starts_with("application/json"),
        "an error is JSON, got {:?}: {}",
        reply.content_type(),
        reply.text
    );
    let body = reply.json();
    assert_eq!(keys(&body), BTreeSet::from(["error"]), "{body}");
    let error = &body["error"];
    assert_eq!(
        keys(error),
        BTreeSet::from(["code", "message", "details"]),
        "{body}"
    );
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().expect("message is a string");
    assert!(!message.trim().is_empty(), "message is not empty: {body}");
    error["details"].clone()
}

/// Asserts a 422 `validation` error naming exactly `fields`, each with a
/// message; returns `details`.
pub fn assert_invalid(reply: &Reply, fields: &[&str]) -> Value {
    let details = assert_error(reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(
        keys(&details),
        fields.iter().copied().collect::<BTreeSet<_>>(),
        "fields named in {details}"
    );
    for field in fields {
        let message = details[*field]
            .as_str()
            .expect("a field message is a string");
        assert!(!message.is_empty(), "{field} has a message");
    }
    details
}

/// The strong `ETag` of an entity as JSON: `"<version>"`.
pub fn etag(entity: &Value) -> String {
    let version = entity["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {entity}"));
    format!("\"{version}\"")
}

/// The `id` of an entity as JSON, as a string.
pub fn id_of(entity: &Value) -> String {
    entity["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {entity}"))
        .to_owned()
}

/// A timestamp field of an entity.
pub fn time_of(entity: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    let raw = entity[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {entity}"));
    chrono::DateTime::parse_from_rfc3339(raw)
        .unwrap_or_else(|e| panic!("{field} {raw:?} is not RFC 3339: {e}"))
        .with_timezone(&chrono::Utc)
}

/// The camelCase fields of a user on the wire.
pub const USER_FIELDS: [&str; 10] = [
    "id",
    "name",
    "email",
    "role",
    "avatarUrl",
    "lastActive",
    "preferences",
    "createdAt",
    "updatedAt",
    "version",
];

/// The camelCase fields of a post on the wire.
pub const POST_FIELDS: [&str; 7] = [
    "id",
    "title",
    "content",
    "authorId",
    "createdAt",
    "updatedAt",
    "version",
];

/// Asserts `user` has exactly the user fields, camelCase.
pub fn assert_user_shape(user: &Value) {
    assert_eq!(
        keys(user),
        USER_FIELDS.into_iter().collect::<BTreeSet<_>>(),
        "{user}"
    );
    assert_eq!(
        keys(&user["preferences"]),
        BTreeSet::from(["theme", "notifications", "language"]),
        "{user}"
    );
}

/// Asserts `post` has exactly the post fields, camelCase.
pub fn assert_post_shape(post: &Value) {
    assert_eq!(
        keys(post),
        POST_FIELDS.into_iter().collect::<BTreeSet<_>>(),
        "{post}"
    );
}
