//! The whole call path, natively: `ApiClient` over a `Pipeline` with a
//! scripted transport and a virtual clock. Auth refresh and replay,
//! retries, timeouts, cancellation, dedupe and metrics, as the browser
//! client runs them, without a browser.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::executor::LocalPool;
use futures::future::{self, LocalBoxFuture};
use futures::task::LocalSpawnExt;
use futures::FutureExt;
use tidings::{NewPostInput, Role, User};
use uuid::Uuid;

use super::auth::{Session, TokenSession};
use super::client::ApiClient;
use super::endpoint::{CREATE_POST, GET_USER, LIST_USERS};
use super::pipeline::{CallOptions, CallResult, Runtime, Transport};
use super::request::ApiRequest;
use super::response::RawResponse;
use super::retry::RetryPolicy;
use super::{ApiError, CancelToken, IdempotencyKey};

// ---- fakes -------------------------------------------------------------

/// What the fake server does with one request.
enum Reply {
    Now(CallResult),
    /// Answers when the test sends on the paired sender.
    Later(oneshot::Receiver<CallResult>),
    /// Never answers.
    Never,
}

type Script = Box<dyn FnMut(&ApiRequest, usize) -> Reply>;

#[derive(Default)]
struct Server {
    seen: RefCell<Vec<ApiRequest>>,
    /// Exchanges abandoned before their answer (aborted fetches).
    abandoned: Rc<Cell<u32>>,
    script: RefCell<Option<Script>>,
    clock: Rc<Clock>,
    /// Virtual time each exchange takes.
    latency_ms: Cell<f64>,
}

impl Server {
    fn seen(&self) -> Vec<ApiRequest> {
        self.seen.borrow().clone()
    }

    fn count(&self) -> usize {
        self.seen.borrow().len()
    }
}

struct Abandon(Rc<Cell<u32>>, bool);

impl Drop for Abandon {
    fn drop(&mut self) {
        if !self.1 {
            self.0.set(self.0.get() + 1);
        }
    }
}

struct FakeTransport(Rc<Server>);

impl Transport for FakeTransport {
    fn send(&self, request: &ApiRequest) -> LocalBoxFuture<'static, CallResult> {
        let server = &self.0;
        let n = server.count();
        server.seen.borrow_mut().push(request.clone());
        let reply = (server.script.borrow_mut().as_mut().expect("a script"))(request, n);
        let guard = Abandon(server.abandoned.clone(), false);
        let clock = server.clock.clone();
        let latency = server.latency_ms.get();
        async move {
            let mut guard = guard;
            let result = match reply {
                Reply::Now(result) => result,
                Reply::Later(rx) => rx.await.unwrap_or(Err(ApiError::Network("gone".into()))),
                Reply::Never => future::pending().await,
            };
            clock.advance(latency);
            guard.1 = true;
            result
        }
        .boxed_local()
    }
}

/// Virtual time: sleeps end at once (when polled) and move the clock.
#[derive(Default)]
struct Clock {
    now: Cell<f64>,
    slept: RefCell<Vec<Duration>>,
}

impl Clock {
    fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }
}

struct FakeRuntime(Rc<Clock>);

impl Runtime for FakeRuntime {
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        let clock = self.0.clone();
        async move {
            clock.slept.borrow_mut().push(duration);
            clock.advance(duration.as_secs_f64() * 1000.0);
        }
        .boxed_local()
    }

    fn now_ms(&self) -> f64 {
        self.0.now.get()
    }
}

struct Rig {
    pool: LocalPool,
    server: Rc<Server>,
}

impl Rig {
    fn new(script: impl FnMut(&ApiRequest, usize) -> Reply + 'static) -> Self {
        let server = Rc::new(Server::default());
        *server.script.borrow_mut() = Some(Box::new(script));
        Self {
            pool: LocalPool::new(),
            server,
        }
    }

    /// A client with a tiny retry schedule, jitter 0 and no timeout.
    fn builder(&self) -> super::ClientBuilder {
        ApiClient::builder()
            .retry(RetryPolicy::new(3, Duration::from_millis(100)))
            .jitter(|| 0.0)
            .timeout(None)
    }

    fn build(&self, builder: super::ClientBuilder) -> ApiClient {
        builder.build(
            Rc::new(FakeTransport(self.server.clone())),
            Rc::new(FakeRuntime(self.server.clock.clone())),
        )
    }

    fn client(&self) -> ApiClient {
        self.build(self.builder())
    }

    fn slept(&self) -> Vec<Duration> {
        self.server.clock.slept.borrow().clone()
    }

    /// Runs `call` on the pool; its result lands in the returned cell.
    fn spawn<T: 'static>(
        &self,
        call: impl std::future::Future<Output = T> + 'static,
    ) -> Rc<RefCell<Option<T>>> {
        let out = Rc::new(RefCell::new(None));
        let sink = out.clone();
        self.pool
            .spawner()
            .spawn_local(async move { *sink.borrow_mut() = Some(call.await) })
            .unwrap();
        out
    }

    fn run(&mut self) {
        self.pool.run_until_stalled();
    }
}

fn user(n: u128) -> User {
    tidings::fixtures::user(n, "Ada Lovelace", "ada@engine.org", Role::Admin)
}

fn ok_json(value: &impl serde::Serialize) -> Reply {
    Reply::Now(Ok(RawResponse::new(
        200,
        serde_json::to_string(value).unwrap(),
    )))
}

fn status(code: u16) -> Reply {
    Reply::Now(Ok(RawResponse::new(code, "")))
}

fn bearer(request: &ApiRequest) -> Option<String> {
    request.header("authorization").map(str::to_owned)
}

// ---- auth ----------------------------------------------------------------

type RefreshAnswer = oneshot::Sender<Result<String, ApiError>>;

/// A session whose refresh waits for the test and counts its calls.
struct SessionRig {
    session: TokenSession,
    refreshes: Rc<Cell<u32>>,
    failures: Rc<RefCell<Vec<ApiError>>>,
    pending: Rc<RefCell<Option<RefreshAnswer>>>,
}

fn session_rig() -> SessionRig {
    let refreshes = Rc::new(Cell::new(0));
    let failures = Rc::new(RefCell::new(Vec::new()));
    let pending = Rc::new(RefCell::new(None));
    let session = TokenSession::new(
        {
            let refreshes = refreshes.clone();
            let pending = pending.clone();
            move || {
                refreshes.set(refreshes.get() + 1);
                let (tx, rx) = oneshot::channel();
                *pending.borrow_mut() = Some(tx);
                async move { rx.await.unwrap_or(Err(ApiError::Aborted)).map(Some) }.boxed_local()
            }
        },
        {
            let failures = failures.clone();
            move |e: &ApiError| failures.borrow_mut().push(e.clone())
        },
    );
    session.set_token(Some("old".into()));
    SessionRig {
        session,
        refreshes,
        failures,
        pending,
    }
}

/// Answers 200 to the token "new", 401 to anything else.
fn only_new_token(request: &ApiRequest, _: usize) -> Reply {
    if bearer(request).as_deref() == Some("Bearer new") {
        ok_json(&user(1))
    } else {
        status(401)
    }
}

#[test]
fn concurrent_401s_share_exactly_one_refresh_then_each_replays_once() {
    let mut rig = Rig::new(only_new_token);
    let auth = session_rig();
    let client = rig.build(rig.builder().session(Rc::new(auth.session.clone())));
    // Distinct URLs: no dedupe, five real requests.
    let calls: Vec<_> = (0..5)
        .map(|n| rig.spawn(client.get_user(Uuid::from_u128(n))))
        .collect();
    rig.run();
    assert_eq!(rig.server.count(), 5, "all five were refused");
    assert_eq!(auth.refreshes.get(), 1, "one refresh for all five");
    assert!(
        calls.iter().all(|c| c.borrow().is_none()),
        "all wait for it"
    );

    auth.pending
        .borrow_mut()
        .take()
        .unwrap()
        .send(Ok("new".into()))
        .unwrap();
    rig.run();
    assert_eq!(auth.refreshes.get(), 1);
    for call in &calls {
        assert!(matches!(*call.borrow(), Some(Ok(_))), "{:?}", call.borrow());
    }
    let seen = rig.server.seen();
    assert_eq!(seen.len(), 10, "each request replayed exactly once");
    let tokens: Vec<_> = seen.iter().map(|r| bearer(r).unwrap()).collect();
    assert_eq!(tokens[..5], vec!["Bearer old"; 5]);
    assert_eq!(tokens[5..], vec!["Bearer new"; 5]);
    assert!(auth.failures.borrow().is_empty());
    let metrics = client.metrics().of(GET_USER);
    assert_eq!(
        (
            metrics.count,
            metrics.failures,
            metrics.requests,
            metrics.retries
        ),
        (5, 0, 10, 0)
    );
}

#[test]
fn a_failed_refresh_calls_back_once_and_every_waiter_gets_the_401() {
    let mut rig = Rig::new(only_new_token);
    let auth = session_rig();
    let client = rig.build(rig.builder().session(Rc::new(auth.session.clone())));
    let calls: Vec<_> = (0..4)
        .map(|n| rig.spawn(client.get_user(Uuid::from_u128(n))))
        .collect();
    rig.run();
    auth.pending
        .borrow_mut()
        .take()
        .unwrap()
        .send(Err(ApiError::from_response(401, "")))
        .unwrap();
    rig.run();
    assert_eq!(auth.refreshes.get(), 1);
    assert_eq!(auth.failures.borrow().len(), 1, "on-failure callback once");
    assert_eq!(auth.session.access_token(), None, "session cleared");
    for call in &calls {
        let result = call.borrow().clone().unwrap();
        assert_eq!(result.unwrap_err().status(), Some(401));
    }
    assert_eq!(rig.server.count(), 4, "nothing replayed");
}

#[test]
fn a_replay_refused_again_ends_the_call_without_another_refresh() {
    let mut rig = Rig::new(|_, _| status(401));
    let auth = session_rig();
    let client = rig.build(rig.builder().session(Rc::new(auth.session.clone())));
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    auth.pending
        .borrow_mut()
        .take()
        .unwrap()
        .send(Ok("new".into()))
        .unwrap();
    rig.run();
    assert_eq!(
        call.borrow().clone().unwrap().unwrap_err().status(),
        Some(401)
    );
    assert_eq!((rig.server.count(), auth.refreshes.get()), (2, 1));
    assert!(auth.failures.borrow().is_empty());
}

#[test]
fn a_session_without_a_token_sends_no_authorization() {
    let mut rig = Rig::new(|_, _| ok_json(&user(1)));
    let auth = session_rig();
    auth.session.set_token(None);
    let client = rig.build(rig.builder().session(Rc::new(auth.session.clone())));
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Ok(_))));
    assert_eq!(bearer(&rig.server.seen()[0]), None);
}

// ---- retry ---------------------------------------------------------------

#[test]
fn transient_failures_are_retried_on_the_schedule() {
    let mut rig = Rig::new(|_, n| {
        if n < 2 {
            status(503)
        } else {
            ok_json(&user(1))
        }
    });
    let client = rig.client();
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Ok(_))));
    assert_eq!(rig.server.count(), 3);
    assert_eq!(
        rig.slept(),
        [Duration::from_millis(50), Duration::from_millis(100)]
    );
    let m = client.metrics().of(GET_USER);
    assert_eq!((m.count, m.failures, m.requests, m.retries), (1, 0, 3, 2));
}

#[test]
fn final_answers_are_never_retried() {
    for code in [400, 401, 403, 404, 409, 412, 422] {
        let mut rig = Rig::new(move |_, _| status(code));
        let client = rig.client();
        let call = rig.spawn(client.get_user(Uuid::nil()));
        rig.run();
        let err = call.borrow().clone().unwrap().unwrap_err();
        assert_eq!(err.status(), Some(code));
        assert_eq!(rig.server.count(), 1, "{code}: exactly one attempt");
        assert!(rig.slept().is_empty());
    }
}

#[test]
fn network_errors_are_retried_up_to_the_budget() {
    let mut rig = Rig::new(|_, _| Reply::Now(Err(ApiError::Network("refused".into()))));
    let client = rig.client();
    let call = rig.spawn(client.list_users(Default::default()));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Err(ApiError::Network(_)))));
    assert_eq!(rig.server.count(), 4, "one attempt and three retries");
    assert_eq!(
        rig.slept(),
        [50, 100, 200].map(Duration::from_millis),
        "exponential"
    );
    let m = client.metrics().of(LIST_USERS);
    assert_eq!((m.count, m.failures, m.requests, m.retries), (1, 1, 4, 3));
}

#[test]
fn retry_after_is_honoured() {
    let mut rig = Rig::new(|_, n| {
        if n == 0 {
            Reply::Now(Ok(RawResponse::new(429, "").with_header("Retry-After", "2")))
        } else {
            ok_json(&user(1))
        }
    });
    let client = rig.client();
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Ok(_))));
    assert_eq!(rig.slept(), [Duration::from_secs(2)]);
}

#[test]
fn a_retried_mutation_reuses_its_idempotency_key() {
    let mut rig = Rig::new(|_, n| {
        match n {
        0 => Reply::Now(Err(ApiError::Network("reset".into()))),
        1 => status(502),
        _ => Reply::Now(Ok(RawResponse::new(
            201,
            serde_json::to_string(&serde_json::json!({
                "id": Uuid::nil(), "title": "t", "content": "c", "authorId": Uuid::nil(),
                "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "version": 1
            }))
            .unwrap(),
        ))),
    }
    });
    let client = rig.client();
    let key = IdempotencyKey::new("mutation-1");
    let call = rig.spawn(client.create_post(NewPostInput::default(), Some(key)));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Ok(_))), "{:?}", call.borrow());
    let keys: Vec<_> = rig
        .server
        .seen()
        .iter()
        .map(|r| r.idempotency_key().map(str::to_owned))
        .collect();
    assert_eq!(keys, vec![Some("mutation-1".to_owned()); 3]);
}

#[test]
fn a_mutation_without_a_key_is_sent_once() {
    let mut rig = Rig::new(|_, _| status(503));
    let client = rig.client();
    let call = rig.spawn(client.create_post(NewPostInput::default(), None));
    rig.run();
    assert_eq!(
        call.borrow().clone().unwrap().unwrap_err().status(),
        Some(503)
    );
    assert_eq!(rig.server.count(), 1);
    let call = rig.spawn(client.delete_user(Uuid::nil(), 3, None));
    rig.run();
    assert_eq!(
        call.borrow().clone().unwrap().unwrap_err().status(),
        Some(503)
    );
    assert_eq!(rig.server.count(), 2);
    assert_eq!(rig.server.seen()[1].header("if-match"), Some("\"3\""));
}

// ---- timeout and cancellation --------------------------------------------

#[test]
fn a_timeout_abandons_the_request() {
    let mut rig = Rig::new(|_, _| Reply::Never);
    let client = rig.build(
        rig.builder()
            .retry(RetryPolicy::none())
            .timeout(Some(Duration::from_millis(250))),
    );
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert_eq!(
        call.borrow().clone().unwrap(),
        Err(ApiError::Timeout { after_ms: 250 })
    );
    assert_eq!(rig.server.abandoned.get(), 1, "the exchange was dropped");
}

#[test]
fn timeouts_are_retried_and_a_per_call_timeout_wins() {
    let mut rig = Rig::new(|_, _| Reply::Never);
    let client = rig
        .build(
            rig.builder()
                .retry(RetryPolicy::new(2, Duration::from_millis(10))),
        )
        .with_options(CallOptions::new().timeout(Duration::from_millis(40)));
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert_eq!(
        call.borrow().clone().unwrap(),
        Err(ApiError::Timeout { after_ms: 40 })
    );
    assert_eq!((rig.server.count(), rig.server.abandoned.get()), (3, 3));
    assert_eq!(client.metrics().of(GET_USER).retries, 2);
}

#[test]
fn cancelling_aborts_the_request_and_reports_aborted() {
    let mut rig = Rig::new(|_, _| Reply::Never);
    let client = rig.client();
    let token = CancelToken::new();
    let call = rig.spawn(
        client
            .with_options(CallOptions::new().cancel_with(&token))
            .get_user(Uuid::nil()),
    );
    rig.run();
    assert_eq!(rig.server.count(), 1);
    token.cancel();
    rig.run();
    assert_eq!(call.borrow().clone().unwrap(), Err(ApiError::Aborted));
    assert_eq!(rig.server.abandoned.get(), 1);
    let m = client.metrics().of(GET_USER);
    assert_eq!((m.count, m.aborted, m.failures), (1, 1, 0));

    // A call on a cancelled token never reaches the network.
    let call = rig.spawn(
        client
            .with_options(CallOptions::new().cancel_with(&token))
            .get_user(Uuid::nil()),
    );
    rig.run();
    assert_eq!(call.borrow().clone().unwrap(), Err(ApiError::Aborted));
    assert_eq!(rig.server.count(), 1);
}

#[test]
fn dropping_a_call_aborts_it() {
    let mut rig = Rig::new(|_, _| Reply::Never);
    let client = rig.client();
    let mut call = client.get_user(Uuid::nil());
    assert!(futures::FutureExt::now_or_never(&mut call).is_none());
    rig.run();
    drop(call);
    assert_eq!(rig.server.abandoned.get(), 1);
    assert_eq!(client.metrics().of(GET_USER).aborted, 1);
}

// ---- dedupe --------------------------------------------------------------

#[test]
fn identical_gets_in_flight_share_one_request() {
    let gate = Rc::new(RefCell::new(VecDeque::new()));
    let senders = gate.clone();
    let mut rig = Rig::new(move |_, _| {
        let (tx, rx) = oneshot::channel();
        senders.borrow_mut().push_back(tx);
        Reply::Later(rx)
    });
    let client = rig.client();
    let id = Uuid::from_u128(5);
    let a = rig.spawn(client.get_user(id));
    let b = rig.spawn(client.get_user(id));
    let other = rig.spawn(client.get_user(Uuid::from_u128(6)));
    rig.run();
    assert_eq!(rig.server.count(), 2, "twins share, the other asks");
    assert_eq!(client.pipeline().in_flight(), 2);
    let body = serde_json::to_string(&user(5)).unwrap();
    while let Some(tx) = gate.borrow_mut().pop_front() {
        tx.send(Ok(RawResponse::new(200, body.clone()))).unwrap();
    }
    rig.run();
    assert_eq!(a.borrow().clone().unwrap().unwrap(), user(5));
    assert_eq!(b.borrow().clone().unwrap().unwrap(), user(5));
    assert!(matches!(*other.borrow(), Some(Ok(_))));
    assert_eq!(client.pipeline().in_flight(), 0);
    let m = client.metrics().of(GET_USER);
    assert_eq!((m.count, m.requests, m.cache_hits), (3, 2, 1));

    // Once done, the same GET asks again: dedupe is not a cache.
    let again = rig.spawn(client.get_user(id));
    rig.run();
    assert_eq!(rig.server.count(), 3);
    gate.borrow_mut()
        .pop_front()
        .unwrap()
        .send(Ok(RawResponse::new(200, body)))
        .unwrap();
    rig.run();
    assert!(matches!(*again.borrow(), Some(Ok(_))));
}

#[test]
fn a_twin_cancelling_does_not_cancel_the_shared_request() {
    let gate = Rc::new(RefCell::new(None));
    let sender = gate.clone();
    let mut rig = Rig::new(move |_, _| {
        let (tx, rx) = oneshot::channel();
        *sender.borrow_mut() = Some(tx);
        Reply::Later(rx)
    });
    let client = rig.client();
    let token = CancelToken::new();
    let first = rig.spawn(
        client
            .with_options(CallOptions::new().cancel_with(&token))
            .get_user(Uuid::nil()),
    );
    let second = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    token.cancel();
    rig.run();
    assert_eq!(first.borrow().clone().unwrap(), Err(ApiError::Aborted));
    assert_eq!(rig.server.abandoned.get(), 0, "the twin still waits");
    gate.borrow_mut()
        .take()
        .unwrap()
        .send(Ok(RawResponse::new(
            200,
            serde_json::to_string(&user(0)).unwrap(),
        )))
        .unwrap();
    rig.run();
    assert!(matches!(*second.borrow(), Some(Ok(_))));
    assert_eq!(rig.server.count(), 1);
}

#[test]
fn writes_are_never_deduped() {
    let mut rig = Rig::new(|_, _| status(204));
    let client = rig.client();
    let a = rig.spawn(client.delete_post(Uuid::nil(), 1, None));
    let b = rig.spawn(client.delete_post(Uuid::nil(), 1, None));
    rig.run();
    assert_eq!(rig.server.count(), 2);
    assert_eq!(*a.borrow(), Some(Ok(())));
    assert_eq!(*b.borrow(), Some(Ok(())));
}

#[test]
fn latency_is_measured_per_call() {
    let mut rig = Rig::new(|_, _| ok_json(&user(1)));
    let client = rig.client();
    for latency in [10.0, 30.0] {
        rig.server.latency_ms.set(latency);
        let call = rig.spawn(client.get_user(Uuid::nil()));
        rig.run();
        assert!(matches!(*call.borrow(), Some(Ok(_))));
    }
    let m = client.metrics().of(GET_USER);
    assert_eq!((m.mean_ms, m.p95_ms), (20.0, 30.0));
}

// ---- typed answers -------------------------------------------------------

#[test]
fn answers_decode_into_the_typed_result_or_error() {
    let mut rig = Rig::new(|request, _| match request.endpoint {
        GET_USER => ok_json(&user(1)),
        CREATE_POST => Reply::Now(Ok(RawResponse::new(
            422,
            r#"{"error":{"code":"validation","message":"invalid input","details":{"title":"title is required"}}}"#,
        ))),
        _ => Reply::Now(Ok(RawResponse::new(200, "not json"))),
    });
    let client = rig.client();
    let got = rig.spawn(client.get_user(Uuid::nil()));
    let refused = rig.spawn(client.create_post(NewPostInput::default(), None));
    let garbled = rig.spawn(client.list_posts(Default::default()));
    let healthy = rig.spawn(client.health());
    rig.run();
    assert_eq!(got.borrow().clone().unwrap().unwrap(), user(1));
    let refused = refused.borrow().clone().unwrap().unwrap_err();
    assert_eq!(
        refused.field_errors().unwrap().get("title"),
        Some("title is required")
    );
    assert!(matches!(*garbled.borrow(), Some(Err(ApiError::Decode(_)))));
    assert_eq!(*healthy.borrow(), Some(Ok(())));
}

#[test]
fn a_logging_sink_sees_the_calls() {
    let lines = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut rig = Rig::new(|_, n| {
        if n == 0 {
            status(500)
        } else {
            ok_json(&user(1))
        }
    });
    let client = rig.build(
        rig.builder()
            .log_to(move |l| sink.borrow_mut().push(l.to_owned())),
    );
    let call = rig.spawn(client.get_user(Uuid::nil()));
    rig.run();
    assert!(matches!(*call.borrow(), Some(Ok(_))));
    let lines = lines.borrow();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines[2].contains("(retry 1)"), "{lines:#?}");
}
