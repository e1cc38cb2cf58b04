//! The `Api` trait: every call the UI makes to the server, in one place.
//!
//! Two implementations exist: in the browser an HTTP client
//! ([`http::HttpApi`], gloo-net against `/api`), and during server rendering
//! the server's own in-process implementation, provided through Leptos
//! context, so rendering a page never makes an HTTP call to itself.
//!
//! The HTTP client is a [`Pipeline`] of middleware over a transport. Its
//! logic is framework-free and tested natively; only the transport and the
//! timers are the browser's. One file per concept:
//!
//! - `error.rs`: [`ApiError`], the one typed error, and what is retryable;
//! - `endpoint.rs`, `request.rs`, `response.rs`, `calls.rs`: endpoints by
//!   template, requests and answers as data, each call as a request;
//!   `idempotency.rs`: [`IdempotencyKey`]; `account.rs`: sign-in bodies;
//! - `middleware.rs`: the [`Middleware`] hooks and their [`Chain`];
//!   `pipeline.rs`: attempts, timeouts, cancellation, dedupe;
//!   `client.rs`: the typed [`ApiClient`] and its builder;
//! - the middleware: `auth.rs` ([`Session`], with `refresh_gate.rs`),
//!   `retry.rs` (with `retry_after.rs`; the schedule is [`tidings::Backoff`]), `metrics.rs`,
//!   `logging.rs`; `dedupe.rs` and `cancel.rs` serve the pipeline;
//! - browser glue (`hydrate`): `http.rs` ([`http::HttpApi`]), `fetch.rs`
//!   (gloo-net with an `AbortController`), `browser.rs` (timers, console);
//!   `platform.rs`: randomness and the clock on either side.

pub mod account;
pub mod auth;
pub mod calls;
pub mod cancel;
pub mod client;
pub mod dedupe;
pub mod endpoint;
mod error;
pub mod idempotency;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod pipeline;
pub(crate) mod platform;
pub mod refresh_gate;
pub mod request;
pub mod response;
pub mod retry;
pub mod retry_after;

#[cfg(feature = "hydrate")]
pub mod browser;
#[cfg(feature = "hydrate")]
mod fetch;
#[cfg(feature = "hydrate")]
pub mod http;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::{expect_context, provide_context};
use tidings::{
    CursorPage, NewPostInput, NewUserInput, Page, Post, PostListQuery, PostPatchInput, User,
    UserBatchUpdateInput, UserListQuery, UserPatchInput, UserSearchQuery, UserStats,
};
use uuid::Uuid;

pub use account::{Credentials, SignedIn};
pub use auth::{Session, TokenSession};
pub use cancel::{cancellable, CancelToken};
pub use client::{ApiClient, ClientBuilder};
pub use endpoint::{Endpoint, Method};
pub use error::{status_is_retryable, ApiError, ApiErrorKind};
pub use idempotency::IdempotencyKey;
pub use metrics::{EndpointMetrics, Metrics, MetricsSnapshot};
pub use middleware::{Attempt, Chain, Middleware, Next, Settled};
pub use pipeline::{CallOptions, Pipeline, Runtime, Transport};
pub use request::ApiRequest;
pub use response::RawResponse;
pub use retry::RetryPolicy;

pub type ApiResult<T> = Result<T, ApiError>;

/// A pending call. `Send` on both sides so Leptos resources can hold it; in
/// the browser the future is wrapped, as it never leaves the one thread.
/// Dropping it cancels the call (the browser aborts the request).
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 'static>>;

/// The server's API as the UI sees it.
///
/// Writes name the `version` of the entity they were based on (sent as
/// `If-Match`; a lost race is a 412) and may carry an [`IdempotencyKey`]:
/// make one per logical mutation and reuse it when repeating that
/// mutation; the client sends the same key with every retry. Without a
/// key a write is never retried automatically.
pub trait Api: Send + Sync + 'static {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>>;
    fn get_user(&self, id: Uuid) -> ApiFuture<User>;
    fn create_user(&self, input: NewUserInput, key: Option<IdempotencyKey>) -> ApiFuture<User>;
    fn update_user(
        &self,
        id: Uuid,
        version: i64,
        patch: UserPatchInput,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<User>;
    fn delete_user(&self, id: Uuid, version: i64, key: Option<IdempotencyKey>) -> ApiFuture<()>;
    /// `GET /api/users/stats`: totals, recent activity, users per role.
    fn user_stats(&self) -> ApiFuture<UserStats>;
    /// `PATCH /api/users/batch`: every update (each naming the version it
    /// read) or none; the changed users in the order of `updates`.
    fn batch_update_users(
        &self,
        updates: Vec<UserBatchUpdateInput>,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<Vec<User>>;
    /// `GET /api/users/{id}/posts`: one keyset page of that user's posts,
    /// newest first (`query.author_id` is ignored); 404 for no such user.
    fn list_user_posts(&self, id: Uuid, query: PostListQuery) -> ApiFuture<CursorPage<Post>>;

    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>>;
    fn get_post(&self, id: Uuid) -> ApiFuture<Post>;
    fn create_post(&self, input: NewPostInput, key: Option<IdempotencyKey>) -> ApiFuture<Post>;
    fn update_post(
        &self,
        id: Uuid,
        version: i64,
        patch: PostPatchInput,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<Post>;
    fn delete_post(&self, id: Uuid, version: i64, key: Option<IdempotencyKey>) -> ApiFuture<()>;
    /// Users whose name or email contains `query.q`, by name
    /// (`GET /api/users/search`). Posts are searched through
    /// [`Api::list_posts`] with [`PostListQuery::search`].
    fn search_users(&self, query: UserSearchQuery) -> ApiFuture<Vec<User>>;

    /// The signed-in user (`GET /api/auth/me`); 401 when nobody is.
    fn me(&self) -> ApiFuture<User>;

    /// `Ok` when the server and its store answer (`GET /healthz`).
    fn health(&self) -> ApiFuture<()>;

    /// The client's per-endpoint metrics, where it keeps any (the browser
    /// client does; the in-process one does not).
    fn metrics(&self) -> Option<MetricsSnapshot> {
        None
    }
}

/// The implementation in use, shared through context.
#[derive(Clone)]
pub struct ApiHandle(pub Arc<dyn Api>);

impl ApiHandle {
    pub fn new(api: impl Api) -> Self {
        Self(Arc::new(api))
    }

    /// Makes `self` the API for the components below the current owner.
    pub fn provide(self) {
        provide_context(self);
    }
}

/// The API provided by the server (during SSR) or by `hydrate()`.
///
/// # Panics
/// When no `ApiHandle` was provided: a wiring bug, not a runtime condition.
pub fn use_api() -> Arc<dyn Api> {
    expect_context::<ApiHandle>().0
}
