//! What the users table shows, as one pure function of its sources: the
//! users being created (optimistic, pending), users this tab created that
//! the loaded page does not hold yet, then the loaded page, each user as
//! the normalized store shows it (so optimistic edits, role changes and
//! deletions, and realtime updates, show at once). Grouping them by role
//! is the engine's ([`tidings::cache::group_by_role`]).

use std::collections::HashSet;

use tidings::cache::{EntityOp, EntityStore, StoreOp};
use tidings::{User, UserFilter};
use uuid::Uuid;

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub user: User,
    /// Created here, not yet answered by the server.
    pub pending: bool,
}

/// The ids of users that optimistic layers add and the server has not
/// confirmed.
fn drafts(store: &EntityStore) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = store
        .layers()
        .iter()
        .flat_map(|layer| &layer.ops)
        .filter_map(|op| match op {
            StoreOp::User(EntityOp::Add(u)) => Some(u.id),
            _ => None,
        })
        .filter(|id| !store.confirmed().users.contains(id))
        .collect();
    ids.dedup();
    ids.reverse();
    ids
}

/// The users this tab has seen go, and the users it created (newest
/// last), which the loaded page may not reflect yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recent {
    pub created: Vec<Uuid>,
    pub deleted: HashSet<Uuid>,
}

/// The rows of the table; see the module docs. Users `recent` created
/// that match `filter` and are missing from `page` are shown first; users
/// it deleted are not shown, though the page may still list them.
pub fn user_rows(
    page: &[User],
    store: &EntityStore,
    recent: &Recent,
    filter: &UserFilter,
) -> Vec<UserRow> {
    let created = &recent.created;
    let visible = &store.visible().users;
    let in_page: HashSet<Uuid> = page.iter().map(|u| u.id).collect();
    let pending = drafts(store)
        .into_iter()
        .filter_map(|id| visible.get(&id))
        .map(|user| UserRow {
            user: user.clone(),
            pending: true,
        });
    let fresh = created
        .iter()
        .rev()
        .filter(|id| !in_page.contains(id))
        .filter_map(|id| visible.get(id))
        .filter(|user| filter.matches(user))
        .map(|user| UserRow {
            user: user.clone(),
            pending: false,
        });
    let loaded = page
        .iter()
        .filter(|listed| !recent.deleted.contains(&listed.id))
        .map(|user| UserRow {
            user: user.clone(),
            pending: false,
        });
    let mut seen = HashSet::new();
    pending
        .chain(fresh)
        .chain(loaded)
        .filter(|row| seen.insert(row.user.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings::cache::{FakeClock, MutationId, QueryClient, QueryKey, QueryOptions, Shape};
    use tidings::{Email, Name, Page, Pagination, Role, UserPatch};

    fn user(n: u128, name: &str, role: Role) -> User {
        let t = chrono::DateTime::UNIX_EPOCH;
        User {
            id: Uuid::from_u128(n),
            name: Name::parse(name).unwrap(),
            email: Email::parse(format!("u{n}@example.org")).unwrap(),
            role,
            avatar_url: None,
            last_active: t,
            preferences: Default::default(),
            created_at: t,
            updated_at: t,
            version: 1,
        }
    }

    fn shown(rows: &[UserRow]) -> Vec<(u128, Role, bool)> {
        rows.iter()
            .map(|r| (r.user.id.as_u128(), r.user.role, r.pending))
            .collect()
    }

    /// An engine holding `page` as the first page of the users list.
    fn engine_with(page: &[User]) -> (QueryClient, QueryKey) {
        let mut engine = QueryClient::new(FakeClock::default());
        let key = QueryKey::new("users").with("list");
        let shape = Shape::UserPage(UserFilter::default());
        engine.observe(&key, QueryOptions::default().shape(shape));
        let listed = Page {
            data: page.to_vec(),
            pagination: Pagination::new(1, 10, page.len() as u64),
        };
        engine.set_query_data(&key, serde_json::to_value(listed).unwrap());
        (engine, key)
    }

    /// The rows as the table computes them from what `engine` shows.
    fn rows_of(
        engine: &QueryClient,
        key: &QueryKey,
        recent: &Recent,
        filter: &UserFilter,
    ) -> Vec<UserRow> {
        let page: Page<User> = engine.query_data_as(key).unwrap().unwrap();
        user_rows(&page.data, engine.store(), recent, filter)
    }

    #[test]
    fn optimistic_changes_show_and_roll_back() {
        let page = vec![user(1, "Ada", Role::User), user(2, "Bob", Role::User)];
        let (mut engine, key) = engine_with(&page);
        let filter = UserFilter::default();
        let promote = |id| {
            StoreOp::User(EntityOp::Update {
                id: Uuid::from_u128(id),
                patch: UserPatch {
                    role: Some(Role::Admin),
                    ..Default::default()
                },
            })
        };
        engine.apply_layer(MutationId(1), vec![promote(1), promote(2)]);
        engine.apply_layer(
            MutationId(2),
            vec![StoreOp::User(EntityOp::Add(user(9, "New", Role::User)))],
        );
        engine.apply_layer(
            MutationId(3),
            vec![StoreOp::User(EntityOp::Remove(Uuid::from_u128(2)))],
        );
        let none = Recent::default();
        assert_eq!(
            shown(&rows_of(&engine, &key, &none, &filter)),
            [(9, Role::User, true), (1, Role::Admin, false)]
        );
        engine.rollback_layer(MutationId(1));
        engine.rollback_layer(MutationId(3));
        assert_eq!(
            shown(&rows_of(&engine, &key, &none, &filter)),
            [
                (9, Role::User, true),
                (1, Role::User, false),
                (2, Role::User, false)
            ]
        );

        // Created: the server's user replaces the draft, first until the
        // page holds it, and only where the filter keeps it.
        let created = user(10, "New", Role::User);
        engine.commit_layer(
            MutationId(2),
            &[StoreOp::User(EntityOp::Upsert(created.clone()))],
        );
        let recent = Recent {
            created: vec![created.id],
            ..Default::default()
        };
        assert_eq!(
            shown(&rows_of(&engine, &key, &recent, &filter)),
            [
                (10, Role::User, false),
                (1, Role::User, false),
                (2, Role::User, false)
            ]
        );
        let admins = UserFilter {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert_eq!(user_rows(&[], engine.store(), &recent, &admins), []);
        let (engine, key) = engine_with(&[created, page[0].clone()]);
        assert_eq!(
            shown(&rows_of(&engine, &key, &recent, &filter)),
            [(10, Role::User, false), (1, Role::User, false)]
        );

        // Deleted here: gone, though the page still lists it.
        let recent = Recent {
            deleted: [Uuid::from_u128(1)].into(),
            ..recent
        };
        assert_eq!(
            shown(&rows_of(&engine, &key, &recent, &filter)),
            [(10, Role::User, false)]
        );
    }
}
