//! [`QueryClientHandle`]: the engine's [`QueryClient`] as a Leptos app
//! holds it, one per page (per request on the server), shared through
//! context.
//!
//! Everything sits behind `Arc<Mutex<..>>` so the handle is `Send + Sync`
//! as Leptos requires on both sides (the browser never contends). Every
//! write goes through [`QueryClientHandle::update`], which runs the engine
//! call, then delivers the notifications it produced and re-arms the timer
//! (`host.rs`, `timers.rs`); no lock is held while user code or the
//! reactive graph runs. The engine holds the normalized [`EntityStore`]
//! too; the handle adds one trigger its readers track, notified from the
//! same flush as the query triggers, and the mutation queues.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::future::BoxFuture;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::{
    Clock, DehydratedState, EntityStore, EventKind, FetchDecision, FetchPolicy, Millis,
    Notification, QueryClient, QueryKey, QueryOptions, Shape, ShapeOf, StoreOp, Tag,
};

use super::clock::SystemClock;
use super::host::Host;
use super::mutations::Mutations;
use super::timers::{TimerSlot, Timers};

/// Runs a future to completion in the background.
pub(crate) type Spawn = Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// The page's query client; cheap to clone (all clones share one cache).
#[derive(Clone)]
pub struct QueryClientHandle(pub(crate) Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) engine: Mutex<QueryClient>,
    pub(crate) clock: Arc<dyn Clock>,
    /// What the engine's listener heard, waiting for delivery.
    pub(crate) outbox: Arc<Mutex<Vec<Notification>>>,
    pub(crate) host: Mutex<Host>,
    pub(crate) spawn: Spawn,
    pub(crate) timers: TimerSlot,
    pub(crate) mutations: Mutex<Mutations>,
    /// Notified when the engine's store changed (`Notification::entities`).
    pub(crate) entities: ArcTrigger,
    #[cfg(feature = "hydrate")]
    pub(crate) window: Mutex<Vec<leptos::prelude::WindowListenerHandle>>,
}

/// Locks `m`, ignoring poisoning (a panic elsewhere leaves the cache usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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
            host: Mutex::new(Host::default()),
            spawn,
            timers: TimerSlot::new(self.timers),
            mutations: Mutex::new(Mutations::default()),
            entities: ArcTrigger::new(),
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

impl std::fmt::Debug for QueryClientHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.engine.try_lock() {
            Ok(engine) => f.debug_tuple("QueryClientHandle").field(&*engine).finish(),
            Err(_) => f.write_str("QueryClientHandle(<in use>)"),
        }
    }
}

/// Creates a client with the defaults, provides it to the components
/// below the current owner, and returns it.
pub fn provide_query_client() -> QueryClientHandle {
    let client = QueryClientHandle::new();
    client.provide();
    client
}

/// The client provided by [`provide_query_client`] or
/// [`QueryClientHandle::provide`].
///
/// # Panics
/// When none was provided: a wiring bug, not a runtime condition.
pub fn use_query_client() -> QueryClientHandle {
    expect_context::<QueryClientHandle>()
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

    /// The client's time.
    pub fn now(&self) -> Millis {
        self.0.clock.now()
    }

    /// Reads the engine (untracked: no reactive dependency).
    pub fn read<R>(&self, f: impl FnOnce(&QueryClient) -> R) -> R {
        f(&lock(&self.0.engine))
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
}

/// Starts `decision`'s fetch, if it has one.
pub(crate) fn start(handle: &QueryClientHandle, decision: FetchDecision) {
    if let FetchDecision::Start(start) = decision {
        handle.run(vec![start]);
    }
}
