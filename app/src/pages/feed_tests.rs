//! Tests of the feed's rows: order, pending posts, edits, deletions, and
//! what waits behind the "new posts" pill.

use super::*;
use tidings::cache::MutationId;

fn post(n: u128, minute: i64) -> Post {
    let at = chrono::DateTime::from_timestamp(minute * 60, 0).unwrap();
    Post {
        id: Uuid::from_u128(n),
        title: Title::parse(format!("post {n}")).unwrap(),
        content: Content::parse("c").unwrap(),
        author_id: Uuid::from_u128(99),
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

fn ids(rows: &[FeedRow]) -> Vec<(u128, bool)> {
    rows.iter()
        .map(|r| (r.post.id.as_u128(), r.pending))
        .collect()
}

#[test]
fn pending_and_newer_posts_come_first() {
    // The pages as the engine shows them (edits applied there).
    let pages = vec![post(3, 30), post(2, 20)];
    let mut store = EntityStore::default();
    // A creation from elsewhere, and an old post a detail view loaded.
    store.confirm(&[
        StoreOp::Post(EntityOp::Upsert(post(4, 40))),
        StoreOp::Post(EntityOp::Upsert(post(1, 10))),
    ]);
    store.apply_layer(
        MutationId(1),
        vec![StoreOp::Post(EntityOp::Add(post(5, 50)))],
    );
    let rows = feed_rows(head(&pages), &store, &[post(7, 60), post(8, 61)]);
    assert_eq!(
        ids(&rows),
        [
            (8, true),
            (7, true),
            (5, true),
            (4, false),
            (3, false),
            (2, false)
        ]
    );

    // The creation's event arrives before its answer: shown once.
    let mut landed = post(5, 50);
    landed.id = Uuid::from_u128(6);
    store.confirm(&[StoreOp::Post(EntityOp::Upsert(landed))]);
    let rows = feed_rows(head(&pages), &store, &[]);
    assert_eq!(ids(&rows), [(6, false), (4, false), (3, false), (2, false)]);
    store.confirm(&[StoreOp::Post(EntityOp::Remove(Uuid::from_u128(6)))]);

    // The creation is confirmed and the feed refetched: no duplicate.
    store.confirm(&[StoreOp::Post(EntityOp::Upsert(post(5, 50)))]);
    store.commit(MutationId(1));
    let pages = vec![post(5, 50), post(4, 40), post(3, 30)];
    assert_eq!(
        ids(&feed_rows(head(&pages), &store, &[])),
        [(5, false), (4, false), (3, false)]
    );
}

#[test]
fn pages_below_the_head_take_no_newer_posts_of_the_store() {
    // The head was dropped (max pages): the store still holds its posts,
    // and one written since; neither belongs above the second page.
    let pages = vec![post(3, 30), post(2, 20)];
    let mut store = EntityStore::default();
    store.confirm(&[
        StoreOp::Post(EntityOp::Upsert(post(5, 50))),
        StoreOp::Post(EntityOp::Upsert(post(4, 40))),
    ]);
    store.apply_layer(
        MutationId(1),
        vec![StoreOp::Post(EntityOp::Add(post(6, 60)))],
    );
    let below = Loaded {
        posts: &pages,
        at_head: false,
    };
    assert_eq!(
        ids(&feed_rows(below, &store, &[post(7, 70)])),
        [(7, true), (6, true), (3, false), (2, false)],
        "this tab's own writes still show"
    );
    assert_eq!(
        ids(&feed_rows(head(&pages), &store, &[])),
        [(6, true), (5, false), (4, false), (3, false), (2, false)]
    );
}

/// `pages` as loaded from the feed's head.
fn head(pages: &[Post]) -> Loaded<'_> {
    Loaded {
        posts: pages,
        at_head: true,
    }
}

fn at(minute: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(minute * 60, 0).unwrap()
}

fn upsert(post: Post) -> StoreOp {
    StoreOp::Post(EntityOp::Upsert(post))
}

#[test]
fn posts_from_elsewhere_wait_behind_the_pill_and_own_posts_do_not() {
    let pages = vec![post(3, 30), post(2, 20)];
    let mut store = EntityStore::default();
    // Two posts arrive by events: one written elsewhere, one here.
    store.confirm(&[upsert(post(4, 40)), upsert(post(5, 50))]);
    let own = HashSet::from([Uuid::from_u128(5)]);
    let none = HashSet::new();
    let seen = Seen {
        up_to: Some(at(30)),
        own: &own,
        deleted: &none,
    };
    let view = feed_view(head(&pages), &store, &[], seen);
    assert_eq!(ids(&view.rows), [(5, false), (3, false), (2, false)]);
    assert_eq!((view.held, view.newest), (1, Some(at(50))));

    // The feed refetched: the post from elsewhere is in the first
    // page now, and still waits.
    let pages = vec![post(5, 50), post(4, 40), post(3, 30)];
    let view = feed_view(head(&pages), &store, &[], seen);
    assert_eq!(ids(&view.rows), [(5, false), (3, false)]);
    assert_eq!(view.held, 1);

    // The reader asks for it.
    let seen = Seen {
        up_to: view.newest,
        ..seen
    };
    let view = feed_view(head(&pages), &store, &[], seen);
    assert_eq!(ids(&view.rows), [(5, false), (4, false), (3, false)]);
    assert_eq!(view.held, 0);

    // Nothing held when the reader has seen no post yet.
    let unseen = Seen {
        up_to: None,
        ..seen
    };
    assert_eq!(feed_view(head(&pages), &store, &[], unseen).rows.len(), 3);
}

#[test]
fn deleted_posts_go_at_once_and_come_back_when_the_delete_fails() {
    let pages = vec![post(3, 30), post(2, 20)];
    let mut store = EntityStore::default();
    let none = HashSet::new();
    let seen = Seen {
        up_to: Some(at(30)),
        own: &none,
        deleted: &none,
    };
    let remove = vec![StoreOp::Post(EntityOp::Remove(Uuid::from_u128(3)))];
    store.apply_layer(MutationId(7), remove);
    assert_eq!(
        ids(&feed_view(head(&pages), &store, &[], seen).rows),
        [(2, false)]
    );
    store.rollback(MutationId(7));
    let rows = feed_view(head(&pages), &store, &[], seen).rows;
    assert_eq!(ids(&rows), [(3, false), (2, false)]);
    // Confirmed: hidden until the pages no longer hold it.
    let deleted = HashSet::from([Uuid::from_u128(3)]);
    let seen = Seen {
        deleted: &deleted,
        ..seen
    };
    assert_eq!(
        ids(&feed_view(head(&pages), &store, &[], seen).rows),
        [(2, false)]
    );
}

#[test]
fn a_post_of_this_tab_landing_before_its_answer_is_not_held() {
    let pages = vec![post(3, 30)];
    let mut store = EntityStore::default();
    store.apply_layer(
        MutationId(1),
        vec![StoreOp::Post(EntityOp::Add(post(5, 50)))],
    );
    let mut landed = post(5, 55);
    landed.id = Uuid::from_u128(6);
    store.confirm(&[upsert(landed)]);
    let none = HashSet::new();
    let seen = Seen {
        up_to: Some(at(30)),
        own: &none,
        deleted: &none,
    };
    let view = feed_view(head(&pages), &store, &[], seen);
    assert_eq!(ids(&view.rows), [(6, false), (3, false)]);
    assert_eq!(view.held, 0);
}
