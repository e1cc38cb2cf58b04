//! The retry middleware and its policy.
//!
//! Retried: network failures, timeouts, 5xx, 408 and 429, and only for
//! requests that are safe to send twice (GET, or a mutation carrying an
//! idempotency key, which every attempt reuses). Never another 4xx, never
//! a cancelled call. A client whose reads are retried by the query engine
//! leaves them alone ([`RetryPolicy::writes_only`]), so one failing read is
//! retried by one layer. The wait is the backoff schedule, or the server's
//! `Retry-After` when it sends one; a `Retry-After` beyond the cap is not
//! waited for: the call fails with the answer instead.

use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use tidings::{Backoff, Jitter};

use super::error::{status_is_retryable, ApiError};
use super::middleware::{Attempt, Middleware, Next};
use super::platform;
use super::request::ApiRequest;
use super::response::RawResponse;
use super::retry_after::parse_retry_after;

/// The longest any retry waits, in milliseconds (30 s).
pub const MAX_DELAY_MS: u64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The schedule: equal jitter, capped at [`MAX_DELAY_MS`].
    pub backoff: Backoff,
    /// Whether reads (safe methods) are retried here; `false` where the
    /// caller retries them itself.
    pub reads: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff: Backoff::new(300, MAX_DELAY_MS, Jitter::Equal),
            reads: true,
        }
    }
}

/// What went wrong with an attempt, as the policy needs to know it.
#[derive(Debug, Clone, Copy)]
pub enum Failure<'a> {
    /// An HTTP answer with this status and `Retry-After` header, if any.
    Status {
        status: u16,
        retry_after: Option<&'a str>,
    },
    /// No answer.
    Error(&'a ApiError),
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// `max_retries` retries on the schedule starting at `base`.
    pub fn new(max_retries: u32, base: Duration) -> Self {
        Self {
            max_retries,
            backoff: Backoff::new(base.as_millis() as u64, MAX_DELAY_MS, Jitter::Equal),
            reads: true,
        }
    }

    /// The same policy for keyed writes only: reads fail at their first
    /// failure, for a caller (the query engine) that retries them.
    pub fn writes_only(self) -> Self {
        Self {
            reads: false,
            ..self
        }
    }

    /// How long to wait before retrying `request` after `failure`, with
    /// `retries` retries already made; `None` to give up. `random` is in
    /// `[0, 1)` (jitter), `now` reads an HTTP-date `Retry-After`.
    pub fn decide(
        &self,
        request: &ApiRequest,
        failure: Failure<'_>,
        retries: u32,
        random: f64,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let transient = match failure {
            Failure::Status { status, .. } => status_is_retryable(status),
            Failure::Error(error) => error.retryable(),
        };
        let read = request.method().is_safe();
        if !transient
            || !request.is_replayable()
            || (read && !self.reads)
            || retries >= self.max_retries
        {
            return None;
        }
        let asked = match failure {
            Failure::Status {
                retry_after: Some(value),
                ..
            } => parse_retry_after(value, now),
            _ => None,
        };
        let cap = Duration::from_millis(self.backoff.cap.min(MAX_DELAY_MS));
        match asked {
            Some(wait) if wait > cap => None,
            Some(wait) => Some(wait),
            None => Some(Duration::from_millis(self.backoff.delay(retries, random)).min(cap)),
        }
    }
}

/// [`RetryPolicy`] as middleware, with its sources of randomness and time.
pub struct RetryMiddleware {
    policy: RetryPolicy,
    random: Rc<dyn Fn() -> f64>,
    now_ms: Rc<dyn Fn() -> f64>,
}

impl RetryMiddleware {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            random: Rc::new(platform::random_unit),
            now_ms: Rc::new(platform::now_ms),
        }
    }

    /// Draws jitter from `random` (uniform in `[0, 1)`).
    pub fn with_random(mut self, random: impl Fn() -> f64 + 'static) -> Self {
        self.random = Rc::new(random);
        self
    }

    /// Reads the wall clock (ms since the epoch) from `now_ms`.
    pub fn with_clock(mut self, now_ms: impl Fn() -> f64 + 'static) -> Self {
        self.now_ms = Rc::new(now_ms);
        self
    }

    fn decide(&self, request: &ApiRequest, failure: Failure<'_>, attempt: &Attempt) -> Next {
        let now = platform::instant_at((self.now_ms)());
        match self
            .policy
            .decide(request, failure, attempt.retries, (self.random)(), now)
        {
            Some(after) => Next::Retry { after },
            None => Next::Continue,
        }
    }
}

impl Middleware for RetryMiddleware {
    fn on_response(&self, request: &ApiRequest, response: &RawResponse, attempt: &Attempt) -> Next {
        if response.is_success() {
            return Next::Continue;
        }
        let failure = Failure::Status {
            status: response.status,
            retry_after: response.header("retry-after"),
        };
        self.decide(request, failure, attempt)
    }

    fn on_error(&self, request: &ApiRequest, error: &ApiError, attempt: &Attempt) -> Next {
        self.decide(request, Failure::Error(error), attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::{CREATE_POST, GET_USER, UPDATE_POST};
    use crate::api::idempotency::IdempotencyKey;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(784_111_777, 0).unwrap() // Sun, 06 Nov 1994 08:49:37 GMT
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(3, Duration::from_millis(100))
    }

    fn status(status: u16) -> Failure<'static> {
        Failure::Status {
            status,
            retry_after: None,
        }
    }

    fn get() -> ApiRequest {
        GET_USER.request_for(Uuid::nil())
    }

    #[test]
    fn never_retries_a_final_answer() {
        for code in [400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422] {
            assert_eq!(
                policy().decide(&get(), status(code), 0, 0.5, now()),
                None,
                "{code}"
            );
        }
        assert_eq!(
            policy().decide(&get(), Failure::Error(&ApiError::Aborted), 0, 0.5, now()),
            None
        );
        assert_eq!(
            policy().decide(
                &get(),
                Failure::Error(&ApiError::Decode("x".into())),
                0,
                0.5,
                now()
            ),
            None
        );
    }

    #[test]
    fn retries_transient_failures_on_the_backoff_schedule() {
        let p = policy();
        for code in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                p.decide(&get(), status(code), 0, 0.0, now()),
                Some(Duration::from_millis(50)),
                "{code}"
            );
        }
        let network = ApiError::Network("refused".into());
        assert_eq!(
            p.decide(&get(), Failure::Error(&network), 2, 0.0, now()),
            Some(Duration::from_millis(200))
        );
        let timeout = ApiError::Timeout { after_ms: 10 };
        assert_eq!(
            p.decide(&get(), Failure::Error(&timeout), 1, 0.999_999, now())
                .map(|d| d.as_millis()),
            Some(199)
        );
        assert_eq!(
            p.decide(&get(), Failure::Error(&network), 3, 0.0, now()),
            None,
            "budget spent"
        );
        assert_eq!(
            RetryPolicy::none().decide(&get(), status(503), 0, 0.0, now()),
            None
        );
    }

    #[test]
    fn honours_retry_after_in_seconds_and_dates_up_to_the_cap() {
        let p = policy();
        let with = |value| Failure::Status {
            status: 429,
            retry_after: Some(value),
        };
        assert_eq!(
            p.decide(&get(), with("7"), 0, 0.0, now()),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            p.decide(&get(), with("Sun, 06 Nov 1994 08:49:49 GMT"), 0, 0.0, now()),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            p.decide(&get(), with("31"), 0, 0.0, now()),
            None,
            "beyond 30 s: give up"
        );
        assert_eq!(
            p.decide(&get(), with("whenever"), 0, 0.0, now()),
            Some(Duration::from_millis(50)),
            "unreadable: the schedule"
        );
    }

    #[test]
    fn mutations_are_retried_only_with_an_idempotency_key() {
        let p = policy();
        let bare = CREATE_POST.request();
        assert_eq!(p.decide(&bare, status(503), 0, 0.0, now()), None);
        let key = IdempotencyKey::new("k");
        let keyed = CREATE_POST.request().idempotent(Some(&key));
        assert!(p.decide(&keyed, status(503), 0, 0.0, now()).is_some());
        let patch = UPDATE_POST.request_for(Uuid::nil()).if_match(2);
        assert_eq!(p.decide(&patch, status(503), 0, 0.0, now()), None);
        assert!(p
            .decide(&patch.idempotent(Some(&key)), status(503), 0, 0.0, now())
            .is_some());
    }

    #[test]
    fn a_writes_only_policy_leaves_reads_to_their_caller() {
        let p = policy().writes_only();
        assert_eq!(p.decide(&get(), status(503), 0, 0.0, now()), None);
        let network = ApiError::Network("refused".into());
        assert_eq!(
            p.decide(&get(), Failure::Error(&network), 0, 0.0, now()),
            None
        );
        let key = IdempotencyKey::new("k");
        let keyed = CREATE_POST.request().idempotent(Some(&key));
        assert_eq!(
            p.decide(&keyed, status(503), 0, 0.0, now()),
            Some(Duration::from_millis(50))
        );
    }

    #[test]
    fn the_middleware_answers_with_its_decision() {
        let m = RetryMiddleware::new(policy())
            .with_random(|| 0.0)
            .with_clock(|| 784_111_777_000.0);
        let retry = m.on_response(
            &get(),
            &RawResponse::new(503, "").with_header("Retry-After", "Sun, 06 Nov 1994 08:49:40 GMT"),
            &Attempt::default(),
        );
        assert!(matches!(retry, Next::Retry { after } if after == Duration::from_secs(3)));
        assert!(m
            .on_response(&get(), &RawResponse::new(200, ""), &Attempt::default())
            .is_continue());
        assert!(m
            .on_response(&get(), &RawResponse::new(404, ""), &Attempt::default())
            .is_continue());
        let spent = Attempt {
            retries: 3,
            ..Attempt::default()
        };
        assert!(m
            .on_error(&get(), &ApiError::Network("x".into()), &spent)
            .is_continue());
    }
}
