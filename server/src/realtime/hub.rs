//! The hub: the in-memory tail of the event log, the head that wakes the
//! sockets, the open sockets by user, and the shutdown signal.
//!
//! Committed events are published into the [`Tail`], encoded once; then the
//! head moves and every socket task wakes and takes what its subscription
//! wants from the tail, without asking the database. Nothing is queued
//! per socket: a socket keeps only its position, and one that fell behind
//! the tail reads the table from there. On SQLite the write transaction
//! publishes its own events after commit; with several instances on one
//! PostgreSQL database, the [`super::listener`] task reads the table after
//! the tail's head when poked (by a local commit or another instance's
//! notification) and publishes what it found.
//!
//! Publishing also applies account changes to the open sockets
//! ([`Sessions`]): a deleted user's sockets end, and so do those holding a
//! token of a role the user no longer has.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{watch, Notify};

use super::counters::RealtimeCounters;
use super::sessions::Sessions;
use super::tail::{AccountChange, Committed, Tail};
use crate::db::{Commit, Db};

/// Handle to the hub; cheap to clone, shared by the store and the sockets.
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The log's epoch when the hub opened.
    epoch: String,
    /// The newest committed events.
    tail: RwLock<Tail>,
    /// The tail's head: every event up to it is committed and published.
    head: watch::Sender<u64>,
    /// Asks the PostgreSQL listener to read the table after the tail.
    poke: Notify,
    /// The newest seq a poke said was committed.
    wanted: AtomicU64,
    /// The signed-in sockets by user.
    sessions: Arc<Sessions>,
    /// Becomes `true` once, when the server starts shutting down. Every
    /// task that must end on shutdown holds a receiver, so "all receivers
    /// dropped" means "all such tasks finished".
    shutdown: watch::Sender<bool>,
    /// What the sockets count, for the metrics endpoint.
    counters: Arc<RealtimeCounters>,
}

impl Hub {
    /// A hub for the log of `epoch` that already holds events up to
    /// `head`, with a tail of at most `tail` events.
    pub fn new(epoch: impl Into<String>, head: u64, tail: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                epoch: epoch.into(),
                tail: RwLock::new(Tail::new(head, tail)),
                head: watch::Sender::new(head),
                poke: Notify::new(),
                wanted: AtomicU64::new(head),
                sessions: Arc::default(),
                shutdown: watch::Sender::new(false),
                counters: Arc::default(),
            }),
        }
    }

    /// A hub for `db`, whose tail starts at the log's head and keeps at
    /// most `tail` events.
    pub async fn open(db: &Db, tail: usize) -> Result<Self, sqlx::Error> {
        let log = db.log_state().await?;
        Ok(Self::new(log.epoch, log.head, tail))
    }

    /// Where the log stands for a reader starting now: its epoch and the
    /// head, every event up to which is committed and published. A page
    /// rendered from data read after this position hands it to the
    /// browser, whose socket resumes from it (see `app::realtime`).
    pub fn position(&self) -> (String, u64) {
        (self.inner.epoch.clone(), self.head())
    }

    /// Takes what a write transaction committed: on SQLite its events are
    /// every event after the head, and are published while the commit
    /// still holds the write lock, so commits arrive in seq order; on
    /// PostgreSQL the listener is poked to read the table, where other
    /// instances' commits may lie in between.
    pub fn announce(&self, mut commit: Commit) {
        let Some(through) = commit.through() else {
            return;
        };
        if commit.shares_the_log() {
            self.poke(through);
        } else {
            let events = commit.take_events().into_iter().map(Committed::new);
            self.publish(events.collect(), through);
        }
        drop(commit);
    }

    /// The newest committed seq published.
    pub fn head(&self) -> u64 {
        *self.inner.head.borrow()
    }

    /// The tail, to read.
    pub fn tail(&self) -> RwLockReadGuard<'_, Tail> {
        self.inner.tail.read().unwrap_or_else(|e| e.into_inner())
    }

    fn tail_mut(&self) -> RwLockWriteGuard<'_, Tail> {
        self.inner.tail.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `events`, every event committed after the head up to
    /// `through`, in seq order; the caller guarantees none is missing.
    /// A user deleted among them is forgotten in the tail as the log
    /// forgot them. Then wakes the sockets.
    pub fn publish(&self, events: Vec<Committed>, through: u64) {
        let events: Vec<Arc<Committed>> = events.into_iter().map(Arc::new).collect();
        let changes: Vec<AccountChange> =
            events.iter().filter_map(|e| e.account_change()).collect();
        let head = {
            let mut tail = self.tail_mut();
            tail.push(events.iter().cloned(), through);
            for change in &changes {
                if let AccountChange::Deleted(user) = *change {
                    tail.forget(user);
                }
            }
            tail.head()
        };
        for change in changes {
            self.inner.sessions.follow(change);
        }
        self.advance(head);
    }

    /// Starts the tail again at `head` (events before it cannot be had
    /// from memory any more); sockets behind it read the table.
    pub fn restart_tail(&self, head: u64) {
        let head = {
            let mut tail = self.tail_mut();
            tail.restart(head);
            tail.head()
        };
        self.advance(head);
    }

    /// The log was pruned below `floor`: the tail drops those events too.
    pub fn pruned_below(&self, floor: u64) {
        self.tail_mut().trim_below(floor);
    }

    fn advance(&self, seq: u64) {
        self.inner.head.send_if_modified(|head| {
            if seq > *head {
                *head = seq;
                true
            } else {
                false
            }
        });
    }

    /// Asks the PostgreSQL listener to read the log after the tail: events
    /// up to `seq` are committed.
    pub fn poke(&self, seq: u64) {
        self.inner.wanted.fetch_max(seq, Ordering::Relaxed);
        self.inner.poke.notify_one();
    }

    /// Resolves at the next [`Hub::poke`] (or at once for one not yet
    /// taken).
    pub async fn poked(&self) {
        self.inner.poke.notified().await;
    }

    /// Whether a poke named a seq the tail has not reached.
    pub fn is_wanted(&self) -> bool {
        self.inner.wanted.load(Ordering::Relaxed) > self.head()
    }

    /// The signed-in sockets by user.
    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.inner.sessions
    }

    /// A receiver that wakes whenever the head moves.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    /// Tells every socket and background task to finish.
    pub fn shut_down(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// A ticket for a task that must end on shutdown: hold it for the
    /// task's whole life and await [`Shutdown::requested`].
    pub fn shutdown_ticket(&self) -> Shutdown {
        Shutdown {
            rx: self.inner.shutdown.subscribe(),
        }
    }

    /// Resolves once every [`Shutdown`] ticket has been dropped, that is,
    /// every task holding one has finished.
    pub async fn tasks_finished(&self) {
        self.inner.shutdown.closed().await;
    }

    /// The sockets' counters (open sockets, events delivered, lagging
    /// readers).
    pub fn counters(&self) -> &Arc<RealtimeCounters> {
        &self.inner.counters
    }

    /// How many tasks hold a shutdown ticket now.
    pub fn live_tasks(&self) -> usize {
        self.inner.shutdown.receiver_count()
    }
}

/// Held by a task that must end on shutdown (see [`Hub::shutdown_ticket`]).
#[derive(Debug)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    /// Resolves when shutdown has been requested (at once if it already
    /// has). Cancel-safe.
    pub async fn requested(&mut self) {
        // The hub's sender lives as long as any hub handle; if it were
        // gone, nobody could ask any more, which is shutdown too.
        let _ = self.rx.wait_for(|down| *down).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use tidings::protocol::{Event, EventKind};
    use tidings::Role;
    use uuid::Uuid;

    fn committed(seq: u64, kind: EventKind, data: serde_json::Value) -> Committed {
        Committed::new(Event {
            kind,
            seq,
            ts: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor: None,
            data,
        })
    }

    #[tokio::test]
    async fn publishing_fills_the_tail_and_wakes_watchers_forward_only() {
        let hub = Hub::new("e", 5, 10);
        let mut rx = hub.watch_head();
        assert_eq!(*rx.borrow_and_update(), 5);
        hub.publish(vec![], 4);
        hub.publish(vec![], 5);
        assert!(!rx.has_changed().unwrap());
        let post = serde_json::json!({ "id": Uuid::from_u128(1) });
        hub.publish(vec![committed(9, EventKind::PostDeleted, post)], 9);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 9);
        assert_eq!(hub.tail().len(), 1);
        hub.restart_tail(7);
        assert_eq!(hub.head(), 9);
        assert_eq!(hub.tail().start(), 9);
    }

    #[tokio::test]
    async fn a_published_deletion_ends_the_users_sockets() {
        let hub = Hub::new("e", 0, 10);
        let user = Uuid::from_u128(3);
        let seat = hub
            .sessions()
            .admit(user, Role::User, None, Default::default())
            .unwrap();
        let gone = serde_json::json!({ "id": user });
        hub.publish(vec![committed(1, EventKind::UserDeleted, gone)], 1);
        let why = tokio::time::timeout(Duration::from_secs(1), seat.ended()).await;
        assert_eq!(why.ok(), Some(super::super::sessions::SessionEnd::Deleted));
    }

    #[tokio::test]
    async fn shutdown_reaches_tickets_and_waits_for_their_tasks() {
        let hub = Hub::new("e", 0, 10);
        hub.tasks_finished().await;
        let mut ticket = hub.shutdown_ticket();
        let task = tokio::spawn(async move {
            ticket.requested().await;
        });
        assert_eq!(hub.live_tasks(), 1);
        hub.shut_down();
        assert!(hub.is_shutting_down());
        tokio::time::timeout(Duration::from_secs(5), hub.tasks_finished())
            .await
            .expect("the task ends on shutdown");
        task.await.unwrap();
        // A ticket taken after shutdown fires at once.
        hub.shutdown_ticket().requested().await;
    }
}
