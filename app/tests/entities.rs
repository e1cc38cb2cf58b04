//! Fine-grained rendering from the normalized store, in a real browser:
//! rows bound to per-entity and per-field memos. Each cell counts how many
//! times its closure ran, so the tests see exactly which DOM nodes a
//! change re-rendered: renaming one user (from a response, or an
//! optimistic layer and its rollback) re-runs that user's name cell and no
//! other cell; a selector's readers re-run only when its answer changes.
#![cfg(target_arch = "wasm32")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use app::query::{field, use_selector, use_user, QueryClientHandle};
use leptos::prelude::*;
use tidings::cache::{EntityOp, MutationId, StoreOp};
use tidings::{Name, Role, User, UserPatch};
use uuid::Uuid;
use wasm_bindgen_test::*;

mod support;
use support::{host, text};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    for _ in 0..4 {
        leptos::task::tick().await;
    }
}

/// How many times each cell ran, by cell name ("name-1", "role-2", ...).
#[derive(Clone, Default)]
struct Runs(Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<AtomicUsize>>>>);

impl Runs {
    fn counter(&self, cell: &str) -> Arc<AtomicUsize> {
        Arc::clone(self.0.lock().unwrap().entry(cell.to_owned()).or_default())
    }

    fn get(&self, cell: &str) -> usize {
        self.counter(cell).load(Ordering::SeqCst)
    }

    fn all(&self) -> Vec<(String, usize)> {
        let mut all: Vec<_> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.load(Ordering::SeqCst)))
            .collect();
        all.sort();
        all
    }
}

#[component]
fn Row(n: u128, runs: Runs) -> impl IntoView {
    let user = use_user(Uuid::from_u128(n));
    let name = field(user, |u| u.name.to_string());
    let role = field(user, |u| u.role);
    let (name_runs, role_runs) = (
        runs.counter(&format!("name-{n}")),
        runs.counter(&format!("role-{n}")),
    );
    view! {
        <tr>
            <td data-testid=format!("name-{n}")>
                {move || {
                    name_runs.fetch_add(1, Ordering::SeqCst);
                    name.get()
                }}
            </td>
            <td>
                {move || {
                    role_runs.fetch_add(1, Ordering::SeqCst);
                    role.get().map(|r| r.as_str())
                }}
            </td>
        </tr>
    }
}

#[component]
fn AdminCount(runs: Runs) -> impl IntoView {
    let admins = use_selector(|s| {
        s.visible()
            .users
            .iter()
            .filter(|u| u.role == Role::Admin)
            .count()
    });
    let counted = runs.counter("admins");
    view! {
        <p data-testid="admins">
            {move || {
                counted.fetch_add(1, Ordering::SeqCst);
                admins.get()
            }}
        </p>
    }
}

fn users() -> Vec<User> {
    vec![
        tidings::fixtures::user(1, "Ada", "ada@example.com", Role::Admin),
        tidings::fixtures::user(2, "Brook", "brook@example.com", Role::User),
        tidings::fixtures::user(3, "Cyd", "cyd@example.com", Role::Moderator),
    ]
}

fn mount(client: &QueryClientHandle, runs: &Runs) -> (web_sys::HtmlElement, impl Drop) {
    let root = host();
    let (client, runs) = (client.clone(), runs.clone());
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        client.provide();
        let rows = (1..=3)
            .map(|n| view! { <Row n runs=runs.clone()/> })
            .collect_view();
        view! {
            <table><tbody>{rows}</tbody></table>
            <AdminCount runs=runs.clone()/>
        }
    });
    (root, mounted)
}

/// Records `users` as a server answer (a newer version held wins).
fn confirm(client: &QueryClientHandle, users: &[User]) {
    let ops: Vec<StoreOp> = users
        .iter()
        .map(|u| StoreOp::User(EntityOp::Upsert(u.clone())))
        .collect();
    client.confirm_entities(&ops);
}

/// Every counter but `changed` kept the value it had in `before`.
fn only_changed(before: &[(String, usize)], after: &[(String, usize)], changed: &[&str]) {
    for ((cell, was), (_, is)) in before.iter().zip(after) {
        if changed.contains(&cell.as_str()) {
            assert_eq!(*is, was + 1, "{cell} should have re-rendered once");
        } else {
            assert_eq!(is, was, "{cell} should not have re-rendered");
        }
    }
}

#[wasm_bindgen_test]
async fn renaming_one_user_re_renders_only_that_name() {
    let (client, runs) = (QueryClientHandle::new(), Runs::default());
    confirm(&client, &users());
    let (root, _mounted) = mount(&client, &runs);
    settle().await;
    assert_eq!(text(&root, "name-2").as_deref(), Some("Brook"));
    assert_eq!(text(&root, "admins").as_deref(), Some("1"));
    let before = runs.all();

    let mut renamed = users()[1].clone();
    renamed.name = Name::parse("Brooke").unwrap();
    renamed.version = 2;
    confirm(&client, &[renamed]);
    settle().await;

    assert_eq!(text(&root, "name-2").as_deref(), Some("Brooke"));
    assert_eq!(text(&root, "name-1").as_deref(), Some("Ada"));
    only_changed(&before, &runs.all(), &["name-2"]);

    // The same answer again (or an older one) changes nothing at all.
    let before = runs.all();
    confirm(&client, &users());
    settle().await;
    assert_eq!(text(&root, "name-2").as_deref(), Some("Brooke"));
    only_changed(&before, &runs.all(), &[]);
}

#[wasm_bindgen_test]
async fn an_optimistic_rename_and_its_rollback_touch_only_that_cell() {
    let (client, runs) = (QueryClientHandle::new(), Runs::default());
    confirm(&client, &users());
    let (root, _mounted) = mount(&client, &runs);
    settle().await;

    let before = runs.all();
    let patch = UserPatch {
        name: Some(Name::parse("Cydney").unwrap()),
        ..Default::default()
    };
    let op = StoreOp::User(EntityOp::Update {
        id: Uuid::from_u128(3),
        patch,
    });
    client.update(|c| c.apply_layer(MutationId(7), vec![op]));
    settle().await;
    assert_eq!(text(&root, "name-3").as_deref(), Some("Cydney"));
    only_changed(&before, &runs.all(), &["name-3"]);

    let before = runs.all();
    client.update(|c| c.rollback_layer(MutationId(7)));
    settle().await;
    assert_eq!(text(&root, "name-3").as_deref(), Some("Cyd"));
    only_changed(&before, &runs.all(), &["name-3"]);
}

#[wasm_bindgen_test]
async fn a_role_change_re_renders_its_role_cell_and_the_selector() {
    let (client, runs) = (QueryClientHandle::new(), Runs::default());
    confirm(&client, &users());
    let (root, _mounted) = mount(&client, &runs);
    settle().await;

    let before = runs.all();
    let mut promoted = users()[1].clone();
    promoted.role = Role::Admin;
    promoted.version = 2;
    confirm(&client, &[promoted]);
    settle().await;
    assert_eq!(text(&root, "admins").as_deref(), Some("2"));
    only_changed(&before, &runs.all(), &["role-2", "admins"]);
    assert_eq!(
        runs.get("name-2"),
        before.iter().find(|(c, _)| c == "name-2").unwrap().1
    );
}
