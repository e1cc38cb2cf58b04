//! The server's integration tests, one module a concern, built as one test
//! binary: each module used to link the whole server and its dependencies
//! into a binary of its own (about 450 MB each in a debug build).
//!
//! Every test starts real servers on `127.0.0.1:0` through [`support`]; the
//! PostgreSQL ones each take a schema of their own, so they run side by
//! side with the rest. One module's tests: `cargo test -p server --test
//! integration postgres::`.

mod support;

mod account_sessions;
mod accounts;
mod architecture;
mod asset_delivery;
mod auth;
mod authorization;
mod avatar;
mod crash_recovery;
mod errors;
mod forgetting;
mod lifecycle;
mod live_lists;
mod openapi;
mod ops;
mod postgres;
mod postgres_contention;
mod postgres_realtime;
mod posts_api;
mod posts_search;
mod realtime;
mod realtime_auth;
mod realtime_sessions;
mod refresh_grace;
mod safe_defaults;
mod safe_writes;
mod sign_in_abuse;
mod ssr;
mod users_api;
mod users_more;
