//! Authentication: a pluggable [`Session`] (where the access token comes
//! from, how to refresh it, what to do when that fails) and the
//! middleware that puts the token on every request and, on a 401,
//! refreshes the session once for all waiting requests (through the
//! [`RefreshGate`]) and replays each of them once.
//!
//! The session's own refresh call must not go through a client with this
//! middleware (it would wait for itself).

use std::cell::RefCell;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use futures::FutureExt;

use super::error::ApiError;
use super::middleware::{Attempt, Middleware, Next};
use super::refresh_gate::RefreshGate;
use super::request::{ApiRequest, AUTHORIZATION};
use super::response::RawResponse;

/// The signed-in session, as the API client needs it.
pub trait Session: 'static {
    /// The current access token, if any.
    fn access_token(&self) -> Option<String>;

    /// Obtains a new access token; once this resolves `Ok`,
    /// [`access_token`](Session::access_token) returns it.
    fn refresh(&self) -> LocalBoxFuture<'static, Result<(), ApiError>>;

    /// The refresh failed: forget the session and send the user to sign
    /// in. Called once per failed refresh.
    fn refresh_failed(&self, error: &ApiError);
}

type RefreshFn = dyn Fn() -> LocalBoxFuture<'static, Result<Option<String>, ApiError>>;

/// A [`Session`] holding its access token in memory, refreshed by a
/// function that answers the new token (or `None`: the session's cookie
/// carries a fresh one, another tab refreshed it); on failure it forgets the token
/// and calls its failure callback (e.g. a redirect to `/login`).
#[derive(Clone)]
pub struct TokenSession {
    token: Rc<RefCell<Option<String>>>,
    refresh: Rc<RefreshFn>,
    on_failure: Rc<dyn Fn(&ApiError)>,
}

impl TokenSession {
    pub fn new(
        refresh: impl Fn() -> LocalBoxFuture<'static, Result<Option<String>, ApiError>> + 'static,
        on_failure: impl Fn(&ApiError) + 'static,
    ) -> Self {
        Self {
            token: Rc::default(),
            refresh: Rc::new(refresh),
            on_failure: Rc::new(on_failure),
        }
    }

    /// Sets (after a login) or clears (after a logout) the access token.
    pub fn set_token(&self, token: Option<String>) {
        *self.token.borrow_mut() = token;
    }
}

impl Session for TokenSession {
    fn access_token(&self) -> Option<String> {
        self.token.borrow().clone()
    }

    fn refresh(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let token = self.token.clone();
        let refresh = (self.refresh)();
        async move {
            *token.borrow_mut() = refresh.await?;
            Ok(())
        }
        .boxed_local()
    }

    fn refresh_failed(&self, error: &ApiError) {
        self.set_token(None);
        (self.on_failure)(error);
    }
}

/// Bearer tokens on the way out; on a 401, one shared refresh and one
/// replay per request.
pub struct AuthMiddleware {
    session: Rc<dyn Session>,
    gate: RefreshGate,
}

impl AuthMiddleware {
    pub fn new(session: Rc<dyn Session>) -> Self {
        Self {
            session,
            gate: RefreshGate::new(),
        }
    }

    /// The gate, to observe refreshes.
    pub fn gate(&self) -> &RefreshGate {
        &self.gate
    }
}

impl Middleware for AuthMiddleware {
    fn on_request(&self, request: &mut ApiRequest, _: &Attempt) {
        request.auth_epoch = Some(self.gate.epoch());
        match self.session.access_token() {
            Some(token) => request.set_header(AUTHORIZATION, format!("Bearer {token}")),
            None => request.remove_header(AUTHORIZATION),
        }
    }

    fn on_response(&self, request: &ApiRequest, response: &RawResponse, attempt: &Attempt) -> Next {
        // A replayed request refused again is refused for good.
        if response.status != 401 || attempt.replays > 0 {
            return Next::Continue;
        }
        let refresher = self.session.clone();
        let failed = self.session.clone();
        Next::Replay(self.gate.unauthorized(
            request.auth_epoch.unwrap_or_default(),
            move || refresher.refresh(),
            move |e| failed.refresh_failed(e),
        ))
    }
}
