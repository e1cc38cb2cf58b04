//! The cache engine: server state for the browser, framework-agnostic,
//! synchronous and clock-injected.
//!
//! Modelled on the architecture of TanStack query-core and on RTK Query's
//! tags and entity adapters, written for Rust: the engine never spawns a
//! task or awaits. The host (the Leptos bindings in `app/src/query`, or a
//! test) performs each fetch the engine asks for ([`FetchStart`]) and feeds
//! the result back ([`QueryClient::resolve`]); it arms one timer for
//! [`QueryClient::next_deadline`] and calls [`QueryClient::tick`] when it
//! fires. Time enters only through a [`Clock`] or an explicit `now`.
//!
//! Parts, one concept each:
//! - [`clock`]: time, and a [`FakeClock`] for exact tests;
//! - [`key`]: hierarchical query keys, stable hash, prefix matching;
//! - [`query`]: a query's state and its reducer;
//! - [`options`]: stale/gc time, retry, polling, placeholders, tags;
//! - [`client`] with `fetch`, `invalidate`, `timers`, `hydrate`: the
//!   [`QueryClient`];
//! - [`notify`]: batched change notifications;
//! - [`tags`]: invalidation tags and server event kinds;
//! - [`infinite`]: paged lists in both directions;
//! - [`mutation`]: mutation state and serial scopes;
//! - [`entities`], [`optimistic`], [`store`]: normalized entities under
//!   per-mutation optimistic layers, fed by realtime events;
//! - [`shape`], [`normalized`]: what a query holds, and its users and
//!   posts kept once in the store, its data as ids (and as shown);
//!   `local_hash.rs`: the hasher of the id and filter maps;
//! - [`live`], [`placement`]: server events patching the store, the
//!   cached lists (placed by the shared filter and order) and the stats;
//! - [`selectors`]: memoized views of the store.

pub mod client;
pub mod clock;
pub mod entities;
pub mod fetch;
pub mod hydrate;
pub mod infinite;
pub mod invalidate;
pub mod key;
pub mod live;
mod local_hash;
pub mod mutation;
pub mod normalized;
pub mod notify;
pub mod optimistic;
pub mod options;
pub mod placement;
pub mod query;
pub mod selectors;
pub mod shape;
pub mod shown;
pub mod store;
pub mod tags;
pub mod timers;

#[cfg(test)]
mod tests;

pub use client::{FetchStart, ObserverId, QueryClient, QueryView, ShapeOf};
pub use clock::{Clock, FakeClock, Millis, NEVER};
pub use entities::{Entity, EntityAdapter, EntityOp, SortComparer};
pub use fetch::{FetchDecision, FetchPolicy, Resolution};
pub use hydrate::{DehydratedQuery, DehydratedState, PersistedState};
pub use infinite::{
    InfiniteData, InfiniteOptions, KeysetParam, PageDirection, PageParamFn, PageRequest,
};
pub use key::{KeyHash, QueryKey};
pub use live::EventApplied;
pub use mutation::{
    reduce_mutation, Enqueued, MutationAction, MutationCache, MutationId, MutationState,
    MutationStatus,
};
pub use notify::{ListenerId, Notification};
pub use optimistic::{EventOutcome, Layer, Layered, Optimistic};
pub use options::{QueryOptions, RetryPolicy};
pub use query::{reduce, FetchId, FetchStatus, QueryAction, QueryError, QueryState, QueryStatus};
pub use selectors::{
    group_by_role, FilteredUsers, Memo, PagedUsers, PostsByAuthor, Stats, StoreStats, UserPage,
    UsersByRole,
};
pub use shape::{EntityKind, EntityRef, Shape};
pub use shown::{Row, ShownData};
pub use store::{ops_for_event, Entities, EntityStore, StoreOp};
pub use tags::{tags_for_event, EventKind, Tag};
