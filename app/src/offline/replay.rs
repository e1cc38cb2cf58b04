//! Replaying the outbox: send the oldest pending mutation, settle it, go on
//! until the queue is empty or the server cannot be reached.

use std::future::Future;
use std::pin::Pin;

use super::outbox::{Outbox, PendingMutation, Verdict};
use super::storage::OutboxStorage;
use crate::api::ApiError;

/// Makes one attempt at a pending mutation, sending its idempotency key.
pub type Sender<'a> = dyn Fn(PendingMutation) -> Pin<Box<dyn Future<Output = Result<serde_json::Value, ApiError>> + 'a>>
    + 'a;

/// What one replay did.
#[derive(Debug, Default, PartialEq)]
pub struct DrainReport {
    /// Ids delivered, in order, with the server's answers.
    pub delivered: Vec<(u64, serde_json::Value)>,
    /// Ids the server refused, with why.
    pub rejected: Vec<(u64, ApiError)>,
    /// Set when replay stopped because the server could not be reached.
    pub stopped: Option<String>,
}

/// Sends pending mutations one at a time, in order. Stops at the first
/// that cannot reach the server; it stays first for the next replay.
pub async fn drain<S: OutboxStorage>(outbox: &mut Outbox<S>, send: &Sender<'_>) -> DrainReport {
    let mut report = DrainReport::default();
    while let Some(head) = outbox.head().cloned() {
        let id = head.id;
        let verdict = Verdict::of(send(head).await);
        let go_on = outbox.settle(id, &verdict);
        match verdict {
            Verdict::Delivered(answer) => report.delivered.push((id, answer)),
            Verdict::Rejected(error) => report.rejected.push((id, error)),
            Verdict::RetryLater(reason) => report.stopped = Some(reason),
        }
        if !go_on {
            break;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use futures::executor::block_on;

    use super::*;
    use crate::offline::{MemoryStorage, OutboxRequest};

    fn create(title: &str) -> OutboxRequest {
        OutboxRequest {
            method: "POST".into(),
            path: "/api/posts".into(),
            body: Some(serde_json::json!({ "title": title })),
            if_match: None,
        }
    }

    /// A server that applies each idempotency key once and answers repeats
    /// from its record; `lose_answers` drops the answer of the first
    /// attempts, as a connection dying after the request arrived would.
    #[derive(Default)]
    struct FakeServer {
        applied: RefCell<Vec<String>>,
        answers: RefCell<HashMap<String, serde_json::Value>>,
        lose_answers: RefCell<usize>,
        down: RefCell<bool>,
    }

    impl FakeServer {
        fn handle(&self, m: &PendingMutation) -> Result<serde_json::Value, ApiError> {
            if *self.down.borrow() {
                return Err(ApiError::Network("offline".into()));
            }
            let answer = self
                .answers
                .borrow_mut()
                .entry(m.idempotency_key.clone())
                .or_insert_with(|| {
                    self.applied
                        .borrow_mut()
                        .push(m.request.body.as_ref().unwrap()["title"].to_string());
                    serde_json::json!({ "n": self.applied.borrow().len() })
                })
                .clone();
            let mut lose = self.lose_answers.borrow_mut();
            if *lose > 0 {
                *lose -= 1;
                return Err(ApiError::Network("connection reset".into()));
            }
            Ok(answer)
        }
    }

    #[test]
    fn replays_in_order_and_exactly_once_across_lost_answers_and_reloads() {
        let server = FakeServer::default();
        let storage = MemoryStorage::default();
        let mut outbox = Outbox::load(storage.clone());
        for (i, title) in ["first", "second", "third"].into_iter().enumerate() {
            outbox.enqueue(format!("key-{i}"), create(title), i as u64);
        }
        let send = |m: PendingMutation| {
            let r = server.handle(&m);
            Box::pin(async move { r }) as Pin<Box<dyn Future<Output = _>>>
        };

        // Offline: nothing leaves, nothing is lost.
        *server.down.borrow_mut() = true;
        let report = block_on(drain(&mut outbox, &send));
        assert!(report.stopped.is_some() && report.delivered.is_empty());
        assert_eq!(outbox.len(), 3);

        // Back online, but the first answer is lost after the server applied it.
        *server.down.borrow_mut() = false;
        *server.lose_answers.borrow_mut() = 1;
        let report = block_on(drain(&mut outbox, &send));
        assert_eq!(
            report.stopped.as_deref(),
            Some("could not reach the server: connection reset")
        );
        assert_eq!(outbox.len(), 3, "an unanswered mutation stays pending");

        // The page reloads; replay finishes.
        let mut reloaded = Outbox::load(storage);
        let report = block_on(drain(&mut reloaded, &send));
        assert!(reloaded.is_empty());
        assert_eq!(report.delivered.len(), 3);
        assert_eq!(
            *server.applied.borrow(),
            ["\"first\"", "\"second\"", "\"third\""],
            "each applied once, in order"
        );
    }

    #[test]
    fn a_refused_mutation_is_reported_and_the_rest_go_on() {
        let mut outbox = Outbox::load(MemoryStorage::default());
        outbox.enqueue("a".into(), create("a"), 1);
        outbox.enqueue("b".into(), create("b"), 2);
        let send = |m: PendingMutation| {
            let r = if m.idempotency_key == "a" {
                Err(ApiError::from_response(
                    422,
                    r#"{"error":{"code":"validation","message":"bad","details":{}}}"#,
                ))
            } else {
                Ok(serde_json::Value::Null)
            };
            Box::pin(async move { r }) as Pin<Box<dyn Future<Output = _>>>
        };
        let report = block_on(drain(&mut outbox, &send));
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.delivered.len(), 1);
        assert!(outbox.is_empty());
    }
}
