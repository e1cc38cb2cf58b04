//! The event log as a transactional outbox: a write transaction appends
//! the change events of its writes before it commits, and its commit
//! returns them ([`Commit`]) for the caller to announce to the hub;
//! readers page through the log by seq.
//!
//! Seq order is commit order, or a reader that moved past seq 11 would
//! never see a seq 10 committed after it. SQLite has one writer at a time,
//! and a write transaction takes the write lock up front (`BEGIN
//! IMMEDIATE`), so the seqs a transaction takes are all above those of
//! every transaction that committed before it and below those of every one
//! that commits after. PostgreSQL runs transactions of several instances
//! at once: there the first append of a transaction takes an advisory lock
//! held until commit ([`engine::lock_log`]) before its insert draws a seq,
//! which gives the same order; the commit also notifies
//! [`engine::LOG_CHANNEL`], so the other instances read the new head.
//!
//! In-process writers also queue on one async lock before asking the
//! database, so they wait in order instead of holding pool connections the
//! readers need while the database makes them wait.

use std::sync::Arc;

use serde::Serialize;
use sqlx::{Database, Encode, QueryBuilder, Type};
use tidings::protocol::{Entity, Event, EventKind, TopicSet};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use super::engine::{self, dispatch, Conn, Engine, Tx};
use super::rows::{id, time};
use super::Db;
use crate::error::ApiError;

/// The log's identity and retention, with its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// Made when the database was created.
    pub epoch: String,
    /// The lowest seq still retained; a reader that needs an event below
    /// it must refetch.
    pub floor: u64,
    /// The newest seq written (0 for an empty log).
    pub head: u64,
}

impl LogState {
    /// Whether a reader that has applied everything up to `since` can go
    /// on from the log: the next event it needs is still retained and
    /// `since` is not beyond the head.
    pub fn can_resume(&self, since: u64) -> bool {
        since.saturating_add(1) >= self.floor && since <= self.head
    }
}

/// A slice of the log, read in one snapshot with the floor at that time.
#[derive(Debug, Clone)]
pub struct EventBatch {
    pub events: Vec<Event>,
    /// The retention floor when the batch was read.
    pub floor: u64,
}

/// The one write lock of a database in this process.
pub(super) type WriteLock = Arc<Mutex<()>>;

/// A write transaction: `BEGIN IMMEDIATE` (SQLite) or `BEGIN`
/// (PostgreSQL), the writes, their events, commit. Dropping it
/// uncommitted rolls back.
pub(crate) struct WriteTx {
    tx: Tx,
    last_seq: Option<u64>,
    /// The events appended, for the hub's tail once committed.
    appended: Vec<Event>,
    /// The user making the change, named in every event appended.
    actor: Option<Uuid>,
    // Released after the transaction ends (fields drop in order).
    _lock: OwnedMutexGuard<()>,
}

impl WriteTx {
    /// The connection the transaction runs on.
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }

    /// See [`Engine::row_lock`].
    pub(crate) fn row_lock(&self) -> &'static str {
        self.tx.row_lock()
    }

    /// Runs the next statements so that if one fails with an error the
    /// caller answers (a taken email, a missing author), the transaction
    /// goes on as if they had not run: PostgreSQL aborts a whole
    /// transaction on any failed statement unless a savepoint catches it;
    /// SQLite undoes only the statement. End with [`WriteTx::end_guard`].
    pub(crate) async fn guard(&mut self) -> Result<(), ApiError> {
        if self.tx.is_postgres() {
            self.savepoint().await?;
        }
        Ok(())
    }

    /// Ends [`WriteTx::guard`]: keeps what ran, or undoes it if `failed`.
    pub(crate) async fn end_guard(&mut self, failed: bool) -> Result<(), ApiError> {
        if self.tx.is_postgres() {
            self.end_savepoint(failed).await?;
        }
        Ok(())
    }

    /// Marks a point the transaction can return to (on both engines).
    pub(crate) async fn savepoint(&mut self) -> Result<(), ApiError> {
        dispatch!(self.tx.conn(), c => {
            sqlx::query("SAVEPOINT answerable").execute(c).await?;
        });
        Ok(())
    }

    /// Ends [`WriteTx::savepoint`]: keeps what ran since, or undoes it.
    pub(crate) async fn end_savepoint(&mut self, undo: bool) -> Result<(), ApiError> {
        if undo {
            dispatch!(self.tx.conn(), c => {
                sqlx::query("ROLLBACK TO SAVEPOINT answerable").execute(c).await?;
            });
        }
        dispatch!(self.tx.conn(), c => {
            sqlx::query("RELEASE SAVEPOINT answerable").execute(c).await?;
        });
        Ok(())
    }

    /// The user making the change, if known.
    pub(crate) fn actor(&self) -> Option<Uuid> {
        self.actor
    }

    /// Appends one change event, naming the transaction's actor; its seq.
    pub(crate) async fn append(
        &mut self,
        kind: EventKind,
        entity_id: Uuid,
        data: &impl Serialize,
    ) -> Result<u64, ApiError> {
        let data = serde_json::to_value(data)
            .map_err(|e| ApiError::internal("encoding an event payload", e))?;
        let text = data.to_string();
        let topic = match Entity::of(kind) {
            Entity::User => "users",
            Entity::Post => "posts",
        };
        if self.last_seq.is_none() {
            if let Engine::Postgres(c) = self.tx.conn() {
                engine::lock_log(c).await?;
            }
        }
        let now = chrono::Utc::now();
        let ts = tidings::format_timestamp(&now);
        let actor = self.actor.map(|a| a.to_string());
        let seq: i64 = dispatch!(self.tx.conn(), c => {
            sqlx::query_scalar(
                "INSERT INTO events (type, topic, entity_id, actor, data, ts) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
            )
            .bind(kind.as_str())
            .bind(topic)
            .bind(entity_id.to_string())
            .bind(&actor)
            .bind(&text)
            .bind(&ts)
            .fetch_one(c)
            .await?
        });
        let seq = seq as u64;
        self.last_seq = Some(seq);
        self.appended.push(Event {
            kind,
            seq,
            // As the table keeps it, so both paths send the same frame.
            ts: time(&ts)?,
            actor: self.actor,
            data,
        });
        Ok(seq)
    }

    /// Forgets user `id`'s personal data in the retained log: the earlier
    /// events about them and about their posts keep their seq and type,
    /// and their payload becomes [`tidings::protocol::redacted`]. Runs in
    /// the transaction that deletes them; the hub's tail follows when the
    /// deletion is published.
    pub(crate) async fn forget_user(&mut self, id: Uuid) -> Result<(), ApiError> {
        // Payloads are compact JSON written by `append`, so a post's author
        // reads `"authorId":"<id>"` exactly (in a title those quotes would
        // be escaped).
        let author = format!("%\"authorId\":\"{id}\"%");
        let redacted = "'{\"id\":\"' || entity_id || '\",\"redacted\":true}'";
        dispatch!(self.tx.conn(), c => {
            sqlx::query(&format!(
                "UPDATE events SET data = {redacted} \
                 WHERE topic = 'users' AND entity_id = $1 AND type <> 'USER_DELETED'"
            ))
            .bind(id.to_string())
            .execute(&mut *c)
            .await?;
            sqlx::query(&format!(
                "UPDATE events SET data = {redacted} \
                 WHERE topic = 'posts' AND type <> 'POST_DELETED' AND data LIKE $1"
            ))
            .bind(&author)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Commits; what was appended comes back, to be announced. On
    /// PostgreSQL the commit also notifies every instance (a notification
    /// is delivered when, and only if, its transaction commits).
    pub(crate) async fn commit(self) -> Result<Commit, ApiError> {
        let Self {
            mut tx,
            last_seq,
            appended,
            actor: _,
            _lock: lock,
        } = self;
        let postgres = tx.is_postgres();
        if let (Some(seq), Engine::Postgres(c)) = (last_seq, tx.conn()) {
            engine::notify(c, engine::LOG_CHANNEL, &seq.to_string()).await?;
        }
        tx.commit().await?;
        Ok(Commit {
            events: appended,
            through: last_seq,
            postgres,
            _lock: lock,
        })
    }

    /// Commits a transaction that appended nothing; one that did is an
    /// internal error, and rolls back, since nobody would announce it.
    pub(crate) async fn commit_quiet(self) -> Result<(), ApiError> {
        if let Some(seq) = self.last_seq {
            return Err(ApiError::internal(
                "committing a write",
                format!("events up to seq {seq} would go unannounced"),
            ));
        }
        let _nothing = self.commit().await?;
        Ok(())
    }
}

/// What a committed write transaction appended to the log, for the hub
/// (`crate::realtime::Hub::announce`). On SQLite it holds this process's
/// write lock until it is dropped, so commits reach the hub in seq order;
/// announce it at once.
#[must_use = "announce it to the hub, or the sockets miss its events"]
pub struct Commit {
    events: Vec<Event>,
    through: Option<u64>,
    postgres: bool,
    _lock: OwnedMutexGuard<()>,
}

impl Commit {
    /// The events appended, in seq order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events appended, in seq order, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The last seq appended; `None` when nothing was.
    pub fn through(&self) -> Option<u64> {
        self.through
    }

    /// Whether other instances may have committed seqs below these (on
    /// PostgreSQL): the hub must read the table up to [`Commit::through`]
    /// rather than take [`Commit::events`] as all that is new.
    pub fn shares_the_log(&self) -> bool {
        self.postgres
    }
}

impl std::fmt::Debug for Commit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commit")
            .field("events", &self.events.len())
            .field("through", &self.through)
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    #[sqlx(rename = "type")]
    kind: String,
    actor: Option<String>,
    data: String,
    ts: String,
}

impl TryFrom<EventRow> for Event {
    type Error = ApiError;
    fn try_from(r: EventRow) -> Result<Self, ApiError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            ApiError::internal(&format!("corrupt event {what} at seq {}", r.seq), e)
        };
        Ok(Event {
            kind: r.kind.parse().map_err(|e: String| corrupt("type", &e))?,
            seq: r.seq as u64,
            ts: time(&r.ts)?,
            actor: r.actor.as_deref().map(id).transpose()?,
            data: serde_json::from_str(&r.data).map_err(|e| corrupt("data", &e))?,
        })
    }
}

/// Adds `AND (...)` keeping only the events `topics` wants.
fn push_topic_filter<'a, DB: Database>(q: &mut QueryBuilder<'a, DB>, topics: &TopicSet)
where
    String: Encode<'a, DB> + Type<DB>,
{
    q.push(" AND (FALSE");
    for (entity, topic) in [(Entity::User, "users"), (Entity::Post, "posts")] {
        if topics.wants_all(entity) {
            q.push(" OR topic = ").push_bind(topic.to_owned());
            continue;
        }
        let ids = topics.ids(entity);
        if ids.is_empty() {
            continue;
        }
        q.push(" OR (topic = ")
            .push_bind(topic.to_owned())
            .push(" AND entity_id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.to_string());
        }
        q.push("))");
    }
    q.push(")");
}

impl Db {
    /// Starts a write transaction, holding the write lock from the start.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, ApiError> {
        self.begin_write_by(None).await
    }

    /// Starts a write transaction whose events name `actor`.
    pub(crate) async fn begin_write_by(&self, actor: Option<Uuid>) -> Result<WriteTx, ApiError> {
        let lock = self.write_lock.clone().lock_owned().await;
        let tx = self.pool().begin_write().await?;
        Ok(WriteTx {
            tx,
            last_seq: None,
            appended: Vec::new(),
            actor,
            _lock: lock,
        })
    }

    /// The log's epoch, floor and head.
    pub async fn log_state(&self) -> Result<LogState, sqlx::Error> {
        const SQL: &str =
            "SELECT epoch, floor, (SELECT MAX(seq) FROM events) FROM log_meta WHERE id = 1";
        let (epoch, floor, max): (String, i64, Option<i64>) =
            dispatch!(self.pool(), pool => sqlx::query_as(SQL).fetch_one(pool).await?);
        let floor = floor.max(1) as u64;
        // After pruning everything, the head is just below the floor.
        let head = (max.unwrap_or(0).max(0) as u64).max(floor - 1);
        Ok(LogState { epoch, floor, head })
    }

    /// Up to `limit` events with `after < seq <= through` that `topics`
    /// want, in seq order, and the retention floor, from one snapshot: if
    /// `floor > after + 1`, events the reader needed are gone.
    pub async fn read_events(
        &self,
        after: u64,
        through: u64,
        topics: &TopicSet,
        limit: u32,
    ) -> Result<EventBatch, ApiError> {
        // The floor and the rows come from one snapshot.
        let mut tx = self.pool().begin_snapshot().await?;
        let (floor, rows): (i64, Vec<EventRow>) = dispatch!(tx.conn(), c => {
            let floor = sqlx::query_scalar("SELECT floor FROM log_meta WHERE id = 1")
                .fetch_one(&mut *c)
                .await?;
            let mut q = QueryBuilder::new("SELECT seq, type, actor, data, ts FROM events WHERE seq > ");
            q.push_bind(after as i64)
                .push(" AND seq <= ")
                .push_bind(through as i64);
            push_topic_filter(&mut q, topics);
            q.push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
            let rows = q.build_query_as().fetch_all(&mut *c).await?;
            (floor, rows)
        });
        tx.commit().await?;
        let events = rows
            .into_iter()
            .map(Event::try_from)
            .collect::<Result<_, _>>()?;
        Ok(EventBatch {
            events,
            floor: floor.max(1) as u64,
        })
    }

    /// Up to `limit` events of every topic after `after`, in seq order,
    /// with the floor: what the hub's tail is filled from.
    pub async fn read_log(&self, after: u64, limit: u32) -> Result<EventBatch, ApiError> {
        let mut topics = TopicSet::new();
        topics.insert([Entity::User.topic(), Entity::Post.topic()]);
        self.read_events(after, i64::MAX as u64, &topics, limit)
            .await
    }

    /// Every retained event after `after`, in seq order, however many.
    pub async fn all_events_after(&self, after: u64) -> Result<Vec<Event>, ApiError> {
        let mut out = Vec::new();
        let mut after = after;
        loop {
            let batch = self.read_log(after, 1000).await?;
            match batch.events.last() {
                None => return Ok(out),
                Some(last) => after = last.seq,
            }
            out.extend(batch.events);
        }
    }

    /// Retention: deletes all but the newest `keep_last` events and raises
    /// the floor past them. Returns the new floor, for the hub
    /// (`Hub::pruned_below`); readers that needed a deleted event are told
    /// to resync.
    pub async fn prune_events(&self, keep_last: u64) -> Result<u64, ApiError> {
        let mut tx = self.begin_write().await?;
        // Under the log's lock, as appends are: the floor is read and
        // raised by one instance at a time, so it only moves forward.
        if let Engine::Postgres(c) = tx.conn() {
            engine::lock_log(c).await?;
        }
        const SQL: &str = "SELECT floor, (SELECT MAX(seq) FROM events) FROM log_meta WHERE id = 1";
        let (floor, max): (i64, Option<i64>) =
            dispatch!(tx.conn(), c => sqlx::query_as(SQL).fetch_one(c).await?);
        let floor = floor.max(1) as u64;
        let head = (max.unwrap_or(0).max(0) as u64).max(floor - 1);
        let new_floor = head.saturating_sub(keep_last) + 1;
        if new_floor <= floor {
            return Ok(floor);
        }
        dispatch!(tx.conn(), c => {
            sqlx::query("DELETE FROM events WHERE seq < $1")
                .bind(new_floor as i64)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE log_meta SET floor = $1 WHERE id = 1")
                .bind(new_floor as i64)
                .execute(&mut *c)
                .await?;
        });
        tx.commit_quiet().await?;
        Ok(new_floor)
    }
}

/// Starts a new epoch: every client's seq becomes meaningless and its next
/// subscribe earns a `RESYNC`. For when the data is replaced wholesale
/// (seeding).
pub(super) async fn new_epoch(conn: Conn<'_>) -> Result<(), sqlx::Error> {
    let epoch = Uuid::new_v4().simple().to_string();
    dispatch!(conn, c => sqlx::query("UPDATE log_meta SET epoch = $1 WHERE id = 1")
        .bind(&epoch)
        .execute(c)
        .await
        .map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Sqlite;

    #[test]
    fn resuming_needs_the_next_event_retained() {
        let log = LogState {
            epoch: "e".into(),
            floor: 6,
            head: 10,
        };
        assert!(log.can_resume(5));
        assert!(log.can_resume(10));
        assert!(!log.can_resume(4));
        assert!(!log.can_resume(11));
        let fresh = LogState {
            epoch: "e".into(),
            floor: 1,
            head: 0,
        };
        assert!(fresh.can_resume(0));
        assert!(!fresh.can_resume(1));
    }

    fn sql(topics: &TopicSet) -> String {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT 1 WHERE 1");
        push_topic_filter(&mut q, topics);
        q.into_sql()
    }

    #[test]
    fn the_topic_filter_covers_exactly_the_subscription() {
        let mut topics = TopicSet::new();
        assert_eq!(sql(&topics), "SELECT 1 WHERE 1 AND (FALSE)");
        topics.insert([tidings::protocol::Topic::Users]);
        assert_eq!(sql(&topics), "SELECT 1 WHERE 1 AND (FALSE OR topic = ?)");
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        topics.insert([
            tidings::protocol::Topic::Post(a),
            tidings::protocol::Topic::Post(b),
        ]);
        assert_eq!(
            sql(&topics),
            "SELECT 1 WHERE 1 AND (FALSE OR topic = ? OR (topic = ? AND entity_id IN (?, ?)))"
        );
    }
}
