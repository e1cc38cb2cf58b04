//! Online/offline wiring in a real browser: the window's `online` and
//! `offline` events drive [`Connectivity`], and [`OfflineSync`] holds
//! writes while offline, keeps them across a reload (IndexedDB), and
//! replays them in order, each once, when the browser is back online; a
//! replay that gets no answer leaves the write pending and the server
//! marked unreachable. A queued edit shows in the cache at once and after
//! a reload; refused with 412, it is rolled back to the server's version.
#![cfg(target_arch = "wasm32")]

use std::sync::{Arc, Mutex};

use app::api::{ApiError, ApiFuture};
use app::offline::{
    Connectivity, IndexedDbStorage, OfflineSync, OutboxRequest, OutboxStorage, PendingMutation,
};
use app::query::QueryClientHandle;
use leptos::prelude::*;
use serde_json::{json, Value};
use tidings::cache::{EntityOp, StoreOp};
use tidings::NewPostInput;
use tidings::{Content, Post, PostPatchInput, Title};
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

async fn open(name: &str) -> IndexedDbStorage {
    IndexedDbStorage::open(name).await.expect("IndexedDB opens")
}

/// One page's outbox over database `key`, offline from the start.
async fn page(key: &str, server: &Server, delivered: Arc<Mutex<Vec<Value>>>) -> OfflineSync {
    let connectivity = Connectivity::new();
    connectivity.listen();
    fire("offline");
    let sync = OfflineSync::new(
        connectivity,
        QueryClientHandle::new(),
        server.send(),
        move |_, answer| delivered.lock().unwrap().push(answer.clone()),
    );
    sync.load(open(key).await);
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
    let first = page(&key, &server, delivered.clone()).await;
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
    let reloaded = page(&key, &server, delivered.clone()).await;
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
    let sync = OfflineSync::new(
        connectivity,
        QueryClientHandle::new(),
        server.send(),
        |_, _| {},
    );
    sync.load(open(&storage_key()).await);
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

fn post(title: &str, version: i64) -> Post {
    let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
    Post {
        id: uuid::Uuid::from_u128(7),
        title: Title::parse(title).unwrap(),
        content: Content::parse("words").unwrap(),
        author_id: uuid::Uuid::nil(),
        created_at: at,
        updated_at: at,
        version,
    }
}

fn shown_title(client: &QueryClientHandle) -> Option<String> {
    client.with_store_untracked(|s| {
        s.visible()
            .posts
            .get(&uuid::Uuid::from_u128(7))
            .map(|p| p.title.to_string())
    })
}

#[wasm_bindgen_test]
async fn a_queued_edit_shows_across_a_reload_and_a_412_brings_the_current_version() {
    start_executor();
    let key = storage_key();
    let client = QueryClientHandle::new();
    client.confirm_entities(&[StoreOp::Post(EntityOp::Upsert(post("Mine", 1)))]);
    let edit = OutboxRequest::update_post(
        uuid::Uuid::from_u128(7),
        1,
        &PostPatchInput {
            title: Some("Edited offline".into()),
            content: None,
        },
    );
    let down = |_: PendingMutation| -> ApiFuture<Value> {
        Box::pin(async { Err(ApiError::Network("offline".into())) })
    };

    let before = Owner::new();
    before.set();
    fire("offline");
    let first = OfflineSync::new(Connectivity::new(), client.clone(), down, |_, _| {});
    first.load(open(&key).await);
    first.enqueue("edit-1", edit);
    assert_eq!(
        shown_title(&client).as_deref(),
        Some("Edited offline"),
        "at once"
    );
    before.cleanup();
    drop(first);

    // A reload: a new cache, the write read back from storage.
    let client = QueryClientHandle::new();
    client.confirm_entities(&[StoreOp::Post(EntityOp::Upsert(post("Mine", 1)))]);
    let after = Owner::new();
    after.set();
    let theirs = serde_json::to_value(post("Theirs", 2)).unwrap();
    let conflict = move |_: PendingMutation| -> ApiFuture<Value> {
        let body = json!({"error": {"code": "precondition_failed", "message": "changed", "details": {"current": theirs}}});
        let error = ApiError::from_response(412, &body.to_string());
        Box::pin(async move { Err(error) })
    };
    let connectivity = Connectivity::new();
    connectivity.listen();
    let reloaded = OfflineSync::new(connectivity, client.clone(), conflict, |_, _| {});
    reloaded.load(open(&key).await);
    assert_eq!(shown_title(&client).as_deref(), Some("Edited offline"));

    fire("online");
    settle().await;
    assert!(keys(&reloaded).is_empty(), "refused: it left the queue");
    assert_eq!(shown_title(&client).as_deref(), Some("Theirs"));
    let refusals = reloaded.refusals().get_untracked();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].error.status(), Some(412));
    after.cleanup();
}

#[wasm_bindgen_test]
async fn a_write_saved_in_one_tab_is_heard_and_read_in_another() {
    start_executor();
    let key = storage_key();
    let (here, there) = (open(&key).await, open(&key).await);
    let heard = Arc::new(Mutex::new(0));
    there.on_change({
        let heard = heard.clone();
        move || *heard.lock().unwrap() += 1
    });
    let mut outbox = app::offline::Outbox::load(here.clone());
    outbox.enqueue("key-1".into(), create("one"), 1);
    for _ in 0..50 {
        if *heard.lock().unwrap() > 0 {
            break;
        }
        app::api::browser::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(*heard.lock().unwrap(), 1, "the other tab heard of it");
    let keys: Vec<String> = there
        .load()
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect();
    assert_eq!(keys, ["key-1"], "and reads it");
}
