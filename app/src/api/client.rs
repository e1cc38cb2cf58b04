//! `ApiClient`: the typed calls of the [`Api`](super::Api) over a
//! [`Pipeline`], and the builder that composes its middleware chain:
//! logging (when given a sink), metrics, auth (when given a session),
//! retry, then any extra middleware, in that order.
//!
//! Single-threaded (`Rc`), like the browser it runs in; the browser's
//! `HttpApi` wraps it to meet the `Api` trait's `Send` bounds.

use std::rc::Rc;
use std::time::Duration;

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tidings::{
    CursorPage, NewPostInput, NewUserInput, Page, Post, PostListQuery, PostPatchInput, User,
    UserBatchUpdateInput, UserListQuery, UserPatchInput, UserSearchQuery, UserStats,
};
use uuid::Uuid;

use super::account::{Credentials, SignedIn};
use super::auth::{AuthMiddleware, Session};
use super::calls;
use super::error::ApiError;
use super::idempotency::IdempotencyKey;
use super::logging::LoggingMiddleware;
use super::metrics::{Metrics, MetricsMiddleware, MetricsSnapshot};
use super::middleware::{Chain, Middleware};
use super::pipeline::{CallOptions, CallResult, Pipeline, Runtime, Transport};
use super::request::ApiRequest;
use super::retry::{RetryMiddleware, RetryPolicy};
use super::ApiResult;

/// The longest one attempt waits for its answer, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

pub type LocalApiFuture<T> = LocalBoxFuture<'static, ApiResult<T>>;

type LogSink = dyn Fn(&str);

/// `{data: [...]}`: how the server answers a list that is not paged.
#[derive(Deserialize)]
struct DataList<T> {
    data: Vec<T>,
}

pub struct ClientBuilder {
    timeout: Option<Duration>,
    retry: RetryPolicy,
    session: Option<Rc<dyn Session>>,
    log: Option<Rc<LogSink>>,
    metrics: Metrics,
    dedupe: bool,
    random: Option<Rc<dyn Fn() -> f64>>,
    extra: Vec<Rc<dyn Middleware>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryPolicy::default(),
            session: None,
            log: None,
            metrics: Metrics::new(),
            dedupe: true,
            random: None,
            extra: Vec::new(),
        }
    }
}

impl ClientBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest one attempt may take (`None`: no limit).
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Authenticates requests with `session` (see [`AuthMiddleware`]).
    pub fn session(mut self, session: Rc<dyn Session>) -> Self {
        self.session = Some(session);
        self
    }

    /// Logs every request, answer and call end to `sink`.
    pub fn log_to(mut self, sink: impl Fn(&str) + 'static) -> Self {
        self.log = Some(Rc::new(sink));
        self
    }

    /// Records into `metrics` (e.g. a store shared with other clients).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Whether identical GETs in flight share one request (default on).
    pub fn dedupe(mut self, dedupe: bool) -> Self {
        self.dedupe = dedupe;
        self
    }

    /// Draws retry jitter from `random` (uniform in `[0, 1)`).
    pub fn jitter(mut self, random: impl Fn() -> f64 + 'static) -> Self {
        self.random = Some(Rc::new(random));
        self
    }

    /// Appends `middleware` after the built-in ones.
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.extra.push(Rc::new(middleware));
        self
    }

    pub fn build(self, transport: Rc<dyn Transport>, runtime: Rc<dyn Runtime>) -> ApiClient {
        let mut chain = Chain::new();
        if let Some(sink) = self.log {
            chain = chain.with(LoggingMiddleware::new(move |line| sink(line)));
        }
        chain = chain.with(MetricsMiddleware::new(self.metrics.clone()));
        if let Some(session) = self.session {
            chain = chain.with(AuthMiddleware::new(session));
        }
        let clock = runtime.clone();
        let mut retry = RetryMiddleware::new(self.retry).with_clock(move || clock.now_ms());
        if let Some(random) = self.random {
            retry = retry.with_random(move || random());
        }
        chain = chain.with(retry);
        for extra in self.extra {
            chain = chain.with_shared(extra);
        }
        let pipeline = Pipeline::new(chain, transport, runtime)
            .with_timeout(self.timeout)
            .with_dedupe(self.dedupe);
        ApiClient {
            pipeline: Rc::new(pipeline),
            metrics: self.metrics,
            options: CallOptions::default(),
        }
    }
}

/// The typed API over a pipeline. Cheap to clone.
#[derive(Clone)]
pub struct ApiClient {
    pipeline: Rc<Pipeline>,
    metrics: Metrics,
    options: CallOptions,
}

impl ApiClient {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// This client, making its calls with `options` (timeout, cancel
    /// token); it shares everything else with `self`.
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            options,
            ..self.clone()
        }
    }

    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// The store behind [`metrics`](Self::metrics).
    pub fn metrics_store(&self) -> &Metrics {
        &self.metrics
    }

    pub fn pipeline(&self) -> &Rc<Pipeline> {
        &self.pipeline
    }

    /// Sends `request` through the chain: the raw success, or the error.
    pub fn send(&self, request: ApiRequest) -> LocalBoxFuture<'static, CallResult> {
        self.pipeline.call(request, &self.options)
    }

    fn json<T: DeserializeOwned + 'static>(
        &self,
        request: Result<ApiRequest, ApiError>,
    ) -> LocalApiFuture<T> {
        let call = request.map(|r| self.send(r));
        async move { call?.await?.json() }.boxed_local()
    }

    fn empty(&self, request: ApiRequest) -> LocalApiFuture<()> {
        self.send(request).map(|r| r.map(|_| ())).boxed_local()
    }

    pub fn list_users(&self, query: UserListQuery) -> LocalApiFuture<Page<User>> {
        self.json(Ok(calls::list_users(&query)))
    }

    pub fn get_user(&self, id: Uuid) -> LocalApiFuture<User> {
        self.json(Ok(calls::get_user(id)))
    }

    pub fn create_user(
        &self,
        input: NewUserInput,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<User> {
        self.json(calls::create_user(&input, key.as_ref()))
    }

    pub fn update_user(
        &self,
        id: Uuid,
        version: i64,
        patch: UserPatchInput,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<User> {
        self.json(calls::update_user(id, version, &patch, key.as_ref()))
    }

    pub fn delete_user(
        &self,
        id: Uuid,
        version: i64,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<()> {
        self.empty(calls::delete_user(id, version, key.as_ref()))
    }

    pub fn user_stats(&self) -> LocalApiFuture<UserStats> {
        self.json(Ok(calls::user_stats()))
    }

    /// The changed users (the server answers `{data: [users]}`).
    pub fn batch_update_users(
        &self,
        updates: Vec<UserBatchUpdateInput>,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<Vec<User>> {
        let call =
            self.json::<calls::DataList<User>>(calls::batch_update_users(updates, key.as_ref()));
        async move { call.await.map(|list| list.data) }.boxed_local()
    }

    pub fn list_user_posts(
        &self,
        id: Uuid,
        query: PostListQuery,
    ) -> LocalApiFuture<CursorPage<Post>> {
        self.json(Ok(calls::list_user_posts(id, &query)))
    }

    pub fn list_posts(&self, query: PostListQuery) -> LocalApiFuture<CursorPage<Post>> {
        self.json(Ok(calls::list_posts(&query)))
    }

    pub fn get_post(&self, id: Uuid) -> LocalApiFuture<Post> {
        self.json(Ok(calls::get_post(id)))
    }

    pub fn create_post(
        &self,
        input: NewPostInput,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<Post> {
        self.json(calls::create_post(&input, key.as_ref()))
    }

    pub fn update_post(
        &self,
        id: Uuid,
        version: i64,
        patch: PostPatchInput,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<Post> {
        self.json(calls::update_post(id, version, &patch, key.as_ref()))
    }

    pub fn delete_post(
        &self,
        id: Uuid,
        version: i64,
        key: Option<IdempotencyKey>,
    ) -> LocalApiFuture<()> {
        self.empty(calls::delete_post(id, version, key.as_ref()))
    }

    /// Users matching `query`, by name (the `{data}` list unwrapped).
    pub fn search_users(&self, query: UserSearchQuery) -> LocalApiFuture<Vec<User>> {
        let list: LocalApiFuture<DataList<User>> = self.json(Ok(calls::search_users(&query)));
        list.map(|r| r.map(|l| l.data)).boxed_local()
    }

    pub fn health(&self) -> LocalApiFuture<()> {
        self.empty(calls::health())
    }

    pub fn me(&self) -> LocalApiFuture<User> {
        self.json(Ok(calls::me()))
    }

    /// Signs in; the server also sets the session cookies. Call it on a
    /// client without a session (a 401 here is an answer, not an expired
    /// token).
    pub fn login(&self, credentials: Credentials) -> LocalApiFuture<SignedIn> {
        self.json(calls::login(&credentials))
    }

    /// A new access token from the refresh cookie (which rotates). Call it
    /// on a client without a session.
    pub fn refresh(&self) -> LocalApiFuture<SignedIn> {
        self.json(Ok(calls::refresh()))
    }

    /// Ends the session of the refresh cookie and clears both cookies.
    pub fn logout(&self) -> LocalApiFuture<()> {
        self.empty(calls::logout())
    }
}
