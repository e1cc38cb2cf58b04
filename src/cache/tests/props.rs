//! Property tests over random interleavings of everything the engine
//! sees: fetches and their results, invalidations, observers coming and
//! going, time passing (gc, retries), optimistic mutations in scopes,
//! realtime events (duplicated and out of order), commits and rollbacks.
//!
//! After every step: the visible store is the confirmed store plus the
//! pending layers in order; a rollback of the newest layer restores exactly
//! what was visible before it; no event seq is applied twice or out of
//! order; a scope never runs two mutations at once and runs them in the
//! order made; the query cache's bookkeeping is consistent.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

use super::fixtures::user;
use crate::cache::*;
use crate::model::{Role, UserPatch};

const USERS: u8 = 4;

#[derive(Debug, Clone)]
enum Step {
    Observe(usize),
    Unobserve(usize),
    Fetch(usize, bool),
    Succeed(usize, u8),
    Fail(usize, bool),
    ResolveSuperseded(usize),
    Invalidate(usize),
    Remove(usize),
    InvalidateTag(u8),
    Advance(u64),
    Online(bool),
    Mutate(u8, u8),
    Settle(usize, bool),
    Event(u64, u8, bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize).prop_map(Step::Observe),
        2 => (0..4usize).prop_map(Step::Unobserve),
        3 => (0..3usize, any::<bool>()).prop_map(|(k, f)| Step::Fetch(k, f)),
        3 => (0..3usize, 0..USERS).prop_map(|(k, u)| Step::Succeed(k, u)),
        2 => (0..3usize, any::<bool>()).prop_map(|(k, r)| Step::Fail(k, r)),
        1 => (0..3usize).prop_map(Step::ResolveSuperseded),
        2 => (0..3usize).prop_map(Step::Invalidate),
        1 => (0..3usize).prop_map(Step::Remove),
        1 => (0..USERS).prop_map(Step::InvalidateTag),
        3 => prop_oneof![Just(1u64), Just(999), Just(1_000), Just(4_000), Just(60_000)]
            .prop_map(Step::Advance),
        1 => any::<bool>().prop_map(Step::Online),
        4 => (0..USERS, 0..3u8).prop_map(|(u, r)| Step::Mutate(u, r)),
        3 => (0..4usize, any::<bool>()).prop_map(|(i, ok)| Step::Settle(i, ok)),
        4 => (1..25u64, 0..USERS + 1, any::<bool>()).prop_map(|(s, u, d)| Step::Event(s, u, d)),
    ]
}

fn keys() -> [QueryKey; 3] {
    [
        QueryKey::new("users"),
        QueryKey::new("users").with(json!({"page": 2})),
        QueryKey::new("user").with("1"),
    ]
}

fn uid(n: u8) -> Uuid {
    Uuid::from_u128(u128::from(n) + 1)
}

fn role(n: u8) -> Role {
    Role::ALL[usize::from(n) % 3]
}

struct Harness {
    clock: FakeClock,
    client: QueryClient,
    keys: [QueryKey; 3],
    observers: Vec<(ObserverId, usize)>,
    current: HashMap<usize, FetchId>,
    superseded: HashMap<usize, Vec<FetchId>>,
    store: EntityStore,
    shadow: Entities,
    mutations: MutationCache,
    enqueued: BTreeMap<String, Vec<MutationId>>,
    started: BTreeMap<String, Vec<MutationId>>,
    applied: Vec<u64>,
    newest_layer: Option<(MutationId, Entities)>,
}

impl Harness {
    fn new() -> Self {
        let clock = FakeClock::new(10_000);
        let client =
            QueryClient::with_defaults(clock.clone(), QueryOptions::default().gc_time(30_000));
        let seed: Vec<_> = (0..USERS)
            .map(|n| user(u128::from(n) + 1, "User", role(n)))
            .collect();
        let ops = [StoreOp::User(EntityOp::SetAll(seed))];
        let mut store = EntityStore::default();
        store.confirm(&ops);
        let mut shadow = Entities::default();
        ops.iter().for_each(|op| shadow.apply(op));
        Self {
            clock,
            client,
            keys: keys(),
            observers: Vec::new(),
            current: HashMap::new(),
            superseded: HashMap::new(),
            store,
            shadow,
            mutations: MutationCache::new(),
            enqueued: BTreeMap::new(),
            started: BTreeMap::new(),
            applied: Vec::new(),
            newest_layer: None,
        }
    }

    fn key_index(&self, key: &QueryKey) -> usize {
        self.keys
            .iter()
            .position(|k| k == key)
            .expect("a known key")
    }

    fn took(&mut self, starts: impl IntoIterator<Item = FetchStart>) {
        for s in starts {
            let k = self.key_index(&s.key);
            if let Some(old) = self.current.insert(k, s.fetch_id) {
                if old != s.fetch_id {
                    self.superseded.entry(k).or_default().push(old);
                }
            }
        }
    }

    fn decided(&mut self, d: FetchDecision, k: usize) {
        match d {
            FetchDecision::Start(s) => self.took([s]),
            FetchDecision::Paused(id) => {
                if let Some(old) = self.current.insert(k, id) {
                    if old != id {
                        self.superseded.entry(k).or_default().push(old);
                    }
                }
            }
            _ => {}
        }
    }

    fn confirm(&mut self, ops: Vec<StoreOp>) {
        ops.iter().for_each(|op| self.shadow.apply(op));
        self.store.confirm(&ops);
        self.newest_layer = None;
    }

    fn run(&mut self, step: Step) {
        match step {
            Step::Observe(k) => {
                let id = self.client.observe(
                    &self.keys[k],
                    QueryOptions::default().gc_time(30_000).tags([Tag::Users]),
                );
                self.observers.push((id, k));
            }
            Step::Unobserve(i) => {
                if i < self.observers.len() {
                    let (id, _) = self.observers.remove(i);
                    assert!(self.client.unobserve(id));
                }
            }
            Step::Fetch(k, force) => {
                let policy = if force {
                    FetchPolicy::Force
                } else {
                    FetchPolicy::IfStale
                };
                let d = self.client.fetch(&self.keys[k], policy);
                self.decided(d, k);
            }
            Step::Succeed(k, u) => {
                let Some(&id) = self.current.get(&k) else {
                    return;
                };
                let before = self.client.state(&self.keys[k]).cloned();
                let data = json!({"user": u});
                let r = self.client.resolve(&self.keys[k], id, Ok(data.clone()));
                if r == Resolution::Settled {
                    let before = before.expect("a settled query exists");
                    assert_eq!(before.fetch_id, id);
                    assert_eq!(
                        self.client.query_data(&self.keys[k]).as_deref(),
                        Some(&data)
                    );
                    // The response confirms the user as the server has it.
                    let held = self.shadow.users.get(&uid(u)).cloned();
                    let fresh = held.unwrap_or_else(|| user(u128::from(u) + 1, "User", role(u)));
                    self.confirm(vec![StoreOp::User(EntityOp::Upsert(fresh))]);
                } else {
                    assert_eq!(r, Resolution::Ignored);
                }
            }
            Step::Fail(k, retryable) => {
                let Some(&id) = self.current.get(&k) else {
                    return;
                };
                let error = if retryable {
                    QueryError::transient("net")
                } else {
                    QueryError::permanent("gone")
                };
                let r = self.client.resolve(&self.keys[k], id, Err(error));
                if !retryable {
                    assert!(matches!(r, Resolution::Settled | Resolution::Ignored));
                }
            }
            Step::ResolveSuperseded(k) => {
                for old in self.superseded.get(&k).cloned().unwrap_or_default() {
                    let r = self.client.resolve(&self.keys[k], old, Ok(json!("stale")));
                    assert_eq!(r, Resolution::Ignored, "superseded fetch {old:?} applied");
                }
            }
            Step::Invalidate(k) => {
                let prefix = if k == 1 {
                    QueryKey::new("users")
                } else {
                    self.keys[k].clone()
                };
                let starts = self.client.invalidate_prefix(&prefix);
                self.took(starts);
            }
            Step::Remove(k) => {
                self.client.remove(&self.keys[k]);
                self.observers.retain(|(_, ok)| *ok != k);
                if let Some(old) = self.current.remove(&k) {
                    self.superseded.entry(k).or_default().push(old);
                }
            }
            Step::InvalidateTag(u) => {
                let payload = json!({"id": uid(u).to_string()});
                let starts = self
                    .client
                    .invalidate_event(EventKind::UserUpdated, &payload);
                self.took(starts);
            }
            Step::Advance(ms) => {
                let now = self.clock.advance(ms);
                let starts = self.client.tick(now);
                self.took(starts);
                assert!(self.client.next_deadline().is_none_or(|t| t > now));
            }
            Step::Online(on) => {
                let starts = self.client.set_online(on);
                self.took(starts);
            }
            Step::Mutate(u, r) => {
                let scope = format!("user:{u}");
                let now = self.clock.now();
                let e = self
                    .mutations
                    .enqueue(Some(&scope), json!({"role": role(r)}), now);
                self.enqueued.entry(scope.clone()).or_default().push(e.id);
                if e.start {
                    self.started.entry(scope).or_default().push(e.id);
                }
                let before = self.store.visible().clone();
                let patch = UserPatch {
                    role: Some(role(r)),
                    ..Default::default()
                };
                self.store.apply_layer(
                    e.id,
                    vec![StoreOp::User(EntityOp::Update { id: uid(u), patch })],
                );
                self.newest_layer = Some((e.id, before));
            }
            Step::Settle(i, ok) => {
                let pending: Vec<_> = self
                    .mutations
                    .unsettled()
                    .filter(|(_, s)| s.status == MutationStatus::Pending)
                    .map(|(id, _)| id)
                    .collect();
                let Some(&id) = pending.get(i) else { return };
                let scope = self.mutations.scope(id).expect("scoped").to_owned();
                let now = self.clock.now();
                let next = if ok {
                    let change = self.mutations.state(id).unwrap().variables.clone();
                    let u: u8 = scope["user:".len()..].parse().unwrap();
                    if let Some(held) = self.shadow.users.get(&uid(u)).cloned() {
                        let mut saved = held;
                        saved.role = serde_json::from_value(change["role"].clone()).unwrap();
                        saved.version += 1;
                        self.confirm(vec![StoreOp::User(EntityOp::Upsert(saved))]);
                    }
                    let next = self.mutations.settle(id, Ok(Value::Null), now);
                    assert!(self.store.commit(id));
                    next
                } else {
                    let expected_visible = self.newest_layer.take().filter(|(m, _)| *m == id);
                    let next = self
                        .mutations
                        .settle(id, Err(QueryError::permanent("412")), now);
                    assert!(self.store.rollback(id));
                    if let Some((_, before)) = expected_visible {
                        assert_eq!(self.store.visible(), &before, "rollback restores exactly");
                    }
                    next
                };
                self.newest_layer = None;
                for n in next {
                    self.started.entry(scope.clone()).or_default().push(n);
                }
            }
            Step::Event(seq, u, delete) => {
                let (kind, data) = if delete {
                    (EventKind::UserDeleted, json!({"id": uid(u).to_string()}))
                } else {
                    let mut changed = self
                        .shadow
                        .users
                        .get(&uid(u))
                        .cloned()
                        .unwrap_or_else(|| user(u128::from(u) + 1, "Newcomer", Role::User));
                    changed.version += 1;
                    changed.role = role(u.wrapping_add(seq as u8));
                    (
                        EventKind::UserUpdated,
                        serde_json::to_value(changed).unwrap(),
                    )
                };
                let last = self.applied.last().copied().unwrap_or(0);
                let ops = ops_for_event(kind, &data).unwrap();
                let outcome = self.store.apply_event(seq, &ops);
                if seq > last {
                    assert_eq!(outcome, EventOutcome::Applied);
                    assert!(!self.applied.contains(&seq));
                    self.applied.push(seq);
                    ops_for_event(kind, &data)
                        .unwrap()
                        .iter()
                        .for_each(|op| self.shadow.apply(op));
                    self.newest_layer = None;
                } else {
                    assert_eq!(outcome, EventOutcome::Duplicate);
                }
                assert_eq!(self.store.last_seq(), *self.applied.last().unwrap_or(&0));
            }
        }
    }

    fn check(&self) {
        // Visible = confirmed + layers in order.
        let mut folded = self.store.confirmed().clone();
        for op in self.store.layers().iter().flat_map(|l| &l.ops) {
            folded.apply(op);
        }
        assert_eq!(self.store.visible(), &folded);
        assert_eq!(self.store.confirmed(), &self.shadow);
        // One layer per unsettled mutation, in the order they were made.
        let layered: Vec<_> = self.store.layers().iter().map(|l| l.mutation_id).collect();
        let open: Vec<_> = self.mutations.unsettled().map(|(id, _)| id).collect();
        assert_eq!(layered, open);
        // Scopes: at most one pending each, started in enqueue order.
        for (scope, started) in &self.started {
            let made = &self.enqueued[scope];
            assert_eq!(started[..], made[..started.len()]);
            let pending = started
                .iter()
                .filter(|id| self.mutations.state(**id).unwrap().status == MutationStatus::Pending)
                .count();
            assert!(pending <= 1, "scope {scope} runs {pending} at once");
        }
        // Events strictly increasing.
        assert!(self.applied.windows(2).all(|w| w[0] < w[1]));
        // Query cache bookkeeping.
        for (hash, e) in &self.client.entries {
            let k = self.key_index(&e.key);
            assert_eq!(hash, &e.key.hash());
            let watching = self.observers.iter().filter(|(_, ok)| *ok == k).count();
            assert_eq!(e.observers, watching);
            if e.observers == 0 {
                assert_eq!(e.poll_at, None);
                assert!(
                    e.gc_at.is_some() || e.state.is_fetching(),
                    "an idle unobserved query is never collected"
                );
            } else {
                assert_eq!(e.gc_at, None);
            }
            if !e.state.is_fetching() {
                assert!(e.retry_at.is_none() && e.pages.is_none());
            }
            if e.state.status == QueryStatus::Success {
                assert!(e.state.data.is_some());
            }
        }
        for (_, k) in &self.observers {
            assert!(
                self.client.state(&self.keys[*k]).is_some(),
                "an observed query was collected"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_keep_every_invariant(steps in prop::collection::vec(step(), 1..80)) {
        let mut h = Harness::new();
        h.check();
        for s in steps {
            h.run(s);
            h.check();
        }
    }

    #[test]
    fn the_reducer_keeps_status_and_data_consistent(actions in prop::collection::vec(action(), 0..40)) {
        let mut s = QueryState::default();
        for a in actions {
            let settles = matches!(a, QueryAction::Success { .. } | QueryAction::Error { .. });
            let writes = matches!(a, QueryAction::Success { .. } | QueryAction::SetData { .. });
            let count = s.data_update_count;
            s = reduce(s, a);
            prop_assert_eq!(s.data.is_some(), s.data_update_count > 0);
            prop_assert_eq!(s.data_update_count, count + u32::from(writes));
            if settles {
                prop_assert_eq!(s.fetch_status, FetchStatus::Idle);
            }
            if s.status == QueryStatus::Success {
                prop_assert!(s.error.is_none() && s.data.is_some());
            }
            if s.status == QueryStatus::Error {
                prop_assert!(s.error.is_some());
            }
        }
    }

    #[test]
    fn pages_stay_contiguous_within_max_pages(
        moves in prop::collection::vec(any::<bool>(), 0..30),
        max in 1..5usize,
    ) {
        let opts = InfiniteOptions::page_numbers(10).max_pages(max);
        let page = |n: u64| json!({"pagination": {"hasNextPage": n < 20, "hasPreviousPage": n > 1}});
        let mut data = InfiniteData::default();
        data.push_page(PageDirection::Refetch, json!(10), page(10), opts.max_pages);
        for forward in moves {
            let (dir, param) = if forward {
                (PageDirection::Forward, data.next_param(&opts))
            } else {
                (PageDirection::Backward, data.previous_param(&opts))
            };
            let Some(param) = param else { continue };
            let n = param.as_u64().unwrap();
            data.push_page(dir, param, page(n), opts.max_pages);
            prop_assert!(data.len() <= max);
            prop_assert_eq!(data.pages.len(), data.page_params.len());
            let nums: Vec<u64> = data.page_params.iter().map(|p| p.as_u64().unwrap()).collect();
            prop_assert!(nums.windows(2).all(|w| w[1] == w[0] + 1), "{:?}", nums);
            let end = if forward { *nums.last().unwrap() } else { nums[0] };
            prop_assert_eq!(end, n, "the new page sits at the end it extends");
        }
    }

    #[test]
    fn key_hash_is_equality_and_prefixes_match(a in key_value(), b in key_value(), cut in 0..4usize) {
        let (ka, kb) = (QueryKey::from_segments(a), QueryKey::from_segments(b));
        prop_assert_eq!(ka.hash() == kb.hash(), ka == kb);
        let prefix = QueryKey::from_segments(ka.segments()[..cut.min(ka.len())].to_vec());
        prop_assert!(ka.starts_with(&prefix));
        let parsed: QueryKey = serde_json::from_str(&serde_json::to_string(&ka).unwrap()).unwrap();
        prop_assert_eq!(parsed.hash(), ka.hash());
    }
}

fn action() -> impl Strategy<Value = QueryAction> {
    let error = prop_oneof![
        Just(QueryError::transient("t")),
        Just(QueryError::permanent("p"))
    ];
    prop_oneof![
        (1..5u64, any::<bool>()).prop_map(|(id, paused)| QueryAction::Fetch {
            fetch_id: FetchId(id),
            paused
        }),
        error
            .clone()
            .prop_map(|error| QueryAction::Failed { error }),
        Just(QueryAction::Pause),
        Just(QueryAction::Continue),
        (0..9i64, 0..100u64).prop_map(|(v, at)| QueryAction::Success { data: json!(v), at }),
        (error, 0..100u64).prop_map(|(error, at)| QueryAction::Error { error, at }),
        Just(QueryAction::Invalidate),
        (0..9i64, 0..100u64).prop_map(|(v, at)| QueryAction::SetData { data: json!(v), at }),
        Just(QueryAction::Cancel),
    ]
}

fn key_value() -> impl Strategy<Value = Vec<Value>> {
    let segment = prop_oneof![
        prop_oneof![Just("users"), Just("user"), Just("a\"b")].prop_map(Value::from),
        (0..3i64).prop_map(Value::from),
        (0..3i64, 0..2i64).prop_map(|(p, r)| json!({"page": p, "role": r})),
        (0..2i64, 0..3i64).prop_map(|(r, p)| json!({"role": r, "page": p})),
    ];
    prop::collection::vec(segment, 0..4)
}
