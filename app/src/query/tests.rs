//! Native tests of the host half of the bindings, with a fake clock, manual
//! ticks and a spawner whose tasks the test runs by hand: fetch dedupe,
//! stale-while-revalidate, invalidation, gc, retries with the typed error,
//! hydration of a resource's value, and mutation scopes with optimistic
//! layers. The reactive half is tested in the browser (`app/tests/query.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Value};
use tidings::cache::{
    Clock, DehydratedQuery, EntityOp, FakeClock, PersistedState, QueryKey, QueryOptions,
    QueryStatus, RetryPolicy, StoreOp, Tag,
};
use tidings::{Name, Role, User, UserPatch};

use super::fetcher;
use super::handle::{lock, QueryClientHandle};
use super::loaded::Loaded;
use super::observer::ObserverSlot;
use super::timers::Timers;
use super::use_mutation::MutationOptions;
use crate::api::ApiError;

type Tasks = Arc<Mutex<Vec<BoxFuture<'static, ()>>>>;

struct Rig {
    clock: FakeClock,
    client: QueryClientHandle,
    tasks: Tasks,
    calls: Arc<AtomicUsize>,
}

impl Rig {
    fn new() -> Self {
        let clock = FakeClock::new(1_000);
        let tasks: Tasks = Arc::default();
        let queue = Arc::clone(&tasks);
        let client = QueryClientHandle::builder()
            .clock(clock.clone())
            .timers(Timers::Manual)
            .spawner(move |task| lock(&queue).push(task))
            .build();
        Self {
            clock,
            client,
            tasks,
            calls: Arc::default(),
        }
    }

    /// Registers a fetcher for `key` answering `version-N` on call N, or
    /// failing with `fail(N)` when that is `Some`.
    fn serve(&self, key: &QueryKey, fail: fn(usize) -> Option<ApiError>) {
        let calls = Arc::clone(&self.calls);
        let fetch = Arc::new(move |_: ()| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                match fail(n) {
                    Some(error) => Err(error),
                    None => Ok(format!("version-{n}")),
                }
            }
        });
        self.client.register(key, fetcher::plain(fetch, ()));
    }

    fn observe(&self, key: &QueryKey, options: QueryOptions) -> ObserverSlot {
        let slot = ObserverSlot::default();
        slot.target(&self.client, key, &options);
        slot
    }

    /// Runs every spawned task (and those they spawn) to completion.
    fn drain(&self) {
        loop {
            let tasks = std::mem::take(&mut *lock(&self.tasks));
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                futures::executor::block_on(task);
            }
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn data(&self, key: &QueryKey) -> Option<String> {
        self.client.query_data(key)
    }
}

fn users() -> QueryKey {
    QueryKey::new("users")
}

fn never(_: usize) -> Option<ApiError> {
    None
}

#[test]
fn two_loads_of_one_key_share_one_fetch() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, never);
    let (_a, _b) = (
        rig.observe(&key, QueryOptions::default()),
        rig.observe(&key, QueryOptions::default()),
    );
    let mut first = Box::pin(rig.client.clone().load(key.clone()));
    let mut second = Box::pin(rig.client.clone().load(key.clone()));
    assert!((&mut first).now_or_never().is_none());
    assert!((&mut second).now_or_never().is_none());
    rig.drain();
    let (first, second) = (
        first.now_or_never().unwrap(),
        second.now_or_never().unwrap(),
    );
    assert_eq!(rig.calls(), 1);
    assert_eq!(first.data, Some(json!("version-1")));
    assert_eq!(first, second);
    assert_eq!(first.at, 1_000);
}

#[test]
fn cached_data_answers_at_once_while_a_stale_refetch_runs() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, never);
    let _slot = rig.observe(&key, QueryOptions::default().stale_time(100));
    let load = rig.client.clone().load(key.clone());
    rig.drain();
    drop(load);
    rig.clock.advance(50);
    let fresh = rig.client.clone().load(key.clone()).now_or_never();
    assert_eq!(fresh.unwrap().data, Some(json!("version-1")));
    assert_eq!(rig.calls(), 1, "fresh: no fetch");
    rig.clock.advance(100);
    let stale = rig.client.clone().load(key.clone()).now_or_never();
    assert_eq!(stale.unwrap().data, Some(json!("version-1")), "no wait");
    rig.drain();
    assert_eq!(rig.calls(), 2);
    assert_eq!(rig.data(&key).as_deref(), Some("version-2"));
}

#[test]
fn invalidation_refetches_observed_queries_only() {
    let rig = Rig::new();
    let (shown, hidden) = (users(), QueryKey::new("users").with(2));
    rig.serve(&shown, never);
    rig.serve(&hidden, never);
    let tagged = QueryOptions::default().tags([Tag::Users]);
    let _shown = rig.observe(&shown, tagged.clone());
    let gone = rig.observe(&hidden, tagged);
    let loads = [&shown, &hidden].map(|k| rig.client.clone().load(k.clone()));
    rig.drain();
    drop(loads);
    gone.release(&rig.client);
    assert_eq!(rig.calls(), 2);

    rig.client.invalidate_tags(&[Tag::Users]);
    rig.drain();
    assert_eq!(rig.calls(), 3, "only the observed query refetched");
    assert_eq!(rig.data(&shown).as_deref(), Some("version-3"));
    let hidden_state = rig.client.read(|c| c.state(&hidden).cloned()).unwrap();
    assert!(hidden_state.is_invalidated);
}

#[test]
fn the_last_observer_leaving_lets_gc_drop_the_query() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, never);
    let slot = rig.observe(&key, QueryOptions::default().gc_time(500));
    let load = rig.client.clone().load(key.clone());
    rig.drain();
    drop(load);
    slot.release(&rig.client);
    assert_eq!(rig.client.next_deadline(), Some(1_500));
    rig.clock.advance(499);
    rig.client.tick();
    assert!(rig.client.contains(&key));
    rig.clock.advance(1);
    rig.client.tick();
    assert!(!rig.client.contains(&key));
    assert_eq!(rig.client.next_deadline(), None);
}

#[test]
fn moving_to_another_key_leaves_the_old_one_unobserved() {
    let rig = Rig::new();
    let (a, b) = (users(), QueryKey::new("users").with(2));
    let slot = rig.observe(&a, QueryOptions::default());
    slot.target(&rig.client, &b, &QueryOptions::default());
    let count = |k: &QueryKey| rig.client.read(|c| c.observer_count(k));
    assert_eq!((count(&a), count(&b)), (0, 1));
    assert_eq!(slot.key(), Some(b));
}

#[test]
fn a_transient_failure_retries_on_tick_and_keeps_the_typed_error() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, |_| Some(ApiError::Network("offline".into())));
    let retry = RetryPolicy {
        max_retries: 1,
        base_delay: 100,
        max_delay: 100,
    };
    let _slot = rig.observe(&key, QueryOptions::default().retry(retry));
    let mut load = Box::pin(rig.client.clone().load(key.clone()));
    rig.drain();
    assert!(
        (&mut load).now_or_never().is_none(),
        "waiting for the retry"
    );
    assert_eq!(rig.client.next_deadline(), Some(1_100));
    rig.clock.advance(100);
    rig.client.tick();
    rig.drain();
    assert_eq!(rig.calls(), 2);
    let loaded = load.now_or_never().unwrap();
    assert_eq!(loaded.error, Some(ApiError::Network("offline".into())));
    assert_eq!(loaded.data, None);
}

/// A 503 as the API client hands it over: its `Retry-After` (5 s) read.
fn busy(_: usize) -> Option<ApiError> {
    let answer = crate::api::RawResponse::new(503, "").with_header("Retry-After", "5");
    answer.into_result(chrono::DateTime::UNIX_EPOCH).err()
}

#[test]
fn an_engine_retry_of_a_failing_read_waits_for_the_servers_retry_after() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, busy);
    let _slot = rig.observe(&key, QueryOptions::default());
    let mut load = Box::pin(rig.client.clone().load(key.clone()));
    rig.drain();
    let retries = RetryPolicy::default().max_retries as usize;
    for attempt in 1..=retries {
        assert_eq!(rig.calls(), attempt);
        let due = rig.client.next_deadline().expect("a retry is scheduled");
        assert!(
            due >= rig.clock.now() + 5_000,
            "retry {attempt} waits for Retry-After"
        );
        rig.clock.set(due - 1);
        rig.client.tick();
        rig.drain();
        assert_eq!(rig.calls(), attempt, "not before it is due");
        rig.clock.set(due);
        rig.client.tick();
        rig.drain();
    }
    let loaded = load.as_mut().now_or_never().expect("settled");
    assert_eq!(rig.calls(), 1 + retries, "one fetch per engine try");
    assert_eq!(loaded.error.and_then(|e| e.status()), Some(503));
    assert_eq!(rig.client.next_deadline(), None);
}

#[test]
fn without_timers_queries_neither_retry_nor_poll() {
    let server = QueryClientHandle::builder()
        .spawner(|_| {})
        .timers(Timers::Auto)
        .build();
    let options = server.adapt(QueryOptions::default().refetch_interval(10));
    assert_eq!(options.retry, RetryPolicy::NONE);
    assert_eq!(options.refetch_interval, None);
    let manual = Rig::new();
    let options = manual
        .client
        .adapt(QueryOptions::default().refetch_interval(10));
    assert_eq!(options.refetch_interval, Some(10));
}

#[test]
fn a_resource_value_is_absorbed_without_a_fetch() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, never);
    let _slot = rig.observe(&key, QueryOptions::default().stale_time(60_000));
    let served = Loaded {
        key: key.clone(),
        data: Some(json!("from the server")),
        at: 900,
        error: None,
    };
    rig.client.absorb(&served);
    rig.client.absorb(&served);
    let state = rig.client.read(|c| c.state(&key).cloned()).unwrap();
    assert_eq!(state.data_update_count, 1, "absorbing twice writes once");
    assert_eq!(state.data_updated_at, 900, "the server's time is kept");
    let loaded = rig.client.clone().load(key.clone()).now_or_never().unwrap();
    assert_eq!(loaded, served);
    assert_eq!(rig.calls(), 0);

    let older = Loaded {
        data: Some(json!("older")),
        at: 800,
        ..served
    };
    rig.client.absorb(&older);
    assert_eq!(rig.data(&key).as_deref(), Some("from the server"));
}

#[test]
fn kept_data_shows_at_once_and_only_what_is_watched_and_stale_refetches() {
    let rig = Rig::new();
    let (shown, fresh, hidden) = (
        users(),
        QueryKey::new("users").with(2),
        QueryKey::new("users").with(3),
    );
    for key in [&shown, &fresh, &hidden] {
        rig.serve(key, never);
    }
    let stale_after = QueryOptions::default().stale_time(1_000);
    let (_shown, _fresh) = (
        rig.observe(&shown, stale_after.clone()),
        rig.observe(&fresh, stale_after),
    );
    let kept = |key: &QueryKey, at| DehydratedQuery {
        key: key.clone(),
        data: json!("kept"),
        data_updated_at: at,
    };
    rig.client.restore(PersistedState {
        saved_at: 900,
        queries: vec![kept(&shown, 0), kept(&fresh, 900), kept(&hidden, 0)],
    });
    for key in [&shown, &fresh, &hidden] {
        assert_eq!(rig.data(key).as_deref(), Some("kept"), "{key}");
    }
    rig.drain();
    assert_eq!(rig.calls(), 1, "only the watched, stale query refetched");
    assert_eq!(rig.data(&shown).as_deref(), Some("version-1"));
    assert_eq!(rig.data(&fresh).as_deref(), Some("kept"));
}

#[test]
fn an_absorbed_error_is_the_final_error() {
    let rig = Rig::new();
    let key = users();
    let _slot = rig.observe(&key, QueryOptions::default());
    let missing = ApiError::Http {
        status: 404,
        code: "not_found".into(),
        message: "no such user".into(),
        details: Value::Null,
        retry_after_ms: None,
    };
    rig.client.absorb(&Loaded {
        key: key.clone(),
        data: None,
        at: 0,
        error: Some(missing.clone()),
    });
    let state = rig.client.read(|c| c.state(&key).cloned()).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    assert!(!state.is_fetching());
    let loaded = futures::executor::block_on(rig.client.settled(key.clone()));
    assert_eq!(loaded.error, Some(missing));
    assert!(rig.tasks.lock().unwrap().is_empty(), "nothing fetched");
}

fn ada() -> User {
    tidings::fixtures::user(1, "Ada", "ada@engine.org", Role::Admin)
}

fn rename(name: &str) -> Vec<StoreOp> {
    let patch = UserPatch {
        name: Some(Name::parse(name).unwrap()),
        ..Default::default()
    };
    vec![StoreOp::User(EntityOp::Update {
        id: ada().id,
        patch,
    })]
}

#[test]
fn clear_forgets_queries_entities_and_layers() {
    let rig = Rig::new();
    let key = users();
    rig.serve(&key, never);
    let slot = rig.observe(&key, QueryOptions::default());
    let mut load = Box::pin(rig.client.clone().load(key.clone()));
    rig.drain();
    assert!(load.as_mut().now_or_never().is_some());
    rig.client
        .confirm_entities(&[StoreOp::User(EntityOp::SetAll(vec![ada()]))]);
    let (first, _) = rig
        .client
        .begin_mutation(Some("user:1"), json!({}), rename("Ada L."));

    rig.client.clear();
    assert!(!rig.client.contains(&key));
    assert_eq!(rig.data(&key), None);
    assert!(!slot.attached(&rig.client), "the observer is detached");
    rig.client.with_store_untracked(|after| {
        assert!(after.visible().users.is_empty(), "no entity, no layer");
        assert!(after.confirmed().users.is_empty());
    });
    // The write in flight ends as it would; its layer is already gone.
    let lost = Err(ApiError::Network("lost".into()));
    rig.client
        .finish_mutation(first, &(), &lost, &MutationOptions::<(), ()>::default());
    assert!(rig
        .client
        .with_store_untracked(|s| s.visible().users.is_empty()));
}

#[test]
fn scoped_mutations_wait_their_turn_and_roll_back_only_their_layer() {
    let rig = Rig::new();
    rig.client
        .confirm_entities(&[StoreOp::User(EntityOp::SetAll(vec![ada()]))]);
    let shown = || {
        rig.client
            .with_store_untracked(|s| s.visible().users.get(&ada().id).unwrap().name.to_string())
    };

    let (first, none) = rig
        .client
        .begin_mutation(Some("user:1"), json!({}), rename("Ada L."));
    assert!(none.is_none(), "first in its scope: sent at once");
    let (second, turn) = rig
        .client
        .begin_mutation(Some("user:1"), json!({}), rename("Ada B."));
    let mut turn = turn.expect("waits for the first");
    assert_eq!(shown(), "Ada B.", "both layers show at once");

    let options = MutationOptions::<(), ()>::default().invalidates([Tag::Users]);
    let conflict = Err(ApiError::Network("lost".into()));
    rig.client.finish_mutation(first, &(), &conflict, &options);
    assert_eq!(turn.try_recv(), Ok(Some(())), "the second may go now");
    assert_eq!(shown(), "Ada B.", "only the failed layer went");
    assert_eq!(rig.client.with_store_untracked(|s| s.layers().len()), 1);

    let confirm = MutationOptions::<(), ()>::default().on_success(|_, _| {
        let mut renamed = ada();
        renamed.name = Name::parse("Ada B.").unwrap();
        renamed.version = 2;
        vec![StoreOp::User(EntityOp::Upsert(renamed))]
    });
    rig.client.finish_mutation(second, &(), &Ok(()), &confirm);
    rig.client.with_store_untracked(|settled| {
        assert!(settled.layers().is_empty());
        assert_eq!(settled.visible(), settled.confirmed());
    });
    assert_eq!(shown(), "Ada B.");
}

/// A server render shows the resource's value, the one the page carries
/// to the browser, never the engine's later state: the HTML then always
/// matches what the browser hydrates with. (The engine is changed behind
/// the resource here; in a real render the same gap opens when a memo over
/// the engine is evaluated on one thread while a fetch lands on another.)
#[cfg(feature = "ssr")]
#[test]
fn a_server_render_shows_the_value_the_page_carries() {
    use std::time::{Duration, Instant};

    use leptos::prelude::*;

    let _ = any_spawner::Executor::init_futures_executor();
    let owner = Owner::new_root(Some(Arc::new(hydration_context::SsrSharedContext::new())));
    let rig = Rig::new();
    let result = owner.with(|| {
        rig.client.provide();
        super::use_query(
            || "answer",
            |_| async { Ok::<_, ApiError>("as served".to_owned()) },
            QueryOptions::default(),
        )
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while owner.with(|| result.data().get_untracked()).is_none() {
        assert!(Instant::now() < deadline, "the resource never resolved");
        rig.drain();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        owner.with(|| result.data().get_untracked()).as_deref(),
        Some("as served")
    );

    let key = super::key::query_key(&"answer");
    rig.client.set_query_data(&key, &"changed in the engine");
    rig.drain();
    owner.with(|| {
        assert_eq!(result.data().get_untracked().as_deref(), Some("as served"));
        assert!(result.error().get_untracked().is_none());
        assert!(!result.is_loading().get_untracked());
        assert!(!result.is_placeholder().get_untracked());
    });
}

/// A server render fetches each query before it creates the query's
/// resource: the resource is born resolved, so nothing changes (and no
/// memo can go stale) while the page renders.
#[cfg(feature = "ssr")]
#[test]
fn a_server_render_holds_its_data_before_it_renders() {
    use std::time::Duration;

    use leptos::prelude::*;

    let _ = any_spawner::Executor::init_futures_executor();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let shown = runtime.block_on(runtime.spawn(async {
        let owner = Owner::new_root(Some(Arc::new(hydration_context::SsrSharedContext::new())));
        owner.with(|| {
            QueryClientHandle::builder().build().provide();
            let result = super::use_query(
                || "answer",
                |_| async {
                    // Slow, and on the executor's own threads (which have
                    // no tokio timer): the answer comes well after the
                    // resource would have polled without waiting.
                    std::thread::sleep(Duration::from_millis(20));
                    Ok::<_, ApiError>("as served".to_owned())
                },
                QueryOptions::default(),
            );
            result.data().get_untracked()
        })
    }));
    assert_eq!(
        shown.expect("the render task").as_deref(),
        Some("as served")
    );
}

/// Counts when it is dropped: a request that is aborted drops its future.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Serves `key` with requests that never answer; counts those dropped.
fn serve_forever(rig: &Rig, key: &QueryKey) -> Arc<AtomicUsize> {
    let dropped = Arc::new(AtomicUsize::new(0));
    let (calls, count) = (Arc::clone(&rig.calls), Arc::clone(&dropped));
    let fetch = Arc::new(move |_: ()| {
        calls.fetch_add(1, Ordering::SeqCst);
        let guard = DropCount(Arc::clone(&count));
        async move {
            let _guard = guard;
            futures::future::pending::<Result<String, ApiError>>().await
        }
    });
    rig.client.register(key, fetcher::plain(fetch, ()));
    dropped
}

/// Polls each spawned task once, keeping those still pending.
fn poll_tasks(rig: &Rig) {
    let tasks = std::mem::take(&mut *lock(&rig.tasks));
    let mut left = Vec::new();
    for mut task in tasks {
        if task.as_mut().now_or_never().is_none() {
            left.push(task);
        }
    }
    lock(&rig.tasks).extend(left);
}

#[test]
fn a_request_nobody_waits_for_is_aborted() {
    let rig = Rig::new();
    let (a, b) = (users(), QueryKey::new("users").with(2));
    let dropped_a = serve_forever(&rig, &a);
    let dropped_b = serve_forever(&rig, &b);

    // The last observer leaves while the request is in flight.
    let slot = rig.observe(&a, QueryOptions::default());
    let _load = rig.client.clone().load(a.clone());
    poll_tasks(&rig);
    assert_eq!((rig.calls(), dropped_a.load(Ordering::SeqCst)), (1, 0));
    slot.release(&rig.client);
    poll_tasks(&rig);
    assert_eq!(dropped_a.load(Ordering::SeqCst), 1, "aborted");
    assert!(lock(&rig.tasks).is_empty(), "and its task ended");
    let state = rig.client.read(|c| c.state(&a).cloned()).unwrap();
    assert!(!state.is_fetching() && state.error.is_none(), "{state:?}");

    // The component moves to another key: the old key's request goes.
    let slot = rig.observe(&a, QueryOptions::default());
    let _load = rig.client.clone().load(a.clone());
    poll_tasks(&rig);
    slot.target(&rig.client, &b, &QueryOptions::default());
    let _load = rig.client.clone().load(b.clone());
    poll_tasks(&rig);
    assert_eq!(rig.calls(), 3);
    assert_eq!(
        dropped_a.load(Ordering::SeqCst),
        2,
        "a's second request aborted"
    );
    assert_eq!(dropped_b.load(Ordering::SeqCst), 0, "b's is wanted");
    assert_eq!(lock(&rig.tasks).len(), 1);

    // Another observer keeps it wanted.
    let second = rig.observe(&b, QueryOptions::default());
    slot.release(&rig.client);
    poll_tasks(&rig);
    assert_eq!(dropped_b.load(Ordering::SeqCst), 0, "still observed");
    second.release(&rig.client);
    poll_tasks(&rig);
    assert_eq!(dropped_b.load(Ordering::SeqCst), 1);
}
