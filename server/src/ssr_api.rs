//! The server's own implementation of the UI's `Api` trait: during server
//! rendering, components read the store directly, in process.

use app::api::{Api, ApiError as UiError, ApiFuture, ApiHandle};
use tidings::{CursorPage, NewPostInput, Page, Post, PostListQuery, User, UserListQuery};
use uuid::Uuid;

use crate::db::Db;
use crate::error::ApiError;

/// `Api` over the store; what SSR provides through Leptos context.
#[derive(Clone)]
pub struct InProcessApi {
    db: Db,
}

impl InProcessApi {
    pub fn handle(db: Db) -> ApiHandle {
        ApiHandle::new(Self { db })
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
    }
}

fn missing(entity: &str, id: Uuid) -> UiError {
    to_ui(ApiError::not_found(entity, &id.to_string()))
}

impl Api for InProcessApi {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>> {
        let db = self.db.clone();
        Box::pin(async move { db.list_users(&query).await.map_err(to_ui) })
    }

    fn get_user(&self, id: Uuid) -> ApiFuture<User> {
        let db = self.db.clone();
        Box::pin(async move {
            db.get_user(id)
                .await
                .map_err(to_ui)?
                .ok_or_else(|| missing("user", id))
        })
    }

    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        let db = self.db.clone();
        Box::pin(async move { db.list_posts(&query).await.map_err(to_ui) })
    }

    fn create_post(&self, input: NewPostInput) -> ApiFuture<Post> {
        let db = self.db.clone();
        Box::pin(async move {
            let new = input.validate().map_err(|f| to_ui(f.into()))?;
            db.create_post(&new).await.map_err(to_ui)
        })
    }
}
