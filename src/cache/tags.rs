//! Invalidation tags and the realtime event kinds that produce them.
//!
//! A query provides tags ([`QueryOptions::tags`](super::QueryOptions::tags));
//! a write, or a change event pushed by the server, invalidates tags, and
//! every query providing one of them is refetched. Defining both the tags
//! and the event-to-tag mapping here, in the shared core, means the server
//! and the browser cannot disagree on what an event makes stale.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A class of cached data, as named by queries and invalidations.
///
/// Written as text like a realtime topic: `users`, `user:<id>`, `posts`,
/// `post:<id>`, `user-posts:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    /// Any list of users (membership or order may change).
    Users,
    /// One user's detail.
    User(Uuid),
    /// Any list of posts.
    Posts,
    /// One post's detail.
    Post(Uuid),
    /// The posts written by one user.
    UserPosts(Uuid),
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Users => f.write_str("users"),
            Tag::User(id) => write!(f, "user:{id}"),
            Tag::Posts => f.write_str("posts"),
            Tag::Post(id) => write!(f, "post:{id}"),
            Tag::UserPosts(id) => write!(f, "user-posts:{id}"),
        }
    }
}

impl FromStr for Tag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let id = |raw: &str| Uuid::parse_str(raw).map_err(|_| format!("bad id in tag `{s}`"));
        match s.split_once(':') {
            None if s == "users" => Ok(Tag::Users),
            None if s == "posts" => Ok(Tag::Posts),
            Some(("user", raw)) => id(raw).map(Tag::User),
            Some(("post", raw)) => id(raw).map(Tag::Post),
            Some(("user-posts", raw)) => id(raw).map(Tag::UserPosts),
            _ => Err(format!("unknown tag `{s}`")),
        }
    }
}

impl Serialize for Tag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The kinds of change event in the server's event log, named on the wire
/// as `USER_CREATED` etc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// Payload: the new user.
    UserCreated,
    /// Payload: the user as it is now.
    UserUpdated,
    /// Payload: `{"id": ...}`; the user's posts went with them.
    UserDeleted,
    /// Payload: the new post.
    PostCreated,
    /// Payload: the post as it is now.
    PostUpdated,
    /// Payload: `{"id": ..., "authorId": ...}` (author optional).
    PostDeleted,
}

impl EventKind {
    /// Every kind, in wire-name order.
    pub const ALL: [EventKind; 6] = [
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserDeleted,
        EventKind::PostCreated,
        EventKind::PostUpdated,
        EventKind::PostDeleted,
    ];

    /// The wire name, e.g. `USER_CREATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserCreated => "USER_CREATED",
            EventKind::UserUpdated => "USER_UPDATED",
            EventKind::UserDeleted => "USER_DELETED",
            EventKind::PostCreated => "POST_CREATED",
            EventKind::PostUpdated => "POST_UPDATED",
            EventKind::PostDeleted => "POST_DELETED",
        }
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown event kind `{s}`"))
    }
}

fn uuid_field(payload: &Value, field: &str) -> Option<Uuid> {
    payload.get(field)?.as_str()?.parse().ok()
}

/// The tags an event of `kind` with `payload` (its `data`) invalidates.
/// A payload missing an id still invalidates the lists.
pub fn tags_for_event(kind: EventKind, payload: &Value) -> Vec<Tag> {
    let id = uuid_field(payload, "id");
    let author = uuid_field(payload, "authorId");
    let mut tags = Vec::with_capacity(4);
    match kind {
        EventKind::UserCreated | EventKind::UserUpdated => {
            tags.push(Tag::Users);
            tags.extend(id.map(Tag::User));
        }
        EventKind::UserDeleted => {
            tags.push(Tag::Users);
            tags.extend(id.map(Tag::User));
            tags.push(Tag::Posts);
            tags.extend(id.map(Tag::UserPosts));
        }
        EventKind::PostCreated | EventKind::PostUpdated | EventKind::PostDeleted => {
            tags.push(Tag::Posts);
            tags.extend(id.map(Tag::Post));
            tags.extend(author.map(Tag::UserPosts));
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_round_trip_as_text() {
        let id = Uuid::from_u128(7);
        for tag in [
            Tag::Users,
            Tag::User(id),
            Tag::Posts,
            Tag::Post(id),
            Tag::UserPosts(id),
        ] {
            let text = serde_json::to_string(&tag).unwrap();
            assert_eq!(serde_json::from_str::<Tag>(&text).unwrap(), tag);
        }
        assert_eq!(Tag::User(id).to_string(), format!("user:{id}"));
        assert!("user:nope".parse::<Tag>().is_err());
        assert!("people".parse::<Tag>().is_err());
    }

    #[test]
    fn event_kinds_use_wire_names() {
        for kind in EventKind::ALL {
            let text = serde_json::to_string(&kind).unwrap();
            assert_eq!(text, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), kind);
        }
    }

    #[test]
    fn events_map_to_tags() {
        let (u, p) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let user = json!({"id": u.to_string(), "name": "Ada"});
        assert_eq!(
            tags_for_event(EventKind::UserUpdated, &user),
            [Tag::Users, Tag::User(u)]
        );
        assert_eq!(
            tags_for_event(EventKind::UserDeleted, &json!({"id": u.to_string()})),
            [Tag::Users, Tag::User(u), Tag::Posts, Tag::UserPosts(u)]
        );
        let post = json!({"id": p.to_string(), "authorId": u.to_string()});
        assert_eq!(
            tags_for_event(EventKind::PostCreated, &post),
            [Tag::Posts, Tag::Post(p), Tag::UserPosts(u)]
        );
        assert_eq!(
            tags_for_event(EventKind::PostDeleted, &json!({"id": p.to_string()})),
            [Tag::Posts, Tag::Post(p)]
        );
        assert_eq!(
            tags_for_event(EventKind::UserCreated, &json!({})),
            [Tag::Users]
        );
    }
}
