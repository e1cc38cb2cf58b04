//! Batched change notifications.
//!
//! Every change to the cache marks its query's key; listeners hear about
//! the marked keys once, when the outermost batch ends. A host that wraps a
//! burst of work (a socket message applying ten events, a page of results)
//! in [`QueryClient::batch`](super::QueryClient::batch) thus re-renders
//! once, not ten times. Each public method of the client is a batch of its
//! own, so a lone call notifies once too.

use std::collections::HashSet;
use std::fmt;

use super::key::{KeyHash, QueryKey};

/// What changed during one batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notification {
    /// Queries added or whose state changed, in order of first change.
    pub changed: Vec<QueryKey>,
    /// Queries removed from the cache (and not re-added in the batch).
    pub removed: Vec<QueryKey>,
}

/// Names a listener for [`QueryClient::unsubscribe`](super::QueryClient::unsubscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Listener = Box<dyn FnMut(&Notification) + Send>;

/// Listeners plus the batch being collected.
#[derive(Default)]
pub(crate) struct Notifier {
    listeners: Vec<(ListenerId, Listener)>,
    next_id: u64,
    depth: u32,
    seen: HashSet<KeyHash>,
    pending: Notification,
    gone: HashSet<KeyHash>,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("listeners", &self.listeners.len())
            .field("depth", &self.depth)
            .field("pending", &self.pending)
            .finish()
    }
}

impl Notifier {
    pub(crate) fn subscribe(&mut self, listener: Listener) -> ListenerId {
        self.next_id += 1;
        let id = ListenerId(self.next_id);
        self.listeners.push((id, listener));
        id
    }

    pub(crate) fn unsubscribe(&mut self, id: ListenerId) -> bool {
        let before = self.listeners.len();
        self.listeners.retain(|(l, _)| *l != id);
        self.listeners.len() != before
    }

    pub(crate) fn begin(&mut self) {
        self.depth += 1;
    }

    /// Ends a batch; the outermost one delivers what was collected.
    pub(crate) fn end(&mut self) {
        self.depth -= 1;
        if self.depth > 0 {
            return;
        }
        self.seen.clear();
        self.gone.clear();
        let note = std::mem::take(&mut self.pending);
        if note.changed.is_empty() && note.removed.is_empty() {
            return;
        }
        for (_, listener) in &mut self.listeners {
            listener(&note);
        }
    }

    pub(crate) fn changed(&mut self, hash: &KeyHash, key: &QueryKey) {
        if self.gone.remove(hash) {
            self.pending.removed.retain(|k| k != key);
        }
        if !self.seen.contains(hash) {
            self.seen.insert(hash.clone());
            self.pending.changed.push(key.clone());
        }
    }

    pub(crate) fn removed(&mut self, hash: &KeyHash, key: &QueryKey) {
        if self.seen.remove(hash) {
            self.pending.changed.retain(|k| k != key);
        }
        if !self.gone.contains(hash) {
            self.gone.insert(hash.clone());
            self.pending.removed.push(key.clone());
        }
    }
}
