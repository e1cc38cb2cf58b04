//! Deadlines: garbage collection, retries and polling, as times the host
//! asks for with [`QueryClient::next_deadline`] and reaches with
//! [`QueryClient::tick`].
//!
//! The engine owns no timer. A browser host sets one `setTimeout` for the
//! next deadline and re-arms it after every call that may move it; a test
//! simply advances a fake clock and ticks. After `tick(now)` no deadline at
//! or before `now` remains.

use super::client::{FetchStart, QueryClient};
use super::clock::{Millis, NEVER};
use super::infinite::PageDirection;
use super::query::QueryAction;

impl QueryClient {
    /// The earliest time at which [`QueryClient::tick`] has work, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.entries
            .values()
            .flat_map(|e| [e.gc_at, e.retry_at, e.poll_at])
            .flatten()
            .filter(|&t| t != NEVER)
            .min()
    }

    /// Does everything due at `now`: drops unobserved queries past their
    /// gc time (one still fetching is dropped after it settles), hands out
    /// due retries (same fetch id) and due polls (new fetch).
    pub fn tick(&mut self, now: Millis) -> Vec<FetchStart> {
        let due = |t: Option<Millis>| t.is_some_and(|t| t <= now);
        let hashes: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| due(e.gc_at) || due(e.retry_at) || due(e.poll_at))
            .map(|(h, _)| h.clone())
            .collect();
        self.batch(|c| {
            let mut starts = Vec::new();
            for hash in hashes {
                let online = c.online;
                let e = c.entries.get_mut(&hash).expect("listed above");
                if due(e.retry_at) {
                    e.retry_at = None;
                    if online {
                        starts.push(c.start_of(&hash));
                    } else {
                        c.dispatch(&hash, QueryAction::Pause);
                    }
                }
                let e = c.entries.get_mut(&hash).expect("still there");
                if due(e.poll_at) {
                    e.poll_at = None;
                    if e.observers > 0 && !e.state.is_fetching() {
                        starts.extend(c.start_fetch(&hash, PageDirection::Refetch).into_start());
                    }
                }
                let e = c.entries.get_mut(&hash).expect("still there");
                if due(e.gc_at) {
                    if e.state.is_fetching() {
                        e.gc_at = None;
                    } else {
                        c.remove_hash(&hash);
                    }
                }
            }
            starts
        })
    }
}
