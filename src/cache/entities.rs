//! Normalized entities: each entity held once, by id, in an
//! [`EntityAdapter`] (ids in order plus a map), changed by [`EntityOp`]s.
//!
//! Lists and details then hold ids, so an update to one user reaches every
//! list that shows it. Each entity sits behind an [`Arc`], so what shows it
//! (a query's rows, a copy of the store under optimistic layers) shares it
//! instead of copying it. Changes are data ([`EntityOp`]) rather than closures
//! so they can be stored in optimistic layers and replayed when the
//! confirmed state under them moves.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use uuid::Uuid;

use super::local_hash::ById;
use crate::model::{Post, PostPatch, User, UserPatch};

/// Something held by id in an [`EntityAdapter`].
pub trait Entity: Clone + PartialEq + fmt::Debug {
    /// Its id.
    type Id: Clone + Eq + Hash + Ord + fmt::Debug;
    /// A partial change to it.
    type Patch: Clone + PartialEq + fmt::Debug;
    /// Its id.
    fn id(&self) -> Self::Id;
    /// Its version, bumped by every confirmed change.
    fn version(&self) -> i64;
    /// A copy with `patch` applied.
    fn patched(&self, patch: &Self::Patch) -> Self;
}

impl Entity for User {
    type Id = Uuid;
    type Patch = UserPatch;
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn patched(&self, patch: &UserPatch) -> Self {
        patch.apply(self)
    }
}

impl Entity for Post {
    type Id = Uuid;
    type Patch = PostPatch;
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn patched(&self, patch: &PostPatch) -> Self {
        patch.apply(self)
    }
}

/// Orders entities in an adapter.
pub type SortComparer<T> = fn(&T, &T) -> Ordering;

/// One change to a collection of entities. Serializable, so a change can
/// cross to another tab.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(
        serialize = "T: serde::Serialize, T::Id: serde::Serialize, T::Patch: serde::Serialize",
        deserialize = "T: serde::de::DeserializeOwned, T::Id: serde::de::DeserializeOwned, T::Patch: serde::de::DeserializeOwned"
    )
)]
pub enum EntityOp<T: Entity> {
    /// Insert if absent.
    Add(T),
    /// Insert, or replace unless the held version is newer.
    Upsert(T),
    /// Patch if present.
    Update {
        /// Which entity.
        id: T::Id,
        /// The change.
        patch: T::Patch,
    },
    /// Remove if present.
    Remove(T::Id),
    /// Replace everything.
    SetAll(Vec<T>),
}

impl<T: Entity> EntityOp<T> {
    /// The one entity this op changes; `None` for [`EntityOp::SetAll`].
    pub fn target(&self) -> Option<T::Id> {
        match self {
            EntityOp::Add(e) | EntityOp::Upsert(e) => Some(e.id()),
            EntityOp::Update { id, .. } | EntityOp::Remove(id) => Some(id.clone()),
            EntityOp::SetAll(_) => None,
        }
    }
}

/// Entities by id, with their ids in order: insertion order, or the
/// comparer's (ties keep insertion order).
#[derive(Clone)]
pub struct EntityAdapter<T: Entity> {
    ids: Vec<T::Id>,
    entities: HashMap<T::Id, Arc<T>, ById>,
    sort: Option<SortComparer<T>>,
}

impl<T: Entity> PartialEq for EntityAdapter<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids && self.entities == other.entities
    }
}

impl<T: Entity> fmt::Debug for EntityAdapter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Entity> Default for EntityAdapter<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Entity> EntityAdapter<T> {
    /// An empty adapter keeping insertion order.
    pub fn new() -> Self {
        Self {
            ids: Vec::new(),
            entities: HashMap::default(),
            sort: None,
        }
    }

    /// An empty adapter keeping ids sorted by `compare`.
    pub fn sorted(compare: SortComparer<T>) -> Self {
        Self {
            sort: Some(compare),
            ..Self::new()
        }
    }

    /// The entity with `id`.
    pub fn get(&self, id: &T::Id) -> Option<&T> {
        self.entities.get(id).map(Arc::as_ref)
    }

    /// The entity with `id`, shared: it stays as it is while the adapter
    /// moves on.
    pub fn get_shared(&self, id: &T::Id) -> Option<&Arc<T>> {
        self.entities.get(id)
    }

    /// Whether `id` is held.
    pub fn contains(&self, id: &T::Id) -> bool {
        self.entities.contains_key(id)
    }

    /// The ids, in order.
    pub fn ids(&self) -> &[T::Id] {
        &self.ids
    }

    /// The entities, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.ids.iter().map(|id| self.entities[id].as_ref())
    }

    /// How many entities are held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Inserts `entity` if its id is absent; `true` if inserted.
    pub fn add_one(&mut self, entity: T) -> bool {
        if self.contains(&entity.id()) {
            return false;
        }
        self.put(entity);
        true
    }

    /// [`EntityAdapter::add_one`] for each.
    pub fn add_many(&mut self, entities: impl IntoIterator<Item = T>) {
        let entities = entities.into_iter();
        self.reserve(entities.size_hint().0);
        for e in entities {
            self.add_one(e);
        }
    }

    /// Inserts `entity`, or replaces the held one unless that one has a
    /// newer version (an old response must not undo a newer event).
    /// `true` if anything changed.
    pub fn upsert_one(&mut self, entity: T) -> bool {
        match self.get(&entity.id()) {
            Some(held) if held.version() > entity.version() || *held == entity => false,
            _ => {
                self.put(entity);
                true
            }
        }
    }

    /// [`EntityAdapter::upsert_one`] for each.
    pub fn upsert_many(&mut self, entities: impl IntoIterator<Item = T>) {
        let entities = entities.into_iter();
        self.reserve(entities.size_hint().0);
        for e in entities {
            self.upsert_one(e);
        }
    }

    /// Patches the entity `id`; `true` if it is held.
    pub fn update_one(&mut self, id: &T::Id, patch: &T::Patch) -> bool {
        match self.get(id) {
            Some(held) => {
                let next = held.patched(patch);
                self.put(next);
                true
            }
            None => false,
        }
    }

    /// Removes `id`; `true` if it was held.
    pub fn remove_one(&mut self, id: &T::Id) -> bool {
        if self.entities.remove(id).is_none() {
            return false;
        }
        self.ids.retain(|i| i != id);
        true
    }

    /// Removes every entity for which `pred` holds.
    pub fn remove_where(&mut self, pred: impl Fn(&T) -> bool) {
        let entities = &mut self.entities;
        self.ids.retain(|id| {
            let gone = pred(&entities[id]);
            if gone {
                entities.remove(id);
            }
            !gone
        });
    }

    /// Replaces everything with `entities` (later duplicates win).
    pub fn set_all(&mut self, entities: impl IntoIterator<Item = T>) {
        self.ids.clear();
        self.entities.clear();
        for e in entities {
            self.put(e);
        }
    }

    /// Applies one [`EntityOp`].
    pub fn apply(&mut self, op: &EntityOp<T>) {
        match op {
            EntityOp::Add(e) => {
                self.add_one(e.clone());
            }
            EntityOp::Upsert(e) => {
                self.upsert_one(e.clone());
            }
            EntityOp::Update { id, patch } => {
                self.update_one(id, patch);
            }
            EntityOp::Remove(id) => {
                self.remove_one(id);
            }
            EntityOp::SetAll(all) => self.set_all(all.iter().cloned()),
        }
    }

    /// Room for `more` entities without growing the map one doubling at a
    /// time.
    fn reserve(&mut self, more: usize) {
        self.entities.reserve(more);
        self.ids.reserve(more);
    }

    /// Stores `entity` and puts its id in place.
    fn put(&mut self, entity: T) {
        let id = entity.id();
        let known = self.entities.insert(id.clone(), Arc::new(entity)).is_some();
        let Some(compare) = self.sort else {
            if !known {
                self.ids.push(id);
            }
            return;
        };
        if known {
            self.ids.retain(|i| *i != id);
        }
        let entity = &self.entities[&id];
        let at = self
            .ids
            .partition_point(|i| compare(&self.entities[i], entity) != Ordering::Greater);
        self.ids.insert(at, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tests::fixtures::{post, user};
    use crate::model::{Name, Role, Title};

    fn by_name(a: &User, b: &User) -> Ordering {
        a.name.as_str().cmp(b.name.as_str())
    }

    #[test]
    fn keeps_comparer_order_through_changes() {
        let mut users = EntityAdapter::sorted(by_name);
        users.add_many([user(1, "Cy", Role::User), user(2, "Al", Role::Admin)]);
        assert!(
            !users.add_one(user(1, "Zed", Role::User)),
            "add never replaces"
        );
        users.add_one(user(3, "Bo", Role::User));
        let names = |u: &EntityAdapter<User>| -> Vec<String> {
            u.iter().map(|u| u.name.to_string()).collect()
        };
        assert_eq!(names(&users), ["Al", "Bo", "Cy"]);
        let patch = UserPatch {
            name: Some(Name::parse("Aa").unwrap()),
            ..Default::default()
        };
        assert!(users.update_one(&Uuid::from_u128(1), &patch));
        assert_eq!(names(&users), ["Aa", "Al", "Bo"]);
        assert!(users.remove_one(&Uuid::from_u128(2)));
        assert!(!users.remove_one(&Uuid::from_u128(2)));
        assert_eq!(names(&users), ["Aa", "Bo"]);
        assert!(!users.update_one(&Uuid::from_u128(9), &patch));
    }

    #[test]
    fn upsert_never_goes_back_a_version() {
        let mut users = EntityAdapter::new();
        let mut newer = user(1, "New", Role::User);
        newer.version = 3;
        users.upsert_one(newer.clone());
        let older = user(1, "Old", Role::User);
        assert!(!users.upsert_one(older));
        assert_eq!(users.get(&newer.id), Some(&newer));
        let mut newest = newer.clone();
        newest.version = 4;
        newest.role = Role::Admin;
        assert!(users.upsert_one(newest.clone()));
        assert_eq!(users.get(&newer.id).unwrap().role, Role::Admin);
        assert_eq!(users.ids(), [newer.id]);
    }

    #[test]
    fn ops_and_bulk_changes() {
        let mut posts = EntityAdapter::<Post>::new();
        let a = post(10, 1);
        let b = post(11, 2);
        posts.apply(&EntityOp::SetAll(vec![a.clone(), b.clone()]));
        assert_eq!(posts.len(), 2);
        posts.apply(&EntityOp::Update {
            id: a.id,
            patch: PostPatch {
                title: Some(Title::parse("changed").unwrap()),
                content: None,
            },
        });
        assert_eq!(posts.get(&a.id).unwrap().title.as_str(), "changed");
        posts.remove_where(|p| p.author_id == Uuid::from_u128(2));
        assert_eq!(posts.ids(), [a.id]);
        posts.apply(&EntityOp::Remove(a.id));
        assert!(posts.is_empty());
        posts.apply(&EntityOp::Add(b.clone()));
        posts.upsert_many([b.clone()]);
        assert_eq!(posts.iter().collect::<Vec<_>>(), [&b]);
    }
}
