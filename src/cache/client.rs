//! The query client: the cache of queries by key hash, their observers,
//! and the bookkeeping (gc, retry and poll deadlines) around them.
//!
//! The client is synchronous and executor-free. It never performs a fetch:
//! it answers "start a fetch now" ([`FetchStart`]) and the host performs
//! it and reports back with [`QueryClient::resolve`]. It never sleeps
//! either: it exposes [`QueryClient::next_deadline`] and the host calls
//! [`QueryClient::tick`] when that time comes. Fetching lives in `fetch.rs`,
//! invalidation in `invalidate.rs`, deadlines in `timers.rs`, SSR hand-over
//! in `hydrate.rs`; this file holds the cache itself, observers and direct
//! reads and writes.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::clock::{after, Clock, Millis};
use super::infinite::{PageFetch, PageRequest};
use super::key::{KeyHash, QueryKey};
use super::normalized::Holders;
use super::notify::{ListenerId, Notification, Notifier};
use super::options::QueryOptions;
use super::query::{apply, FetchId, QueryAction, QueryState};
use super::shape::Shape;
use super::shown::ShownData;
use super::store::EntityStore;

/// Names one observer (a mounted component reading a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObserverId(u64);

/// A fetch the host must perform now, then report with
/// [`QueryClient::resolve`] quoting `fetch_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchStart {
    /// The query to fetch.
    pub key: QueryKey,
    /// Quote it back in `resolve`; results of older ids are ignored.
    pub fetch_id: FetchId,
    /// For an infinite query: which page to fetch.
    pub page: Option<PageRequest>,
}

/// What one observer sees of its query.
#[derive(Debug, Clone)]
pub struct QueryView<'a> {
    /// The query's key.
    pub key: &'a QueryKey,
    /// The full state.
    pub state: &'a QueryState,
    /// The data to show: the query's own, else the previous key's (with
    /// `keep_previous_data`), else the placeholder; a shaped query's
    /// entities as the store shows them.
    pub data: Option<Cow<'a, Value>>,
    /// Whether `data` is not the query's own.
    pub is_placeholder: bool,
    /// Whether the data is stale by the query's `stale_time`.
    pub is_stale: bool,
}

impl QueryView<'_> {
    /// The shown data as a `T`.
    pub fn data_as<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.data
            .as_deref()
            .map(|data| serde_json::from_value(data.clone()))
    }
}

/// One cached query and its timers.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) key: QueryKey,
    pub(super) state: QueryState,
    pub(super) options: QueryOptions,
    pub(super) observers: usize,
    /// Set while unobserved: when to drop the query.
    pub(super) gc_at: Option<Millis>,
    /// Set while a failed attempt waits for its retry.
    pub(super) retry_at: Option<Millis>,
    /// Set while observed and polling: when to refetch.
    pub(super) poll_at: Option<Millis>,
    /// Set while an infinite query's fetch is under way.
    pub(super) pages: Option<PageFetch>,
    /// The batch that last reported this query changed (see `notify.rs`).
    noted: u64,
    /// A shaped query's data as readers see it (its rows the visible
    /// store's entities), kept current by every write and every change to
    /// an entity it holds (`normalized.rs`), so a read borrows it.
    /// Boxed: most queries are plain and hold none.
    pub(super) shown: Option<Box<ShownData>>,
}

impl Entry {
    /// The query's own data as readers see it.
    pub(super) fn data_shown(&self) -> Option<Cow<'_, Value>> {
        match self.options.shape {
            Shape::Opaque => self.state.data.as_ref().map(Cow::Borrowed),
            _ => self.shown.as_ref().map(|s| Cow::Borrowed(s.json())),
        }
    }

    /// Runs the reducer on this query (whose key hashes to `hash`) and
    /// tells `notifier` if anything changed.
    pub(super) fn reduce(&mut self, hash: &KeyHash, action: QueryAction, notifier: &mut Notifier) {
        if apply(&mut self.state, action) {
            notifier.changed(hash, &mut self.noted);
        }
    }
}

#[derive(Debug)]
struct ObserverRec {
    hash: KeyHash,
    previous: Option<Value>,
}

/// The cache of queries; see the module docs.
pub struct QueryClient {
    clock: Arc<dyn Clock>,
    defaults: QueryOptions,
    /// Boxed: an entry is large, and a node of the tree moves its values
    /// around on every insert.
    pub(super) entries: BTreeMap<KeyHash, Box<Entry>>,
    observers: HashMap<ObserverId, ObserverRec>,
    next_observer: u64,
    pub(super) next_fetch: u64,
    pub(super) online: bool,
    pub(super) notifier: Notifier,
    /// Every user and post the cached queries hold, each once.
    pub(super) store: EntityStore,
    pub(super) holders: Holders,
    shapes: Option<ShapeOf>,
}

/// A key's [`Shape`] by the application's key scheme (see
/// [`QueryClient::set_shapes`]).
pub type ShapeOf = Arc<dyn Fn(&QueryKey) -> Shape + Send + Sync>;

impl fmt::Debug for QueryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryClient")
            .field("queries", &self.entries.len())
            .field("observers", &self.observers.len())
            .field("online", &self.online)
            .finish()
    }
}

impl QueryClient {
    /// An empty, online client reading time from `clock`.
    pub fn new(clock: impl Clock + 'static) -> Self {
        Self::with_defaults(clock, QueryOptions::default())
    }

    /// Like [`QueryClient::new`], with the options used for queries first
    /// created without any (by `set_query_data`, `fetch`, hydration).
    pub fn with_defaults(clock: impl Clock + 'static, defaults: QueryOptions) -> Self {
        Self {
            clock: Arc::new(clock),
            defaults,
            entries: BTreeMap::new(),
            observers: HashMap::new(),
            next_observer: 0,
            next_fetch: 0,
            online: true,
            notifier: Notifier::default(),
            store: EntityStore::default(),
            holders: Holders::default(),
            shapes: None,
        }
    }

    /// Where the shape of a query whose options leave it
    /// [`Shape::Opaque`] comes from: the application's key scheme, so a
    /// query is normalized from its first write (hydration, prefetch,
    /// `set_query_data`) without every caller declaring it.
    pub fn set_shapes(&mut self, shapes: impl Fn(&QueryKey) -> Shape + Send + Sync + 'static) {
        self.shapes = Some(Arc::new(shapes));
    }

    /// `options` with the key scheme's shape when they declare none.
    fn shaped(&self, key: &QueryKey, mut options: QueryOptions) -> QueryOptions {
        if let (Shape::Opaque, Some(shapes)) = (&options.shape, &self.shapes) {
            options.shape = shapes(key);
        }
        options
    }

    /// The clock's time.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Whether the host last reported the network as up.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// Runs `f` as one batch: listeners hear once, after it, about every
    /// key it changed. Batches nest; only the outermost one notifies.
    pub fn batch<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.notifier.begin();
        let out = f(self);
        self.notifier.end();
        out
    }

    /// Calls `listener` once per batch that changed anything.
    pub fn subscribe(
        &mut self,
        listener: impl FnMut(&Notification) + Send + 'static,
    ) -> ListenerId {
        self.notifier.subscribe(Box::new(listener))
    }

    /// Stops calling a listener; `false` if it was unknown.
    pub fn unsubscribe(&mut self, id: ListenerId) -> bool {
        self.notifier.unsubscribe(id)
    }

    /// Starts observing `key` with `options` (which become the query's).
    /// Cancels a pending gc. Does not fetch: call [`QueryClient::fetch`].
    pub fn observe(&mut self, key: &QueryKey, options: QueryOptions) -> ObserverId {
        self.batch(|c| {
            let hash = c.ensure(key, Some(options));
            c.attach(&hash);
            c.next_observer += 1;
            let id = ObserverId(c.next_observer);
            c.observers.insert(
                id,
                ObserverRec {
                    hash,
                    previous: None,
                },
            );
            id
        })
    }

    /// Stops an observer; the last one leaving schedules gc at
    /// now + `gc_time`. `false` if the observer was unknown.
    pub fn unobserve(&mut self, id: ObserverId) -> bool {
        match self.observers.remove(&id) {
            Some(rec) => {
                self.batch(|c| c.detach(&rec.hash));
                true
            }
            None => false,
        }
    }

    /// Points an observer at another key (a new page, a new filter),
    /// remembering the old key's data for `keep_previous_data`.
    pub fn retarget(&mut self, id: ObserverId, key: &QueryKey, options: QueryOptions) -> bool {
        let Some(old) = self.observers.get(&id).map(|r| r.hash.clone()) else {
            return false;
        };
        self.batch(|c| {
            let hash = c.ensure(key, Some(options));
            if hash == old {
                return;
            }
            let shown = c.entries.get(&old).and_then(|e| e.state.data.clone());
            c.attach(&hash);
            c.detach(&old);
            let rec = c.observers.get_mut(&id).expect("checked above");
            rec.previous = shown.or(rec.previous.take());
            rec.hash = hash;
        });
        true
    }

    /// What observer `id` sees, if it and its query exist.
    pub fn view(&self, id: ObserverId) -> Option<QueryView<'_>> {
        let rec = self.observers.get(&id)?;
        let e = self.entries.get(&rec.hash)?;
        let fallback = || {
            let previous = rec
                .previous
                .as_ref()
                .filter(|_| e.options.keep_previous_data);
            previous.or(e.options.placeholder_data.as_ref())
        };
        let (data, is_placeholder) = match &e.state.data {
            Some(_) => (e.data_shown(), false),
            None => {
                let shown = fallback().and_then(|data| self.shown(&e.options.shape, data));
                let placeholder = shown.is_some();
                (shown, placeholder)
            }
        };
        Some(QueryView {
            key: &e.key,
            state: &e.state,
            data,
            is_placeholder,
            is_stale: e.state.is_stale(self.now(), e.options.stale_time),
        })
    }

    /// How many observers `key` has.
    pub fn observer_count(&self, key: &QueryKey) -> usize {
        self.entries.get(&key.hash()).map_or(0, |e| e.observers)
    }

    /// The state of `key`, if cached.
    pub fn state(&self, key: &QueryKey) -> Option<&QueryState> {
        self.entries.get(&key.hash()).map(|e| &e.state)
    }

    /// The state of the query whose key hashes to `hash` (as a
    /// [`Notification`] names it).
    pub fn state_of(&self, hash: &KeyHash) -> Option<&QueryState> {
        self.entries.get(hash).map(|e| &e.state)
    }

    /// The options of `key`, if cached.
    pub fn options(&self, key: &QueryKey) -> Option<&QueryOptions> {
        self.entries.get(&key.hash()).map(|e| &e.options)
    }

    /// The data of `key`, if any; a shaped query's entities as the store
    /// shows them.
    pub fn query_data(&self, key: &QueryKey) -> Option<Cow<'_, Value>> {
        self.entries.get(&key.hash())?.data_shown()
    }

    /// The data of shaped query `key` as shown, its rows the store's own
    /// entities (no JSON built); `None` for an unshaped query or one with
    /// no data.
    pub fn query_shown(&self, key: &QueryKey) -> Option<&ShownData> {
        self.entries.get(&key.hash())?.shown.as_deref()
    }

    /// The data of `key` as a `T`, if any.
    pub fn query_data_as<T: DeserializeOwned>(
        &self,
        key: &QueryKey,
    ) -> Option<Result<T, serde_json::Error>> {
        self.query_data(key)
            .map(|data| serde_json::from_value(data.into_owned()))
    }

    /// Every cached query, in key-hash order (for devtools).
    pub fn queries(&self) -> impl Iterator<Item = (&QueryKey, &QueryState)> {
        self.entries.values().map(|e| (&e.key, &e.state))
    }

    /// Number of cached queries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes `data` as the query's data now, creating the query if needed
    /// (an unobserved new query is gc'd after `gc_time`).
    pub fn set_query_data(&mut self, key: &QueryKey, data: Value) {
        self.batch(|c| {
            let hash = c.ensure(key, None);
            let at = c.now();
            c.dispatch(&hash, QueryAction::SetData { data, at });
        });
    }

    /// Writes `f(current data)` when `f` returns `Some`.
    pub fn update_query_data(
        &mut self,
        key: &QueryKey,
        f: impl FnOnce(Option<&Value>) -> Option<Value>,
    ) -> bool {
        match f(self.query_data(key).as_deref()) {
            Some(data) => {
                self.set_query_data(key, data);
                true
            }
            None => false,
        }
    }

    /// Drops `key` from the cache now. Its observers are detached (their
    /// `view` is `None`; observe again to read it) and a late result of its
    /// fetch is ignored.
    pub fn remove(&mut self, key: &QueryKey) -> bool {
        let hash = key.hash();
        self.batch(|c| c.remove_hash(&hash))
    }

    /// Drops every query now, as one batch: what one signed-in user saw
    /// must not outlive their session, and the entity store with its
    /// optimistic layers goes too (mutations in flight then commit or roll
    /// back a layer that is gone, which does nothing). Observers are
    /// detached as by [`QueryClient::remove`] (observe again to read), late
    /// results are ignored, and nothing is fetched. Returns how many
    /// queries went.
    pub fn clear(&mut self) -> usize {
        let hashes: Vec<KeyHash> = self.entries.keys().cloned().collect();
        self.batch(|c| {
            c.store = EntityStore::default();
            c.notifier.entities_changed();
            hashes.iter().filter(|hash| c.remove_hash(hash)).count()
        })
    }

    /// The query for `key`, created with `options` (or the defaults) if
    /// missing; given `options` replace the existing ones.
    /// Polling follows new options at once: it stops when they have no
    /// interval (or disable the query), an observed, idle query starts
    /// polling when they bring one, and a shorter interval brings the next
    /// poll forward.
    pub(super) fn ensure(&mut self, key: &QueryKey, options: Option<QueryOptions>) -> KeyHash {
        let hash = key.hash();
        let now = self.now();
        let options = options.map(|o| self.shaped(key, o));
        // Data written before the query declared its shape (by hydration,
        // or by hand) is normalized under the new one.
        let reshaped = options.as_ref().and_then(|o| {
            let e = self.entries.get(&hash)?;
            (o.shape != e.options.shape)
                .then(|| e.data_shown())
                .flatten()
                .map(Cow::into_owned)
        });
        if let Some(e) = self.entries.get_mut(&hash) {
            if reshaped.is_some() {
                e.shown = None;
            }
            if let Some(options) = options {
                e.options = options;
                match (e.options.refetch_interval, e.options.enabled) {
                    (Some(every), true) => {
                        let due = after(now, every);
                        if let Some(at) = &mut e.poll_at {
                            *at = (*at).min(due);
                        } else if e.observers > 0 && !e.state.is_fetching() {
                            e.poll_at = Some(due);
                        }
                    }
                    _ => e.poll_at = None,
                }
            }
            if let Some(data) = reshaped {
                self.dispatch(&hash, QueryAction::Patch { data });
            }
            return hash;
        }
        let options = self.shaped(key, options.unwrap_or_else(|| self.defaults.clone()));
        let mut entry = Entry {
            key: key.clone(),
            state: QueryState::default(),
            gc_at: Some(after(self.now(), options.gc_time)),
            options,
            observers: 0,
            retry_at: None,
            poll_at: None,
            pages: None,
            noted: 0,
            shown: None,
        };
        self.notifier.changed(&hash, &mut entry.noted);
        self.entries.insert(hash.clone(), Box::new(entry));
        hash
    }

    pub(super) fn remove_hash(&mut self, hash: &KeyHash) -> bool {
        match self.entries.remove(hash) {
            Some(e) => {
                self.holders.clear(hash);
                if e.observers > 0 {
                    self.observers.retain(|_, r| r.hash != *hash);
                }
                self.notifier.removed(hash, e.noted);
                true
            }
            None => false,
        }
    }

    /// After a fetch settled: gc an unobserved query later, or poll again.
    pub(super) fn after_settle(&mut self, hash: &KeyHash, now: Millis) {
        if let Some(e) = self.entries.get_mut(hash) {
            if e.observers == 0 {
                e.gc_at = Some(after(now, e.options.gc_time));
            } else if let (Some(every), true) = (e.options.refetch_interval, e.options.enabled) {
                e.poll_at = Some(after(now, every));
            }
        }
    }

    fn attach(&mut self, hash: &KeyHash) {
        let now = self.now();
        let e = self.entries.get_mut(hash).expect("ensured");
        e.observers += 1;
        e.gc_at = None;
        if e.poll_at.is_none() && !e.state.is_fetching() && e.options.enabled {
            e.poll_at = e.options.refetch_interval.map(|every| after(now, every));
        }
    }

    /// One observer of `hash` left. When it was the last, nobody waits for
    /// a fetch in flight: it is cancelled (its result will be ignored, and
    /// the host aborts the request), the query keeping what data it had.
    fn detach(&mut self, hash: &KeyHash) {
        let now = self.now();
        let mut abandoned = false;
        if let Some(e) = self.entries.get_mut(hash) {
            e.observers -= 1;
            if e.observers == 0 {
                e.gc_at = Some(after(now, e.options.gc_time));
                e.poll_at = None;
                abandoned = e.state.is_fetching();
            }
        }
        if abandoned {
            self.abandon_fetch(hash);
        }
    }

    /// What a host must start to continue the current fetch of `hash`.
    pub(super) fn start_of(&self, hash: &KeyHash) -> FetchStart {
        let e = &self.entries[hash];
        FetchStart {
            key: e.key.clone(),
            fetch_id: e.state.fetch_id,
            page: e.pages.as_ref().map(|p| p.request.clone()),
        }
    }
}
