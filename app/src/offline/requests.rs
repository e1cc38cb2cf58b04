//! Which [`Api`] call a queued write is: the outbox stores writes as
//! plain HTTP (method, path, body, version) so they survive a reload and
//! a new build; replaying one goes back through the typed API, with the
//! write's own idempotency key.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings::{NewPostInput, PostPatchInput};
use uuid::Uuid;

use super::outbox::{OutboxRequest, PendingMutation};
use crate::api::{Api, ApiError, ApiFuture, IdempotencyKey};

const POSTS: &str = "/api/posts";

impl OutboxRequest {
    /// `POST /api/posts` with `input`.
    pub fn create_post(input: &NewPostInput) -> Self {
        Self {
            method: "POST".into(),
            path: POSTS.into(),
            body: serde_json::to_value(input).ok(),
            if_match: None,
        }
    }

    /// `PATCH /api/posts/{id}` of `version` with `patch`.
    pub fn update_post(id: Uuid, version: i64, patch: &PostPatchInput) -> Self {
        Self {
            method: "PATCH".into(),
            path: format!("{POSTS}/{id}"),
            body: serde_json::to_value(patch).ok(),
            if_match: Some(version),
        }
    }

    /// The body of a post creation, if this is one.
    pub fn new_post(&self) -> Option<NewPostInput> {
        (self.method == "POST" && self.path == POSTS)
            .then(|| body(self).ok())
            .flatten()
    }
}

fn body<T: DeserializeOwned>(request: &OutboxRequest) -> Result<T, ApiError> {
    let body = request.body.clone().unwrap_or(Value::Null);
    serde_json::from_value(body).map_err(|e| ApiError::Decode(format!("queued body: {e}")))
}

fn json<T: serde::Serialize + 'static>(call: ApiFuture<T>) -> ApiFuture<Value> {
    Box::pin(async move {
        let answer = call.await?;
        serde_json::to_value(answer).map_err(|e| ApiError::Decode(e.to_string()))
    })
}

/// Sends `pending` through `api` with its idempotency key. A write this
/// build cannot make is refused (it leaves the queue, reported).
pub fn replay(api: &Arc<dyn Api>, pending: PendingMutation) -> ApiFuture<Value> {
    let key = Some(IdempotencyKey::new(pending.idempotency_key.clone()));
    let request = &pending.request;
    let post_id = request
        .path
        .strip_prefix(POSTS)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|id| Uuid::parse_str(id).ok());
    let version = request.if_match.unwrap_or_default();
    let call = match (request.method.as_str(), post_id) {
        ("POST", None) if request.path == POSTS => {
            body(request).map(|input| json(api.create_post(input, key)))
        }
        ("PATCH", Some(id)) => {
            body(request).map(|patch| json(api.update_post(id, version, patch, key)))
        }
        ("DELETE", Some(id)) => Ok(json(api.delete_post(id, version, key))),
        _ => Err(ApiError::Decode(format!(
            "cannot replay {} {}",
            request.method, request.path
        ))),
    };
    call.unwrap_or_else(|e| Box::pin(std::future::ready(Err(e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_creations_are_recognized() {
        let input = NewPostInput {
            title: Some("t".into()),
            content: Some("c".into()),
            author_id: Some(Uuid::nil().to_string()),
        };
        let request = OutboxRequest::create_post(&input);
        assert_eq!(request.new_post(), Some(input));
        let patch = OutboxRequest::update_post(Uuid::nil(), 3, &PostPatchInput::default());
        assert_eq!(patch.new_post(), None);
        assert_eq!(patch.if_match, Some(3));
        assert_eq!(patch.path, format!("/api/posts/{}", Uuid::nil()));
    }
}
