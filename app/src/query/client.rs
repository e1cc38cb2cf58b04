//! Building a [`QueryClientHandle`] ([`QueryClientBuilder`]), providing it,
//! and what pages call on it: reads, writes, invalidation, refetch,
//! hydration, the normalized store.
//!
//! Every write goes through [`QueryClientHandle::update`], which runs the
//! engine call, then delivers the notifications it produced and re-arms
//! the timer (`host.rs`: the one notification path). The engine holds the
//! normalized [`EntityStore`] too; its readers track one trigger,
//! notified from that same flush as the query triggers.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::{
    Clock, DehydratedState, EntityStore, EventKind, FetchDecision, FetchPolicy, Millis,
    Notification, PersistedState, QueryClient, QueryKey, QueryOptions, Shape, ShapeOf, StoreOp,
    Tag,
};

use super::clock::SystemClock;
use super::handle::{lock, QueryClientHandle, Shared, Spawn};
use super::host::start;
use super::mutation_queue::MutationQueue;
use super::registry::Registry;
use super::timers::{TimerSlot, Timers};

struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> Millis {
        self.0.now()
    }
}

/// Builds a [`QueryClientHandle`]; see each setter for the default.
pub struct QueryClientBuilder {
    clock: Arc<dyn Clock>,
    defaults: QueryOptions,
    timers: Timers,
    window_events: bool,
    spawn: Option<Spawn>,
    shapes: Option<ShapeOf>,
}

impl Default for QueryClientBuilder {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            defaults: QueryOptions::default(),
            timers: Timers::Auto,
            window_events: false,
            spawn: None,
            shapes: None,
        }
    }
}

impl QueryClientBuilder {
    /// Where time comes from (default [`SystemClock`]); tests inject a
    /// [`FakeClock`](tidings::cache::FakeClock) with [`Timers::Manual`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Options of queries created without any (by `set_query_data`,
    /// hydration); default [`QueryOptions::default`].
    pub fn defaults(mut self, defaults: QueryOptions) -> Self {
        self.defaults = defaults;
        self
    }

    /// How deadlines are reached (default [`Timers::Auto`]).
    pub fn timers(mut self, timers: Timers) -> Self {
        self.timers = timers;
        self
    }

    /// Report window focus and online/offline to the engine, so stale
    /// observed queries refetch then (browser only; default off).
    pub fn window_events(mut self, on: bool) -> Self {
        self.window_events = on;
        self
    }

    /// How fetches run in the background (default: the Leptos executor).
    pub fn spawner(
        mut self,
        spawn: impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
    ) -> Self {
        self.spawn = Some(Arc::new(spawn));
        self
    }

    /// The shape of each key's data by the app's key scheme (default:
    /// none, every query opaque); see [`QueryClient::set_shapes`].
    pub fn shapes(mut self, shapes: impl Fn(&QueryKey) -> Shape + Send + Sync + 'static) -> Self {
        self.shapes = Some(Arc::new(shapes));
        self
    }

    /// The client.
    pub fn build(self) -> QueryClientHandle {
        let mut engine =
            QueryClient::with_defaults(SharedClock(Arc::clone(&self.clock)), self.defaults);
        if let Some(shapes) = self.shapes {
            engine.set_shapes(move |key: &QueryKey| shapes(key));
        }
        let outbox = Arc::new(Mutex::new(Vec::new()));
        let heard = Arc::clone(&outbox);
        engine.subscribe(move |note: &Notification| lock(&heard).push(note.clone()));
        let spawn = self.spawn.unwrap_or_else(|| {
            Arc::new(|fut: BoxFuture<'static, ()>| untrack(|| leptos::task::spawn(fut)))
        });
        let handle = QueryClientHandle(Arc::new(Shared {
            engine: Mutex::new(engine),
            clock: self.clock,
            outbox,
            registry: Mutex::new(Registry::default()),
            spawn,
            timers: TimerSlot::new(self.timers),
            mutations: Mutex::new(MutationQueue::default()),
            entities: ArcTrigger::new(),
            layer_watchers: Mutex::new(Vec::new()),
            #[cfg(feature = "hydrate")]
            window: Mutex::new(Vec::new()),
        }));
        if self.window_events {
            super::window::listen(&handle);
        }
        handle
    }
}

impl Default for QueryClientHandle {
    fn default() -> Self {
        Self::new()
    }
}

/// Creates a client with the defaults, provides it to the components
/// below the current owner, and returns it.
pub fn provide_query_client() -> QueryClientHandle {
    let client = QueryClientHandle::new();
    client.provide();
    client
}

impl QueryClientHandle {
    /// A client with the system clock and the platform's timers.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder, to inject a clock, defaults, timers or a spawner.
    pub fn builder() -> QueryClientBuilder {
        QueryClientBuilder::default()
    }

    /// Makes this the client of the components below the current owner.
    pub fn provide(&self) {
        provide_context(self.clone());
    }

    /// Changes the engine with `f`, then delivers its notifications to the
    /// signals and re-arms the timer. Fetches `f` returns are not started:
    /// pass them to the methods below rather than calling the engine's
    /// fetch methods here.
    pub fn update<R>(&self, f: impl FnOnce(&mut QueryClient) -> R) -> R {
        let out = f(&mut lock(&self.0.engine));
        self.flush();
        out
    }

    /// The data of `key` as a `T`, if cached and of that type (untracked).
    pub fn query_data<T: DeserializeOwned>(&self, key: &QueryKey) -> Option<T> {
        self.read(|c| {
            c.query_data(key)
                .as_deref()
                .and_then(super::fetcher::decode)
        })
    }

    /// Writes `data` as the data of `key` (an optimistic write, a socket
    /// event); observers re-render.
    ///
    /// # Panics
    /// When `data` does not serialize to JSON.
    pub fn set_query_data<T: Serialize>(&self, key: &QueryKey, data: &T) {
        let data: Value = serde_json::to_value(data).expect("query data serializes to JSON");
        self.update(|c| c.set_query_data(key, data));
    }

    /// Whether `key` is cached.
    pub fn contains(&self, key: &QueryKey) -> bool {
        self.read(|c| c.state(key).is_some())
    }

    /// Drops `key` from the cache now.
    pub fn remove(&self, key: &QueryKey) -> bool {
        self.update(|c| c.remove(key))
    }

    /// Forgets what the page has read from the server: every query and
    /// the normalized store with its optimistic layers (see
    /// [`QueryClient::clear`]). For the end of a session. Mutations in flight or
    /// waiting their turn are left to finish as they would (their layers
    /// are gone; committing or rolling back a missing layer does nothing);
    /// the offline outbox is not touched.
    pub fn clear(&self) {
        self.update(QueryClient::clear);
    }

    /// Invalidates every query under `prefix`; observed ones refetch now.
    pub fn invalidate_prefix(&self, prefix: &QueryKey) {
        let starts = self.update(|c| c.invalidate_prefix(prefix));
        self.run(starts);
    }

    /// Invalidates every query providing one of `tags`; observed ones
    /// refetch now.
    pub fn invalidate_tags(&self, tags: &[Tag]) {
        let starts = self.update(|c| c.invalidate_tags(tags));
        self.run(starts);
    }

    /// Invalidates what a server change event makes stale.
    pub fn invalidate_event(&self, kind: EventKind, payload: &Value) {
        let starts = self.update(|c| c.invalidate_event(kind, payload));
        self.run(starts);
    }

    /// Fetches `key` now whatever its age (joining a fetch in flight).
    pub fn refetch(&self, key: &QueryKey) {
        let decision = self.update(|c| c.fetch(key, FetchPolicy::Force));
        start(self, decision);
    }

    /// Abandons the fetch of `key` in flight; its result will be ignored.
    pub fn cancel(&self, key: &QueryKey) -> bool {
        self.update(|c| c.cancel(key))
    }

    /// Records the network state; back online, paused fetches resume and
    /// stale observed queries refetch.
    pub fn set_online(&self, online: bool) {
        let starts = self.update(|c| c.set_online(online));
        self.run(starts);
    }

    /// The window regained focus: stale observed queries refetch.
    pub fn focus(&self) {
        let starts = self.update(|c| c.focus());
        self.run(starts);
    }

    /// The successful queries, for handing to another client.
    pub fn dehydrate(&self) -> DehydratedState {
        self.read(QueryClient::dehydrate)
    }

    /// Takes in dehydrated queries (older than held data are skipped).
    pub fn hydrate(&self, state: DehydratedState) -> usize {
        self.update(|c| c.hydrate(state))
    }

    /// The confirmed queries, stamped with the time now, for the next page
    /// load to [`restore`](QueryClientHandle::restore).
    pub fn persist(&self) -> PersistedState {
        self.read(QueryClient::persist)
    }

    /// Takes in what an earlier page [`persist`](QueryClientHandle::persist)ed,
    /// where it is newer than what this page holds; a query it wrote that
    /// is observed and stale refetches now.
    pub fn restore(&self, state: PersistedState) {
        let starts = self.update(|c| {
            let mut written = c.restore(state);
            written.retain(|key| c.observer_count(key) > 0);
            written
                .iter()
                .filter_map(|key| match c.fetch(key, FetchPolicy::IfStale) {
                    FetchDecision::Start(start) => Some(start),
                    _ => None,
                })
                .collect()
        });
        self.run(starts);
    }

    /// Calls `f` after each batch of changes to the engine's queries or
    /// store, for as long as the client lives. `f` runs under the engine's
    /// lock: it must not call the client (schedule what needs it).
    pub fn on_change(&self, f: impl Fn() + Send + 'static) {
        self.update(|c| c.subscribe(move |_| f()));
    }

    /// Records `ops` (entities an answer carried) as the server's word,
    /// under the optimistic layers; a newer version held wins.
    pub fn confirm_entities(&self, ops: &[StoreOp]) {
        self.update(|c| c.confirm_entities(ops));
    }

    /// Reads the engine's normalized store (entities under their
    /// optimistic layers); in a reactive scope, re-runs on any change to
    /// it. `f` runs under the engine's lock: it must not call the client.
    pub fn with_store<R>(&self, f: impl FnOnce(&EntityStore) -> R) -> R {
        self.0.entities.track();
        self.with_store_untracked(f)
    }

    /// [`QueryClientHandle::with_store`] without a reactive dependency.
    pub fn with_store_untracked<R>(&self, f: impl FnOnce(&EntityStore) -> R) -> R {
        self.read(|c| f(c.store()))
    }

    /// Does everything due now: drops unobserved queries past their gc
    /// time, starts due retries and polls.
    pub fn tick(&self) {
        let now = self.now();
        let starts = self.update(|c| c.tick(now));
        self.run(starts);
    }

    /// The earliest time [`QueryClientHandle::tick`] has work, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.read(|c| c.next_deadline())
    }
}
