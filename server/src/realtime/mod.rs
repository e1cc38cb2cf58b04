//! Realtime: the change events of the log, streamed over one WebSocket per
//! tab at `GET /api/events`.
//!
//! - [`hub`]: the tail of committed events, the head that wakes the
//!   sockets and the shutdown signal, shared by the store (which publishes
//!   into it after each commit) and the sockets;
//! - [`tail`]: the newest events in memory, each encoded once;
//! - [`sessions`]: the open sockets by user, their limits, and the end of
//!   a session (sign-out, deletion, a role change);
//! - [`protocol`]: frames to and from axum WebSocket messages (the wire
//!   types themselves are in `tidings::protocol`, shared with the browser);
//! - [`subscription`]: a socket's topics and position in the log;
//! - [`socket`]: the task serving one socket;
//! - [`retention`]: the task pruning old events;
//! - [`listener`]: on PostgreSQL, the task following other instances'
//!   commits;
//! - [`counters`]: what the sockets count for the metrics endpoint.

pub mod counters;
pub mod hub;
pub mod listener;
pub mod protocol;
pub mod retention;
pub mod sessions;
pub mod socket;
pub mod subscription;
pub mod tail;

pub use hub::Hub;
pub use socket::SocketSettings;
