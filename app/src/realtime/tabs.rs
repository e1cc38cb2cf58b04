//! What tabs of one browser tell each other over
//! `BroadcastChannel("tidings")`, as JSON text.
//!
//! Shared:
//! - every change event a tab applies from its own socket ([`TabMessage::Event`]),
//!   with the position it had just before and its topics, so a receiver
//!   applies it through the same exactly-once path only when it skips
//!   nothing (see [`Ledger::take_from_tab`](super::ledger::Ledger::take_from_tab));
//!   receivers never re-post, so nothing echoes;
//! - a socket position that moved without an event (a `HEARTBEAT`),
//!   [`TabMessage::Position`], so a tab whose socket is down resumes from
//!   further on;
//! - a `RESYNC` ([`TabMessage::Resync`]): a tab that is not live itself
//!   refetches what it shows and adopts the new epoch and seq;
//! - cache writes and invalidations a tab chooses to share
//!   ([`TabMessage::QueryData`], [`TabMessage::Invalidate`], sent by
//!   [`RealtimeHandle::share_query_data`](super::RealtimeHandle::share_query_data)
//!   and [`RealtimeHandle::share_invalidation`](super::RealtimeHandle::share_invalidation)).
//!   Data is written only into queries the receiving tab already holds.
//!
//! - leadership: one tab (the leader, elected with the Web Locks API)
//!   holds the browser's one socket; the others follow its events. A
//!   follower announces itself ([`TabMessage::Join`]) and the leader
//!   answers with its status and position ([`TabMessage::Leader`]), sent
//!   again on every change of its status.
//!
//! - each optimistic layer of a write made in a tab, when shown and when
//!   settled ([`TabMessage::Layer`]): the other tabs show it too, and drop
//!   it (under the confirmed ops, or rolled back) with no request.
//!
//! Not shared: fetch results (each tab fetches what it shows).
//!
//! Every message is wrapped with a format version; a tab running another
//! build of the app ignores what it cannot read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use tidings::cache::{QueryKey, Tag};
use tidings::protocol::{Event, ServerFrame, Topic};

use super::machine::Status;
use crate::query::LayerChange;

/// The channel's name.
pub const CHANNEL: &str = "tidings";

/// The message format; other versions are ignored.
pub const VERSION: u32 = 1;

/// One message between tabs; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TabMessage {
    /// The sender applied `event` from its socket; its position was
    /// `after` just before.
    Event {
        epoch: String,
        after: u64,
        topics: Vec<Topic>,
        #[serde(with = "event_frame")]
        event: Event,
    },
    /// The sender's socket position moved from `after` to `seq` with no
    /// event matching its topics between.
    Position {
        epoch: String,
        after: u64,
        seq: u64,
        topics: Vec<Topic>,
    },
    /// The sender was told to `RESYNC`: the log continues after `seq`.
    Resync { epoch: String, seq: u64 },
    /// The sender wrote `data` as the data of `key`.
    QueryData { key: QueryKey, data: Value },
    /// The sender invalidated `tags`.
    Invalidate { tags: Vec<Tag> },
    /// Tab `tab` (a random id per page) changed one of its optimistic
    /// layers: every tab shows it, and drops it when it settles.
    Layer { tab: String, change: LayerChange },
    /// A tab started following: the leader answers with its [`TabMessage::Leader`].
    Join,
    /// The leader's (the tab holding the browser's one socket) status
    /// changed, or a tab joined; `epoch`/`seq` is its position, if any.
    Leader {
        status: Status,
        epoch: Option<String>,
        seq: u64,
    },
}

#[derive(Serialize, Deserialize)]
struct Envelope<M> {
    v: u32,
    msg: M,
}

impl TabMessage {
    /// The message as channel text.
    pub fn encode(&self) -> String {
        serde_json::to_string(&Envelope {
            v: VERSION,
            msg: self,
        })
        .expect("a tab message serializes")
    }

    /// Reads channel text; `None` for another version or anything
    /// unreadable.
    pub fn decode(text: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Version {
            v: u32,
        }
        let version: Version = serde_json::from_str(text).ok()?;
        if version.v != VERSION {
            return None;
        }
        serde_json::from_str::<Envelope<TabMessage>>(text)
            .ok()
            .map(|e| e.msg)
    }
}

/// Whether a tab subscribed to `sender` sees every event a tab subscribed
/// to `receiver` does: each receiver topic is a sender topic, or a single
/// entity whose whole family the sender has.
pub fn covers(sender: &[Topic], receiver: &[Topic]) -> bool {
    receiver.iter().all(|topic| {
        sender.contains(topic)
            || match topic {
                Topic::User(_) => sender.contains(&Topic::Users),
                Topic::Post(_) => sender.contains(&Topic::Posts),
                Topic::Users | Topic::Posts => false,
            }
    })
}

/// An [`Event`] written as its wire frame (`{"type":"USER_UPDATED",...}`).
mod event_frame {
    use super::*;

    pub fn serialize<S: Serializer>(event: &Event, serializer: S) -> Result<S::Ok, S::Error> {
        ServerFrame::Event(event.clone()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        match ServerFrame::deserialize(deserializer)? {
            ServerFrame::Event(event) => Ok(event),
            other => Err(serde::de::Error::custom(format!(
                "expected a change event, got {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tidings::protocol::EventKind;
    use uuid::Uuid;

    fn event(seq: u64) -> Event {
        Event {
            kind: EventKind::UserDeleted,
            seq,
            ts: "2026-01-01T00:00:00Z".parse().unwrap(),
            actor: None,
            data: json!({"id": Uuid::from_u128(1).to_string()}),
        }
    }

    #[test]
    fn every_message_round_trips_as_versioned_text() {
        let messages = [
            TabMessage::Event {
                epoch: "e".into(),
                after: 4,
                topics: vec![Topic::Users, Topic::Post(Uuid::from_u128(2))],
                event: event(5),
            },
            TabMessage::Position {
                epoch: "e".into(),
                after: 5,
                seq: 9,
                topics: vec![Topic::Posts],
            },
            TabMessage::Resync {
                epoch: "e2".into(),
                seq: 1,
            },
            TabMessage::QueryData {
                key: QueryKey::new("users").with(json!({"page": 1})),
                data: json!({"data": []}),
            },
            TabMessage::Invalidate {
                tags: vec![Tag::Users, Tag::UserPosts(Uuid::from_u128(3))],
            },
        ];
        for message in messages {
            let text = message.encode();
            assert_eq!(TabMessage::decode(&text), Some(message), "{text}");
        }
        let text = TabMessage::Resync {
            epoch: "e".into(),
            seq: 1,
        }
        .encode();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"v": 1, "msg": {"kind": "resync", "epoch": "e", "seq": 1}})
        );
    }

    #[test]
    fn events_travel_as_their_wire_frame() {
        let text = TabMessage::Event {
            epoch: "e".into(),
            after: 0,
            topics: vec![],
            event: event(3),
        }
        .encode();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["msg"]["event"]["type"], "USER_DELETED");
        assert_eq!(value["msg"]["event"]["seq"], 3);
    }

    #[test]
    fn other_versions_and_garbage_are_ignored() {
        for text in [
            "",
            "nope",
            "{}",
            r#"{"v":2,"msg":{"kind":"resync","epoch":"e","seq":1}}"#,
            r#"{"v":1,"msg":{"kind":"dance"}}"#,
            r#"{"v":1,"msg":{"kind":"event","epoch":"e","after":0,"topics":[],
                "event":{"type":"HEARTBEAT","seq":1}}}"#,
        ] {
            assert_eq!(TabMessage::decode(text), None, "{text}");
        }
    }

    #[test]
    fn coverage_follows_topic_families() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let all = [Topic::Users, Topic::Posts];
        assert!(covers(&all, &all));
        assert!(covers(&all, &[Topic::User(a), Topic::Post(b)]));
        assert!(covers(&[Topic::User(a)], &[Topic::User(a)]));
        assert!(covers(&[Topic::Users], &[]));
        assert!(!covers(&[Topic::User(a)], &[Topic::Users]));
        assert!(!covers(&[Topic::Users], &all));
        assert!(!covers(&[Topic::User(a)], &[Topic::User(b)]));
        assert!(!covers(&[Topic::Posts], &[Topic::User(a)]));
    }
}
