//! The server's own implementation of the UI's `Api` trait: during server
//! rendering, components read the store directly, in process.
//!
//! Writes are the HTTP routes' own (`crate::writes`): the same checks, in
//! the same order, and an idempotency key recorded exactly as a keyed
//! HTTP request records it (same fingerprint: method, path, condition,
//! canonical body), so a mutation started here and repeated over HTTP is
//! still applied once. Errors are the ones a browser would have decoded.
//! Writes are made as the page's reader (the access cookie's user);
//! without a reader they are refused with 401.

use app::api::{Api, ApiError as UiError, ApiFuture, ApiHandle, IdempotencyKey as UiKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tidings::{
    CursorPage, NewPostInput, NewUserInput, Page, Post, PostListQuery, PostPatchInput, User,
    UserBatchInput, UserBatchUpdateInput, UserListQuery, UserPatchInput, UserSearchQuery,
    UserStats,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::canonical_json;
use crate::safe_write::{IdempotencyKey, IfMatch, Written, IDEMPOTENCY_KEY};
use crate::writes::{Once, Writes};

/// `Api` over the store; what SSR provides through Leptos context.
#[derive(Clone)]
pub struct InProcessApi {
    db: Db,
    writes: Writes,
    /// Who the page is rendered for.
    reader: Option<Actor>,
}

impl InProcessApi {
    /// The API as `reader` sees it (`None`: nobody is signed in).
    pub fn handle(db: Db, writes: Writes, reader: Option<Actor>) -> ApiHandle {
        ApiHandle::new(Self { db, writes, reader })
    }

    /// The store, for reading: like `/api`, reading needs a signed-in
    /// reader (401 without one), so a signed-out page shows no data.
    fn reading(&self) -> Result<Db, UiError> {
        self.writer().map(|_| self.db.clone())
    }

    /// The reader, who any write is made as; 401 without one.
    fn writer(&self) -> Result<Actor, UiError> {
        self.reader
            .ok_or_else(|| to_ui(ApiError::Unauthorized("sign in first".into())))
    }
}

/// The error a browser would have decoded from the same failure.
fn to_ui(e: ApiError) -> UiError {
    let info = e.info();
    if let ApiError::Internal(cause) = &e {
        tracing::error!(%cause, "server rendering failed");
    }
    UiError::Http {
        status: e.status().as_u16(),
        code: info.code,
        message: info.message,
        details: info.details,
        // A server render does not retry.
        retry_after_ms: None,
    }
}

fn missing(entity: &str, id: Uuid) -> UiError {
    to_ui(ApiError::not_found(entity, &id.to_string()))
}

/// A write's answer as the browser would read it: the entity of a
/// success, the typed error of a refusal (a replayed refusal included).
fn answered<T: DeserializeOwned>(written: Written) -> Result<T, UiError> {
    let answer = written.answer();
    let body = answer.body.as_deref().unwrap_or("");
    if answer.status.is_success() {
        serde_json::from_str(body).map_err(|e| UiError::Decode(e.to_string()))
    } else {
        Err(UiError::from_response(answer.status.as_u16(), body))
    }
}

fn answered_empty(written: Written) -> Result<(), UiError> {
    let answer = written.answer();
    if answer.status.is_success() {
        Ok(())
    } else {
        Err(UiError::from_response(
            answer.status.as_u16(),
            answer.body.as_deref().unwrap_or(""),
        ))
    }
}

/// The canonical text of a body, as the HTTP route fingerprints it.
fn canonical(body: &impl Serialize) -> Result<String, UiError> {
    let value = serde_json::to_value(body)
        .map_err(|e| to_ui(ApiError::internal("encoding a request body", e)))?;
    Ok(canonical_json(&value))
}

/// The key a write was sent with, checked as the HTTP route checks the
/// header.
fn parse_key(key: Option<UiKey>) -> Result<Option<IdempotencyKey>, UiError> {
    key.map(|key| {
        IdempotencyKey::parse(key.as_str().as_bytes())
            .map_err(|m| to_ui(ApiError::invalid_header(IDEMPOTENCY_KEY, m)))
    })
    .transpose()
}

/// The batch route's answer, `{data: [users]}`.
#[derive(Deserialize)]
struct Changed {
    data: Vec<User>,
}

/// `If-Match: "<version>"`.
fn at_version(version: i64) -> IfMatch {
    IfMatch::Versions(vec![version])
}

impl Api for InProcessApi {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>> {
        let db = self.reading();
        Box::pin(async move { db?.list_users(&query).await.map_err(to_ui) })
    }

    fn get_user(&self, id: Uuid) -> ApiFuture<User> {
        let db = self.reading();
        Box::pin(async move {
            let db = db?;
            db.get_user(id)
                .await
                .map_err(to_ui)?
                .ok_or_else(|| missing("user", id))
        })
    }

    fn create_user(&self, input: NewUserInput, key: Option<UiKey>) -> ApiFuture<User> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let (body, key) = (canonical(&input)?, parse_key(key)?);
            let once = Once::new(key.as_ref(), &body);
            answered(
                writes
                    .create_user(&by, input, None, once)
                    .await
                    .map_err(to_ui)?,
            )
        })
    }

    fn update_user(
        &self,
        id: Uuid,
        version: i64,
        patch: UserPatchInput,
        key: Option<UiKey>,
    ) -> ApiFuture<User> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let (body, key) = (canonical(&patch)?, parse_key(key)?);
            let once = Once::new(key.as_ref(), &body);
            let condition = at_version(version);
            let written = writes.patch_user(&by, id, patch, &condition, once);
            answered(written.await.map_err(to_ui)?)
        })
    }

    fn delete_user(&self, id: Uuid, version: i64, key: Option<UiKey>) -> ApiFuture<()> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let key = parse_key(key)?;
            let once = Once::new(key.as_ref(), "");
            let condition = at_version(version);
            let written = writes.delete_user(&by, id, &condition, once);
            answered_empty(written.await.map_err(to_ui)?)
        })
    }

    fn user_stats(&self) -> ApiFuture<UserStats> {
        let db = self.reading();
        Box::pin(async move { db?.user_stats().await.map_err(to_ui) })
    }

    fn batch_update_users(
        &self,
        updates: Vec<UserBatchUpdateInput>,
        key: Option<UiKey>,
    ) -> ApiFuture<Vec<User>> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let input = UserBatchInput {
                updates: Some(updates),
            };
            let (body, key) = (canonical(&input)?, parse_key(key)?);
            let once = Once::new(key.as_ref(), &body);
            let written = writes.patch_users(&by, input, once).await.map_err(to_ui)?;
            let changed: Changed = answered(written)?;
            Ok(changed.data)
        })
    }

    fn list_user_posts(&self, id: Uuid, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        let db = self.reading();
        Box::pin(async move {
            let db = db?;
            db.list_user_posts(id, &query)
                .await
                .map_err(to_ui)?
                .ok_or_else(|| missing("user", id))
        })
    }

    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        let db = self.reading();
        Box::pin(async move { db?.list_posts(&query).await.map_err(to_ui) })
    }

    fn get_post(&self, id: Uuid) -> ApiFuture<Post> {
        let db = self.reading();
        Box::pin(async move {
            let db = db?;
            db.get_post(id)
                .await
                .map_err(to_ui)?
                .ok_or_else(|| missing("post", id))
        })
    }

    fn create_post(&self, input: NewPostInput, key: Option<UiKey>) -> ApiFuture<Post> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let (body, key) = (canonical(&input)?, parse_key(key)?);
            let once = Once::new(key.as_ref(), &body);
            answered(writes.create_post(&by, input, once).await.map_err(to_ui)?)
        })
    }

    fn update_post(
        &self,
        id: Uuid,
        version: i64,
        patch: PostPatchInput,
        key: Option<UiKey>,
    ) -> ApiFuture<Post> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let (body, key) = (canonical(&patch)?, parse_key(key)?);
            let once = Once::new(key.as_ref(), &body);
            let condition = at_version(version);
            let written = writes.patch_post(&by, id, patch, &condition, once);
            answered(written.await.map_err(to_ui)?)
        })
    }

    fn delete_post(&self, id: Uuid, version: i64, key: Option<UiKey>) -> ApiFuture<()> {
        let (writes, writer) = (self.writes.clone(), self.writer());
        Box::pin(async move {
            let by = writer?;
            let key = parse_key(key)?;
            let once = Once::new(key.as_ref(), "");
            let condition = at_version(version);
            let written = writes.delete_post(&by, id, &condition, once);
            answered_empty(written.await.map_err(to_ui)?)
        })
    }

    fn search_users(&self, query: UserSearchQuery) -> ApiFuture<Vec<User>> {
        let db = self.reading();
        Box::pin(async move {
            let db = db?;
            // Checked as the route checks its query string.
            let params: Vec<(String, String)> = query
                .to_params()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            let query = UserSearchQuery::from_params(&params)
                .map_err(|fields| to_ui(ApiError::from(fields)))?;
            db.search_users(&query).await.map_err(to_ui)
        })
    }

    fn me(&self) -> ApiFuture<User> {
        let db = self.db.clone();
        let reader = self.writer();
        Box::pin(async move {
            let reader = reader?;
            db.get_user(reader.id).await.map_err(to_ui)?.ok_or_else(|| {
                to_ui(ApiError::Unauthorized(
                    "this account no longer exists".into(),
                ))
            })
        })
    }

    fn health(&self) -> ApiFuture<()> {
        let db = self.db.clone();
        Box::pin(async move {
            db.ping().await.map_err(|e| {
                tracing::warn!(error = %e, "health check failed");
                UiError::Http {
                    status: 503,
                    code: "unavailable".into(),
                    message: "database unavailable".into(),
                    details: serde_json::Value::Null,
                    retry_after_ms: None,
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings::NewPostInput;

    async fn api() -> (InProcessApi, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ssr.db").display());
        let db = Db::connect(&url).await.unwrap();
        let hub = crate::realtime::Hub::open(&db, 100).await.unwrap();
        let config = crate::config::Config::for_database(url.clone());
        let auth = crate::auth::Auth::from_config(&config, Some(&"s".repeat(32))).unwrap();
        let avatars = crate::uploads::StoredAvatars::new(dir.path().join("uploads"));
        let admin = Actor {
            id: Uuid::now_v7(),
            role: tidings::Role::Admin,
        };
        (
            InProcessApi {
                writes: Writes::new(db.clone(), hub, auth, avatars),
                db,
                reader: Some(admin),
            },
            dir,
        )
    }

    fn ada() -> NewUserInput {
        NewUserInput {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@engine.org".into()),
            ..Default::default()
        }
    }

    fn rename(name: &str) -> UserPatchInput {
        UserPatchInput {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn user_writes_check_the_version_and_honour_the_key() {
        let (api, _dir) = api().await;
        let key = UiKey::new("create-ada");
        let user = api.create_user(ada(), Some(key.clone())).await.unwrap();
        let again = api.create_user(ada(), Some(key)).await.unwrap();
        assert_eq!(again, user, "a replay answers the first answer");

        let stale = api
            .update_user(user.id, user.version + 7, rename("Ada King"), None)
            .await
            .unwrap_err();
        assert_eq!(stale.status(), Some(412));
        assert_eq!(stale.code(), "precondition_failed");

        let key = UiKey::new("rename-ada");
        let renamed = api
            .update_user(user.id, user.version, rename("Ada King"), Some(key.clone()))
            .await
            .unwrap();
        assert_eq!(renamed.name.to_string(), "Ada King");
        assert_eq!(renamed.version, user.version + 1);
        let replayed = api
            .update_user(user.id, user.version, rename("Ada King"), Some(key))
            .await
            .unwrap();
        assert_eq!(replayed, renamed, "applied once");

        let stale = api.delete_user(user.id, user.version, None).await;
        assert_eq!(stale.unwrap_err().status(), Some(412));
        api.delete_user(user.id, renamed.version, None)
            .await
            .unwrap();
        let gone = api.get_user(user.id).await.unwrap_err();
        assert_eq!(gone.status(), Some(404));
    }

    fn promote(user: &User, version: i64) -> UserBatchUpdateInput {
        UserBatchUpdateInput {
            id: Some(user.id.to_string()),
            version: Some(version),
            changes: Some(UserPatchInput {
                role: Some("moderator".into()),
                ..Default::default()
            }),
        }
    }

    #[tokio::test]
    async fn batches_are_all_or_nothing_and_stats_and_posts_read_the_store() {
        let (api, _dir) = api().await;
        let ada = api.create_user(ada(), None).await.unwrap();
        let bob = api
            .create_user(
                NewUserInput {
                    name: Some("Bob Builder".into()),
                    email: Some("bob@engine.org".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        let stale = api
            .batch_update_users(
                vec![promote(&ada, ada.version), promote(&bob, bob.version + 1)],
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(stale.status(), Some(412));
        assert_eq!(api.get_user(ada.id).await.unwrap(), ada, "nothing changed");

        let key = UiKey::new("promote-both");
        let updates = vec![promote(&ada, ada.version), promote(&bob, bob.version)];
        let changed = api
            .batch_update_users(updates.clone(), Some(key.clone()))
            .await
            .unwrap();
        assert_eq!(
            changed.iter().map(|u| (u.id, u.role)).collect::<Vec<_>>(),
            [
                (ada.id, tidings::Role::Moderator),
                (bob.id, tidings::Role::Moderator)
            ]
        );
        let replayed = api.batch_update_users(updates, Some(key)).await.unwrap();
        assert_eq!(replayed, changed, "applied once");

        let stats = api.user_stats().await.unwrap();
        assert_eq!((stats.total, stats.by_role.moderator), (2, 2));

        let posts = api
            .list_user_posts(ada.id, PostListQuery::default())
            .await
            .unwrap();
        assert!(posts.data.is_empty() && !posts.has_more);
        let nobody = api
            .list_user_posts(Uuid::nil(), PostListQuery::default())
            .await
            .unwrap_err();
        assert_eq!(nobody.status(), Some(404));
    }

    #[tokio::test]
    async fn post_writes_check_the_version() {
        let (api, _dir) = api().await;
        let author = api.create_user(ada(), None).await.unwrap();
        let post = api
            .create_post(
                NewPostInput {
                    title: Some("First".into()),
                    content: Some("Hello".into()),
                    author_id: Some(author.id.to_string()),
                },
                Some(UiKey::random()),
            )
            .await
            .unwrap();
        let patch = PostPatchInput {
            title: Some("Second".into()),
            ..Default::default()
        };
        let stale = api
            .update_post(post.id, post.version + 1, patch.clone(), None)
            .await
            .unwrap_err();
        assert_eq!(stale.status(), Some(412));
        let updated = api
            .update_post(post.id, post.version, patch, None)
            .await
            .unwrap();
        assert_eq!(updated.title.to_string(), "Second");
        assert_eq!(api.get_post(post.id).await.unwrap(), updated);
        api.delete_post(post.id, updated.version, Some(UiKey::random()))
            .await
            .unwrap();
        let gone = api.delete_post(post.id, updated.version, None).await;
        assert_eq!(gone.unwrap_err().status(), Some(404));
    }

    #[tokio::test]
    async fn writes_are_made_as_the_reader_under_the_role_rules() {
        let (api, _dir) = api().await;
        let status = |r: Result<User, UiError>| match r {
            Err(UiError::Http { status, code, .. }) => (status, code),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let nobody = InProcessApi {
            reader: None,
            ..api.clone()
        };
        assert_eq!(
            status(nobody.create_user(ada(), None).await),
            (401, "unauthorized".to_owned())
        );
        // Nor does a signed-out page read anything (the users count included).
        match nobody.list_users(Default::default()).await {
            Err(UiError::Http { status, .. }) => assert_eq!(status, 401),
            other => panic!("expected 401, got {other:?}"),
        }
        let member = InProcessApi {
            reader: Some(Actor {
                id: Uuid::now_v7(),
                role: tidings::Role::User,
            }),
            ..api.clone()
        };
        assert_eq!(
            status(member.create_user(ada(), None).await),
            (403, "forbidden".to_owned())
        );
        assert!(api
            .db
            .list_users(&Default::default())
            .await
            .unwrap()
            .data
            .is_empty());
    }

    #[tokio::test]
    async fn refusals_read_as_the_browser_reads_them() {
        let (api, _dir) = api().await;
        let bad_key = api
            .create_user(ada(), Some(UiKey::new("has spaces")))
            .await
            .unwrap_err();
        assert_eq!(bad_key.status(), Some(400));
        let invalid = api
            .create_user(NewUserInput::default(), None)
            .await
            .unwrap_err();
        assert!(invalid.field_errors().unwrap().get("name").is_some());
        let missing = api
            .update_user(Uuid::nil(), 1, rename("X Y"), None)
            .await
            .unwrap_err();
        assert_eq!(missing.status(), Some(404));
        api.health().await.unwrap();
    }

    #[tokio::test]
    async fn searches_people_and_posts_as_the_routes_do() {
        let (api, _dir) = api().await;
        let ada = api.create_user(ada(), None).await.unwrap();
        let post = NewPostInput {
            title: Some("Notes on the Analytical Engine".into()),
            content: Some("Bernoulli numbers, step by step.".into()),
            author_id: Some(ada.id.to_string()),
        };
        api.create_post(post, None).await.unwrap();
        let search = |q: &str| UserSearchQuery {
            q: q.into(),
            limit: 5,
        };
        let found = api.search_users(search("LOVE")).await.unwrap();
        assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [ada.id]);
        let posts = api
            .list_posts(PostListQuery {
                search: Some("bernoulli".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(posts.data.len(), 1);
        let blank = api.search_users(search("  ")).await.unwrap_err();
        assert!(blank.field_errors().unwrap().get("q").is_some());
    }
}
