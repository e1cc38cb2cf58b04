//! Post queries: the keyset-paged feed (cost independent of table size:
//! an index range scan from the cursor) and single-row reads and writes.

use sqlx::{QueryBuilder, Sqlite};
use tidings::{CursorPage, NewPost, Post, PostListQuery, PostPatch};
use uuid::Uuid;

use super::rows::{PostRow, POST_COLUMNS};
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
        let row: Option<PostRow> =
            sqlx::query_as(&format!("SELECT {POST_COLUMNS} FROM posts WHERE id = ?"))
                .bind(id.to_string())
                .fetch_optional(self.pool())
                .await?;
        row.map(Post::try_from).transpose()
    }

    /// Inserts the post; a missing author is a 422 naming `authorId`.
    pub async fn create_post(&self, new: &NewPost) -> Result<Post, ApiError> {
        if !self.user_exists(new.author_id).await? {
            return Err(ApiError::field("authorId", "no user has this id"));
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
        .fetch_one(self.pool())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                ApiError::field("authorId", "no user has this id")
            }
            _ => e.into(),
        })?;
        Post::try_from(row)
    }

    /// Applies `patch`, bumping the version. `None` when there is no such
    /// post. Conditional on the version read, as for users.
    pub async fn update_post(&self, id: Uuid, patch: &PostPatch) -> Result<Option<Post>, ApiError> {
        loop {
            let Some(current) = self.get_post(id).await? else {
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
            .fetch_optional(self.pool())
            .await?;
            if let Some(row) = updated {
                return Post::try_from(row).map(Some);
            }
        }
    }

    pub async fn delete_post(&self, id: Uuid) -> Result<bool, ApiError> {
        let done = sqlx::query("DELETE FROM posts WHERE id = ?")
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
