//! The store: one SQLite database (WAL, busy timeout, foreign keys on),
//! migrated at start, and the queries each resource needs. Every write
//! appends its change events to the log in its own transaction (see
//! [`events`]).

pub mod auth;
mod cursor;
pub mod events;
pub mod idempotency;
mod posts;
mod rows;
pub mod seed;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use cursor::PostCursor;
pub use events::{EventBatch, LogState};

use crate::realtime::hub::Hub;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    /// Serializes this process's write transactions.
    write_lock: events::WriteLock,
    /// Poked after every commit that appended events.
    hub: Hub,
}

impl Db {
    /// Opens (creating if missing) the database at `url` and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let db = Self {
            pool,
            write_lock: Default::default(),
            hub: Hub::new(0),
        };
        db.hub.advance(db.log_state().await?.head);
        Ok(db)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The hub this store announces its commits to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Cheap liveness probe for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// Now, in the one text form the tables store.
pub(crate) fn now_text() -> String {
    tidings::format_timestamp(&chrono::Utc::now())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
