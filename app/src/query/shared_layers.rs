//! What this page's optimistic layers tell the other tabs of the browser,
//! and how another tab's layers show here: a call's layer shows in every
//! tab at once, and goes in every tab when the call settles (confirmed
//! under the server's answer, or rolled back), with no request.
//!
//! Only the layers of calls made here ([`use_mutation`](super::use_mutation))
//! are told; the offline outbox's layers are not (every tab shows those
//! from the outbox they share), nor are other tabs' (nothing echoes).

use std::sync::Arc;

use serde_json::json;
use tidings::cache::{MutationId, StoreOp};

use super::handle::{lock, QueryClientHandle};
use super::layer_change::LayerChange;
use crate::api::ApiError;

impl QueryClientHandle {
    /// Calls `watcher` with every change to this page's own layers.
    pub fn watch_layers(&self, watcher: impl Fn(&LayerChange) + Send + Sync + 'static) {
        lock(&self.0.layer_watchers).push(Arc::new(watcher));
    }

    pub(crate) fn tell_layers(&self, change: LayerChange) {
        let watchers = lock(&self.0.layer_watchers).clone();
        for watcher in watchers {
            watcher(&change);
        }
    }

    /// Shows another tab's layer of `ops`; returns its id here.
    pub fn show_foreign_layer(&self, ops: Vec<StoreOp>) -> MutationId {
        self.begin_mutation(None, json!({ "fromAnotherTab": true }), ops)
            .0
    }

    /// Settles another tab's layer shown here as `id`: `confirmed` goes
    /// under the remaining layers, or (`None`) the layer is rolled back.
    /// Nothing is refetched: that tab's answer already says it all.
    pub fn settle_foreign_layer(&self, id: MutationId, confirmed: Option<Vec<StoreOp>>) {
        let refused = ApiError::Aborted;
        let outcome = confirmed.map(|ops| (ops, Vec::new())).ok_or(&refused);
        self.settle_waiting(id, outcome);
    }
}
