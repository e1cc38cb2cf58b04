//! [`use_query`]: one cached server resource as signals.
//!
//! Typed at the edge: the engine holds JSON, the hook decodes `T` when the
//! shown data changes. See `binding.rs` for how the query is observed,
//! suspended on and hydrated.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tidings::cache::{FetchDecision, Millis, QueryOptions, QueryStatus};

use super::binding::Binding;
use super::fetcher::{self, decode};
use super::handle::QueryClientHandle;
use super::host::start;
use super::key::query_key;
use super::snapshot::Snapshot;
use crate::api::ApiError;

/// What [`use_query`] returns: signals over the query, and `refetch`.
/// `Copy`, like the signals it holds; it lives as long as the component.
pub struct QueryResult<T: Send + Sync + 'static> {
    data: Signal<Option<T>>,
    error: Signal<Option<ApiError>>,
    is_loading: Signal<bool>,
    is_fetching: Signal<bool>,
    is_stale: Signal<bool>,
    is_placeholder: Signal<bool>,
    binding: StoredValue<Binding>,
}

impl<T: Send + Sync + 'static> Clone for QueryResult<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for QueryResult<T> {}

impl<T: Send + Sync + 'static> QueryResult<T> {
    /// The data: the query's own, else placeholder or previous data, else
    /// (while a new key loads) the last key's. Reading it inside
    /// `<Suspense>` / `<Transition>` waits for the first load.
    pub fn data(&self) -> Signal<Option<T>> {
        self.data
    }

    /// The final error of the last fetch (kept while a refetch runs, cleared
    /// by new data). Suspends like [`QueryResult::data`].
    pub fn error(&self) -> Signal<Option<ApiError>> {
        self.error
    }

    /// No data yet and a fetch under way (the first load).
    pub fn is_loading(&self) -> Signal<bool> {
        self.is_loading
    }

    /// A fetch is under way (first load, refetch, retry, or paused offline).
    pub fn is_fetching(&self) -> Signal<bool> {
        self.is_fetching
    }

    /// The data is missing, invalidated or older than `stale_time`
    /// (re-evaluated whenever the query changes, not as time passes).
    pub fn is_stale(&self) -> Signal<bool> {
        self.is_stale
    }

    /// The data shown is not the query's own (placeholder, previous key's).
    pub fn is_placeholder(&self) -> Signal<bool> {
        self.is_placeholder
    }

    /// A part of the data as its own memo (TanStack's `select`): its
    /// readers re-run only when the part changes, not on every change of
    /// the data (a count that stays when the rows change, say).
    pub fn select<U>(&self, part: impl Fn(&T) -> U + Send + Sync + 'static) -> Memo<Option<U>>
    where
        U: PartialEq + Send + Sync + 'static,
    {
        let data = self.data;
        Memo::new(move |_| data.with(|d| d.as_ref().map(&part)))
    }

    /// Polls the query every `every()` ms while that is `Some`, and stops
    /// when it is `None`; reactive (say, poll only while the realtime
    /// socket is down). The other options stay as the hook set them. A
    /// query has one set of options, the last observer's: another hook
    /// observing the same key later sets its own (and stops this polling
    /// until `every` changes again).
    pub fn poll_every(&self, every: impl Fn() -> Option<Millis> + Send + Sync + 'static) {
        self.binding.with_value(|binding| binding.poll_every(every));
    }

    /// Runs the query only while `enabled()` holds (a dependent query:
    /// say, once the id it needs is known); reactive, and turned on while
    /// stale it fetches at once. Give the hook `QueryOptions::enabled`
    /// with the first value, so the first render does not fetch early.
    pub fn enabled_when(&self, enabled: impl Fn() -> bool + Send + Sync + 'static) {
        self.binding
            .with_value(|binding| binding.enabled_when(enabled));
    }

    /// Fetches the query now, whatever its age.
    pub fn refetch(&self) {
        self.binding.with_value(Binding::refetch);
    }

    pub(crate) fn from_binding(binding: Binding, data: Signal<Option<T>>) -> Self {
        Self {
            data,
            error: binding.error(),
            is_loading: binding.flag(|s| s.status == QueryStatus::Pending && s.fetching),
            is_fetching: binding.flag(|s| s.fetching),
            is_stale: binding.flag(|s| s.stale),
            is_placeholder: binding.flag(Snapshot::is_placeholder),
            binding: StoredValue::new(binding),
        }
    }
}

/// Reads the query named by `key_fn()` with `fetcher`, observing it for
/// the component's lifetime.
///
/// `key_fn` is reactive: when its value changes, the hook moves to the new
/// key (the old one is left to gc). Its value is the fetcher's argument
/// and, serialized, the query key (see [`query_key`]). The fetcher runs
/// whenever the engine wants a fetch (first load, stale remount,
/// invalidation, retry, polling, focus, reconnect) and may run after the
/// component is gone: capture what it needs (e.g. `use_api()`) outside it,
/// and read no signals in it.
///
/// Two components reading one key share one request. During SSR the data
/// is fetched once and carried in the page; the browser does not fetch it
/// again on hydration.
///
/// # Panics
/// When no [`QueryClientHandle`] was provided.
pub fn use_query<K, T, F, Fut>(
    key_fn: impl Fn() -> K + Send + Sync + 'static,
    fetcher: F,
    options: QueryOptions,
) -> QueryResult<T>
where
    K: Serialize + PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: Fn(K) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let fetch = Arc::new(fetcher);
    let options = QueryOptions {
        infinite: None,
        ..options
    };
    let binding = Binding::new(
        key_fn,
        move |args: &K| fetcher::plain(Arc::clone(&fetch), args.clone()),
        options,
    );
    let data = binding.data(decode::<T>);
    QueryResult::from_binding(binding, data)
}

impl QueryClientHandle {
    /// Fetches the query `args` names with `fetcher` unless it is fresh,
    /// before it is shown (on hover, say). Unobserved, it is gc'd after
    /// `gc_time`.
    pub fn prefetch_query<K, T, F, Fut>(&self, args: K, fetcher: F, options: QueryOptions)
    where
        K: Serialize + Clone + Send + Sync + 'static,
        T: Serialize,
        F: Fn(K) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let key = query_key(&args);
        self.register(&key, fetcher::plain(Arc::new(fetcher), args));
        let options = self.adapt(QueryOptions {
            infinite: None,
            ..options
        });
        let decision: FetchDecision = self.update(|c| c.prefetch(&key, options));
        start(self, decision);
    }
}
