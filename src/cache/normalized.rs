//! The client's entity store and the queries that hold its entities.
//!
//! Every answer written to a shaped query (a fetch, `set_query_data`,
//! hydration) is normalized on the way in (`shape.rs`): its users and posts
//! go into the one [`EntityStore`], where a newer version wins and an older
//! one changes nothing, and the query keeps their ids. Each query's ids are
//! indexed, so a change to one entity (a newer answer, an optimistic layer,
//! a server event) reaches exactly the queries holding it: their data
//! revision moves and they are reported changed, in the same batch as the
//! store. Each shaped query keeps its data as shown (`shown.rs`: its rows
//! the visible store's own entities), re-shown after each write and patched
//! by each change to an entity it holds (one pointer a row): reading a
//! query borrows it.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;
use uuid::Uuid;

use super::client::QueryClient;
use super::entities::{Entity, EntityOp};
use super::key::KeyHash;
use super::local_hash::ById;
use super::mutation::MutationId;
use super::query::QueryAction;
use super::shape::{held, id_slot, normalize, Carried, EntityKind, EntityRef, Shape};
use super::shown::{denormalize, patch_shown, reshow, Changed};
use super::store::{EntityStore, StoreOp};

/// Which queries hold each entity.
#[derive(Debug, Default)]
pub(super) struct Holders {
    by_entity: HashMap<EntityRef, BTreeSet<KeyHash>, ById>,
    by_query: HashMap<KeyHash, Vec<EntityRef>, ById>,
}

impl Holders {
    /// Records that `hash` now holds exactly `refs`, touching the index
    /// only for what it gained or lost.
    fn set(&mut self, hash: &KeyHash, refs: Vec<EntityRef>) {
        let old = self.by_query.remove(hash).unwrap_or_default();
        if old != refs {
            let was: HashSet<&EntityRef, ById> = old.iter().collect();
            let now: HashSet<&EntityRef, ById> = refs.iter().collect();
            for r in old.iter().filter(|r| !now.contains(r)) {
                self.unindex(r, hash);
            }
            for r in refs.iter().filter(|r| !was.contains(r)) {
                self.by_entity.entry(*r).or_default().insert(hash.clone());
            }
        }
        if !refs.is_empty() {
            self.by_query.insert(hash.clone(), refs);
        }
    }

    fn unindex(&mut self, r: &EntityRef, hash: &KeyHash) {
        if let Some(set) = self.by_entity.get_mut(r) {
            set.remove(hash);
            if set.is_empty() {
                self.by_entity.remove(r);
            }
        }
    }

    /// Forgets what `hash` held.
    pub(super) fn clear(&mut self, hash: &KeyHash) {
        for r in self.by_query.remove(hash).unwrap_or_default() {
            self.unindex(&r, hash);
        }
    }

    /// The ids `hash` holds, in order (a list's rows).
    pub(super) fn ids(&self, hash: &KeyHash) -> Vec<Uuid> {
        self.by_query
            .get(hash)
            .map(|refs| refs.iter().map(|(_, id)| *id).collect())
            .unwrap_or_default()
    }

    /// The queries holding any of `refs`.
    fn of(&self, refs: &[EntityRef]) -> BTreeSet<KeyHash> {
        refs.iter()
            .filter_map(|r| self.by_entity.get(r))
            .flatten()
            .cloned()
            .collect()
    }
}

/// The entities `ops` may change in `store`, read before they apply.
fn touched(store: &EntityStore, ops: &[StoreOp]) -> Vec<EntityRef> {
    fn of<T: super::entities::Entity<Id = uuid::Uuid>>(
        op: &EntityOp<T>,
        held: impl Iterator<Item = uuid::Uuid>,
    ) -> Vec<uuid::Uuid> {
        match op {
            EntityOp::SetAll(all) => held.chain(all.iter().map(|e| e.id())).collect(),
            one => one.target().into_iter().collect(),
        }
    }
    let visible = store.visible();
    let mut refs = Vec::new();
    for op in ops {
        match op {
            StoreOp::User(op) => refs.extend(
                of(op, visible.users.ids().iter().copied())
                    .into_iter()
                    .map(|id| (EntityKind::User, id)),
            ),
            StoreOp::Post(op) => refs.extend(
                of(op, visible.posts.ids().iter().copied())
                    .into_iter()
                    .map(|id| (EntityKind::Post, id)),
            ),
            StoreOp::RemovePostsBy(author) => refs.extend(
                visible
                    .posts
                    .iter()
                    .filter(|p| p.author_id == *author)
                    .map(|p| (EntityKind::Post, p.id)),
            ),
        }
    }
    refs
}

/// Whether `e` tells the store something: it holds no such entity, an
/// older version, or the same version differing (a server that does not
/// bump versions on every write is still heard).
fn is_news<E: Entity>(held: Option<&E>, e: &E) -> bool {
    held.is_none_or(|h| h.version() < e.version() || (h.version() == e.version() && h != e))
}

/// `ops` without the upserts that are not news to `store` (see
/// [`is_news`]): a newer version held wins.
fn news(store: &EntityStore, ops: impl IntoIterator<Item = StoreOp>) -> Vec<StoreOp> {
    let held = store.confirmed();
    ops.into_iter()
        .filter(|op| match op {
            StoreOp::User(EntityOp::Upsert(u)) => is_news(held.users.get(&u.id), u),
            StoreOp::Post(EntityOp::Upsert(p)) => is_news(held.posts.get(&p.id), p),
            _ => true,
        })
        .collect()
}

/// The ops that record `carried` as the server's word: only entities the
/// store does not hold as they are or newer.
fn confirms(store: &EntityStore, carried: Carried) -> Vec<StoreOp> {
    let users = carried
        .users
        .into_iter()
        .map(|u| StoreOp::User(EntityOp::Upsert(u)));
    let posts = carried
        .posts
        .into_iter()
        .map(|p| StoreOp::Post(EntityOp::Upsert(p)));
    news(store, users.chain(posts))
}

impl QueryClient {
    /// The entity store: what the server confirmed, and what to show with
    /// the optimistic layers applied.
    pub fn store(&self) -> &EntityStore {
        &self.store
    }

    /// Runs `action` on query `hash`, normalizing the data it writes when
    /// the query has a shape (its entities go into the store first).
    pub(super) fn dispatch(&mut self, hash: &KeyHash, mut action: QueryAction) {
        let Some(shape) = self.entries.get(hash).map(|e| e.options.shape.clone()) else {
            return;
        };
        let data = match &mut action {
            QueryAction::Success { data, .. }
            | QueryAction::SetData { data, .. }
            | QueryAction::Patch { data } => Some(data),
            _ => None,
        };
        let refs = match data {
            Some(data) if shape != Shape::Opaque => {
                let carried = normalize(&shape, data);
                let ops = confirms(&self.store, carried);
                self.change_store(&ops, |store, ops| store.confirm(ops));
                Some(held(&shape, data))
            }
            _ => None,
        };
        let wrote = refs.is_some();
        if let Some(e) = self.entries.get_mut(hash) {
            e.reduce(hash, action, &mut self.notifier);
            if shape == Shape::Opaque {
                e.shown = None;
            } else if let (true, Some(data)) = (wrote, &e.state.data) {
                let old = e.shown.take().map(|s| *s);
                e.shown = reshow(&shape, data, old, self.store.visible(), |_| false).map(Box::new);
            }
        }
        if let Some(refs) = refs {
            self.holders.set(hash, refs);
        }
    }

    /// Writes a list's placed rows (`ids` of `kind`, when they changed)
    /// and its new `pagination` into query `hash`: ids only, so nothing to
    /// normalize; the shown rows kept where they stay.
    pub(super) fn place_rows(
        &mut self,
        hash: &KeyHash,
        kind: EntityKind,
        ids: Option<&[Uuid]>,
        pagination: Option<Value>,
    ) {
        let Some(e) = self.entries.get_mut(hash) else {
            return;
        };
        let rows = ids.map(|ids| ids.iter().copied().map(id_slot).collect());
        let action = QueryAction::PlaceRows {
            rows,
            pagination: pagination.clone(),
        };
        e.reduce(hash, action, &mut self.notifier);
        if let Some(shown) = &mut e.shown {
            if let Some(ids) = ids {
                shown.place(0, kind, ids, self.store.visible());
            }
            if let Some(pagination) = pagination {
                shown.set_frame_field("pagination", pagination);
            }
        }
        if let Some(ids) = ids {
            self.holders
                .set(hash, ids.iter().map(|&id| (kind, id)).collect());
        }
    }

    /// Applies `ops` to the store with `apply`, then tells the queries
    /// holding what they touched.
    pub(super) fn change_store<R>(
        &mut self,
        ops: &[StoreOp],
        apply: impl FnOnce(&mut EntityStore, &[StoreOp]) -> R,
    ) -> R {
        let refs = touched(&self.store, ops);
        let out = apply(&mut self.store, ops);
        self.entities_changed(&refs);
        out
    }

    /// Reports the queries holding `refs` changed (their data reads anew).
    pub(super) fn entities_changed(&mut self, refs: &[EntityRef]) {
        if refs.is_empty() {
            return;
        }
        let changed = Changed::of(refs, self.store.visible());
        self.batch(|c| {
            c.notifier.entities_changed();
            for hash in c.holders.of(refs) {
                if let Some(e) = c.entries.get_mut(&hash) {
                    e.reduce(&hash, QueryAction::EntitiesChanged, &mut c.notifier);
                    if let Some(data) = &e.state.data {
                        let (shape, old) = (&e.options.shape, e.shown.take().map(|s| *s));
                        e.shown = patch_shown(shape, data, old, c.store.visible(), &changed)
                            .map(Box::new);
                    }
                }
            }
        });
    }

    /// Records `ops` as the server's word, under the optimistic layers;
    /// an upsert of a version older than the one held is skipped.
    pub fn confirm_entities(&mut self, ops: &[StoreOp]) {
        let ops = news(&self.store, ops.iter().cloned());
        if !ops.is_empty() {
            self.change_store(&ops, |store, ops| store.confirm(ops));
        }
    }

    /// Shows mutation `id`'s optimistic `ops` on top of the store.
    pub fn apply_layer(&mut self, id: MutationId, ops: Vec<StoreOp>) {
        self.change_store(&ops.clone(), |store, _| store.apply_layer(id, ops));
    }

    /// Drops mutation `id`'s layer, its change confirmed by `confirmed`
    /// (the server's answer, recorded in the same step so nothing flickers
    /// back). `false` if there was no such layer and nothing to confirm.
    pub fn commit_layer(&mut self, id: MutationId, confirmed: &[StoreOp]) -> bool {
        let mut ops = self.layer_ops(id);
        ops.extend_from_slice(confirmed);
        self.change_store(&ops, |store, _| {
            if !confirmed.is_empty() {
                store.confirm(confirmed);
            }
            store.commit(id) || !confirmed.is_empty()
        })
    }

    /// Drops mutation `id`'s layer because it failed.
    pub fn rollback_layer(&mut self, id: MutationId) -> bool {
        let ops = self.layer_ops(id);
        self.change_store(&ops, |store, _| store.rollback(id))
    }

    /// Sets the last applied event seq (after a resync, which may go back
    /// in a new epoch), keeping entities and layers.
    pub fn reset_event_seq(&mut self, seq: u64) {
        if self.store.last_seq() != seq {
            let confirmed = self.store.confirmed().clone();
            self.store.reset(confirmed, seq);
        }
    }

    fn layer_ops(&self, id: MutationId) -> Vec<StoreOp> {
        self.store
            .layers()
            .iter()
            .filter(|l| l.mutation_id == id)
            .flat_map(|l| l.ops.iter().cloned())
            .collect()
    }

    /// `data` of a query with `shape` as readers see it.
    pub(super) fn shown<'a>(&self, shape: &Shape, data: &'a Value) -> Option<Cow<'a, Value>> {
        if *shape == Shape::Opaque {
            return Some(Cow::Borrowed(data));
        }
        denormalize(shape, data, self.store.visible()).map(|s| Cow::Owned(s.into_json()))
    }
}
