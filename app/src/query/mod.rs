//! Leptos bindings of the cache engine ([`tidings::cache`]).
//!
//! The engine decides (fetch or join, retry when, gc when, what to refetch
//! after an invalidation) and never runs anything; this module is the host
//! that runs what it decides, inside Leptos. One file per concern:
//!
//! - `handle.rs`: [`QueryClientHandle`], the one owner of the page's
//!   server state: the engine (which holds the normalized
//!   [`EntityStore`](tidings::cache::EntityStore)) and, beside it, the
//!   per-key `registry.rs`, the `mutation_queue.rs` and the deadline timer
//!   (`timers.rs`: one `setTimeout` in the browser, none on the server,
//!   manual ticks in tests), all plain data; shared through context
//!   ([`use_query_client`]);
//! - `client.rs`: building it ([`QueryClientBuilder`],
//!   [`provide_query_client`]) and what pages call on it;
//! - `host.rs`: the one notification path (every engine call's batched
//!   notifications become per-key signal triggers, one for the store, and
//!   wake what waits for a key; then the timer is re-armed), and performing
//!   the fetches the engine hands out; `fetcher.rs` erases hook types;
//!   `clock.rs`: the real clock; `window.rs`: focus and online/offline
//!   (opt-in); `lock.rs`: a lock a panic does not poison;
//! - `binding.rs`, `observer.rs`, `snapshot.rs`, `loaded.rs`: what every
//!   query hook shares: a Leptos `Resource` for Suspense and SSR hydration
//!   (its value, [`Loaded`](loaded::Loaded), carried to the browser), an
//!   engine observer for the component's lifetime, the query as a memo;
//! - [`use_query`], [`use_infinite_query`], [`use_mutation`] (with
//!   `mutations.rs`, its engine side): the hooks, typed at the edge (the
//!   engine holds JSON); `key.rs` and `error.rs` translate keys and errors;
//! - `shared_layers.rs` (with `layer_change.rs`, the message): each call's
//!   optimistic layer shown and settled in the browser's other tabs too;
//! - `entities.rs`: memos over the normalized store, per entity, per field
//!   and per selector ([`use_user`], [`field`], [`use_selector`]), so a
//!   change to one user re-renders only what shows it.
//!
//! `handle.rs` imports only the plain data it owns; every other file
//! imports it and never the other way, and `host.rs` imports no hook or
//! `client.rs`: there is no import cycle.

mod binding;
mod client;
mod clock;
mod entities;
mod error;
mod fetcher;
mod handle;
mod host;
mod key;
mod layer_change;
mod loaded;
mod lock;
mod mutation_queue;
mod mutations;
mod observer;
mod registry;
mod shared_layers;
mod snapshot;
mod timers;
mod use_infinite_query;
mod use_mutation;
mod use_query;
mod window;

#[cfg(test)]
mod tests;

pub use client::{provide_query_client, QueryClientBuilder};
pub use clock::SystemClock;
pub use entities::{field, use_post, use_selector, use_user};
pub use handle::{use_query_client, QueryClientHandle};
pub use key::query_key;
pub use layer_change::LayerChange;
pub(crate) use lock::lock;
pub use timers::Timers;
pub use use_infinite_query::{use_infinite_query, InfiniteQueryResult};
pub use use_mutation::{use_mutation, Mutation, MutationCall, MutationOptions};
pub use use_query::{use_query, QueryResult};
#[cfg(feature = "hydrate")]
pub use window::navigator_online;
