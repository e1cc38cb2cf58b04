//! Infinite queries through the client: both directions, `max_pages`,
//! refetching every page, cursors, retries of a page.

use serde_json::{json, Value};

use crate::cache::*;

fn feed() -> QueryKey {
    QueryKey::new("feed")
}

/// Page `n` of a numbered list with pages 1..=last.
fn numbered(n: u64, last: u64) -> Value {
    json!({"data": [n * 10], "pagination": {"page": n, "hasNextPage": n < last, "hasPreviousPage": n > 1}})
}

fn params(c: &QueryClient) -> Vec<Value> {
    InfiniteData::from_value(&c.query_data(&feed()).unwrap())
        .unwrap()
        .page_params
}

fn load(c: &mut QueryClient, d: FetchDecision, last: u64) -> PageRequest {
    let start = d.into_start().expect("a page fetch should start");
    let page = start.page.clone().unwrap();
    let n = page.param.as_u64().unwrap();
    assert_eq!(
        c.resolve(&feed(), start.fetch_id, Ok(numbered(n, last))),
        Resolution::Settled
    );
    page
}

#[test]
fn pages_both_ways_and_drops_from_the_far_end() {
    let clock = FakeClock::new(0);
    let mut c = QueryClient::new(clock);
    let opts = QueryOptions::default().infinite(InfiniteOptions::page_numbers(5).max_pages(3));
    c.observe(&feed(), opts);
    let first = c.fetch(&feed(), FetchPolicy::IfStale);
    assert_eq!(load(&mut c, first, 7).direction, PageDirection::Refetch);
    assert_eq!(params(&c), [json!(5)]);

    let next = c.fetch_next_page(&feed());
    assert_eq!(load(&mut c, next, 7).direction, PageDirection::Forward);
    let prev = c.fetch_previous_page(&feed());
    assert_eq!(load(&mut c, prev, 7).direction, PageDirection::Backward);
    assert_eq!(params(&c), [json!(4), json!(5), json!(6)]);

    let next = c.fetch_next_page(&feed());
    load(&mut c, next, 7);
    assert_eq!(params(&c), [json!(5), json!(6), json!(7)], "page 4 dropped");
    assert_eq!(c.fetch_next_page(&feed()), FetchDecision::NoMorePages);

    for _ in 0..2 {
        let prev = c.fetch_previous_page(&feed());
        load(&mut c, prev, 7);
    }
    assert_eq!(
        params(&c),
        [json!(3), json!(4), json!(5)],
        "pages 7, 6 dropped"
    );
    let data = InfiniteData::from_value(&c.query_data(&feed()).unwrap()).unwrap();
    assert_eq!(data.pages[0]["data"], json!([30]));
}

#[test]
fn a_second_page_request_joins_the_first() {
    let mut c = QueryClient::new(FakeClock::new(0));
    c.observe(
        &feed(),
        QueryOptions::default().infinite(InfiniteOptions::page_numbers(1)),
    );
    let first = c.fetch(&feed(), FetchPolicy::IfStale);
    load(&mut c, first, 9);
    let next = c.fetch_next_page(&feed()).into_start().unwrap();
    assert_eq!(
        c.fetch_next_page(&feed()),
        FetchDecision::Joined(next.fetch_id)
    );
    assert_eq!(
        c.fetch_previous_page(&feed()),
        FetchDecision::Joined(next.fetch_id)
    );
}

#[test]
fn invalidation_refetches_every_page_in_order() {
    let mut c = QueryClient::new(FakeClock::new(0));
    c.observe(
        &feed(),
        QueryOptions::default().infinite(InfiniteOptions::page_numbers(1)),
    );
    let first = c.fetch(&feed(), FetchPolicy::IfStale);
    load(&mut c, first, 9);
    for _ in 0..2 {
        let next = c.fetch_next_page(&feed());
        load(&mut c, next, 9);
    }
    let mut start = c.invalidate_prefix(&feed()).pop().unwrap();
    let mut fetched = Vec::new();
    loop {
        let page = start.page.clone().unwrap();
        assert_eq!(page.direction, PageDirection::Refetch);
        let n = page.param.as_u64().unwrap();
        fetched.push(n);
        match c.resolve(&feed(), start.fetch_id, Ok(numbered(n, 9))) {
            Resolution::Continue(next) => {
                assert_eq!(next.fetch_id, start.fetch_id);
                assert_eq!(params(&c).len(), 3, "old pages stay shown meanwhile");
                start = next;
            }
            Resolution::Settled => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fetched, [1, 2, 3]);
    assert_eq!(params(&c), [json!(1), json!(2), json!(3)]);
    assert!(!c.state(&feed()).unwrap().is_invalidated);
}

#[test]
fn cursor_feed_with_a_retried_page() {
    let clock = FakeClock::new(0);
    let mut c = QueryClient::new(clock.clone());
    c.observe(
        &feed(),
        QueryOptions::default().infinite(InfiniteOptions::cursor()),
    );
    let first = c.fetch(&feed(), FetchPolicy::IfStale).into_start().unwrap();
    assert_eq!(first.page.as_ref().unwrap().param, Value::Null);
    let body = json!({"data": [1, 2], "nextCursor": "c2", "hasMore": true});
    c.resolve(&feed(), first.fetch_id, Ok(body));

    let next = c.fetch_next_page(&feed()).into_start().unwrap();
    assert_eq!(next.page.as_ref().unwrap().param, json!({"cursor": "c2"}));
    let r = c.resolve(&feed(), next.fetch_id, Err(QueryError::transient("503")));
    assert_eq!(r, Resolution::RetryAt(1_000));
    clock.advance(1_000);
    let retry = c.tick(clock.now());
    assert_eq!(
        retry,
        std::slice::from_ref(&next),
        "the retry asks for the same page"
    );
    let last = json!({"data": [3], "nextCursor": null, "hasMore": false});
    c.resolve(&feed(), next.fetch_id, Ok(last));
    assert_eq!(params(&c), [Value::Null, json!({"cursor": "c2"})]);
    assert_eq!(c.fetch_next_page(&feed()), FetchDecision::NoMorePages);
    assert_eq!(c.fetch_previous_page(&feed()), FetchDecision::NoMorePages);
}

/// A keyset page of posts `ids` (newest first) out of `0..total`, as the
/// server answers it: `nextCursor` / `prevCursor` name its last / first
/// post when older / newer ones exist.
fn keyset(ids: &[u64], total: u64) -> Value {
    let (first, last) = (ids[0], ids[ids.len() - 1]);
    json!({
        "data": ids,
        "nextCursor": (last > 0).then(|| format!("p{last}")),
        "hasMore": last > 0,
        "prevCursor": (first + 1 < total).then(|| format!("p{first}")),
    })
}

#[test]
fn a_keyset_feed_past_max_pages_pages_back_to_its_head() {
    let mut c = QueryClient::new(FakeClock::new(0));
    let opts = QueryOptions::default().infinite(InfiniteOptions::cursor().max_pages(2));
    c.observe(&feed(), opts);
    // Posts 8..=0, three to a page: [8 7 6] [5 4 3] [2 1 0].
    let pages = [[8, 7, 6], [5, 4, 3], [2, 1, 0]];
    let answer = |c: &mut QueryClient, d: FetchDecision, page: &[u64]| {
        let start = d.into_start().expect("a page fetch should start");
        c.resolve(&feed(), start.fetch_id, Ok(keyset(page, 9)));
        start.page.unwrap()
    };
    let head = c.fetch(&feed(), FetchPolicy::IfStale);
    answer(&mut c, head, &pages[0]);
    assert_eq!(c.fetch_previous_page(&feed()), FetchDecision::NoMorePages);
    for page in &pages[1..] {
        let next = c.fetch_next_page(&feed());
        answer(&mut c, next, page);
    }
    assert_eq!(
        params(&c),
        [json!({"cursor": "p6"}), json!({"cursor": "p3"})],
        "the head was dropped"
    );

    let back = c.fetch_previous_page(&feed());
    let asked = answer(&mut c, back, &pages[0]);
    assert_eq!(asked.direction, PageDirection::Backward);
    assert_eq!(
        asked.param,
        json!({"before": "p5"}),
        "the page above the first held"
    );
    assert_eq!(
        params(&c),
        [json!({"before": "p5"}), json!({"cursor": "p6"})]
    );
    let held: Vec<Value> = InfiniteData::from_value(&c.query_data(&feed()).unwrap())
        .unwrap()
        .pages
        .iter()
        .map(|p| p["data"].clone())
        .collect();
    assert_eq!(
        held,
        [json!([8, 7, 6]), json!([5, 4, 3])],
        "the last page dropped"
    );
    assert_eq!(
        c.fetch_previous_page(&feed()),
        FetchDecision::NoMorePages,
        "at the head"
    );
    assert!(c.fetch_next_page(&feed()).into_start().is_some());
}
