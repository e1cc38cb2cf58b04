//! A component's engine observer ([`ObserverSlot`]): observed when the
//! hook binds, pointed at each new key, released on cleanup so the last
//! observer leaving schedules the query's gc.
//!
//! The engine knows observers by id; the slot keeps the id and the key it
//! points at, and fires its own trigger when it moves, since a move to a
//! key that is already cached changes nothing the key triggers report.

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use tidings::cache::{ObserverId, QueryKey, QueryOptions};

use super::handle::{lock, QueryClientHandle};

/// A component's engine observer: observed on first bind, pointed at each
/// new key, released on cleanup. Its trigger fires when it moves.
#[derive(Clone, Default)]
pub(crate) struct ObserverSlot(Arc<SlotInner>);

#[derive(Default)]
struct SlotInner {
    current: Mutex<Option<(ObserverId, QueryKey)>>,
    trigger: ArcTrigger,
}

impl ObserverSlot {
    /// Observes `key` with `options` (retargeting the observer it has).
    pub(crate) fn target(
        &self,
        handle: &QueryClientHandle,
        key: &QueryKey,
        options: &QueryOptions,
    ) {
        let held = lock(&self.0.current).as_ref().map(|(id, _)| *id);
        let id = handle.update(|c| match held {
            Some(id) if c.retarget(id, key, options.clone()) => id,
            _ => c.observe(key, options.clone()),
        });
        let moved = lock(&self.0.current).replace((id, key.clone()));
        if moved.is_none_or(|(was, old)| was != id || old != *key) {
            self.0.trigger.notify();
        }
    }

    /// Stops observing (the last observer of a key schedules its gc).
    pub(crate) fn release(&self, handle: &QueryClientHandle) {
        let held = lock(&self.0.current).take();
        if let Some((id, _)) = held {
            handle.update(|c| c.unobserve(id));
        }
    }

    pub(crate) fn current(&self) -> Option<(ObserverId, QueryKey)> {
        lock(&self.0.current).clone()
    }

    pub(crate) fn key(&self) -> Option<QueryKey> {
        self.current().map(|(_, key)| key)
    }

    /// Whether the engine still knows the observer (a `remove` drops it).
    pub(crate) fn attached(&self, handle: &QueryClientHandle) -> bool {
        self.current()
            .is_some_and(|(id, _)| handle.read(|c| c.view(id).is_some()))
    }

    pub(crate) fn track(&self) {
        self.0.trigger.track();
    }
}
