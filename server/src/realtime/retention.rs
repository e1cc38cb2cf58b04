//! Retention: a background task that keeps the newest events of the log
//! and prunes the rest (raising the log's floor), so the log does not grow
//! without bound (clients whose history was pruned get `RESYNC`), and
//! deletes what has expired and should not stay: refresh tokens and
//! idempotency keys with the answers they recorded.

use std::time::Duration;

use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::Hub;
use crate::db::Db;

/// How often the log is pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Prunes `db`'s log to its newest `keep_last` events every `every`, until
/// `hub` shuts down, telling `hub` each new floor.
pub async fn run(db: Db, hub: Hub, keep_last: u64, every: Duration) {
    let mut shutdown = hub.shutdown_ticket();
    let mut ticks = interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.requested() => return,
            _ = ticks.tick() => {
                match db.prune_events(keep_last).await {
                    Ok(floor) => {
                        hub.pruned_below(floor);
                        tracing::debug!(floor, "event log pruned");
                    }
                    Err(error) => tracing::warn!(%error, "pruning the event log failed"),
                }
                let now = chrono::Utc::now();
                if let Err(error) = db.purge_expired_refresh_tokens(now).await {
                    tracing::warn!(%error, "purging expired refresh tokens failed");
                }
                if let Err(error) = db.purge_expired_keys(now).await {
                    tracing::warn!(%error, "purging expired idempotency keys failed");
                }
            }
        }
    }
}
