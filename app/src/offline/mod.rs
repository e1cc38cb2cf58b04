//! Offline writes: mutations made while the server cannot be reached wait
//! in a persisted outbox, shown as pending, and replay in order when the
//! connection is back.
//!
//! Each pending mutation carries the idempotency key it was made with, and
//! every attempt sends that same key. So a mutation whose first attempt did
//! reach the server, but whose answer was lost, is answered from the
//! server's record on replay instead of being applied twice: exactly once,
//! across reloads.
//!
//! The queue logic ([`outbox`]) and the replay loop ([`replay`]) are plain
//! Rust, tested natively; [`storage`] persists to IndexedDB in the
//! browser (`indexed_db`, one database per user) and to memory elsewhere. [`connectivity`] says whether the
//! server can be reached, [`requests`] reads queued writes back as the
//! typed writes they are, and [`sync`] runs the outbox in the app ([`OfflineSync`]);
//! `shell` (browser only) keeps the app shell and visited pages for a
//! reload without a network (the service worker `public/sw.js`), and
//! `persisted_cache` (browser only) the engine's state, per user, so a
//! reload shows the last known data at once; both open IndexedDB through
//! `database`.

pub mod connectivity;
#[cfg(feature = "hydrate")]
pub mod database;
#[cfg(feature = "hydrate")]
pub mod indexed_db;
pub mod outbox;
#[cfg(feature = "hydrate")]
pub mod persisted_cache;
pub mod replay;
pub mod requests;
#[cfg(feature = "hydrate")]
pub mod shell;
pub mod storage;
pub mod sync;

pub use connectivity::Connectivity;
#[cfg(feature = "hydrate")]
pub use indexed_db::IndexedDbStorage;
pub use outbox::{Outbox, OutboxRequest, PendingMutation, Verdict};
pub use replay::{drain, DrainReport, Sender};
pub use requests::QueuedWrite;
pub use storage::{MemoryStorage, OutboxStorage};
pub use sync::{outbox_key, use_offline, OfflineSync, Refusal, RETRY_EVERY, SHARED_OUTBOX_KEY};
