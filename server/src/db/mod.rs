//! The store: one SQLite database (WAL, busy timeout, foreign keys on) or
//! one PostgreSQL database shared by several instances (see [`engine`]),
//! migrated at start, and the queries each resource needs. Every write
//! appends its change events to the log in its own transaction (see
//! [`events`]).

pub mod auth;
mod cursor;
pub mod engine;
pub mod events;
pub mod idempotency;
mod posts;
mod rows;
pub mod secrets;
pub mod seed;
mod users;

use sqlx::{PgPool, SqlitePool};

pub use cursor::{PostCursor, CURSOR_PATTERN};
pub use engine::{Engine, Pool};
pub use events::{EventBatch, LogState};

use crate::realtime::hub::Hub;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// Serializes this process's write transactions.
    write_lock: events::WriteLock,
    /// Poked after every commit that appended events.
    hub: Hub,
}

impl Db {
    /// Opens the database at `url` and runs the migrations: a
    /// `postgres://` URL is a PostgreSQL database, anything else a SQLite
    /// file (created if missing).
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        Self::connect_with_tail(url, crate::realtime::hub::DEFAULT_TAIL).await
    }

    /// [`Db::connect`], with a hub whose in-memory tail keeps at most
    /// `tail` events.
    pub async fn connect_with_tail(url: &str, tail: usize) -> Result<Self, sqlx::Error> {
        let pool = engine::connect(url).await?;
        let db = Self {
            pool,
            write_lock: Default::default(),
            hub: Hub::new(0, tail),
        };
        db.hub.restart_tail(db.log_state().await?.head);
        Ok(db)
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

    /// The hub this store announces its commits to.
    pub fn hub(&self) -> &Hub {
        &self.hub
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
