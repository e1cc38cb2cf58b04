//! The realtime manager in a real browser (headless Chromium through
//! wasm-bindgen-test), without a server: two "tabs" (two managers with
//! their own query clients and their own `BroadcastChannel` objects of one
//! name, in one page) share events, each applied exactly once whichever
//! path brings it first; a tab whose socket is down still updates; a cache
//! write is shared with the tabs holding its key; an event refetches the
//! observed queries it invalidates and a `RESYNC` shows `Resyncing` until
//! the refetch of what is shown settles; and a socket to a closed port goes
//! from connecting to offline with a retry scheduled.
#![cfg(target_arch = "wasm32")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app::api::ApiError;
use app::query::{query_key, use_query, QueryClientHandle};
use app::realtime::{
    RealtimeHandle, RealtimeOptions, ScriptedSocket, Status, Transport, RECONNECT,
};
use futures::channel::oneshot;
use leptos::prelude::*;
use serde_json::json;
use tidings::cache::{QueryOptions, Tag};
use tidings::protocol::{ClientFrame, Event, EventKind, ServerFrame, Topic};
use tidings::{Backoff, Email, Jitter, Name, Preferences, Role, User};
use uuid::Uuid;
use wasm_bindgen_test::*;

mod support;
use support::{host, text};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets timers, socket and channel events run for `ms`.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits up to `ms` for `done`.
async fn until(ms: i32, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..ms / 10 {
        if done() {
            return true;
        }
        sleep(10).await;
    }
    done()
}

/// A channel name of this test only (tests share the page).
fn channel_name() -> String {
    format!("tidings-test-{}", js_sys::Math::random())
}

fn ada(name: &str, version: i64) -> User {
    let t = chrono::DateTime::UNIX_EPOCH;
    User {
        id: Uuid::from_u128(1),
        name: Name::parse(name).unwrap(),
        email: Email::parse("ada@engine.org").unwrap(),
        role: Role::User,
        avatar_url: None,
        last_active: t,
        preferences: Preferences::default(),
        created_at: t,
        updated_at: t,
        version,
    }
}

/// `USER_UPDATED` renaming Ada, as event `seq` (Ada's version `seq`).
fn renamed(seq: u64, name: &str) -> ServerFrame {
    renamed_at(seq, name, seq as i64)
}

/// `USER_UPDATED` renaming Ada at `version`, as event `seq`.
fn renamed_at(seq: u64, name: &str, version: i64) -> ServerFrame {
    ServerFrame::Event(Event {
        kind: EventKind::UserUpdated,
        seq,
        ts: chrono::DateTime::UNIX_EPOCH,
        actor: None,
        data: serde_json::to_value(ada(name, version)).unwrap(),
    })
}

/// One tab: its client, its manager and its hand-played socket.
struct Tab {
    client: QueryClientHandle,
    realtime: RealtimeHandle,
    socket: ScriptedSocket,
}

impl Tab {
    /// A tab on `channel` whose socket is open and subscribed at `seq`.
    fn live(channel: &str, seq: u64) -> Self {
        Self::live_with(QueryClientHandle::new(), Some(channel), seq)
    }

    /// A tab feeding `client`, on `channel` if any, subscribed at `seq`.
    /// Its socket, once closed, retries only after a minute (longer than
    /// any test): a retry drawn near 0 ms would change the status a test
    /// reads while it waits.
    fn live_with(client: QueryClientHandle, channel: Option<&str>, seq: u64) -> Self {
        let options = RealtimeOptions::default()
            .transport(Transport::Scripted)
            .backoff(Backoff::new(60_000, 60_000, Jitter::None))
            .channel(channel);
        let realtime = RealtimeHandle::start(client.clone(), options);
        let socket = realtime.scripted().expect("a scripted socket");
        assert_eq!(socket.connects(), 1);
        assert_eq!(realtime.status.get_untracked(), Status::Connecting);
        socket.open();
        socket.receive(ServerFrame::Hello {
            epoch: "e1".into(),
            seq,
        });
        assert_eq!(realtime.status.get_untracked(), Status::Live);
        Tab {
            client,
            realtime,
            socket,
        }
    }

    fn name(&self) -> Option<String> {
        self.client.with_store_untracked(|s| {
            s.visible()
                .users
                .get(&Uuid::from_u128(1))
                .map(|u| u.name.to_string())
        })
    }

    fn store_seq(&self) -> u64 {
        self.client.with_store_untracked(|s| s.last_seq())
    }

    fn revision(&self) -> u64 {
        self.client.with_store_untracked(|s| s.revision())
    }
}

#[wasm_bindgen_test]
async fn an_event_from_another_tab_and_from_the_socket_is_applied_once() {
    let channel = channel_name();
    let (a, b) = (Tab::live(&channel, 5), Tab::live(&channel, 5));
    assert_eq!(
        b.socket.sent(),
        [ClientFrame::Subscribe {
            topics: vec![Topic::Users, Topic::Posts],
            since: 5,
            epoch: Some("e1".into()),
        }]
    );

    // A's socket is first: B takes event 6 over the channel...
    a.socket.receive(renamed(6, "Ada"));
    assert_eq!(a.name().as_deref(), Some("Ada"));
    assert!(until(2_000, || b.store_seq() == 6).await, "B heard A");
    assert_eq!(b.name().as_deref(), Some("Ada"));
    assert_eq!(b.realtime.last_seq.get_untracked(), 6);
    let revision = b.revision();
    // ...and its own socket's copy changes nothing.
    b.socket.receive(renamed(6, "Ada"));
    assert_eq!(b.revision(), revision, "not applied twice");
    let stats = b.realtime.stats();
    assert_eq!(
        (stats.from_tabs, stats.from_socket, stats.duplicates),
        (1, 0, 1)
    );

    // B's socket is first for event 7; A's socket copy comes later.
    b.socket.receive(renamed(7, "Ada B."));
    assert!(until(2_000, || a.store_seq() == 7).await, "A heard B");
    let revision = a.revision();
    a.socket.receive(renamed(7, "Ada B."));
    sleep(50).await;
    assert_eq!(a.revision(), revision);
    assert_eq!(a.name().as_deref(), Some("Ada B."));
    let stats = a.realtime.stats();
    assert_eq!(
        (stats.from_socket, stats.from_tabs, stats.duplicates),
        (1, 1, 1)
    );
    // Neither echoed what it heard: B applied 6 and 7 once each.
    assert_eq!(b.realtime.stats().from_tabs, 1);
    assert_eq!((a.store_seq(), b.store_seq()), (7, 7));

    a.realtime.stop();
    b.realtime.stop();
}

#[wasm_bindgen_test]
async fn a_tab_whose_socket_is_down_still_updates() {
    let channel = channel_name();
    let (a, b) = (Tab::live(&channel, 10), Tab::live(&channel, 10));
    b.socket.close(1006);
    assert_eq!(b.realtime.status.get_untracked(), Status::Offline);
    assert!(b.realtime.retry_at.get_untracked().is_some());

    a.socket.receive(renamed(11, "Ada"));
    a.socket.receive(renamed(14, "Ada L."));
    assert!(until(2_000, || b.store_seq() == 14).await);
    assert_eq!(b.name().as_deref(), Some("Ada L."));
    assert_eq!(b.realtime.stats().from_tabs, 2);
    assert_eq!(b.realtime.status.get_untracked(), Status::Offline);

    a.realtime.stop();
    b.realtime.stop();
}

#[wasm_bindgen_test]
async fn a_socket_to_a_closed_port_goes_offline_with_a_retry_scheduled() {
    let started = js_sys::Date::now() as u64;
    let options = RealtimeOptions::default()
        .url("ws://127.0.0.1:9/api/events")
        .channel(None);
    let realtime = RealtimeHandle::start(QueryClientHandle::new(), options);
    let status = realtime.status;
    let mut seen = vec![status.get_untracked()];
    let offline = until(10_000, || {
        let now = status.get_untracked();
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        now == Status::Offline
    })
    .await;
    assert!(offline, "went offline: {seen:?}");
    let retry_at = realtime
        .retry_at
        .get_untracked()
        .expect("a retry is scheduled");
    let now = js_sys::Date::now() as u64;
    // A retry drawn near 0 ms can fail again between two samples, so the
    // tab may be on a later attempt: its retry lies within that attempt's
    // backoff window, and every attempt went through connecting.
    let connects = realtime.stats().connects;
    assert!(connects >= 1);
    let window = RECONNECT.ceiling(connects as u32 - 1);
    assert!(
        retry_at >= started && retry_at <= now + window,
        "retry at {retry_at}, now {now}, attempt {connects}"
    );
    assert_eq!(seen.first(), Some(&Status::Connecting), "{seen:?}");
    assert!(
        seen.chunks(2).all(|pair| pair[0] == Status::Connecting
            && pair.get(1).is_none_or(|s| *s == Status::Offline)),
        "connecting and offline alternate: {seen:?}"
    );
    assert!(
        until(5_000 + window as i32, || realtime.stats().connects
            > connects)
        .await,
        "the retry happened"
    );
    realtime.stop();
    assert_eq!(realtime.status.get_untracked(), Status::Offline);
    assert_eq!(realtime.retry_at.get_untracked(), None);
}

#[wasm_bindgen_test]
async fn a_shared_cache_write_reaches_the_tabs_holding_its_key() {
    let channel = channel_name();
    let (a, b) = (Tab::live(&channel, 1), Tab::live(&channel, 1));
    let held = query_key(&("user", 1));
    let other = query_key(&("user", 2));
    b.client.set_query_data(&held, &json!({"name": "Ada"}));
    a.realtime
        .share_query_data(&held, &json!({"name": "Ada L."}));
    a.realtime.share_query_data(&other, &json!({"name": "Bob"}));
    assert_eq!(
        a.client.query_data::<serde_json::Value>(&held),
        Some(json!({"name": "Ada L."})),
        "written here too"
    );
    let written = || b.client.query_data::<serde_json::Value>(&held);
    assert!(until(2_000, || written() == Some(json!({"name": "Ada L."}))).await);
    sleep(50).await;
    assert!(!b.client.contains(&other), "B never asked for user 2");
    a.realtime.stop();
    b.realtime.stop();
}

/// Counts fetches; a fetch waits for the gate's receiver when one is set.
#[derive(Clone, Default)]
struct Fetches {
    count: Arc<AtomicUsize>,
    gate: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
}

impl Fetches {
    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Makes the next fetch wait until the returned sender fires.
    fn hold_next(&self) -> oneshot::Sender<()> {
        let (tx, rx) = oneshot::channel();
        *self.gate.lock().unwrap() = Some(rx);
        tx
    }
}

/// The users list, read through `use_query`.
#[component]
fn Names(fetches: Fetches) -> impl IntoView {
    let users = use_query(
        || ("users",),
        move |_| {
            let n = fetches.count.fetch_add(1, Ordering::SeqCst) + 1;
            let gate = fetches.gate.lock().unwrap().take();
            async move {
                if let Some(gate) = gate {
                    let _ = gate.await;
                }
                Ok::<_, ApiError>(vec![format!("Ada {n}")])
            }
        },
        QueryOptions::default().tags([Tag::Users]),
    );
    view! { <p data-testid="names">{move || users.data().get().map(|d| d.join(","))}</p> }
}

#[wasm_bindgen_test]
async fn events_patch_the_store_without_a_fetch_and_resync_refetches_what_is_shown() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let (c, f) = (client.clone(), fetches.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        view! { <Suspense fallback=|| ()><Names fetches=f/></Suspense> }
    });
    assert!(until(2_000, || text(&root, "names").as_deref() == Some("Ada 1")).await);

    let tab = Tab::live_with(client.clone(), None, 5);
    tab.socket.receive(renamed(6, "Ada"));
    assert_eq!(tab.name().as_deref(), Some("Ada"), "the store has it");
    sleep(50).await;
    assert_eq!(fetches.count(), 1, "the event refetched nothing");
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 1"));

    // The log was pruned past this tab: everything shown is refetched.
    let release = fetches.hold_next();
    tab.socket.receive(ServerFrame::Resync {
        epoch: "e2".into(),
        seq: 3,
    });
    assert_eq!(tab.realtime.status.get_untracked(), Status::Resyncing);
    assert_eq!(tab.realtime.last_seq.get_untracked(), 3);
    assert_eq!(tab.store_seq(), 3, "the store follows the new epoch");
    sleep(50).await;
    assert_eq!(
        tab.realtime.status.get_untracked(),
        Status::Resyncing,
        "until the refetch settles"
    );
    release.send(()).unwrap();
    assert!(
        until(2_000, || tab.realtime.status.get_untracked()
            == Status::Live)
        .await
    );
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 2"));
    assert_eq!(fetches.count(), 2);
    // The stream goes on after 3 in the new epoch.
    tab.socket.receive(renamed_at(4, "Ada B.", 7));
    assert_eq!(tab.name().as_deref(), Some("Ada B."));
    tab.realtime.stop();
}
