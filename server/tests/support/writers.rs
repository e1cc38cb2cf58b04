//! Writers for the tests of the event log under load: each makes a
//! stream of creates, updates and deletes through a store, as many at once
//! as a test spawns, and the log they leave is checked for commit order.

use std::collections::HashMap;

use serde_json::{json, Value};
use server::db::Db;
use tidings::protocol::Event;
use tidings::{NewPostInput, NewUserInput, PostPatchInput, UserPatchInput};
use uuid::Uuid;

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid input")
}

/// One writer: a user of its own, then `ops` writes cycling through post
/// create, user update, post update and post delete. Returns how many
/// writes it made.
pub async fn write_many(db: Db, writer: usize, ops: usize) -> usize {
    let new_user: NewUserInput = parse(json!({
        "name": format!("Writer {writer}"),
        "email": format!("writer{writer}@example.com"),
    }));
    let user = db.create_user(&new_user.validate().unwrap()).await.unwrap();
    let mut posts: Vec<Uuid> = Vec::new();
    for op in 1..ops {
        match op % 4 {
            0 | 1 => {
                let input: NewPostInput = parse(json!({
                    "title": format!("Post {op} by {writer}"),
                    "content": "text",
                    "authorId": user.id.to_string(),
                }));
                posts.push(db.create_post(&input.validate().unwrap()).await.unwrap().id);
            }
            2 => {
                let input: UserPatchInput =
                    parse(json!({ "name": format!("Writer {writer}.{op}") }));
                db.update_user(user.id, &input.validate().unwrap())
                    .await
                    .unwrap()
                    .expect("the user exists");
            }
            _ => {
                let post = *posts.last().expect("a post exists");
                let input: PostPatchInput = parse(json!({ "title": format!("Edit {op}") }));
                db.update_post(post, &input.validate().unwrap())
                    .await
                    .unwrap()
                    .expect("the post exists");
                if op % 8 == 7 {
                    assert!(db.delete_post(posts.remove(0)).await.unwrap());
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
