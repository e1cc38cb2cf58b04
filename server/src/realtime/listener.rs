//! On PostgreSQL, where several instances share one event log, the task
//! that fills this instance's tail from the table and ends the sockets of
//! sessions signed out on other instances.
//!
//! A commit that appended events notifies `db::engine::LOG_CHANNEL` with
//! its last seq, and a local commit also pokes the hub at once. Either is
//! only a poke: on one naming a seq the tail has not reached, and on a
//! timer besides (a poke lost while the listening connection was down must
//! lose nothing), the task reads the events after the tail's head from the
//! table, once for all the sockets, and publishes them into the hub. So
//! each write costs each instance one read. The
//! table is the truth; seq order is commit order there (see `db::events`),
//! so nothing can commit below the newest seq read.
//!
//! A sign-out notifies `db::engine::SESSIONS_CHANNEL` with the user and the
//! session; the timer also reads the sessions revoked in the last
//! [`REVOCATION_LOOKBACK`], so a lost notification still ends them.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::time::{interval, MissedTickBehavior};
use uuid::Uuid;

use super::hub::Hub;
use super::tail::Committed;
use crate::db::engine::{notified_here, LOG_CHANNEL, SESSIONS_CHANNEL};
use crate::db::Db;
use crate::error::ApiError;

/// How often the table is read without a poke.
pub const FALLBACK_EVERY: Duration = Duration::from_secs(1);

/// How far back each timer tick looks for revoked sessions.
pub const REVOCATION_LOOKBACK: Duration = Duration::from_secs(10);

/// Most events read from the table at once.
const FILL_BATCH: u32 = 1000;

/// How long to wait before listening again after the connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// Keeps `hub` up with `db`'s log until shutdown. Does nothing on
/// SQLite, where every commit is this process's own and publishes itself.
pub async fn run(db: Db, hub: Hub) {
    let Some(pool) = db.postgres().cloned() else {
        return;
    };
    let mut shutdown = hub.shutdown_ticket();
    let listening = tokio::spawn(listen(pool, hub.clone()));
    let mut ticks = interval(FALLBACK_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let tick = tokio::select! {
            biased;
            () = shutdown.requested() => break,
            () = hub.poked() => false,
            _ = ticks.tick() => true,
        };
        if tick || hub.is_wanted() {
            if let Err(error) = fill(&db, &hub).await {
                tracing::warn!(%error, "reading the event log failed");
            }
        }
        if tick {
            let since = chrono::Utc::now()
                - chrono::TimeDelta::from_std(REVOCATION_LOOKBACK).unwrap_or_default();
            match db.sessions_revoked_since(since).await {
                Ok(ended) => {
                    for (user, session) in ended {
                        hub.sessions().end_session(user, session);
                    }
                }
                Err(error) => tracing::warn!(%error, "reading revoked sessions failed"),
            }
        }
    }
    listening.abort();
}

/// Reads the table after the tail's head and publishes what it holds.
async fn fill(db: &Db, hub: &Hub) -> Result<(), ApiError> {
    loop {
        let after = hub.head();
        let batch = db.read_log(after, FILL_BATCH).await?;
        hub.counters().listener_read();
        if batch.floor > after + 1 {
            // Pruned before this instance read it: sockets that needed it
            // are told to RESYNC when they read the table.
            hub.restart_tail(batch.floor - 1);
            continue;
        }
        let full = batch.events.len() >= FILL_BATCH as usize;
        let Some(through) = batch.events.last().map(|e| e.seq) else {
            return Ok(());
        };
        hub.publish(
            batch.events.into_iter().map(Committed::new).collect(),
            through,
        );
        if !full {
            return Ok(());
        }
    }
}

/// Listens on the log's and the sessions' channels, turning each log
/// notification into a poke and each sign-out into the end of its
/// sockets; listens again whenever the connection fails.
async fn listen(pool: PgPool, hub: Hub) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                let ready = async {
                    let schema: String = sqlx::query_scalar("SELECT current_schema()")
                        .fetch_one(&pool)
                        .await?;
                    listener
                        .listen_all([LOG_CHANNEL, SESSIONS_CHANNEL])
                        .await
                        .map(|()| schema)
                };
                match ready.await {
                    Err(error) => {
                        tracing::warn!(%error, "listening for event log commits failed")
                    }
                    Ok(schema) => {
                        // Commits made while nobody listened are read now.
                        hub.poke(hub.head() + 1);
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => {
                                    let Some(payload) = notified_here(&schema, n.payload()) else {
                                        continue;
                                    };
                                    if n.channel() == SESSIONS_CHANNEL {
                                        if let Some((user, session)) = parse_session(payload) {
                                            hub.sessions().end_session(user, session);
                                        }
                                    } else {
                                        // A payload not a seq still asks for a read.
                                        hub.poke(payload.parse().unwrap_or(hub.head() + 1));
                                    }
                                }
                                // The connection dropped; it reconnects on
                                // the next call, and what was missed is read.
                                Ok(None) => hub.poke(hub.head() + 1),
                                Err(sqlx::Error::PoolClosed) => return,
                                Err(error) => {
                                    tracing::warn!(%error, "receiving event log commits failed");
                                    break;
                                }
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

/// `<user id>:<session id>`, as `db::auth` notifies a sign-out.
fn parse_session(payload: &str) -> Option<(Uuid, Uuid)> {
    let (user, session) = payload.split_once(':')?;
    Some((user.parse().ok()?, session.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_out_payloads_name_a_user_and_a_session() {
        let (u, s) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(parse_session(&format!("{u}:{s}")), Some((u, s)));
        assert_eq!(parse_session("nonsense"), None);
        assert_eq!(parse_session(&format!("{u}:x")), None);
    }
}
