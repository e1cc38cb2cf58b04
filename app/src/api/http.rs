//! The browser's `Api`: an [`ApiClient`] over gloo-net fetches and
//! browser timers, wrapped to meet the trait's `Send` bounds (sound: WASM
//! in the page is single-threaded).

use std::rc::Rc;

use send_wrapper::SendWrapper;
use tidings::{
    CursorPage, NewPostInput, NewUserInput, Page, Post, PostListQuery, PostPatchInput, User,
    UserBatchUpdateInput, UserListQuery, UserPatchInput, UserSearchQuery, UserStats,
};
use uuid::Uuid;

use super::browser::{console_debug, BrowserRuntime};
use super::client::{ApiClient, ClientBuilder, LocalApiFuture};
use super::fetch::FetchTransport;
use super::metrics::{Metrics, MetricsSnapshot};
use super::pipeline::CallOptions;
use super::retry::RetryPolicy;
use super::{Api, ApiFuture, IdempotencyKey};

/// Calls the API at `base` (empty for the page's own origin).
#[derive(Clone)]
pub struct HttpApi {
    client: SendWrapper<ApiClient>,
}

impl Default for HttpApi {
    fn default() -> Self {
        Self::new("")
    }
}

impl HttpApi {
    /// The standard client (see [`HttpApi::default_builder`]) at `base`.
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_builder(base, Self::default_builder())
    }

    /// Timeout, metrics and dedupe at their defaults, retries for keyed
    /// writes only (the query engine retries the reads it runs, honouring
    /// the `Retry-After` each error carries; a read made outside it is not
    /// retried), and in debug builds every call
    /// logged to the console. No session: add one with
    /// [`ClientBuilder::session`].
    pub fn default_builder() -> ClientBuilder {
        let builder = ClientBuilder::new().retry(RetryPolicy::default().writes_only());
        if cfg!(debug_assertions) {
            builder.log_to(console_debug)
        } else {
            builder
        }
    }

    /// The client `builder` describes, fetching from `base`.
    pub fn with_builder(base: impl Into<String>, builder: ClientBuilder) -> Self {
        let client = builder.build(Rc::new(FetchTransport::new(base)), Rc::new(BrowserRuntime));
        Self {
            client: SendWrapper::new(client),
        }
    }

    /// This API, making its calls with `options` (timeout, cancel token).
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: SendWrapper::new(self.client.with_options(options)),
        }
    }

    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The live metrics store (e.g. to reset it).
    pub fn metrics_store(&self) -> Metrics {
        self.client.metrics_store().clone()
    }
}

fn send<T: 'static>(call: LocalApiFuture<T>) -> ApiFuture<T> {
    Box::pin(SendWrapper::new(call))
}

impl Api for HttpApi {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>> {
        send(self.client.list_users(query))
    }

    fn get_user(&self, id: Uuid) -> ApiFuture<User> {
        send(self.client.get_user(id))
    }

    fn create_user(&self, input: NewUserInput, key: Option<IdempotencyKey>) -> ApiFuture<User> {
        send(self.client.create_user(input, key))
    }

    fn update_user(
        &self,
        id: Uuid,
        version: i64,
        patch: UserPatchInput,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<User> {
        send(self.client.update_user(id, version, patch, key))
    }

    fn delete_user(&self, id: Uuid, version: i64, key: Option<IdempotencyKey>) -> ApiFuture<()> {
        send(self.client.delete_user(id, version, key))
    }

    fn user_stats(&self) -> ApiFuture<UserStats> {
        send(self.client.user_stats())
    }

    fn batch_update_users(
        &self,
        updates: Vec<UserBatchUpdateInput>,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<Vec<User>> {
        send(self.client.batch_update_users(updates, key))
    }

    fn list_user_posts(&self, id: Uuid, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        send(self.client.list_user_posts(id, query))
    }

    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        send(self.client.list_posts(query))
    }

    fn get_post(&self, id: Uuid) -> ApiFuture<Post> {
        send(self.client.get_post(id))
    }

    fn create_post(&self, input: NewPostInput, key: Option<IdempotencyKey>) -> ApiFuture<Post> {
        send(self.client.create_post(input, key))
    }

    fn update_post(
        &self,
        id: Uuid,
        version: i64,
        patch: PostPatchInput,
        key: Option<IdempotencyKey>,
    ) -> ApiFuture<Post> {
        send(self.client.update_post(id, version, patch, key))
    }

    fn delete_post(&self, id: Uuid, version: i64, key: Option<IdempotencyKey>) -> ApiFuture<()> {
        send(self.client.delete_post(id, version, key))
    }

    fn search_users(&self, query: UserSearchQuery) -> ApiFuture<Vec<User>> {
        send(self.client.search_users(query))
    }

    fn me(&self) -> ApiFuture<User> {
        send(self.client.me())
    }

    fn health(&self) -> ApiFuture<()> {
        send(self.client.health())
    }

    fn metrics(&self) -> Option<MetricsSnapshot> {
        Some(self.client.metrics())
    }
}
