//! User queries: the filtered, sorted, paged list and the single-row reads
//! and writes. Filter and sort follow `tidings::UserFilter` exactly. Each
//! write appends its change events in the caller's transaction; who may
//! write, and at which version, the caller decides (`crate::writes`).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx::{Database, Encode, QueryBuilder, Type};
use tidings::protocol::EventKind;
use tidings::{
    format_timestamp, NewUser, Page, Pagination, Role, RoleCounts, SortOrder, User,
    UserBatchUpdate, UserFilter, UserListQuery, UserPatch, UserSearchQuery, UserSort, UserStats,
    ACTIVE_WINDOW,
};
use uuid::Uuid;

use super::engine::{dispatch, Conn};
use super::events::WriteTx;
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

/// `LIKE` pattern for a substring, ASCII-lowercased (the column it is
/// matched against is too, see [`push_where`]), with the wildcards in it
/// escaped.
pub(super) fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars().map(|c| c.to_ascii_lowercase()) {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The text `last_active` must reach (`>=`) to be active within `window`
/// of `now`: timestamps are stored in one sortable text form, so text
/// order is time order.
fn active_cutoff(now: DateTime<Utc>, window: TimeDelta) -> String {
    format_timestamp(&(now - window))
}

/// `WHERE ...` for `filter`, with `active` evaluated at `now`
/// (`UserFilter::matches_at`). Search folds ASCII case only, on both
/// engines: `LOWER` does on SQLite, and on PostgreSQL's `"C"` columns.
fn push_where<'a, DB: Database>(
    q: &mut QueryBuilder<'a, DB>,
    filter: &UserFilter,
    now: DateTime<Utc>,
) where
    String: Encode<'a, DB> + Type<DB>,
{
    q.push(" WHERE 1 = 1");
    if let Some(role) = filter.role {
        q.push(" AND role = ").push_bind(role.as_str().to_owned());
    }
    if let Some(active) = filter.active {
        q.push(if active {
            " AND last_active >= "
        } else {
            " AND last_active < "
        })
        .push_bind(active_cutoff(now, ACTIVE_WINDOW));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = like_pattern(search);
        q.push(" AND (LOWER(name) LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\'");
        q.push(" OR LOWER(email) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// One user, read on `conn` (inside a transaction, if it is one).
async fn fetch_user(conn: Conn<'_>, id: Uuid) -> Result<Option<User>, ApiError> {
    select_user(conn, id, "").await
}

/// One user, read in `tx` to be changed by it (locked on PostgreSQL).
pub(crate) async fn lock(tx: &mut WriteTx, id: Uuid) -> Result<Option<User>, ApiError> {
    let lock = tx.row_lock();
    select_user(tx.conn(), id, lock).await
}

async fn select_user(conn: Conn<'_>, id: Uuid, lock: &str) -> Result<Option<User>, ApiError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1{lock}");
    let row: Option<UserRow> = dispatch!(conn, c => sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(c)
        .await?);
    row.map(User::try_from).transpose()
}

fn email_taken() -> ApiError {
    ApiError::Conflict {
        field: "email",
        message: "a user with this email already exists".into(),
    }
}

/// Inserts the user and appends `USER_CREATED`, in `tx`; 409 for a taken
/// email.
pub(crate) async fn insert(tx: &mut WriteTx, new: &NewUser) -> Result<User, ApiError> {
    let id = Uuid::now_v7();
    let now = now_text();
    let sql = format!(
        "INSERT INTO users (id, name, email, role, avatar_url, last_active, theme, notifications, \
         language, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $5, $5, 1) RETURNING {USER_COLUMNS}"
    );
    tx.guard().await?;
    let result: Result<UserRow, sqlx::Error> = dispatch!(tx.conn(), c => sqlx::query_as(&sql)
        .bind(id.to_string())
        .bind(new.name.as_str())
        .bind(new.email.as_str())
        .bind(new.role.as_str())
        .bind(&now)
        .bind(new.preferences.theme.as_str())
        .bind(new.preferences.notifications)
        .bind(new.preferences.language.as_str())
        .fetch_one(c)
        .await);
    tx.end_guard(result.is_err()).await?;
    let user = match result {
        Err(e) if is_unique_violation(&e) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
        Ok(row) => User::try_from(row)?,
    };
    tx.append(EventKind::UserCreated, user.id, &user).await?;
    Ok(user)
}

/// Writes `patch` over `current` (read with [`lock`] in `tx`), bumping
/// the version, and appends `USER_UPDATED`, in `tx`; 409 for a taken
/// email.
///
/// `tx` holds the write lock from its start (`BEGIN IMMEDIATE`) on SQLite,
/// and on PostgreSQL the read locked the row (`FOR UPDATE`), so the version
/// read is the version changed: no other write can come between the read
/// and the update. The update names the version anyway.
pub(crate) async fn update(
    tx: &mut WriteTx,
    current: &User,
    patch: &UserPatch,
) -> Result<User, ApiError> {
    let next = patch.apply(current);
    tx.guard().await?;
    let result = write_user(tx.conn(), &next, current.version).await;
    tx.end_guard(result.is_err()).await?;
    let user = match result {
        Err(e) if is_unique_violation(&e) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
        Ok(Some(row)) => User::try_from(row)?,
        Ok(None) => return Err(changed_under_lock(current.id)),
    };
    tx.append(EventKind::UserUpdated, user.id, &user).await?;
    Ok(user)
}

/// Points `current`'s (read with [`lock`] in `tx`) `avatar_url` at `url`,
/// bumping the version, and appends `USER_UPDATED`, in `tx`.
pub(crate) async fn set_avatar(
    tx: &mut WriteTx,
    current: &User,
    url: &str,
) -> Result<User, ApiError> {
    let sql = format!(
        "UPDATE users SET avatar_url = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 RETURNING {USER_COLUMNS}"
    );
    let now = now_text();
    let row: Option<UserRow> = dispatch!(tx.conn(), c => sqlx::query_as(&sql)
        .bind(url)
        .bind(&now)
        .bind(current.id.to_string())
        .bind(current.version)
        .fetch_optional(c)
        .await?);
    let user = User::try_from(row.ok_or_else(|| changed_under_lock(current.id))?)?;
    tx.append(EventKind::UserUpdated, user.id, &user).await?;
    Ok(user)
}

/// The role of user `id`, read in `tx` without a lock; `None` when there
/// is no such user.
pub(crate) async fn role_of(tx: &mut WriteTx, id: Uuid) -> Result<Option<Role>, ApiError> {
    let role: Option<String> = dispatch!(tx.conn(), c => {
        sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(c)
            .await?
    });
    role.map(|r| r.parse())
        .transpose()
        .map_err(|e: String| ApiError::internal("corrupt user role in store", e))
}

/// Writes `next` over the row of its id if that row is still at `version`,
/// bumping the version; `None` when it is not. The caller appends the event.
async fn write_user(
    conn: Conn<'_>,
    next: &User,
    version: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET name = $1, email = $2, role = $3, theme = $4, notifications = $5, \
         language = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9 \
         RETURNING {USER_COLUMNS}"
    );
    let now = now_text();
    dispatch!(conn, c => sqlx::query_as(&sql)
        .bind(next.name.as_str())
        .bind(next.email.as_str())
        .bind(next.role.as_str())
        .bind(next.preferences.theme.as_str())
        .bind(next.preferences.notifications)
        .bind(next.preferences.language.as_str())
        .bind(&now)
        .bind(next.id.to_string())
        .bind(version)
        .fetch_optional(c)
        .await)
}

/// Deletes `current` (read with [`lock`] in `tx`), and by cascade their
/// posts, in `tx`, and forgets their personal data in the retained log
/// and in the recorded idempotent answers.
///
/// The cascade is in the log too: one `POST_DELETED` per post of theirs,
/// then `USER_DELETED`, all in the deleting transaction, so a client
/// following one post or one user alone still sees it go, and no state in
/// between shows a post whose author is gone.
pub(crate) async fn delete(tx: &mut WriteTx, current: &User) -> Result<(), ApiError> {
    let id = current.id;
    // Under the write lock (SQLite) or the user's row lock (PostgreSQL,
    // where adding a post waits on its author's row): no post can be added
    // between this read and the delete.
    let (posts, deleted): (Vec<String>, u64) = dispatch!(tx.conn(), c => {
        let posts = sqlx::query_scalar(
            "SELECT id FROM posts WHERE author_id = $1 ORDER BY created_at, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *c)
        .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1 AND version = $2")
            .bind(id.to_string())
            .bind(current.version)
            .execute(&mut *c)
            .await?;
        (posts, done.rows_affected())
    });
    if deleted == 0 {
        return Err(changed_under_lock(id));
    }
    tx.forget_user(id).await?;
    super::idempotency::forget_user(tx, id).await?;
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
    Ok(())
}

/// One page of the users `filter` keeps, in its order, with `active`
/// evaluated at `now`.
async fn select_users(
    conn: Conn<'_>,
    filter: &UserFilter,
    now: DateTime<Utc>,
    limit: u32,
    offset: i64,
) -> Result<Vec<User>, ApiError> {
    let dir = match filter.order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    };
    let rows: Vec<UserRow> = dispatch!(conn, c => {
        let mut select = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users"));
        push_where(&mut select, filter, now);
        select.push(format!(
            " ORDER BY {} {dir}, id {dir}",
            sort_column(filter.sort)
        ));
        select
            .push(" LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = select.build_query_as().fetch_all(c).await?;
        rows
    });
    rows.into_iter().map(User::try_from).collect()
}

/// Applies every update of a batch, in `tx`, or none: every id must name
/// a user (else 404 listing the missing ones) at the version the update
/// names (else 412 listing the current users of the stale ones); then
/// the rows are written inside a savepoint, so a taken email (409) undoes
/// the updates already made, and only once all are written is one
/// `USER_UPDATED` per user appended. Every refusal leaves `tx` as it
/// found it.
pub(crate) async fn update_many(
    tx: &mut WriteTx,
    updates: &[UserBatchUpdate],
) -> Result<Vec<User>, ApiError> {
    // Rows are locked in id order, whatever the order of the updates: two
    // batches naming the same users in opposite orders on two instances
    // would otherwise each hold a lock the other waits for.
    let mut by_id: Vec<usize> = (0..updates.len()).collect();
    by_id.sort_by_key(|&i| updates[i].id);
    let mut fetched: Vec<Option<User>> = vec![None; updates.len()];
    for i in by_id {
        fetched[i] = lock(tx, updates[i].id).await?;
    }
    let mut currents = Vec::with_capacity(updates.len());
    let mut missing = Vec::new();
    for (update, user) in updates.iter().zip(fetched) {
        match user {
            Some(user) => currents.push(user),
            None => missing.push(update.id.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::MissingEntities {
            entity: "user",
            ids: missing,
        });
    }
    let stale: Vec<serde_json::Value> = updates
        .iter()
        .zip(&currents)
        .filter(|(update, current)| update.version != current.version)
        .map(|(_, current)| serde_json::to_value(current))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::internal("encoding the current users", e))?;
    if !stale.is_empty() {
        return Err(ApiError::StaleEntities {
            entity: "user",
            current: stale,
        });
    }
    tx.savepoint().await?;
    let mut written = Vec::with_capacity(updates.len());
    for (i, (update, current)) in updates.iter().zip(&currents).enumerate() {
        let next = update.patch.apply(current);
        let result = write_user(tx.conn(), &next, current.version).await;
        match result {
            Err(e) if is_unique_violation(&e) => {
                tx.end_savepoint(true).await?;
                return Err(ApiError::Conflict {
                    field: "email",
                    message: format!(
                        "updates[{i}]: a user with this email already exists; nothing was changed"
                    ),
                });
            }
            Err(e) => return Err(e.into()),
            Ok(Some(row)) => written.push(User::try_from(row)?),
            Ok(None) => return Err(changed_under_lock(update.id)),
        }
    }
    tx.end_savepoint(false).await?;
    for user in &written {
        tx.append(EventKind::UserUpdated, user.id, user).await?;
    }
    Ok(written)
}

/// A row read under the write lock (or, on PostgreSQL, its row lock)
/// changed before the write: another writer ignored the lock. Nothing is
/// written.
fn changed_under_lock(id: Uuid) -> ApiError {
    ApiError::internal(
        "writing a user",
        format!("user {id} changed while the write lock was held"),
    )
}

impl Db {
    /// The list page, with `active` evaluated now.
    pub async fn list_users(&self, query: &UserListQuery) -> Result<Page<User>, ApiError> {
        let now = Utc::now();
        // One snapshot: the total counts the rows the page is cut from.
        let mut tx = self.pool().begin_snapshot().await?;
        let total: i64 = dispatch!(tx.conn(), c => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM users");
            push_where(&mut count, &query.filter, now);
            let total = count.build_query_scalar().fetch_one(c).await?;
            total
        });
        let offset = i64::from(query.page - 1) * i64::from(query.limit);
        let data = select_users(tx.conn(), &query.filter, now, query.limit, offset).await?;
        tx.commit().await?;
        Ok(Page {
            data,
            pagination: Pagination::new(query.page, query.limit, total as u64),
        })
    }

    /// `GET /api/users/search`: up to `limit` users matching `q` as the
    /// list's `search` does, by name ascending (ties on id).
    pub async fn search_users(&self, query: &UserSearchQuery) -> Result<Vec<User>, ApiError> {
        let mut conn = self.pool().acquire().await?;
        select_users(conn.conn(), &query.filter(), Utc::now(), query.limit, 0).await
    }

    /// `GET /api/users/stats`, counted now in one query: the window edges
    /// are those of the list's `active` filter.
    pub async fn user_stats(&self) -> Result<UserStats, ApiError> {
        let now = Utc::now();
        const SQL: &str = "SELECT COUNT(*), \
             COUNT(CASE WHEN last_active >= $1 THEN 1 END), \
             COUNT(CASE WHEN last_active >= $2 THEN 1 END), \
             COUNT(CASE WHEN role = 'admin' THEN 1 END), \
             COUNT(CASE WHEN role = 'moderator' THEN 1 END), \
             COUNT(CASE WHEN role = 'user' THEN 1 END) \
             FROM users";
        let day = active_cutoff(now, ACTIVE_WINDOW);
        let week = active_cutoff(now, TimeDelta::days(7));
        let (total, active_24h, active_7d, admin, moderator, user): (i64, i64, i64, i64, i64, i64) = dispatch!(self.pool(), pool => sqlx::query_as(SQL)
                .bind(&day)
                .bind(&week)
                .fetch_one(pool)
                .await?);
        let n = |v: i64| v.max(0) as u64;
        Ok(UserStats {
            total: n(total),
            active_24h: n(active_24h),
            active_7d: n(active_7d),
            by_role: RoleCounts {
                admin: n(admin),
                moderator: n(moderator),
                user: n(user),
            },
        })
    }

    pub async fn get_user(&self, id: Uuid) -> Result<Option<User>, ApiError> {
        fetch_user(self.pool().acquire().await?.conn(), id).await
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_are_escaped_and_ascii_lowercased() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(like_pattern("AbÉ"), "%abÉ%");
    }
}
