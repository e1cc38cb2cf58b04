//! User queries: the filtered, sorted, paged list and the single-row reads
//! and writes. Filter and sort follow `tidings::UserFilter` exactly. Each
//! write appends its change event in its own transaction; the writes the
//! API makes (`*_once`) are conditional on the version the client read
//! (`If-Match`) and happen at most once per idempotency key.

use axum::http::StatusCode;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tidings::protocol::EventKind;
use tidings::{
    NewUser, Page, Pagination, SortOrder, User, UserFilter, UserListQuery, UserPatch, UserSort,
};
use uuid::Uuid;

use super::events::WriteTx;
use super::idempotency::{settle, Answer, Begun, IdempotentRequest, Written};
use super::rows::{id as row_id, UserRow, USER_COLUMNS};
use super::{is_unique_violation, now_text, Db};
use crate::error::ApiError;
use crate::extract::IfMatch;

fn sort_column(sort: UserSort) -> &'static str {
    match sort {
        UserSort::Name => "name",
        UserSort::Email => "email",
        UserSort::Role => "role",
        UserSort::CreatedAt => "created_at",
        UserSort::LastActive => "last_active",
    }
}

/// `LIKE` pattern for a substring, with the wildcards in it escaped.
fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn push_where(q: &mut QueryBuilder<'_, Sqlite>, filter: &UserFilter) {
    q.push(" WHERE 1 = 1");
    if let Some(role) = filter.role {
        q.push(" AND role = ").push_bind(role.as_str());
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = like_pattern(search);
        q.push(" AND (name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\'");
        q.push(" OR email LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// One user, read on `conn` (inside a transaction, if it is one).
async fn fetch_user(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<User>, ApiError> {
    let row: Option<UserRow> =
        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(User::try_from).transpose()
}

fn email_taken() -> ApiError {
    ApiError::Conflict {
        field: "email",
        message: "a user with this email already exists".into(),
    }
}

/// Inserts the user and appends `USER_CREATED`, in `tx`.
async fn insert_user(tx: &mut WriteTx, new: &NewUser) -> Result<User, ApiError> {
    let id = Uuid::now_v7();
    let now = now_text();
    let result: Result<UserRow, _> = sqlx::query_as(&format!(
        "INSERT INTO users (id, name, email, role, avatar_url, last_active, theme, notifications, \
         language, created_at, updated_at, version) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 1) \
         RETURNING {USER_COLUMNS}"
    ))
    .bind(id.to_string())
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.role.as_str())
    .bind(&now)
    .bind(new.preferences.theme.as_str())
    .bind(new.preferences.notifications)
    .bind(new.preferences.language.as_str())
    .bind(&now)
    .bind(&now)
    .fetch_one(tx.conn())
    .await;
    let user = match result {
        Err(e) if is_unique_violation(&e) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
        Ok(row) => User::try_from(row)?,
    };
    tx.append(EventKind::UserCreated, user.id, &user).await?;
    Ok(user)
}

/// Applies `patch` to the user if its current version satisfies
/// `condition` (else 412 with the current user), bumping the version, and
/// appends `USER_UPDATED`, in `tx`. `None` when there is no such user.
///
/// `tx` holds the write lock from its start (`BEGIN IMMEDIATE`), so the
/// version checked is the version changed: no other write can come between
/// the read and the update. The update names the version anyway.
async fn patch_user(
    tx: &mut WriteTx,
    id: Uuid,
    patch: &UserPatch,
    condition: &IfMatch,
) -> Result<Option<User>, ApiError> {
    let Some(current) = fetch_user(tx.conn(), id).await? else {
        return Ok(None);
    };
    condition.check("user", &current, current.version)?;
    let next = patch.apply(&current);
    let result: Result<Option<UserRow>, _> = sqlx::query_as(&format!(
        "UPDATE users SET name = ?, email = ?, role = ?, theme = ?, notifications = ?, \
         language = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? \
         RETURNING {USER_COLUMNS}"
    ))
    .bind(next.name.as_str())
    .bind(next.email.as_str())
    .bind(next.role.as_str())
    .bind(next.preferences.theme.as_str())
    .bind(next.preferences.notifications)
    .bind(next.preferences.language.as_str())
    .bind(now_text())
    .bind(id.to_string())
    .bind(current.version)
    .fetch_optional(tx.conn())
    .await;
    let user = match result {
        Err(e) if is_unique_violation(&e) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
        Ok(Some(row)) => User::try_from(row)?,
        Ok(None) => return Err(changed_under_lock(id)),
    };
    tx.append(EventKind::UserUpdated, user.id, &user).await?;
    Ok(Some(user))
}

/// Deletes the user if its current version satisfies `condition` (else
/// 412 with the current user), and by cascade their posts, in `tx`.
/// `false` if absent.
///
/// The cascade is in the log too: one `POST_DELETED` per post of theirs,
/// then `USER_DELETED`, all in the deleting transaction, so a client
/// following one post or one user alone still sees it go, and no state in
/// between shows a post whose author is gone.
async fn remove_user(tx: &mut WriteTx, id: Uuid, condition: &IfMatch) -> Result<bool, ApiError> {
    let Some(current) = fetch_user(tx.conn(), id).await? else {
        return Ok(false);
    };
    condition.check("user", &current, current.version)?;
    // Under the write lock: no post can be added between this read and the
    // delete.
    let posts: Vec<String> =
        sqlx::query_scalar("SELECT id FROM posts WHERE author_id = ? ORDER BY created_at, id")
            .bind(id.to_string())
            .fetch_all(tx.conn())
            .await?;
    let done = sqlx::query("DELETE FROM users WHERE id = ? AND version = ?")
        .bind(id.to_string())
        .bind(current.version)
        .execute(tx.conn())
        .await?;
    if done.rows_affected() == 0 {
        return Err(changed_under_lock(id));
    }
    for post in posts {
        let post = row_id(&post)?;
        tx.append(
            EventKind::PostDeleted,
            post,
            &json!({ "id": post, "authorId": id }),
        )
        .await?;
    }
    tx.append(EventKind::UserDeleted, id, &json!({ "id": id }))
        .await?;
    Ok(true)
}

/// A row read under the write lock changed before the write: another
/// writer ignored the lock. Nothing is written.
fn changed_under_lock(id: Uuid) -> ApiError {
    ApiError::internal(
        "writing a user",
        format!("user {id} changed while the write lock was held"),
    )
}

impl Db {
    pub async fn list_users(&self, query: &UserListQuery) -> Result<Page<User>, ApiError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM users");
        push_where(&mut count, &query.filter);
        let total: i64 = count.build_query_scalar().fetch_one(self.pool()).await?;

        let dir = match query.filter.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        let mut select = QueryBuilder::<Sqlite>::new(format!("SELECT {USER_COLUMNS} FROM users"));
        push_where(&mut select, &query.filter);
        select.push(format!(
            " ORDER BY {} {dir}, id {dir}",
            sort_column(query.filter.sort)
        ));
        let offset = i64::from(query.page - 1) * i64::from(query.limit);
        select
            .push(" LIMIT ")
            .push_bind(i64::from(query.limit))
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<UserRow> = select.build_query_as().fetch_all(self.pool()).await?;
        let data = rows
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            data,
            pagination: Pagination::new(query.page, query.limit, total as u64),
        })
    }

    pub async fn get_user(&self, id: Uuid) -> Result<Option<User>, ApiError> {
        fetch_user(&mut *self.pool().acquire().await?, id).await
    }

    /// Inserts the user and appends `USER_CREATED`, in one transaction.
    pub async fn create_user(&self, new: &NewUser) -> Result<User, ApiError> {
        let mut tx = self.begin_write().await?;
        let user = insert_user(&mut tx, new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// `POST /api/users`: creates the user, answering 201 with it (409 for
    /// a taken email), at most once per idempotency key.
    pub async fn create_user_once(
        &self,
        new: &NewUser,
        once: Option<&IdempotentRequest>,
    ) -> Result<Written, ApiError> {
        let mut tx = match self.begin_keyed(once).await? {
            Begun::Write(tx) => tx,
            Begun::Replay(answer) => return Ok(answer),
        };
        let result = match insert_user(&mut tx, new).await {
            Ok(user) => Answer::entity(StatusCode::CREATED, &user, user.version),
            Err(e) => Err(e),
        };
        settle(tx, once, result).await
    }

    /// Applies `patch` to whatever version is current, bumping the
    /// version, and appends `USER_UPDATED` in the same transaction. `None`
    /// when there is no such user.
    pub async fn update_user(&self, id: Uuid, patch: &UserPatch) -> Result<Option<User>, ApiError> {
        let mut tx = self.begin_write().await?;
        let user = patch_user(&mut tx, id, patch, &IfMatch::Any).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// `PATCH /api/users/{id}`: applies `patch` if the user's current
    /// version satisfies `condition`, answering 200 with the user (404,
    /// 409 for a taken email, 412 with the current user), at most once per
    /// idempotency key. The check and the write are one transaction.
    pub async fn patch_user_once(
        &self,
        id: Uuid,
        patch: &UserPatch,
        condition: &IfMatch,
        once: Option<&IdempotentRequest>,
    ) -> Result<Written, ApiError> {
        let mut tx = match self.begin_keyed(once).await? {
            Begun::Write(tx) => tx,
            Begun::Replay(answer) => return Ok(answer),
        };
        let result = match patch_user(&mut tx, id, patch, condition).await {
            Ok(Some(user)) => Answer::entity(StatusCode::OK, &user, user.version),
            Ok(None) => Err(ApiError::not_found("user", &id.to_string())),
            Err(e) => Err(e),
        };
        settle(tx, once, result).await
    }

    /// Deletes the user and, by cascade, their posts. `false` if absent.
    pub async fn delete_user(&self, id: Uuid) -> Result<bool, ApiError> {
        let mut tx = self.begin_write().await?;
        let done = remove_user(&mut tx, id, &IfMatch::Any).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// `DELETE /api/users/{id}`: deletes the user (and their posts) if its
    /// current version satisfies `condition`, answering 204 (404, 412 with
    /// the current user), at most once per idempotency key.
    pub async fn delete_user_once(
        &self,
        id: Uuid,
        condition: &IfMatch,
        once: Option<&IdempotentRequest>,
    ) -> Result<Written, ApiError> {
        let mut tx = match self.begin_keyed(once).await? {
            Begun::Write(tx) => tx,
            Begun::Replay(answer) => return Ok(answer),
        };
        let result = match remove_user(&mut tx, id, condition).await {
            Ok(true) => Ok(Answer::no_content()),
            Ok(false) => Err(ApiError::not_found("user", &id.to_string())),
            Err(e) => Err(e),
        };
        settle(tx, once, result).await
    }

    pub async fn user_exists(&self, id: Uuid) -> Result<bool, ApiError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
