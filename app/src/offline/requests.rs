//! Which write a queued request is. The outbox stores writes as plain
//! HTTP (method, path, body, version) so they survive a reload and a new
//! build; [`QueuedWrite`] reads one back as the typed write it is, which
//! says how to send it again (through the typed API, with the write's own
//! idempotency key), how it shows while it waits (its optimistic ops), and
//! what the server's answer confirms.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings::cache::{EntityOp, StoreOp, Tag};
use tidings::{
    FieldErrors, NewPostInput, NewUserInput, Post, PostPatchInput, User, UserBatchUpdateInput,
    UserPatchInput,
};
use uuid::Uuid;

use super::outbox::{OutboxRequest, PendingMutation};
use crate::api::{Api, ApiError, ApiFuture, IdempotencyKey};

const POSTS: &str = "/api/posts";
const USERS: &str = "/api/users";
const USERS_BATCH: &str = "/api/users/batch";

impl OutboxRequest {
    fn new(method: &str, path: String, body: Option<Value>, if_match: Option<i64>) -> Self {
        Self {
            method: method.into(),
            path,
            body,
            if_match,
        }
    }

    /// `POST /api/posts` with `input`.
    pub fn create_post(input: &NewPostInput) -> Self {
        Self::new("POST", POSTS.into(), serde_json::to_value(input).ok(), None)
    }

    /// `PATCH /api/posts/{id}` of `version` with `patch`.
    pub fn update_post(id: Uuid, version: i64, patch: &PostPatchInput) -> Self {
        let body = serde_json::to_value(patch).ok();
        Self::new("PATCH", format!("{POSTS}/{id}"), body, Some(version))
    }

    /// `DELETE /api/posts/{id}` of `version`.
    pub fn delete_post(id: Uuid, version: i64) -> Self {
        Self::new("DELETE", format!("{POSTS}/{id}"), None, Some(version))
    }

    /// `POST /api/users` with `input`.
    pub fn create_user(input: &NewUserInput) -> Self {
        Self::new("POST", USERS.into(), serde_json::to_value(input).ok(), None)
    }

    /// `PATCH /api/users/{id}` of `version` with `patch`.
    pub fn update_user(id: Uuid, version: i64, patch: &UserPatchInput) -> Self {
        let body = serde_json::to_value(patch).ok();
        Self::new("PATCH", format!("{USERS}/{id}"), body, Some(version))
    }

    /// `DELETE /api/users/{id}` of `version`.
    pub fn delete_user(id: Uuid, version: i64) -> Self {
        Self::new("DELETE", format!("{USERS}/{id}"), None, Some(version))
    }

    /// `PATCH /api/users/batch` with `updates` (each names its version).
    pub fn batch_update_users(updates: &[UserBatchUpdateInput]) -> Self {
        let body = serde_json::to_value(updates).ok();
        Self::new("PATCH", USERS_BATCH.into(), body, None)
    }

    /// The body of a post creation, if this is one.
    pub fn new_post(&self) -> Option<NewPostInput> {
        match QueuedWrite::of(self) {
            Ok(QueuedWrite::CreatePost(input)) => Some(input),
            _ => None,
        }
    }
}

/// A queued write, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum QueuedWrite {
    CreatePost(NewPostInput),
    UpdatePost {
        id: Uuid,
        version: i64,
        patch: PostPatchInput,
    },
    DeletePost {
        id: Uuid,
        version: i64,
    },
    CreateUser(NewUserInput),
    UpdateUser {
        id: Uuid,
        version: i64,
        patch: UserPatchInput,
    },
    DeleteUser {
        id: Uuid,
        version: i64,
    },
    BatchUsers(Vec<UserBatchUpdateInput>),
}

impl QueuedWrite {
    /// Reads `request` back; a write this build does not know is a
    /// [`ApiError::Decode`] (it is refused rather than sent blindly).
    pub fn of(request: &OutboxRequest) -> Result<Self, ApiError> {
        let version = request.if_match.unwrap_or_default();
        let id_under = |prefix: &str| {
            request
                .path
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|id| Uuid::parse_str(id).ok())
        };
        let write = match (request.method.as_str(), request.path.as_str()) {
            ("POST", POSTS) => Some(Self::CreatePost(body(request)?)),
            ("POST", USERS) => Some(Self::CreateUser(body(request)?)),
            ("PATCH", USERS_BATCH) => Some(Self::BatchUsers(body(request)?)),
            ("PATCH", _) => match (id_under(POSTS), id_under(USERS)) {
                (Some(id), _) => Some(Self::UpdatePost {
                    id,
                    version,
                    patch: body(request)?,
                }),
                (None, Some(id)) => Some(Self::UpdateUser {
                    id,
                    version,
                    patch: body(request)?,
                }),
                (None, None) => None,
            },
            ("DELETE", _) => match (id_under(POSTS), id_under(USERS)) {
                (Some(id), _) => Some(Self::DeletePost { id, version }),
                (None, Some(id)) => Some(Self::DeleteUser { id, version }),
                (None, None) => None,
            },
            _ => None,
        };
        write.ok_or_else(|| {
            ApiError::Decode(format!("cannot replay {} {}", request.method, request.path))
        })
    }

    /// Sends it through `api` with `key`; the answer as JSON.
    pub fn send(self, api: &Arc<dyn Api>, key: IdempotencyKey) -> ApiFuture<Value> {
        let key = Some(key);
        match self {
            Self::CreatePost(input) => json(api.create_post(input, key)),
            Self::UpdatePost { id, version, patch } => {
                json(api.update_post(id, version, patch, key))
            }
            Self::DeletePost { id, version } => json(api.delete_post(id, version, key)),
            Self::CreateUser(input) => json(api.create_user(input, key)),
            Self::UpdateUser { id, version, patch } => {
                json(api.update_user(id, version, patch, key))
            }
            Self::DeleteUser { id, version } => json(api.delete_user(id, version, key)),
            Self::BatchUsers(updates) => json(api.batch_update_users(updates, key)),
        }
    }

    /// What the page shows while it waits, queued with idempotency `key`
    /// at `at_ms`: its optimistic ops. A post creation has none: the feed
    /// shows queued posts itself (`feed::queued_post`).
    pub fn optimistic(&self, key: &str, at_ms: u64) -> Vec<StoreOp> {
        match self {
            Self::CreatePost(_) => Vec::new(),
            Self::UpdatePost { id, patch, .. } => patch
                .validate()
                .map(|patch| vec![StoreOp::Post(EntityOp::Update { id: *id, patch })])
                .unwrap_or_default(),
            Self::DeletePost { id, .. } => vec![StoreOp::Post(EntityOp::Remove(*id))],
            Self::CreateUser(input) => draft_user(input, key, at_ms)
                .map(|u| vec![StoreOp::User(EntityOp::Add(u))])
                .unwrap_or_default(),
            Self::UpdateUser { id, patch, .. } => patch
                .validate()
                .map(|patch| vec![StoreOp::User(EntityOp::Update { id: *id, patch })])
                .unwrap_or_default(),
            Self::DeleteUser { id, .. } => vec![StoreOp::User(EntityOp::Remove(*id))],
            Self::BatchUsers(updates) => updates
                .iter()
                .filter_map(|u| {
                    let id = Uuid::parse_str(u.id.as_deref()?).ok()?;
                    let patch = u.changes.as_ref()?.validate().ok()?;
                    Some(StoreOp::User(EntityOp::Update { id, patch }))
                })
                .collect(),
        }
    }

    /// What the server's `answer` confirms.
    pub fn confirmed(&self, answer: &Value) -> Vec<StoreOp> {
        let post = || from_answer::<Post>(answer).map(|p| StoreOp::Post(EntityOp::Upsert(p)));
        let user = || from_answer::<User>(answer).map(|u| StoreOp::User(EntityOp::Upsert(u)));
        match self {
            Self::CreatePost(_) | Self::UpdatePost { .. } => post().into_iter().collect(),
            Self::DeletePost { id, .. } => vec![StoreOp::Post(EntityOp::Remove(*id))],
            Self::CreateUser(_) | Self::UpdateUser { .. } => user().into_iter().collect(),
            Self::DeleteUser { id, .. } => vec![
                StoreOp::User(EntityOp::Remove(*id)),
                StoreOp::RemovePostsBy(*id),
            ],
            Self::BatchUsers(_) => serde_json::from_value::<Vec<User>>(answer.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|u| StoreOp::User(EntityOp::Upsert(u)))
                .collect(),
        }
    }

    /// The lists the write may change.
    pub fn tag(&self) -> Tag {
        match self {
            Self::CreatePost(_) | Self::UpdatePost { .. } | Self::DeletePost { .. } => Tag::Posts,
            _ => Tag::Users,
        }
    }

    /// What it is, for the list of pending changes.
    pub fn describe(&self) -> String {
        let name = |input: &Option<String>| input.clone().unwrap_or_default();
        match self {
            Self::CreatePost(input) => format!("New post “{}”", name(&input.title)),
            Self::UpdatePost { patch, .. } => match &patch.title {
                Some(title) => format!("Edit of the post “{title}”"),
                None => "Edit of a post".to_owned(),
            },
            Self::DeletePost { .. } => "Deletion of a post".to_owned(),
            Self::CreateUser(input) => format!("New user {}", name(&input.name)),
            Self::UpdateUser { patch, .. } => match &patch.name {
                Some(n) => format!("Edit of the user {n}"),
                None => "Edit of a user".to_owned(),
            },
            Self::DeleteUser { .. } => "Deletion of a user".to_owned(),
            Self::BatchUsers(updates) => format!("Role change of {} users", updates.len()),
        }
    }
}

/// The user a valid creation made with idempotency `key` at `at_ms` will
/// be, shown until the server answers (its id is the key).
pub fn draft_user(input: &NewUserInput, key: &str, at_ms: u64) -> Result<User, FieldErrors> {
    let valid = input.validate()?;
    let now = crate::api::platform::instant_at(at_ms as f64);
    Ok(User {
        id: Uuid::parse_str(key).unwrap_or_else(|_| Uuid::nil()),
        name: valid.name,
        email: valid.email,
        role: valid.role,
        avatar_url: None,
        last_active: now,
        preferences: valid.preferences,
        created_at: now,
        updated_at: now,
        version: 0,
    })
}

fn from_answer<T: DeserializeOwned>(answer: &Value) -> Option<T> {
    serde_json::from_value(answer.clone()).ok()
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
    let key = IdempotencyKey::new(pending.idempotency_key.clone());
    match QueuedWrite::of(&pending.request) {
        Ok(write) => write.send(api, key),
        Err(e) => Box::pin(std::future::ready(Err(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_reads_back_as_itself() {
        let id = Uuid::from_u128(42);
        let post_patch = PostPatchInput {
            title: Some("New title".into()),
            ..Default::default()
        };
        let user_patch = UserPatchInput {
            name: Some("Ada".into()),
            ..Default::default()
        };
        let batch = vec![UserBatchUpdateInput {
            id: Some(id.to_string()),
            version: Some(2),
            changes: Some(UserPatchInput {
                role: Some("admin".into()),
                ..Default::default()
            }),
        }];
        let new_post = NewPostInput {
            title: Some("t".into()),
            content: Some("c".into()),
            author_id: Some(id.to_string()),
        };
        let new_user = NewUserInput {
            name: Some("Bo".into()),
            email: Some("bo@example.com".into()),
            ..Default::default()
        };
        let cases = [
            (
                OutboxRequest::create_post(&new_post),
                QueuedWrite::CreatePost(new_post.clone()),
            ),
            (
                OutboxRequest::update_post(id, 3, &post_patch),
                QueuedWrite::UpdatePost {
                    id,
                    version: 3,
                    patch: post_patch,
                },
            ),
            (
                OutboxRequest::delete_post(id, 4),
                QueuedWrite::DeletePost { id, version: 4 },
            ),
            (
                OutboxRequest::create_user(&new_user),
                QueuedWrite::CreateUser(new_user),
            ),
            (
                OutboxRequest::update_user(id, 5, &user_patch),
                QueuedWrite::UpdateUser {
                    id,
                    version: 5,
                    patch: user_patch,
                },
            ),
            (
                OutboxRequest::delete_user(id, 6),
                QueuedWrite::DeleteUser { id, version: 6 },
            ),
            (
                OutboxRequest::batch_update_users(&batch),
                QueuedWrite::BatchUsers(batch),
            ),
        ];
        for (request, write) in cases {
            // Through JSON, as a reload reads it.
            let stored: OutboxRequest =
                serde_json::from_value(serde_json::to_value(&request).unwrap()).unwrap();
            assert_eq!(QueuedWrite::of(&stored).unwrap(), write, "{request:?}");
        }
        assert_eq!(
            OutboxRequest::create_post(&new_post).new_post(),
            Some(new_post)
        );
        assert_eq!(OutboxRequest::delete_post(id, 1).new_post(), None);
    }

    #[test]
    fn an_unknown_write_is_refused_not_sent() {
        let request = OutboxRequest::new("PUT", "/api/elsewhere".into(), None, None);
        assert!(matches!(
            QueuedWrite::of(&request),
            Err(ApiError::Decode(m)) if m == "cannot replay PUT /api/elsewhere"
        ));
    }

    #[test]
    fn a_queued_edit_shows_at_once_and_a_deletion_hides() {
        let id = Uuid::from_u128(42);
        let edit = QueuedWrite::UpdatePost {
            id,
            version: 1,
            patch: PostPatchInput {
                title: Some("Offline title".into()),
                ..Default::default()
            },
        };
        let ops = edit.optimistic("k", 0);
        assert!(matches!(
            &ops[..],
            [StoreOp::Post(EntityOp::Update { id: at, patch })]
                if *at == id && patch.title.as_ref().map(|t| t.to_string()).as_deref() == Some("Offline title")
        ));
        let delete = QueuedWrite::DeleteUser { id, version: 1 };
        assert_eq!(
            delete.optimistic("k", 0),
            vec![StoreOp::User(EntityOp::Remove(id))]
        );
        assert_eq!(edit.tag(), Tag::Posts);
        assert_eq!(delete.tag(), Tag::Users);
    }
}
