//! User queries: the filtered, sorted, paged list and the single-row reads
//! and writes. Filter and sort follow `tidings::UserFilter` exactly. Each
//! write appends its change event in its own transaction.

use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tidings::protocol::EventKind;
use tidings::{
    NewUser, Page, Pagination, SortOrder, User, UserFilter, UserListQuery, UserPatch, UserSort,
};
use uuid::Uuid;

use super::rows::{id as row_id, UserRow, USER_COLUMNS};
use super::{is_unique_violation, now_text, Db};
use crate::error::ApiError;

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
        let id = Uuid::now_v7();
        let now = now_text();
        let mut tx = self.begin_write().await?;
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
        tx.commit().await?;
        Ok(user)
    }

    /// Applies `patch`, bumping the version, and appends `USER_UPDATED`
    /// in the same transaction. `None` when there is no such user. The
    /// write is conditional on the version read, so a concurrent change is
    /// never overwritten: the patch is re-applied on top of it.
    pub async fn update_user(&self, id: Uuid, patch: &UserPatch) -> Result<Option<User>, ApiError> {
        loop {
            let mut tx = self.begin_write().await?;
            let Some(current) = fetch_user(tx.conn(), id).await? else {
                return Ok(None);
            };
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
                // Changed since it was read: read again, in a new transaction.
                Ok(None) => continue,
            };
            tx.append(EventKind::UserUpdated, user.id, &user).await?;
            tx.commit().await?;
            return Ok(Some(user));
        }
    }

    /// Deletes the user and, by cascade, their posts. `false` if absent.
    ///
    /// The cascade is in the log too: one `POST_DELETED` per post of
    /// theirs, then `USER_DELETED`, all in the deleting transaction, so a
    /// client following one post or one user alone still sees it go, and
    /// no state in between shows a post whose author is gone.
    pub async fn delete_user(&self, id: Uuid) -> Result<bool, ApiError> {
        let mut tx = self.begin_write().await?;
        // Under the write lock: no post can be added between this read
        // and the delete.
        let posts: Vec<String> =
            sqlx::query_scalar("SELECT id FROM posts WHERE author_id = ? ORDER BY created_at, id")
                .bind(id.to_string())
                .fetch_all(tx.conn())
                .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
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
        tx.commit().await?;
        Ok(true)
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
