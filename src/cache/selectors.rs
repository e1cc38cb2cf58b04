//! Memoized selectors over the [`EntityStore`]: filtered and sorted user
//! lists, pages of them, users by role, a user's posts, and counts.
//!
//! Each selector remembers its last input (the store's revision plus its
//! own arguments) and answer, and recomputes only when either changed; the
//! answer is an `Arc` so unchanged results compare and clone cheaply.
//! Filtering and ordering use [`UserFilter::matches`] and
//! [`UserFilter::compare`], the same definition the server's SQL is tested
//! against, so a created user lands in exactly the lists it belongs to.
//! Lists are ids (the store is normalized); read entities from the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use uuid::Uuid;

use super::store::EntityStore;
use crate::model::{Pagination, Role, UserFilter};

/// Remembers one computation: recomputes when the revision or key changed.
#[derive(Debug)]
pub struct Memo<K, V> {
    last: Option<(u64, K, Arc<V>)>,
    computations: u64,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            last: None,
            computations: 0,
        }
    }
}

impl<K: PartialEq, V> Memo<K, V> {
    /// The answer for (`revision`, `key`), from memory when both match the
    /// last call.
    pub fn get(&mut self, revision: u64, key: K, compute: impl FnOnce(&K) -> V) -> Arc<V> {
        if let Some((rev, k, v)) = &self.last {
            if *rev == revision && *k == key {
                return Arc::clone(v);
            }
        }
        self.computations += 1;
        let value = Arc::new(compute(&key));
        self.last = Some((revision, key, Arc::clone(&value)));
        value
    }

    /// How many times it computed (for tests and devtools).
    pub fn computations(&self) -> u64 {
        self.computations
    }
}

/// The ids of the users matching a filter, in its order.
#[derive(Debug, Default)]
pub struct FilteredUsers(Memo<UserFilter, Vec<Uuid>>);

impl FilteredUsers {
    /// The visible users matching `filter`, ordered by it.
    pub fn select(&mut self, store: &EntityStore, filter: &UserFilter) -> Arc<Vec<Uuid>> {
        self.0.get(store.revision(), filter.clone(), |f| {
            f.apply(store.visible().users.iter())
                .into_iter()
                .map(|u| u.id)
                .collect()
        })
    }

    /// How many times it computed.
    pub fn computations(&self) -> u64 {
        self.0.computations()
    }
}

/// One page of a filtered user list.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// The ids on this page, in order.
    pub ids: Vec<Uuid>,
    /// Where the page sits in the whole list.
    pub pagination: Pagination,
}

/// A page of a filtered user list, as the server would page it.
#[derive(Debug, Default)]
pub struct PagedUsers {
    list: FilteredUsers,
    page: Memo<(UserFilter, u32, u32), UserPage>,
}

impl PagedUsers {
    /// Page `page` (1-based) of `limit` users matching `filter`.
    pub fn select(
        &mut self,
        store: &EntityStore,
        filter: &UserFilter,
        page: u32,
        limit: u32,
    ) -> Arc<UserPage> {
        let all = self.list.select(store, filter);
        self.page
            .get(store.revision(), (filter.clone(), page, limit), |_| {
                let (page, limit) = (page.max(1), limit.max(1));
                let start = ((page - 1) as usize).saturating_mul(limit as usize);
                let ids = all
                    .iter()
                    .skip(start)
                    .take(limit as usize)
                    .copied()
                    .collect();
                UserPage {
                    ids,
                    pagination: Pagination::new(page, limit, all.len() as u64),
                }
            })
    }

    /// How many times it computed a page.
    pub fn computations(&self) -> u64 {
        self.page.computations()
    }
}

/// `items` under every role, in role order (empty roles included), each
/// group in the order the items came: how a list groups by role, whether
/// it holds ids, users or a table's rows.
pub fn group_by_role<T>(
    items: impl IntoIterator<Item = T>,
    role: impl Fn(&T) -> Role,
) -> BTreeMap<Role, Vec<T>> {
    let mut groups: BTreeMap<Role, Vec<T>> =
        Role::ALL.into_iter().map(|r| (r, Vec::new())).collect();
    for item in items {
        groups.entry(role(&item)).or_default().push(item);
    }
    groups
}

/// Visible user ids grouped by role, each group in store order.
#[derive(Debug, Default)]
pub struct UsersByRole(Memo<(), BTreeMap<Role, Vec<Uuid>>>);

impl UsersByRole {
    /// Every role with its users (empty roles included).
    pub fn select(&mut self, store: &EntityStore) -> Arc<BTreeMap<Role, Vec<Uuid>>> {
        self.0.get(store.revision(), (), |_| {
            let users = store.visible().users.iter().map(|u| (u.id, u.role));
            group_by_role(users, |(_, role)| *role)
                .into_iter()
                .map(|(role, group)| (role, group.into_iter().map(|(id, _)| id).collect()))
                .collect()
        })
    }

    /// How many times it computed.
    pub fn computations(&self) -> u64 {
        self.0.computations()
    }
}

/// A user's visible posts, newest first (ties by id, newest id first).
#[derive(Debug, Default)]
pub struct PostsByAuthor(Memo<Uuid, Vec<Uuid>>);

impl PostsByAuthor {
    /// The post ids of `author`.
    pub fn select(&mut self, store: &EntityStore, author: Uuid) -> Arc<Vec<Uuid>> {
        self.0.get(store.revision(), author, |author| {
            let mut posts: Vec<_> = store
                .visible()
                .posts
                .iter()
                .filter(|p| p.author_id == *author)
                .collect();
            posts.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id)));
            posts.into_iter().map(|p| p.id).collect()
        })
    }

    /// How many times it computed.
    pub fn computations(&self) -> u64 {
        self.0.computations()
    }
}

/// Counts over the visible store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// Users held.
    pub users: usize,
    /// Posts held.
    pub posts: usize,
    /// Users per role (every role present).
    pub by_role: BTreeMap<Role, usize>,
}

/// Memoized [`StoreStats`].
#[derive(Debug, Default)]
pub struct Stats(Memo<(), StoreStats>);

impl Stats {
    /// The counts.
    pub fn select(&mut self, store: &EntityStore) -> Arc<StoreStats> {
        self.0.get(store.revision(), (), |_| {
            let visible = store.visible();
            let mut by_role: BTreeMap<Role, usize> =
                Role::ALL.into_iter().map(|r| (r, 0)).collect();
            for u in visible.users.iter() {
                *by_role.entry(u.role).or_default() += 1;
            }
            StoreStats {
                users: visible.users.len(),
                posts: visible.posts.len(),
                by_role,
            }
        })
    }

    /// How many times it computed.
    pub fn computations(&self) -> u64 {
        self.0.computations()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::entities::EntityOp;
    use crate::cache::mutation::MutationId;
    use crate::cache::store::StoreOp;
    use crate::cache::tests::fixtures::{by_name, post, user};

    fn store() -> EntityStore {
        let mut s = EntityStore::default();
        s.confirm(&[StoreOp::User(EntityOp::SetAll(vec![
            user(1, "Cleo", Role::User),
            user(2, "Ada", Role::Admin),
            user(3, "Bea", Role::User),
            user(4, "Dan", Role::Moderator),
        ]))]);
        s
    }

    #[test]
    fn filtered_list_recomputes_only_on_change() {
        let mut s = store();
        let mut sel = FilteredUsers::default();
        let users_only = UserFilter {
            role: Some(Role::User),
            ..by_name()
        };
        let first = sel.select(&s, &users_only);
        assert_eq!(*first, [Uuid::from_u128(3), Uuid::from_u128(1)]);
        let again = sel.select(&s, &users_only);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(sel.computations(), 1);

        // An optimistic create that matches lands in place.
        s.apply_layer(
            MutationId(1),
            vec![StoreOp::User(EntityOp::Add(user(5, "Abe", Role::User)))],
        );
        let after = sel.select(&s, &users_only);
        assert_eq!(after[0], Uuid::from_u128(5));
        assert_eq!(sel.computations(), 2);
        let search = UserFilter {
            search: Some("EA".into()),
            ..by_name()
        };
        assert_eq!(*sel.select(&s, &search), [Uuid::from_u128(3)]);
        assert_eq!(sel.computations(), 3);
    }

    #[test]
    fn pages_groups_and_stats() {
        let mut s = store();
        s.confirm(&[StoreOp::Post(EntityOp::SetAll(vec![
            post(10, 1),
            post(11, 1),
            post(12, 2),
        ]))]);
        let mut pages = PagedUsers::default();
        let p2 = pages.select(&s, &by_name(), 2, 3);
        assert_eq!(p2.ids, [Uuid::from_u128(4)]);
        assert_eq!(p2.pagination, Pagination::new(2, 3, 4));
        pages.select(&s, &by_name(), 2, 3);
        assert_eq!(pages.computations(), 1);

        let mut roles = UsersByRole::default();
        let groups = roles.select(&s);
        assert_eq!(
            groups[&Role::User],
            [Uuid::from_u128(1), Uuid::from_u128(3)]
        );
        assert_eq!(groups[&Role::Admin], [Uuid::from_u128(2)]);

        let mut stats = Stats::default();
        let counts = stats.select(&s);
        assert_eq!(
            (counts.users, counts.posts, counts.by_role[&Role::Moderator]),
            (4, 3, 1)
        );

        let mut by_author = PostsByAuthor::default();
        assert_eq!(
            *by_author.select(&s, Uuid::from_u128(1)),
            [Uuid::from_u128(11), Uuid::from_u128(10)]
        );
        s.rollback(MutationId(99));
        by_author.select(&s, Uuid::from_u128(1));
        assert_eq!(
            by_author.computations(),
            1,
            "no-op rollback keeps the revision"
        );
    }

    #[test]
    fn grouping_by_role_keeps_each_groups_order_and_every_role() {
        let items = [(1, Role::User), (2, Role::Admin), (3, Role::User)];
        let groups = group_by_role(items, |(_, role)| *role);
        let ids: Vec<(Role, Vec<u8>)> = groups
            .into_iter()
            .map(|(role, group)| (role, group.into_iter().map(|(n, _)| n).collect()))
            .collect();
        assert_eq!(
            ids,
            [
                (Role::Admin, vec![2]),
                (Role::Moderator, vec![]),
                (Role::User, vec![1, 3])
            ]
        );
    }
}
