//! The query client driven by a fake clock: freshness, dedupe, gc,
//! retries, polling, invalidation, notifications, offline, hydration.

use std::sync::{Arc, Mutex};

use serde_json::json;
use uuid::Uuid;

use crate::cache::*;

const START: Millis = 1_000;

fn setup() -> (FakeClock, QueryClient) {
    let clock = FakeClock::new(START);
    (clock.clone(), QueryClient::new(clock))
}

fn users() -> QueryKey {
    QueryKey::new("users")
}

fn page(n: u64) -> QueryKey {
    users().with(json!({ "page": n }))
}

fn started(d: FetchDecision) -> FetchStart {
    d.into_start().expect("a fetch should start")
}

fn record(client: &mut QueryClient) -> Arc<Mutex<Vec<Notification>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    client.subscribe(move |n| sink.lock().unwrap().push(n.clone()));
    seen
}

#[test]
fn fresh_data_is_not_refetched_within_stale_time() {
    let (clock, mut c) = setup();
    c.observe(&users(), QueryOptions::default().stale_time(10_000));
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    assert_eq!(f.page, None);
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Ok(json!([1]))),
        Resolution::Settled
    );
    assert_eq!(c.state(&users()).unwrap().data_updated_at, START);

    clock.advance(9_999);
    assert_eq!(
        c.fetch(&users(), FetchPolicy::IfStale),
        FetchDecision::Fresh
    );
    clock.advance(1);
    let refetch = started(c.fetch(&users(), FetchPolicy::IfStale));
    c.resolve(&users(), refetch.fetch_id, Ok(json!([2])));
    assert_eq!(
        c.fetch(&users(), FetchPolicy::IfStale),
        FetchDecision::Fresh
    );
    assert!(
        c.fetch(&users(), FetchPolicy::Force).should_start(),
        "forced"
    );
}

#[test]
fn an_in_flight_fetch_is_joined_not_repeated() {
    let (_, mut c) = setup();
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    assert_eq!(
        c.fetch(&users(), FetchPolicy::IfStale),
        FetchDecision::Joined(f.fetch_id)
    );
    assert_eq!(
        c.fetch(&users(), FetchPolicy::Force),
        FetchDecision::Joined(f.fetch_id)
    );
    assert_eq!(
        c.prefetch(&users(), QueryOptions::default()),
        FetchDecision::Joined(f.fetch_id)
    );
    assert_eq!(
        c.state(&users()).unwrap().fetch_status,
        FetchStatus::Fetching
    );
}

#[test]
fn results_of_superseded_fetches_are_ignored() {
    let (_, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let old = started(c.fetch(&users(), FetchPolicy::IfStale));
    let new = c.invalidate_prefix(&users());
    assert_eq!(new.len(), 1);
    assert_ne!(new[0].fetch_id, old.fetch_id);
    assert_eq!(
        c.resolve(&users(), old.fetch_id, Ok(json!("old"))),
        Resolution::Ignored
    );
    assert_eq!(c.query_data(&users()), None);
    assert_eq!(
        c.resolve(&users(), new[0].fetch_id, Ok(json!("new"))),
        Resolution::Settled
    );
    assert_eq!(
        c.resolve(&users(), new[0].fetch_id, Ok(json!("again"))),
        Resolution::Ignored
    );
    assert_eq!(c.query_data(&users()).as_deref(), Some(&json!("new")));
    assert_eq!(
        c.resolve(&QueryKey::new("nope"), FetchId(1), Ok(json!(1))),
        Resolution::Ignored
    );
}

#[test]
fn gc_runs_after_the_last_observer_and_a_new_one_cancels_it() {
    let (clock, mut c) = setup();
    let opts = QueryOptions::default().gc_time(60_000);
    let a = c.observe(&users(), opts.clone());
    let b = c.observe(&users(), opts.clone());
    assert_eq!(c.observer_count(&users()), 2);
    assert_eq!(c.next_deadline(), None);
    c.unobserve(a);
    assert_eq!(c.next_deadline(), None, "one observer is left");
    c.unobserve(b);
    assert!(!c.unobserve(b));
    assert_eq!(c.next_deadline(), Some(START + 60_000));

    clock.advance(59_999);
    assert!(c.tick(clock.now()).is_empty());
    assert_eq!(c.len(), 1);
    let again = c.observe(&users(), opts.clone());
    assert_eq!(c.next_deadline(), None, "gc cancelled");
    clock.advance(10);
    c.tick(clock.now());
    assert_eq!(c.len(), 1);

    let seen = record(&mut c);
    c.unobserve(again);
    assert_eq!(c.next_deadline(), Some(clock.now() + 60_000));
    clock.advance(60_000);
    c.tick(clock.now());
    assert!(c.is_empty());
    assert_eq!(
        seen.lock().unwrap().last().unwrap().removed,
        [users().hash()]
    );
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn gc_waits_for_an_in_flight_fetch() {
    let (clock, mut c) = setup();
    let f = started(c.prefetch(&users(), QueryOptions::default().gc_time(100)));
    clock.advance(100);
    c.tick(clock.now());
    assert_eq!(c.len(), 1, "still fetching");
    assert_eq!(c.next_deadline(), None);
    c.resolve(&users(), f.fetch_id, Ok(json!(1)));
    assert_eq!(c.next_deadline(), Some(clock.now() + 100));
    clock.advance(100);
    c.tick(clock.now());
    assert!(c.is_empty());
}

#[test]
fn retries_back_off_exponentially_then_fail() {
    let (clock, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    let net = || Err(QueryError::transient("network down").with_code("network"));
    let mut at = clock.now();
    for (n, delay) in [(1, 1_000), (2, 2_000), (3, 4_000)] {
        assert_eq!(
            c.resolve(&users(), f.fetch_id, net()),
            Resolution::RetryAt(at + delay)
        );
        let s = c.state(&users()).unwrap();
        assert_eq!(
            (s.failure_count, s.fetch_status),
            (n, FetchStatus::Fetching)
        );
        assert_eq!(c.next_deadline(), Some(at + delay));
        assert_eq!(
            c.resolve(&users(), f.fetch_id, net()),
            Resolution::Ignored,
            "waiting"
        );
        assert_eq!(
            c.fetch(&users(), FetchPolicy::IfStale),
            FetchDecision::Joined(f.fetch_id)
        );
        clock.set(at + delay - 1);
        assert!(c.tick(clock.now()).is_empty());
        at = clock.advance(1);
        assert_eq!(
            c.tick(at),
            std::slice::from_ref(&f),
            "the retry reuses the fetch id"
        );
    }
    assert_eq!(c.resolve(&users(), f.fetch_id, net()), Resolution::Settled);
    let s = c.state(&users()).unwrap();
    assert_eq!((s.status, s.failure_count), (QueryStatus::Error, 4));
    assert_eq!(s.error.as_ref().unwrap().code.as_deref(), Some("network"));
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn a_retry_waits_for_the_servers_retry_after() {
    let (clock, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    let busy = |wait| {
        Err(QueryError::transient("busy")
            .with_code("busy")
            .with_retry_after(wait))
    };
    // Longer than the first backoff (1 s): the server's wait.
    assert_eq!(
        c.resolve(&users(), f.fetch_id, busy(5_000)),
        Resolution::RetryAt(START + 5_000)
    );
    clock.advance(4_999);
    assert!(
        c.tick(clock.now()).is_empty(),
        "not before the server's wait"
    );
    clock.advance(1);
    assert_eq!(c.tick(clock.now()), std::slice::from_ref(&f));
    // Shorter than the second backoff (2 s): the backoff.
    let now = clock.now();
    assert_eq!(
        c.resolve(&users(), f.fetch_id, busy(500)),
        Resolution::RetryAt(now + 2_000)
    );
}

#[test]
fn a_retry_after_longer_than_any_retry_ends_the_retries() {
    let (_, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    let wait = RetryPolicy::default().max_delay + 1;
    let error = QueryError::transient("busy").with_retry_after(wait);
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Err(error)),
        Resolution::Settled
    );
    let s = c.state(&users()).unwrap();
    assert_eq!((s.status, s.failure_count), (QueryStatus::Error, 1));
    assert_eq!(s.error.as_ref().unwrap().retry_after, Some(wait));
    assert_eq!(c.next_deadline(), None, "no retry scheduled");
}

#[test]
fn clear_drops_every_query_detaches_observers_and_ignores_late_answers() {
    let (_, mut c) = setup();
    let posts = QueryKey::new("posts");
    let watcher = c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    c.set_query_data(&posts, json!(["a post"]));
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&heard);
    c.subscribe(move |n: &Notification| sink.lock().unwrap().push(n.clone()));

    assert_eq!(c.clear(), 2);
    assert!(c.is_empty());
    assert!(c.view(watcher).is_none(), "the observer is detached");
    assert_eq!(heard.lock().unwrap().len(), 1, "one batch announces it");
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Ok(json!("late"))),
        Resolution::Ignored
    );
    assert!(c.is_empty(), "a late answer brings nothing back");
    assert_eq!(c.next_deadline(), None);
    assert_eq!(c.clear(), 0);
}

#[test]
fn the_last_observer_leaving_cancels_the_fetch_and_keeps_the_data() {
    let (_clock, mut c) = setup();
    let obs = c.observe(&users(), QueryOptions::default());
    let first = started(c.fetch(&users(), FetchPolicy::IfStale));
    c.resolve(&users(), first.fetch_id, Ok(json!(1)));
    c.invalidate_prefix(&users());
    let refetch = c.state(&users()).unwrap().fetch_id;
    assert!(c.state(&users()).unwrap().is_fetching());

    let seen = record(&mut c);
    c.unobserve(obs);
    let state = c.state(&users()).unwrap();
    assert!(!state.is_fetching(), "nobody waits: cancelled");
    assert_eq!(state.data, Some(json!(1)), "the data stays");
    assert_eq!(seen.lock().unwrap().len(), 1, "hosts hear it (to abort)");
    assert_eq!(
        c.resolve(&users(), refetch, Ok(json!(2))),
        Resolution::Ignored,
        "a late answer is not taken"
    );

    // Two observers: one leaving cancels nothing.
    let a = c.observe(&users(), QueryOptions::default());
    let b = c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::Force));
    c.unobserve(a);
    assert!(c.state(&users()).unwrap().is_fetching(), "still observed");
    // Moving the last one to another key abandons this key's fetch.
    c.retarget(b, &QueryKey::new("posts"), QueryOptions::default());
    assert!(!c.state(&users()).unwrap().is_fetching());
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Ok(json!(3))),
        Resolution::Ignored
    );
}

#[test]
fn a_dependent_query_fetches_once_its_options_enable_it() {
    let (clock, mut c) = setup();
    let waiting = QueryOptions::default().enabled(false).stale_time(1_000);
    c.observe(&users(), waiting.clone());
    assert_eq!(
        c.fetch(&users(), FetchPolicy::IfStale),
        FetchDecision::Disabled
    );
    assert_eq!(c.set_options(&users(), waiting.clone()), None, "still off");

    // Its input arrived: on, and stale (never fetched), so it fetches now.
    let on = waiting.clone().enabled(true);
    let f = c
        .set_options(&users(), on.clone())
        .expect("enabling fetches");
    assert_eq!(
        c.set_options(&users(), on.clone()),
        None,
        "already on: not again"
    );
    c.resolve(&users(), f.fetch_id, Ok(json!(1)));
    assert_eq!(c.set_options(&users(), on.clone()), None, "already on");

    // Off and on again while fresh: nothing to fetch.
    assert_eq!(c.set_options(&users(), waiting.clone()), None);
    assert_eq!(c.set_options(&users(), on.clone()), None, "fresh");
    // Off and on again once stale: it refetches.
    c.set_options(&users(), waiting.clone());
    clock.advance(1_001);
    assert!(c.set_options(&users(), on).is_some(), "stale: refetches");

    // An unobserved query is not fetched by its options.
    let other = QueryKey::new("posts");
    c.set_options(&other, waiting);
    assert_eq!(c.set_options(&other, QueryOptions::default()), None);
}

#[test]
fn new_options_start_and_stop_polling_at_once() {
    let (clock, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    c.resolve(&users(), f.fetch_id, Ok(json!(1)));
    assert_eq!(c.next_deadline(), None, "not polling");

    clock.advance(1_000);
    c.set_options(&users(), QueryOptions::default().refetch_interval(5_000));
    assert_eq!(c.next_deadline(), Some(START + 6_000), "polls from now");
    clock.advance(5_000);
    let poll = c.tick(clock.now());
    assert_eq!(poll.len(), 1, "the poll fetches");
    c.resolve(&users(), poll[0].fetch_id, Ok(json!(2)));
    assert_eq!(c.next_deadline(), Some(clock.now() + 5_000), "and goes on");

    c.set_options(&users(), QueryOptions::default().refetch_interval(1_000));
    assert_eq!(
        c.next_deadline(),
        Some(clock.now() + 1_000),
        "a shorter interval brings the next poll forward"
    );
    c.set_options(&users(), QueryOptions::default());
    assert_eq!(c.next_deadline(), None, "stops at once");
    clock.advance(10_000);
    assert!(c.tick(clock.now()).is_empty());
}

#[test]
fn permanent_errors_are_not_retried() {
    let (_, mut c) = setup();
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    let r = c.resolve(
        &users(),
        f.fetch_id,
        Err(QueryError::permanent("not found")),
    );
    assert_eq!(r, Resolution::Settled);
    assert_eq!(c.state(&users()).unwrap().status, QueryStatus::Error);
}

#[test]
fn polling_refetches_while_observed() {
    let (clock, mut c) = setup();
    let id = c.observe(&users(), QueryOptions::default().refetch_interval(5_000));
    assert_eq!(c.next_deadline(), Some(START + 5_000));
    let first = started(c.fetch(&users(), FetchPolicy::IfStale));
    assert_eq!(c.next_deadline(), None, "no poll while fetching");
    clock.advance(300);
    c.resolve(&users(), first.fetch_id, Ok(json!(1)));
    assert_eq!(c.next_deadline(), Some(START + 5_300));
    clock.advance(5_000);
    let polls = c.tick(clock.now());
    assert_eq!(polls.len(), 1);
    assert_ne!(polls[0].fetch_id, first.fetch_id);
    c.resolve(&users(), polls[0].fetch_id, Ok(json!(2)));
    assert_eq!(c.next_deadline(), Some(clock.now() + 5_000));
    c.unobserve(id);
    assert_eq!(
        c.next_deadline(),
        Some(clock.now() + 5 * 60_000),
        "only gc is left"
    );
}

#[test]
fn prefix_invalidation_refetches_observed_and_marks_the_rest() {
    let (_, mut c) = setup();
    for k in [page(1), page(2), QueryKey::new("user").with("1")] {
        c.set_query_data(&k, json!("data"));
    }
    c.observe(&page(1), QueryOptions::default().stale_time(60_000));
    let starts = c.invalidate_prefix(&users());
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].key, page(1));
    let p2 = c.state(&page(2)).unwrap();
    assert!(p2.is_invalidated && !p2.is_fetching());
    assert!(
        !c.state(&QueryKey::new("user").with("1"))
            .unwrap()
            .is_invalidated
    );
    // Observing the invalidated page later fetches it despite its age.
    c.observe(&page(2), QueryOptions::default().stale_time(60_000));
    assert!(c.fetch(&page(2), FetchPolicy::IfStale).should_start());
}

#[test]
fn invalidating_an_unobserved_fetch_cancels_it() {
    let (_, mut c) = setup();
    let f = started(c.prefetch(&users(), QueryOptions::default()));
    assert!(c.invalidate_prefix(&QueryKey::root()).is_empty());
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Ok(json!("before the change"))),
        Resolution::Ignored
    );
    assert!(c.state(&users()).unwrap().is_invalidated);
}

#[test]
fn tag_and_event_invalidation() {
    let (_, mut c) = setup();
    let (ada, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let detail = |id: Uuid| QueryKey::new("user").with(id.to_string());
    let posts_of = |id: Uuid| QueryKey::new("posts").with(id.to_string());
    c.observe(&page(1), QueryOptions::default().tags([Tag::Users]));
    c.observe(&detail(ada), QueryOptions::default().tags([Tag::User(ada)]));
    c.observe(&detail(bob), QueryOptions::default().tags([Tag::User(bob)]));
    c.observe(
        &posts_of(ada),
        QueryOptions::default().tags([Tag::UserPosts(ada)]),
    );

    let keys =
        |starts: Vec<FetchStart>| -> Vec<QueryKey> { starts.into_iter().map(|s| s.key).collect() };
    let starts = c.invalidate_tags(&[Tag::User(bob)]);
    assert_eq!(keys(starts), [detail(bob)]);

    let event = json!({"id": ada.to_string(), "name": "Ada"});
    let mut got = keys(c.invalidate_event(EventKind::UserUpdated, &event));
    got.sort_by_key(|k| k.hash());
    let mut want = vec![page(1), detail(ada)];
    want.sort_by_key(|k| k.hash());
    assert_eq!(got, want);

    let gone = json!({"id": ada.to_string()});
    assert_eq!(c.invalidate_event(EventKind::UserDeleted, &gone).len(), 3);
}

#[test]
fn listeners_hear_once_per_batch() {
    let (_, mut c) = setup();
    let seen = record(&mut c);
    c.batch(|c| {
        c.set_query_data(&page(1), json!(1));
        c.set_query_data(&page(2), json!(2));
        c.set_query_data(&page(1), json!(3));
        c.batch(|c| c.set_query_data(&page(3), json!(4)));
    });
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].changed,
            [page(1).hash(), page(2).hash(), page(3).hash()]
        );
    }
    c.set_query_data(&page(1), json!(5));
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(c.invalidate_tags(&[Tag::Posts]).is_empty());
    c.fetch(&page(9), FetchPolicy::IfStale);
    c.batch(|c| {
        c.remove(&page(1));
        c.set_query_data(&page(2), json!(6));
    });
    let seen_now = seen.lock().unwrap();
    assert_eq!(seen_now.len(), 4, "a batch that changed nothing is silent");
    assert_eq!(seen_now[3].removed, [page(1).hash()]);
    assert_eq!(seen_now[3].changed, [page(2).hash()]);
}

#[test]
fn unsubscribed_listeners_are_not_called() {
    let (_, mut c) = setup();
    let count = Arc::new(Mutex::new(0));
    let sink = Arc::clone(&count);
    let id = c.subscribe(move |_| *sink.lock().unwrap() += 1);
    c.set_query_data(&users(), json!(1));
    assert!(c.unsubscribe(id));
    assert!(!c.unsubscribe(id));
    c.set_query_data(&users(), json!(2));
    assert_eq!(*count.lock().unwrap(), 1);
}

#[test]
fn placeholder_and_previous_data() {
    let (_, mut c) = setup();
    c.set_query_data(&page(1), json!(["a"]));
    let opts = QueryOptions::default().keep_previous_data(true);
    let id = c.observe(&page(1), opts.clone());
    let v = c.view(id).unwrap();
    assert_eq!(
        (v.data.as_deref(), v.is_placeholder),
        (Some(&json!(["a"])), false)
    );

    assert!(c.retarget(id, &page(2), opts.clone()));
    let v = c.view(id).unwrap();
    assert_eq!(v.key, &page(2));
    assert_eq!(
        (v.data.as_deref(), v.is_placeholder),
        (Some(&json!(["a"])), true)
    );
    assert_eq!(c.observer_count(&page(1)), 0);
    assert_eq!(c.observer_count(&page(2)), 1);
    c.set_query_data(&page(2), json!(["b"]));
    let v = c.view(id).unwrap();
    assert_eq!(v.data_as::<Vec<String>>().unwrap().unwrap(), ["b"]);
    assert!(!v.is_placeholder);

    let ph = c.observe(&page(7), QueryOptions::default().placeholder(json!([])));
    let v = c.view(ph).unwrap();
    assert_eq!(
        (v.data.as_deref(), v.is_placeholder, v.is_stale),
        (Some(&json!([])), true, true)
    );
}

#[test]
fn offline_fetches_pause_and_resume_on_reconnect() {
    let (clock, mut c) = setup();
    c.observe(&page(1), QueryOptions::default());
    c.observe(&page(2), QueryOptions::default());
    let f2 = started(c.fetch(&page(2), FetchPolicy::IfStale));
    assert!(c.set_online(false).is_empty());
    let FetchDecision::Paused(p1) = c.fetch(&page(1), FetchPolicy::IfStale) else {
        panic!("offline fetch should pause");
    };
    assert_eq!(c.state(&page(1)).unwrap().fetch_status, FetchStatus::Paused);
    // The fetch that was in flight fails for want of network: no retry timer.
    let r = c.resolve(&page(2), f2.fetch_id, Err(QueryError::transient("offline")));
    assert_eq!(r, Resolution::Paused);
    assert_eq!(c.next_deadline(), None);
    clock.advance(1_000);
    let mut resumed: Vec<_> = c
        .set_online(true)
        .into_iter()
        .map(|s| (s.key, s.fetch_id))
        .collect();
    resumed.sort_by_key(|(_, id)| *id);
    assert_eq!(resumed, [(page(2), f2.fetch_id), (page(1), p1)]);
    assert!(c.set_online(true).is_empty(), "already online");
    assert_eq!(c.resolve(&page(1), p1, Ok(json!(1))), Resolution::Settled);
}

#[test]
fn reconnect_and_focus_refetch_stale_observed_queries() {
    let (clock, mut c) = setup();
    c.observe(&page(1), QueryOptions::default().stale_time(1_000));
    let quiet = QueryOptions {
        refetch_on_focus: false,
        ..Default::default()
    };
    c.observe(&page(2), quiet);
    c.set_query_data(&page(1), json!(1));
    c.set_query_data(&page(2), json!(2));
    c.set_query_data(&page(3), json!(3));
    assert!(c.focus().is_empty(), "page 1 is fresh, page 2 opted out");
    clock.advance(1_000);
    let starts = c.focus();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].key, page(1));
    c.set_online(false);
    assert_eq!(c.set_online(true).len(), 1, "page 2 refetches on reconnect");
}

#[test]
fn hydration_avoids_a_second_fetch() {
    let (server_clock, mut server) = setup();
    let f = started(server.fetch(&page(1), FetchPolicy::IfStale));
    server.resolve(&page(1), f.fetch_id, Ok(json!(["ssr"])));
    started(server.fetch(&page(2), FetchPolicy::IfStale));
    let state = server.dehydrate();
    assert_eq!(state.queries.len(), 1, "only settled data travels");
    let text = serde_json::to_string(&state).unwrap();

    let browser_clock = FakeClock::new(server_clock.now() + 200);
    let mut browser = QueryClient::new(browser_clock.clone());
    browser.set_query_data(&page(9), json!("newer"));
    assert_eq!(browser.hydrate(serde_json::from_str(&text).unwrap()), 1);
    browser.observe(&page(1), QueryOptions::default().stale_time(5_000));
    assert_eq!(
        browser.fetch(&page(1), FetchPolicy::IfStale),
        FetchDecision::Fresh
    );
    assert_eq!(
        browser.query_data(&page(1)).as_deref(),
        Some(&json!(["ssr"]))
    );

    let old = DehydratedState {
        queries: vec![DehydratedQuery {
            key: page(9),
            data: json!("older"),
            data_updated_at: 5,
        }],
    };
    assert_eq!(browser.hydrate(old), 0);
    assert_eq!(
        browser.query_data(&page(9)).as_deref(),
        Some(&json!("newer"))
    );
}

#[test]
fn disabled_queries_fetch_only_when_forced() {
    let (_, mut c) = setup();
    c.observe(&users(), QueryOptions::default().enabled(false));
    assert_eq!(
        c.fetch(&users(), FetchPolicy::IfStale),
        FetchDecision::Disabled
    );
    assert!(c.invalidate_prefix(&users()).is_empty());
    assert!(c.fetch(&users(), FetchPolicy::Force).should_start());
}

#[test]
fn cancel_ignores_the_late_result() {
    let (_, mut c) = setup();
    c.observe(&users(), QueryOptions::default());
    let f = started(c.fetch(&users(), FetchPolicy::IfStale));
    assert!(c.cancel(&users()));
    assert!(!c.cancel(&users()));
    assert_eq!(
        c.resolve(&users(), f.fetch_id, Ok(json!(1))),
        Resolution::Ignored
    );
    assert_eq!(c.state(&users()).unwrap().status, QueryStatus::Pending);
}

#[test]
fn direct_writes_and_reads() {
    let (_, mut c) = setup();
    assert!(!c.update_query_data(&users(), |_| None));
    c.set_query_data(&users(), json!([1, 2]));
    assert!(c.update_query_data(&users(), |old| {
        let mut list: Vec<i64> = serde_json::from_value(old?.clone()).ok()?;
        list.push(3);
        Some(json!(list))
    }));
    assert_eq!(
        c.query_data_as::<Vec<i64>>(&users()).unwrap().unwrap(),
        [1, 2, 3]
    );
    assert_eq!(c.queries().count(), 1);
    c.set_options(&users(), QueryOptions::default().stale_time(7));
    assert_eq!(c.options(&users()).unwrap().stale_time, 7);
    let watcher = c.observe(&users(), QueryOptions::default());
    assert!(c.remove(&users()));
    assert!(!c.remove(&users()));
    assert!(c.view(watcher).is_none());
    c.set_query_data(&users(), json!([]));
    assert!(!c.unobserve(watcher), "removal detached the observer");
    assert_eq!(c.observer_count(&users()), 0);
}

#[test]
fn the_client_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<QueryClient>();
    assert_send::<EntityStore>();
    assert_send::<MutationCache>();
}
