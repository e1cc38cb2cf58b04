//! The engine's live lists against a real server over a real SQLite file:
//! for generated users, lists (role and search filters, every sort, both
//! orders, page sizes, some pages cached) and sequences of creations,
//! renames, role changes and deletions made through the API, the engine
//! takes in the server's events and, after each, every page it keeps
//! equals the page the server answers for the same query, and its stats
//! equal the server's. Pages the engine says it cannot decide are
//! refetched (as an observed query would be) before the comparison.

use crate::support;

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{etag, id_of, TestServer};
use tidings::cache::{
    Clock, FetchStart, Millis, QueryClient, QueryKey, QueryOptions, Resolution, Shape,
};
use tidings::{Page, Role, SortOrder, User, UserFilter, UserListQuery, UserSort, UserStats};

/// The wall clock: the server judges `active` by it, and so must the
/// engine's stats.
struct Wall;

impl Clock for Wall {
    fn now(&self) -> Millis {
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
    }
}

const NAMES: [&str; 6] = ["Ada", "bo", "Cy", "Dee", "eve", "Flo"];

/// One list the engine keeps: a filter, a page size, the pages cached.
#[derive(Debug, Clone)]
struct ListSpec {
    filter: UserFilter,
    limit: u32,
    pages: Vec<u32>,
}

/// A write made through the API; `target` picks among the users this
/// case created (the signed-in admin is never touched).
#[derive(Debug, Clone)]
enum Write {
    Create { name: usize, role: Role },
    Rename { target: usize, name: usize },
    SetRole { target: usize, role: Role },
    Delete { target: usize },
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn list_spec() -> impl Strategy<Value = ListSpec> {
    let sort = prop::sample::select(vec![
        UserSort::Name,
        UserSort::Email,
        UserSort::Role,
        UserSort::CreatedAt,
    ]);
    let order = prop::sample::select(vec![SortOrder::Asc, SortOrder::Desc]);
    let search = prop::option::of(prop::sample::select(vec!["a", "e", "o", "example"]));
    (
        prop::option::of(role()),
        search,
        sort,
        order,
        1u32..=3,
        prop::sample::subsequence(vec![1u32, 2, 3], 1..=3),
    )
        .prop_map(|(role, search, sort, order, limit, pages)| ListSpec {
            filter: UserFilter {
                search: search.map(str::to_owned),
                role,
                active: None,
                sort,
                order,
            },
            limit,
            pages,
        })
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (0..NAMES.len(), role()).prop_map(|(name, role)| Write::Create { name, role }),
        (0usize..16, 0..NAMES.len()).prop_map(|(target, name)| Write::Rename { target, name }),
        (0usize..16, role()).prop_map(|(target, role)| Write::SetRole { target, role }),
        (0usize..16).prop_map(|target| Write::Delete { target }),
    ]
}

fn list_key(query: &UserListQuery) -> QueryKey {
    QueryKey::new("users")
        .with("list")
        .with(serde_json::to_value(query).expect("a query serializes"))
}

fn stats_key() -> QueryKey {
    QueryKey::new("users").with("stats")
}

/// The page the server answers for `query`.
async fn served(server: &TestServer, query: &UserListQuery) -> Value {
    let params = query.to_params();
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = server.get_query("/api/users", &pairs).await;
    assert_eq!(reply.status, StatusCode::OK, "{pairs:?}: {}", reply.text);
    reply.json()
}

/// What the server answers for the query `key` names.
async fn answer(server: &TestServer, queries: &[UserListQuery], key: &QueryKey) -> Value {
    if *key == stats_key() {
        return server.fetch("/api/users/stats").await;
    }
    let query = queries
        .iter()
        .find(|q| list_key(q) == *key)
        .expect("a key of this test");
    served(server, query).await
}

/// Performs the engine's fetches against the server.
async fn perform(
    engine: &mut QueryClient,
    server: &TestServer,
    queries: &[UserListQuery],
    mut starts: Vec<FetchStart>,
) {
    while let Some(start) = starts.pop() {
        let data = answer(server, queries, &start.key).await;
        if let Resolution::Continue(next) = engine.resolve(&start.key, start.fetch_id, Ok(data)) {
            starts.push(next);
        }
    }
}

/// Makes `write` through the API; `created` holds the users it may
/// touch, as last answered.
async fn make(server: &TestServer, write: &Write, created: &mut Vec<Value>, serial: &mut u32) {
    let pick =
        |target: usize, created: &[Value]| (!created.is_empty()).then(|| target % created.len());
    match *write {
        Write::Create { name, role } => {
            *serial += 1;
            let body = json!({
                "name": format!("{} {serial}", NAMES[name]),
                "email": format!("u{serial}@example.org"),
                "role": role.as_str(),
            });
            created.push(server.create_user_with(body).await);
        }
        Write::Rename { target, name } => {
            let Some(i) = pick(target, created) else {
                return;
            };
            let path = format!("/api/users/{}", id_of(&created[i]));
            let body = json!({ "name": format!("{} {}", NAMES[name], *serial + 100) });
            let reply = server.patch_if(&path, &etag(&created[i]), &body).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            created[i] = reply.json();
        }
        Write::SetRole { target, role } => {
            let Some(i) = pick(target, created) else {
                return;
            };
            let path = format!("/api/users/{}", id_of(&created[i]));
            let body = json!({ "role": role.as_str() });
            let reply = server.patch_if(&path, &etag(&created[i]), &body).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            created[i] = reply.json();
        }
        Write::Delete { target } => {
            let Some(i) = pick(target, created) else {
                return;
            };
            let path = format!("/api/users/{}", id_of(&created[i]));
            let reply = server.delete_if(&path, &etag(&created[i])).await;
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
            created.remove(i);
        }
    }
}

/// Every page the engine keeps, and its stats, equal the server's answer.
async fn assert_agrees(
    engine: &QueryClient,
    server: &TestServer,
    queries: &[UserListQuery],
    after: &str,
) {
    for query in queries {
        let kept: Page<User> = engine
            .query_data_as(&list_key(query))
            .expect("the page is cached")
            .expect("the page decodes");
        let served: Page<User> =
            serde_json::from_value(served(server, query).await).expect("a page of users");
        assert_eq!(kept, served, "{query:?} after {after}");
    }
    let kept: UserStats = engine
        .query_data_as(&stats_key())
        .expect("the stats are cached")
        .expect("the stats decode");
    let served: UserStats =
        serde_json::from_value(server.fetch("/api/users/stats").await).expect("stats");
    assert_eq!(kept, served, "stats after {after}");
}

async fn run_case(initial: Vec<(usize, Role)>, lists: Vec<ListSpec>, writes: Vec<Write>) {
    let server = TestServer::start().await;
    let (mut created, mut serial) = (Vec::new(), 0);
    for (name, role) in initial {
        make(
            &server,
            &Write::Create { name, role },
            &mut created,
            &mut serial,
        )
        .await;
    }
    let mut seq = server.db.log_state().await.expect("the log").head;

    let mut engine = QueryClient::new(Wall);
    engine.reset_event_seq(seq);
    let queries: Vec<UserListQuery> = lists
        .iter()
        .flat_map(|list| {
            list.pages.iter().map(|&page| UserListQuery {
                filter: list.filter.clone(),
                page,
                limit: list.limit,
            })
        })
        .collect();
    for query in &queries {
        let key = list_key(query);
        let shape = Shape::UserPage(query.filter.clone());
        engine.observe(&key, QueryOptions::default().shape(shape));
        engine.set_query_data(&key, served(&server, query).await);
    }
    let stats = stats_key();
    engine.observe(&stats, QueryOptions::default().shape(Shape::UserStats));
    engine.set_query_data(&stats, server.fetch("/api/users/stats").await);
    assert_agrees(&engine, &server, &queries, "loading").await;

    for (n, write) in writes.iter().enumerate() {
        make(&server, write, &mut created, &mut serial).await;
        let events = server.db.all_events_after(seq).await.expect("the log");
        for event in events {
            seq = event.seq;
            let applied = engine
                .apply_change_event(event.seq, event.kind, &event.data)
                .expect("the server's events parse");
            perform(&mut engine, &server, &queries, applied.starts).await;
        }
        assert_agrees(&engine, &server, &queries, &format!("write {n}: {write:?}")).await;
    }
    server.stop().await;
}

proptest! {
    // Each case starts a server and makes its writes over HTTP.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_cached_page_equals_the_servers_page_after_any_writes(
        initial in prop::collection::vec((0..NAMES.len(), role()), 2..8),
        lists in prop::collection::vec(list_spec(), 1..4),
        writes in prop::collection::vec(write(), 1..12),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(run_case(initial, lists, writes));
    }
}
