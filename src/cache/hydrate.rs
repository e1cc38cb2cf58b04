//! SSR hand-over: the server renders with a client, serializes the data it
//! fetched ([`QueryClient::dehydrate`]) into the page, and the browser's
//! client takes it in ([`QueryClient::hydrate`]) before the first observer
//! mounts, so hydration does not fetch a second time.
//!
//! Times are carried as they were: both sides must use the same epoch
//! (Unix milliseconds) for `stale_time` to mean the same thing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::QueryClient;
use super::clock::Millis;
use super::key::QueryKey;
use super::query::{QueryAction, QueryStatus};

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
        self.batch(|c| {
            let mut written = 0;
            for q in state.queries {
                let hash = c.ensure(&q.key, None);
                let held = &c.entries[&hash].state;
                if held.data.is_some() && held.data_updated_at >= q.data_updated_at {
                    continue;
                }
                let action = QueryAction::SetData {
                    data: q.data,
                    at: q.data_updated_at,
                };
                c.dispatch(&hash, action);
                written += 1;
            }
            written
        })
    }
}
