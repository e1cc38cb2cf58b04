//! Secrets the server makes for itself once and keeps in the store, so
//! every instance and every restart uses the same one (the access tokens'
//! signing key when no `--jwt-secret` is given).

use super::engine::dispatch;
use super::Db;

impl Db {
    /// The secret `name`: the stored one, or `make()`'s, stored now if no
    /// instance stored one first.
    pub async fn server_secret(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, sqlx::Error> {
        let candidate = make();
        dispatch!(self.pool(), pool => {
            sqlx::query(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(&candidate)
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await
        })
    }
}
