//! Fine-grained reads of the normalized store: one memo per entity, per
//! field, or per selector.
//!
//! The store has one trigger; anything that reads it directly re-runs on
//! every change to any user or post. A memo over it re-runs its own small
//! closure on such a change but notifies its readers only when its answer
//! differs, so a view cell bound to [`QueryClientHandle::user`] (or a field
//! memo derived from it) re-renders only when that user, or that field,
//! changed. Renaming one user re-renders the nodes showing that name and
//! nothing else.
//!
//! The store is the engine's: every answer of a shaped query (see
//! `crate::keys`) and every realtime event reaches it there, a newer
//! version winning; nothing here writes to it.

use leptos::prelude::*;
use tidings::cache::EntityStore;
use tidings::{Post, User};
use uuid::Uuid;

use super::handle::{use_query_client, QueryClientHandle};

impl QueryClientHandle {
    /// A selector over the visible store (confirmed data plus optimistic
    /// layers) as a memo: `f` re-runs when the store changes, and readers
    /// re-run only when its answer differs from the last one.
    pub fn select<T>(&self, f: impl Fn(&EntityStore) -> T + Send + Sync + 'static) -> Memo<T>
    where
        T: PartialEq + Send + Sync + 'static,
    {
        let client = self.clone();
        Memo::new(move |_| client.with_store(&f))
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
