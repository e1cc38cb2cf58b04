//! On PostgreSQL, where several instances share one event log, the task
//! that keeps this instance's hub up with commits made by the others.
//!
//! A commit that appended events notifies `db::engine::LOG_CHANNEL`. The
//! notification is only a poke: on one, and on a timer besides (a poke
//! lost while the listening connection was down must lose nothing), the
//! task reads the log's head from the table and advances the hub, whose
//! sockets then read the events after their own position. The table is
//! the truth; seq order is commit order there (see `db::events`), so a
//! head read from it never runs ahead of an event still to commit.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::time::{interval, MissedTickBehavior};

use crate::db::engine::LOG_CHANNEL;
use crate::db::Db;

/// How often the head is read without a poke.
pub const FALLBACK_EVERY: Duration = Duration::from_secs(1);

/// How long to wait before listening again after the connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// Follows the log's head for `db`'s hub until shutdown. Does nothing on
/// SQLite, where every commit is this process's own.
pub async fn run(db: Db) {
    let Some(pool) = db.postgres().cloned() else {
        return;
    };
    let mut shutdown = db.hub().shutdown_ticket();
    let poke = Arc::new(Notify::new());
    let listening = tokio::spawn(listen(pool, poke.clone()));
    let mut ticks = interval(FALLBACK_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.requested() => break,
            () = poke.notified() => {}
            _ = ticks.tick() => {}
        }
        match db.log_state().await {
            Ok(log) => db.hub().advance(log.head),
            Err(error) => tracing::warn!(%error, "reading the event log's head failed"),
        }
    }
    listening.abort();
}

/// Listens on the log's channel, turning each notification into a poke,
/// and listens again whenever the connection fails.
async fn listen(pool: PgPool, poke: Arc<Notify>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(error) = listener.listen(LOG_CHANNEL).await {
                    tracing::warn!(%error, "listening for event log commits failed");
                } else {
                    // Commits made while nobody listened are read now.
                    poke.notify_one();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(_)) => poke.notify_one(),
                            // The connection dropped; it reconnects on
                            // the next call, and what was missed is read.
                            Ok(None) => poke.notify_one(),
                            Err(sqlx::Error::PoolClosed) => return,
                            Err(error) => {
                                tracing::warn!(%error, "receiving event log commits failed");
                                break;
                            }
                        }
                    }
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => tracing::warn!(%error, "connecting to listen for commits failed"),
        }
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}
