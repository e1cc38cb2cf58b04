//! [`QueryClientHandle`]: the one owner of a page's server state (one per
//! page; per request on the server), shared through context. It holds the
//! engine's [`QueryClient`] (queries and the normalized store), what the
//! host keeps beside it per key ([`Registry`]), the mutation queues and the
//! deadline timer; the files above this one give it its behaviour.
//!
//! Everything sits behind `Arc<Mutex<..>>` so the handle is `Send + Sync`
//! as Leptos requires on both sides (the browser never contends). No lock
//! is held while user code or the reactive graph runs.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use leptos::prelude::*;
use tidings::cache::{Clock, Millis, Notification, QueryClient};

pub(crate) use super::lock::lock;
use super::mutation_queue::MutationQueue;
use super::registry::Registry;
use super::timers::TimerSlot;

/// Runs a future to completion in the background.
pub(crate) type Spawn = Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// The page's query client; cheap to clone (all clones share one cache).
#[derive(Clone)]
pub struct QueryClientHandle(pub(crate) Arc<Shared>);

/// What a [`QueryClientHandle`] owns.
pub(crate) struct Shared {
    pub(crate) engine: Mutex<QueryClient>,
    pub(crate) clock: Arc<dyn Clock>,
    /// What the engine's listener heard, waiting for delivery.
    pub(crate) outbox: Arc<Mutex<Vec<Notification>>>,
    pub(crate) registry: Mutex<Registry>,
    pub(crate) spawn: Spawn,
    pub(crate) timers: TimerSlot,
    pub(crate) mutations: Mutex<MutationQueue>,
    /// Notified when the engine's store changed (`Notification::entities`).
    pub(crate) entities: ArcTrigger,
    /// Told of every change to this page's own optimistic layers.
    pub(crate) layer_watchers: Mutex<Vec<super::layer_change::LayerWatcher>>,
    #[cfg(feature = "hydrate")]
    pub(crate) window: Mutex<Vec<leptos::prelude::WindowListenerHandle>>,
}

/// The client provided by [`provide_query_client`](super::provide_query_client)
/// or [`QueryClientHandle::provide`].
///
/// # Panics
/// When none was provided: a wiring bug, not a runtime condition.
pub fn use_query_client() -> QueryClientHandle {
    expect_context::<QueryClientHandle>()
}

impl QueryClientHandle {
    /// The client's time.
    pub fn now(&self) -> Millis {
        self.0.clock.now()
    }

    /// Reads the engine (untracked: no reactive dependency).
    pub fn read<R>(&self, f: impl FnOnce(&QueryClient) -> R) -> R {
        f(&lock(&self.0.engine))
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
