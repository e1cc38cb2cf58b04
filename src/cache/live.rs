//! Server change events applied by the engine: the store changes, and the
//! cached lists and stats follow without a refetch.
//!
//! - `*_UPDATED` changes the entity in the store; every query holding it
//!   reads the new version. A user list moves the row only when the change
//!   moves it (its filter or its sort column).
//! - `USER_CREATED` places the user, by the shared [`UserFilter`]
//!   (`matches_at`, `compare`), into every cached page it belongs to, with
//!   totals and pagination adjusted (`placement.rs` decides the pages);
//!   `POST_CREATED` goes to the top of its author's cached post list (the
//!   feed shows it behind its "new posts" pill, from the store).
//! - `*_DELETED` removes the entity from every list and total; a detail
//!   query of it is refetched (to show it is gone).
//! - The users' stats follow user events.
//!
//! Only what cannot be decided here (a page next to one that is not cached,
//! a user never seen) is invalidated, and then only those queries.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta};
use serde_json::Value;
use uuid::Uuid;

use super::client::{FetchStart, QueryClient};
use super::key::KeyHash;
use super::local_hash::ById;
use super::optimistic::EventOutcome;
use super::placement::{insert, remove, reorder, Window};
use super::query::QueryAction;
use super::shape::{lists_mut, slot_id, EntityKind, Shape};
use super::store::{ops_for_event, StoreOp};
use super::tags::EventKind;
use crate::model::{
    active_within, Pagination, Post, Role, Timestamp, User, UserFilter, UserStats, ACTIVE_WINDOW,
};

/// What applying one event did.
#[derive(Debug, Clone, PartialEq)]
pub struct EventApplied {
    /// Whether it was new.
    pub outcome: EventOutcome,
    /// The refetches of observed queries it made stale; start them now.
    pub starts: Vec<FetchStart>,
}

/// One user list's cached pages, with the queries they belong to.
type Group = Vec<(KeyHash, Window)>;

impl QueryClient {
    /// Applies realtime event `seq` (at most once): the store under the
    /// optimistic layers, then every cached list and stat it concerns. A
    /// payload that does not parse changes nothing and is an error (the
    /// caller should resync).
    pub fn apply_change_event(
        &mut self,
        seq: u64,
        kind: EventKind,
        data: &Value,
    ) -> Result<EventApplied, serde_json::Error> {
        let duplicate = EventApplied {
            outcome: EventOutcome::Duplicate,
            starts: Vec::new(),
        };
        if seq <= self.store.last_seq() {
            return Ok(duplicate);
        }
        let ops = ops_for_event(kind, data)?;
        Ok(self.batch(|c| {
            let visible = c.store.visible();
            let user_before = |id: Uuid| visible.users.get(&id).cloned();
            let before = match ops.first() {
                Some(StoreOp::User(op)) => op.target().map(|id| (id, user_before(id))),
                _ => None,
            };
            let posts_by = |author: Uuid| -> Vec<Uuid> {
                visible
                    .posts
                    .iter()
                    .filter(|p| p.author_id == author)
                    .map(|p| p.id)
                    .collect()
            };
            let gone_posts: Vec<Uuid> = ops
                .iter()
                .flat_map(|op| match op {
                    StoreOp::RemovePostsBy(author) => posts_by(*author),
                    StoreOp::Post(super::entities::EntityOp::Remove(id)) => vec![*id],
                    _ => Vec::new(),
                })
                .collect();
            c.change_store(&ops, |store, ops| store.apply_event(seq, ops));
            if ops.is_empty() {
                // Redacted: the deletion later in the log applies it.
                return EventApplied {
                    outcome: EventOutcome::Applied,
                    starts: Vec::new(),
                };
            }
            let mut stale = BTreeSet::new();
            match kind {
                EventKind::UserCreated | EventKind::UserUpdated | EventKind::UserDeleted => {
                    if let Some((id, before)) = before {
                        let after = c.store.visible().users.get(&id).cloned();
                        let known = before.is_some() || kind == EventKind::UserCreated;
                        c.follow_user(id, known, before.as_ref(), after.as_ref(), &mut stale);
                        if kind == EventKind::UserDeleted {
                            c.gone(EntityKind::User, &[id], &mut stale);
                        }
                    }
                }
                EventKind::PostCreated => {
                    if let Some(post) = created_post(&ops) {
                        c.place_post(&post);
                    }
                }
                EventKind::PostUpdated | EventKind::PostDeleted => {}
            }
            c.gone(EntityKind::Post, &gone_posts, &mut stale);
            let starts = c.invalidate_where(|hash, _| stale.contains(hash));
            EventApplied {
                outcome: EventOutcome::Applied,
                starts,
            }
        }))
    }

    /// The time the clock reads, as a timestamp for `active` filters.
    fn now_timestamp(&self) -> Timestamp {
        let ms = i64::try_from(self.now()).unwrap_or(i64::MAX);
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    /// Moves user `id` in every cached user list and stat from `before` to
    /// `after` (`None`: not a user now / not one before). `known`: whether
    /// `before` is what the lists hold (a user never seen may be counted in
    /// totals this client cannot see).
    fn follow_user(
        &mut self,
        id: Uuid,
        known: bool,
        before: Option<&User>,
        after: Option<&User>,
        stale: &mut BTreeSet<KeyHash>,
    ) {
        let now = self.now_timestamp();
        let membership = |filter: &UserFilter| {
            let member = |u: Option<&User>| u.is_some_and(|u| filter.matches_at(u, now));
            (member(before), member(after))
        };
        // Whether the change moves the user in, out of or within a list
        // by `filter`; a user never seen touches every list.
        let moves = |filter: &UserFilter| {
            let (was, is) = membership(filter);
            !known
                || match (before, after) {
                    (Some(b), Some(a)) => {
                        was != is || (is && filter.compare(b, a) != Ordering::Equal)
                    }
                    (None, None) => false,
                    _ => was || is,
                }
        };
        for ((filter, _), group) in self.user_groups(moves) {
            if !known {
                stale.extend(group.iter().map(|(hash, _)| hash.clone()));
                continue;
            }
            let (was, is) = membership(&filter);
            let windows_before: Vec<Window> = group.iter().map(|(_, w)| w.clone()).collect();
            let mut windows: Vec<Window> = windows_before.clone();
            // A row that stays inside its page moves there alone: no row
            // enters or leaves a page. Otherwise it leaves, then enters.
            let moved_within = match after.filter(|_| was && is) {
                Some(a) => reorder(&mut windows, id, self.rank(&filter, a)),
                None => false,
            };
            if let Some(b) = before.filter(|_| !moved_within) {
                let rank = self.rank(&filter, b);
                remove(&mut windows, id, was, rank);
            }
            if let Some(a) = after.filter(|_| is && !moved_within) {
                if windows.iter().any(|w| w.stale) {
                    // A page the removal could not decide is no ground to
                    // place on: the list refetches, with its total right.
                    for w in &mut windows {
                        w.stale = true;
                        w.total += 1;
                    }
                } else {
                    let rank = self.rank(&filter, a);
                    insert(&mut windows, id, rank);
                }
            }
            for ((hash, _), (old, new)) in group.iter().zip(windows_before.iter().zip(&windows)) {
                // A stale page still shows its new total until it is back.
                if new.stale {
                    stale.insert(hash.clone());
                }
                if new != old {
                    self.write_window(hash, old, new);
                }
            }
        }
        if known {
            self.follow_stats(before, after, now);
        } else {
            stale.extend(self.hashes_shaped(|s| *s == Shape::UserStats));
        }
    }

    /// How the row `user` orders against each row of a list by `filter`.
    fn rank<'a>(
        &'a self,
        filter: &'a UserFilter,
        user: &'a User,
    ) -> impl Fn(Uuid) -> Option<Ordering> + 'a {
        let users = &self.store.visible().users;
        move |row| users.get(&row).map(|r| filter.compare(user, r))
    }

    /// Every cached user list by a filter `wanted` picks, grouped by
    /// filter and page size, pages in order.
    fn user_groups(&self, wanted: impl Fn(&UserFilter) -> bool) -> Vec<((UserFilter, u32), Group)> {
        let mut groups: HashMap<(UserFilter, u32), Group, ById> = HashMap::default();
        for (hash, e) in &self.entries {
            let Some(data) = &e.state.data else { continue };
            let window = match &e.options.shape {
                Shape::UserPage(filter) | Shape::Users(filter) if !wanted(filter) => continue,
                Shape::UserPage(filter) => {
                    let Some((page, limit, total)) = data.get("pagination").and_then(placed) else {
                        continue;
                    };
                    let ids = self.holders.ids(hash);
                    ((filter.clone(), limit), window(page, limit, total, ids))
                }
                Shape::Users(filter) => {
                    let ids = self.holders.ids(hash);
                    let total = ids.len() as u64;
                    ((filter.clone(), u32::MAX), window(1, u32::MAX, total, ids))
                }
                _ => continue,
            };
            groups
                .entry(window.0)
                .or_default()
                .push((hash.clone(), window.1));
        }
        let mut out: Vec<_> = groups.into_iter().collect();
        for (_, group) in &mut out {
            group.sort_by_key(|(_, w)| w.page);
        }
        out
    }

    /// Writes `new`'s rows and totals back into query `hash`, which held
    /// `old`: only what changed.
    fn write_window(&mut self, hash: &KeyHash, old: &Window, new: &Window) {
        let Some(shape) = self.entries.get(hash).map(|e| &e.options.shape) else {
            return;
        };
        let paged = match shape {
            Shape::UserPage(_) => true,
            Shape::Users(_) => false,
            _ => return,
        };
        let rows = (new.ids != old.ids).then_some(new.ids.as_slice());
        let moved = (new.page, new.limit, new.total) != (old.page, old.limit, old.total);
        let pagination = (paged && moved).then(|| {
            let pagination = Pagination::new(new.page, new.limit, new.total);
            serde_json::to_value(pagination).expect("serializes")
        });
        self.place_rows(hash, EntityKind::User, rows, pagination);
    }

    /// Keeps the cached stats in step with one user going from `before`
    /// to `after`.
    fn follow_stats(&mut self, before: Option<&User>, after: Option<&User>, now: Timestamp) {
        for hash in self.hashes_shaped(|s| *s == Shape::UserStats) {
            let Some(mut stats) = self
                .entries
                .get(&hash)
                .and_then(|e| e.state.data.clone())
                .and_then(|d| serde_json::from_value::<UserStats>(d).ok())
            else {
                continue;
            };
            let old = stats;
            if let Some(b) = before {
                count(&mut stats, b, now, false);
            }
            if let Some(a) = after {
                count(&mut stats, a, now, true);
            }
            if stats != old {
                let data = serde_json::to_value(stats).expect("serializes");
                self.dispatch(&hash, QueryAction::Patch { data });
            }
        }
    }

    /// Puts a new post at its place in its author's cached post lists.
    fn place_post(&mut self, post: &Post) {
        let hashes = self.hashes_shaped(
            |s| matches!(s, Shape::PostPage { author } if author.is_none_or(|a| a == post.author_id)),
        );
        for hash in hashes {
            let Some(mut data) = self.entries.get(&hash).and_then(|e| e.state.data.clone()) else {
                continue;
            };
            let has_more = data
                .get("hasMore")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let posts = &self.store.visible().posts;
            let newer = |row: &Value| {
                slot_id(row)
                    .and_then(|id| posts.get(&id))
                    .is_some_and(|r| (r.created_at, r.id) > (post.created_at, post.id))
            };
            let Some(rows) = data.get_mut("data").and_then(Value::as_array_mut) else {
                continue;
            };
            let own = Value::String(post.id.to_string());
            if rows.contains(&own) {
                continue;
            }
            let at = rows.iter().take_while(|r| newer(r)).count();
            // Past the last row of a page with more after it, the post
            // belongs to a later page, which the cursor reaches.
            if at < rows.len() || !has_more {
                rows.insert(at, own);
                self.dispatch(&hash, QueryAction::Patch { data });
            }
        }
    }

    /// Takes entities that are gone out of every list; detail queries of
    /// them are stale (they refetch, to show the entity is gone).
    fn gone(&mut self, kind: EntityKind, ids: &[Uuid], stale: &mut BTreeSet<KeyHash>) {
        if ids.is_empty() {
            return;
        }
        let single = match kind {
            EntityKind::User => Shape::User,
            EntityKind::Post => Shape::Post,
        };
        let patches: Vec<(KeyHash, Option<Value>)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.options.shape.kind() == Some(kind))
            .filter_map(|(hash, e)| {
                let data = e.state.data.as_ref()?;
                if e.options.shape == single {
                    let held = slot_id(data).is_some_and(|id| ids.contains(&id));
                    return held.then(|| (hash.clone(), None));
                }
                if matches!(e.options.shape, Shape::UserPage(_) | Shape::Users(_)) {
                    return None; // placed by `follow_user`
                }
                let mut data = data.clone();
                let mut changed = false;
                for list in lists_mut(&e.options.shape, &mut data) {
                    let before = list.len();
                    list.retain(|slot| slot_id(slot).is_none_or(|id| !ids.contains(&id)));
                    changed |= list.len() != before;
                }
                changed.then(|| (hash.clone(), Some(data)))
            })
            .collect();
        for (hash, data) in patches {
            match data {
                Some(data) => self.dispatch(&hash, QueryAction::Patch { data }),
                None => {
                    stale.insert(hash);
                }
            }
        }
    }

    fn hashes_shaped(&self, pred: impl Fn(&Shape) -> bool) -> Vec<KeyHash> {
        self.entries
            .iter()
            .filter(|(_, e)| e.state.data.is_some() && pred(&e.options.shape))
            .map(|(h, _)| h.clone())
            .collect()
    }
}

fn window(page: u32, limit: u32, total: u64, ids: Vec<Uuid>) -> Window {
    Window {
        page,
        limit,
        total,
        ids,
        stale: false,
    }
}

/// A page's place in its list: page, page size, total.
fn placed(pagination: &Value) -> Option<(u32, u32, u64)> {
    let field = |name| pagination.get(name).and_then(Value::as_u64);
    let (page, limit) = (field("page")?, field("limit")?);
    Some((
        u32::try_from(page).ok()?,
        u32::try_from(limit).ok()?,
        field("total")?,
    ))
}

fn created_post(ops: &[StoreOp]) -> Option<Post> {
    ops.iter().find_map(|op| match op {
        StoreOp::Post(super::entities::EntityOp::Upsert(p)) => Some(p.clone()),
        _ => None,
    })
}

/// Adds (`add`) or takes away `user`'s part in `stats` at `now`.
fn count(stats: &mut UserStats, user: &User, now: Timestamp, add: bool) {
    let step = |n: &mut u64, applies: bool| {
        if applies {
            *n = if add { *n + 1 } else { n.saturating_sub(1) };
        }
    };
    step(&mut stats.total, true);
    step(
        &mut stats.active_24h,
        active_within(user, now, ACTIVE_WINDOW),
    );
    step(
        &mut stats.active_7d,
        active_within(user, now, TimeDelta::days(7)),
    );
    let role = match user.role {
        Role::Admin => &mut stats.by_role.admin,
        Role::Moderator => &mut stats.by_role.moderator,
        Role::User => &mut stats.by_role.user,
    };
    step(role, true);
}
