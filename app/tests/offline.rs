//! The offline outbox in a real browser: what is queued is in IndexedDB
//! at once, a new outbox (a reload) finds it in order, and a record this
//! build cannot read is skipped rather than failing the rest.
#![cfg(target_arch = "wasm32")]

use app::offline::{IndexedDbStorage, Outbox, OutboxRequest, Verdict};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn create(title: &str) -> OutboxRequest {
    OutboxRequest {
        method: "POST".into(),
        path: "/api/posts".into(),
        body: Some(serde_json::json!({ "title": title })),
        if_match: None,
    }
}

fn database() -> String {
    format!("outbox-test-{}", js_sys::Math::random())
}

async fn open(name: &str) -> IndexedDbStorage {
    IndexedDbStorage::open(name).await.expect("IndexedDB opens")
}

fn keys(outbox: &Outbox<IndexedDbStorage>) -> Vec<String> {
    outbox
        .pending()
        .iter()
        .map(|m| m.idempotency_key.clone())
        .collect()
}

#[wasm_bindgen_test]
async fn the_outbox_survives_a_reload() {
    let name = database();
    let mut outbox = Outbox::load(open(&name).await);
    let first = outbox.enqueue("key-1".into(), create("one"), 1);
    outbox.enqueue("key-2".into(), create("two"), 2);

    // A new page opens the database again: the writes were committed.
    let mut reloaded = Outbox::load(open(&name).await);
    assert_eq!(keys(&reloaded), ["key-1", "key-2"]);

    reloaded.settle(first, &Verdict::Delivered(serde_json::Value::Null));
    let again = Outbox::load(open(&name).await);
    assert_eq!(keys(&again), ["key-2"]);
}

/// Puts a record whose write is not JSON, as an older or broken build
/// might have left.
async fn put_unreadable(name: &str) {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory.open(name).unwrap();
    let opened = js_sys::Promise::new(&mut |resolve, _| request.set_onsuccess(Some(&resolve)));
    JsFuture::from(opened).await.unwrap();
    let db: web_sys::IdbDatabase = request.result().unwrap().dyn_into().unwrap();
    let transaction = db
        .transaction_with_str_and_mode("pending", web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let record = js_sys::Object::new();
    js_sys::Reflect::set(&record, &"idempotencyKey".into(), &"broken".into()).unwrap();
    js_sys::Reflect::set(&record, &"json".into(), &"{not json".into()).unwrap();
    transaction
        .object_store("pending")
        .unwrap()
        .put(&record)
        .unwrap();
    let done = js_sys::Promise::new(&mut |resolve, _| transaction.set_oncomplete(Some(&resolve)));
    JsFuture::from(done).await.unwrap();
    db.close();
}

#[wasm_bindgen_test]
async fn an_unreadable_record_is_skipped() {
    let name = database();
    let mut outbox = Outbox::load(open(&name).await);
    outbox.enqueue("k".into(), create("x"), 1);
    put_unreadable(&name).await;
    let reloaded = Outbox::load(open(&name).await);
    assert_eq!(keys(&reloaded), ["k"]);
}
