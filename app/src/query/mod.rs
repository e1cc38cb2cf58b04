//! Leptos bindings of the cache engine ([`tidings::cache`]).
//!
//! The engine decides (fetch or join, retry when, gc when, what to refetch
//! after an invalidation) and never runs anything; this module is the host
//! that runs what it decides, inside Leptos. One file per concern:
//!
//! - `client.rs`: [`QueryClientHandle`], the engine (which holds the
//!   normalized [`EntityStore`](tidings::cache::EntityStore)) and the
//!   mutation queues, shared through context ([`provide_query_client`],
//!   [`use_query_client`]);
//! - `host.rs`: performs the fetches the engine hands out, feeds results
//!   back, turns its batched notifications into per-key signal triggers
//!   (and one for the store) and wakes what waits for a key; `fetcher.rs`
//!   erases hook types;
//! - `timers.rs`: one `setTimeout` for the engine's next deadline in the
//!   browser, none on the server, manual ticks in tests; `clock.rs`: the
//!   real clock; `window.rs`: focus and online/offline (opt-in);
//! - `binding.rs`, `observer.rs`, `snapshot.rs`: what every query hook
//!   shares: a Leptos `Resource` for Suspense and SSR hydration, an engine
//!   observer for the component's lifetime, the query as a memo;
//! - [`use_query`], [`use_infinite_query`], [`use_mutation`] (with
//!   `mutations.rs`, its engine side): the hooks, typed at the edge (the
//!   engine holds JSON); `key.rs` and `error.rs` translate keys and errors;
//! - `entities.rs`: memos over the normalized store, per entity, per field
//!   and per selector ([`use_user`], [`field`], [`use_selector`]), so a
//!   change to one user re-renders only what shows it.

mod binding;
mod client;
mod clock;
mod entities;
mod error;
mod fetcher;
mod host;
mod key;
mod mutations;
mod observer;
mod snapshot;
mod timers;
mod use_infinite_query;
mod use_mutation;
mod use_query;
mod window;

#[cfg(test)]
mod tests;

pub use client::{provide_query_client, use_query_client, QueryClientBuilder, QueryClientHandle};
pub use clock::SystemClock;
pub use entities::{field, use_post, use_selector, use_user};
pub use key::query_key;
pub use timers::Timers;
pub use use_infinite_query::{use_infinite_query, InfiniteQueryResult};
pub use use_mutation::{use_mutation, Mutation, MutationCall, MutationOptions};
pub use use_query::{use_query, QueryResult};
#[cfg(feature = "hydrate")]
pub use window::navigator_online;
