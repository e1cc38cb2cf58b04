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
//!
//! Each queued write shows on the page as an optimistic layer of the
//! engine's store (a pending mutation), from the moment it is queued and
//! again after a reload: delivered, the layer gives way to what the server
//! answered; refused, it is rolled back, the entity as the server now has
//! it is taken in (a 412 carries it), and the refusal is published for the
//! page (a post editor reopens on a conflict).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;
use tidings::cache::{EntityOp, MutationId, StoreOp, Tag};
use tidings::Post;

use super::connectivity::Connectivity;
use super::outbox::{Outbox, OutboxRequest, PendingMutation, Verdict};
use super::requests::QueuedWrite;
use super::storage::OutboxStorage;
use crate::api::{ApiError, ApiFuture, IdempotencyKey};
use crate::query::{lock, QueryClientHandle};

/// How long to wait before trying again after a replay got no answer.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// The name of the outbox of user `user` (its IndexedDB database and the
/// channel its tabs announce changes on): each user's writes are kept
/// apart, and only their own sessions replay them.
pub fn outbox_key(user: uuid::Uuid) -> String {
    format!("tidings.outbox.{user}")
}

/// Where a build before per-user outboxes kept one for whoever signed in;
/// removed unread.
pub const SHARED_OUTBOX_KEY: &str = "tidings.outbox";

/// Sends one pending write (with its idempotency key).
pub type SendFn = Arc<dyn Fn(PendingMutation) -> ApiFuture<Value> + Send + Sync>;
/// What a delivered write means for the page beyond the cache (the
/// cache is settled here).
pub type DeliveredFn = Arc<dyn Fn(&PendingMutation, &Value) + Send + Sync>;

type Storage = Box<dyn OutboxStorage + Send + Sync>;

/// Reads the storage again before a replay (another tab may have just
/// delivered what this one still holds).
type ReadAgain =
    Arc<send_wrapper::SendWrapper<Box<dyn Fn() -> futures::future::LocalBoxFuture<'static, ()>>>>;

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

/// A replayed write the server refused: it left the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The write, when this build can read it.
    pub write: Option<QueuedWrite>,
    pub error: ApiError,
}

impl Refusal {
    /// Why, as the user reads it.
    pub fn message(&self) -> String {
        refusal(&self.error)
    }
}

struct Inner {
    outbox: Mutex<Option<Outbox<Storage>>>,
    pending: ArcRwSignal<Vec<PendingMutation>>,
    refusals: ArcRwSignal<Vec<Refusal>>,
    connectivity: Connectivity,
    client: QueryClientHandle,
    /// The layer showing each queued write, by outbox id, with the lists
    /// the write may change.
    layers: Mutex<HashMap<u64, (MutationId, Tag)>>,
    send: SendFn,
    delivered: DeliveredFn,
    draining: AtomicBool,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    retry_scheduled: AtomicBool,
    /// The Web Lock a replay holds, so one tab replays at a time.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    replay_lock: Mutex<Option<(String, ReadAgain)>>,
}

impl OfflineSync {
    /// An outbox that shows its writes in `client`'s store, sends with
    /// `send` and reports deliveries to `delivered`. It holds nothing
    /// until [`OfflineSync::load`] (so the server and the first browser
    /// render agree: nothing pending).
    pub fn new(
        connectivity: Connectivity,
        client: QueryClientHandle,
        send: impl Fn(PendingMutation) -> ApiFuture<Value> + Send + Sync + 'static,
        delivered: impl Fn(&PendingMutation, &Value) + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(Inner {
            outbox: Mutex::new(None),
            pending: ArcRwSignal::new(Vec::new()),
            refusals: ArcRwSignal::new(Vec::new()),
            connectivity,
            client,
            layers: Mutex::new(HashMap::new()),
            send: Arc::new(send),
            delivered: Arc::new(delivered),
            draining: AtomicBool::new(false),
            retry_scheduled: AtomicBool::new(false),
            replay_lock: Mutex::new(None),
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

    /// Replays only while holding the Web Lock `name` (in the browser),
    /// reading the storage again with `read_again` first: of the tabs
    /// sharing this outbox, one replays at a time, and the next finds
    /// what the last delivered gone.
    pub fn replay_under(
        &self,
        name: String,
        read_again: impl Fn() -> futures::future::LocalBoxFuture<'static, ()> + 'static,
    ) {
        let read_again: ReadAgain = Arc::new(send_wrapper::SendWrapper::new(Box::new(read_again)));
        *lock(&self.0.replay_lock) = Some((name, read_again));
    }

    /// The connectivity this outbox follows.
    pub fn connectivity(&self) -> &Connectivity {
        &self.0.connectivity
    }

    /// The writes waiting for the server, oldest first.
    pub fn pending(&self) -> Signal<Vec<PendingMutation>> {
        self.0.pending.clone().into()
    }

    /// The replayed writes the server refused (they left the queue), in
    /// the order refused.
    pub fn refusals(&self) -> Signal<Vec<Refusal>> {
        self.0.refusals.clone().into()
    }

    /// Whether a write should go to the queue rather than be sent now:
    /// the server cannot be reached, or earlier writes wait (a write never
    /// overtakes one made before it).
    pub fn should_queue(&self) -> bool {
        !self.0.connectivity.online().get_untracked()
            || lock(&self.0.outbox).as_ref().is_some_and(|o| !o.is_empty())
    }

    /// A [`MutationOptions::divert`](crate::query::MutationOptions::divert)
    /// that queues a call here (made into a request by `request`) when
    /// [`OfflineSync::should_queue`] says so, or when an attempt got no
    /// answer.
    pub fn divert<V>(
        &self,
        request: impl Fn(&V) -> (IdempotencyKey, OutboxRequest) + Send + Sync + 'static,
    ) -> impl Fn(&V, Option<&ApiError>) -> bool + Send + Sync + 'static {
        let this = self.clone();
        move |vars, error| {
            match error {
                None if !this.should_queue() => return false,
                None => {}
                Some(_) => this.0.connectivity.set_reachable(false),
            }
            let (key, request) = request(vars);
            this.enqueue(key.as_str(), request);
            true
        }
    }

    /// Reads the queue again from its storage (another tab changed it)
    /// and shows it.
    pub fn reload(&self) {
        if let Some(outbox) = lock(&self.0.outbox).as_mut() {
            outbox.reload();
        }
        self.publish();
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
            let stopped = this.replay().await;
            this.0.draining.store(false, Ordering::SeqCst);
            if stopped {
                this.retry_later();
            }
        });
    }

    /// [`OfflineSync::drain_now`] under the replay lock, if any; `true`
    /// when replay should be tried again later.
    async fn replay(&self) -> bool {
        #[cfg(feature = "hydrate")]
        {
            let under = lock(&self.0.replay_lock).clone();
            if let Some((name, read_again)) = under {
                use crate::web_locks::{exclusive, Wait};
                let this = self.clone();
                let replayed = exclusive(&name, Wait::IfFree, move || async move {
                    (read_again)().await;
                    this.reload();
                    this.drain_now().await
                });
                // Another tab is replaying: look again later.
                return replayed.await.unwrap_or(true);
            }
        }
        self.drain_now().await
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
            let unanswered = result.as_ref().is_err_and(ApiError::is_unanswered);
            let verdict = Verdict::of(result);
            let settled = !matches!(verdict, Verdict::RetryLater(_));
            let layer = settled
                .then(|| lock(&self.0.layers).remove(&head.id))
                .flatten();
            let go_on = lock(&self.0.outbox)
                .as_mut()
                .is_some_and(|o| o.settle(head.id, &verdict));
            self.0.connectivity.set_reachable(!unanswered);
            let write = QueuedWrite::of(&head.request).ok();
            match verdict {
                Verdict::Delivered(answer) => {
                    if let (Some((layer, tag)), Some(write)) = (layer, &write) {
                        let confirmed = write.confirmed(&answer);
                        self.0
                            .client
                            .settle_waiting(layer, Ok((confirmed, vec![tag])));
                    }
                    (self.0.delivered)(&head, &answer);
                }
                Verdict::Rejected(error) => {
                    if let Some((layer, _)) = layer {
                        self.0.client.settle_waiting(layer, Err(&error));
                    }
                    let current = write.as_ref().map(|w| current_entities(w, &error));
                    if let Some(current) = current.filter(|ops| !ops.is_empty()) {
                        self.0.client.confirm_entities(&current);
                    }
                    self.0.refusals.update(|r| r.push(Refusal { write, error }));
                }
                Verdict::RetryLater(_) => {}
            }
            self.publish();
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

    /// Shows the queue: the pending list, and a layer for each write
    /// (those gone from the queue without being settled here, another
    /// tab settled: their layers go and their lists are refreshed).
    fn publish(&self) {
        let queue = lock(&self.0.outbox)
            .as_ref()
            .map(|o| o.pending().to_vec())
            .unwrap_or_default();
        self.show_layers(&queue);
        if self.0.pending.with_untracked(|p| *p != queue) {
            self.0.pending.set(queue);
        }
    }

    fn show_layers(&self, queue: &[PendingMutation]) {
        let (new, gone) = {
            let layers = lock(&self.0.layers);
            let new: Vec<&PendingMutation> = queue
                .iter()
                .filter(|m| !layers.contains_key(&m.id))
                .collect();
            let gone: Vec<u64> = layers
                .keys()
                .filter(|id| !queue.iter().any(|m| m.id == **id))
                .copied()
                .collect();
            (new, gone)
        };
        for id in gone {
            if let Some((layer, tag)) = lock(&self.0.layers).remove(&id) {
                self.0
                    .client
                    .settle_waiting(layer, Ok((Vec::new(), vec![tag])));
            }
        }
        for pending in new {
            let Ok(write) = QueuedWrite::of(&pending.request) else {
                continue;
            };
            let ops = write.optimistic(&pending.idempotency_key, pending.created_at);
            let shown = serde_json::json!({ "queued": write.describe() });
            let layer = self.0.client.show_waiting(shown, ops);
            lock(&self.0.layers).insert(pending.id, (layer, write.tag()));
        }
    }
}

/// The entities as the server now has them, from a refusal that carries
/// them (a 412's `details.current`: the post, the user, or the users of a
/// batch).
fn current_entities(write: &QueuedWrite, error: &ApiError) -> Vec<StoreOp> {
    match write.tag() {
        Tag::Posts => error
            .current::<Post>()
            .map(|p| vec![StoreOp::Post(EntityOp::Upsert(p))])
            .unwrap_or_default(),
        _ => error
            .current_users()
            .into_iter()
            .map(|u| StoreOp::User(EntityOp::Upsert(u)))
            .collect(),
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
