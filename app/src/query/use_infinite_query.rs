//! [`use_infinite_query`]: a list loaded page by page, over the engine's
//! infinite queries (cursor or page number, both directions, max pages).
//!
//! The engine keeps the pages and their params as one query's data and
//! plans every page fetch (a refetch reloads each page in order); the hook
//! decodes the pages and offers `fetch_next_page` / `fetch_previous_page`.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::{FetchDecision, InfiniteData, InfiniteOptions, PageDirection, QueryOptions};

use super::binding::Binding;
use super::fetcher;
use super::host::start;
use super::use_query::QueryResult;
use crate::api::ApiError;

/// What [`use_infinite_query`] returns. `Copy`.
pub struct InfiniteQueryResult<P: Send + Sync + 'static> {
    query: QueryResult<Vec<P>>,
    has_next_page: Signal<bool>,
    has_previous_page: Signal<bool>,
    is_fetching_next_page: Signal<bool>,
    is_fetching_previous_page: Signal<bool>,
    binding: StoredValue<Binding>,
}

impl<P: Send + Sync + 'static> Clone for InfiniteQueryResult<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Send + Sync + 'static> Copy for InfiniteQueryResult<P> {}

impl<P: Send + Sync + 'static> InfiniteQueryResult<P> {
    /// The loaded pages, first to last. Suspends like
    /// [`QueryResult::data`].
    pub fn data(&self) -> Signal<Option<Vec<P>>> {
        self.query.data()
    }

    /// Loads the page after the last (the first page if none is loaded).
    /// Joins a fetch of the list already under way.
    pub fn fetch_next_page(&self) {
        self.extend(PageDirection::Forward);
    }

    /// Loads the page before the first, if the paging goes backwards.
    pub fn fetch_previous_page(&self) {
        self.extend(PageDirection::Backward);
    }

    /// Whether a page follows the last one loaded.
    pub fn has_next_page(&self) -> Signal<bool> {
        self.has_next_page
    }

    /// Whether a page precedes the first one loaded.
    pub fn has_previous_page(&self) -> Signal<bool> {
        self.has_previous_page
    }

    /// Whether the next page is being fetched.
    pub fn is_fetching_next_page(&self) -> Signal<bool> {
        self.is_fetching_next_page
    }

    /// Whether the previous page is being fetched.
    pub fn is_fetching_previous_page(&self) -> Signal<bool> {
        self.is_fetching_previous_page
    }

    /// The whole list as a query: `error`, `is_loading`, `is_fetching`,
    /// `is_stale`, `refetch` (which reloads every page).
    pub fn query(&self) -> QueryResult<Vec<P>> {
        self.query
    }

    fn extend(&self, direction: PageDirection) {
        self.binding.with_value(|b| {
            let Some(key) = b.live_key() else {
                return;
            };
            let decision: FetchDecision = b.handle.update(|c| match direction {
                PageDirection::Backward => c.fetch_previous_page(&key),
                _ => c.fetch_next_page(&key),
            });
            start(&b.handle, decision);
        });
    }
}

/// Reads the paged list named by `key_fn()`: `fetcher(args, param)` loads
/// one page, `paging` says how one page leads to the next param
/// ([`InfiniteOptions::cursor`], [`InfiniteOptions::page_numbers`]).
/// Otherwise as [`use_query`](super::use_query).
///
/// # Panics
/// When no [`QueryClientHandle`](super::QueryClientHandle) was provided.
pub fn use_infinite_query<K, P, PP, F, Fut>(
    key_fn: impl Fn() -> K + Send + Sync + 'static,
    fetcher: F,
    paging: InfiniteOptions,
    options: QueryOptions,
) -> InfiniteQueryResult<P>
where
    K: Serialize + PartialEq + Clone + Send + Sync + 'static,
    P: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    PP: DeserializeOwned + 'static,
    F: Fn(K, PP) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<P, ApiError>> + Send + 'static,
{
    let fetch = Arc::new(fetcher);
    let binding = Binding::new(
        key_fn,
        move |args: &K| fetcher::paged(Arc::clone(&fetch), args.clone()),
        options.infinite(paging),
    );
    let data = binding.data(decode_pages::<P>);
    InfiniteQueryResult {
        has_next_page: binding.flag(|s| s.has_next),
        has_previous_page: binding.flag(|s| s.has_previous),
        is_fetching_next_page: binding
            .flag(|s| s.fetching && s.page_fetch == Some(PageDirection::Forward)),
        is_fetching_previous_page: binding
            .flag(|s| s.fetching && s.page_fetch == Some(PageDirection::Backward)),
        binding: StoredValue::new(binding.clone()),
        query: QueryResult::from_binding(binding, data),
    }
}

/// The pages of stored infinite data.
fn decode_pages<P: DeserializeOwned>(value: &Value) -> Option<Vec<P>> {
    InfiniteData::from_value(value)?
        .pages_as()
        .inspect_err(|e| leptos::logging::warn!("cached pages do not match the page type: {e}"))
        .ok()
}
