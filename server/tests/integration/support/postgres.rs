//! PostgreSQL for the tests: each test gets a schema of its own in the
//! machine's database (a random name, created at the start and dropped
//! with everything in it at the end), reached through a URL whose
//! connections put that schema first on their `search_path`. Servers
//! started on one [`PgSchema`] share its tables, as instances of one
//! deployment share a database.
//!
//! The database is `TIDINGS_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test`.

use sqlx::{Connection, PgConnection};

/// The database the PostgreSQL tests use.
pub fn base_url() -> String {
    std::env::var("TIDINGS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema that lives as long as this value.
#[derive(Debug)]
pub struct PgSchema {
    name: String,
    base: String,
}

impl PgSchema {
    /// Creates a fresh, empty schema.
    pub async fn create() -> Self {
        let base = base_url();
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("connect to PostgreSQL at {base}: {e}"));
        sqlx::query(&format!("CREATE SCHEMA \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        let _ = conn.close().await;
        Self { name, base }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL a server uses: the test database, this schema first.
    pub fn database_url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.base, self.name
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let base = self.base.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        // Drop may run inside a runtime, where blocking on another is not
        // allowed: the cleanup gets a thread and a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cleanup");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&base).await?;
                sqlx::query(&sql).execute(&mut conn).await?;
                conn.close().await
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!("dropping the test schema failed: {error}");
        }
    }
}
