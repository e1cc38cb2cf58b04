//! Post queries: the keyset-paged feed (cost independent of table size:
//! an index range scan from the cursor) and single-row reads and writes.
//! Each write appends its change event in its own transaction.

use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tidings::protocol::EventKind;
use tidings::{CursorPage, NewPost, Post, PostListQuery, PostPatch};
use uuid::Uuid;

use super::rows::{id as row_id, PostRow, POST_COLUMNS};
use super::{now_text, Db, PostCursor};
use crate::error::ApiError;

impl Db {
    pub async fn list_posts(&self, query: &PostListQuery) -> Result<CursorPage<Post>, ApiError> {
        let cursor = query
            .cursor
            .as_deref()
            .map(PostCursor::decode)
            .transpose()?;
        let mut q =
            QueryBuilder::<Sqlite>::new(format!("SELECT {POST_COLUMNS} FROM posts WHERE 1 = 1"));
        if let Some(author) = query.author_id {
            q.push(" AND author_id = ").push_bind(author.to_string());
        }
        if let Some(c) = &cursor {
            q.push(" AND (created_at, id) < (")
                .push_bind(c.created_at.clone());
            q.push(", ").push_bind(c.id.clone()).push(")");
        }
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(query.limit) + 1);
        let mut rows: Vec<PostRow> = q.build_query_as().fetch_all(self.pool()).await?;
        let has_more = rows.len() > query.limit as usize;
        rows.truncate(query.limit as usize);
        let data: Vec<Post> = rows
            .into_iter()
            .map(Post::try_from)
            .collect::<Result<_, _>>()?;
        let next_cursor = data.last().filter(|_| has_more).map(|p| {
            PostCursor {
                created_at: tidings::format_timestamp(&p.created_at),
                id: p.id.to_string(),
            }
            .encode()
        });
        Ok(CursorPage {
            data,
            next_cursor,
            has_more,
        })
    }

    pub async fn get_post(&self, id: Uuid) -> Result<Option<Post>, ApiError> {
        fetch_post(&mut *self.pool().acquire().await?, id).await
    }

    /// Inserts the post and appends `POST_CREATED`, in one transaction; a
    /// missing author is a 422 naming `authorId`.
    pub async fn create_post(&self, new: &NewPost) -> Result<Post, ApiError> {
        let no_author = || ApiError::field("authorId", "no user has this id");
        let mut tx = self.begin_write().await?;
        let author: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
            .bind(new.author_id.to_string())
            .fetch_optional(tx.conn())
            .await?;
        if author.is_none() {
            return Err(no_author());
        }
        let id = Uuid::now_v7();
        let now = now_text();
        let row: PostRow = sqlx::query_as(&format!(
            "INSERT INTO posts (id, title, content, author_id, created_at, updated_at, version) \
             VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING {POST_COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(new.title.as_str())
        .bind(new.content.as_str())
        .bind(new.author_id.to_string())
        .bind(&now)
        .bind(&now)
        .fetch_one(tx.conn())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => no_author(),
            _ => e.into(),
        })?;
        let post = Post::try_from(row)?;
        tx.append(EventKind::PostCreated, post.id, &post).await?;
        tx.commit().await?;
        Ok(post)
    }

    /// Applies `patch`, bumping the version, and appends `POST_UPDATED` in
    /// the same transaction. `None` when there is no such post.
    /// Conditional on the version read, as for users.
    pub async fn update_post(&self, id: Uuid, patch: &PostPatch) -> Result<Option<Post>, ApiError> {
        loop {
            let mut tx = self.begin_write().await?;
            let Some(current) = fetch_post(tx.conn(), id).await? else {
                return Ok(None);
            };
            let next = patch.apply(&current);
            let updated: Option<PostRow> = sqlx::query_as(&format!(
                "UPDATE posts SET title = ?, content = ?, updated_at = ?, version = version + 1 \
                 WHERE id = ? AND version = ? RETURNING {POST_COLUMNS}"
            ))
            .bind(next.title.as_str())
            .bind(next.content.as_str())
            .bind(now_text())
            .bind(id.to_string())
            .bind(current.version)
            .fetch_optional(tx.conn())
            .await?;
            // Changed since it was read: read again, in a new transaction.
            let Some(row) = updated else { continue };
            let post = Post::try_from(row)?;
            tx.append(EventKind::PostUpdated, post.id, &post).await?;
            tx.commit().await?;
            return Ok(Some(post));
        }
    }

    /// Deletes the post and appends `POST_DELETED` (`{id, authorId}`), in
    /// one transaction. `false` if absent.
    pub async fn delete_post(&self, id: Uuid) -> Result<bool, ApiError> {
        let mut tx = self.begin_write().await?;
        let author: Option<String> =
            sqlx::query_scalar("DELETE FROM posts WHERE id = ? RETURNING author_id")
                .bind(id.to_string())
                .fetch_optional(tx.conn())
                .await?;
        let Some(author) = author else {
            return Ok(false);
        };
        let author = row_id(&author)?;
        tx.append(
            EventKind::PostDeleted,
            id,
            &json!({ "id": id, "authorId": author }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// One post, read on `conn` (inside a transaction, if it is one).
async fn fetch_post(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<Post>, ApiError> {
    let row: Option<PostRow> =
        sqlx::query_as(&format!("SELECT {POST_COLUMNS} FROM posts WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(Post::try_from).transpose()
}
