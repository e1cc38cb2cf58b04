//! Post queries: the keyset-paged feed (cost independent of table size:
//! an index range scan from the cursor) and single-row reads and writes.
//! Each write appends its change event in the caller's transaction; who
//! may write, and at which version, the caller decides (`crate::writes`).

use serde_json::json;
use sqlx::{Database, Encode, QueryBuilder, Type};
use tidings::protocol::EventKind;
use tidings::{CursorPage, NewPost, Post, PostListQuery, PostPatch};
use uuid::Uuid;

use super::engine::{dispatch, Conn};
use super::events::WriteTx;
use super::rows::{PostRow, POST_COLUMNS};
use super::users::like_pattern;
use super::{now_text, Db, PostCursor};
use crate::error::ApiError;

/// The part of the feed a query reads: the posts older than `older_than`
/// and newer than `newer_than` (either bound optional), walked newest
/// first or, with `nearest_newer`, oldest first from `newer_than`.
#[derive(Debug, Clone, Copy, Default)]
struct Range<'c> {
    older_than: Option<&'c PostCursor>,
    newer_than: Option<&'c PostCursor>,
    nearest_newer: bool,
}

/// The feed's page query: `limit` posts of `range`, by the query's
/// author, containing its search text. The search folds ASCII case only,
/// on both engines (`LOWER` does on SQLite, and on PostgreSQL's `"C"`
/// columns), as the users' search does; it walks the feed's index (either
/// way) and stops at `limit` matches.
fn feed_query<'a, DB: Database>(
    query: &PostListQuery,
    range: Range<'_>,
    limit: i64,
) -> QueryBuilder<'a, DB>
where
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    DB::Arguments<'a>: Default,
{
    let mut q = QueryBuilder::new(format!("SELECT {POST_COLUMNS} FROM posts WHERE 1 = 1"));
    if let Some(author) = query.author_id {
        q.push(" AND author_id = ").push_bind(author.to_string());
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = like_pattern(search);
        q.push(" AND (LOWER(title) LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\'");
        q.push(" OR LOWER(content) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    for (bound, op) in [(range.older_than, "<"), (range.newer_than, ">")] {
        if let Some(c) = bound {
            q.push(format!(" AND (created_at, id) {op} ("))
                .push_bind(c.created_at.clone());
            q.push(", ").push_bind(c.id.clone()).push(")");
        }
    }
    let order = if range.nearest_newer { "ASC" } else { "DESC" };
    q.push(format!(" ORDER BY created_at {order}, id {order} LIMIT "))
        .push_bind(limit);
    q
}

/// One keyset page of the feed, read on `conn`: the head, the posts after
/// `cursor`, the nearest before `before`, or those between the two
/// (walked from `cursor`). Each cursor of the answer is set only when a
/// post of the feed lies that way (one more indexed probe for the side
/// the request did not walk); an empty page has neither.
async fn list_posts_on(
    conn: Conn<'_>,
    query: &PostListQuery,
) -> Result<CursorPage<Post>, ApiError> {
    let decode = |raw: &Option<String>, field| {
        raw.as_deref()
            .map(|raw| PostCursor::decode(raw, field))
            .transpose()
    };
    let (after, before) = (
        decode(&query.cursor, "cursor")?,
        decode(&query.before, "before")?,
    );
    let range = Range {
        older_than: after.as_ref(),
        newer_than: before.as_ref(),
        nearest_newer: after.is_none() && before.is_some(),
    };
    let limit = i64::from(query.limit);
    let shown = query.limit as usize;
    // Between two cursors the walk stops at the far one: whether posts lie
    // past it is one more probe.
    let bounded = range.older_than.is_some() && range.newer_than.is_some();
    let (mut rows, walked_past, beyond): (Vec<PostRow>, bool, bool) = dispatch!(conn, c => {
        let rows: Vec<PostRow> = feed_query(query, range, limit + 1)
            .build_query_as()
            .fetch_all(&mut *c)
            .await?;
        // The side the page did not walk lies past its first row (the
        // nearest to where the walk began); the head has nothing newer.
        let first = rows
            .first()
            .filter(|_| range.older_than.is_some() || range.newer_than.is_some())
            .map(PostRow::position);
        let last = rows
            .last()
            .filter(|_| bounded && rows.len() <= shown)
            .map(PostRow::position);
        let mut found = [rows.len() > shown, false];
        let probes = [(last.as_ref(), range.nearest_newer), (first.as_ref(), !range.nearest_newer)];
        for (slot, (edge, newer)) in found.iter_mut().zip(probes) {
            let Some(edge) = edge else { continue };
            let probe = if newer {
                Range { newer_than: Some(edge), nearest_newer: true, ..Range::default() }
            } else {
                Range { older_than: Some(edge), ..Range::default() }
            };
            *slot |= feed_query(query, probe, 1)
                .build_query_as::<PostRow>()
                .fetch_optional(&mut *c)
                .await?
                .is_some();
        }
        (rows, found[0], found[1])
    });
    rows.truncate(shown);
    if range.nearest_newer {
        rows.reverse();
    }
    let data: Vec<Post> = rows
        .into_iter()
        .map(Post::try_from)
        .collect::<Result<_, _>>()?;
    let (older, newer) = if range.nearest_newer {
        (beyond, walked_past)
    } else {
        (walked_past, beyond)
    };
    let position = |post: Option<&Post>| post.map(|p| PostCursor::of(p).encode());
    Ok(CursorPage {
        next_cursor: position(data.last().filter(|_| older)),
        has_more: older,
        prev_cursor: position(data.first().filter(|_| newer)),
        data,
    })
}

impl Db {
    pub async fn list_posts(&self, query: &PostListQuery) -> Result<CursorPage<Post>, ApiError> {
        list_posts_on(self.pool().acquire().await?.conn(), query).await
    }

    /// `GET /api/users/{id}/posts`: the feed of `author`'s posts (the
    /// query's `authorId` is replaced), or `None` when there is no such
    /// user. The check and the page are read in one snapshot.
    pub async fn list_user_posts(
        &self,
        author: Uuid,
        query: &PostListQuery,
    ) -> Result<Option<CursorPage<Post>>, ApiError> {
        let mut tx = self.pool().begin_snapshot().await?;
        if !user_exists(tx.conn(), author).await? {
            return Ok(None);
        }
        let query = PostListQuery {
            author_id: Some(author),
            ..query.clone()
        };
        let page = list_posts_on(tx.conn(), &query).await?;
        tx.commit().await?;
        Ok(Some(page))
    }

    pub async fn get_post(&self, id: Uuid) -> Result<Option<Post>, ApiError> {
        fetch_post(self.pool().acquire().await?.conn(), id).await
    }
}

/// Inserts the post and appends `POST_CREATED`, in `tx`; a missing author
/// is a 422 naming `authorId`.
pub(crate) async fn insert(tx: &mut WriteTx, new: &NewPost) -> Result<Post, ApiError> {
    let no_author = || ApiError::field("authorId", "no user has this id");
    if !user_exists(tx.conn(), new.author_id).await? {
        return Err(no_author());
    }
    let id = Uuid::now_v7();
    let now = now_text();
    let sql = format!(
        "INSERT INTO posts (id, title, content, author_id, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING {POST_COLUMNS}"
    );
    // On PostgreSQL an author deleted since the check above fails the
    // foreign key (the insert waits for the deleting transaction).
    tx.guard().await?;
    let inserted: Result<PostRow, sqlx::Error> = dispatch!(tx.conn(), c => sqlx::query_as(&sql)
        .bind(id.to_string())
        .bind(new.title.as_str())
        .bind(new.content.as_str())
        .bind(new.author_id.to_string())
        .bind(&now)
        .fetch_one(c)
        .await);
    tx.end_guard(inserted.is_err()).await?;
    let row = inserted.map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => no_author(),
        _ => e.into(),
    })?;
    let post = Post::try_from(row)?;
    tx.append(EventKind::PostCreated, post.id, &post).await?;
    Ok(post)
}

/// Writes `patch` over `current` (read with [`lock`] in `tx`), bumping
/// the version, and appends `POST_UPDATED`, in `tx`. Under the write lock
/// (SQLite) or the row lock the read took (PostgreSQL), the version read
/// is the version changed.
pub(crate) async fn update(
    tx: &mut WriteTx,
    current: &Post,
    patch: &PostPatch,
) -> Result<Post, ApiError> {
    let next = patch.apply(current);
    let sql = format!(
        "UPDATE posts SET title = $1, content = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 RETURNING {POST_COLUMNS}"
    );
    let now = now_text();
    let updated: Option<PostRow> = dispatch!(tx.conn(), c => sqlx::query_as(&sql)
        .bind(next.title.as_str())
        .bind(next.content.as_str())
        .bind(&now)
        .bind(current.id.to_string())
        .bind(current.version)
        .fetch_optional(c)
        .await?);
    let Some(row) = updated else {
        return Err(changed_under_lock(current.id));
    };
    let post = Post::try_from(row)?;
    tx.append(EventKind::PostUpdated, post.id, &post).await?;
    Ok(post)
}

/// Deletes `current` (read with [`lock`] in `tx`) and appends
/// `POST_DELETED` (`{id, authorId}`), in `tx`.
pub(crate) async fn delete(tx: &mut WriteTx, current: &Post) -> Result<(), ApiError> {
    let id = current.id;
    let deleted = dispatch!(tx.conn(), c => sqlx::query("DELETE FROM posts WHERE id = $1 AND version = $2")
        .bind(id.to_string())
        .bind(current.version)
        .execute(c)
        .await?
        .rows_affected());
    if deleted == 0 {
        return Err(changed_under_lock(id));
    }
    tx.append(
        EventKind::PostDeleted,
        id,
        &json!({ "id": id, "authorId": current.author_id }),
    )
    .await?;
    Ok(())
}

/// A row read under the write lock (or, on PostgreSQL, its row lock)
/// changed before the write: another writer ignored the lock. Nothing is
/// written.
fn changed_under_lock(id: Uuid) -> ApiError {
    ApiError::internal(
        "writing a post",
        format!("post {id} changed while the write lock was held"),
    )
}

/// One post, read on `conn` (inside a transaction, if it is one).
async fn fetch_post(conn: Conn<'_>, id: Uuid) -> Result<Option<Post>, ApiError> {
    select_post(conn, id, "").await
}

/// One post, read in `tx` to be changed by it (locked on PostgreSQL).
pub(crate) async fn lock(tx: &mut WriteTx, id: Uuid) -> Result<Option<Post>, ApiError> {
    let lock = tx.row_lock();
    select_post(tx.conn(), id, lock).await
}

async fn select_post(conn: Conn<'_>, id: Uuid, lock: &str) -> Result<Option<Post>, ApiError> {
    let sql = format!("SELECT {POST_COLUMNS} FROM posts WHERE id = $1{lock}");
    let row: Option<PostRow> = dispatch!(conn, c => sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(c)
        .await?);
    row.map(Post::try_from).transpose()
}

/// Whether a user with this id exists.
async fn user_exists(conn: Conn<'_>, id: Uuid) -> Result<bool, ApiError> {
    let found: Option<String> = dispatch!(conn, c => sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?);
    Ok(found.is_some())
}
