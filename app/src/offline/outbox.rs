//! The outbox queue: pending mutations in the order they were made, each
//! with its idempotency key, persisted after every change.

use serde::{Deserialize, Serialize};

use super::storage::OutboxStorage;
use crate::api::ApiError;

/// The HTTP write a pending mutation will make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRequest {
    /// `POST`, `PATCH` or `DELETE`.
    pub method: String,
    /// Path under the site, e.g. `/api/posts`.
    pub path: String,
    pub body: Option<serde_json::Value>,
    /// The version the change was made against (`If-Match`).
    pub if_match: Option<i64>,
}

/// One mutation waiting for the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingMutation {
    /// Local, increasing: the replay order.
    pub id: u64,
    /// Sent with every attempt; the server answers a repeat with the first
    /// answer.
    pub idempotency_key: String,
    pub request: OutboxRequest,
    /// Milliseconds since the Unix epoch, when it was made.
    pub created_at: u64,
    pub attempts: u32,
    /// What the last failed attempt said, for the pending list.
    pub last_error: Option<String>,
}

/// What an attempt's result means for the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The server took it (or had already): it leaves the queue.
    Delivered(serde_json::Value),
    /// The server could not be reached or was unwell (network, timeout,
    /// 408, 429, 5xx): it stays first in line and replay stops for now.
    RetryLater(String),
    /// The server refused it (validation, conflict, gone): it leaves the
    /// queue and the refusal is reported to the user.
    Rejected(ApiError),
}

impl Verdict {
    pub fn of(result: Result<serde_json::Value, ApiError>) -> Self {
        match result {
            Ok(answer) => Verdict::Delivered(answer),
            Err(error) => match error.status() {
                Some(s) if s == 408 || s == 429 || s >= 500 => {
                    Verdict::RetryLater(error.to_string())
                }
                Some(_) => Verdict::Rejected(error),
                None if matches!(error, ApiError::Decode(_)) => Verdict::Rejected(error),
                None => Verdict::RetryLater(error.to_string()),
            },
        }
    }
}

/// The queue, loaded from and saved to `S` on every change, so it survives
/// a reload at any point.
pub struct Outbox<S: OutboxStorage> {
    storage: S,
    queue: Vec<PendingMutation>,
}

impl<S: OutboxStorage> Outbox<S> {
    /// Loads what an earlier page left pending.
    pub fn load(storage: S) -> Self {
        let mut queue = storage.load();
        queue.sort_by_key(|m| m.id);
        Self { storage, queue }
    }

    /// Reads the queue again: another page (a tab of the same browser)
    /// may have changed it.
    pub fn reload(&mut self) {
        self.queue = self.storage.load();
        self.queue.sort_by_key(|m| m.id);
    }

    /// Adds a mutation at the end of the line and persists it before
    /// returning its id.
    pub fn enqueue(&mut self, idempotency_key: String, request: OutboxRequest, now: u64) -> u64 {
        self.reload();
        let id = self
            .queue
            .last()
            .map_or(1, |m| m.id + 1)
            .max(self.storage.next_id());
        self.queue.push(PendingMutation {
            id,
            idempotency_key,
            request,
            created_at: now,
            attempts: 0,
            last_error: None,
        });
        self.storage.save(&self.queue, id + 1);
        id
    }

    /// What is waiting, oldest first.
    pub fn pending(&self) -> &[PendingMutation] {
        &self.queue
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The mutation to send next: only the oldest, so writes land in the
    /// order they were made.
    pub fn head(&self) -> Option<&PendingMutation> {
        self.queue.first()
    }

    /// Records the result of an attempt at mutation `id` (the head).
    /// Returns whether replay may go on to the next one.
    pub fn settle(&mut self, id: u64, verdict: &Verdict) -> bool {
        self.reload();
        let Some(index) = self.queue.iter().position(|m| m.id == id) else {
            return true;
        };
        let go_on = match verdict {
            Verdict::Delivered(_) | Verdict::Rejected(_) => {
                self.queue.remove(index);
                true
            }
            Verdict::RetryLater(reason) => {
                let m = &mut self.queue[index];
                m.attempts += 1;
                m.last_error = Some(reason.clone());
                false
            }
        };
        let next_id = self.storage.next_id();
        self.storage.save(&self.queue, next_id);
        go_on
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::storage::MemoryStorage;

    fn post(title: &str) -> OutboxRequest {
        OutboxRequest {
            method: "POST".into(),
            path: "/api/posts".into(),
            body: Some(serde_json::json!({ "title": title })),
            if_match: None,
        }
    }

    fn http(status: u16) -> ApiError {
        ApiError::from_response(status, "")
    }

    #[test]
    fn survives_a_reload_in_order() {
        let storage = MemoryStorage::default();
        let mut outbox = Outbox::load(storage.clone());
        let a = outbox.enqueue("k1".into(), post("a"), 10);
        let b = outbox.enqueue("k2".into(), post("b"), 11);
        assert!(a < b);
        let reloaded = Outbox::load(storage);
        let keys: Vec<&str> = reloaded
            .pending()
            .iter()
            .map(|m| m.idempotency_key.as_str())
            .collect();
        assert_eq!(keys, ["k1", "k2"]);
        assert_eq!(reloaded.head().unwrap().id, a);
    }

    #[test]
    fn ids_never_repeat_after_the_queue_empties() {
        let storage = MemoryStorage::default();
        let mut outbox = Outbox::load(storage.clone());
        let a = outbox.enqueue("k1".into(), post("a"), 1);
        outbox.settle(a, &Verdict::Delivered(serde_json::Value::Null));
        let mut reloaded = Outbox::load(storage);
        let b = reloaded.enqueue("k2".into(), post("b"), 2);
        assert!(b > a);
    }

    #[test]
    fn verdicts_follow_the_retry_rules() {
        assert!(matches!(
            Verdict::of(Err(ApiError::Network("down".into()))),
            Verdict::RetryLater(_)
        ));
        for s in [408, 429, 500, 503] {
            assert!(
                matches!(Verdict::of(Err(http(s))), Verdict::RetryLater(_)),
                "{s}"
            );
        }
        for s in [400, 404, 409, 412, 422] {
            assert!(
                matches!(Verdict::of(Err(http(s))), Verdict::Rejected(_)),
                "{s}"
            );
        }
        assert!(matches!(
            Verdict::of(Ok(serde_json::Value::Null)),
            Verdict::Delivered(_)
        ));
    }

    #[test]
    fn a_retry_keeps_the_head_and_its_key() {
        let mut outbox = Outbox::load(MemoryStorage::default());
        let a = outbox.enqueue("k1".into(), post("a"), 1);
        outbox.enqueue("k2".into(), post("b"), 2);
        assert!(!outbox.settle(a, &Verdict::RetryLater("offline".into())));
        let head = outbox.head().unwrap();
        assert_eq!(
            (head.id, head.idempotency_key.as_str(), head.attempts),
            (a, "k1", 1)
        );
        assert_eq!(head.last_error.as_deref(), Some("offline"));
        assert!(outbox.settle(a, &Verdict::Rejected(http(422))));
        assert_eq!(outbox.head().unwrap().idempotency_key, "k2");
    }
}
