//! Writers for the tests of the event log under load: each makes a
//! stream of creates, updates and deletes through a server's writes, as many at once
//! as a test spawns, and the log they leave is checked for commit order.

use std::collections::HashMap;

use serde_json::{json, Value};
use server::auth::Actor;
use server::safe_write::{IfMatch, Written};
use server::writes::{Once, Writes};
use tidings::protocol::Event;
use tidings::{NewPostInput, NewUserInput, PostPatchInput, Role, UserPatchInput};
use uuid::Uuid;

/// The body of a write and its canonical text, as the routes see them.
fn parse<T: serde::de::DeserializeOwned>(value: Value) -> (T, String) {
    let canonical = server::extract::canonical_json(&value);
    (
        serde_json::from_value(value).expect("a valid input"),
        canonical,
    )
}

/// The answer's entity, and its version.
fn entity(written: Written) -> (Uuid, i64) {
    let answer = written.answer();
    assert!(answer.status.is_success(), "{:?}", answer.body);
    let body: Value = serde_json::from_str(answer.body.as_deref().unwrap()).unwrap();
    (
        body["id"].as_str().unwrap().parse().unwrap(),
        body["version"].as_i64().unwrap(),
    )
}

/// One writer, an admin: a user of its own, then `ops` writes cycling
/// through post create, user update, post update and post delete, each
/// made as the API makes it and at the version it last wrote. Returns how
/// many writes it made.
pub async fn write_many(writes: Writes, writer: usize, ops: usize) -> usize {
    let by = Actor {
        id: Uuid::now_v7(),
        role: Role::Admin,
    };
    let at = |version| IfMatch::Versions(vec![version]);
    let (input, body) = parse::<NewUserInput>(json!({
        "name": format!("Writer {writer}"),
        "email": format!("writer{writer}@example.com"),
    }));
    let written = writes.create_user(&by, input, None, Once::new(None, &body));
    let (user, mut user_version) = entity(written.await.unwrap());
    let mut posts: Vec<(Uuid, i64)> = Vec::new();
    for op in 1..ops {
        match op % 4 {
            0 | 1 => {
                let (input, body) = parse::<NewPostInput>(json!({
                    "title": format!("Post {op} by {writer}"),
                    "content": "text",
                    "authorId": user.to_string(),
                }));
                let written = writes.create_post(&by, input, Once::new(None, &body));
                posts.push(entity(written.await.unwrap()));
            }
            2 => {
                let (input, body) =
                    parse::<UserPatchInput>(json!({ "name": format!("Writer {writer}.{op}") }));
                let once = Once::new(None, &body);
                let condition = at(user_version);
                let written = writes.patch_user(&by, user, input, &condition, once);
                user_version = entity(written.await.unwrap()).1;
            }
            _ => {
                let (post, version) = *posts.last().expect("a post exists");
                let (input, body) =
                    parse::<PostPatchInput>(json!({ "title": format!("Edit {op}") }));
                let once = Once::new(None, &body);
                let condition = at(version);
                let written = writes.patch_post(&by, post, input, &condition, once);
                *posts.last_mut().unwrap() = entity(written.await.unwrap());
                if op % 8 == 7 {
                    let (post, version) = posts.remove(0);
                    let once = Once::new(None, "");
                    let condition = at(version);
                    let written = writes.delete_post(&by, post, &condition, once);
                    assert!(written.await.unwrap().answer().status.is_success());
                }
            }
        }
    }
    ops
}

/// Per entity, versions rise with seq: the log's order is the order the
/// writes committed in.
pub fn assert_versions_rise_with_seq(events: &[Event]) {
    let mut versions: HashMap<Uuid, i64> = HashMap::new();
    for event in events {
        let Some(version) = event.data.get("version").and_then(Value::as_i64) else {
            continue;
        };
        let id = event.entity_id().expect("an entity id");
        let before = versions.insert(id, version);
        assert!(
            before.is_none_or(|v| v < version),
            "seq {}: version {version} of {id} after {before:?}",
            event.seq
        );
    }
}
