//! What the posts feed shows, as one pure function of its sources: the
//! writes waiting in the outbox, the optimistic posts of creations in
//! flight, posts the store learned of that are newer than the loaded pages
//! (created here or elsewhere, before the feed refetched; only while the
//! loaded pages reach the feed's head), then the loaded pages (as the
//! engine shows them: edits applied); minus the posts deleted here
//! (optimistically or confirmed).
//!
//! Posts written elsewhere after the reader opened the feed are held back
//! ([`feed_view`]): they do not push down what the reader is looking at,
//! the page offers them behind an "N new posts" pill instead. This tab's
//! own posts ([`OwnPosts`]) always show at once.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use tidings::cache::{EntityOp, EntityStore, StoreOp};
use tidings::{Content, Post, Timestamp, Title};
use uuid::Uuid;

use crate::offline::PendingMutation;

/// One post of the feed; `pending` until the server has it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub post: Post,
    pub pending: bool,
}

/// The server ids of the posts this tab wrote (online, or replayed from
/// the outbox). Provided by the app shell; `Copy`.
#[derive(Debug, Clone, Copy)]
pub struct OwnPosts(RwSignal<HashSet<Uuid>>);

impl OwnPosts {
    /// Creates the set and provides it to the components below.
    pub fn provide() -> Self {
        let own = Self(RwSignal::new(HashSet::new()));
        provide_context(own);
        own
    }

    /// Records that this tab wrote post `id`.
    pub fn add(&self, id: Uuid) {
        self.0.update(|own| {
            own.insert(id);
        });
    }

    /// The ids, tracked.
    pub fn ids(&self) -> Signal<HashSet<Uuid>> {
        self.0.into()
    }
}

/// The posts this tab wrote.
///
/// # Panics
/// When the app shell provided none.
pub fn use_own_posts() -> OwnPosts {
    expect_context::<OwnPosts>()
}

/// What the reader has taken in, for [`feed_view`].
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The newest post the reader was shown (`None`: show everything).
    pub up_to: Option<Timestamp>,
    /// Posts this tab wrote: shown whenever they were written.
    pub own: &'a HashSet<Uuid>,
    /// Posts deleted here whose deletion the loaded pages may not reflect.
    pub deleted: &'a HashSet<Uuid>,
}

/// The feed to show and what waits behind the pill.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedView {
    pub rows: Vec<FeedRow>,
    /// Posts written elsewhere since the reader's `up_to`, not shown.
    pub held: usize,
    /// The newest post known (shown or held): `up_to` once the reader
    /// asks for the held posts.
    pub newest: Option<Timestamp>,
}

/// The loaded pages of the feed, as one list.
#[derive(Debug, Clone, Copy)]
pub struct Loaded<'a> {
    /// Their posts, newest first.
    pub posts: &'a [Post],
    /// Whether the first page is the feed's head (no newer page is left
    /// to load): only then do newer posts of the store belong on top.
    pub at_head: bool,
}

/// The feed (see the module docs): [`feed_rows`] minus deletions, with
/// the posts written elsewhere after `seen.up_to` held back.
pub fn feed_view(
    loaded: Loaded<'_>,
    store: &EntityStore,
    queued: &[Post],
    seen: Seen<'_>,
) -> FeedView {
    let removing: HashSet<Uuid> = store
        .layers()
        .iter()
        .flat_map(|layer| &layer.ops)
        .filter_map(|op| match op {
            StoreOp::Post(EntityOp::Remove(id)) => Some(*id),
            _ => None,
        })
        .collect();
    let (rows, landed_here) = rows_and_landed(loaded, store, queued);
    let rows: Vec<FeedRow> = rows
        .into_iter()
        .filter(|r| !removing.contains(&r.post.id) && !seen.deleted.contains(&r.post.id))
        .collect();
    let newest = rows
        .iter()
        .filter(|r| !r.pending)
        .map(|r| r.post.created_at)
        .max();
    let is_held = |row: &FeedRow| {
        !row.pending
            && seen.up_to.is_some_and(|up_to| row.post.created_at > up_to)
            && !seen.own.contains(&row.post.id)
            && !landed_here.contains(&row.post.id)
    };
    let held = rows.iter().filter(|r| is_held(r)).count();
    FeedView {
        rows: rows.into_iter().filter(|r| !is_held(r)).collect(),
        held,
        newest,
    }
}

/// The feed, newest first, every post shown; see the module docs.
pub fn feed_rows(loaded: Loaded<'_>, store: &EntityStore, queued: &[Post]) -> Vec<FeedRow> {
    rows_and_landed(loaded, store, queued).0
}

/// [`feed_rows`], and the ids of the posts that stand in for a pending
/// row of this tab (the server has them, the answer is still on its way).
fn rows_and_landed(
    loaded: Loaded<'_>,
    store: &EntityStore,
    queued: &[Post],
) -> (Vec<FeedRow>, HashSet<Uuid>) {
    let pages = loaded.posts;
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
        .filter(|p| {
            optimistic.contains(&p.id)
                || (loaded.at_head && newest.is_none_or(|n| p.created_at >= n))
        })
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
    let loaded = pages.iter().map(|post| FeedRow {
        post: post.clone(),
        pending: false,
    });
    let rows: Vec<FeedRow> = queued.chain(fresh).chain(loaded).collect();
    without_landed_twins(rows)
}

/// Drops each pending row whose post the server already reports (its
/// event can arrive before the answer to the write): one pending row per
/// confirmed post with the same author, title and content. Returns the
/// rows left and the ids of the confirmed posts that replaced one.
fn without_landed_twins(rows: Vec<FeedRow>) -> (Vec<FeedRow>, HashSet<Uuid>) {
    let twin = |p: &Post| (p.author_id, p.title.to_string(), p.content.to_string());
    let mut landed: HashMap<_, Vec<Uuid>> = HashMap::new();
    for row in rows.iter().filter(|r| !r.pending) {
        landed.entry(twin(&row.post)).or_default().push(row.post.id);
    }
    let mut replaced = HashSet::new();
    let rows = rows
        .into_iter()
        .filter(|row| {
            if !row.pending {
                return true;
            }
            match landed.get_mut(&twin(&row.post)).and_then(Vec::pop) {
                Some(id) => {
                    replaced.insert(id);
                    false
                }
                None => true,
            }
        })
        .collect();
    (rows, replaced)
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
#[path = "feed_tests.rs"]
mod tests;
