//! Online/offline wiring in a real browser: the window's `online` and
//! `offline` events drive [`Connectivity`], and [`OfflineSync`] holds
//! writes while offline, keeps them across a reload (`localStorage`), and
//! replays them in order, each once, when the browser is back online; a
//! replay that gets no answer leaves the write pending and the server
//! marked unreachable.
#![cfg(target_arch = "wasm32")]

use std::sync::{Arc, Mutex};

use app::api::{ApiError, ApiFuture};
use app::offline::{Connectivity, LocalStorage, OfflineSync, OutboxRequest, PendingMutation};
use leptos::prelude::*;
use serde_json::{json, Value};
use tidings::NewPostInput;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Fires `name` (`online` / `offline`) on the window, as the browser does.
fn fire(name: &str) {
    let event = web_sys::Event::new(name).unwrap();
    web_sys::window().unwrap().dispatch_event(&event).unwrap();
}

/// Starts the page's task executor (mounting does), so effects run.
fn start_executor() {
    leptos::mount::mount_to_body(|| ());
}

/// Lets spawned tasks and effects run.
async fn settle() {
    for _ in 0..8 {
        leptos::task::tick().await;
    }
}

fn create(title: &str) -> OutboxRequest {
    OutboxRequest::create_post(&NewPostInput {
        title: Some(title.into()),
        content: Some("c".into()),
        author_id: Some(uuid::Uuid::nil().to_string()),
    })
}

/// A server that records the keys it was sent, answering as told.
#[derive(Clone, Default)]
struct Server {
    sent: Arc<Mutex<Vec<String>>>,
    down: Arc<Mutex<bool>>,
}

impl Server {
    fn send(&self) -> impl Fn(PendingMutation) -> ApiFuture<Value> + Send + Sync + 'static {
        let this = self.clone();
        move |m: PendingMutation| {
            let answer = if *this.down.lock().unwrap() {
                Err(ApiError::Network("connection refused".into()))
            } else {
                this.sent.lock().unwrap().push(m.idempotency_key.clone());
                Ok(json!({ "key": m.idempotency_key }))
            };
            Box::pin(async move { answer })
        }
    }

    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

fn storage_key() -> String {
    format!("outbox-sync-test-{}", js_sys::Math::random())
}

fn keys(sync: &OfflineSync) -> Vec<String> {
    sync.pending()
        .get_untracked()
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect()
}

#[wasm_bindgen_test]
fn window_events_drive_connectivity() {
    let owner = Owner::new();
    owner.with(|| {
        let connectivity = Connectivity::new();
        connectivity.listen();
        let online = connectivity.online();
        assert!(online.get_untracked());
        fire("offline");
        assert!(!online.get_untracked());
        assert!(!connectivity.browser_online().get_untracked());
        fire("online");
        assert!(online.get_untracked());
    });
    owner.cleanup();
    // Listeners went with the owner: events no longer reach it.
}

/// One page's outbox over `localStorage` key `key`, offline from the start.
fn page(key: &str, server: &Server, delivered: Arc<Mutex<Vec<Value>>>) -> OfflineSync {
    let connectivity = Connectivity::new();
    connectivity.listen();
    fire("offline");
    let sync = OfflineSync::new(connectivity, server.send(), move |_, answer| {
        delivered.lock().unwrap().push(answer.clone())
    });
    sync.load(LocalStorage::new(key));
    sync
}

#[wasm_bindgen_test]
async fn offline_writes_survive_a_reload_and_replay_in_order_once() {
    start_executor();
    let key = storage_key();
    let server = Server::default();
    let delivered = Arc::new(Mutex::new(Vec::<Value>::new()));

    let before = Owner::new();
    before.set();
    let first = page(&key, &server, delivered.clone());
    first.enqueue("key-1", create("one"));
    first.enqueue("key-2", create("two"));
    settle().await;
    assert_eq!(keys(&first), ["key-1", "key-2"], "held while offline");
    assert!(server.sent().is_empty(), "nothing sent while offline");
    // The page goes away.
    before.cleanup();
    drop(first);

    // The page reloads, still offline: the writes are still pending.
    let after = Owner::new();
    after.set();
    let reloaded = page(&key, &server, delivered.clone());
    settle().await;
    assert_eq!(keys(&reloaded), ["key-1", "key-2"]);
    assert!(server.sent().is_empty());

    fire("online");
    settle().await;
    assert_eq!(server.sent(), ["key-1", "key-2"], "in order, each once");
    assert!(keys(&reloaded).is_empty());
    assert_eq!(delivered.lock().unwrap().len(), 2);

    // Offline and back again: nothing is sent twice.
    fire("offline");
    fire("online");
    settle().await;
    assert_eq!(server.sent(), ["key-1", "key-2"]);
    after.cleanup();
}

#[wasm_bindgen_test]
async fn a_write_without_answer_stays_pending_and_marks_the_server_unreachable() {
    start_executor();
    let server = Server::default();
    *server.down.lock().unwrap() = true;
    let owner = Owner::new();
    owner.set();
    let connectivity = Connectivity::new();
    let online = connectivity.online();
    let sync = OfflineSync::new(connectivity, server.send(), |_, _| {});
    sync.load(LocalStorage::new(storage_key()));
    sync.enqueue("key-1", create("one"));
    settle().await;
    assert_eq!(keys(&sync), ["key-1"]);
    assert!(!online.get_untracked(), "no answer: unreachable");
    assert_eq!(sync.pending().get_untracked()[0].attempts, 1);

    *server.down.lock().unwrap() = false;
    sync.drain();
    settle().await;
    assert_eq!(server.sent(), ["key-1"]);
    assert!(keys(&sync).is_empty());
    assert!(online.get_untracked(), "an answer came: reachable again");
    owner.cleanup();
}
