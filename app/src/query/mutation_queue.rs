//! [`MutationQueue`]: a client's mutation queues (the engine's
//! [`MutationCache`], scopes as serial queues) and the calls waiting for
//! their turn. Plain data; `mutations.rs` drives it.

use std::collections::HashMap;

use futures::channel::oneshot;
use tidings::cache::{MutationCache, MutationId};

/// The mutation queues of a client, and the calls waiting for their turn.
#[derive(Default)]
pub(crate) struct MutationQueue {
    pub(crate) cache: MutationCache,
    pub(crate) turns: HashMap<MutationId, oneshot::Sender<()>>,
}
