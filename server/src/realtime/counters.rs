//! Counters of the realtime sockets, kept by the hub and read by the
//! metrics endpoint (`crate::ops::metrics`).
//!
//! - sockets open: a gauge, one per socket task from its first frame to
//!   its end (a [`SocketOpen`] guard, so every way out counts);
//! - events delivered: change events written to sockets (counted once the
//!   batch holding them was flushed);
//! - lagged readers: a reader *lags* when one read of the log came back
//!   full (a whole batch of matching events) and still ended before the
//!   head, that is, it was more than one read batch behind; or when
//!   retention pruned events it had not read yet and it was told to
//!   `RESYNC` mid-stream. Each lagging episode counts once when it begins;
//!   a gauge says how many readers are more than a batch behind right now.
//!   A `RESYNC` answering a `subscribe` (a client back from far away or
//!   from another epoch) is not a lag of this server's and is not counted.
//! - reads of the event table: by a socket that fell behind the in-memory
//!   tail, and by the PostgreSQL listener filling the tail;
//! - refusals (a socket or frame the server would not take, by [`Refused`])
//!   and closes the server decided (by [`Closed`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the server refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A socket beyond the user's limit.
    SocketsPerUser,
    /// A socket beyond the server's limit.
    SocketsTotal,
    /// A socket whose `auth` frame did not come in time.
    AuthDeadline,
    /// A socket whose credentials were bad, or whose session had ended.
    Unauthorized,
    /// A `subscribe` frame beyond the rate limit.
    SubscribeRate,
    /// A frame larger than the limit.
    FrameTooLarge,
}

impl Refused {
    pub const ALL: [Refused; 6] = [
        Refused::SocketsPerUser,
        Refused::SocketsTotal,
        Refused::AuthDeadline,
        Refused::Unauthorized,
        Refused::SubscribeRate,
        Refused::FrameTooLarge,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Refused::SocketsPerUser => "sockets_per_user",
            Refused::SocketsTotal => "sockets_total",
            Refused::AuthDeadline => "auth_deadline",
            Refused::Unauthorized => "unauthorized",
            Refused::SubscribeRate => "subscribe_rate",
            Refused::FrameTooLarge => "frame_too_large",
        }
    }
}

/// Why the server closed a signed-in socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    TokenExpired,
    SignedOut,
    Deleted,
    RoleChanged,
    /// A send missed its deadline.
    TooSlow,
}

impl Closed {
    pub const ALL: [Closed; 5] = [
        Closed::TokenExpired,
        Closed::SignedOut,
        Closed::Deleted,
        Closed::RoleChanged,
        Closed::TooSlow,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Closed::TokenExpired => "token_expired",
            Closed::SignedOut => "signed_out",
            Closed::Deleted => "deleted",
            Closed::RoleChanged => "role_changed",
            Closed::TooSlow => "too_slow",
        }
    }
}

/// The counters; one set per hub.
#[derive(Debug, Default)]
pub struct RealtimeCounters {
    sockets_open: AtomicU64,
    events_delivered: AtomicU64,
    lagged_behind: AtomicU64,
    lagged_resync: AtomicU64,
    readers_lagging: AtomicU64,
    socket_table_reads: AtomicU64,
    listener_reads: AtomicU64,
    refused: [AtomicU64; Refused::ALL.len()],
    closed: [AtomicU64; Closed::ALL.len()],
}

/// The counters' values at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RealtimeSnapshot {
    pub sockets_open: u64,
    pub events_delivered: u64,
    /// Times a reader fell more than one read batch behind the head.
    pub lagged_behind: u64,
    /// Times a reader was told to `RESYNC` because the log was pruned
    /// past it.
    pub lagged_resync: u64,
    /// Readers more than one read batch behind now.
    pub readers_lagging: u64,
    /// Reads of the event table by sockets behind the tail.
    pub socket_table_reads: u64,
    /// Reads of the event table by the PostgreSQL listener.
    pub listener_reads: u64,
    /// By [`Refused::ALL`].
    pub refused: [u64; Refused::ALL.len()],
    /// By [`Closed::ALL`].
    pub closed: [u64; Closed::ALL.len()],
}

impl RealtimeCounters {
    /// Counts a socket as open until the guard drops.
    pub fn socket_opened(self: &Arc<Self>) -> SocketOpen {
        self.sockets_open.fetch_add(1, Ordering::Relaxed);
        SocketOpen {
            counters: Arc::clone(self),
            lagging: false,
        }
    }

    pub fn events_delivered(&self, n: u64) {
        self.events_delivered.fetch_add(n, Ordering::Relaxed);
    }

    pub fn listener_read(&self) {
        self.listener_reads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, why: Refused) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn closed(&self, why: Closed) {
        self.closed[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RealtimeSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RealtimeSnapshot {
            sockets_open: load(&self.sockets_open),
            events_delivered: load(&self.events_delivered),
            lagged_behind: load(&self.lagged_behind),
            lagged_resync: load(&self.lagged_resync),
            readers_lagging: load(&self.readers_lagging),
            socket_table_reads: load(&self.socket_table_reads),
            listener_reads: load(&self.listener_reads),
            refused: self.refused.each_ref().map(load),
            closed: self.closed.each_ref().map(load),
        }
    }
}

/// One open socket's share of the counters: held by its task.
#[derive(Debug)]
pub struct SocketOpen {
    counters: Arc<RealtimeCounters>,
    /// Whether this reader is more than one read batch behind now.
    lagging: bool,
}

impl SocketOpen {
    /// Records how a read of the log ended: `behind` when the batch was
    /// full and the reader is still short of the head.
    pub fn read(&mut self, behind: bool) {
        match (self.lagging, behind) {
            (false, true) => {
                self.counters.lagged_behind.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .readers_lagging
                    .fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.counters
                    .readers_lagging
                    .fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
        self.lagging = behind;
    }

    /// Records a `RESYNC` sent because the log was pruned past the
    /// reader; it now stands at the head.
    pub fn resynced(&mut self) {
        self.counters.lagged_resync.fetch_add(1, Ordering::Relaxed);
        self.read(false);
    }

    pub fn delivered(&self, n: u64) {
        self.counters.events_delivered(n);
    }

    /// Records a read of the table (this socket fell behind the tail).
    pub fn table_read(&self) {
        self.counters
            .socket_table_reads
            .fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for SocketOpen {
    fn drop(&mut self) {
        self.read(false);
        self.counters.sockets_open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_counts_while_open_and_lags_once_per_episode() {
        let counters = Arc::new(RealtimeCounters::default());
        {
            let mut socket = counters.socket_opened();
            assert_eq!(counters.snapshot().sockets_open, 1);
            socket.read(true);
            socket.read(true);
            let s = counters.snapshot();
            assert_eq!((s.lagged_behind, s.readers_lagging), (1, 1));
            socket.read(false);
            assert_eq!(counters.snapshot().readers_lagging, 0);
            socket.read(true);
            socket.delivered(3);
            let s = counters.snapshot();
            assert_eq!((s.lagged_behind, s.readers_lagging), (2, 1));
            assert_eq!(s.events_delivered, 3);
            // Dropped while lagging.
        }
        let s = counters.snapshot();
        assert_eq!(
            (s.sockets_open, s.readers_lagging, s.lagged_behind),
            (0, 0, 2)
        );
    }

    #[test]
    fn a_resync_counts_and_ends_the_lag() {
        let counters = Arc::new(RealtimeCounters::default());
        let mut socket = counters.socket_opened();
        socket.read(true);
        socket.resynced();
        let s = counters.snapshot();
        assert_eq!((s.lagged_resync, s.readers_lagging), (1, 0));
        drop(socket);
        assert_eq!(counters.snapshot().sockets_open, 0);
    }
}
