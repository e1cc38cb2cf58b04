//! Optimistic layers over a confirmed state, and exactly-once, in-order
//! application of realtime events.
//!
//! The confirmed state is what the server said (responses, events). Each
//! mutation in flight adds one layer of ops on top; what the UI shows is
//! [`Optimistic::visible`] = confirmed + every layer, in order. When the
//! server's word arrives it is applied *under* the layers
//! ([`Optimistic::confirm`]), so a pending optimistic change never flickers
//! back; when a mutation fails only its own layer goes
//! ([`Optimistic::rollback`]); when it succeeded and its confirmation has
//! landed, its layer is dropped ([`Optimistic::commit`]).
//!
//! Events carry the server's log `seq`: [`Optimistic::apply_event`] applies
//! each seq at most once and never goes back (seqs may skip: a subscription
//! sees only some topics).

use super::mutation::MutationId;

/// A state that ops can be applied to.
pub trait Layered: Clone + PartialEq {
    /// One change.
    type Op: Clone;
    /// Applies `op` in place.
    fn apply(&mut self, op: &Self::Op);
}

/// One mutation's optimistic ops.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer<Op> {
    /// The mutation that owns the layer.
    pub mutation_id: MutationId,
    /// Its ops, in order.
    pub ops: Vec<Op>,
}

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Applied to the confirmed state.
    Applied,
    /// Its seq was already applied (or is older): ignored.
    Duplicate,
}

/// A confirmed state with optimistic layers; see the module docs.
#[derive(Debug, Clone)]
pub struct Optimistic<S: Layered> {
    confirmed: S,
    layers: Vec<Layer<S::Op>>,
    visible: S,
    revision: u64,
    last_seq: u64,
}

impl<S: Layered + Default> Default for Optimistic<S> {
    fn default() -> Self {
        Self::new(S::default())
    }
}

impl<S: Layered> Optimistic<S> {
    /// Starts from a confirmed `state`, no layers, no event applied.
    pub fn new(state: S) -> Self {
        Self {
            visible: state.clone(),
            confirmed: state,
            layers: Vec::new(),
            revision: 0,
            last_seq: 0,
        }
    }

    /// What the server confirmed.
    pub fn confirmed(&self) -> &S {
        &self.confirmed
    }

    /// Confirmed + every layer in order: what to show.
    pub fn visible(&self) -> &S {
        &self.visible
    }

    /// The layers, oldest first.
    pub fn layers(&self) -> &[Layer<S::Op>] {
        &self.layers
    }

    /// Bumped by every change; selectors recompute only when it moved.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The last event seq applied (0 = none).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Adds `ops` as mutation `id`'s layer (appending to its layer if it
    /// has one already).
    pub fn apply_layer(&mut self, id: MutationId, ops: Vec<S::Op>) {
        match self.layers.iter().position(|l| l.mutation_id == id) {
            Some(i) if i + 1 < self.layers.len() => {
                self.layers[i].ops.extend(ops);
                self.rebuild();
            }
            found => {
                for op in &ops {
                    self.visible.apply(op);
                }
                match found {
                    Some(i) => self.layers[i].ops.extend(ops),
                    None => self.layers.push(Layer {
                        mutation_id: id,
                        ops,
                    }),
                }
                self.revision += 1;
            }
        }
    }

    /// Applies the server's `ops` to the confirmed state, under the layers.
    pub fn confirm(&mut self, ops: &[S::Op]) {
        for op in ops {
            self.confirmed.apply(op);
        }
        if self.layers.is_empty() {
            for op in ops {
                self.visible.apply(op);
            }
            self.revision += 1;
        } else {
            self.rebuild();
        }
    }

    /// Applies event `seq`'s ops under the layers, unless a seq at least as
    /// new was applied already.
    pub fn apply_event(&mut self, seq: u64, ops: &[S::Op]) -> EventOutcome {
        if seq <= self.last_seq {
            return EventOutcome::Duplicate;
        }
        self.last_seq = seq;
        self.confirm(ops);
        EventOutcome::Applied
    }

    /// Replaces the confirmed state wholesale (after a resync), setting the
    /// last applied seq; layers stay on top.
    pub fn reset(&mut self, state: S, seq: u64) {
        self.confirmed = state;
        self.last_seq = seq;
        self.rebuild();
    }

    /// Drops mutation `id`'s layer once its confirmation has landed.
    pub fn commit(&mut self, id: MutationId) -> bool {
        self.drop_layer(id)
    }

    /// Drops mutation `id`'s layer because it failed; other layers stay.
    pub fn rollback(&mut self, id: MutationId) -> bool {
        self.drop_layer(id)
    }

    fn drop_layer(&mut self, id: MutationId) -> bool {
        let before = self.layers.len();
        self.layers.retain(|l| l.mutation_id != id);
        let dropped = self.layers.len() != before;
        if dropped {
            self.rebuild();
        }
        dropped
    }

    fn rebuild(&mut self) {
        let mut visible = self.confirmed.clone();
        for op in self.layers.iter().flat_map(|l| &l.ops) {
            visible.apply(op);
        }
        self.visible = visible;
        self.revision += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of numbers; ops push or remove a value.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct Nums(Vec<i32>);

    impl Layered for Nums {
        type Op = i32;
        fn apply(&mut self, op: &i32) {
            if *op >= 0 {
                self.0.push(*op);
            } else {
                self.0.retain(|n| *n != -op);
            }
        }
    }

    #[test]
    fn confirm_rebases_under_layers() {
        let mut s = Optimistic::new(Nums(vec![1]));
        s.apply_layer(MutationId(1), vec![2]);
        s.apply_layer(MutationId(2), vec![3]);
        assert_eq!(s.visible().0, [1, 2, 3]);
        s.confirm(&[9]);
        assert_eq!(s.confirmed().0, [1, 9]);
        assert_eq!(s.visible().0, [1, 9, 2, 3]);
        assert!(s.rollback(MutationId(1)));
        assert_eq!(s.visible().0, [1, 9, 3]);
        s.confirm(&[3]);
        assert!(s.commit(MutationId(2)));
        assert_eq!(s.visible(), s.confirmed());
        assert!(!s.commit(MutationId(2)));
    }

    #[test]
    fn layer_of_one_mutation_grows() {
        let mut s = Optimistic::new(Nums::default());
        s.apply_layer(MutationId(1), vec![1]);
        s.apply_layer(MutationId(2), vec![2]);
        s.apply_layer(MutationId(1), vec![3]);
        assert_eq!(s.visible().0, [1, 3, 2]);
        s.rollback(MutationId(1));
        assert_eq!(s.visible().0, [2]);
    }

    #[test]
    fn events_apply_once_in_order() {
        let mut s = Optimistic::new(Nums::default());
        assert_eq!(s.apply_event(1, &[1]), EventOutcome::Applied);
        assert_eq!(s.apply_event(1, &[1]), EventOutcome::Duplicate);
        assert_eq!(s.apply_event(5, &[5]), EventOutcome::Applied);
        assert_eq!(s.apply_event(3, &[3]), EventOutcome::Duplicate);
        assert_eq!((s.visible().0.clone(), s.last_seq()), (vec![1, 5], 5));
        let r = s.revision();
        s.reset(Nums(vec![7]), 9);
        assert!(s.revision() > r);
        assert_eq!(s.apply_event(9, &[9]), EventOutcome::Duplicate);
        assert_eq!(s.visible().0, [7]);
    }
}
