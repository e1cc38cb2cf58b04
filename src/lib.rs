//! Tidings core: the domain model shared by the server and the browser.
//!
//! Nothing in this crate depends on tokio, axum, sqlx or web-sys, so it
//! compiles for `wasm32-unknown-unknown` and for the server alike. Validation
//! lives here once (the newtypes in [`model`]), and so does the filter/sort
//! meaning of a users list, so a client placing a row and the server's SQL
//! agree by construction.

pub mod backoff;
pub mod cache;
pub mod canonical;
pub mod model;
pub mod protocol;

pub use backoff::{Backoff, Jitter};
pub use model::*;
