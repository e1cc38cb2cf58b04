//! Where the outbox lives between page loads: IndexedDB in the browser
//! (`indexed_db.rs`), memory on the server and in tests; both behind
//! [`OutboxStorage`].

use std::sync::{Arc, Mutex};

use super::outbox::PendingMutation;

/// Persistence of the queue and of the next id to hand out.
pub trait OutboxStorage {
    fn load(&self) -> Vec<PendingMutation>;
    /// The next id never used (ids stay unique across reloads).
    fn next_id(&self) -> u64;
    fn save(&self, queue: &[PendingMutation], next_id: u64);
}

/// Shared in-memory storage; clones see the same contents (a "reload" in
/// tests is a new `Outbox` over a clone).
#[derive(Clone, Default)]
pub struct MemoryStorage(Arc<Mutex<(Vec<PendingMutation>, u64)>>);

impl OutboxStorage for MemoryStorage {
    fn load(&self) -> Vec<PendingMutation> {
        self.0.lock().map(|g| g.0.clone()).unwrap_or_default()
    }

    fn next_id(&self) -> u64 {
        self.0.lock().map(|g| g.1.max(1)).unwrap_or(1)
    }

    fn save(&self, queue: &[PendingMutation], next_id: u64) {
        if let Ok(mut g) = self.0.lock() {
            *g = (queue.to_vec(), next_id);
        }
    }
}

/// Removes what a build before per-user outboxes kept in `localStorage`
/// under `key` for whoever signed in next: it is never replayed.
#[cfg(feature = "hydrate")]
pub fn forget_shared_outbox(key: &str) {
    if let Some(store) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = store.remove_item(key);
    }
}
