//! The tail: the newest committed events of the log, in memory, each
//! encoded once into the frame every socket sends.
//!
//! The tail covers a range of seqs `(start, head]` completely: every event
//! committed in that range is in it, in seq order (seqs may skip numbers,
//! as a PostgreSQL sequence does after a rollback). A socket whose position
//! is at or after `start` takes its next frames from here and never asks
//! the database; one that fell behind `start` reads the table (see
//! [`super::socket`]). The tail holds at most `capacity` events: pushing
//! more drops the oldest and moves `start` up.
//!
//! Who fills it keeps the range complete: on SQLite, the write transaction
//! that appended the events, after its commit and still under the
//! process's write lock; on PostgreSQL, the [`super::listener`], reading
//! the table after the tail's head once per notification.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use tidings::protocol::{Event, EventKind, ServerFrame, TopicSet};
use tidings::Role;
use uuid::Uuid;

/// One committed event as the sockets need it.
#[derive(Debug)]
pub struct Committed {
    pub seq: u64,
    kind: EventKind,
    /// The user or post the event is about.
    entity: Option<Uuid>,
    /// The author a post event names.
    author: Option<Uuid>,
    /// The `ServerFrame::Event` as JSON text, shared by every socket.
    frame: Utf8Bytes,
    /// What the event means for the sessions of a user.
    effect: Option<AccountChange>,
}

/// A change to an account that its open sockets must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// The user was deleted.
    Deleted(Uuid),
    /// The user now has this role.
    Role(Uuid, Role),
}

impl Committed {
    /// Encodes `event` once.
    pub fn new(event: Event) -> Self {
        let entity = event.entity_id();
        let effect = match (event.kind, entity) {
            (EventKind::UserDeleted, Some(id)) => Some(AccountChange::Deleted(id)),
            (EventKind::UserUpdated, Some(id)) => event
                .data
                .get("role")
                .and_then(|r| serde_json::from_value::<Role>(r.clone()).ok())
                .map(|role| AccountChange::Role(id, role)),
            _ => None,
        };
        Self {
            seq: event.seq,
            kind: event.kind,
            entity,
            author: event.author_id(),
            frame: ServerFrame::Event(event).to_text().into(),
            effect,
        }
    }

    /// Whether a socket subscribed to `topics` wants this event.
    pub fn wanted_by(&self, topics: &TopicSet) -> bool {
        topics.iter().any(|t| t.matches(self.kind, self.entity))
    }

    /// The frame to send, shared (cloning it copies no bytes).
    pub fn frame(&self) -> Utf8Bytes {
        self.frame.clone()
    }

    pub fn account_change(&self) -> Option<AccountChange> {
        self.effect
    }

    /// Whether this event carries personal data of `user`: it is about
    /// them or one of their posts, and is not a deletion.
    fn about(&self, user: Uuid) -> bool {
        use EventKind::*;
        match self.kind {
            UserCreated | UserUpdated => self.entity == Some(user),
            PostCreated | PostUpdated => self.author == Some(user),
            UserDeleted | PostDeleted => false,
        }
    }

    /// This event with its payload [`redacted`](tidings::protocol::redacted).
    fn redacted(&self) -> Option<Self> {
        let ServerFrame::Event(mut event) = ServerFrame::parse(self.frame.as_str()).ok()? else {
            return None;
        };
        event.data = tidings::protocol::redacted(self.entity?);
        Some(Self::new(event))
    }
}

/// What reading the tail after a position gave.
#[derive(Debug)]
pub enum TailRead {
    /// The position is before the tail's start: read the table.
    Behind,
    /// The events after the position, in seq order, and the seq up to
    /// which they are complete (past the last one when none is left).
    Served {
        events: Vec<Arc<Committed>>,
        through: u64,
    },
}

#[derive(Debug)]
pub struct Tail {
    events: VecDeque<Arc<Committed>>,
    /// Every event after this seq, up to `head`, is in `events`.
    start: u64,
    head: u64,
    capacity: usize,
}

impl Tail {
    /// An empty tail at `head` holding at most `capacity` events.
    pub fn new(head: u64, capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            start: head,
            head,
            capacity: capacity.max(1),
        }
    }

    pub fn head(&self) -> u64 {
        self.head
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds `events`, every event committed after the head up to
    /// `through`, in seq order. Events at or below the head are already
    /// here and are skipped.
    pub fn push(&mut self, events: impl IntoIterator<Item = Arc<Committed>>, through: u64) {
        for event in events {
            if event.seq <= self.head {
                continue;
            }
            self.head = event.seq;
            self.events.push_back(event);
            if self.events.len() > self.capacity {
                if let Some(oldest) = self.events.pop_front() {
                    self.start = oldest.seq;
                }
            }
        }
        self.head = self.head.max(through);
    }

    /// Forgets everything and starts again at `head`: for when events
    /// between the old head and this one cannot be known (they were
    /// pruned before they were read).
    pub fn restart(&mut self, head: u64) {
        self.events.clear();
        self.start = head.max(self.head);
        self.head = self.start;
    }

    /// Forgets deleted user `user` as the log does
    /// (`WriteTx::forget_user`): their events and their posts' events
    /// still held are replaced with redacted ones.
    pub fn forget(&mut self, user: Uuid) {
        for slot in self.events.iter_mut().filter(|e| e.about(user)) {
            if let Some(redacted) = slot.redacted() {
                *slot = Arc::new(redacted);
            }
        }
    }

    /// Drops the events below `floor` (pruned from the log): the tail never
    /// serves what the log no longer retains.
    pub fn trim_below(&mut self, floor: u64) {
        while self.events.front().is_some_and(|e| e.seq < floor) {
            self.events.pop_front();
        }
        self.start = self.start.max(floor.saturating_sub(1)).min(self.head);
    }

    /// Up to `limit` events after `position`.
    pub fn read_after(&self, position: u64, limit: usize) -> TailRead {
        if position < self.start {
            return TailRead::Behind;
        }
        let first = self.events.partition_point(|e| e.seq <= position);
        let events: Vec<_> = self
            .events
            .range(first..)
            .take(limit.max(1))
            .cloned()
            .collect();
        let through = if first + events.len() == self.events.len() {
            self.head
        } else {
            events.last().map_or(position, |e| e.seq)
        };
        TailRead::Served { events, through }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tidings::protocol::Topic;

    fn event(seq: u64, kind: EventKind, data: serde_json::Value) -> Arc<Committed> {
        Arc::new(Committed::new(Event {
            kind,
            seq,
            ts: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor: None,
            data,
        }))
    }

    fn post(seq: u64, id: u128) -> Arc<Committed> {
        event(
            seq,
            EventKind::PostDeleted,
            json!({ "id": Uuid::from_u128(id) }),
        )
    }

    fn seqs(read: TailRead) -> (Vec<u64>, u64) {
        match read {
            TailRead::Served { events, through } => {
                (events.iter().map(|e| e.seq).collect(), through)
            }
            TailRead::Behind => panic!("expected events"),
        }
    }

    #[test]
    fn reads_serve_what_follows_a_position_within_the_range() {
        let mut tail = Tail::new(10, 100);
        assert_eq!(seqs(tail.read_after(10, 5)), (vec![], 10));
        tail.push([post(11, 1), post(13, 2), post(14, 3)], 14);
        tail.push([post(13, 2)], 16);
        assert_eq!(tail.head(), 16);
        assert_eq!(seqs(tail.read_after(10, 5)), (vec![11, 13, 14], 16));
        assert_eq!(seqs(tail.read_after(11, 1)), (vec![13], 13));
        assert_eq!(seqs(tail.read_after(14, 5)), (vec![], 16));
        assert!(matches!(tail.read_after(9, 5), TailRead::Behind));
    }

    #[test]
    fn a_full_tail_drops_its_oldest_and_moves_its_start() {
        let mut tail = Tail::new(0, 2);
        tail.push((1..=5).map(|s| post(s, s as u128)), 5);
        assert_eq!(tail.len(), 2);
        assert_eq!(tail.start(), 3);
        assert!(matches!(tail.read_after(2, 5), TailRead::Behind));
        assert_eq!(seqs(tail.read_after(3, 5)), (vec![4, 5], 5));
        tail.trim_below(5);
        assert_eq!(tail.start(), 4);
        assert_eq!(seqs(tail.read_after(4, 5)), (vec![5], 5));
        tail.restart(9);
        assert_eq!((tail.start(), tail.head(), tail.len()), (9, 9, 0));
    }

    #[test]
    fn an_event_is_encoded_once_and_matched_by_topic() {
        let id = Uuid::from_u128(7);
        let e = post(3, 7);
        let mut topics = TopicSet::new();
        assert!(!e.wanted_by(&topics));
        topics.insert([Topic::Post(id)]);
        assert!(e.wanted_by(&topics));
        topics = TopicSet::new();
        topics.insert([Topic::Users]);
        assert!(!e.wanted_by(&topics));
        let frame: serde_json::Value = serde_json::from_str(e.frame().as_str()).unwrap();
        assert_eq!(frame["type"], "POST_DELETED");
        assert_eq!(frame["seq"], 3);
    }

    #[test]
    fn account_changes_are_read_from_user_events() {
        let id = Uuid::from_u128(9);
        let deleted = event(1, EventKind::UserDeleted, json!({ "id": id }));
        assert_eq!(deleted.account_change(), Some(AccountChange::Deleted(id)));
        let updated = event(
            2,
            EventKind::UserUpdated,
            json!({ "id": id, "role": "moderator" }),
        );
        assert_eq!(
            updated.account_change(),
            Some(AccountChange::Role(id, Role::Moderator))
        );
        assert_eq!(post(3, 9).account_change(), None);
    }

    #[test]
    fn forgetting_a_user_redacts_their_events_and_their_posts() {
        let (ada, bo) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let user = |seq, id: Uuid| {
            event(
                seq,
                EventKind::UserCreated,
                json!({ "id": id, "name": "N" }),
            )
        };
        let written = |seq, id: u128, author: Uuid| {
            let data = json!({ "id": Uuid::from_u128(id), "authorId": author, "title": "T" });
            event(seq, EventKind::PostCreated, data)
        };
        let mut tail = Tail::new(0, 10);
        tail.push(
            [
                user(1, ada),
                user(2, bo),
                written(3, 10, ada),
                written(4, 11, bo),
            ],
            4,
        );
        tail.forget(ada);
        let TailRead::Served { events, .. } = tail.read_after(0, 10) else {
            panic!("expected events");
        };
        let payloads: Vec<serde_json::Value> = events
            .iter()
            .map(|e| match ServerFrame::parse(e.frame().as_str()).unwrap() {
                ServerFrame::Event(event) => event.data,
                other => panic!("expected an event, got {other:?}"),
            })
            .collect();
        assert_eq!(
            payloads,
            [
                tidings::protocol::redacted(ada),
                json!({ "id": bo, "name": "N" }),
                tidings::protocol::redacted(Uuid::from_u128(10)),
                json!({ "id": Uuid::from_u128(11), "authorId": bo, "title": "T" }),
            ]
        );
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }
}
