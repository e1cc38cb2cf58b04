//! What a query holds, declared in its options ([`Shape`]), so the engine
//! keeps the users and posts in it once, in its store.
//!
//! A shaped query's data is held *normalized*: every user or post in it is
//! replaced by its id (a JSON string), the rest (totals, pagination,
//! cursors, page params) kept as answered. Reading the query shows each id
//! as the entity the store holds, with the optimistic layers applied
//! (`shown.rs`); an id the store no longer holds drops out of its list. An update to one user thus reaches every list holding it
//! without touching the lists, and a list changes only when its membership
//! does (`live.rs` places and removes entities on events).

use serde_json::Value;
use uuid::Uuid;

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
    pub(crate) fn is_single(&self) -> bool {
        self.layout() == Layout::Single
    }

    /// Where this shape's data keeps its entities.
    pub(crate) fn layout(&self) -> Layout {
        match self {
            Shape::Opaque | Shape::UserStats => Layout::Plain,
            Shape::User | Shape::Post => Layout::Single,
            Shape::Users(_) => Layout::Array,
            Shape::UserPage(_) | Shape::PostPage { .. } => Layout::Page,
            Shape::PostPages => Layout::Pages,
        }
    }
}

/// Where a shape's data keeps its entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Layout {
    /// Nowhere: the data holds none.
    #[default]
    Plain,
    /// The data is one entity.
    Single,
    /// The data is a list of them.
    Array,
    /// In the `data` list of a page.
    Page,
    /// In the `data` list of each of the `pages`.
    Pages,
}

impl Layout {
    /// The entity lists inside `data`.
    pub(crate) fn lists_mut(self, data: &mut Value) -> Vec<&mut Vec<Value>> {
        match self {
            Layout::Page => data
                .get_mut("data")
                .and_then(Value::as_array_mut)
                .into_iter()
                .collect(),
            Layout::Array => data.as_array_mut().into_iter().collect(),
            Layout::Pages => data
                .get_mut("pages")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(|page| page.get_mut("data").and_then(Value::as_array_mut))
                .collect(),
            Layout::Plain | Layout::Single => Vec::new(),
        }
    }

    /// The entity lists inside `data`.
    pub(crate) fn lists(self, data: &Value) -> Vec<&Vec<Value>> {
        match self {
            Layout::Page => data
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .collect(),
            Layout::Array => data.as_array().into_iter().collect(),
            Layout::Pages => data
                .get("pages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|page| page.get("data").and_then(Value::as_array))
                .collect(),
            Layout::Plain | Layout::Single => Vec::new(),
        }
    }
}

/// The entity lists inside `data` as this shape places them.
pub(crate) fn lists_mut<'a>(shape: &Shape, data: &'a mut Value) -> Vec<&'a mut Vec<Value>> {
    shape.layout().lists_mut(data)
}

/// The entity lists inside `data` as this shape places them.
pub(crate) fn lists<'a>(shape: &Shape, data: &'a Value) -> Vec<&'a Vec<Value>> {
    shape.layout().lists(data)
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
            *slot = id_slot(id);
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

/// The slot that holds entity `id` in normalized data: its id as a JSON
/// string.
pub(crate) fn id_slot(id: Uuid) -> Value {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    Value::String(id.hyphenated().encode_lower(&mut text).to_owned())
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
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
        assert_eq!(held(&Shape::Post, &one), [(EntityKind::Post, a.id)]);
    }

    #[test]
    fn what_is_not_an_entity_is_left_as_it_is() {
        let mut data = json!({"data": [{"not": "a user"}], "pagination": null});
        let shape = Shape::UserPage(UserFilter::default());
        assert_eq!(normalize(&shape, &mut data), Carried::default());
        assert_eq!(data["data"][0], json!({"not": "a user"}));
        let mut opaque = json!({"anything": 1});
        normalize(&Shape::Opaque, &mut opaque);
        assert_eq!(opaque, json!({"anything": 1}));
    }
}
