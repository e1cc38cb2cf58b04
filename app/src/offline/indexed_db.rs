//! The outbox in IndexedDB (feature `hydrate`): one database per user
//! (`tidings.outbox.<user id>`), one record per pending write, keyed by its
//! idempotency key. A user's writes are out of reach of anyone else who
//! signs in on the browser, and they outlive a closed tab.
//!
//! [`OutboxStorage`] is synchronous, so the storage keeps a mirror of the
//! records: read when opened (and again when another tab announces a
//! change, [`IndexedDbStorage::on_change`]), written through at once. A
//! save issues its puts and deletes in one transaction before it returns,
//! so a write queued just before the tab closes is committed all the same;
//! other tabs hear of it over a `BroadcastChannel` once it is.

use std::sync::{Arc, Mutex};

use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, IdbDatabase, IdbTransactionMode};

use super::database::{self, settled};
use super::outbox::PendingMutation;
use super::storage::OutboxStorage;
use crate::query::lock;

/// The object store of the pending writes.
const STORE: &str = "pending";
/// The record's field holding the write as JSON.
const JSON: &str = "json";
/// The record's key field.
const KEY: &str = "idempotencyKey";

/// The records as last read or written: the queue and the next id.
type Mirror = Arc<Mutex<(Vec<PendingMutation>, u64)>>;

/// One user's outbox in IndexedDB; clones share the database and mirror.
#[derive(Clone)]
pub struct IndexedDbStorage {
    db: Arc<SendWrapper<IdbDatabase>>,
    channel: Arc<SendWrapper<Option<BroadcastChannel>>>,
    mirror: Mirror,
}

fn record(m: &PendingMutation) -> Option<JsValue> {
    let record = js_sys::Object::new();
    let json = serde_json::to_string(m).ok()?;
    js_sys::Reflect::set(&record, &KEY.into(), &m.idempotency_key.as_str().into()).ok()?;
    js_sys::Reflect::set(&record, &JSON.into(), &json.into()).ok()?;
    Some(record.into())
}

fn pending(record: &JsValue) -> Option<PendingMutation> {
    let json = js_sys::Reflect::get(record, &JSON.into())
        .ok()?
        .as_string()?;
    serde_json::from_str(&json).ok()
}

impl IndexedDbStorage {
    /// Opens (creating it the first time) database `name` and reads it.
    pub async fn open(name: &str) -> Result<Self, JsValue> {
        let db = database::open(name, STORE, Some(KEY)).await?;
        let channel = BroadcastChannel::new(name).ok();
        let this = Self {
            db: Arc::new(SendWrapper::new(db)),
            channel: Arc::new(SendWrapper::new(channel)),
            mirror: Arc::default(),
        };
        this.refresh().await?;
        Ok(this)
    }

    /// Reads every record again.
    pub async fn refresh(&self) -> Result<(), JsValue> {
        let transaction = self.db.transaction_with_str(STORE)?;
        let all = settled(&transaction.object_store(STORE)?.get_all()?).await?;
        let mut queue: Vec<PendingMutation> = js_sys::Array::from(&all)
            .iter()
            .filter_map(|r| pending(&r))
            .collect();
        queue.sort_by_key(|m| (m.id, m.created_at));
        let mut mirror = lock(&self.mirror);
        let next = queue.last().map_or(1, |m| m.id + 1);
        *mirror = (queue, mirror.1.max(next));
        Ok(())
    }

    /// Calls `f` after another tab changed this outbox (the mirror read
    /// again first), for as long as the storage lives.
    pub fn on_change(&self, f: impl Fn() + 'static) {
        let Some(channel) = (**self.channel).as_ref() else {
            return;
        };
        let this = self.clone();
        let f = std::rc::Rc::new(f);
        let heard = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            let (this, f) = (this.clone(), f.clone());
            leptos::task::spawn_local(async move {
                match this.refresh().await {
                    Ok(()) => f(),
                    Err(e) => leptos::logging::warn!("could not read the outbox: {e:?}"),
                }
            });
        });
        channel.set_onmessage(Some(heard.as_ref().unchecked_ref()));
        heard.forget();
    }

    /// Writes `puts` and deletes `deletes` in one transaction; tells the
    /// other tabs once it committed.
    fn write(&self, puts: &[PendingMutation], deletes: &[String]) -> Result<(), JsValue> {
        let transaction = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
        let store = transaction.object_store(STORE)?;
        for m in puts {
            store.put(&record(m).ok_or("unserializable write")?)?;
        }
        for key in deletes {
            store.delete(&key.as_str().into())?;
        }
        let channel = self.channel.clone();
        let committed = Closure::once_into_js(move |_: JsValue| {
            if let Some(channel) = (**channel).as_ref() {
                let _ = channel.post_message(&"changed".into());
            }
        });
        transaction.set_oncomplete(Some(committed.unchecked_ref()));
        Ok(())
    }
}

impl OutboxStorage for IndexedDbStorage {
    fn load(&self) -> Vec<PendingMutation> {
        lock(&self.mirror).0.clone()
    }

    fn next_id(&self) -> u64 {
        lock(&self.mirror).1.max(1)
    }

    fn save(&self, queue: &[PendingMutation], next_id: u64) {
        let (puts, deletes) = {
            let mut mirror = lock(&self.mirror);
            let puts: Vec<PendingMutation> = queue
                .iter()
                .filter(|m| !mirror.0.contains(m))
                .cloned()
                .collect();
            let deletes: Vec<String> = mirror
                .0
                .iter()
                .filter(|old| {
                    !queue
                        .iter()
                        .any(|m| m.idempotency_key == old.idempotency_key)
                })
                .map(|old| old.idempotency_key.clone())
                .collect();
            *mirror = (queue.to_vec(), next_id);
            (puts, deletes)
        };
        if let Err(e) = self.write(&puts, &deletes) {
            leptos::logging::warn!("could not persist the offline outbox: {e:?}");
        }
    }
}
