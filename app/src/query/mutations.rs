//! The host side of mutations: the engine's [`MutationCache`] (scopes as
//! serial queues) and the optimistic layers of the engine's store, driven by
//! [`use_mutation`](super::use_mutation) calls.
//!
//! A call is begun when dispatched (enqueued, its layer applied at once)
//! and finished when its request settled (the next call of its scope let
//! go, its layer committed or rolled back, its tags invalidated). Kept
//! apart from the hook so it is testable without a reactive owner.

use futures::channel::oneshot;
use serde_json::Value;
use tidings::cache::{MutationId, StoreOp, Tag};

use super::error::to_query_error;
use super::handle::{lock, QueryClientHandle};
use super::layer_change::LayerChange;
use super::use_mutation::MutationOptions;
use crate::api::ApiError;

impl QueryClientHandle {
    /// Enqueues a call and applies its optimistic `ops`. Returns its id
    /// and, if its scope is busy, what fires when its turn comes.
    pub(crate) fn begin_mutation(
        &self,
        scope: Option<&str>,
        variables: Value,
        ops: Vec<StoreOp>,
    ) -> (MutationId, Option<oneshot::Receiver<()>>) {
        let now = self.now();
        let (id, turn) = {
            let mut m = lock(&self.0.mutations);
            let queued = m.cache.enqueue(scope, variables, now);
            let turn = (!queued.start).then(|| {
                let (tx, rx) = oneshot::channel();
                m.turns.insert(queued.id, tx);
                rx
            });
            (queued.id, turn)
        };
        if !ops.is_empty() {
            self.update(|c| c.apply_layer(id, ops));
        }
        (id, turn)
    }

    /// Settles call `id`: lets the next of its scope go, then confirms and
    /// commits its layer and invalidates its tags, or rolls the layer back.
    pub(crate) fn finish_mutation<V, R>(
        &self,
        id: MutationId,
        vars: &V,
        result: &Result<R, ApiError>,
        options: &MutationOptions<V, R>,
    ) {
        let outcome = result.as_ref().map(|answer| {
            let confirmed = options.on_success.as_ref().map(|f| f(vars, answer));
            let mut tags = options.invalidates.clone();
            if let Some(more) = &options.invalidates_with {
                tags.extend(more(vars, answer));
            }
            (confirmed.unwrap_or_default(), tags)
        });
        let confirmed = outcome.as_ref().ok().map(|(ops, _)| ops.clone());
        self.settle_call(id, outcome);
        self.tell_layers(LayerChange::Settled { id, confirmed });
        if let (Err(error), Some(on_error)) = (result, &options.on_error) {
            on_error(vars, error);
        }
    }

    /// Settles call `id` without an answer of its own: it was handed to
    /// the offline outbox, which shows it from now on (see
    /// [`QueryClientHandle::show_waiting`]). Its layer goes.
    pub(crate) fn hand_over_mutation(&self, id: MutationId) {
        self.settle_call(id, Ok((Vec::new(), Vec::new())));
        self.tell_layers(LayerChange::Settled {
            id,
            confirmed: Some(Vec::new()),
        });
    }

    /// Shows a write that waits for the server outside any call (queued
    /// offline): pending in the mutation cache, `ops` as its layer.
    pub fn show_waiting(&self, variables: Value, ops: Vec<StoreOp>) -> MutationId {
        self.begin_mutation(None, variables, ops).0
    }

    /// Settles a write shown with [`QueryClientHandle::show_waiting`]:
    /// `Ok` commits its layer under the `confirmed` ops and invalidates
    /// `tags`; `Err` rolls the layer back.
    pub fn settle_waiting(
        &self,
        id: MutationId,
        outcome: Result<(Vec<StoreOp>, Vec<Tag>), &ApiError>,
    ) {
        self.settle_call(id, outcome);
    }

    fn settle_call(&self, id: MutationId, outcome: Result<(Vec<StoreOp>, Vec<Tag>), &ApiError>) {
        let now = self.now();
        let recorded = outcome
            .as_ref()
            .map(|_| Value::Null)
            .map_err(|e| to_query_error(e));
        let next: Vec<_> = {
            let mut m = lock(&self.0.mutations);
            let next = m.cache.settle(id, recorded, now);
            m.cache.clear_settled();
            next.into_iter()
                .filter_map(|n| m.turns.remove(&n))
                .collect()
        };
        for turn in next {
            let _ = turn.send(());
        }
        match outcome {
            Ok((confirmed, tags)) => {
                self.update(|c| c.commit_layer(id, &confirmed));
                if !tags.is_empty() {
                    self.invalidate_tags(&tags);
                }
            }
            Err(_) => {
                self.update(|c| c.rollback_layer(id));
            }
        }
    }
}
