//! One query's state and the pure reducer that is the only way to change it.
//!
//! Data is held as [`serde_json::Value`] so that one cache holds queries of
//! every type and can be serialized whole for SSR hydration; typed access
//! goes through serde ([`QueryState::data_as`]). Keeping every transition
//! in [`reduce`] makes the state machine testable on its own and lets the
//! client detect "did anything change" for its notifications.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::{after, Millis};

/// Whether a query has data yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QueryStatus {
    /// No data and no final error yet.
    #[default]
    Pending,
    /// The last settled fetch (or a manual write) produced data.
    Success,
    /// The last fetch failed for good (data from before may remain).
    Error,
}

/// Whether a fetch is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FetchStatus {
    /// Nothing in flight.
    #[default]
    Idle,
    /// A fetch (or a wait before its retry) is under way.
    Fetching,
    /// A fetch is wanted but waits for the network to come back.
    Paused,
}

/// Identifies one fetch of one query; results carrying an older id are
/// ignored. Unique within a client.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct FetchId(pub u64);

/// Why a fetch failed, as the engine needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct QueryError {
    /// Human-readable text.
    pub message: String,
    /// A machine-readable code (`not_found`, `network`, an HTTP status...).
    pub code: Option<String>,
    /// Whether trying again might help; the retry policy only retries these.
    pub retryable: bool,
    /// How long the server asked to be left alone before the next attempt
    /// (its `Retry-After`); the retry waits at least this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<Millis>,
}

impl QueryError {
    /// A retryable error (network trouble, a 5xx, a timeout).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
            retryable: true,
            retry_after: None,
        }
    }

    /// An error that trying again will not fix (a 404, a 422).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            ..Self::transient(message)
        }
    }

    /// The same error with a code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The same error, the server having asked for `wait` ms before the
    /// next attempt.
    pub fn with_retry_after(mut self, wait: Millis) -> Self {
        self.retry_after = Some(wait);
        self
    }
}

/// Everything the cache knows about one query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryState {
    /// The last good data, kept through later errors and refetches.
    pub data: Option<Value>,
    /// When `data` was written (0 when never).
    pub data_updated_at: Millis,
    /// How many times `data` was written.
    pub data_update_count: u32,
    /// How many times `data` changed: a write equal to the data held
    /// keeps it (structural sharing), so whatever is keyed on it wakes
    /// only for a real change.
    #[serde(default)]
    pub data_revision: u32,
    /// The final error of the last settled fetch, if it failed.
    pub error: Option<QueryError>,
    /// When `error` was set.
    pub error_updated_at: Millis,
    /// Failed attempts of the current (or last) fetch.
    pub failure_count: u32,
    /// The error of the last failed attempt, even while retrying.
    pub failure_reason: Option<QueryError>,
    /// See [`QueryStatus`].
    pub status: QueryStatus,
    /// See [`FetchStatus`].
    pub fetch_status: FetchStatus,
    /// Marked stale by an invalidation, whatever its age.
    pub is_invalidated: bool,
    /// The id of the current (or last) fetch.
    pub fetch_id: FetchId,
}

impl QueryState {
    /// Whether data is missing, invalidated or older than `stale_time`.
    pub fn is_stale(&self, now: Millis, stale_time: Millis) -> bool {
        self.data.is_none() || self.is_invalidated || after(self.data_updated_at, stale_time) <= now
    }

    /// Whether a fetch is in flight or waiting for the network.
    pub fn is_fetching(&self) -> bool {
        self.fetch_status != FetchStatus::Idle
    }

    /// The data as a `T`, if there is data.
    pub fn data_as<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.data.clone().map(serde_json::from_value)
    }
}

/// Everything that can happen to a query.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryAction {
    /// A fetch starts (or, offline, is wanted: `paused`).
    Fetch {
        /// The new fetch's id.
        fetch_id: FetchId,
        /// Start paused, waiting for the network.
        paused: bool,
    },
    /// An attempt failed and a retry will follow.
    Failed {
        /// Why the attempt failed.
        error: QueryError,
    },
    /// The network went away while fetching.
    Pause,
    /// The network came back for a paused fetch.
    Continue,
    /// The fetch produced data.
    Success {
        /// The new data.
        data: Value,
        /// When it arrived.
        at: Millis,
    },
    /// The fetch failed for good.
    Error {
        /// The final error.
        error: QueryError,
        /// When it failed.
        at: Millis,
    },
    /// The data is stale whatever its age.
    Invalidate,
    /// Data written directly (optimistic write, hydration, a socket event).
    SetData {
        /// The new data.
        data: Value,
        /// Its time (the server's for hydration, else now).
        at: Millis,
    },
    /// The in-flight fetch was abandoned; its result will be ignored.
    Cancel,
    /// An entity the (normalized) data refers to changed in the store: the
    /// data as read is new, though the ids held are not.
    EntitiesChanged,
    /// The server's change event moved the list's rows or totals: the data
    /// is replaced, as current as the event, without counting as a write.
    Patch {
        /// The new (normalized) data.
        data: Value,
    },
    /// A server event placed a row in, or took one out of, a list (or
    /// only moved its total): the list's ids and pagination are replaced,
    /// the rest of the data kept; as current as the event, not a write.
    PlaceRows {
        /// The list's ids, when they changed: a page's `data`, or the
        /// whole data of a plain list.
        rows: Option<Vec<Value>>,
        /// A page's new `pagination`, when it changed.
        pagination: Option<Value>,
    },
}

/// Puts `value` in `slot` if it differs; whether it did.
fn replace_if_new(slot: &mut Value, value: Value) -> bool {
    let new = *slot != value;
    if new {
        *slot = value;
    }
    new
}

/// The query state machine: the next state after `action`.
pub fn reduce(state: QueryState, action: QueryAction) -> QueryState {
    let mut s = state;
    step(&mut s, action);
    s
}

/// What of a state its readers hear about, but the data itself (a change
/// to which moves `data_revision`): every scalar, and whether an error is
/// held. Each action that replaces an error also counts a failure or
/// clears one, so comparing this tells a change as comparing the whole
/// state (less its data) does, without copying it.
#[derive(Clone, Copy, PartialEq)]
struct Pulse {
    data_updated_at: Millis,
    data_update_count: u32,
    data_revision: u32,
    error: bool,
    error_updated_at: Millis,
    failure_count: u32,
    failure_reason: bool,
    status: QueryStatus,
    fetch_status: FetchStatus,
    is_invalidated: bool,
    fetch_id: FetchId,
}

impl QueryState {
    fn pulse(&self) -> Pulse {
        Pulse {
            data_updated_at: self.data_updated_at,
            data_update_count: self.data_update_count,
            data_revision: self.data_revision,
            error: self.error.is_some(),
            error_updated_at: self.error_updated_at,
            failure_count: self.failure_count,
            failure_reason: self.failure_reason.is_some(),
            status: self.status,
            fetch_status: self.fetch_status,
            is_invalidated: self.is_invalidated,
            fetch_id: self.fetch_id,
        }
    }
}

/// [`reduce`] in place; whether the state changed (its data aside: see
/// [`Pulse`]).
pub(crate) fn apply(state: &mut QueryState, action: QueryAction) -> bool {
    let before = state.pulse();
    step(state, action);
    state.pulse() != before
}

/// The reducer's one definition, in place.
fn step(s: &mut QueryState, action: QueryAction) {
    match action {
        QueryAction::Fetch { fetch_id, paused } => {
            s.fetch_id = fetch_id;
            s.fetch_status = if paused {
                FetchStatus::Paused
            } else {
                FetchStatus::Fetching
            };
            s.failure_count = 0;
            s.failure_reason = None;
            if s.data.is_none() {
                s.status = QueryStatus::Pending;
                s.error = None;
            }
        }
        QueryAction::Failed { error } => {
            s.failure_count += 1;
            s.failure_reason = Some(error);
        }
        QueryAction::Pause => {
            if s.fetch_status == FetchStatus::Fetching {
                s.fetch_status = FetchStatus::Paused;
            }
        }
        QueryAction::Continue => {
            if s.fetch_status == FetchStatus::Paused {
                s.fetch_status = FetchStatus::Fetching;
            }
        }
        QueryAction::Success { data, at } => {
            write_data(s, data, at);
            s.fetch_status = FetchStatus::Idle;
            s.failure_count = 0;
            s.failure_reason = None;
        }
        QueryAction::Error { error, at } => {
            s.failure_count += 1;
            s.failure_reason = Some(error.clone());
            s.error = Some(error);
            s.error_updated_at = at;
            s.status = QueryStatus::Error;
            s.fetch_status = FetchStatus::Idle;
        }
        QueryAction::Invalidate => s.is_invalidated = true,
        QueryAction::SetData { data, at } => write_data(s, data, at),
        QueryAction::Cancel => s.fetch_status = FetchStatus::Idle,
        QueryAction::EntitiesChanged => s.data_revision += 1,
        QueryAction::Patch { data } => {
            if s.data.as_ref() != Some(&data) {
                s.data_revision += 1;
                s.data = Some(data);
            }
        }
        QueryAction::PlaceRows { rows, pagination } => {
            let changes = match &mut s.data {
                Some(Value::Object(fields)) => {
                    let mut changes = 0;
                    let news = [("data", rows.map(Value::Array)), ("pagination", pagination)];
                    for (name, value) in news {
                        if let (Some(slot), Some(value)) = (fields.get_mut(name), value) {
                            changes += usize::from(replace_if_new(slot, value));
                        }
                    }
                    changes
                }
                Some(list @ Value::Array(_)) => rows.map_or(0, |rows| {
                    usize::from(replace_if_new(list, Value::Array(rows)))
                }),
                _ => 0,
            };
            if changes > 0 {
                s.data_revision += 1;
            }
        }
    }
}

fn write_data(s: &mut QueryState, data: Value, at: Millis) {
    if s.data.as_ref() != Some(&data) {
        s.data_revision += 1;
        s.data = Some(data);
    }
    s.data_updated_at = at;
    s.data_update_count += 1;
    s.error = None;
    s.status = QueryStatus::Success;
    s.is_invalidated = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_equal_answer_keeps_the_data_revision() {
        let s = reduce(QueryState::default(), fetch(1));
        let s = reduce(
            s,
            QueryAction::Success {
                data: json!({"names": ["Ada"]}),
                at: 5,
            },
        );
        assert_eq!((s.data_update_count, s.data_revision), (1, 1));
        let s = reduce(
            reduce(s, fetch(2)),
            QueryAction::Success {
                data: json!({"names": ["Ada"]}),
                at: 9,
            },
        );
        assert_eq!((s.data_update_count, s.data_revision), (2, 1), "same data");
        assert_eq!(s.data_updated_at, 9, "but fresh");
        let s = reduce(
            reduce(s, fetch(3)),
            QueryAction::Success {
                data: json!({"names": ["Ada", "Brook"]}),
                at: 12,
            },
        );
        assert_eq!((s.data_update_count, s.data_revision), (3, 2));
    }

    #[test]
    fn apply_reports_a_change_exactly_when_the_state_less_its_data_changed() {
        let error = |m: &str| QueryError {
            message: m.into(),
            code: None,
            retryable: true,
            retry_after: None,
        };
        let actions = || {
            vec![
                fetch(1),
                fetch(2),
                QueryAction::Fetch {
                    fetch_id: FetchId(3),
                    paused: true,
                },
                QueryAction::Failed { error: error("a") },
                QueryAction::Failed { error: error("b") },
                QueryAction::Pause,
                QueryAction::Continue,
                QueryAction::Success {
                    data: json!(1),
                    at: 5,
                },
                QueryAction::Success {
                    data: json!(1),
                    at: 5,
                },
                QueryAction::Error {
                    error: error("c"),
                    at: 6,
                },
                QueryAction::Invalidate,
                QueryAction::Invalidate,
                QueryAction::SetData {
                    data: json!(2),
                    at: 7,
                },
                QueryAction::Cancel,
                QueryAction::Cancel,
                QueryAction::EntitiesChanged,
                QueryAction::Patch { data: json!(2) },
                QueryAction::Patch { data: json!(3) },
            ]
        };
        // Every action after every prefix of the others: states of all kinds.
        let all = actions();
        for start in 0..all.len() {
            let mut state = QueryState::default();
            for action in actions().into_iter().take(start) {
                state = reduce(state, action);
            }
            for action in actions() {
                let label = format!("{action:?} after {start} actions");
                let mut applied = state.clone();
                let said = apply(&mut applied, action.clone());
                let reduced = reduce(state.clone(), action);
                assert_eq!(applied, reduced, "{label}");
                let less_data = |s: &QueryState| QueryState {
                    data: None,
                    ..s.clone()
                };
                assert_eq!(said, less_data(&state) != less_data(&reduced), "{label}");
            }
        }
    }

    fn fetch(id: u64) -> QueryAction {
        QueryAction::Fetch {
            fetch_id: FetchId(id),
            paused: false,
        }
    }

    #[test]
    fn fetch_then_success() {
        let s = reduce(QueryState::default(), fetch(1));
        assert_eq!(s.status, QueryStatus::Pending);
        assert_eq!(s.fetch_status, FetchStatus::Fetching);
        let s = reduce(
            s,
            QueryAction::Success {
                data: json!([1]),
                at: 5,
            },
        );
        assert_eq!(s.status, QueryStatus::Success);
        assert_eq!(s.fetch_status, FetchStatus::Idle);
        assert_eq!(s.data_updated_at, 5);
        assert_eq!(s.data_as::<Vec<i32>>().unwrap().unwrap(), vec![1]);
        assert!(!s.is_stale(5, 10));
        assert!(s.is_stale(15, 10));
        assert!(reduce(s, QueryAction::Invalidate).is_stale(5, 10));
    }

    #[test]
    fn error_keeps_old_data_and_counts_failures() {
        let s = reduce(
            QueryState::default(),
            QueryAction::SetData {
                data: json!(1),
                at: 1,
            },
        );
        let s = reduce(s, fetch(2));
        assert_eq!(s.status, QueryStatus::Success, "refetch keeps status");
        let s = reduce(
            s,
            QueryAction::Failed {
                error: QueryError::transient("x"),
            },
        );
        assert_eq!(
            (s.failure_count, s.fetch_status),
            (1, FetchStatus::Fetching)
        );
        let s = reduce(
            s,
            QueryAction::Error {
                error: QueryError::transient("y"),
                at: 9,
            },
        );
        assert_eq!(s.status, QueryStatus::Error);
        assert_eq!(s.failure_count, 2);
        assert_eq!(s.data, Some(json!(1)));
        assert_eq!(s.error.as_ref().unwrap().to_string(), "y");
    }

    #[test]
    fn pause_and_continue_only_apply_in_flight() {
        let idle = QueryState::default();
        assert_eq!(reduce(idle.clone(), QueryAction::Pause), idle);
        let s = reduce(reduce(idle, fetch(1)), QueryAction::Pause);
        assert_eq!(s.fetch_status, FetchStatus::Paused);
        let s = reduce(s, QueryAction::Continue);
        assert_eq!(s.fetch_status, FetchStatus::Fetching);
        assert_eq!(
            reduce(s, QueryAction::Cancel).fetch_status,
            FetchStatus::Idle
        );
    }
}
