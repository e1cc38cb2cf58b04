//! Per-query options: freshness, garbage collection, retries, polling,
//! placeholders, the tags a query provides, and paging for infinite lists.
//!
//! Options live with the query; the last observer (or prefetch) to set them
//! wins, as one query is one server resource whatever screen shows it.

use serde_json::Value;

use super::clock::{after, Millis};
use super::infinite::InfiniteOptions;
use super::query::QueryError;
use super::shape::Shape;
use super::tags::Tag;
use crate::backoff::{Backoff, Jitter};

/// How failed fetches are retried: exponential backoff, capped, never
/// sooner than the server's `Retry-After`. This is the one retry layer for
/// reads: a fetcher reports each failure and does not retry on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each one after.
    pub base_delay: Millis,
    /// No wait is longer than this.
    pub max_delay: Millis,
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay: 0,
        max_delay: 0,
    };

    /// Whether to retry after `failures` failed attempts ending in `error`:
    /// only a retryable error, within the budget, and not when the server
    /// asked for a longer wait than any retry makes (the error shows
    /// instead).
    pub fn should_retry(&self, failures: u32, error: &QueryError) -> bool {
        error.retryable
            && failures <= self.max_retries
            && error.retry_after.is_none_or(|wait| wait <= self.max_delay)
    }

    /// The wait after `failures` failed attempts (1 = after the first):
    /// `base_delay * 2^(failures-1)`, capped at `max_delay`: the project's
    /// one schedule ([`Backoff`]), without jitter.
    pub fn delay(&self, failures: u32) -> Millis {
        Backoff::new(self.base_delay, self.max_delay, Jitter::None)
            .delay(failures.saturating_sub(1), 0.0)
    }

    /// When to retry, after `failures` failures at `now`, the last ending
    /// in `error`: the backoff, or the server's wait if that is longer.
    pub fn retry_at(&self, now: Millis, failures: u32, error: &QueryError) -> Millis {
        after(
            now,
            self.delay(failures).max(error.retry_after.unwrap_or(0)),
        )
    }
}

impl Default for RetryPolicy {
    /// Three retries after 1 s, 2 s, 4 s, never waiting more than 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: 1_000,
            max_delay: 30_000,
        }
    }
}

/// Everything configurable about one query. Build with the chained setters:
/// `QueryOptions::default().stale_time(30_000).tags([Tag::Users])`.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// How long data stays fresh (not refetched on observe). Default 0.
    pub stale_time: Millis,
    /// How long an unobserved query is kept. Default 5 minutes.
    pub gc_time: Millis,
    /// See [`RetryPolicy`].
    pub retry: RetryPolicy,
    /// Poll while observed: refetch this long after each settle.
    pub refetch_interval: Option<Millis>,
    /// Refetch stale observed data when the network comes back. Default on.
    pub refetch_on_reconnect: bool,
    /// Refetch stale observed data when the window regains focus. Default on.
    pub refetch_on_focus: bool,
    /// When off, only a forced fetch runs. Default on.
    pub enabled: bool,
    /// Shown (flagged as placeholder) while there is no data.
    pub placeholder_data: Option<Value>,
    /// While a retargeted observer's new key has no data, show the old key's.
    pub keep_previous_data: bool,
    /// Tags this query provides; invalidating one refetches it.
    pub tags: Vec<Tag>,
    /// Set for an infinite (paged) query.
    pub infinite: Option<InfiniteOptions>,
    /// What the data holds, so its users and posts live in the store and
    /// follow the server's events (see `shape.rs`). Default opaque.
    pub shape: Shape,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            stale_time: 0,
            gc_time: 5 * 60 * 1_000,
            retry: RetryPolicy::default(),
            refetch_interval: None,
            refetch_on_reconnect: true,
            refetch_on_focus: true,
            enabled: true,
            placeholder_data: None,
            keep_previous_data: false,
            tags: Vec::new(),
            infinite: None,
            shape: Shape::Opaque,
        }
    }
}

impl QueryOptions {
    /// Sets [`QueryOptions::stale_time`].
    pub fn stale_time(mut self, ms: Millis) -> Self {
        self.stale_time = ms;
        self
    }

    /// Sets [`QueryOptions::gc_time`].
    pub fn gc_time(mut self, ms: Millis) -> Self {
        self.gc_time = ms;
        self
    }

    /// Sets [`QueryOptions::retry`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`QueryOptions::refetch_interval`].
    pub fn refetch_interval(mut self, ms: Millis) -> Self {
        self.refetch_interval = Some(ms);
        self
    }

    /// Sets [`QueryOptions::enabled`].
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Sets [`QueryOptions::placeholder_data`].
    pub fn placeholder(mut self, data: Value) -> Self {
        self.placeholder_data = Some(data);
        self
    }

    /// Sets [`QueryOptions::keep_previous_data`].
    pub fn keep_previous_data(mut self, keep: bool) -> Self {
        self.keep_previous_data = keep;
        self
    }

    /// Sets [`QueryOptions::shape`].
    pub fn shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }

    /// Sets [`QueryOptions::tags`].
    pub fn tags(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.tags = tags.into_iter().collect();
        self
    }

    /// Makes this an infinite query paged by `paging`.
    pub fn infinite(mut self, paging: InfiniteOptions) -> Self {
        self.infinite = Some(paging);
        self
    }

    /// Whether this query provides any of `tags`.
    pub fn provides_any(&self, tags: &[Tag]) -> bool {
        self.tags.iter().any(|t| tags.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        let delays: Vec<_> = (1..=7).map(|n| p.delay(n)).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        assert_eq!(p.delay(200), 30_000);
        assert_eq!(p.retry_at(100, 2, &QueryError::transient("net")), 2_100);
    }

    #[test]
    fn only_retryable_errors_within_budget() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(3, &QueryError::transient("net")));
        assert!(!p.should_retry(4, &QueryError::transient("net")));
        assert!(!p.should_retry(1, &QueryError::permanent("404")));
        assert!(!RetryPolicy::NONE.should_retry(1, &QueryError::transient("net")));
    }
}
