//! Per-endpoint metrics, keyed by endpoint template
//! (`GET /api/users/{id}`), never by raw URL: calls, failures, aborts,
//! requests sent, retries, dedupe hits, mean and p95 latency.
//!
//! [`Metrics`] is a plain shared store (no signals): whatever shows it
//! reads a [`MetricsSnapshot`] when it wants one.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::endpoint::Endpoint;
use super::error::ApiError;
use super::middleware::{Attempt, Middleware, Resend, Settled};
use super::request::ApiRequest;

/// How many recent latencies an endpoint keeps for its p95.
pub const LATENCY_WINDOW: usize = 512;

/// One endpoint's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMetrics {
    /// The endpoint template, e.g. `GET /api/users/{id}`.
    pub endpoint: String,
    /// Calls made (each caller counts, deduped or not).
    pub count: u64,
    /// Calls that ended in an error other than a cancellation.
    pub failures: u64,
    /// Calls cancelled or dropped by their caller.
    pub aborted: u64,
    /// Requests that went to the network (first attempts and resends).
    pub requests: u64,
    /// Resends after a transient failure.
    pub retries: u64,
    /// Calls that joined an identical call in flight (no request of
    /// their own).
    pub cache_hits: u64,
    /// Mean latency of the calls that made their own request (ms).
    pub mean_ms: f64,
    /// 95th percentile of the same, over the last [`LATENCY_WINDOW`].
    pub p95_ms: f64,
}

/// Every endpoint's figures, sorted by endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub endpoints: Vec<EndpointMetrics>,
}

impl MetricsSnapshot {
    /// The figures of `endpoint` (its template name), if it was called.
    pub fn endpoint(&self, endpoint: &str) -> Option<&EndpointMetrics> {
        self.endpoints.iter().find(|e| e.endpoint == endpoint)
    }

    /// The figures of `endpoint`, zero if it was never called.
    pub fn of(&self, endpoint: Endpoint) -> EndpointMetrics {
        let name = endpoint.to_string();
        self.endpoint(&name).cloned().unwrap_or(EndpointMetrics {
            endpoint: name,
            ..Default::default()
        })
    }
}

#[derive(Debug, Default)]
struct Stats {
    count: u64,
    failures: u64,
    aborted: u64,
    requests: u64,
    retries: u64,
    cache_hits: u64,
    latency_sum: f64,
    latency_count: u64,
    recent: VecDeque<f64>,
}

impl Stats {
    fn record_latency(&mut self, ms: f64) {
        self.latency_sum += ms;
        self.latency_count += 1;
        if self.recent.len() == LATENCY_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(ms);
    }

    fn snapshot(&self, endpoint: &str) -> EndpointMetrics {
        let recent: Vec<f64> = self.recent.iter().copied().collect();
        EndpointMetrics {
            endpoint: endpoint.to_owned(),
            count: self.count,
            failures: self.failures,
            aborted: self.aborted,
            requests: self.requests,
            retries: self.retries,
            cache_hits: self.cache_hits,
            mean_ms: if self.latency_count == 0 {
                0.0
            } else {
                self.latency_sum / self.latency_count as f64
            },
            p95_ms: percentile(&recent, 95.0),
        }
    }
}

/// The `p`th percentile of `samples` by nearest rank (0 when empty).
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The shared store; cheap to clone, safe to read from anywhere.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<String, Stats>>>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    fn stats(&self) -> MutexGuard<'_, BTreeMap<String, Stats>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with(&self, endpoint: Endpoint, f: impl FnOnce(&mut Stats)) {
        f(self.stats().entry(endpoint.to_string()).or_default());
    }

    /// One request sent; `retry` when it resends after a transient failure.
    pub fn record_request(&self, endpoint: Endpoint, retry: bool) {
        self.with(endpoint, |s| {
            s.requests += 1;
            s.retries += u64::from(retry);
        });
    }

    /// One call ended, after `latency_ms`; `deduped` when it joined a twin.
    pub fn record_call(
        &self,
        endpoint: Endpoint,
        error: Option<&ApiError>,
        latency_ms: f64,
        deduped: bool,
    ) {
        self.with(endpoint, |s| {
            s.count += 1;
            match error {
                Some(ApiError::Aborted) => s.aborted += 1,
                Some(_) => s.failures += 1,
                None => {}
            }
            if deduped {
                s.cache_hits += 1;
            } else if !matches!(error, Some(ApiError::Aborted)) {
                s.record_latency(latency_ms);
            }
        });
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            endpoints: self
                .stats()
                .iter()
                .map(|(name, stats)| stats.snapshot(name))
                .collect(),
        }
    }

    pub fn reset(&self) {
        self.stats().clear();
    }
}

/// Feeds a [`Metrics`] store from the chain.
pub struct MetricsMiddleware {
    metrics: Metrics,
}

impl MetricsMiddleware {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl Middleware for MetricsMiddleware {
    fn on_request(&self, request: &mut ApiRequest, attempt: &Attempt) {
        self.metrics
            .record_request(request.endpoint, attempt.resent == Some(Resend::Retry));
    }

    fn on_settled(&self, settled: &Settled<'_>) {
        self.metrics.record_call(
            settled.endpoint,
            settled.outcome.err(),
            settled.elapsed_ms,
            settled.deduped,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::{GET_USER, LIST_POSTS};

    #[test]
    fn p95_by_nearest_rank() {
        assert_eq!(percentile(&[], 95.0), 0.0);
        assert_eq!(percentile(&[4.0], 95.0), 4.0);
        let hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&hundred, 95.0), 95.0);
        assert_eq!(percentile(&hundred, 50.0), 50.0);
        assert_eq!(percentile(&hundred, 100.0), 100.0);
        assert_eq!(percentile(&hundred, 0.0), 1.0);
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&twenty, 95.0), 19.0);
    }

    #[test]
    fn aggregates_per_endpoint_template() {
        let m = Metrics::new();
        for ms in [10.0, 20.0, 30.0, 40.0] {
            m.record_request(GET_USER, false);
            m.record_call(GET_USER, None, ms, false);
        }
        m.record_request(GET_USER, false);
        m.record_request(GET_USER, true);
        m.record_call(
            GET_USER,
            Some(&ApiError::from_response(503, "")),
            100.0,
            false,
        );
        m.record_call(GET_USER, None, 1.0, true);
        m.record_call(GET_USER, Some(&ApiError::Aborted), 5.0, false);

        let snap = m.snapshot();
        let user = snap.endpoint("GET /api/users/{id}").unwrap();
        assert_eq!(
            (
                user.count,
                user.failures,
                user.aborted,
                user.requests,
                user.retries,
                user.cache_hits
            ),
            (7, 1, 1, 6, 1, 1)
        );
        assert_eq!(
            user.mean_ms, 40.0,
            "deduped and aborted calls are not latency"
        );
        assert_eq!(user.p95_ms, 100.0);
        assert_eq!(snap.of(LIST_POSTS).count, 0);
        assert_eq!(snap.endpoints.len(), 1);
        m.reset();
        assert!(m.snapshot().endpoints.is_empty());
    }

    #[test]
    fn the_latency_window_is_bounded() {
        let m = Metrics::new();
        for i in 0..(LATENCY_WINDOW + 100) {
            m.record_call(GET_USER, None, if i < 100 { 1000.0 } else { 1.0 }, false);
        }
        let user = m.snapshot().of(GET_USER);
        assert_eq!(user.p95_ms, 1.0, "old samples left the window");
        assert!(user.mean_ms > 1.0, "the mean covers every call");
    }
}
