//! Where the outbox lives between page loads: `localStorage` in the
//! browser (synchronous, so a mutation is on disk before the UI says
//! "pending"; another tab's change is announced by the `storage` event),
//! memory on the server and in tests.

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

/// `localStorage` under one key per outbox. A corrupt or missing entry
/// reads as empty; a failed write (quota, private mode) is logged.
#[cfg(feature = "hydrate")]
#[derive(Clone)]
pub struct LocalStorage {
    key: String,
}

#[cfg(feature = "hydrate")]
impl LocalStorage {
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into() }
    }

    /// Removes whatever is kept under `key`.
    pub fn remove(key: &str) {
        if let Some(store) = Self::store() {
            let _ = store.remove_item(key);
        }
    }

    /// Calls `f` whenever another page of this browser (a tab) changes
    /// this outbox, for as long as the current reactive owner lives.
    pub fn on_change(&self, f: impl Fn() + 'static) {
        let key = self.key.clone();
        let handle = leptos::prelude::window_event_listener(leptos::ev::storage, move |ev| {
            if ev.key().as_deref() == Some(key.as_str()) {
                f();
            }
        });
        leptos::prelude::on_cleanup(move || handle.remove());
    }

    fn store() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    fn read(&self) -> Option<(Vec<PendingMutation>, u64)> {
        let text = Self::store()?.get_item(&self.key).ok()??;
        serde_json::from_str(&text).ok()
    }
}

#[cfg(feature = "hydrate")]
impl OutboxStorage for LocalStorage {
    fn load(&self) -> Vec<PendingMutation> {
        self.read().map(|(queue, _)| queue).unwrap_or_default()
    }

    fn next_id(&self) -> u64 {
        self.read().map_or(1, |(_, next)| next.max(1))
    }

    fn save(&self, queue: &[PendingMutation], next_id: u64) {
        let written = serde_json::to_string(&(queue, next_id))
            .ok()
            .zip(Self::store())
            .map(|(text, store)| store.set_item(&self.key, &text).is_ok());
        if written != Some(true) {
            leptos::logging::warn!("could not persist the offline outbox under {}", self.key);
        }
    }
}
