//! The query bindings in a real browser (headless Chromium through
//! wasm-bindgen-test): small components mounted with `mount_to`, fed by
//! counting fake fetchers (no network). One key read twice is fetched
//! once; data renders; invalidation and a successful mutation refetch an
//! observed query, an unchanged answer re-renders nothing, and a selected
//! part wakes its readers only when it changes; a key
//! change loads the new key; the last observer
//! leaving lets gc drop the query (fake clock, manual ticks); a mutation's
//! optimistic layer shows at once and rolls back on error; an infinite
//! list loads its next page.
#![cfg(target_arch = "wasm32")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app::api::ApiError;
use app::query::{
    query_key, use_infinite_query, use_mutation, use_query, use_query_client, InfiniteQueryResult,
    Mutation, MutationOptions, QueryClientHandle, Timers,
};
use futures::channel::oneshot;
use leptos::prelude::*;
use serde_json::{json, Value};
use tidings::cache::{EntityOp, FakeClock, InfiniteOptions, QueryOptions, StoreOp, Tag};
use tidings::{Name, Role, User, UserPatch};
use wasm_bindgen_test::*;

mod support;
use support::{host, text};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets spawned fetches, resources and render effects run.
async fn settle() {
    for _ in 0..8 {
        leptos::task::tick().await;
    }
}

/// Counts the fetches a fake fetcher made.
#[derive(Clone, Default)]
struct Fetches(Arc<AtomicUsize>);

impl Fetches {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// The next call's number (1 for the first).
    fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// The users list, read through `use_query` with a counting fetcher.
#[component]
fn Names(fetches: Fetches, testid: &'static str) -> impl IntoView {
    let users = use_query(
        || ("users",),
        move |_| {
            let n = fetches.next();
            async move { Ok::<_, ApiError>(vec![format!("Ada {n}")]) }
        },
        QueryOptions::default().tags([Tag::Users]).gc_time(1_000),
    );
    view! { <p data-testid=testid>{move || users.data().get().map(|d| d.join(","))}</p> }
}

#[wasm_bindgen_test]
async fn two_components_with_one_key_make_one_fetch_and_render_it() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let f = fetches.clone();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        client.provide();
        view! {
            <Suspense fallback=|| view! { <p data-testid="fallback">"loading"</p> }>
                <Names fetches=f.clone() testid="first"/>
                <Names fetches=f.clone() testid="second"/>
            </Suspense>
        }
    });
    settle().await;
    assert_eq!(fetches.count(), 1);
    assert_eq!(text(&root, "first").as_deref(), Some("Ada 1"));
    assert_eq!(text(&root, "second").as_deref(), Some("Ada 1"));
    assert_eq!(text(&root, "fallback"), None);
}

#[wasm_bindgen_test]
async fn invalidation_refetches_an_observed_query() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let (c, f) = (client.clone(), fetches.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        view! { <Suspense fallback=|| ()><Names fetches=f testid="names"/></Suspense> }
    });
    settle().await;
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 1"));

    client.invalidate_tags(&[Tag::Users]);
    settle().await;
    assert_eq!(fetches.count(), 2);
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 2"));

    client.invalidate_tags(&[Tag::Posts]);
    settle().await;
    assert_eq!(fetches.count(), 2, "a tag the query does not provide");
}

#[wasm_bindgen_test]
async fn an_unchanged_answer_wakes_no_reader_of_the_data() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let renders = Arc::new(AtomicUsize::new(0));
    let (c, f, r) = (client.clone(), fetches.clone(), Arc::clone(&renders));
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        let list = use_query(
            || ("list",),
            move |_| {
                f.next();
                async move { Ok::<_, ApiError>(vec!["Ada".to_owned(), "Brook".to_owned()]) }
            },
            QueryOptions::default().tags([Tag::Users]),
        );
        let r = Arc::clone(&r);
        view! {
            <Transition fallback=|| ()>
                <p data-testid="list">{move || {
                    r.fetch_add(1, Ordering::SeqCst);
                    list.data().get().map(|names| names.join(", "))
                }}</p>
            </Transition>
        }
    });
    settle().await;
    assert_eq!(text(&root, "list").as_deref(), Some("Ada, Brook"));
    let before = renders.load(Ordering::SeqCst);

    client.invalidate_tags(&[Tag::Users]);
    settle().await;
    assert_eq!(fetches.count(), 2, "the query was fetched again");
    assert_eq!(
        renders.load(Ordering::SeqCst),
        before,
        "the same answer re-renders nothing"
    );
}

#[wasm_bindgen_test]
async fn a_selected_part_wakes_its_readers_only_when_it_changes() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let renders = Arc::new(AtomicUsize::new(0));
    let (c, f, r) = (client.clone(), fetches.clone(), Arc::clone(&renders));
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        let list = use_query(
            || ("list",),
            move |_| {
                // Two names, then other names, then three.
                let n = f.next();
                let names: Vec<String> = match n {
                    1 => vec!["Ada".into(), "Brook".into()],
                    2 => vec!["Cyd".into(), "Dee".into()],
                    _ => vec!["Cyd".into(), "Dee".into(), "Eve".into()],
                };
                async move { Ok::<_, ApiError>(names) }
            },
            QueryOptions::default().tags([Tag::Users]),
        );
        let count = list.select(Vec::len);
        let r = Arc::clone(&r);
        view! {
            <Transition fallback=|| ()>
                <p data-testid="names">{move || list.data().get().map(|n| n.join(", "))}</p>
                <p data-testid="count">{move || {
                    r.fetch_add(1, Ordering::SeqCst);
                    count.get()
                }}</p>
            </Transition>
        }
    });
    settle().await;
    assert_eq!(text(&root, "count").as_deref(), Some("2"));
    let before = renders.load(Ordering::SeqCst);

    client.invalidate_tags(&[Tag::Users]);
    settle().await;
    assert_eq!(text(&root, "names").as_deref(), Some("Cyd, Dee"));
    assert_eq!(
        renders.load(Ordering::SeqCst),
        before,
        "other names, the same count: its reader did not re-run"
    );

    client.invalidate_tags(&[Tag::Users]);
    settle().await;
    assert_eq!(text(&root, "count").as_deref(), Some("3"));
    assert_eq!(renders.load(Ordering::SeqCst), before + 1);
}

#[wasm_bindgen_test]
async fn a_new_key_is_loaded_and_the_old_one_left() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let (id, set_id) = signal(1u32);
    let (c, f) = (client.clone(), fetches.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        let user = use_query(
            move || ("user", id.get()),
            move |(_, id)| {
                f.next();
                async move { Ok::<_, ApiError>(format!("user {id}")) }
            },
            QueryOptions::default(),
        );
        view! {
            <Transition fallback=|| ()>
                <p data-testid="user">{move || user.data().get()}</p>
            </Transition>
        }
    });
    settle().await;
    assert_eq!(text(&root, "user").as_deref(), Some("user 1"));
    set_id.set(2);
    settle().await;
    assert_eq!(text(&root, "user").as_deref(), Some("user 2"));
    assert_eq!(fetches.count(), 2);
    let observers = |id: u32| client.read(|c| c.observer_count(&query_key(&("user", id))));
    assert_eq!((observers(1), observers(2)), (0, 1));
}

#[wasm_bindgen_test]
async fn gc_drops_the_query_after_the_last_observer_leaves() {
    let root = host();
    let clock = FakeClock::new(1_000_000);
    let client = QueryClientHandle::builder()
        .clock(clock.clone())
        .timers(Timers::Manual)
        .build();
    let c = client.clone();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        view! { <Suspense fallback=|| ()><Names fetches=Fetches::default() testid="names"/></Suspense> }
    });
    settle().await;
    let key = query_key(&("users",));
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 1"));
    assert_eq!(client.read(|c| c.observer_count(&key)), 1);

    drop(mounted);
    assert_eq!(client.read(|c| c.observer_count(&key)), 0);
    assert!(client.contains(&key), "kept for gc_time");
    clock.advance(999);
    client.tick();
    assert!(client.contains(&key));
    clock.advance(1);
    client.tick();
    assert!(!client.contains(&key), "gone after gc_time");
}

fn ada() -> User {
    tidings::fixtures::user(1, "Ada", "ada@engine.org", Role::Admin)
}

fn rename(name: &str) -> Vec<StoreOp> {
    let patch = UserPatch {
        name: Some(Name::parse(name).unwrap()),
        ..Default::default()
    };
    vec![StoreOp::User(EntityOp::Update {
        id: ada().id,
        patch,
    })]
}

/// Ada's name as the store shows it.
#[component]
fn AdaName() -> impl IntoView {
    let client = use_query_client();
    view! {
        <p data-testid="ada">
            {move || client.with_store(|s| s.visible().users.get(&ada().id).map(|u| u.name.to_string()))}
        </p>
    }
}

type Answer = Result<String, ApiError>;

#[wasm_bindgen_test]
async fn an_optimistic_layer_shows_at_once_and_rolls_back_on_error() {
    let root = host();
    let client = QueryClientHandle::new();
    client.confirm_entities(&[StoreOp::User(EntityOp::SetAll(vec![ada()]))]);
    let (answer, gate) = oneshot::channel::<Answer>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let exported: Arc<Mutex<Option<Mutation<String, String>>>> = Arc::default();
    let (c, out) = (client.clone(), exported.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        let rename_ada = use_mutation(
            move |_name: String| {
                let gate = gate.lock().unwrap().take().expect("one call");
                async move {
                    gate.await
                        .unwrap_or_else(|_| Err(ApiError::Network("gone".into())))
                }
            },
            MutationOptions::default().on_mutate(|name: &String| rename(name)),
        );
        *out.lock().unwrap() = Some(rename_ada);
        view! { <AdaName/> }
    });
    settle().await;
    assert_eq!(text(&root, "ada").as_deref(), Some("Ada"));

    let mutation = exported.lock().unwrap().unwrap();
    let call = mutation.mutate("Ada L.".into());
    let shown = client.with_store_untracked(|s| s.visible().users.get(&ada().id).cloned());
    assert_eq!(
        shown.unwrap().name.as_str(),
        "Ada L.",
        "in the store at once"
    );
    settle().await;
    assert_eq!(text(&root, "ada").as_deref(), Some("Ada L."));
    assert!(call.pending().get_untracked());
    assert!(mutation.pending().get_untracked());

    let conflict = ApiError::Http {
        status: 409,
        code: "conflict".into(),
        message: "changed meanwhile".into(),
        details: Value::Null,
        retry_after_ms: None,
    };
    answer.send(Err(conflict.clone())).unwrap();
    settle().await;
    assert_eq!(text(&root, "ada").as_deref(), Some("Ada"), "rolled back");
    assert!(!call.pending().get_untracked());
    assert_eq!(call.error().get_untracked(), Some(conflict.clone()));
    assert_eq!(mutation.error().get_untracked(), Some(conflict));
    assert!(client.with_store_untracked(|s| s.layers().is_empty()));
}

#[wasm_bindgen_test]
async fn a_successful_mutation_invalidates_its_tags() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let exported: Arc<Mutex<Option<Mutation<String, String>>>> = Arc::default();
    let (c, f, out) = (client.clone(), fetches.clone(), exported.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        *out.lock().unwrap() = Some(use_mutation(
            |name: String| async move { Ok::<_, ApiError>(name) },
            MutationOptions::default().invalidates([Tag::Users]),
        ));
        view! { <Suspense fallback=|| ()><Names fetches=f testid="names"/></Suspense> }
    });
    settle().await;
    let mutation = exported.lock().unwrap().unwrap();
    let call = mutation.mutate("Grace".into());
    settle().await;
    assert_eq!(call.value().get_untracked().as_deref(), Some("Grace"));
    assert_eq!(mutation.value().get_untracked().as_deref(), Some("Grace"));
    assert_eq!(fetches.count(), 2);
    assert_eq!(text(&root, "names").as_deref(), Some("Ada 2"));
}

/// Page `n` of two, shaped like the users list.
fn numbered(n: u64) -> Value {
    json!({"data": [n], "pagination": {"page": n, "hasNextPage": n < 2, "hasPreviousPage": n > 1}})
}

#[wasm_bindgen_test]
async fn an_infinite_list_loads_its_next_page() {
    let root = host();
    let (client, fetches) = (QueryClientHandle::new(), Fetches::default());
    let exported: Arc<Mutex<Option<InfiniteQueryResult<Value>>>> = Arc::default();
    let (c, f, out) = (client.clone(), fetches.clone(), exported.clone());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        c.provide();
        let feed = use_infinite_query(
            || ("feed",),
            move |_, page: u64| {
                f.next();
                async move { Ok::<_, ApiError>(numbered(page)) }
            },
            InfiniteOptions::page_numbers(1),
            QueryOptions::default(),
        );
        *out.lock().unwrap() = Some(feed);
        view! {
            <Suspense fallback=|| ()>
                <p data-testid="pages">{move || feed.data().get().map(|p| p.len())}</p>
            </Suspense>
        }
    });
    settle().await;
    let feed = exported.lock().unwrap().unwrap();
    assert_eq!(text(&root, "pages").as_deref(), Some("1"));
    assert!(feed.has_next_page().get_untracked());
    assert!(!feed.has_previous_page().get_untracked());

    feed.fetch_next_page();
    assert!(feed.is_fetching_next_page().get_untracked());
    settle().await;
    assert_eq!(text(&root, "pages").as_deref(), Some("2"));
    assert!(!feed.has_next_page().get_untracked());
    assert!(!feed.is_fetching_next_page().get_untracked());
    assert_eq!(fetches.count(), 2);
    let params = client.read(|c| {
        let data = c
            .query_data(&query_key(&("feed",)))
            .map(std::borrow::Cow::into_owned)
            .unwrap();
        data["pageParams"].clone()
    });
    assert_eq!(params, json!([1, 2]));
}
