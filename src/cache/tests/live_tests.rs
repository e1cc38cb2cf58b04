//! Normalized queries and server events through the whole client: entities
//! held once, lists and stats patched by events with no fetch, and a
//! property test that every cached page the engine keeps (or refetches,
//! where it said it could not decide) equals the page the server would
//! answer.

use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

use super::fixtures::{by_name, post, user};
use crate::cache::mutation::MutationId;
use crate::cache::*;
use crate::model::{
    CursorPage, Name, Page, Pagination, Role, SortOrder, User, UserFilter, UserSort, UserStats,
};

fn page_key(filter: &UserFilter, page: u32, limit: u32) -> QueryKey {
    QueryKey::new("users")
        .with("list")
        .with(serde_json::to_value(filter).unwrap())
        .with(page)
        .with(limit)
}

/// The page the server answers for `filter`, `page`, `limit` over `all`.
fn served(all: &[User], filter: &UserFilter, page: u32, limit: u32) -> Page<User> {
    let listed = filter.apply(all);
    let start = ((page - 1) * limit) as usize;
    Page {
        data: listed
            .iter()
            .skip(start)
            .take(limit as usize)
            .map(|u| (*u).clone())
            .collect(),
        pagination: Pagination::new(page, limit, listed.len() as u64),
    }
}

fn stats_of(all: &[User]) -> UserStats {
    let mut stats = UserStats::default();
    for u in all {
        stats.total += 1;
        // Every fixture user is active "in the future" of the fake clock.
        stats.active_24h += 1;
        stats.active_7d += 1;
        match u.role {
            Role::Admin => stats.by_role.admin += 1,
            Role::Moderator => stats.by_role.moderator += 1,
            Role::User => stats.by_role.user += 1,
        }
    }
    stats
}

fn event(c: &mut QueryClient, seq: u64, kind: EventKind, data: Value) -> EventApplied {
    c.apply_change_event(seq, kind, &data).unwrap()
}

#[test]
fn a_created_user_takes_its_sorted_place_and_the_total_grows_with_no_fetch() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let all = vec![
        user(1, "Ada", Role::User),
        user(2, "Cy", Role::User),
        user(3, "Eve", Role::Admin),
    ];
    let filter = by_name();
    let key = page_key(&filter, 1, 2);
    let obs = c.observe(
        &key,
        QueryOptions::default().shape(Shape::UserPage(filter.clone())),
    );
    c.set_query_data(
        &key,
        serde_json::to_value(served(&all, &filter, 1, 2)).unwrap(),
    );
    let stats = QueryKey::new("users").with("stats");
    c.observe(&stats, QueryOptions::default().shape(Shape::UserStats));
    c.set_query_data(&stats, serde_json::to_value(stats_of(&all)).unwrap());
    assert_eq!(
        c.state(&key).unwrap().data.as_ref().unwrap()["data"][0],
        json!(Uuid::from_u128(1).to_string()),
        "the list holds ids"
    );

    let bea = user(4, "Bea", Role::Moderator);
    let applied = event(
        &mut c,
        1,
        EventKind::UserCreated,
        serde_json::to_value(&bea).unwrap(),
    );
    assert_eq!(applied.outcome, EventOutcome::Applied);
    assert!(applied.starts.is_empty(), "nothing refetches");
    let shown: Page<User> = c.view(obs).unwrap().data_as().unwrap().unwrap();
    let mut grown = all.clone();
    grown.push(bea.clone());
    assert_eq!(shown, served(&grown, &filter, 1, 2));
    assert_eq!(shown.pagination.total, 4);
    let counted: UserStats = c.query_data_as(&stats).unwrap().unwrap();
    assert_eq!(counted, stats_of(&grown));

    let applied = event(&mut c, 2, EventKind::UserDeleted, json!({"id": bea.id}));
    assert_eq!(applied.starts.len(), 1, "page 1 refetches, and only it");
    let shown: Page<User> = c.view(obs).unwrap().data_as().unwrap().unwrap();
    // Page 1 lost a row and page 2 is not cached: the row coming up is
    // unknown here, so the page is refetched.
    assert_eq!(shown.pagination.total, 3);
    assert!(c.state(&key).unwrap().is_invalidated);
    assert_eq!(
        c.query_data_as::<UserStats>(&stats).unwrap().unwrap(),
        stats_of(&all)
    );
}

#[test]
fn a_rename_reaches_every_query_holding_the_post_and_fetches_nothing() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let (a, b) = (post(10, 1), post(11, 2));
    let feed = QueryKey::new("posts").with("feed");
    let detail = QueryKey::new("posts").with("detail").with(10);
    c.observe(&feed, QueryOptions::default().shape(Shape::PostPages));
    c.observe(&detail, QueryOptions::default().shape(Shape::Post));
    let page = CursorPage {
        data: vec![b.clone(), a.clone()],
        next_cursor: None,
        has_more: false,
        prev_cursor: None,
    };
    c.set_query_data(&feed, json!({"pages": [page], "pageParams": [null]}));
    c.set_query_data(&detail, serde_json::to_value(&a).unwrap());
    assert_eq!(c.store().confirmed().posts.len(), 2, "each post held once");
    let revisions = |c: &QueryClient| {
        (
            c.state(&feed).unwrap().data_revision,
            c.state(&detail).unwrap().data_revision,
        )
    };
    let before = revisions(&c);

    let mut renamed = a.clone();
    renamed.title = crate::model::Title::parse("Renamed").unwrap();
    renamed.version = 2;
    let applied = event(
        &mut c,
        1,
        EventKind::PostUpdated,
        serde_json::to_value(&renamed).unwrap(),
    );
    assert!(applied.starts.is_empty());
    assert_eq!(revisions(&c), (before.0 + 1, before.1 + 1));
    assert_eq!(c.query_data(&detail).unwrap()["title"], json!("Renamed"));
    assert_eq!(
        c.query_data(&feed).unwrap()["pages"][0]["data"][1]["title"],
        json!("Renamed")
    );
    assert!(
        matches!(c.query_data(&feed), Some(std::borrow::Cow::Borrowed(_))),
        "a read borrows what the query shows"
    );
    // An older answer arriving late does not undo it.
    c.set_query_data(&detail, serde_json::to_value(&a).unwrap());
    assert_eq!(c.query_data(&detail).unwrap()["title"], json!("Renamed"));

    let applied = event(
        &mut c,
        2,
        EventKind::PostDeleted,
        json!({"id": a.id, "authorId": a.author_id}),
    );
    assert_eq!(
        c.query_data(&feed).unwrap()["pages"][0]["data"],
        json!([serde_json::to_value(&b).unwrap()])
    );
    assert_eq!(
        applied.starts.len(),
        1,
        "the open detail refetches to show it is gone"
    );
}

#[test]
fn an_optimistic_layer_shows_in_every_list_and_its_rollback_restores_them() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let ada = user(1, "Ada", Role::User);
    let filter = UserFilter::default();
    let key = page_key(&filter, 1, 20);
    c.observe(
        &key,
        QueryOptions::default().shape(Shape::UserPage(filter.clone())),
    );
    c.set_query_data(
        &key,
        serde_json::to_value(served(std::slice::from_ref(&ada), &filter, 1, 20)).unwrap(),
    );
    let patch = crate::model::UserPatch {
        name: Some(Name::parse("Ada L.").unwrap()),
        ..Default::default()
    };
    c.apply_layer(
        MutationId(1),
        vec![StoreOp::User(EntityOp::Update { id: ada.id, patch })],
    );
    assert_eq!(
        c.query_data(&key).unwrap()["data"][0]["name"],
        json!("Ada L.")
    );
    assert!(c.rollback_layer(MutationId(1)));
    assert_eq!(c.query_data(&key).unwrap()["data"][0]["name"], json!("Ada"));
}

#[derive(Debug, Clone)]
enum Change {
    Create(u8, Role),
    Rename(usize, u8),
    Promote(usize, Role),
    Delete(usize),
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Admin), Just(Role::Moderator), Just(Role::User)]
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0u8..6, role()).prop_map(|(n, r)| Change::Create(n, r)),
        (any::<usize>(), 0u8..6).prop_map(|(i, n)| Change::Rename(i, n)),
        (any::<usize>(), role()).prop_map(|(i, r)| Change::Promote(i, r)),
        any::<usize>().prop_map(Change::Delete),
    ]
}

fn filter() -> impl Strategy<Value = UserFilter> {
    let sort = prop_oneof![
        Just(UserSort::Name),
        Just(UserSort::Role),
        Just(UserSort::CreatedAt)
    ];
    let order = prop_oneof![Just(SortOrder::Asc), Just(SortOrder::Desc)];
    let search = prop_oneof![
        Just(None),
        Just(Some("a".to_string())),
        Just(Some("e".to_string()))
    ];
    (proptest::option::of(role()), search, sort, order).prop_map(|(role, search, sort, order)| {
        UserFilter {
            search,
            role,
            active: None,
            sort,
            order,
        }
    })
}

const NAMES: [&str; 6] = ["Ada", "Bea", "Cy", "Dee", "Eve", "Al"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_cached_page_equals_the_servers_page_after_any_events(
        seed in proptest::collection::vec((0u8..6, role()), 0..9),
        lists in proptest::collection::vec((filter(), 1u32..4, proptest::collection::btree_set(1u32..5, 1..4)), 1..4),
        changes in proptest::collection::vec(change(), 1..12),
    ) {
        let mut c = QueryClient::new(FakeClock::new(0));
        let mut all: Vec<User> = seed
            .iter()
            .enumerate()
            .map(|(i, (n, r))| user(i as u128 + 1, NAMES[*n as usize], *r))
            .collect();
        let mut next = all.len() as u128 + 1;
        let mut keys = Vec::new();
        for (filter, limit, pages) in &lists {
            for &page in pages {
                let key = page_key(filter, page, *limit);
                c.observe(&key, QueryOptions::default().shape(Shape::UserPage(filter.clone())));
                c.set_query_data(&key, serde_json::to_value(served(&all, filter, page, *limit)).unwrap());
                keys.push((key, filter.clone(), page, *limit));
            }
        }
        let stats = QueryKey::new("users").with("stats");
        c.observe(&stats, QueryOptions::default().shape(Shape::UserStats));
        c.set_query_data(&stats, serde_json::to_value(stats_of(&all)).unwrap());

        for (seq, change) in changes.iter().enumerate() {
            let seq = seq as u64 + 1;
            let (kind, data) = match change {
                Change::Create(n, r) => {
                    let u = user(next, NAMES[*n as usize], *r);
                    next += 1;
                    all.push(u.clone());
                    (EventKind::UserCreated, serde_json::to_value(&u).unwrap())
                }
                Change::Rename(..) | Change::Promote(..) if all.is_empty() => continue,
                Change::Rename(i, n) => {
                    let at = i % all.len();
                    let u = &mut all[at];
                    u.name = Name::parse(NAMES[*n as usize]).unwrap();
                    u.version += 1;
                    (EventKind::UserUpdated, serde_json::to_value(&*u).unwrap())
                }
                Change::Promote(i, r) => {
                    let at = i % all.len();
                    let u = &mut all[at];
                    u.role = *r;
                    u.version += 1;
                    (EventKind::UserUpdated, serde_json::to_value(&*u).unwrap())
                }
                Change::Delete(_) if all.is_empty() => continue,
                Change::Delete(i) => {
                    let u = all.remove(i % all.len());
                    (EventKind::UserDeleted, json!({"id": u.id}))
                }
            };
            c.apply_change_event(seq, kind, &data).unwrap();
            // What the engine could not decide, it refetches: answer those.
            for (key, filter, page, limit) in &keys {
                if c.state(key).unwrap().is_invalidated {
                    c.set_query_data(key, serde_json::to_value(served(&all, filter, *page, *limit)).unwrap());
                }
            }
            for (key, filter, page, limit) in &keys {
                let held: Page<User> = c.query_data_as(key).unwrap().unwrap();
                prop_assert_eq!(&held, &served(&all, filter, *page, *limit), "{:?} after {:?}", key, change);
            }
            // A user this client never saw may be counted: then it asks.
            if c.state(&stats).unwrap().is_invalidated {
                c.set_query_data(&stats, serde_json::to_value(stats_of(&all)).unwrap());
            }
            let counted: UserStats = c.query_data_as(&stats).unwrap().unwrap();
            prop_assert_eq!(counted, stats_of(&all));
        }
    }
}

#[test]
fn the_key_scheme_shapes_queries_from_their_first_write_and_older_answers_lose() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let filter = by_name();
    let scheme = filter.clone();
    c.set_shapes(
        move |key| match key.segments().get(1).and_then(Value::as_str) {
            Some("list") => Shape::UserPage(scheme.clone()),
            _ => Shape::Opaque,
        },
    );
    let all = vec![user(1, "Ada", Role::User), user(2, "Cy", Role::User)];
    let key = page_key(&filter, 1, 2);
    // Written with no options (as hydration does): normalized at once.
    c.set_query_data(
        &key,
        serde_json::to_value(served(&all, &filter, 1, 2)).unwrap(),
    );
    assert_eq!(c.options(&key).unwrap().shape, Shape::UserPage(filter));
    assert_eq!(c.store().confirmed().users.len(), 2);

    let mut renamed = all[0].clone();
    renamed.name = Name::parse("Ada L.").unwrap();
    renamed.version = 2;
    c.confirm_entities(&[StoreOp::User(EntityOp::Upsert(renamed))]);
    // An older copy (a late answer) does not undo the newer one.
    c.confirm_entities(&[StoreOp::User(EntityOp::Upsert(all[0].clone()))]);
    let shown: Page<User> = c.query_data_as(&key).unwrap().unwrap();
    assert_eq!(shown.data[0].name.as_str(), "Ada L.");

    let other = QueryKey::new("session");
    c.set_query_data(&other, json!({"id": 1}));
    assert_eq!(c.options(&other).unwrap().shape, Shape::Opaque);
}

#[test]
fn a_rename_that_keeps_a_user_inside_a_full_page_moves_it_there_with_no_fetch() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let all = vec![
        user(1, "Ada", Role::User),
        user(2, "Cy", Role::User),
        user(3, "Eve", Role::User),
        user(4, "Gus", Role::User),
    ];
    let filter = by_name();
    // Page 1 of 2 is cached; page 2 is not.
    let key = page_key(&filter, 1, 3);
    let obs = c.observe(
        &key,
        QueryOptions::default().shape(Shape::UserPage(filter.clone())),
    );
    c.set_query_data(
        &key,
        serde_json::to_value(served(&all, &filter, 1, 3)).unwrap(),
    );

    let mut renamed = all[0].clone();
    renamed.name = Name::parse("Dot").unwrap();
    renamed.version = 2;
    let applied = event(
        &mut c,
        1,
        EventKind::UserUpdated,
        serde_json::to_value(&renamed).unwrap(),
    );
    assert!(applied.starts.is_empty(), "decided here: nothing refetches");
    assert!(!c.state(&key).unwrap().is_invalidated);
    let shown: Page<User> = c.view(obs).unwrap().data_as().unwrap().unwrap();
    let now = vec![renamed, all[1].clone(), all[2].clone(), all[3].clone()];
    assert_eq!(shown, served(&now, &filter, 1, 3));
    assert_eq!(
        shown
            .data
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["Cy", "Dot", "Eve"]
    );
}

#[test]
fn a_renamed_user_is_one_shared_value_in_every_list_holding_it() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let all = vec![user(1, "Ada", Role::User), user(2, "Cy", Role::User)];
    let filters = [by_name(), UserFilter::default()];
    let keys: Vec<QueryKey> = filters.iter().map(|f| page_key(f, 1, 5)).collect();
    for (key, filter) in keys.iter().zip(&filters) {
        let options = QueryOptions::default().shape(Shape::UserPage(filter.clone()));
        c.set_options(key, options);
        c.set_query_data(
            key,
            serde_json::to_value(served(&all, filter, 1, 5)).unwrap(),
        );
    }
    // Read as JSON once, so the patch must also renew what was built.
    assert_eq!(c.query_data(&keys[0]).unwrap()["data"][0]["name"], "Ada");

    let mut renamed = all[0].clone();
    renamed.name = crate::model::Name::parse("Ada Lovelace").unwrap();
    renamed.version += 1;
    let applied = event(
        &mut c,
        1,
        EventKind::UserUpdated,
        serde_json::to_value(&renamed).unwrap(),
    );
    assert!(applied.starts.is_empty(), "nothing refetches");

    let row = |key: &QueryKey| -> std::sync::Arc<User> {
        let shown = c.query_shown(key).expect("shown");
        match shown.rows().find(|r| r.id() == Some(renamed.id)) {
            Some(Row::User(u)) => u.clone(),
            other => panic!("no user row: {other:?}"),
        }
    };
    let (first, second) = (row(&keys[0]), row(&keys[1]));
    assert_eq!(*first, renamed);
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "both lists hold the store's one value, not copies"
    );
    let held = c.store().visible().users.get_shared(&renamed.id).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, held));
    for key in &keys {
        let json = c.query_data(key).unwrap();
        let names: Vec<&str> = json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Ada Lovelace"), "{names:?}");
    }
}

#[test]
fn a_kept_state_brings_back_what_events_changed_without_layers_unless_the_page_is_newer() {
    let clock = FakeClock::new(1_000);
    let shapes = |key: &QueryKey| match key.to_string().contains("list") {
        true => Shape::UserPage(by_name()),
        false => Shape::Opaque,
    };
    let fresh_client = |clock: &FakeClock| {
        let mut c = QueryClient::new(clock.clone());
        c.set_shapes(shapes);
        c
    };
    let all = vec![user(1, "Ada", Role::User), user(2, "Cy", Role::User)];
    let key = page_key(&by_name(), 1, 20);
    let rendered = serde_json::to_value(served(&all, &by_name(), 1, 20)).unwrap();
    let mut tab = fresh_client(&clock);
    tab.set_query_data(&key, rendered.clone());
    let rendered_at = clock.now();

    // After the render: another user's rename arrives as an event, and this
    // tab's own rename waits as an optimistic layer.
    clock.advance(5_000);
    let mut cy = all[1].clone();
    cy.name = Name::parse("Cyrus").unwrap();
    cy.version = 2;
    event(
        &mut tab,
        1,
        EventKind::UserUpdated,
        serde_json::to_value(&cy).unwrap(),
    );
    let patch = crate::model::UserPatch {
        name: Some(Name::parse("Ada L.").unwrap()),
        ..Default::default()
    };
    tab.apply_layer(
        MutationId(1),
        vec![StoreOp::User(EntityOp::Update {
            id: all[0].id,
            patch,
        })],
    );
    let kept: PersistedState =
        serde_json::from_str(&serde_json::to_string(&tab.persist()).unwrap()).unwrap();
    assert_eq!(kept.saved_at, 6_000);
    let names = |c: &QueryClient| {
        let data = c.query_data(&key).unwrap();
        let rows = data["data"].as_array().unwrap().clone();
        rows.iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    // The same page again, served from a cache (its render older than
    // what was kept): the kept state wins, the layer is not in it.
    clock.advance(60_000);
    let mut reloaded = fresh_client(&clock);
    reloaded.hydrate(DehydratedState {
        queries: vec![DehydratedQuery {
            key: key.clone(),
            data: rendered.clone(),
            data_updated_at: rendered_at,
        }],
    });
    assert_eq!(reloaded.restore(kept.clone()), vec![key.clone()]);
    assert_eq!(names(&reloaded), ["Ada", "Cyrus"]);
    assert_eq!(
        reloaded.state(&key).unwrap().data_updated_at,
        rendered_at,
        "as stale as the fetch it came from"
    );

    // A page rendered after it was kept knows better.
    let mut rendered_later = fresh_client(&clock);
    rendered_later.set_query_data(&key, rendered);
    assert!(rendered_later.restore(kept.clone()).is_empty());
    assert_eq!(names(&rendered_later), ["Ada", "Cy"]);

    // A page that rendered none of it (another route) takes it all in.
    let mut elsewhere = fresh_client(&clock);
    assert_eq!(elsewhere.restore(kept).len(), 1);
    assert_eq!(names(&elsewhere), ["Ada", "Cyrus"]);
    assert_eq!(
        elsewhere.store().confirmed().users.get(&cy.id),
        Some(&cy),
        "its entities are in the store"
    );
}
