//! The outbox as the app runs it ([`OfflineSync`], shared through
//! context): writes made while the server cannot be reached are queued
//! with their idempotency keys and persisted at once, shown as pending
//! (a signal), and replayed oldest first whenever the server may be back:
//! on the browser's `online` event, when the realtime socket goes live,
//! and every [`RETRY_EVERY`] while a replay keeps getting no answer.
//!
//! Only one replay runs at a time, so a write is never sent twice at once;
//! a repeat after a lost answer carries the same key and is answered from
//! the server's record: each write lands exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;

use super::connectivity::Connectivity;
use super::outbox::{Outbox, OutboxRequest, PendingMutation, Verdict};
use super::storage::OutboxStorage;
use crate::api::{ApiError, ApiFuture};

/// How long to wait before trying again after a replay got no answer.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// The `localStorage` key of the app's outbox.
pub const OUTBOX_KEY: &str = "tidings.outbox";

/// Sends one pending write (with its idempotency key).
pub type SendFn = Arc<dyn Fn(PendingMutation) -> ApiFuture<Value> + Send + Sync>;
/// What a delivered write means for the page (e.g. the cache).
pub type DeliveredFn = Arc<dyn Fn(&PendingMutation, &Value) + Send + Sync>;

type Storage = Box<dyn OutboxStorage + Send + Sync>;

impl OutboxStorage for Storage {
    fn load(&self) -> Vec<PendingMutation> {
        (**self).load()
    }
    fn next_id(&self) -> u64 {
        (**self).next_id()
    }
    fn save(&self, queue: &[PendingMutation], next_id: u64) {
        (**self).save(queue, next_id)
    }
}

/// The page's outbox and its replay; cheap to clone.
#[derive(Clone)]
pub struct OfflineSync(Arc<Inner>);

struct Inner {
    outbox: Mutex<Option<Outbox<Storage>>>,
    pending: ArcRwSignal<Vec<PendingMutation>>,
    refused: ArcRwSignal<Vec<String>>,
    connectivity: Connectivity,
    send: SendFn,
    delivered: DeliveredFn,
    draining: AtomicBool,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    retry_scheduled: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl OfflineSync {
    /// An outbox that sends with `send` and reports deliveries to
    /// `delivered`. It holds nothing until [`OfflineSync::load`] (so the
    /// server and the first browser render agree: nothing pending).
    pub fn new(
        connectivity: Connectivity,
        send: impl Fn(PendingMutation) -> ApiFuture<Value> + Send + Sync + 'static,
        delivered: impl Fn(&PendingMutation, &Value) + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(Inner {
            outbox: Mutex::new(None),
            pending: ArcRwSignal::new(Vec::new()),
            refused: ArcRwSignal::new(Vec::new()),
            connectivity,
            send: Arc::new(send),
            delivered: Arc::new(delivered),
            draining: AtomicBool::new(false),
            retry_scheduled: AtomicBool::new(false),
        }))
    }

    /// Makes this the outbox of the components below the current owner.
    pub fn provide(&self) {
        provide_context(self.clone());
    }

    /// Takes in what an earlier page left in `storage`, shows it as
    /// pending and replays it if the network allows; from then on replays
    /// whenever the browser comes back online.
    pub fn load(&self, storage: impl OutboxStorage + Send + Sync + 'static) {
        let storage: Storage = Box::new(storage);
        *lock(&self.0.outbox) = Some(Outbox::load(storage));
        self.publish();
        self.drain();
        let (this, online) = (self.clone(), self.0.connectivity.browser_online());
        Effect::new(move |_| {
            if online.get() {
                this.drain();
            }
        });
    }

    /// The connectivity this outbox follows.
    pub fn connectivity(&self) -> &Connectivity {
        &self.0.connectivity
    }

    /// The writes waiting for the server, oldest first.
    pub fn pending(&self) -> Signal<Vec<PendingMutation>> {
        self.0.pending.clone().into()
    }

    /// Why the server refused replayed writes (they left the queue).
    pub fn refused(&self) -> Signal<Vec<String>> {
        self.0.refused.clone().into()
    }

    /// Queues a write made with `key`, persists it, and replays if the
    /// network allows. Returns its outbox id.
    pub fn enqueue(&self, key: &str, request: OutboxRequest) -> u64 {
        let now = crate::api::platform::now_ms() as u64;
        let id = {
            let mut outbox = lock(&self.0.outbox);
            let outbox = outbox.get_or_insert_with(|| {
                let memory: Storage = Box::<super::storage::MemoryStorage>::default();
                Outbox::load(memory)
            });
            outbox.enqueue(key.to_owned(), request, now)
        };
        self.publish();
        self.drain();
        id
    }

    /// Replays the queue now (oldest first) unless the browser is offline
    /// or a replay is running.
    pub fn drain(&self) {
        let idle = lock(&self.0.outbox).as_ref().is_none_or(Outbox::is_empty);
        if idle || !self.0.connectivity.browser_online().get_untracked() {
            return;
        }
        if self.0.draining.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        leptos::task::spawn_local(async move {
            let stopped = this.drain_now().await;
            this.0.draining.store(false, Ordering::SeqCst);
            if stopped {
                this.retry_later();
            }
        });
    }

    /// Sends the head until the queue is empty or an attempt gets no
    /// answer; `true` in the latter case.
    async fn drain_now(&self) -> bool {
        loop {
            let head = lock(&self.0.outbox)
                .as_ref()
                .and_then(|o| o.head().cloned());
            let Some(head) = head else {
                return false;
            };
            let result = (self.0.send)(head.clone()).await;
            let unanswered = matches!(result, Err(ApiError::Network(_) | ApiError::Timeout { .. }));
            let verdict = Verdict::of(result);
            let go_on = lock(&self.0.outbox)
                .as_mut()
                .is_some_and(|o| o.settle(head.id, &verdict));
            self.publish();
            self.0.connectivity.set_reachable(!unanswered);
            match verdict {
                Verdict::Delivered(answer) => (self.0.delivered)(&head, &answer),
                Verdict::Rejected(error) => self.0.refused.update(|r| r.push(refusal(&error))),
                Verdict::RetryLater(_) => {}
            }
            if !go_on {
                return true;
            }
        }
    }

    /// Tries again after [`RETRY_EVERY`] (browser only).
    fn retry_later(&self) {
        #[cfg(feature = "hydrate")]
        if !self.0.retry_scheduled.swap(true, Ordering::SeqCst) {
            let this = self.clone();
            set_timeout(
                move || {
                    this.0.retry_scheduled.store(false, Ordering::SeqCst);
                    this.drain();
                },
                RETRY_EVERY,
            );
        }
    }

    fn publish(&self) {
        let queue = lock(&self.0.outbox)
            .as_ref()
            .map(|o| o.pending().to_vec())
            .unwrap_or_default();
        if self.0.pending.with_untracked(|p| *p != queue) {
            self.0.pending.set(queue);
        }
    }
}

/// A refusal as the user reads it: the fields the server named, else its
/// message.
pub fn refusal(error: &ApiError) -> String {
    match error.field_errors() {
        Some(fields) => fields.to_string(),
        None => error.to_string(),
    }
}

/// The outbox provided by the app.
///
/// # Panics
/// When none was provided: a wiring bug, not a runtime condition.
pub fn use_offline() -> OfflineSync {
    expect_context::<OfflineSync>()
}
