//! The middleware chain: trait objects with request, response, error and
//! settle hooks, composed in order.
//!
//! For each attempt of a call, every hook's `on_request` runs in chain
//! order on the outgoing request; then, with the answer, every hook's
//! `on_response` (an HTTP answer, any status) or `on_error` (no answer:
//! network failure, timeout) runs in chain order. Each may ask for the
//! request to be sent again ([`Next`]); the first hook in chain order
//! that asks decides, and every hook sees every event either way. When
//! the call ends, every hook's `on_settled` sees how.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use futures::future::LocalBoxFuture;

use super::endpoint::Endpoint;
use super::error::ApiError;
use super::request::ApiRequest;
use super::response::RawResponse;

/// Why an attempt is a resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// After a [`Next::Retry`] (a transient failure).
    Retry,
    /// After a [`Next::Replay`] (e.g. a refreshed session).
    Replay,
}

/// Where a call is: which attempt, and how it came to be.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Attempt {
    /// 0 for the first attempt.
    pub number: u32,
    /// Retries made so far ([`Next::Retry`]).
    pub retries: u32,
    /// Replays made so far ([`Next::Replay`]).
    pub replays: u32,
    /// Why this attempt was sent, if it is a resend.
    pub resent: Option<Resend>,
    /// How long this attempt took (0 in `on_request`).
    pub elapsed_ms: f64,
}

/// A hook's decision about an answer.
pub enum Next {
    /// Let the answer stand (as far as this hook is concerned).
    Continue,
    /// Send the request again after `after`.
    Retry { after: Duration },
    /// Send the request again once `wait` resolves `Ok`; if it resolves
    /// `Err`, the answer stands.
    Replay(LocalBoxFuture<'static, Result<(), ApiError>>),
}

impl Next {
    pub fn is_continue(&self) -> bool {
        matches!(self, Next::Continue)
    }
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Next::Continue => f.write_str("Continue"),
            Next::Retry { after } => f.debug_struct("Retry").field("after", after).finish(),
            Next::Replay(_) => f.write_str("Replay(..)"),
        }
    }
}

/// How a call ended, as one caller saw it.
#[derive(Debug, Clone, Copy)]
pub struct Settled<'a> {
    pub endpoint: Endpoint,
    /// The request URL, relative to the API's base.
    pub url: &'a str,
    /// The status of a success, or the error.
    pub outcome: Result<u16, &'a ApiError>,
    /// From the call to its end, as this caller waited.
    pub elapsed_ms: f64,
    /// Whether this caller joined an identical call in flight instead of
    /// making its own request.
    pub deduped: bool,
}

/// A hook on every call. Every method has a default that does nothing.
pub trait Middleware: 'static {
    /// Edits an attempt's request before it is sent.
    fn on_request(&self, request: &mut ApiRequest, attempt: &Attempt) {
        let _ = (request, attempt);
    }

    /// Sees an HTTP answer of any status.
    fn on_response(&self, request: &ApiRequest, response: &RawResponse, attempt: &Attempt) -> Next {
        let _ = (request, response, attempt);
        Next::Continue
    }

    /// Sees an attempt that got no answer (network failure, timeout).
    fn on_error(&self, request: &ApiRequest, error: &ApiError, attempt: &Attempt) -> Next {
        let _ = (request, error, attempt);
        Next::Continue
    }

    /// Sees a call end, once per caller.
    fn on_settled(&self, settled: &Settled<'_>) {
        let _ = settled;
    }
}

/// Middleware composed in order.
#[derive(Clone, Default)]
pub struct Chain {
    hooks: Vec<Rc<dyn Middleware>>,
}

impl Chain {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `hook` to the chain.
    pub fn with(mut self, hook: impl Middleware) -> Self {
        self.hooks.push(Rc::new(hook));
        self
    }

    /// Appends an already shared hook.
    pub fn with_shared(mut self, hook: Rc<dyn Middleware>) -> Self {
        self.hooks.push(hook);
        self
    }

    pub fn len(&self) -> usize {
        self.hooks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    pub fn on_request(&self, request: &mut ApiRequest, attempt: &Attempt) {
        for hook in &self.hooks {
            hook.on_request(request, attempt);
        }
    }

    pub fn on_response(
        &self,
        request: &ApiRequest,
        response: &RawResponse,
        attempt: &Attempt,
    ) -> Next {
        first_decision(
            self.hooks
                .iter()
                .map(|hook| hook.on_response(request, response, attempt)),
        )
    }

    pub fn on_error(&self, request: &ApiRequest, error: &ApiError, attempt: &Attempt) -> Next {
        first_decision(
            self.hooks
                .iter()
                .map(|hook| hook.on_error(request, error, attempt)),
        )
    }

    pub fn on_settled(&self, settled: &Settled<'_>) {
        for hook in &self.hooks {
            hook.on_settled(settled);
        }
    }
}

/// The first decision other than `Continue`; every hook is asked.
fn first_decision(decisions: impl Iterator<Item = Next>) -> Next {
    let mut chosen = Next::Continue;
    for next in decisions {
        if chosen.is_continue() {
            chosen = next;
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::LIST_USERS;
    use std::cell::RefCell;

    struct Probe {
        name: &'static str,
        log: Rc<RefCell<Vec<String>>>,
        decide: fn() -> Next,
    }

    impl Middleware for Probe {
        fn on_request(&self, request: &mut ApiRequest, _: &Attempt) {
            self.log.borrow_mut().push(format!("req {}", self.name));
            let seen = request.header("x-order").unwrap_or("").to_owned();
            request.set_header("x-order", format!("{seen}{}", self.name));
        }

        fn on_response(&self, _: &ApiRequest, _: &RawResponse, _: &Attempt) -> Next {
            self.log.borrow_mut().push(format!("res {}", self.name));
            (self.decide)()
        }
    }

    #[test]
    fn hooks_run_in_order_and_the_first_decision_wins() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let probe = |name, decide| Probe {
            name,
            log: log.clone(),
            decide,
        };
        let chain = Chain::new()
            .with(probe("a", || Next::Continue))
            .with(probe("b", || Next::Retry {
                after: Duration::from_millis(5),
            }))
            .with(probe("c", || Next::Retry {
                after: Duration::from_millis(9),
            }));
        let mut request = LIST_USERS.request();
        chain.on_request(&mut request, &Attempt::default());
        assert_eq!(request.header("x-order"), Some("abc"));
        let next = chain.on_response(&request, &RawResponse::new(503, ""), &Attempt::default());
        assert!(matches!(next, Next::Retry { after } if after == Duration::from_millis(5)));
        assert_eq!(
            *log.borrow(),
            ["req a", "req b", "req c", "res a", "res b", "res c"],
            "every hook sees every event"
        );
        assert!(Chain::new()
            .on_error(&request, &ApiError::Aborted, &Attempt::default())
            .is_continue());
    }
}
