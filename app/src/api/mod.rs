//! The `Api` trait: every call the UI makes to the server, in one place.
//!
//! Two implementations exist: in the browser an HTTP client
//! ([`http::HttpApi`], gloo-net against `/api`), and during server rendering
//! the server's own in-process implementation, provided through Leptos
//! context, so rendering a page never makes an HTTP call to itself.

mod error;
#[cfg(feature = "hydrate")]
pub mod http;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::{expect_context, provide_context};
use tidings::{CursorPage, NewPostInput, Page, Post, PostListQuery, User, UserListQuery};
use uuid::Uuid;

pub use error::ApiError;

pub type ApiResult<T> = Result<T, ApiError>;

/// A pending call. `Send` on both sides so Leptos resources can hold it; in
/// the browser the future is wrapped, as it never leaves the one thread.
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 'static>>;

/// The server's API as the UI sees it.
pub trait Api: Send + Sync + 'static {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>>;
    fn get_user(&self, id: Uuid) -> ApiFuture<User>;
    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>>;
    fn create_post(&self, input: NewPostInput) -> ApiFuture<Post>;
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
