//! Fine-grained reads of the normalized store: one memo per entity, per
//! field, or per selector.
//!
//! The store is one signal; anything that reads it directly re-runs on
//! every change to any user or post. A memo over it re-runs its own small
//! closure on such a change but notifies its readers only when its answer
//! differs, so a view cell bound to [`QueryClientHandle::user`] (or a field
//! memo derived from it) re-renders only when that user, or that field,
//! changed. Renaming one user re-renders the nodes showing that name and
//! nothing else.
//!
//! Responses reach the store through [`QueryClientHandle::confirm_users`]
//! and [`QueryClientHandle::confirm_posts`] (under any optimistic layers;
//! an older version never replaces a newer one); realtime events reach it
//! through `crate::realtime`.

use leptos::prelude::*;
use tidings::cache::{EntityOp, EntityStore, StoreOp};
use tidings::{Post, User};
use uuid::Uuid;

use super::client::{use_query_client, QueryClientHandle};

impl QueryClientHandle {
    /// Records users a response carried as the server's word. Users the
    /// store already holds as they are (or newer) change nothing.
    pub fn confirm_users(&self, users: &[User]) {
        self.store().maybe_update(|store| {
            let held = &store.confirmed().users;
            let ops: Vec<StoreOp> = users
                .iter()
                .filter(|u| held.get(&u.id).is_none_or(|h| h.version < u.version))
                .map(|u| StoreOp::User(EntityOp::Upsert(u.clone())))
                .collect();
            confirm(store, &ops)
        });
    }

    /// Records posts a response carried as the server's word, like
    /// [`QueryClientHandle::confirm_users`].
    pub fn confirm_posts(&self, posts: &[Post]) {
        self.store().maybe_update(|store| {
            let held = &store.confirmed().posts;
            let ops: Vec<StoreOp> = posts
                .iter()
                .filter(|p| held.get(&p.id).is_none_or(|h| h.version < p.version))
                .map(|p| StoreOp::Post(EntityOp::Upsert(p.clone())))
                .collect();
            confirm(store, &ops)
        });
    }

    /// A selector over the visible store (confirmed data plus optimistic
    /// layers) as a memo: `f` re-runs when the store changes, and readers
    /// re-run only when its answer differs from the last one.
    pub fn select<T>(&self, f: impl Fn(&EntityStore) -> T + Send + Sync + 'static) -> Memo<T>
    where
        T: PartialEq + Send + Sync + 'static,
    {
        let store = self.store();
        Memo::new(move |_| store.with(&f))
    }

    /// User `id` as shown (with optimistic changes), `None` while the
    /// store does not hold it; notifies only when that user changes.
    pub fn user(&self, id: Uuid) -> Memo<Option<User>> {
        self.select(move |s| s.visible().users.get(&id).cloned())
    }

    /// Post `id` as shown, like [`QueryClientHandle::user`].
    pub fn post(&self, id: Uuid) -> Memo<Option<Post>> {
        self.select(move |s| s.visible().posts.get(&id).cloned())
    }
}

/// [`QueryClientHandle::user`] on the provided client.
///
/// # Panics
/// When no [`QueryClientHandle`] was provided.
pub fn use_user(id: Uuid) -> Memo<Option<User>> {
    use_query_client().user(id)
}

/// [`QueryClientHandle::post`] on the provided client.
///
/// # Panics
/// When no [`QueryClientHandle`] was provided.
pub fn use_post(id: Uuid) -> Memo<Option<Post>> {
    use_query_client().post(id)
}

/// A field of an entity memo as its own memo: readers re-run only when the
/// field's value changes, not when another field of the entity does.
pub fn field<E, T>(
    entity: Memo<Option<E>>,
    get: impl Fn(&E) -> T + Send + Sync + 'static,
) -> Memo<Option<T>>
where
    E: Send + Sync + 'static,
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| entity.with(|e| e.as_ref().map(&get)))
}

/// A [`QueryClientHandle::select`] on the provided client.
///
/// # Panics
/// When no [`QueryClientHandle`] was provided.
pub fn use_selector<T>(f: impl Fn(&EntityStore) -> T + Send + Sync + 'static) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    use_query_client().select(f)
}

/// Confirms `ops`; whether there were any (whether readers must hear).
fn confirm(store: &mut EntityStore, ops: &[StoreOp]) -> bool {
    if ops.is_empty() {
        return false;
    }
    store.confirm(ops);
    true
}
