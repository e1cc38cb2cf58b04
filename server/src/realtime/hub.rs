//! The hub: where the event log's newest committed seq is announced, and
//! where the server says it is shutting down.
//!
//! A write transaction pokes the hub with its last seq after it commits;
//! socket tasks watch the head and, when it moves, read the `events` table
//! after their own position. The hub carries a number, never events, so
//! nothing queues up for a slow socket and a lost poke loses nothing: the
//! next one (or a reconnect) reads the table from where the reader left
//! off. With several server instances on one PostgreSQL database, the
//! [`super::listener`] task pokes the hub for the other instances' commits.

use std::sync::Arc;

use tokio::sync::watch;

use super::counters::RealtimeCounters;

/// Handle to the hub; cheap to clone, shared by the store and the sockets.
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The newest seq known to be committed.
    head: watch::Sender<u64>,
    /// Becomes `true` once, when the server starts shutting down. Every
    /// task that must end on shutdown holds a receiver, so "all receivers
    /// dropped" means "all such tasks finished".
    shutdown: watch::Sender<bool>,
    /// What the sockets count, for the metrics endpoint.
    counters: Arc<RealtimeCounters>,
}

impl Hub {
    /// A hub whose log already holds events up to `head`.
    pub fn new(head: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                head: watch::Sender::new(head),
                shutdown: watch::Sender::new(false),
                counters: Arc::default(),
            }),
        }
    }

    /// The newest committed seq.
    pub fn head(&self) -> u64 {
        *self.inner.head.borrow()
    }

    /// Announces that every event up to `seq` is committed. Called after
    /// the commit; the head never moves back, so pokes arriving out of
    /// order are harmless.
    pub fn advance(&self, seq: u64) {
        self.inner.head.send_if_modified(|head| {
            if seq > *head {
                *head = seq;
                true
            } else {
                false
            }
        });
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

    #[tokio::test]
    async fn the_head_only_moves_forward_and_wakes_watchers() {
        let hub = Hub::new(5);
        let mut rx = hub.watch_head();
        assert_eq!(*rx.borrow_and_update(), 5);
        hub.advance(4);
        hub.advance(5);
        assert!(!rx.has_changed().unwrap());
        hub.advance(9);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 9);
        hub.advance(7);
        assert_eq!(hub.head(), 9);
    }

    #[tokio::test]
    async fn shutdown_reaches_tickets_and_waits_for_their_tasks() {
        let hub = Hub::new(0);
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
