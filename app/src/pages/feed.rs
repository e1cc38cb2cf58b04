//! What the posts feed shows, as one pure function of its sources: the
//! writes waiting in the outbox, the optimistic posts of creations in
//! flight, posts the store learned of that are newer than the loaded pages
//! (created here or elsewhere, before the feed refetched), then the loaded
//! pages, each post as the store last saw it.

use std::collections::{HashMap, HashSet};

use tidings::cache::{EntityOp, EntityStore, StoreOp};
use tidings::{Content, Post, Title};
use uuid::Uuid;

use crate::offline::PendingMutation;

/// One post of the feed; `pending` until the server has it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub post: Post,
    pub pending: bool,
}

/// The feed, newest first; see the module docs.
pub fn feed_rows(pages: &[Post], store: &EntityStore, queued: &[Post]) -> Vec<FeedRow> {
    let in_pages: HashSet<Uuid> = pages.iter().map(|p| p.id).collect();
    let optimistic: HashSet<Uuid> = store
        .layers()
        .iter()
        .flat_map(|layer| &layer.ops)
        .filter_map(|op| match op {
            StoreOp::Post(EntityOp::Add(p) | EntityOp::Upsert(p)) => Some(p.id),
            _ => None,
        })
        .filter(|id| !store.confirmed().posts.contains(id))
        .collect();
    let newest = pages.iter().map(|p| p.created_at).max();
    let visible = &store.visible().posts;
    let mut fresh: Vec<&Post> = visible
        .iter()
        .filter(|p| !in_pages.contains(&p.id))
        .filter(|p| optimistic.contains(&p.id) || newest.is_none_or(|n| p.created_at >= n))
        .collect();
    fresh.sort_by_key(|p| std::cmp::Reverse(p.created_at));

    let mut queued: Vec<&Post> = queued.iter().collect();
    queued.reverse();
    let queued = queued.into_iter().map(|post| FeedRow {
        post: post.clone(),
        pending: true,
    });
    let fresh = fresh.into_iter().map(|post| FeedRow {
        post: post.clone(),
        pending: optimistic.contains(&post.id),
    });
    let loaded = pages.iter().map(|page_post| {
        let post = visible
            .get(&page_post.id)
            .filter(|held| held.version >= page_post.version)
            .unwrap_or(page_post);
        FeedRow {
            post: post.clone(),
            pending: false,
        }
    });
    let rows: Vec<FeedRow> = queued.chain(fresh).chain(loaded).collect();
    without_landed_twins(rows)
}

/// Drops each pending row whose post the server already reports (its
/// event can arrive before the answer to the write): one pending row per
/// confirmed post with the same author, title and content.
fn without_landed_twins(rows: Vec<FeedRow>) -> Vec<FeedRow> {
    let twin = |p: &Post| (p.author_id, p.title.to_string(), p.content.to_string());
    let mut landed: HashMap<_, usize> = HashMap::new();
    for row in rows.iter().filter(|r| !r.pending) {
        *landed.entry(twin(&row.post)).or_default() += 1;
    }
    rows.into_iter()
        .filter(|row| {
            if !row.pending {
                return true;
            }
            match landed.get_mut(&twin(&row.post)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        })
        .collect()
}

/// A queued post creation as the post it will be (its id is its
/// idempotency key, unique and stable across reloads); `None` for other
/// writes.
pub fn queued_post(pending: &PendingMutation) -> Option<Post> {
    let input = pending.request.new_post()?;
    let at = chrono::DateTime::from_timestamp_millis(pending.created_at as i64)?;
    Some(Post {
        id: Uuid::parse_str(&pending.idempotency_key).ok()?,
        title: Title::parse(input.title.as_deref()?).ok()?,
        content: Content::parse(input.content.as_deref()?).ok()?,
        author_id: Uuid::parse_str(input.author_id.as_deref()?.trim()).ok()?,
        created_at: at,
        updated_at: at,
        version: 0,
    })
}

#[cfg(test)]
mod tests {
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
    fn pending_and_newer_posts_come_first_and_edits_show() {
        let pages = vec![post(3, 30), post(2, 20)];
        let mut store = EntityStore::default();
        let mut edited = post(2, 20);
        edited.version = 2;
        edited.title = Title::parse("edited").unwrap();
        // An edit and a creation from elsewhere, and an old post a detail
        // view loaded.
        store.confirm(&[
            StoreOp::Post(EntityOp::Upsert(edited)),
            StoreOp::Post(EntityOp::Upsert(post(4, 40))),
            StoreOp::Post(EntityOp::Upsert(post(1, 10))),
        ]);
        store.apply_layer(
            MutationId(1),
            vec![StoreOp::Post(EntityOp::Add(post(5, 50)))],
        );
        let rows = feed_rows(&pages, &store, &[post(7, 60), post(8, 61)]);
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
        assert_eq!(rows[5].post.title.as_str(), "edited");

        // The creation's event arrives before its answer: shown once.
        let mut landed = post(5, 50);
        landed.id = Uuid::from_u128(6);
        store.confirm(&[StoreOp::Post(EntityOp::Upsert(landed))]);
        let rows = feed_rows(&pages, &store, &[]);
        assert_eq!(ids(&rows), [(6, false), (4, false), (3, false), (2, false)]);
        store.confirm(&[StoreOp::Post(EntityOp::Remove(Uuid::from_u128(6)))]);

        // The creation is confirmed and the feed refetched: no duplicate.
        store.confirm(&[StoreOp::Post(EntityOp::Upsert(post(5, 50)))]);
        store.commit(MutationId(1));
        let pages = vec![post(5, 50), post(4, 40), post(3, 30)];
        assert_eq!(
            ids(&feed_rows(&pages, &store, &[])),
            [(5, false), (4, false), (3, false)]
        );
    }
}
