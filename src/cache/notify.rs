//! Batched change notifications.
//!
//! Every change to the cache marks its query's key; listeners hear about
//! the marked keys once, when the outermost batch ends. A host that wraps a
//! burst of work (a socket message applying ten events, a page of results)
//! in [`QueryClient::batch`](super::QueryClient::batch) thus re-renders
//! once, not ten times. Each public method of the client is a batch of its
//! own, so a lone call notifies once too.
//!
//! Batches are numbered, and each query remembers the number of the batch
//! that last reported it changed, so a query changed twice is reported once
//! without a set of the keys seen (a burst of thousands of changes then
//! costs no hashing).

use std::collections::HashSet;
use std::fmt;

use super::key::KeyHash;

/// What changed during one batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notification {
    /// Queries added or whose state changed, in order of first change,
    /// by their key's hash (what a listener looks them up by).
    pub changed: Vec<KeyHash>,
    /// Queries removed from the cache (and not re-added in the batch).
    pub removed: Vec<KeyHash>,
    /// Whether the entity store changed (what readers of entities and
    /// selectors must hear; the queries holding the entities are in
    /// `changed`).
    pub entities: bool,
}

/// Names a listener for [`QueryClient::unsubscribe`](super::QueryClient::unsubscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Listener = Box<dyn FnMut(&Notification) + Send>;

/// Listeners plus the batch being collected.
pub(crate) struct Notifier {
    listeners: Vec<(ListenerId, Listener)>,
    next_id: u64,
    depth: u32,
    /// The number of the batch being collected; never 0, the mark of a
    /// query never reported.
    batch: u64,
    pending: Notification,
    gone: HashSet<KeyHash>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            listeners: Vec::new(),
            next_id: 0,
            depth: 0,
            batch: 1,
            pending: Notification::default(),
            gone: HashSet::new(),
        }
    }
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
        self.batch += 1;
        self.gone.clear();
        let note = std::mem::take(&mut self.pending);
        if note.changed.is_empty() && note.removed.is_empty() && !note.entities {
            return;
        }
        for (_, listener) in &mut self.listeners {
            listener(&note);
        }
    }

    /// Reports that the entity store changed.
    pub(crate) fn entities_changed(&mut self) {
        self.pending.entities = true;
    }

    /// Reports the query `hash` changed; `mark` is the query's own record
    /// of the batch that last reported it.
    pub(crate) fn changed(&mut self, hash: &KeyHash, mark: &mut u64) {
        if !self.gone.is_empty() && self.gone.remove(hash) {
            self.pending.removed.retain(|k| k != hash);
        }
        if *mark != self.batch {
            *mark = self.batch;
            self.pending.changed.push(hash.clone());
        }
    }

    /// Reports the query `hash` removed; `mark` as in [`Notifier::changed`].
    pub(crate) fn removed(&mut self, hash: &KeyHash, mark: u64) {
        if mark == self.batch {
            self.pending.changed.retain(|k| k != hash);
        }
        if !self.gone.contains(hash) {
            self.gone.insert(hash.clone());
            self.pending.removed.push(hash.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use crate::cache::{FakeClock, Notification, QueryClient, QueryKey};

    fn note(changed: &[&QueryKey], removed: &[&QueryKey]) -> Notification {
        Notification {
            changed: changed.iter().map(|k| k.hash()).collect(),
            removed: removed.iter().map(|k| k.hash()).collect(),
            entities: false,
        }
    }

    #[test]
    fn a_batch_reports_each_key_once_with_its_final_fate() {
        let mut c = QueryClient::new(FakeClock::new(0));
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&heard);
        c.subscribe(move |n| sink.lock().unwrap().push(n.clone()));
        let (a, b) = (QueryKey::new("a"), QueryKey::new("b"));
        c.batch(|c| {
            c.set_query_data(&a, json!(1));
            c.set_query_data(&b, json!(1));
            c.set_query_data(&a, json!(2));
            c.remove(&b);
        });
        c.set_query_data(&a, json!(3));
        c.set_query_data(&a, json!(3));
        c.batch(|c| {
            c.remove(&a);
            c.set_query_data(&a, json!(4));
        });
        assert_eq!(
            *heard.lock().unwrap(),
            [
                note(&[&a], &[&b]),
                note(&[&a], &[]),
                note(&[&a], &[]),
                note(&[&a], &[])
            ],
            "a write of equal data still counts as an update"
        );
    }
}
