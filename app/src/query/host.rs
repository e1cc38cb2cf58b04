//! The host side of the engine: performing the fetches it hands out,
//! feeding their results back, and delivering its notifications.
//!
//! The engine says "start fetch N of key K"; the host looks up K's
//! registered [`Fetcher`], spawns it and reports the result with the same
//! fetch id (an old id is ignored by the engine, so a slow answer never
//! overwrites a newer one). After every engine call the batched
//! [`Notification`](tidings::cache::Notification)s are turned into
//! per-key [`ArcTrigger`] notifications (only the components reading a
//! changed key re-render) and wake the futures waiting for a key to settle
//! (Leptos resources). The typed [`ApiError`] of a failure is kept here,
//! beside the engine's plain [`QueryError`].
//!
//! Each request in flight holds a [`CancelToken`]: when the engine no
//! longer wants its fetch (the last observer left, the component moved to
//! another key, a newer fetch superseded it), the token is cancelled and
//! the request aborted, so the browser stops downloading what nobody
//! reads.

use std::borrow::Cow;
use std::future::Future;

use futures::channel::oneshot;
use leptos::prelude::*;
use serde_json::Value;
use tidings::cache::{
    DehydratedQuery, DehydratedState, FetchDecision, FetchPolicy, FetchStart, KeyHash,
    Notification, QueryClient, QueryError, QueryKey, QueryOptions, QueryStatus, Resolution,
    RetryPolicy,
};

use super::error::to_query_error;
use super::fetcher::Fetcher;
use super::handle::{lock, QueryClientHandle};
use super::loaded::Loaded;
use crate::api::{cancellable, ApiError, CancelToken};

impl QueryClientHandle {
    /// Delivers what the engine changed: notifies the keys' triggers, wakes
    /// their waiters, forgets removed keys; then re-arms the timer.
    pub(crate) fn flush(&self) {
        loop {
            let notes = std::mem::take(&mut *lock(&self.0.outbox));
            if notes.is_empty() {
                break;
            }
            let mut triggers = Vec::new();
            let mut waiters = Vec::new();
            if notes.iter().any(|n| n.entities) {
                triggers.push(self.0.entities.clone());
            }
            self.abort_unwanted(&notes);
            {
                let mut host = lock(&self.0.registry);
                for note in &notes {
                    let removed = note.removed.iter().map(|k| (k, true));
                    for (hash, gone) in note.changed.iter().map(|k| (k, false)).chain(removed) {
                        triggers.extend(host.triggers.get(hash).cloned());
                        waiters.extend(host.waiters.remove(hash).unwrap_or_default());
                        if gone {
                            host.fetchers.remove(hash);
                            host.errors.remove(hash);
                            host.pages.remove(hash);
                            host.triggers.remove(hash);
                        }
                    }
                }
            }
            for trigger in triggers {
                trigger.notify();
            }
            for waiter in waiters {
                let _ = waiter.send(());
            }
        }
        self.rearm();
    }

    /// Arms the timer for the engine's next deadline.
    fn rearm(&self) {
        if !self.0.timers.runs() {
            return;
        }
        let (next, now) = self.read(|c| (c.next_deadline(), c.now()));
        let client = std::sync::Arc::downgrade(&self.0);
        self.0.timers.arm(next, now, move || {
            if let Some(shared) = client.upgrade() {
                shared.timers.fired();
                QueryClientHandle(shared).tick();
            }
        });
    }

    /// Aborts the requests of the keys in `notes` whose fetch the engine
    /// no longer runs.
    fn abort_unwanted(&self, notes: &[Notification]) {
        let engine = lock(&self.0.engine);
        let mut host = lock(&self.0.registry);
        if host.in_flight.is_empty() {
            return;
        }
        let hashes = notes
            .iter()
            .flat_map(|n| n.changed.iter().chain(&n.removed));
        for hash in hashes {
            let Some((fetch_id, _)) = host.in_flight.get(hash) else {
                continue;
            };
            let wanted = engine
                .state_of(hash)
                .is_some_and(|s| s.is_fetching() && s.fetch_id == *fetch_id);
            if !wanted {
                if let Some((_, token)) = host.in_flight.remove(hash) {
                    token.cancel();
                }
            }
        }
    }

    /// Makes the current reactive scope re-run when `hash` changes.
    pub(crate) fn track_key(&self, hash: &KeyHash) {
        let trigger = lock(&self.0.registry)
            .triggers
            .entry(hash.clone())
            .or_default()
            .clone();
        trigger.track();
    }

    /// Sets the fetcher that performs `key`'s fetches from now on.
    pub(crate) fn register(&self, key: &QueryKey, fetcher: Fetcher) {
        lock(&self.0.registry).fetchers.insert(key.hash(), fetcher);
    }

    /// `options` as this platform can honour them: without timers (on the
    /// server) a retry or a poll would never come, so there are none.
    pub(crate) fn adapt(&self, mut options: QueryOptions) -> QueryOptions {
        if !self.0.timers.runs() {
            options.retry = RetryPolicy::NONE;
            options.refetch_interval = None;
        }
        options
    }

    /// Performs `starts` in the background. A key without a fetcher (data
    /// only ever written by hand) has its fetch cancelled.
    pub(crate) fn run(&self, starts: Vec<FetchStart>) {
        for start in starts {
            let hash = start.key.hash();
            let token = CancelToken::new();
            let fetcher = {
                let mut host = lock(&self.0.registry);
                if let Some(page) = &start.page {
                    host.pages.insert(hash.clone(), page.direction);
                }
                let fetcher = host.fetchers.get(&hash).cloned();
                if fetcher.is_some() {
                    let superseded = host
                        .in_flight
                        .insert(hash.clone(), (start.fetch_id, token.clone()));
                    if let Some((_, old)) = superseded.filter(|(id, _)| *id != start.fetch_id) {
                        old.cancel();
                    }
                }
                fetcher
            };
            let Some(fetcher) = fetcher else {
                self.cancel(&start.key);
                continue;
            };
            let pending = untrack(|| fetcher(start.page.clone()));
            let this = self.clone();
            (self.0.spawn)(Box::pin(async move {
                let result = cancellable(pending, &token).await;
                this.resolve(start, result);
            }));
        }
    }

    /// Reports the result of `start` to the engine.
    fn resolve(&self, start: FetchStart, result: Result<Value, ApiError>) {
        {
            let mut host = lock(&self.0.registry);
            let hash = start.key.hash();
            if host
                .in_flight
                .get(&hash)
                .is_some_and(|(id, _)| *id == start.fetch_id)
            {
                host.in_flight.remove(&hash);
            }
        }
        let (outcome, failure) = match result {
            Ok(data) => (Ok(data), None),
            Err(e) => (Err(to_query_error(&e)), Some(e)),
        };
        let resolution = {
            let mut engine = lock(&self.0.engine);
            let resolution = engine.resolve(&start.key, start.fetch_id, outcome);
            if let (Some(e), false) = (failure, resolution == Resolution::Ignored) {
                lock(&self.0.registry).errors.insert(start.key.hash(), e);
            }
            resolution
        };
        self.flush();
        if let Resolution::Continue(next) = resolution {
            self.run(vec![next]);
        }
    }

    /// Asks the engine for `key` (if stale) and waits until it has data or
    /// its fetch settled: cached data answers at once, even if stale, while
    /// a refetch goes on in the background.
    /// The decision is taken at the call, not at the first poll.
    pub(crate) fn load(self, key: QueryKey) -> impl Future<Output = Loaded> + Send + 'static {
        let decision = self.update(|c| c.fetch(&key, FetchPolicy::IfStale));
        start(&self, decision);
        async move { self.settled(key).await }
    }

    /// Waits until `key` has data or is not fetching.
    pub(crate) async fn settled(&self, key: QueryKey) -> Loaded {
        let hash = key.hash();
        loop {
            let woken = {
                let engine = lock(&self.0.engine);
                match engine.state(&key) {
                    Some(s) if s.data.is_none() && s.is_fetching() => {
                        let (tx, rx) = oneshot::channel();
                        lock(&self.0.registry)
                            .waiters
                            .entry(hash.clone())
                            .or_default()
                            .push(tx);
                        rx
                    }
                    _ => return self.loaded(&engine, key),
                }
            };
            let _ = woken.await;
        }
    }

    /// What `key` holds now, its entities as the store shows them.
    fn loaded(&self, engine: &QueryClient, key: QueryKey) -> Loaded {
        let Some(state) = engine.state(&key) else {
            return Loaded::empty(key);
        };
        let error = match (&state.error, state.status) {
            (Some(e), QueryStatus::Error) => Some(lock(&self.0.registry).api_error(&key.hash(), e)),
            _ => None,
        };
        Loaded {
            data: engine.query_data(&key).map(Cow::into_owned),
            at: state.data_updated_at,
            error,
            key,
        }
    }

    /// Takes in a value a resource produced without the engine (on the
    /// browser, the one serialized into the page during SSR): its data
    /// unless newer is held; its error as the query's final error if the
    /// query has nothing yet. Idempotent.
    pub(crate) fn absorb(&self, loaded: &Loaded) {
        let key = &loaded.key;
        if let Some(data) = &loaded.data {
            let query = DehydratedQuery {
                key: key.clone(),
                data: data.clone(),
                data_updated_at: loaded.at,
            };
            self.hydrate(DehydratedState {
                queries: vec![query],
            });
        } else if let Some(error) = &loaded.error {
            self.update(|c| {
                let blank = c
                    .state(key)
                    .is_none_or(|s| s.status == QueryStatus::Pending && !s.is_fetching());
                if !blank {
                    return;
                }
                if let FetchDecision::Start(start) = c.fetch(key, FetchPolicy::Force) {
                    lock(&self.0.registry)
                        .errors
                        .insert(key.hash(), error.clone());
                    let final_error = QueryError {
                        retryable: false,
                        ..to_query_error(error)
                    };
                    c.resolve(key, start.fetch_id, Err(final_error));
                }
            });
        }
    }

    /// The typed error the engine's `error` of `hash` stands for.
    pub(crate) fn api_error(&self, hash: &KeyHash, error: &QueryError) -> ApiError {
        lock(&self.0.registry).api_error(hash, error)
    }
}

/// Starts `decision`'s fetch, if it has one.
pub(crate) fn start(handle: &QueryClientHandle, decision: FetchDecision) {
    if let FetchDecision::Start(start) = decision {
        handle.run(vec![start]);
    }
}
