//! Fetching: deciding whether a fetch starts, joining one in flight, and
//! taking its result (with retries, offline pauses and infinite pages).
//!
//! A fetch is identified by a [`FetchId`]. Starting a new fetch of a query
//! supersedes the old one: a result quoting an old id is ignored, so a slow
//! response can never overwrite a newer one.

use serde_json::Value;

use super::client::{FetchStart, QueryClient};
use super::clock::Millis;
use super::infinite::{self, PageDirection, PageStep};
use super::key::{KeyHash, QueryKey};
use super::options::QueryOptions;
use super::query::{FetchId, FetchStatus, QueryAction, QueryError};

/// When [`QueryClient::fetch`] should fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPolicy {
    /// Only if the data is missing, invalidated or older than `stale_time`
    /// (and the query is enabled).
    IfStale,
    /// Whatever the data's age, even if disabled.
    Force,
}

/// The answer of a fetch request.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchDecision {
    /// Start this fetch now.
    Start(FetchStart),
    /// A fetch with this id is already under way: wait for it.
    Joined(FetchId),
    /// The fetch waits for the network; it will be handed out by
    /// [`QueryClient::set_online`].
    Paused(FetchId),
    /// The data is fresh: nothing to do.
    Fresh,
    /// The query is disabled.
    Disabled,
    /// An infinite query has no page in the asked direction.
    NoMorePages,
}

impl FetchDecision {
    /// The fetch to start, if one must start.
    pub fn into_start(self) -> Option<FetchStart> {
        match self {
            FetchDecision::Start(start) => Some(start),
            _ => None,
        }
    }

    /// Whether the host must start a fetch.
    pub fn should_start(&self) -> bool {
        matches!(self, FetchDecision::Start(_))
    }
}

/// What became of a reported result.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Not the current fetch (superseded, cancelled, or the query is gone).
    Ignored,
    /// The query settled with data or a final error.
    Settled,
    /// The attempt failed; [`QueryClient::tick`] hands out the retry at
    /// this time.
    RetryAt(Millis),
    /// The attempt failed while offline; the retry waits for the network.
    Paused,
    /// An infinite refetch goes on: fetch this page next.
    Continue(FetchStart),
}

impl QueryClient {
    /// Asks to fetch `key` (created with default options if missing).
    /// A fetch already under way is joined, never doubled.
    pub fn fetch(&mut self, key: &QueryKey, policy: FetchPolicy) -> FetchDecision {
        self.batch(|c| {
            let hash = c.ensure(key, None);
            c.fetch_hash(&hash, policy)
        })
    }

    /// Creates `key` with `options` and fetches it if stale, typically
    /// before it is shown (on hover). Unobserved, it is gc'd after
    /// `gc_time`.
    pub fn prefetch(&mut self, key: &QueryKey, options: QueryOptions) -> FetchDecision {
        self.batch(|c| {
            let hash = c.ensure(key, Some(options));
            c.fetch_hash(&hash, FetchPolicy::IfStale)
        })
    }

    /// Fetches the page after the last of an infinite query (or its first
    /// page when it has none).
    pub fn fetch_next_page(&mut self, key: &QueryKey) -> FetchDecision {
        self.extend(key, PageDirection::Forward)
    }

    /// Fetches the page before the first of an infinite query.
    pub fn fetch_previous_page(&mut self, key: &QueryKey) -> FetchDecision {
        self.extend(key, PageDirection::Backward)
    }

    /// Abandons the fetch of `key` in flight; its result will be ignored.
    pub fn cancel(&mut self, key: &QueryKey) -> bool {
        let hash = key.hash();
        let fetching = self
            .entries
            .get(&hash)
            .is_some_and(|e| e.state.is_fetching());
        if fetching {
            self.batch(|c| c.abandon_fetch(&hash));
        }
        fetching
    }

    /// Reports the result of fetch `fetch_id` of `key`. For an infinite
    /// query, `Ok` carries the one page that was asked for.
    pub fn resolve(
        &mut self,
        key: &QueryKey,
        fetch_id: FetchId,
        result: Result<Value, QueryError>,
    ) -> Resolution {
        self.batch(|c| c.resolve_hash(&key.hash(), fetch_id, result))
    }

    /// Replaces the options of `key` (creating the query if needed);
    /// polling starts or stops with them. Options that enable an observed
    /// query (a dependent query whose input has arrived) fetch it now if
    /// it is stale: that fetch is returned, to start.
    pub fn set_options(&mut self, key: &QueryKey, options: QueryOptions) -> Option<FetchStart> {
        self.batch(|c| {
            let hash = key.hash();
            let was_enabled = c.entries.get(&hash).map(|e| e.options.enabled);
            c.ensure(key, Some(options));
            let e = &c.entries[&hash];
            let turned_on = e.options.enabled && was_enabled != Some(true);
            if !(turned_on && e.observers > 0) {
                return None;
            }
            c.fetch_hash(&hash, FetchPolicy::IfStale).into_start()
        })
    }

    pub(super) fn fetch_hash(&mut self, hash: &KeyHash, policy: FetchPolicy) -> FetchDecision {
        let now = self.now();
        let e = &self.entries[hash];
        if let Some(joined) = joined(e.state.fetch_status, e.state.fetch_id) {
            return joined;
        }
        if policy == FetchPolicy::IfStale {
            if !e.options.enabled {
                return FetchDecision::Disabled;
            }
            if !e.state.is_stale(now, e.options.stale_time) {
                return FetchDecision::Fresh;
            }
        }
        self.start_fetch(hash, PageDirection::Refetch)
    }

    /// Starts a new fetch of `hash`, superseding any in flight.
    pub(super) fn start_fetch(
        &mut self,
        hash: &KeyHash,
        direction: PageDirection,
    ) -> FetchDecision {
        let paused = !self.online;
        let e = self.entries.get_mut(hash).expect("query exists");
        let pages = match &e.options.infinite {
            Some(paging) => match infinite::plan(paging, e.state.data.as_ref(), direction) {
                Some(plan) => Some(plan),
                None => return FetchDecision::NoMorePages,
            },
            None => None,
        };
        e.pages = pages;
        e.retry_at = None;
        e.poll_at = None;
        self.next_fetch += 1;
        let fetch_id = FetchId(self.next_fetch);
        self.dispatch(hash, QueryAction::Fetch { fetch_id, paused });
        if paused {
            FetchDecision::Paused(fetch_id)
        } else {
            FetchDecision::Start(self.start_of(hash))
        }
    }

    /// Drops the fetch in flight of `hash` (no notification of its end
    /// beyond the state change).
    /// Stops the fetch of `hash` as if it had settled: its result will be
    /// ignored, and an unobserved query's gc is scheduled from now.
    pub(super) fn abandon_fetch(&mut self, hash: &KeyHash) {
        self.stop_fetch(hash);
        let now = self.now();
        self.after_settle(hash, now);
    }

    pub(super) fn stop_fetch(&mut self, hash: &KeyHash) {
        if let Some(e) = self.entries.get_mut(hash) {
            e.retry_at = None;
            e.pages = None;
        }
        self.dispatch(hash, QueryAction::Cancel);
    }

    fn extend(&mut self, key: &QueryKey, direction: PageDirection) -> FetchDecision {
        self.batch(|c| {
            let hash = c.ensure(key, None);
            let e = &c.entries[&hash];
            match joined(e.state.fetch_status, e.state.fetch_id) {
                Some(joined) => joined,
                None => c.start_fetch(&hash, direction),
            }
        })
    }

    fn resolve_hash(
        &mut self,
        hash: &KeyHash,
        fetch_id: FetchId,
        result: Result<Value, QueryError>,
    ) -> Resolution {
        let now = self.now();
        let online = self.online;
        let Some(e) = self.entries.get_mut(hash) else {
            return Resolution::Ignored;
        };
        let current = e.state.fetch_id == fetch_id
            && e.state.fetch_status == FetchStatus::Fetching
            && e.retry_at.is_none();
        if !current {
            return Resolution::Ignored;
        }
        match result {
            Ok(value) => {
                let data = match (e.pages.as_mut(), e.options.infinite.as_ref()) {
                    (Some(fetch), Some(paging)) => {
                        match infinite::accept(fetch, e.state.data.as_ref(), value, paging) {
                            PageStep::Done(data) => data,
                            PageStep::Next => return Resolution::Continue(self.start_of(hash)),
                        }
                    }
                    _ => value,
                };
                e.pages = None;
                self.dispatch(hash, QueryAction::Success { data, at: now });
                self.after_settle(hash, now);
                Resolution::Settled
            }
            Err(error) => {
                let failures = e.state.failure_count + 1;
                if !e.options.retry.should_retry(failures, &error) {
                    e.pages = None;
                    self.dispatch(hash, QueryAction::Error { error, at: now });
                    self.after_settle(hash, now);
                    return Resolution::Settled;
                }
                let at = e.options.retry.retry_at(now, failures, &error);
                if online {
                    e.retry_at = Some(at);
                }
                self.dispatch(hash, QueryAction::Failed { error });
                if online {
                    Resolution::RetryAt(at)
                } else {
                    self.dispatch(hash, QueryAction::Pause);
                    Resolution::Paused
                }
            }
        }
    }
}

fn joined(status: FetchStatus, id: FetchId) -> Option<FetchDecision> {
    match status {
        FetchStatus::Idle => None,
        FetchStatus::Fetching => Some(FetchDecision::Joined(id)),
        FetchStatus::Paused => Some(FetchDecision::Paused(id)),
    }
}
