//! The store: one SQLite database (WAL, busy timeout, foreign keys on) or
//! one PostgreSQL database shared by several instances (see [`engine`]),
//! migrated at start, and the queries each resource needs. Every write
//! appends its change events to the log in its own transaction and hands
//! them back to the caller, who announces them (see [`events`]). The
//! transaction-level reads and writes of each resource are in [`users`]
//! and [`posts`]; what a write is allowed to do is decided by its caller.

pub mod auth;
mod cursor;
pub mod engine;
pub mod events;
pub mod idempotency;
pub(crate) mod posts;
mod refresh_grace;
mod rows;
pub mod secrets;
pub mod seed;
pub(crate) mod users;

use sqlx::{PgPool, SqlitePool};

pub use cursor::{PostCursor, CURSOR_PATTERN};
pub use engine::{Engine, Pool};
pub use events::{Commit, EventBatch, LogState};

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// Serializes this process's write transactions.
    write_lock: events::WriteLock,
}

impl Db {
    /// Opens the database at `url` and runs the migrations: a
    /// `postgres://` URL is a PostgreSQL database, anything else a SQLite
    /// file (created if missing).
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        Ok(Self {
            pool: engine::connect(url).await?,
            write_lock: Default::default(),
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The SQLite pool, when the store runs on SQLite.
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Engine::Sqlite(pool) => Some(pool),
            Engine::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when the store runs on PostgreSQL.
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.pool {
            Engine::Postgres(pool) => Some(pool),
            Engine::Sqlite(_) => None,
        }
    }

    /// Cheap liveness probe for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        engine::dispatch!(&self.pool, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }
}

/// Now, in the one text form the tables store.
pub(crate) fn now_text() -> String {
    tidings::format_timestamp(&chrono::Utc::now())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
