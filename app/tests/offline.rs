//! The offline outbox in a real browser: what is queued is in
//! `localStorage` at once, and a new outbox (a reload) finds it in order.
#![cfg(target_arch = "wasm32")]

use app::offline::{LocalStorage, Outbox, OutboxRequest, Verdict};
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

#[wasm_bindgen_test]
fn the_outbox_survives_a_reload() {
    let key = format!("outbox-test-{}", js_sys::Math::random());
    let mut outbox = Outbox::load(LocalStorage::new(&key));
    let first = outbox.enqueue("key-1".into(), create("one"), 1);
    outbox.enqueue("key-2".into(), create("two"), 2);

    let raw = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(&key)
        .unwrap();
    assert!(
        raw.unwrap().contains("key-2"),
        "written through at enqueue time"
    );

    let mut reloaded = Outbox::load(LocalStorage::new(&key));
    let keys: Vec<String> = reloaded
        .pending()
        .iter()
        .map(|m| m.idempotency_key.clone())
        .collect();
    assert_eq!(keys, ["key-1", "key-2"]);

    reloaded.settle(first, &Verdict::Delivered(serde_json::Value::Null));
    let again = Outbox::load(LocalStorage::new(&key));
    assert_eq!(again.len(), 1);
    assert_eq!(again.head().unwrap().idempotency_key, "key-2");
}

#[wasm_bindgen_test]
fn a_corrupt_entry_reads_as_empty() {
    let key = format!("outbox-test-{}", js_sys::Math::random());
    let store = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    store.set_item(&key, "{not json").unwrap();
    let mut outbox = Outbox::load(LocalStorage::new(&key));
    assert!(outbox.is_empty());
    outbox.enqueue("k".into(), create("x"), 1);
    assert_eq!(Outbox::load(LocalStorage::new(&key)).len(), 1);
}
