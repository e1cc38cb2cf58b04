//! The two database engines the store runs on, SQLite (embedded, one
//! process) and PostgreSQL (shared by several server instances), and the
//! one way the store's code reaches either: an [`Engine`] value holding
//! the engine's own pool, connection or transaction, and [`dispatch!`],
//! which runs one piece of code on it for whichever engine it is. Each
//! engine keeps its native driver (no type-erased `Any` rows on the hot
//! path); the SQL is written once, in the dialect both accept:
//!
//! - placeholders `$1..$N`, numbered in order of first appearance (SQLite
//!   reads `$N` as parameter N); the query builder emits each engine's own;
//! - integers the code reads as `i64` are `BIGINT` on PostgreSQL, ids and
//!   timestamps are text in both (timestamps in one sortable form);
//! - text compares by bytes on both (`COLLATE "C"` on PostgreSQL's
//!   columns, SQLite's default BINARY), and case folding is ASCII-only on
//!   both (`LOWER` of a `"C"` column folds ASCII only, as SQLite's does).

use std::ops::DerefMut;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

/// One thing per engine: a pool, a connection, a transaction.
#[derive(Debug, Clone)]
pub enum Engine<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Runs `$body` with `$v` bound to the value inside an [`Engine`], for
/// whichever engine it is: the body is compiled once per engine, against
/// that engine's own types.
macro_rules! dispatch {
    ($value:expr, $v:ident => $body:expr) => {
        match $value {
            $crate::db::engine::Engine::Sqlite($v) => $body,
            $crate::db::engine::Engine::Postgres($v) => $body,
        }
    };
}
pub(crate) use dispatch;

/// The store's connection pool.
pub type Pool = Engine<SqlitePool, PgPool>;
/// A connection borrowed for a few statements (inside a transaction or not).
pub(crate) type Conn<'c> = Engine<&'c mut SqliteConnection, &'c mut PgConnection>;
/// A connection taken from the pool.
pub(crate) type Pooled = Engine<PoolConnection<Sqlite>, PoolConnection<Postgres>>;
/// A transaction.
pub(crate) type Tx = Engine<Transaction<'static, Sqlite>, Transaction<'static, Postgres>>;

impl<S, P> Engine<S, P>
where
    S: DerefMut<Target = SqliteConnection>,
    P: DerefMut<Target = PgConnection>,
{
    /// The connection underneath, borrowed.
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Engine::Sqlite(c) => Engine::Sqlite(&mut **c),
            Engine::Postgres(c) => Engine::Postgres(&mut **c),
        }
    }
}

impl<S, P> Engine<S, P> {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Engine::Postgres(_))
    }

    /// `" FOR UPDATE"` on PostgreSQL, where a write transaction must lock
    /// the rows it reads before changing them (other instances write at
    /// the same time); nothing on SQLite, whose write transactions hold
    /// the whole database from their start.
    pub(crate) fn row_lock(&self) -> &'static str {
        match self {
            Engine::Sqlite(_) => "",
            Engine::Postgres(_) => " FOR UPDATE",
        }
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        dispatch!(self, tx => tx.commit().await)
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or
/// `postgresql://`); anything else is a SQLite URL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with the password, if it holds one, replaced by `***`: for
/// messages and logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// Opens the pool `url` names and brings its schema up to date with the
/// engine's own migrations (`migrations/sqlite`, `migrations/postgres`).
pub(crate) async fn connect(url: &str) -> Result<Pool, sqlx::Error> {
    if is_postgres_url(url) {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        return Ok(Engine::Postgres(pool));
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // An acknowledged write is on disk: NORMAL would let a power
        // loss or OS crash take back the last commits (and their seqs,
        // which the next writes would then reuse).
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
    Ok(Engine::Sqlite(pool))
}

impl Pool {
    pub(crate) async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Engine::Sqlite(p) => Engine::Sqlite(p.acquire().await?),
            Engine::Postgres(p) => Engine::Postgres(p.acquire().await?),
        })
    }

    /// A read-only transaction whose statements all see one snapshot
    /// (SQLite's deferred transactions do; PostgreSQL needs REPEATABLE
    /// READ).
    pub(crate) async fn begin_snapshot(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Engine::Sqlite(p) => Engine::Sqlite(p.begin().await?),
            Engine::Postgres(p) => Engine::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        })
    }

    /// A write transaction: on SQLite it takes the database's write lock
    /// up front (`BEGIN IMMEDIATE`); on PostgreSQL it is READ COMMITTED,
    /// and the writes lock what they touch (see [`Engine::row_lock`] and
    /// the event log's append lock).
    pub(crate) async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Engine::Sqlite(p) => Engine::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Engine::Postgres(p) => Engine::Postgres(p.begin().await?),
        })
    }
}

/// Takes the transaction-scoped advisory lock that serializes the event
/// log's appends on PostgreSQL (held until commit or rollback). One lock
/// per schema, so deployments sharing a database in separate schemas do
/// not wait on each other.
pub(crate) async fn lock_log(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
        .bind(LOG_LOCK_CLASS)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Takes the transaction-scoped advisory lock of `owner`'s idempotency
/// key `key` on PostgreSQL, so two copies of a keyed request racing
/// through different instances run one after the other and the second
/// finds the first's answer. Keys are per owner, so the lock is too: two
/// users sending the same key do not wait on each other (a hash collision
/// only makes two requests queue).
pub(crate) async fn lock_key(
    conn: &mut PgConnection,
    owner: Uuid,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext($1))")
        .bind(format!("{owner} {key}"))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The first key of the log's advisory lock ("tidi").
const LOG_LOCK_CLASS: i32 = 0x7469_6469;

/// The channel a commit that appended events notifies on PostgreSQL,
/// with `<schema> <last seq>` as its payload.
pub const LOG_CHANNEL: &str = "tidings_events";

/// The channel a sign-out notifies on PostgreSQL, with
/// `<schema> <user id>:<session id>` as its payload.
pub const SESSIONS_CHANNEL: &str = "tidings_sessions";

/// Notifies `channel` with `payload`, prefixed by the current schema:
/// channels are shared by the whole database, and deployments in other
/// schemas must tell their notifications apart (see [`notified_here`]).
/// Delivered when, and only if, the transaction commits.
pub(crate) async fn notify(
    conn: &mut PgConnection,
    channel: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, current_schema() || ' ' || $2)")
        .bind(channel)
        .bind(payload)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The payload of a notification [`notify`] sent from `schema`, or `None`
/// for another schema's.
pub fn notified_here<'a>(schema: &str, payload: &'a str) -> Option<&'a str> {
    let (from, rest) = payload.split_once(' ')?;
    (from == schema).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_reads_dollar_n_as_the_nth_bound_value() {
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let row: (String, String, String) = sqlx::query_as("SELECT $2, $1, $2")
            .bind("first")
            .bind("second")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row, ("second".into(), "first".into(), "second".into()));
    }

    #[tokio::test]
    async fn sqlite_commits_reach_the_disk_before_they_are_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let Engine::Sqlite(pool) = connect(&url).await.unwrap() else {
            panic!("a SQLite URL opens SQLite");
        };
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        // 2 is FULL: WAL syncs at every commit, not only at checkpoints.
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), synchronous), ("wal", 2));
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_password("postgres://app:s3cr3t@db:5432/x?sslmode=require"),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        for kept in [
            "postgres://app@db/x",
            "sqlite://tidings.db",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_password(kept), kept);
        }
    }

    #[test]
    fn postgres_urls_are_told_from_sqlite_ones() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("postgresql://u@h/db"));
        assert!(!is_postgres_url("sqlite://tidings.db"));
        assert!(!is_postgres_url("sqlite::memory:"));
    }
}
