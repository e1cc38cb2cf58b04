//! What a query holds, declared in its options ([`Shape`]), so the engine
//! keeps the users and posts in it once, in its store.
//!
//! A shaped query's data is held *normalized*: every user or post in it is
//! replaced by its id (a JSON string), the rest (totals, pagination,
//! cursors, page params) kept as answered. Reading the query
//! *denormalizes*: each id becomes the entity as the store shows it, with
//! the optimistic layers applied; an id the store no longer holds drops out
//! of its list. An update to one user thus reaches every list holding it
//! without touching the lists, and a list changes only when its membership
//! does (`live.rs` places and removes entities on events).

use serde_json::Value;
use uuid::Uuid;

use super::store::Entities;
use crate::model::{Post, User, UserFilter};

/// The shape of a query's data; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Shape {
    /// Kept as answered; the engine does not look inside.
    #[default]
    Opaque,
    /// One user.
    User,
    /// One post.
    Post,
    /// One numbered page (`Page<User>`: `data` and `pagination`) of the
    /// users this filter lists, in its order.
    UserPage(UserFilter),
    /// Every user this filter lists, in its order (a JSON array).
    Users(UserFilter),
    /// One keyset page of posts (`CursorPage<Post>`), newest first; by one
    /// author when `author` is set.
    PostPage {
        /// Only this author's posts.
        author: Option<Uuid>,
    },
    /// An infinite list of keyset pages of posts, newest first: the feed.
    PostPages,
    /// The users' numbers (`UserStats`), kept in step with user events.
    UserStats,
}

/// Which store an entity id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// A user.
    User,
    /// A post.
    Post,
}

/// One entity a query holds: its kind and id.
pub type EntityRef = (EntityKind, Uuid);

/// The entities a response carried, taken out of it by [`normalize`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carried {
    /// Users, in the order the response listed them.
    pub users: Vec<User>,
    /// Posts, likewise.
    pub posts: Vec<Post>,
}

impl Shape {
    /// The kind of entity this shape holds, if any.
    pub fn kind(&self) -> Option<EntityKind> {
        match self {
            Shape::Opaque | Shape::UserStats => None,
            Shape::User | Shape::UserPage(_) | Shape::Users(_) => Some(EntityKind::User),
            Shape::Post | Shape::PostPage { .. } | Shape::PostPages => Some(EntityKind::Post),
        }
    }

    /// Whether the data is one entity rather than lists of them.
    fn is_single(&self) -> bool {
        matches!(self, Shape::User | Shape::Post)
    }
}

/// A copy of `data` whose entity lists are empty: all a re-shown value
/// keeps of the normalized one (its rows are rebuilt, not copied).
fn hollow(shape: &Shape, data: &Value) -> Value {
    /// `value` copied, its array field `name` replaced by `f` of it.
    fn with_array(value: &Value, name: &str, f: impl Fn(&[Value]) -> Vec<Value>) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(field, v)| match v {
                        Value::Array(items) if field == name => {
                            (field.clone(), Value::Array(f(items)))
                        }
                        _ => (field.clone(), v.clone()),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let without_rows = |page: &Value| with_array(page, "data", |_| Vec::new());
    match (shape, data) {
        (Shape::UserPage(_) | Shape::PostPage { .. }, page) => without_rows(page),
        (Shape::Users(_), Value::Array(_)) => Value::Array(Vec::new()),
        (Shape::PostPages, feed) => with_array(feed, "pages", |pages| {
            pages.iter().map(without_rows).collect()
        }),
        _ => data.clone(),
    }
}

/// The entity lists inside `data` as this shape places them.
pub(crate) fn lists_mut<'a>(shape: &Shape, data: &'a mut Value) -> Vec<&'a mut Vec<Value>> {
    match shape {
        Shape::UserPage(_) | Shape::PostPage { .. } => data
            .get_mut("data")
            .and_then(Value::as_array_mut)
            .into_iter()
            .collect(),
        Shape::Users(_) => data.as_array_mut().into_iter().collect(),
        Shape::PostPages => data
            .get_mut("pages")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|page| page.get_mut("data").and_then(Value::as_array_mut))
            .collect(),
        Shape::Opaque | Shape::User | Shape::Post | Shape::UserStats => Vec::new(),
    }
}

fn lists<'a>(shape: &Shape, data: &'a Value) -> Vec<&'a Vec<Value>> {
    match shape {
        Shape::UserPage(_) | Shape::PostPage { .. } => data
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .collect(),
        Shape::Users(_) => data.as_array().into_iter().collect(),
        Shape::PostPages => data
            .get("pages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|page| page.get("data").and_then(Value::as_array))
            .collect(),
        Shape::Opaque | Shape::User | Shape::Post | Shape::UserStats => Vec::new(),
    }
}

/// Takes the entities out of `data`, leaving their ids in their places.
/// An id already in place stays; an object that is not an entity of the
/// shape's kind is left as it is (and is not live).
pub fn normalize(shape: &Shape, data: &mut Value) -> Carried {
    let mut carried = Carried::default();
    let Some(kind) = shape.kind() else {
        return carried;
    };
    let mut take = |slot: &mut Value| {
        if !slot.is_object() {
            return;
        }
        let id = match kind {
            EntityKind::User => serde_json::from_value::<User>(slot.clone()).ok().map(|u| {
                let id = u.id;
                carried.users.push(u);
                id
            }),
            EntityKind::Post => serde_json::from_value::<Post>(slot.clone()).ok().map(|p| {
                let id = p.id;
                carried.posts.push(p);
                id
            }),
        };
        if let Some(id) = id {
            *slot = Value::String(id.to_string());
        }
    };
    if shape.is_single() {
        take(data);
    } else {
        for list in lists_mut(shape, data) {
            list.iter_mut().for_each(&mut take);
        }
    }
    carried
}

/// The id a normalized slot holds.
pub(crate) fn slot_id(slot: &Value) -> Option<Uuid> {
    slot.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

/// The entities normalized `data` refers to, in order.
pub fn held(shape: &Shape, data: &Value) -> Vec<EntityRef> {
    let Some(kind) = shape.kind() else {
        return Vec::new();
    };
    if shape.is_single() {
        return slot_id(data).map(|id| (kind, id)).into_iter().collect();
    }
    lists(shape, data)
        .into_iter()
        .flatten()
        .filter_map(slot_id)
        .map(|id| (kind, id))
        .collect()
}

/// `data` with each id replaced by its entity from `entities`; an id not
/// held drops out of its list. `None` for a single entity that is gone.
pub fn denormalize(shape: &Shape, data: &Value, entities: &Entities) -> Option<Value> {
    reshow(shape, data, None, entities, |_| true)
}

/// [`denormalize`], reusing what `old` (the data as last shown) already
/// shows: an entity not in `fresh` is taken from `old` when it is there,
/// so only new or changed entities are serialized again. `old` must be
/// current for every entity not in `fresh` (the caller re-shows after each
/// change to the store); a list of `data` with no counterpart in `old`
/// (another structure) is read from `entities` whole.
pub(crate) fn reshow(
    shape: &Shape,
    data: &Value,
    old: Option<Value>,
    entities: &Entities,
    fresh: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let Some(kind) = shape.kind() else {
        return Some(data.clone());
    };
    let entity = |id: Uuid| entity_json(entities, kind, id);
    if shape.is_single() {
        return match slot_id(data) {
            Some(_) if !fresh(data) && old.as_ref().and_then(|o| o.get("id")) == Some(data) => old,
            Some(id) => entity(id),
            None => Some(data.clone()),
        };
    }
    let mut old = old;
    let mut before: Vec<Vec<Value>> = old
        .as_mut()
        .map(|o| {
            lists_mut(shape, o)
                .into_iter()
                .map(std::mem::take)
                .collect()
        })
        .unwrap_or_default();
    let ids = lists(shape, data);
    before.resize_with(ids.len(), Vec::new);
    let mut out = hollow(shape, data);
    for ((list, mut was), ids) in lists_mut(shape, &mut out).into_iter().zip(before).zip(ids) {
        let mut from = 0;
        list.reserve(ids.len());
        for slot in ids {
            let kept = (slot.is_string() && !fresh(slot))
                .then(|| was[from..].iter().position(|v| v.get("id") == Some(slot)))
                .flatten();
            match (kept, slot_id(slot)) {
                (Some(at), _) => {
                    list.push(std::mem::take(&mut was[from + at]));
                    from += at + 1;
                }
                (None, Some(id)) => list.extend(entity(id)),
                (None, None) => list.push(slot.clone()),
            }
        }
    }
    Some(out)
}

/// Changed entities as they now show: each one's JSON, or `None` when the
/// visible store no longer holds it. Serialized once, however many
/// queries hold them.
pub(crate) struct Changed {
    users: Vec<(Value, Option<Value>)>,
    posts: Vec<(Value, Option<Value>)>,
}

impl Changed {
    /// `refs` as `entities` now shows them.
    pub(crate) fn of(refs: &[EntityRef], entities: &Entities) -> Self {
        let mut changed = Self {
            users: Vec::new(),
            posts: Vec::new(),
        };
        for &(kind, id) in refs {
            let now = (
                Value::String(id.to_string()),
                entity_json(entities, kind, id),
            );
            match kind {
                EntityKind::User => changed.users.push(now),
                EntityKind::Post => changed.posts.push(now),
            }
        }
        changed
    }

    fn of_kind(&self, kind: EntityKind) -> &[(Value, Option<Value>)] {
        match kind {
            EntityKind::User => &self.users,
            EntityKind::Post => &self.posts,
        }
    }
}

/// Brings `shown` (normalized `data` as last shown) up to date with the
/// `changed` entities, in place where it can: when no entity was missing
/// from a list, each changed row is replaced (or dropped, if gone) where it
/// stands. Otherwise the list is re-shown ([`reshow`]).
pub(crate) fn patch_shown(
    shape: &Shape,
    data: &Value,
    shown: Option<Value>,
    entities: &Entities,
    changed: &Changed,
) -> Option<Value> {
    let Some(kind) = shape.kind() else {
        return shown;
    };
    let changed = changed.of_kind(kind);
    let news = |slot: &Value| changed.iter().find(|(id, _)| id == slot).map(|(_, v)| v);
    if shape.is_single() {
        return match news(data) {
            Some(now) => now.clone(),
            None => shown,
        };
    }
    let Some(mut shown) = shown else {
        return denormalize(shape, data, entities);
    };
    let ids = lists(shape, data);
    let rows = lists_mut(shape, &mut shown);
    let aligned = ids.len() == rows.len() && ids.iter().zip(&rows).all(|(i, r)| i.len() == r.len());
    if !aligned {
        let fresh = |slot: &Value| changed.iter().any(|(id, _)| id == slot);
        return reshow(shape, data, Some(shown), entities, fresh);
    }
    for (ids, rows) in ids.into_iter().zip(rows) {
        let mut gone = false;
        for (slot, row) in ids.iter().zip(rows.iter_mut()) {
            match news(slot) {
                Some(Some(now)) => *row = now.clone(),
                Some(None) => {
                    *row = Value::Null;
                    gone = true;
                }
                None => {}
            }
        }
        if gone {
            rows.retain(|row| !row.is_null());
        }
    }
    Some(shown)
}

/// Entity `id` of `kind` as JSON, if `entities` holds it.
fn entity_json(entities: &Entities, kind: EntityKind, id: Uuid) -> Option<Value> {
    match kind {
        EntityKind::User => entities.users.get(&id).map(to_json),
        EntityKind::Post => entities.posts.get(&id).map(to_json),
    }
}

fn to_json<T: serde::Serialize>(entity: &T) -> Value {
    serde_json::to_value(entity).expect("entities serialize")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cache::entities::EntityOp;
    use crate::cache::optimistic::Layered;
    use crate::cache::store::StoreOp;
    use crate::cache::tests::fixtures::{post, user};
    use crate::model::{Pagination, Role};

    #[test]
    fn a_page_of_users_keeps_ids_and_its_metadata() {
        let (ada, bob) = (user(1, "Ada", Role::User), user(2, "Bob", Role::Admin));
        let mut data = json!({
            "data": [ada, bob],
            "pagination": Pagination::new(1, 20, 2),
        });
        let shape = Shape::UserPage(UserFilter::default());
        let carried = normalize(&shape, &mut data);
        assert_eq!(carried.users, [ada.clone(), bob.clone()]);
        assert_eq!(
            data["data"],
            json!([ada.id.to_string(), bob.id.to_string()])
        );
        assert_eq!(data["pagination"]["total"], 2);
        assert_eq!(
            held(&shape, &data),
            [(EntityKind::User, ada.id), (EntityKind::User, bob.id)]
        );

        let mut entities = Entities::default();
        entities.apply(&StoreOp::User(EntityOp::SetAll(vec![ada.clone()])));
        let shown = denormalize(&shape, &data, &entities).unwrap();
        assert_eq!(
            shown["data"],
            json!([ada]),
            "a user the store lost drops out"
        );
        assert_eq!(normalize(&shape, &mut data.clone()), Carried::default());
    }

    #[test]
    fn every_page_of_the_feed_and_one_post_normalize() {
        let (a, b) = (post(10, 1), post(11, 1));
        let mut feed = json!({
            "pages": [{"data": [a], "nextCursor": "c", "hasMore": true}, {"data": [b], "nextCursor": null, "hasMore": false}],
            "pageParams": [null, "c"],
        });
        let carried = normalize(&Shape::PostPages, &mut feed);
        assert_eq!(carried.posts, [a.clone(), b.clone()]);
        assert_eq!(feed["pages"][1]["data"], json!([b.id.to_string()]));
        assert_eq!(feed["pageParams"], json!([null, "c"]));

        let mut one = serde_json::to_value(&a).unwrap();
        normalize(&Shape::Post, &mut one);
        assert_eq!(one, json!(a.id.to_string()));
        let mut entities = Entities::default();
        assert_eq!(denormalize(&Shape::Post, &one, &entities), None);
        entities.apply(&StoreOp::Post(EntityOp::Upsert(a.clone())));
        assert_eq!(
            denormalize(&Shape::Post, &one, &entities),
            Some(serde_json::to_value(&a).unwrap())
        );
    }

    #[test]
    fn what_is_not_an_entity_is_left_as_it_is() {
        let mut data = json!({"data": [{"not": "a user"}], "pagination": null});
        let shape = Shape::UserPage(UserFilter::default());
        assert_eq!(normalize(&shape, &mut data), Carried::default());
        assert_eq!(data["data"][0], json!({"not": "a user"}));
        let mut opaque = json!({"anything": 1});
        normalize(&Shape::Opaque, &mut opaque);
        assert_eq!(
            denormalize(&Shape::Opaque, &opaque, &Entities::default()),
            Some(json!({"anything": 1}))
        );
    }

    #[test]
    fn reshowing_serializes_only_what_is_new_or_changed() {
        let (ada, bob, cy) = (
            user(1, "Ada", Role::User),
            user(2, "Bob", Role::Admin),
            user(3, "Cy", Role::User),
        );
        let shape = Shape::UserPage(UserFilter::default());
        let mut entities = Entities::default();
        entities.apply(&StoreOp::User(EntityOp::SetAll(vec![
            ada.clone(),
            bob.clone(),
            cy.clone(),
        ])));
        let ids = |users: &[&User]| json!({"data": users.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(), "pagination": null});
        // What was shown carries a mark the store's users do not: a row
        // taken from it keeps the mark, a row serialized anew has none.
        let marked = |u: &User| {
            let mut v = serde_json::to_value(u).unwrap();
            v["mark"] = json!(true);
            v
        };
        let old = json!({"data": [marked(&ada), marked(&bob)], "pagination": null});
        let marks = |shown: &Value| -> Vec<(String, bool)> {
            shown["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap().to_owned(),
                        v.get("mark").is_some(),
                    )
                })
                .collect()
        };
        let names = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
            list.iter().map(|(n, m)| (n.to_string(), *m)).collect()
        };

        // Cy placed between them: only Cy is serialized.
        let data = ids(&[&ada, &cy, &bob]);
        let shown = reshow(&shape, &data, Some(old.clone()), &entities, |_| false).unwrap();
        assert_eq!(
            marks(&shown),
            names(&[("Ada", true), ("Cy", false), ("Bob", true)])
        );

        // Bob changed: Bob is serialized anew, Ada kept.
        let bob_id = Value::String(bob.id.to_string());
        let shown = reshow(
            &shape,
            &ids(&[&ada, &bob]),
            Some(old.clone()),
            &entities,
            |id| *id == bob_id,
        )
        .unwrap();
        assert_eq!(marks(&shown), names(&[("Ada", true), ("Bob", false)]));

        // Bob gone from the store.
        entities.apply(&StoreOp::User(EntityOp::Remove(bob.id)));
        let shown = reshow(&shape, &ids(&[&bob, &cy]), Some(old), &entities, |id| {
            *id == bob_id
        });
        assert_eq!(marks(&shown.unwrap()), names(&[("Cy", false)]));

        // Whatever is reused, the result is what denormalizing shows.
        let data = ids(&[&cy, &ada]);
        assert_eq!(
            reshow(&shape, &data, None, &entities, |_| false),
            denormalize(&shape, &data, &entities)
        );
    }
}
