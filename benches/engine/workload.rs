//! The cache-engine workload, written once and run twice: natively by
//! `benches/engine/main.rs` and as WebAssembly in node by `bench/engine/wasm`.
//! `bench/engine/tanstack.mjs` runs the same steps on TanStack Query's
//! query-core and Redux Toolkit's entity adapter, so `bench/engine/run.sh`
//! can print the three side by side.
//!
//! Cases, each timed over warm-up runs then `runs` measured ones, and each
//! run checked (a wrong count is an error, never a figure):
//! - `set`: 10,000 queries written with `set_query_data`, keys
//!   `["users", "list", i]` for even `i` and `["posts", i]` for odd `i`;
//! - `invalidate`: one invalidation of the prefix `["users"]` over them
//!   (5,000 queries marked stale, nothing observed so nothing refetched);
//! - `subscribe`: 1,000 observers of one query;
//! - `notify`: one write to that query, delivered to the 1,000 observers,
//!   each reading what it now shows, as the Leptos host does;
//! - `upsert`: 10,000 users upserted into an empty [`EntityAdapter`];
//! - `upsert_store`: the same as one confirmed response in the layered
//!   [`EntityStore`] (confirmed and visible states both change);
//! - `set_100k`: 100,000 queries written with `set_query_data`, keys
//!   `["scopeNN", "item", i]` with `NN` = `i` mod 100 (100 prefixes of
//!   1,000 queries each);
//! - `invalidate_1k`: one invalidation of the prefix `["scope42"]` over
//!   them (1,000 of the 100,000 marked stale, nothing refetched);
//! - `entity_update`, `entity_read`, `place_created`: server events
//!   reaching cached, normalized user lists (see `lists.rs`).
//!
//! Time comes from the runner (`now`, in milliseconds), since
//! `std::time::Instant` does not exist on `wasm32-unknown-unknown`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration};
use serde_json::{json, Value};
use tidings::cache::{
    EntityAdapter, EntityOp, EntityStore, FakeClock, KeyHash, Notification, ObserverId,
    QueryClient, QueryKey, QueryOptions, StoreOp, NEVER,
};
use tidings::model::{Email, Language, Name, Preferences, Role, Theme, User};
use uuid::Uuid;

#[path = "lists.rs"]
mod lists;

/// Queries written in `set`.
const QUERIES: usize = 10_000;
/// Observers of the one query in `subscribe` and `notify`.
const OBSERVERS: usize = 1_000;
/// Users upserted in `upsert` and `upsert_store`.
const ENTITIES: usize = 10_000;
/// Queries written in `set_100k`.
const LARGE_QUERIES: usize = 100_000;
/// Key prefixes the `set_100k` queries are spread over, evenly.
const SCOPES: usize = 100;
/// The prefix `invalidate_1k` invalidates.
const INVALIDATED_SCOPE: usize = 42;

/// The measured times of one case.
pub struct Figure {
    /// The case's id (see the module docs).
    pub case: &'static str,
    /// Milliseconds per measured run.
    pub times: Vec<f64>,
}

impl Figure {
    fn median(&self) -> f64 {
        let mut sorted = self.times.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        }
    }

    fn min(&self) -> f64 {
        self.times.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// One JSON line: `{"side", "case", "median_ms", "min_ms", "runs"}`.
    pub fn json_line(&self, side: &str) -> String {
        json!({
            "side": side,
            "case": self.case,
            "median_ms": self.median(),
            "min_ms": self.min(),
            "runs": self.times.len(),
        })
        .to_string()
    }
}

/// Runs every case `warmup` times unmeasured, then `runs` times measured.
/// An error names the case whose result was wrong.
pub fn run(warmup: usize, runs: usize, now: &dyn Fn() -> f64) -> Result<Vec<Figure>, String> {
    let input = Input::new();
    let mut figures: Vec<Figure> = Vec::new();
    for round in 0..warmup + runs {
        let times = [
            queries(&input, now)?,
            observers(now)?,
            entities(&input, now)?,
            large(&input, now)?,
            lists::holding(&input.lists, now)?,
            lists::placing(&input.lists, now)?,
        ]
        .concat();
        if round < warmup {
            continue;
        }
        for (case, ms) in times {
            match figures.iter_mut().find(|f| f.case == case) {
                Some(f) => f.times.push(ms),
                None => figures.push(Figure {
                    case,
                    times: vec![ms],
                }),
            }
        }
    }
    Ok(figures)
}

/// What every run starts from, built once outside the timings.
struct Input {
    keys: Vec<QueryKey>,
    data: Vec<Value>,
    users: Vec<User>,
    large_keys: Vec<QueryKey>,
    large_data: Vec<Value>,
    lists: lists::Input,
}

impl Input {
    fn new() -> Self {
        let keys = (0..QUERIES)
            .map(|i| match i % 2 {
                0 => QueryKey::from(["users", "list"]).with(i),
                _ => QueryKey::new("posts").with(i),
            })
            .collect();
        let data = (0..QUERIES).map(item).collect();
        let users = (0..ENTITIES).map(user).collect();
        let large_keys = (0..LARGE_QUERIES)
            .map(|i| QueryKey::new(scope(i % SCOPES)).with("item").with(i))
            .collect();
        let large_data = (0..LARGE_QUERIES).map(item).collect();
        Self {
            keys,
            data,
            users,
            large_keys,
            large_data,
            lists: lists::Input::new(),
        }
    }
}

/// The data of query `i`.
fn item(i: usize) -> Value {
    json!({"id": i, "title": format!("item {i}")})
}

/// The first segment of the `set_100k` keys in scope `n`.
fn scope(n: usize) -> String {
    format!("scope{n:02}")
}

fn user(i: usize) -> User {
    let at = DateTime::UNIX_EPOCH + Duration::seconds(i as i64);
    User {
        id: Uuid::from_u128(i as u128 + 1),
        name: Name::parse(format!("User {i}")).expect("valid name"),
        email: Email::parse(format!("user{i}@example.com")).expect("valid email"),
        role: Role::ALL[i % 3],
        avatar_url: None,
        last_active: at,
        preferences: Preferences {
            theme: Theme::System,
            notifications: true,
            language: Language::parse("en").expect("valid language"),
        },
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

type Timed = Vec<(&'static str, f64)>;

/// A copy of `key` that shares nothing with it, its hash not yet computed
/// (a key caches its hash; each run must pay for hashing, as TanStack's
/// does on every call).
fn fresh_key(key: &QueryKey) -> QueryKey {
    QueryKey::from_segments(key.segments().to_vec())
}

fn timed<R>(now: &dyn Fn() -> f64, f: impl FnOnce() -> R) -> (R, f64) {
    let start = now();
    let out = f();
    (out, now() - start)
}

fn check(case: &str, what: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{case}: {what} is {got}, expected {want}"))
    }
}

/// `set` then `invalidate` on one fresh client.
fn queries(input: &Input, now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut client = QueryClient::new(FakeClock::new(0));
    let (keys, data): (Vec<_>, _) = (
        input.keys.iter().map(fresh_key).collect(),
        input.data.clone(),
    );
    let ((), set) = timed(now, || {
        for (key, value) in keys.iter().zip(data) {
            client.set_query_data(key, value);
        }
    });
    check("set", "cached queries", client.len(), QUERIES)?;
    let with_data = client.queries().filter(|(_, s)| s.data.is_some()).count();
    check("set", "queries with data", with_data, QUERIES)?;

    let prefix = QueryKey::new("users");
    let (starts, invalidate) = timed(now, || client.invalidate_prefix(&prefix));
    check("invalidate", "fetches started", starts.len(), 0)?;
    let stale = client.queries().filter(|(_, s)| s.is_invalidated).count();
    check("invalidate", "invalidated queries", stale, QUERIES / 2)?;
    let wrong = client
        .queries()
        .filter(|(k, s)| s.is_invalidated != k.starts_with(&prefix))
        .count();
    check("invalidate", "queries marked wrongly", wrong, 0)?;
    Ok(vec![("set", set), ("invalidate", invalidate)])
}

/// `set_100k` then `invalidate_1k` on one fresh client.
fn large(input: &Input, now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut client = QueryClient::new(FakeClock::new(0));
    let keys: Vec<_> = input.large_keys.iter().map(fresh_key).collect();
    let data = input.large_data.clone();
    let ((), set) = timed(now, || {
        for (key, value) in keys.iter().zip(data) {
            client.set_query_data(key, value);
        }
    });
    check("set_100k", "cached queries", client.len(), LARGE_QUERIES)?;
    let with_data = client.queries().filter(|(_, s)| s.data.is_some()).count();
    check("set_100k", "queries with data", with_data, LARGE_QUERIES)?;

    let prefix = QueryKey::new(scope(INVALIDATED_SCOPE));
    let (starts, invalidate) = timed(now, || client.invalidate_prefix(&prefix));
    check("invalidate_1k", "fetches started", starts.len(), 0)?;
    let stale = client.queries().filter(|(_, s)| s.is_invalidated).count();
    check(
        "invalidate_1k",
        "invalidated queries",
        stale,
        LARGE_QUERIES / SCOPES,
    )?;
    let wrong = client
        .queries()
        .filter(|(k, s)| s.is_invalidated != k.starts_with(&prefix))
        .count();
    check("invalidate_1k", "queries marked wrongly", wrong, 0)?;
    Ok(vec![("set_100k", set), ("invalidate_1k", invalidate)])
}

/// `subscribe` then `notify` on one fresh client. Notifications reach the
/// observers as in the Leptos host: one engine listener collects them, and
/// each changed key's observers then read their view.
fn observers(now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut client = QueryClient::new(FakeClock::new(0));
    let key = QueryKey::from(["users", "detail"]).with(1);
    client.set_query_data(&key, json!({"id": 1, "rev": 0}));
    let outbox: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let heard = Arc::clone(&outbox);
    client.subscribe(move |note| heard.lock().expect("outbox").push(note.clone()));

    let options = QueryOptions::default().stale_time(NEVER).enabled(false);
    let mut observers: HashMap<KeyHash, Vec<ObserverId>> = HashMap::new();
    let ((), subscribe) = timed(now, || {
        let ids = observers.entry(key.hash()).or_default();
        for _ in 0..OBSERVERS {
            ids.push(client.observe(&key, options.clone()));
        }
    });
    check(
        "subscribe",
        "observers",
        client.observer_count(&key),
        OBSERVERS,
    )?;
    outbox.lock().expect("outbox").clear();

    let wanted = json!({"id": 1, "rev": 1});
    let (heard, notify) = timed(now, || {
        client.set_query_data(&key, wanted.clone());
        let notes = std::mem::take(&mut *outbox.lock().expect("outbox"));
        let mut heard = 0;
        for changed in notes.iter().flat_map(|n| &n.changed) {
            for id in observers.get(changed).into_iter().flatten() {
                let view = client.view(*id);
                heard += usize::from(view.is_some_and(|v| v.data.as_deref() == Some(&wanted)));
            }
        }
        heard
    });
    check("notify", "observers notified", heard, OBSERVERS)?;
    Ok(vec![("subscribe", subscribe), ("notify", notify)])
}

/// `upsert` into a plain adapter, then `upsert_store` into the layered store.
fn entities(input: &Input, now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut adapter = EntityAdapter::<User>::new();
    let users = input.users.clone();
    let ((), upsert) = timed(now, || adapter.upsert_many(users));
    check("upsert", "users held", adapter.len(), ENTITIES)?;

    let ops: Vec<StoreOp> = input
        .users
        .iter()
        .map(|u| StoreOp::User(EntityOp::Upsert(u.clone())))
        .collect();
    let mut store = EntityStore::default();
    let ((), upsert_store) = timed(now, || store.confirm(&ops));
    check(
        "upsert_store",
        "users shown",
        store.visible().users.len(),
        ENTITIES,
    )?;
    check(
        "upsert_store",
        "users confirmed",
        store.confirmed().users.len(),
        ENTITIES,
    )?;
    Ok(vec![("upsert", upsert), ("upsert_store", upsert_store)])
}
