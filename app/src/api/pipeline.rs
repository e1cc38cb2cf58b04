//! The pipeline: runs one call through the middleware chain over a
//! transport, attempt after attempt, with a per-attempt timeout, the
//! caller's cancellation, and dedupe of identical GETs in flight.
//!
//! It knows nothing of the browser: the transport (one HTTP exchange)
//! and the runtime (sleep, clock) are injected, so the whole call path is
//! tested natively with fakes; the browser supplies gloo-net and
//! `setTimeout`.

use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, Either, LocalBoxFuture};
use futures::FutureExt;

use super::cancel::{cancellable, CancelToken};
use super::dedupe::{InFlight, Joined};
use super::endpoint::Endpoint;
use super::error::ApiError;
use super::middleware::{Attempt, Chain, Next, Resend, Settled};
use super::platform;
use super::request::ApiRequest;
use super::response::RawResponse;

pub type CallResult = Result<RawResponse, ApiError>;

/// Sends one request and brings back its answer, whatever the status.
///
/// Dropping the returned future must abandon the exchange (the browser
/// transport aborts its fetch): that is how timeouts and cancellation
/// stop requests.
pub trait Transport: 'static {
    fn send(&self, request: &ApiRequest) -> LocalBoxFuture<'static, CallResult>;
}

/// Time, as the pipeline needs it.
pub trait Runtime: 'static {
    /// Resolves after `duration`; dropping it cancels the timer.
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()>;
    /// Wall-clock milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
}

/// Per-call options.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The most one attempt may take; `None` keeps the client's default.
    pub timeout: Option<Duration>,
    /// Cancels the call (with [`ApiError::Aborted`]) when cancelled.
    pub cancel: Option<CancelToken>,
}

impl CallOptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn cancel_with(mut self, token: &CancelToken) -> Self {
        self.cancel = Some(token.clone());
        self
    }
}

/// A guard against a chain that would resend forever.
pub const MAX_ATTEMPTS: u32 = 32;

pub struct Pipeline {
    chain: Chain,
    transport: Rc<dyn Transport>,
    runtime: Rc<dyn Runtime>,
    in_flight: InFlight<CallResult>,
    dedupe: bool,
    timeout: Option<Duration>,
}

impl Pipeline {
    /// A pipeline with dedupe on and no default timeout.
    pub fn new(chain: Chain, transport: Rc<dyn Transport>, runtime: Rc<dyn Runtime>) -> Self {
        Self {
            chain,
            transport,
            runtime,
            in_flight: InFlight::new(),
            dedupe: true,
            timeout: None,
        }
    }

    /// The longest one attempt may take, unless a call says otherwise.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether identical GETs in flight share one request.
    pub fn with_dedupe(mut self, dedupe: bool) -> Self {
        self.dedupe = dedupe;
        self
    }

    pub fn runtime(&self) -> &Rc<dyn Runtime> {
        &self.runtime
    }

    /// How many distinct GETs are in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Runs `request` to its end: a success (2xx) or the typed error.
    pub fn call(
        self: &Rc<Self>,
        request: ApiRequest,
        options: &CallOptions,
    ) -> LocalBoxFuture<'static, CallResult> {
        let this = self.clone();
        let timeout = options.timeout.or(self.timeout);
        let cancel = options.cancel.clone();
        async move {
            let mut guard = SettleGuard {
                pipeline: this.clone(),
                endpoint: request.endpoint,
                url: request.url(),
                started_ms: this.runtime.now_ms(),
                deduped: false,
                done: false,
            };
            let work = if this.dedupe && request.method().is_safe() {
                let key = format!("{} {}", request.method(), guard.url);
                let runner = this.clone();
                let (run, joined) = this
                    .in_flight
                    .run(&key, move || runner.run(request, timeout).boxed_local());
                guard.deduped = joined == Joined::Joined;
                run.boxed_local()
            } else {
                this.clone().run(request, timeout).boxed_local()
            };
            let result = match &cancel {
                Some(token) => cancellable(work, token).await,
                None => work.await,
            };
            guard.settle(&result);
            result
        }
        .boxed_local()
    }

    /// Every attempt of one request, as the chain decides.
    async fn run(self: Rc<Self>, base: ApiRequest, timeout: Option<Duration>) -> CallResult {
        let mut attempt = Attempt::default();
        loop {
            let mut request = base.clone();
            self.chain.on_request(&mut request, &attempt);
            let sent_ms = self.runtime.now_ms();
            let outcome = self.send_once(&request, timeout).await;
            let answered_ms = self.runtime.now_ms();
            attempt.elapsed_ms = answered_ms - sent_ms;
            let now = platform::instant_at(answered_ms);
            let settle =
                |outcome: CallResult| outcome.and_then(|response| response.into_result(now));
            let next = match &outcome {
                Ok(response) => self.chain.on_response(&request, response, &attempt),
                Err(error) => self.chain.on_error(&request, error, &attempt),
            };
            if attempt.number + 1 >= MAX_ATTEMPTS {
                return settle(outcome);
            }
            match next {
                Next::Continue => return settle(outcome),
                Next::Retry { after } => {
                    self.runtime.sleep(after).await;
                    attempt.retries += 1;
                    attempt.resent = Some(Resend::Retry);
                }
                Next::Replay(wait) => {
                    if wait.await.is_err() {
                        return settle(outcome);
                    }
                    attempt.replays += 1;
                    attempt.resent = Some(Resend::Replay);
                }
            }
            attempt.number += 1;
            attempt.elapsed_ms = 0.0;
        }
    }

    /// One exchange, abandoned (and reported as a timeout) after `timeout`.
    async fn send_once(&self, request: &ApiRequest, timeout: Option<Duration>) -> CallResult {
        let send = self.transport.send(request);
        let Some(limit) = timeout else {
            return send.await;
        };
        match select(send, self.runtime.sleep(limit)).await {
            Either::Left((result, _timer)) => result,
            Either::Right(((), send)) => {
                drop(send);
                Err(ApiError::Timeout {
                    after_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                })
            }
        }
    }
}

/// Reports a call's end to the chain exactly once; a call dropped before
/// its end (its caller went away) is reported as aborted.
struct SettleGuard {
    pipeline: Rc<Pipeline>,
    endpoint: Endpoint,
    url: String,
    started_ms: f64,
    deduped: bool,
    done: bool,
}

impl SettleGuard {
    fn report(&self, outcome: Result<u16, &ApiError>) {
        self.pipeline.chain.on_settled(&Settled {
            endpoint: self.endpoint,
            url: &self.url,
            outcome,
            elapsed_ms: self.pipeline.runtime.now_ms() - self.started_ms,
            deduped: self.deduped,
        });
    }

    fn settle(&mut self, result: &CallResult) {
        self.done = true;
        self.report(result.as_ref().map(|r| r.status));
    }
}

impl Drop for SettleGuard {
    fn drop(&mut self) {
        if !self.done {
            self.report(Err(&ApiError::Aborted));
        }
    }
}
