//! The client's normalized store: users and posts by id, under optimistic
//! layers, fed by responses and by the server's change events.
//!
//! [`Entities`] is the plain state, [`StoreOp`] its changes, and
//! [`EntityStore`] the layered whole the UI reads (through selectors).
//! [`ops_for_event`] turns a realtime event into ops, which
//! [`QueryClient::apply_change_event`](super::QueryClient::apply_change_event)
//! applies to the store (under the layers, at most once) and to the cached
//! lists holding what they change.

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::entities::{EntityAdapter, EntityOp};
use super::optimistic::{Layered, Optimistic};
use super::tags::EventKind;
use crate::model::{Post, User};

/// Users and posts, each held once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entities {
    /// Users by id.
    pub users: EntityAdapter<User>,
    /// Posts by id.
    pub posts: EntityAdapter<Post>,
}

/// One change to [`Entities`] (serializable: it can cross to another tab).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoreOp {
    /// A change to the users.
    User(EntityOp<User>),
    /// A change to the posts.
    Post(EntityOp<Post>),
    /// Remove every post by this author (their account went).
    RemovePostsBy(Uuid),
}

impl Layered for Entities {
    type Op = StoreOp;
    fn apply(&mut self, op: &StoreOp) {
        match op {
            StoreOp::User(op) => self.users.apply(op),
            StoreOp::Post(op) => self.posts.apply(op),
            StoreOp::RemovePostsBy(author) => self.posts.remove_where(|p| p.author_id == *author),
        }
    }
}

/// The layered store the client reads.
pub type EntityStore = Optimistic<Entities>;

#[derive(Deserialize)]
struct IdOnly {
    id: Uuid,
}

/// The ops that apply event `kind` with payload `data`: none for a
/// [`redacted`](crate::protocol::redacted) one (its entity was deleted
/// later in the log, and that deletion applies it).
pub fn ops_for_event(kind: EventKind, data: &Value) -> Result<Vec<StoreOp>, serde_json::Error> {
    let id = || IdOnly::deserialize(data).map(|d| d.id);
    if crate::protocol::is_redacted(data) {
        id()?;
        return Ok(Vec::new());
    }
    Ok(match kind {
        EventKind::UserCreated | EventKind::UserUpdated => {
            vec![StoreOp::User(EntityOp::Upsert(User::deserialize(data)?))]
        }
        EventKind::UserDeleted => {
            let id = id()?;
            vec![
                StoreOp::User(EntityOp::Remove(id)),
                StoreOp::RemovePostsBy(id),
            ]
        }
        EventKind::PostCreated | EventKind::PostUpdated => {
            vec![StoreOp::Post(EntityOp::Upsert(Post::deserialize(data)?))]
        }
        EventKind::PostDeleted => vec![StoreOp::Post(EntityOp::Remove(id()?))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::mutation::MutationId;
    use crate::cache::optimistic::EventOutcome;
    use crate::cache::tests::fixtures::{post, user};
    use crate::model::{Name, Role, UserPatch};

    #[test]
    fn events_rebase_under_an_optimistic_rename() {
        let ada = user(1, "Ada", Role::User);
        let mut store = EntityStore::default();
        store.confirm(&[
            StoreOp::User(EntityOp::SetAll(vec![ada.clone()])),
            StoreOp::Post(EntityOp::SetAll(vec![post(10, 1), post(11, 2)])),
        ]);
        let rename = UserPatch {
            name: Some(Name::parse("Ada L.").unwrap()),
            ..Default::default()
        };
        store.apply_layer(
            MutationId(1),
            vec![StoreOp::User(EntityOp::Update {
                id: ada.id,
                patch: rename,
            })],
        );
        // Someone else changes Ada's role: the event lands under the rename.
        let mut promoted = ada.clone();
        promoted.role = Role::Admin;
        promoted.version = 2;
        let data = serde_json::to_value(&promoted).unwrap();
        let event = |kind, data: &Value| ops_for_event(kind, data).unwrap();
        let outcome = store.apply_event(1, &event(EventKind::UserUpdated, &data));
        assert_eq!(outcome, EventOutcome::Applied);
        let shown = store.visible().users.get(&ada.id).unwrap();
        assert_eq!((shown.name.as_str(), shown.role), ("Ada L.", Role::Admin));
        assert_eq!(
            store.confirmed().users.get(&ada.id).unwrap().name.as_str(),
            "Ada"
        );
        assert_eq!(
            store.apply_event(1, &event(EventKind::UserUpdated, &data)),
            EventOutcome::Duplicate
        );
        store.rollback(MutationId(1));
        assert_eq!(store.visible().users.get(&ada.id), Some(&promoted));

        let gone = serde_json::json!({"id": ada.id});
        store.apply_event(2, &event(EventKind::UserDeleted, &gone));
        assert!(store.visible().users.is_empty());
        assert_eq!(store.visible().posts.len(), 1, "Ada's post went with her");
        assert!(ops_for_event(EventKind::PostCreated, &gone).is_err());
        assert_eq!(store.last_seq(), 2);
    }

    #[test]
    fn a_redacted_event_moves_the_position_and_changes_nothing() {
        let ada = user(1, "Ada", Role::User);
        let mut store = EntityStore::default();
        store.confirm(&[StoreOp::User(EntityOp::SetAll(vec![ada.clone()]))]);
        let forgotten = crate::protocol::redacted(user(2, "Bo", Role::User).id);
        for (seq, kind) in [(1, EventKind::UserCreated), (2, EventKind::PostUpdated)] {
            let outcome = store.apply_event(seq, &ops_for_event(kind, &forgotten).unwrap());
            assert_eq!(outcome, EventOutcome::Applied);
        }
        assert_eq!(store.last_seq(), 2);
        assert_eq!(store.visible().users.iter().collect::<Vec<_>>(), [&ada]);
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;
    use crate::cache::tests::fixtures::{post, user};
    use crate::model::{Name, PostPatch, Role, Title, UserPatch};

    /// Ops cross to other tabs as JSON: each reads back as itself.
    #[test]
    fn every_op_reads_back_from_json() {
        let ada = user(1, "Ada", Role::User);
        let first = post(2, 1);
        let ops = vec![
            StoreOp::User(EntityOp::Add(ada.clone())),
            StoreOp::User(EntityOp::Upsert(ada.clone())),
            StoreOp::User(EntityOp::Update {
                id: ada.id,
                patch: UserPatch {
                    name: Some(Name::parse("Ada L.").unwrap()),
                    role: Some(Role::Admin),
                    ..UserPatch::default()
                },
            }),
            StoreOp::User(EntityOp::Remove(ada.id)),
            StoreOp::Post(EntityOp::Update {
                id: first.id,
                patch: PostPatch {
                    title: Some(Title::parse("Renamed").unwrap()),
                    content: None,
                },
            }),
            StoreOp::Post(EntityOp::SetAll(vec![first])),
            StoreOp::RemovePostsBy(ada.id),
        ];
        let text = serde_json::to_string(&ops).unwrap();
        let back: Vec<StoreOp> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ops);
    }
}
