//! Invalidation and refetch triggers: by key prefix, by tag (RTK's
//! provides/invalidates), by a server change event, on reconnect and on
//! focus.
//!
//! Invalidating marks queries stale whatever their age. Observed ones must
//! be refetched now, and are returned as [`FetchStart`]s; if one was already
//! fetching, that fetch is superseded, because it may have started before
//! the change and would bring old data. An unobserved query's fetch is
//! cancelled for the same reason, and it stays marked until next observed.

use serde_json::Value;

use super::client::{Entry, FetchStart, QueryClient};
use super::fetch::FetchDecision;
use super::infinite::PageDirection;
use super::key::{KeyHash, QueryKey};
use super::notify::Notifier;
use super::query::{FetchStatus, QueryAction};
use super::tags::{tags_for_event, EventKind, Tag};

impl QueryClient {
    /// Invalidates every query whose key starts with `prefix` (the root key
    /// invalidates all). Returns the fetches to start now.
    pub fn invalidate_prefix(&mut self, prefix: &QueryKey) -> Vec<FetchStart> {
        let Some(span) = KeyHash::span_under(prefix) else {
            return self.invalidate_where(|_, _| true);
        };
        self.batch(|c| {
            let under = c
                .entries
                .range_mut(span.start().clone()..)
                .take_while(|(h, _)| span.runs_on(h))
                .filter(|(h, _)| span.holds(h));
            let marked = mark_all(under, &mut c.notifier);
            c.follow_up(marked)
        })
    }

    /// Invalidates every query providing any of `tags`. Returns the fetches
    /// to start now.
    pub fn invalidate_tags(&mut self, tags: &[Tag]) -> Vec<FetchStart> {
        self.invalidate_where(|_, e| e.options.provides_any(tags))
    }

    /// Invalidates what a server change event makes stale
    /// (see [`tags_for_event`]).
    pub fn invalidate_event(&mut self, kind: EventKind, payload: &Value) -> Vec<FetchStart> {
        self.invalidate_tags(&tags_for_event(kind, payload))
    }

    /// Records the network state. Coming back online hands out the paused
    /// fetches (same ids) and refetches stale observed queries that have
    /// `refetch_on_reconnect`.
    pub fn set_online(&mut self, online: bool) -> Vec<FetchStart> {
        let was = std::mem::replace(&mut self.online, online);
        if !online || was {
            return Vec::new();
        }
        self.batch(|c| {
            let paused = c.hashes_where(|e| e.state.fetch_status == FetchStatus::Paused);
            let mut starts = Vec::new();
            for hash in paused {
                c.dispatch(&hash, QueryAction::Continue);
                starts.push(c.start_of(&hash));
            }
            starts.extend(c.refetch_stale(|e| e.options.refetch_on_reconnect));
            starts
        })
    }

    /// The window regained focus: refetches stale observed queries that have
    /// `refetch_on_focus`.
    pub fn focus(&mut self) -> Vec<FetchStart> {
        self.batch(|c| c.refetch_stale(|e| e.options.refetch_on_focus))
    }

    fn hashes_where(&self, pred: impl Fn(&Entry) -> bool) -> Vec<KeyHash> {
        self.entries
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Marks the matching queries in place, in one pass over the cache;
    /// only those with a fetch to start or stop are looked up again.
    pub(super) fn invalidate_where(
        &mut self,
        pred: impl Fn(&KeyHash, &Entry) -> bool,
    ) -> Vec<FetchStart> {
        self.batch(|c| {
            let matching = c.entries.iter_mut().filter(|(h, e)| pred(h, e));
            let marked = mark_all(matching, &mut c.notifier);
            c.follow_up(marked)
        })
    }

    /// After marking: refetches the observed queries of `hashes`, stops
    /// the fetches of the others.
    fn follow_up(&mut self, hashes: Vec<KeyHash>) -> Vec<FetchStart> {
        let mut starts = Vec::new();
        for hash in hashes {
            let e = &self.entries[&hash];
            if e.observers > 0 && e.options.enabled {
                if let FetchDecision::Start(start) = self.start_fetch(&hash, PageDirection::Refetch)
                {
                    starts.push(start);
                }
            } else {
                self.abandon_fetch(&hash);
            }
        }
        starts
    }

    fn refetch_stale(&mut self, trigger: impl Fn(&Entry) -> bool) -> Vec<FetchStart> {
        let now = self.now();
        let hashes = self.hashes_where(|e| {
            e.observers > 0
                && e.options.enabled
                && !e.state.is_fetching()
                && e.state.is_stale(now, e.options.stale_time)
                && trigger(e)
        });
        hashes
            .iter()
            .filter_map(|h| self.start_fetch(h, PageDirection::Refetch).into_start())
            .collect()
    }
}

/// Marks `entries` invalidated; returns those with a fetch to start
/// (observed) or stop (unobserved, fetching).
fn mark_all<'a>(
    entries: impl Iterator<Item = (&'a KeyHash, &'a mut Box<Entry>)>,
    notifier: &mut Notifier,
) -> Vec<KeyHash> {
    let mut follow_up = Vec::new();
    for (hash, e) in entries {
        e.reduce(hash, QueryAction::Invalidate, notifier);
        if (e.observers > 0 && e.options.enabled) || e.state.is_fetching() {
            follow_up.push(hash.clone());
        }
    }
    follow_up
}
