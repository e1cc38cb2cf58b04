//! Client code in a real browser (headless Chromium through
//! wasm-bindgen-test): the HTTP client's error paths over real fetches, and
//! the users table narrowing its rendered rows as the search changes.
#![cfg(target_arch = "wasm32")]

use app::api::{http::HttpApi, Api, ApiError, ApiFuture, ApiHandle};
use app::offline::{Connectivity, OfflineSync};
use app::pages::users::params::UsersParams;
use app::pages::users::{filter_rows, UsersState, UsersTable};
use app::query::QueryClientHandle;
use leptos::prelude::*;
use leptos_router::components::Router;
use tidings::fixtures::user;
use tidings::{Page, Pagination, Role, User, UserListQuery};
use uuid::Uuid;
use wasm_bindgen_test::*;

mod support;

wasm_bindgen_test_configure!(run_in_browser);

fn sample() -> Vec<User> {
    vec![
        user(1, "Ada Lovelace", "ada@engine.org", Role::Admin),
        user(2, "Grace Hopper", "grace@navy.mil", Role::Moderator),
        user(3, "Alan Turing", "alan@bletchley.uk", Role::User),
    ]
}

#[wasm_bindgen_test]
async fn an_error_status_becomes_a_typed_http_error() {
    // The test runner's own server has no /api: a real 404 over fetch.
    let err = HttpApi::default()
        .list_users(UserListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_a_network_error() {
    let err = HttpApi::new("http://127.0.0.1:9")
        .get_user(Uuid::nil())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Network(_)), "{err:?}");
}

#[wasm_bindgen_test]
fn search_uses_the_shared_filter() {
    let rows = sample();
    let names = |q: &str| {
        filter_rows(&rows, q)
            .into_iter()
            .map(|u| u.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("AL"), ["Alan Turing"]);
    assert_eq!(names("navy"), ["Grace Hopper"]);
    assert_eq!(names("").len(), 3);
}

fn rendered_names(root: &web_sys::Element) -> Vec<String> {
    let cells = root.query_selector_all("[data-testid=user-name]").unwrap();
    (0..cells.length())
        .map(|i| cells.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn table_rows_follow_the_search_signal() {
    let host = support::host();
    let (search, set_search) = signal(String::new());
    let page = Page {
        data: sample(),
        pagination: Pagination::new(1, 25, 3),
    };
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        let client = QueryClientHandle::new();
        client.provide();
        ApiHandle::new(HttpApi::default()).provide();
        // The page's writes go through an outbox (unused here).
        let unsent = |_| -> ApiFuture<serde_json::Value> {
            Box::pin(std::future::ready(Err(ApiError::Aborted)))
        };
        OfflineSync::new(Connectivity::new(), client, unsent, |_, _| {}).provide();
        view! {
            <Router>
                {
                    UsersState::provide();
                    let params = Memo::new(|_| UsersParams::default());
                    view! {
                        <UsersTable
                            page=Signal::stored(Some(page.clone()))
                            busy=Signal::stored(false)
                            params
                            typed=search.into()
                        />
                    }
                }
            </Router>
        }
    });

    assert_eq!(
        rendered_names(&host),
        ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    );
    set_search.set("hopper".into());
    leptos::task::tick().await;
    assert_eq!(rendered_names(&host), ["Grace Hopper"]);
    set_search.set("nobody".into());
    leptos::task::tick().await;
    assert!(rendered_names(&host).is_empty());
    assert!(host
        .query_selector("[data-testid=users-empty]")
        .unwrap()
        .is_some());
}
