//! SSR hand-over: the server renders with a client, serializes the data it
//! fetched ([`QueryClient::dehydrate`]) into the page, and the browser's
//! client takes it in ([`QueryClient::hydrate`]) before the first observer
//! mounts, so hydration does not fetch a second time.
//!
//! Times are carried as they were: both sides must use the same epoch
//! (Unix milliseconds) for `stale_time` to mean the same thing.
//!
//! The same data outlives a reload ([`QueryClient::persist`],
//! [`QueryClient::restore`]): the browser keeps the confirmed state,
//! stamped with when it was taken, and the next page takes it in where
//! its own render is older (a page served from a cache while offline, or
//! a page not rendered at all this visit).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::QueryClient;
use super::clock::Millis;
use super::key::QueryKey;
use super::query::{QueryAction, QueryStatus};
use super::shape::Shape;
use super::shown::denormalize;

/// The successful queries of a client, as data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DehydratedState {
    /// One entry per query with data.
    pub queries: Vec<DehydratedQuery>,
}

/// One query's data and its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DehydratedQuery {
    /// The query's key.
    pub key: QueryKey,
    /// Its data.
    pub data: Value,
    /// When the data was fetched.
    pub data_updated_at: Millis,
}

impl QueryClient {
    /// Every query that succeeded, with its data and time.
    pub fn dehydrate(&self) -> DehydratedState {
        let queries = self
            .queries()
            .filter(|(_, s)| s.status == QueryStatus::Success)
            .filter_map(|(key, s)| {
                Some(DehydratedQuery {
                    key: key.clone(),
                    data: self.query_data(key)?.into_owned(),
                    data_updated_at: s.data_updated_at,
                })
            })
            .collect();
        DehydratedState { queries }
    }

    /// Takes in dehydrated queries; data already held and newer is kept.
    /// Returns how many queries were written.
    pub fn hydrate(&mut self, state: DehydratedState) -> usize {
        self.take_in(state.queries, |held_at, q| held_at >= q.data_updated_at)
            .len()
    }

    /// Writes each of `queries` at its own time, but where the query holds
    /// data written at `held_at` that `held_wins`; the keys written.
    fn take_in(
        &mut self,
        queries: Vec<DehydratedQuery>,
        held_wins: impl Fn(Millis, &DehydratedQuery) -> bool,
    ) -> Vec<QueryKey> {
        self.batch(|c| {
            let mut written = Vec::new();
            for q in queries {
                let hash = c.ensure(&q.key, None);
                let held = &c.entries[&hash].state;
                if held.data.is_some() && held_wins(held.data_updated_at, &q) {
                    continue;
                }
                let action = QueryAction::SetData {
                    data: q.data,
                    at: q.data_updated_at,
                };
                c.dispatch(&hash, action);
                written.push(q.key);
            }
            written
        })
    }
}

/// What a browser keeps of a client between visits ([`QueryClient::persist`]):
/// the queries as the server last confirmed them, and when.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistedState {
    /// When it was taken, by the client's clock.
    pub saved_at: Millis,
    /// One entry per query with data, at its last fetch's time.
    pub queries: Vec<DehydratedQuery>,
}

impl QueryClient {
    /// Every query that succeeded, its entities as the server confirmed
    /// them (changes its events brought included, optimistic layers left
    /// out: the writes behind them are kept, and shown again, by whoever
    /// queued them), stamped with the time now.
    pub fn persist(&self) -> PersistedState {
        let confirmed = self.store.confirmed();
        let queries = self
            .entries
            .values()
            .filter(|e| e.state.status == QueryStatus::Success)
            .filter_map(|e| {
                let data = e.state.data.as_ref()?;
                let data = match &e.options.shape {
                    Shape::Opaque => data.clone(),
                    shape => denormalize(shape, data, confirmed)?.into_json(),
                };
                Some(DehydratedQuery {
                    key: e.key.clone(),
                    data,
                    data_updated_at: e.state.data_updated_at,
                })
            })
            .collect();
        PersistedState {
            saved_at: self.now(),
            queries,
        }
    }

    /// Takes in what [`QueryClient::persist`] kept, but for the queries
    /// holding data written at its `saved_at` or later (a newer render's
    /// answer knows better). What it writes keeps its fetch time, so it is
    /// exactly as stale as it was. Returns the keys it wrote.
    pub fn restore(&mut self, state: PersistedState) -> Vec<QueryKey> {
        let saved_at = state.saved_at;
        self.take_in(state.queries, |held_at, _| held_at >= saved_at)
    }
}
