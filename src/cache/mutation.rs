//! Mutations: the state of each write the client sends, and scopes, serial
//! queues in which a mutation starts only once the one before it settled.
//!
//! Scopes keep writes to one resource in order (two quick edits of one user
//! must reach the server in the order made, or the first would win). Like
//! queries, the engine only decides: [`MutationCache::enqueue`] and
//! [`MutationCache::settle`] say which mutations the host may send now.
//! State changes only through [`reduce_mutation`].

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::Millis;
use super::query::QueryError;

/// Names one mutation (and its optimistic layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MutationId(pub u64);

/// Where a mutation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MutationStatus {
    /// Waiting for its turn in its scope.
    #[default]
    Idle,
    /// Sent (or being sent).
    Pending,
    /// The server accepted it.
    Success,
    /// It failed for good.
    Error,
}

/// One mutation's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationState {
    /// See [`MutationStatus`].
    pub status: MutationStatus,
    /// What the mutation sends.
    pub variables: Value,
    /// The server's answer on success.
    pub data: Option<Value>,
    /// The final error on failure.
    pub error: Option<QueryError>,
    /// Failed attempts so far.
    pub failure_count: u32,
    /// Waiting for the network.
    pub is_paused: bool,
    /// When it was enqueued.
    pub submitted_at: Millis,
    /// When it settled (0 until then).
    pub settled_at: Millis,
}

/// Everything that can happen to a mutation.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationAction {
    /// Its turn came: it is being sent.
    Start,
    /// An attempt failed and will be retried by the host.
    Failed {
        /// Why.
        error: QueryError,
    },
    /// Waiting for the network.
    Pause,
    /// The network is back.
    Continue,
    /// The server accepted it.
    Success {
        /// The server's answer.
        data: Value,
        /// When.
        at: Millis,
    },
    /// It failed for good.
    Error {
        /// Why.
        error: QueryError,
        /// When.
        at: Millis,
    },
}

/// The mutation state machine: the next state after `action`.
pub fn reduce_mutation(state: MutationState, action: MutationAction) -> MutationState {
    let mut s = state;
    match action {
        MutationAction::Start => {
            s.status = MutationStatus::Pending;
            s.is_paused = false;
        }
        MutationAction::Failed { error } => {
            s.failure_count += 1;
            s.error = Some(error);
        }
        MutationAction::Pause => s.is_paused = true,
        MutationAction::Continue => s.is_paused = false,
        MutationAction::Success { data, at } => {
            s.status = MutationStatus::Success;
            s.data = Some(data);
            s.error = None;
            s.is_paused = false;
            s.settled_at = at;
        }
        MutationAction::Error { error, at } => {
            s.status = MutationStatus::Error;
            s.failure_count += 1;
            s.error = Some(error);
            s.is_paused = false;
            s.settled_at = at;
        }
    }
    s
}

#[derive(Debug, Clone)]
struct Mutation {
    scope: Option<String>,
    state: MutationState,
}

/// All mutations of a client and their scope queues.
#[derive(Debug, Default, Clone)]
pub struct MutationCache {
    mutations: BTreeMap<MutationId, Mutation>,
    queues: HashMap<String, VecDeque<MutationId>>,
    next_id: u64,
}

/// The answer of [`MutationCache::enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The new mutation's id.
    pub id: MutationId,
    /// Whether the host may send it now (else it waits for its scope).
    pub start: bool,
}

impl MutationCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a mutation sending `variables`. Without a scope, or first in
    /// its scope, it starts at once; otherwise it waits its turn.
    pub fn enqueue(&mut self, scope: Option<&str>, variables: Value, now: Millis) -> Enqueued {
        self.next_id += 1;
        let id = MutationId(self.next_id);
        let start = match scope {
            Some(name) => {
                let queue = self.queues.entry(name.to_owned()).or_default();
                queue.push_back(id);
                queue.len() == 1
            }
            None => true,
        };
        let mut state = MutationState {
            variables,
            submitted_at: now,
            ..MutationState::default()
        };
        if start {
            state = reduce_mutation(state, MutationAction::Start);
        }
        let scope = scope.map(str::to_owned);
        self.mutations.insert(id, Mutation { scope, state });
        Enqueued { id, start }
    }

    /// Records how mutation `id` ended. Returns the mutations that may be
    /// sent now (the next one of its scope), already marked pending.
    /// Settling a mutation that is not pending changes nothing.
    pub fn settle(
        &mut self,
        id: MutationId,
        result: Result<Value, QueryError>,
        now: Millis,
    ) -> Vec<MutationId> {
        let Some(m) = self.mutations.get_mut(&id) else {
            return Vec::new();
        };
        if m.state.status != MutationStatus::Pending {
            return Vec::new();
        }
        let action = match result {
            Ok(data) => MutationAction::Success { data, at: now },
            Err(error) => MutationAction::Error { error, at: now },
        };
        m.state = reduce_mutation(std::mem::take(&mut m.state), action);
        let Some(scope) = m.scope.clone() else {
            return Vec::new();
        };
        let queue = self
            .queues
            .get_mut(&scope)
            .expect("scoped mutations are queued");
        queue.retain(|q| *q != id);
        let next = queue.front().copied();
        if queue.is_empty() {
            self.queues.remove(&scope);
        }
        let Some(next) = next else {
            return Vec::new();
        };
        self.dispatch(next, MutationAction::Start);
        vec![next]
    }

    /// Applies `action` to mutation `id` (for retries and pauses the host
    /// drives); `false` if unknown.
    pub fn dispatch(&mut self, id: MutationId, action: MutationAction) -> bool {
        match self.mutations.get_mut(&id) {
            Some(m) => {
                m.state = reduce_mutation(std::mem::take(&mut m.state), action);
                true
            }
            None => false,
        }
    }

    /// The state of mutation `id`.
    pub fn state(&self, id: MutationId) -> Option<&MutationState> {
        self.mutations.get(&id).map(|m| &m.state)
    }

    /// The scope of mutation `id`.
    pub fn scope(&self, id: MutationId) -> Option<&str> {
        self.mutations.get(&id)?.scope.as_deref()
    }

    /// Mutations not yet settled (pending or waiting), oldest first.
    pub fn unsettled(&self) -> impl Iterator<Item = (MutationId, &MutationState)> {
        self.mutations
            .iter()
            .filter(|(_, m)| {
                matches!(
                    m.state.status,
                    MutationStatus::Idle | MutationStatus::Pending
                )
            })
            .map(|(id, m)| (*id, &m.state))
    }

    /// Forgets settled mutations; returns how many.
    pub fn clear_settled(&mut self) -> usize {
        let before = self.mutations.len();
        self.mutations.retain(|_, m| {
            matches!(
                m.state.status,
                MutationStatus::Idle | MutationStatus::Pending
            )
        });
        before - self.mutations.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scope_runs_one_at_a_time_in_order() {
        let mut m = MutationCache::new();
        let a = m.enqueue(Some("user:1"), json!({"name": "A"}), 0);
        let b = m.enqueue(Some("user:1"), json!({"name": "B"}), 1);
        let c = m.enqueue(Some("user:1"), json!({"name": "C"}), 2);
        let other = m.enqueue(Some("user:2"), json!({}), 3);
        let free = m.enqueue(None, json!({}), 4);
        assert!(a.start && !b.start && !c.start && other.start && free.start);
        assert_eq!(m.state(b.id).unwrap().status, MutationStatus::Idle);

        assert_eq!(
            m.settle(b.id, Ok(json!(null)), 5),
            [],
            "b is not running yet"
        );
        assert_eq!(m.settle(a.id, Ok(json!("a")), 5), [b.id]);
        assert_eq!(m.state(b.id).unwrap().status, MutationStatus::Pending);
        assert_eq!(m.state(c.id).unwrap().status, MutationStatus::Idle);
        assert_eq!(m.settle(b.id, Err(QueryError::permanent("412")), 6), [c.id]);
        assert_eq!(m.state(b.id).unwrap().status, MutationStatus::Error);
        assert_eq!(m.settle(c.id, Ok(json!("c")), 7), []);
        assert_eq!(m.scope(c.id), Some("user:1"));
        let open: Vec<_> = m.unsettled().map(|(id, _)| id).collect();
        assert_eq!(open, [other.id, free.id]);
        assert_eq!(m.clear_settled(), 3);
        let d = m.enqueue(Some("user:1"), json!({}), 8);
        assert!(d.start, "an emptied scope starts the next at once");
    }

    #[test]
    fn reducer_tracks_failures_and_pauses() {
        let s = reduce_mutation(MutationState::default(), MutationAction::Start);
        let s = reduce_mutation(
            s,
            MutationAction::Failed {
                error: QueryError::transient("net"),
            },
        );
        let s = reduce_mutation(s, MutationAction::Pause);
        assert!(s.is_paused);
        assert_eq!(s.failure_count, 1);
        let s = reduce_mutation(s, MutationAction::Continue);
        let s = reduce_mutation(
            s,
            MutationAction::Success {
                data: json!(1),
                at: 9,
            },
        );
        assert_eq!(
            (s.status, s.settled_at, s.is_paused),
            (MutationStatus::Success, 9, false)
        );
        assert!(s.error.is_none());
    }
}
