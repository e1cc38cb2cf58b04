//! [`LayerChange`]: what one tab tells the others about its optimistic
//! layers (see `shared_layers.rs`); plain data the handle holds watchers
//! of.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tidings::cache::{MutationId, StoreOp};

/// A change to one of this page's layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LayerChange {
    /// Layer `id` shows `ops`.
    Shown { id: MutationId, ops: Vec<StoreOp> },
    /// Layer `id` went: its call was confirmed with these ops, or failed
    /// (`None`).
    Settled {
        id: MutationId,
        confirmed: Option<Vec<StoreOp>>,
    },
}

/// Hears every [`LayerChange`].
pub type LayerWatcher = Arc<dyn Fn(&LayerChange) + Send + Sync>;
