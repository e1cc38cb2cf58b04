//! The engine's state kept per user in IndexedDB (feature `hydrate`), so a
//! reload shows the last known pages at once and then revalidates them.
//!
//! One database per user (`tidings.cache.<user id>`) holds one record: the
//! build that wrote it and the engine's [`PersistedState`] (each query as
//! the server last confirmed it, with the changes events brought since,
//! and when it was taken). A page takes it in once it has hydrated, where
//! it is newer than what the page carries: a page the service worker
//! served offline, a route this visit did not render. Only the build that
//! wrote it reads it, and only for a day. From then on each change to the
//! engine saves it again, at most once per [`SAVE_EVERY_MS`]; the tabs of
//! a browser share one record, the last to save wins. A page rendered for
//! nobody deletes every user's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use send_wrapper::SendWrapper;
use serde::{Deserialize, Serialize};
use tidings::cache::{Millis, PersistedState};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbTransactionMode};

use super::database::{self, settled};
use super::shell::build_id;
use crate::js_object::{call, get, settle};
use crate::query::QueryClientHandle;

/// What every user's database is named after.
const PREFIX: &str = "tidings.cache.";
/// The object store, and the key of its one record.
const STORE: &str = "state";
const RECORD: &str = "engine";
/// The longest a change waits to be saved.
const SAVE_EVERY_MS: u64 = 500;
/// Kept state older than this is not shown.
const MAX_AGE_MS: Millis = 24 * 60 * 60 * 1000;

/// The record.
#[derive(Serialize, Deserialize)]
struct Kept {
    build: String,
    state: PersistedState,
}

/// The database of `user`'s kept cache.
pub fn cache_key(user: Uuid) -> String {
    format!("{PREFIX}{user}")
}

/// Takes into `client` what `user`'s last page kept, then keeps its state
/// from now on (in the background).
pub fn keep_cache(client: QueryClientHandle, user: Uuid) {
    leptos::task::spawn_local(async move {
        match database::open(&cache_key(user), STORE, None).await {
            Ok(db) => {
                let build = build_id();
                restore(&client, &db, &build).await;
                save_on_change(&client, db, build);
            }
            Err(e) => leptos::logging::warn!(
                "the cache could not be kept ({e:?}): a reload starts from what the page carries"
            ),
        }
    });
}

async fn read(db: &IdbDatabase) -> Result<Option<Kept>, JsValue> {
    let transaction = db.transaction_with_str(STORE)?;
    let value = settled(&transaction.object_store(STORE)?.get(&RECORD.into())?).await?;
    Ok(value
        .as_string()
        .and_then(|json| serde_json::from_str(&json).ok()))
}

async fn restore(client: &QueryClientHandle, db: &IdbDatabase, build: &str) {
    let kept = match read(db).await {
        Ok(kept) => kept,
        Err(e) => {
            leptos::logging::warn!("the kept cache could not be read: {e:?}");
            None
        }
    };
    let Some(kept) = kept else {
        return;
    };
    let young = client.now().saturating_sub(kept.state.saved_at) <= MAX_AGE_MS;
    if kept.build == build && young {
        client.restore(kept.state);
    }
}

fn save(db: &IdbDatabase, kept: &Kept) -> Result<(), JsValue> {
    let json = serde_json::to_string(kept).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let transaction = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    transaction
        .object_store(STORE)?
        .put_with_key(&json.into(), &RECORD.into())?;
    Ok(())
}

/// Saves `client`'s state to `db`, as written by `build`, now and a
/// moment after each change. The
/// listener holds the client weakly: the engine does not keep itself.
fn save_on_change(client: &QueryClientHandle, db: IdbDatabase, build: String) {
    let db = Arc::new(SendWrapper::new(db));
    let due = Arc::new(AtomicBool::new(false));
    let weak = Arc::downgrade(&client.0);
    let schedule = move || {
        if due.swap(true, Ordering::AcqRel) {
            return;
        }
        let (due, db, weak, build) = (due.clone(), db.clone(), weak.clone(), build.clone());
        leptos::prelude::set_timeout(
            move || {
                due.store(false, Ordering::Release);
                let Some(shared) = weak.upgrade() else {
                    return;
                };
                let state = QueryClientHandle(shared).persist();
                if let Err(e) = save(&db, &Kept { build, state }) {
                    leptos::logging::warn!("the cache could not be kept: {e:?}");
                }
            },
            Duration::from_millis(SAVE_EVERY_MS),
        );
    };
    // What the page holds already (its render, what was restored) counts
    // as a change too.
    schedule();
    client.on_change(schedule);
}

/// Deletes every user's kept cache (in the background): a page rendered
/// for nobody must leave nothing of the last session to read.
pub fn forget_all() {
    leptos::task::spawn_local(async {
        let Ok(factory) = database::factory() else {
            return;
        };
        let Some(listed) = call(&factory.clone().into(), "databases", &[]) else {
            return;
        };
        let Some(listed) = settle(listed).await else {
            return;
        };
        for info in js_sys::Array::from(&listed).iter() {
            let name = get(&info, "name").and_then(|n| n.as_string());
            if let Some(name) = name.filter(|n| n.starts_with(PREFIX)) {
                if let Err(e) = factory.delete_database(&name) {
                    leptos::logging::warn!("the kept cache {name} could not be deleted: {e:?}");
                }
            }
        }
    });
}
