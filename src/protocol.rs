//! The realtime wire protocol of `GET /api/events`, shared by the server
//! and the browser: JSON text frames, one object each, tagged by `type`.
//!
//! ```text
//! client -> {"type":"auth","token":"<access token>"}
//! client -> {"type":"subscribe","topics":["users","posts"],"since":1041,"epoch":"<log id>"}
//! client -> {"type":"unsubscribe","topics":["posts"]}
//! client -> {"type":"HEARTBEAT"}
//! server -> {"type":"hello","epoch":"<log id>","seq":1093}
//! server -> {"type":"POST_CREATED","seq":1042,"ts":"...","actor":"<user id>","data":{...post...}}
//! server -> {"type":"HEARTBEAT","seq":1093}
//! server -> {"type":"RESYNC","epoch":"<log id>","seq":1093}
//! server -> {"type":"error","code":"bad_frame","message":"..."}
//! ```
//!
//! The rules both ends follow:
//!
//! - A socket serves a signed-in user only: one whose upgrade request
//!   carried a valid access token (Bearer header or access cookie) is
//!   greeted at once; any other must send `auth` first, and anything else
//!   first (or a bad token) gets `error` `unauthorized` and a close (1008).
//! - Once signed in, the server says `hello`: the log's `epoch` (an id made
//!   when the database was created; a new database is a new epoch) and
//!   `seq`, the newest event in the log.
//! - The first `subscribe` on a socket positions its stream: every event
//!   with `seq > since` matching the subscribed topics follows, in strictly
//!   increasing `seq` order, each exactly once, then live events as they
//!   commit. `since` is the last seq the client applied (0: none). Later
//!   `subscribe` frames add topics, which join at the stream's current
//!   position (their `since` is not replayed: the client fetches what it
//!   starts to show), so a socket's stream never goes back.
//! - `RESYNC {epoch, seq}` answers a subscribe whose history is gone
//!   (`since` older than the retained log, newer than the log's head, or
//!   an `epoch` other than the log's), and is sent mid-stream if the log
//!   was pruned past a slow reader. The client refetches what it shows;
//!   the stream goes on with the events after `seq`.
//! - `HEARTBEAT {seq}` is sent periodically and in answer to the client's
//!   `HEARTBEAT`: every matching event up to `seq` has been sent, so the
//!   client may resume from `seq`.
//! - A frame the server cannot read is answered with `error`; the socket
//!   stays open.
//! - Deleting a user forgets them: the retained log keeps every seq, but
//!   the earlier `USER_*` events about them and the `POST_*` events about
//!   their posts carry only `{"id": ..., "redacted": true}` from then on
//!   (see [`redacted`]). A client replaying such an event skips it: the
//!   deletion it leads to follows later in the stream.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

pub use crate::cache::tags::EventKind;
use crate::cache::tags::{tags_for_event, Tag};
use crate::Timestamp;

/// The most topics one socket may subscribe to.
pub const MAX_TOPICS: usize = 256;

/// The `code`s of `error` frames.
pub mod error_code {
    /// The frame is not JSON, not an object, has an unknown `type`, or a
    /// field is missing or malformed (an unknown topic, say).
    pub const BAD_FRAME: &str = "bad_frame";
    /// The subscription would exceed [`MAX_TOPICS`](super::MAX_TOPICS).
    pub const TOO_MANY_TOPICS: &str = "too_many_topics";
    /// The socket is not signed in: its first frame was not `auth`, or the
    /// token was missing, malformed, forged or expired.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The server could not read its log; the socket closes after this
    /// and the client reconnects and resumes.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The user holds as many sockets as they may (or the server does);
    /// the socket closes after this.
    pub const TOO_MANY_SOCKETS: &str = "too_many_sockets";
    /// `subscribe` frames came faster than the server allows; that frame
    /// changed nothing.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The frame was larger than [`MAX_CLIENT_FRAME`](super::MAX_CLIENT_FRAME)
    /// bytes; the socket closes after this.
    pub const FRAME_TOO_LARGE: &str = "frame_too_large";
}

/// Largest frame a client may send, in bytes.
pub const MAX_CLIENT_FRAME: usize = 16 * 1024;

/// The close codes the server ends a socket with, beyond the standard
/// 1001 (going away: shutdown), 1008 (policy: not signed in, too many
/// sockets), 1009 (a frame too large) and 1011 (the log cannot be read).
pub mod close_code {
    /// The access token the socket signed in with expired and no fresh
    /// `auth` frame came before: refresh the token, reconnect and resume.
    pub const TOKEN_EXPIRED: u16 = 4001;
    /// The user's role changed: refresh the token, reconnect and resume.
    pub const ROLE_CHANGED: u16 = 4003;
    /// The session ended (signed out, or the user was deleted): do not
    /// reconnect with the same credentials.
    pub const SESSION_ENDED: u16 = 4004;
    /// The client did not read its frames in time: reconnect and resume.
    pub const TOO_SLOW: u16 = 4008;
}

/// Which entities an event is about: the entity family of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    User,
    Post,
}

impl Entity {
    /// The family of `kind`: `USER_*` or `POST_*`.
    pub fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::UserCreated | EventKind::UserUpdated | EventKind::UserDeleted => {
                Entity::User
            }
            EventKind::PostCreated | EventKind::PostUpdated | EventKind::PostDeleted => {
                Entity::Post
            }
        }
    }

    /// The topic that carries every event of this family.
    pub fn topic(self) -> Topic {
        match self {
            Entity::User => Topic::Users,
            Entity::Post => Topic::Posts,
        }
    }
}

/// What a socket subscribes to. Written as text: `users`, `posts`,
/// `user:<id>`, `post:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Every `USER_*` event.
    Users,
    /// Every `POST_*` event.
    Posts,
    /// The `USER_*` events of one user.
    User(Uuid),
    /// The `POST_*` events of one post.
    Post(Uuid),
}

impl Topic {
    /// Whether an event of `kind` about the entity `id` belongs to this
    /// topic.
    pub fn matches(&self, kind: EventKind, id: Option<Uuid>) -> bool {
        let entity = Entity::of(kind);
        match self {
            Topic::Users => entity == Entity::User,
            Topic::Posts => entity == Entity::Post,
            Topic::User(u) => entity == Entity::User && id == Some(*u),
            Topic::Post(p) => entity == Entity::Post && id == Some(*p),
        }
    }

    /// Whether any of `topics` wants `event`.
    pub fn any_matches<'a>(topics: impl IntoIterator<Item = &'a Topic>, event: &Event) -> bool {
        let id = event.entity_id();
        topics.into_iter().any(|t| t.matches(event.kind, id))
    }
}

impl From<Topic> for Tag {
    fn from(topic: Topic) -> Tag {
        match topic {
            Topic::Users => Tag::Users,
            Topic::Posts => Tag::Posts,
            Topic::User(id) => Tag::User(id),
            Topic::Post(id) => Tag::Post(id),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Users => f.write_str("users"),
            Topic::Posts => f.write_str("posts"),
            Topic::User(id) => write!(f, "user:{id}"),
            Topic::Post(id) => write!(f, "post:{id}"),
        }
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let id = |raw: &str| Uuid::parse_str(raw).map_err(|_| format!("bad id in topic `{s}`"));
        match s.split_once(':') {
            None if s == "users" => Ok(Topic::Users),
            None if s == "posts" => Ok(Topic::Posts),
            Some(("user", raw)) => id(raw).map(Topic::User),
            Some(("post", raw)) => id(raw).map(Topic::Post),
            _ => Err(format!(
                "unknown topic `{s}` (expected users, posts, user:<id> or post:<id>)"
            )),
        }
    }
}

impl Serialize for Topic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Topic {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

/// One entry of the event log as sent to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// On the wire, the frame's `type`.
    pub kind: EventKind,
    /// Position in the log: the order of truth, gap-free.
    pub seq: u64,
    /// When the change committed.
    pub ts: Timestamp,
    /// The user who made the change, when known.
    pub actor: Option<Uuid>,
    /// The entity as the REST API returns it (camelCase), or
    /// `{"id": ...}` for a deletion (`POST_DELETED` adds `authorId`).
    pub data: Value,
}

/// The payload of an event whose entity's personal data was forgotten:
/// its id and nothing else.
pub fn redacted(id: Uuid) -> Value {
    serde_json::json!({ "id": id, "redacted": true })
}

/// Whether `data` is a [`redacted`] payload.
pub fn is_redacted(data: &Value) -> bool {
    data.get("redacted") == Some(&Value::Bool(true))
}

impl Event {
    /// The id of the entity the event is about (`data.id`).
    pub fn entity_id(&self) -> Option<Uuid> {
        self.data.get("id")?.as_str()?.parse().ok()
    }

    /// The author a post event names (`data.authorId`), if it does.
    pub fn author_id(&self) -> Option<Uuid> {
        self.data.get("authorId")?.as_str()?.parse().ok()
    }

    /// The cache tags this event makes stale.
    pub fn tags(&self) -> Vec<Tag> {
        tags_for_event(self.kind, &self.data)
    }
}

/// A frame the browser sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientFrame {
    /// Presents an access token.
    #[serde(rename = "auth")]
    Auth { token: String },
    /// Adds topics; the first subscribe on a socket also positions its
    /// stream after `since`.
    #[serde(rename = "subscribe")]
    Subscribe {
        topics: Vec<Topic>,
        /// The last seq the client applied; 0 when none.
        #[serde(default)]
        since: u64,
        /// The epoch `since` belongs to, if the client has one: a
        /// different epoch than the server's earns a `RESYNC`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    /// Removes topics.
    #[serde(rename = "unsubscribe")]
    Unsubscribe { topics: Vec<Topic> },
    /// Asks for a `HEARTBEAT` answer.
    #[serde(rename = "HEARTBEAT")]
    Heartbeat,
}

impl ClientFrame {
    /// Reads one text frame.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The frame as wire text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a client frame serializes")
    }
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerFrame {
    /// First frame on every socket.
    Hello { epoch: String, seq: u64 },
    /// One change, tagged by its kind (`USER_CREATED`, ...).
    Event(Event),
    /// Everything matching up to `seq` has been sent.
    Heartbeat { seq: u64 },
    /// History is gone or of another epoch: refetch; the stream continues
    /// after `seq`.
    Resync { epoch: String, seq: u64 },
    /// A frame could not be served; see [`error_code`].
    Error { code: String, message: String },
}

impl ServerFrame {
    /// An `error` frame.
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        ServerFrame::Error {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Reads one text frame.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The frame as wire text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a server frame serializes")
    }
}

impl Serialize for ServerFrame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            ServerFrame::Hello { epoch, seq } => {
                map.serialize_entry("type", "hello")?;
                map.serialize_entry("epoch", epoch)?;
                map.serialize_entry("seq", seq)?;
            }
            ServerFrame::Event(event) => {
                map.serialize_entry("type", event.kind.as_str())?;
                map.serialize_entry("seq", &event.seq)?;
                map.serialize_entry("ts", &event.ts)?;
                map.serialize_entry("actor", &event.actor)?;
                map.serialize_entry("data", &event.data)?;
            }
            ServerFrame::Heartbeat { seq } => {
                map.serialize_entry("type", "HEARTBEAT")?;
                map.serialize_entry("seq", seq)?;
            }
            ServerFrame::Resync { epoch, seq } => {
                map.serialize_entry("type", "RESYNC")?;
                map.serialize_entry("epoch", epoch)?;
                map.serialize_entry("seq", seq)?;
            }
            ServerFrame::Error { code, message } => {
                map.serialize_entry("type", "error")?;
                map.serialize_entry("code", code)?;
                map.serialize_entry("message", message)?;
            }
        }
        map.end()
    }
}

/// The fields of an event frame besides its `type`.
#[derive(Deserialize)]
struct EventBody {
    seq: u64,
    ts: Timestamp,
    #[serde(default)]
    actor: Option<Uuid>,
    data: Value,
}

/// Server frames as read: every variant named by its wire `type`.
#[derive(Deserialize)]
#[serde(tag = "type")]
enum WireServerFrame {
    #[serde(rename = "hello")]
    Hello { epoch: String, seq: u64 },
    #[serde(rename = "HEARTBEAT")]
    Heartbeat { seq: u64 },
    #[serde(rename = "RESYNC")]
    Resync { epoch: String, seq: u64 },
    #[serde(rename = "error")]
    Error { code: String, message: String },
    #[serde(rename = "USER_CREATED")]
    UserCreated(EventBody),
    #[serde(rename = "USER_UPDATED")]
    UserUpdated(EventBody),
    #[serde(rename = "USER_DELETED")]
    UserDeleted(EventBody),
    #[serde(rename = "POST_CREATED")]
    PostCreated(EventBody),
    #[serde(rename = "POST_UPDATED")]
    PostUpdated(EventBody),
    #[serde(rename = "POST_DELETED")]
    PostDeleted(EventBody),
}

impl<'de> Deserialize<'de> for ServerFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let event = |kind: EventKind, body: EventBody| {
            ServerFrame::Event(Event {
                kind,
                seq: body.seq,
                ts: body.ts,
                actor: body.actor,
                data: body.data,
            })
        };
        Ok(match WireServerFrame::deserialize(deserializer)? {
            WireServerFrame::Hello { epoch, seq } => ServerFrame::Hello { epoch, seq },
            WireServerFrame::Heartbeat { seq } => ServerFrame::Heartbeat { seq },
            WireServerFrame::Resync { epoch, seq } => ServerFrame::Resync { epoch, seq },
            WireServerFrame::Error { code, message } => ServerFrame::Error { code, message },
            WireServerFrame::UserCreated(b) => event(EventKind::UserCreated, b),
            WireServerFrame::UserUpdated(b) => event(EventKind::UserUpdated, b),
            WireServerFrame::UserDeleted(b) => event(EventKind::UserDeleted, b),
            WireServerFrame::PostCreated(b) => event(EventKind::PostCreated, b),
            WireServerFrame::PostUpdated(b) => event(EventKind::PostUpdated, b),
            WireServerFrame::PostDeleted(b) => event(EventKind::PostDeleted, b),
        })
    }
}

/// A socket's topics. When matching, `users` covers every `user:<id>` and
/// `posts` every `post:<id>`; the single-entity topics are still kept, so
/// unsubscribing `users` leaves them in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicSet {
    topics: BTreeSet<Topic>,
}

impl TopicSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Every topic as subscribed.
    pub fn iter(&self) -> impl Iterator<Item = &Topic> {
        self.topics.iter()
    }

    pub fn contains(&self, topic: &Topic) -> bool {
        self.topics.contains(topic)
    }

    /// Adds `topics`; how many topics the set holds after.
    pub fn insert(&mut self, topics: impl IntoIterator<Item = Topic>) -> usize {
        self.topics.extend(topics);
        self.topics.len()
    }

    /// Removes exactly `topics` (`users` does not remove `user:<id>`).
    pub fn remove<'a>(&mut self, topics: impl IntoIterator<Item = &'a Topic>) {
        for topic in topics {
            self.topics.remove(topic);
        }
    }

    /// Whether the set wants `event`.
    pub fn matches(&self, event: &Event) -> bool {
        Topic::any_matches(&self.topics, event)
    }

    /// Whether the set wants every event of `entity`.
    pub fn wants_all(&self, entity: Entity) -> bool {
        self.topics.contains(&entity.topic())
    }

    /// The ids of single entities subscribed to, for `entity`, when the set
    /// does not already want all of them.
    pub fn ids(&self, entity: Entity) -> Vec<Uuid> {
        if self.wants_all(entity) {
            return Vec::new();
        }
        self.topics
            .iter()
            .filter_map(|t| match (t, entity) {
                (Topic::User(id), Entity::User) | (Topic::Post(id), Entity::Post) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn topics_parse_and_print() {
        let u = id(1);
        for topic in [Topic::Users, Topic::Posts, Topic::User(u), Topic::Post(u)] {
            assert_eq!(topic.to_string().parse::<Topic>().unwrap(), topic);
            let text = serde_json::to_string(&topic).unwrap();
            assert_eq!(serde_json::from_str::<Topic>(&text).unwrap(), topic);
        }
        assert_eq!(
            format!("user:{u}").parse::<Topic>().unwrap(),
            Topic::User(u)
        );
        for bad in [
            "",
            "user",
            "user:",
            "user:nope",
            "people",
            "user-posts:x",
            "USERS",
        ] {
            assert!(bad.parse::<Topic>().is_err(), "{bad:?} is not a topic");
        }
    }

    #[test]
    fn topics_match_their_family_and_entity() {
        let (a, b) = (id(1), id(2));
        use EventKind::*;
        assert!(Topic::Users.matches(UserDeleted, Some(a)));
        assert!(!Topic::Users.matches(PostCreated, Some(a)));
        assert!(Topic::Posts.matches(PostUpdated, None));
        assert!(Topic::User(a).matches(UserUpdated, Some(a)));
        assert!(!Topic::User(a).matches(UserUpdated, Some(b)));
        assert!(!Topic::User(a).matches(PostUpdated, Some(a)));
        assert!(!Topic::User(a).matches(UserUpdated, None));
        assert!(Topic::Post(b).matches(PostDeleted, Some(b)));
        assert!(!Topic::Post(b).matches(UserDeleted, Some(b)));
        assert_eq!(Tag::from(Topic::User(a)), Tag::User(a));
    }

    #[test]
    fn client_frames_read_the_documented_shapes() {
        let u = id(9);
        assert_eq!(
            ClientFrame::parse(r#"{"type":"auth","token":"t"}"#).unwrap(),
            ClientFrame::Auth { token: "t".into() }
        );
        assert_eq!(
            ClientFrame::parse(&format!(
                r#"{{"type":"subscribe","topics":["users","user:{u}"],"since":1041}}"#
            ))
            .unwrap(),
            ClientFrame::Subscribe {
                topics: vec![Topic::Users, Topic::User(u)],
                since: 1041,
                epoch: None,
            }
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"subscribe","topics":[],"epoch":"e"}"#).unwrap(),
            ClientFrame::Subscribe {
                topics: vec![],
                since: 0,
                epoch: Some("e".into()),
            }
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"unsubscribe","topics":["posts"]}"#).unwrap(),
            ClientFrame::Unsubscribe {
                topics: vec![Topic::Posts]
            }
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"HEARTBEAT"}"#).unwrap(),
            ClientFrame::Heartbeat
        );
        for frame in [
            ClientFrame::Heartbeat,
            ClientFrame::Auth { token: "x".into() },
            ClientFrame::Subscribe {
                topics: vec![Topic::Post(u)],
                since: 3,
                epoch: Some("e".into()),
            },
            ClientFrame::Unsubscribe {
                topics: vec![Topic::Users],
            },
        ] {
            assert_eq!(ClientFrame::parse(&frame.to_text()).unwrap(), frame);
        }
    }

    #[test]
    fn bad_client_frames_are_refused() {
        for bad in [
            "",
            "nope",
            "[]",
            "{}",
            r#"{"type":"dance"}"#,
            r#"{"type":"subscribe"}"#,
            r#"{"type":"subscribe","topics":["people"]}"#,
            r#"{"type":"subscribe","topics":["users"],"since":-1}"#,
            r#"{"type":"auth"}"#,
            r#"{"type":"heartbeat"}"#,
        ] {
            assert!(ClientFrame::parse(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn server_frames_write_the_documented_shapes() {
        let hello = ServerFrame::Hello {
            epoch: "e1".into(),
            seq: 1093,
        };
        assert_eq!(
            serde_json::to_value(&hello).unwrap(),
            json!({"type":"hello","epoch":"e1","seq":1093})
        );
        assert_eq!(
            serde_json::to_value(ServerFrame::Heartbeat { seq: 7 }).unwrap(),
            json!({"type":"HEARTBEAT","seq":7})
        );
        assert_eq!(
            serde_json::to_value(ServerFrame::Resync {
                epoch: "e".into(),
                seq: 3
            })
            .unwrap(),
            json!({"type":"RESYNC","epoch":"e","seq":3})
        );
        assert_eq!(
            serde_json::to_value(ServerFrame::error(error_code::BAD_FRAME, "m")).unwrap(),
            json!({"type":"error","code":"bad_frame","message":"m"})
        );
        let user = id(5);
        let event = ServerFrame::Event(Event {
            kind: EventKind::UserDeleted,
            seq: 1043,
            ts: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: None,
            data: json!({"id": user.to_string()}),
        });
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"type":"USER_DELETED","seq":1043,"ts":"2026-11-22T10:00:00Z",
                   "actor":null,"data":{"id": user.to_string()}})
        );
        for frame in [
            hello,
            event,
            ServerFrame::Heartbeat { seq: 1 },
            ServerFrame::Resync {
                epoch: "x".into(),
                seq: 0,
            },
            ServerFrame::error("unauthorized", "no"),
        ] {
            assert_eq!(ServerFrame::parse(&frame.to_text()).unwrap(), frame);
        }
    }

    #[test]
    fn every_event_kind_round_trips_as_a_frame_type() {
        for kind in EventKind::ALL {
            let frame = ServerFrame::Event(Event {
                kind,
                seq: 1,
                ts: "2026-01-01T00:00:00.000001Z".parse().unwrap(),
                actor: Some(id(3)),
                data: json!({"id": id(4).to_string()}),
            });
            let value = serde_json::to_value(&frame).unwrap();
            assert_eq!(value["type"], kind.as_str());
            assert_eq!(ServerFrame::parse(&frame.to_text()).unwrap(), frame);
        }
    }

    #[test]
    fn events_know_their_entity_and_tags() {
        let (u, p) = (id(1), id(2));
        let event = Event {
            kind: EventKind::PostDeleted,
            seq: 1,
            ts: "2026-01-01T00:00:00Z".parse().unwrap(),
            actor: None,
            data: json!({"id": p.to_string(), "authorId": u.to_string()}),
        };
        assert_eq!(event.entity_id(), Some(p));
        assert_eq!(event.tags(), [Tag::Posts, Tag::Post(p), Tag::UserPosts(u)]);
        assert!(Topic::any_matches(&[Topic::Post(p)], &event));
        assert!(!Topic::any_matches(&[Topic::User(u)], &event));
    }

    #[test]
    fn topic_sets_normalize_and_remove_exactly() {
        let (a, b) = (id(1), id(2));
        let mut set = TopicSet::new();
        assert_eq!(
            set.insert([Topic::User(a), Topic::User(b), Topic::Post(a)]),
            3
        );
        assert_eq!(set.ids(Entity::User), [a, b]);
        assert_eq!(set.ids(Entity::Post), [a]);
        set.insert([Topic::Users]);
        assert!(set.wants_all(Entity::User));
        assert!(set.ids(Entity::User).is_empty());
        set.remove(&[Topic::Users]);
        assert_eq!(set.ids(Entity::User), [a, b]);
        set.remove(&[Topic::User(a), Topic::Post(a)]);
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [Topic::User(b)]);
        assert_eq!(set.len(), 1);
        assert!(!set.is_empty());
    }
}
