//! A shaped query's data as readers see it ([`ShownData`]): the data's
//! frame (totals, pagination, cursors, page params) and each of its lists
//! as rows that *are* the store's entities, shared, not copied.
//!
//! The store keeps each entity behind an `Arc`; a row holds that `Arc`. A
//! change to one user therefore reaches a list holding it as one pointer
//! swapped, however many lists hold it, and a reader of the rows
//! ([`ShownData::users`], [`ShownData::posts`]) reads the store's own
//! values. Readers that decode JSON get [`ShownData::json`], built from the
//! rows on the first read after a change and kept until the next one.

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use uuid::Uuid;

use super::shape::{lists, slot_id, EntityKind, EntityRef, Layout, Shape};
use super::store::Entities;
use crate::model::{Post, User};

/// One row of a shown list.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A user, shared with the store.
    User(Arc<User>),
    /// A post, shared with the store.
    Post(Arc<Post>),
    /// A value in the list that is not an entity of the shape's kind,
    /// kept as answered.
    Other(Value),
}

impl Row {
    /// The entity's id; `None` for [`Row::Other`].
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Row::User(u) => Some(u.id),
            Row::Post(p) => Some(p.id),
            Row::Other(_) => None,
        }
    }

    /// The user this row shows, if it is one.
    pub fn as_user(&self) -> Option<&User> {
        match self {
            Row::User(u) => Some(u),
            _ => None,
        }
    }

    /// The post this row shows, if it is one.
    pub fn as_post(&self) -> Option<&Post> {
        match self {
            Row::Post(p) => Some(p),
            _ => None,
        }
    }

    /// The row as JSON, as the server answers the entity.
    pub fn to_json(&self) -> Value {
        match self {
            Row::User(u) => serde_json::to_value(&**u).expect("users serialize"),
            Row::Post(p) => serde_json::to_value(&**p).expect("posts serialize"),
            Row::Other(v) => v.clone(),
        }
    }

    /// The entity `id` of `kind` as the store holds it, shared.
    fn of(entities: &Entities, kind: EntityKind, id: Uuid) -> Option<Self> {
        match kind {
            EntityKind::User => entities.users.get_shared(&id).cloned().map(Row::User),
            EntityKind::Post => entities.posts.get_shared(&id).cloned().map(Row::Post),
        }
    }
}

/// A shaped query's data as shown; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct ShownData {
    /// The data with its lists empty; `Null` for a single entity.
    frame: Value,
    /// Each list's rows, in the shape's order of lists; a single entity is
    /// one list of one row.
    lists: Vec<Vec<Row>>,
    /// Where the frame keeps its lists.
    layout: Layout,
    /// The whole as JSON, built on first read.
    json: OnceLock<Value>,
}

impl PartialEq for ShownData {
    fn eq(&self, other: &Self) -> bool {
        self.layout == other.layout && self.frame == other.frame && self.lists == other.lists
    }
}

impl ShownData {
    /// Data that holds no entity (a shape without any), shown as it is.
    fn plain(data: &Value) -> Self {
        Self {
            frame: data.clone(),
            ..Self::default()
        }
    }

    /// The data's lists, each as rows.
    pub fn lists(&self) -> &[Vec<Row>] {
        &self.lists
    }

    /// Every row, list after list.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.lists.iter().flatten()
    }

    /// Every user shown, in order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.rows().filter_map(Row::as_user)
    }

    /// Every post shown, in order.
    pub fn posts(&self) -> impl Iterator<Item = &Post> {
        self.rows().filter_map(Row::as_post)
    }

    /// The data around the lists (totals, pagination, cursors), the lists
    /// themselves empty.
    pub fn frame(&self) -> &Value {
        &self.frame
    }

    /// The whole as JSON, as the server would answer it.
    pub fn json(&self) -> &Value {
        self.json.get_or_init(|| self.build_json())
    }

    /// The whole as JSON, owned.
    pub fn into_json(self) -> Value {
        match self.json.into_inner() {
            Some(json) => json,
            None => Self::build(self.frame, &self.lists, self.layout),
        }
    }

    fn build_json(&self) -> Value {
        Self::build(self.frame.clone(), &self.lists, self.layout)
    }

    fn build(mut frame: Value, lists: &[Vec<Row>], layout: Layout) -> Value {
        if layout == Layout::Single {
            return lists
                .first()
                .and_then(|l| l.first())
                .map_or(Value::Null, Row::to_json);
        }
        for (slot, list) in layout.lists_mut(&mut frame).into_iter().zip(lists) {
            slot.extend(list.iter().map(Row::to_json));
        }
        frame
    }

    /// Shows list `index` as `ids` (a placement moved its rows): a row
    /// still there is kept, a new one taken from `entities`.
    pub(crate) fn place(
        &mut self,
        index: usize,
        kind: EntityKind,
        ids: &[Uuid],
        entities: &Entities,
    ) {
        let Some(list) = self.lists.get_mut(index) else {
            return;
        };
        let mut was = InOrder::new(std::mem::take(list));
        for &id in ids {
            let kept = was.take(id);
            list.extend(kept.or_else(|| Row::of(entities, kind, id)));
        }
        self.touched();
    }

    /// Sets field `name` of the frame (a page's `pagination`).
    pub(crate) fn set_frame_field(&mut self, name: &str, value: Value) {
        if let Some(slot) = self.frame.get_mut(name) {
            *slot = value;
            self.touched();
        }
    }

    /// Forgets the JSON: the rows changed.
    fn touched(&mut self) {
        self.json = OnceLock::new();
    }
}

/// The rows a list showed, taken again in their order: a row found is
/// taken with those before it passed over; a row not found takes nothing.
struct InOrder {
    rows: Vec<Option<Row>>,
    from: usize,
}

impl InOrder {
    fn new(rows: Vec<Row>) -> Self {
        Self {
            rows: rows.into_iter().map(Some).collect(),
            from: 0,
        }
    }

    fn take(&mut self, id: Uuid) -> Option<Row> {
        let rest = &mut self.rows[self.from..];
        let at = rest
            .iter()
            .position(|r| r.as_ref().and_then(Row::id) == Some(id))?;
        self.from += at + 1;
        rest[at].take()
    }
}

/// A copy of `data` whose entity lists are empty: all a shown value keeps
/// of the normalized one besides its rows.
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

/// Normalized `data` as shown: each id becomes its entity from `entities`
/// (an id not held drops out of its list). `None` for a single entity
/// that is gone.
pub fn denormalize(shape: &Shape, data: &Value, entities: &Entities) -> Option<ShownData> {
    reshow(shape, data, None, entities, |_| true)
}

/// [`denormalize`], taking the rows `old` (the data as last shown) already
/// has: an entity not `fresh` is taken from `old` when it is there in
/// order, without a look-up in the store. `old` must be current for every
/// entity not `fresh` (the caller re-shows after each change to the
/// store).
pub(crate) fn reshow(
    shape: &Shape,
    data: &Value,
    old: Option<ShownData>,
    entities: &Entities,
    fresh: impl Fn(Uuid) -> bool,
) -> Option<ShownData> {
    let Some(kind) = shape.kind() else {
        return Some(ShownData::plain(data));
    };
    if shape.is_single() {
        let id = slot_id(data);
        let kept = old.filter(|o| {
            id.is_some_and(|id| !fresh(id) && o.rows().next().and_then(Row::id) == Some(id))
        });
        return match (kept, id) {
            (Some(old), _) => Some(old),
            (None, Some(id)) => Some(ShownData {
                lists: vec![vec![Row::of(entities, kind, id)?]],
                layout: Layout::Single,
                ..ShownData::default()
            }),
            (None, None) => Some(ShownData {
                lists: vec![vec![Row::Other(data.clone())]],
                layout: Layout::Single,
                ..ShownData::default()
            }),
        };
    }
    let mut before = old.map(|o| o.lists).unwrap_or_default();
    let ids = lists(shape, data);
    before.resize_with(ids.len(), Vec::new);
    let shown_lists = ids
        .into_iter()
        .zip(before)
        .map(|(slots, was)| {
            let mut was = InOrder::new(was);
            let mut list = Vec::with_capacity(slots.len());
            for slot in slots {
                let Some(id) = slot_id(slot) else {
                    list.push(Row::Other(slot.clone()));
                    continue;
                };
                let kept = (!fresh(id)).then(|| was.take(id)).flatten();
                list.extend(kept.or_else(|| Row::of(entities, kind, id)));
            }
            list
        })
        .collect();
    Some(ShownData {
        frame: hollow(shape, data),
        lists: shown_lists,
        layout: shape.layout(),
        json: OnceLock::new(),
    })
}

/// Changed entities as they now show: each one's row, or `None` when the
/// visible store no longer holds it.
pub(crate) struct Changed {
    rows: Vec<(EntityRef, Option<Row>)>,
}

impl Changed {
    /// `refs` as `entities` now shows them.
    pub(crate) fn of(refs: &[EntityRef], entities: &Entities) -> Self {
        let rows = refs
            .iter()
            .map(|&(kind, id)| ((kind, id), Row::of(entities, kind, id)))
            .collect();
        Self { rows }
    }

    /// What became of entity `id` of `kind`, if it changed.
    fn news(&self, kind: EntityKind, id: Uuid) -> Option<&Option<Row>> {
        self.rows
            .iter()
            .find(|((k, i), _)| *i == id && *k == kind)
            .map(|(_, row)| row)
    }
}

/// Brings `shown` (normalized `data` as last shown) up to date with the
/// `changed` entities, in place where it can: when no entity was missing
/// from a list, each changed row is replaced (or dropped, if gone) where it
/// stands. Otherwise the list is re-shown ([`reshow`]).
pub(crate) fn patch_shown(
    shape: &Shape,
    data: &Value,
    shown: Option<ShownData>,
    entities: &Entities,
    changed: &Changed,
) -> Option<ShownData> {
    let Some(kind) = shape.kind() else {
        return shown;
    };
    let Some(mut shown) = shown else {
        return denormalize(shape, data, entities);
    };
    if shape.is_single() {
        return match slot_id(data).and_then(|id| changed.news(kind, id)) {
            Some(Some(now)) => {
                shown.lists = vec![vec![now.clone()]];
                shown.touched();
                Some(shown)
            }
            Some(None) => None,
            None => Some(shown),
        };
    }
    let ids = lists(shape, data);
    let aligned = ids.len() == shown.lists.len()
        && ids
            .iter()
            .zip(&shown.lists)
            .all(|(i, r)| i.len() == r.len());
    if !aligned {
        let fresh = |id: Uuid| changed.news(kind, id).is_some();
        return reshow(shape, data, Some(shown), entities, fresh);
    }
    let mut touched = false;
    for rows in &mut shown.lists {
        let mut gone = false;
        for row in rows.iter_mut() {
            let Some(news) = row.id().and_then(|id| changed.news(kind, id)) else {
                continue;
            };
            touched = true;
            match news {
                Some(now) => *row = now.clone(),
                None => gone = true,
            }
        }
        if gone {
            rows.retain(|row| {
                row.id()
                    .is_none_or(|id| !matches!(changed.news(kind, id), Some(None)))
            });
        }
    }
    if touched {
        shown.touched();
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cache::entities::EntityOp;
    use crate::cache::optimistic::Layered;
    use crate::cache::shape::normalize;
    use crate::cache::store::StoreOp;
    use crate::cache::tests::fixtures::{post, user};
    use crate::model::{Pagination, Role, UserFilter};

    fn store(users: &[&User], posts: &[&Post]) -> Entities {
        let mut entities = Entities::default();
        let users = users.iter().map(|u| (*u).clone()).collect();
        entities.apply(&StoreOp::User(EntityOp::SetAll(users)));
        let posts = posts.iter().map(|p| (*p).clone()).collect();
        entities.apply(&StoreOp::Post(EntityOp::SetAll(posts)));
        entities
    }

    #[test]
    fn a_page_shows_the_stores_users_and_its_metadata() {
        let (ada, bob) = (user(1, "Ada", Role::User), user(2, "Bob", Role::Admin));
        let mut data = json!({"data": [ada, bob], "pagination": Pagination::new(1, 20, 2)});
        let answered = data.clone();
        let shape = Shape::UserPage(UserFilter::default());
        normalize(&shape, &mut data);

        let entities = store(&[&ada, &bob], &[]);
        let shown = denormalize(&shape, &data, &entities).unwrap();
        assert_eq!(shown.json(), &answered, "the JSON is the answer");
        assert_eq!(shown.frame()["data"], json!([]));
        assert_eq!(shown.users().collect::<Vec<_>>(), [&ada, &bob]);
        let shared = entities.users.get_shared(&ada.id).unwrap();
        assert!(
            matches!(&shown.lists()[0][0], Row::User(u) if Arc::ptr_eq(u, shared)),
            "a row is the store's own user, not a copy"
        );

        let without_bob = store(&[&ada], &[]);
        let shown = denormalize(&shape, &data, &without_bob).unwrap();
        assert_eq!(
            shown.json()["data"],
            json!([ada]),
            "a user the store lost drops out"
        );
    }

    #[test]
    fn the_feed_and_one_post_show_as_answered() {
        let (a, b) = (post(10, 1), post(11, 1));
        let mut feed = json!({
            "pages": [{"data": [a], "nextCursor": "c", "hasMore": true}, {"data": [b], "nextCursor": null, "hasMore": false}],
            "pageParams": [null, "c"],
        });
        let answered = feed.clone();
        normalize(&Shape::PostPages, &mut feed);
        let entities = store(&[], &[&a, &b]);
        let shown = denormalize(&Shape::PostPages, &feed, &entities).unwrap();
        assert_eq!(shown.json(), &answered);
        assert_eq!(shown.posts().collect::<Vec<_>>(), [&a, &b]);

        let mut one = serde_json::to_value(&a).unwrap();
        normalize(&Shape::Post, &mut one);
        assert_eq!(denormalize(&Shape::Post, &one, &Entities::default()), None);
        let shown = denormalize(&Shape::Post, &one, &entities).unwrap();
        assert_eq!(shown.into_json(), serde_json::to_value(&a).unwrap());
    }

    #[test]
    fn what_is_not_an_entity_shows_as_it_is() {
        let shape = Shape::UserPage(UserFilter::default());
        let data = json!({"data": [{"not": "a user"}], "pagination": null});
        let shown = denormalize(&shape, &data, &Entities::default()).unwrap();
        assert_eq!(shown.json(), &data);
        let stats = json!({"total": 3});
        let shown = denormalize(&Shape::UserStats, &stats, &Entities::default()).unwrap();
        assert_eq!(shown.json(), &stats);
    }

    #[test]
    fn reshowing_looks_up_only_what_is_new_or_changed() {
        let (ada, bob, cy) = (
            user(1, "Ada", Role::User),
            user(2, "Bob", Role::Admin),
            user(3, "Cy", Role::User),
        );
        let shape = Shape::UserPage(UserFilter::default());
        let ids = |users: &[&User]| json!({"data": users.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(), "pagination": null});
        // What was shown holds renamed copies the store does not: a row
        // taken from it keeps its name, a row looked up has the store's.
        let marked = |u: &User| {
            let mut u = u.clone();
            u.name = crate::model::Name::parse(format!("{} (shown)", u.name)).unwrap();
            Row::User(Arc::new(u))
        };
        let old = ShownData {
            lists: vec![vec![marked(&ada), marked(&bob)]],
            layout: Layout::Page,
            ..ShownData::default()
        };
        let entities = store(&[&ada, &bob, &cy], &[]);
        let names = |shown: &ShownData| -> Vec<String> {
            shown.users().map(|u| u.name.to_string()).collect()
        };

        let shown = reshow(
            &shape,
            &ids(&[&ada, &cy, &bob]),
            Some(old.clone()),
            &entities,
            |_| false,
        );
        assert_eq!(names(&shown.unwrap()), ["Ada (shown)", "Cy", "Bob (shown)"]);

        let shown = reshow(
            &shape,
            &ids(&[&ada, &bob]),
            Some(old.clone()),
            &entities,
            |id| id == bob.id,
        );
        assert_eq!(names(&shown.unwrap()), ["Ada (shown)", "Bob"]);

        let without_bob = store(&[&ada, &cy], &[]);
        let shown = reshow(&shape, &ids(&[&bob, &cy]), Some(old), &without_bob, |id| {
            id == bob.id
        });
        assert_eq!(names(&shown.unwrap()), ["Cy"]);
    }

    #[test]
    fn a_patch_swaps_the_changed_row_and_forgets_the_json() {
        let (ada, bob) = (user(1, "Ada", Role::User), user(2, "Bob", Role::Admin));
        let shape = Shape::UserPage(UserFilter::default());
        let data = json!({"data": [ada.id.to_string(), bob.id.to_string()], "pagination": null});
        let mut entities = store(&[&ada, &bob], &[]);
        let shown = denormalize(&shape, &data, &entities).unwrap();
        assert_eq!(shown.json()["data"][1]["name"], "Bob");

        let mut renamed = bob.clone();
        renamed.name = crate::model::Name::parse("Robert").unwrap();
        renamed.version += 1;
        entities.apply(&StoreOp::User(EntityOp::Upsert(renamed.clone())));
        let changed = Changed::of(&[(EntityKind::User, bob.id)], &entities);
        let shown = patch_shown(&shape, &data, Some(shown), &entities, &changed).unwrap();
        assert_eq!(shown.json()["data"][1]["name"], "Robert");
        assert_eq!(shown.users().collect::<Vec<_>>(), [&ada, &renamed]);

        entities.apply(&StoreOp::User(EntityOp::Remove(bob.id)));
        let changed = Changed::of(&[(EntityKind::User, bob.id)], &entities);
        let shown = patch_shown(&shape, &data, Some(shown), &entities, &changed).unwrap();
        assert_eq!(shown.json()["data"], json!([ada]));
    }
}
