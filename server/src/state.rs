//! `AppState`: everything a handler may need, passed by axum, never global.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::Auth;
use crate::config::Config;
use crate::db::{seed::SeedPlan, Db};
use crate::ops::cors::CorsPolicy;
use crate::ops::metrics::Metrics;
use crate::realtime::Hub;
use crate::uploads::StoredAvatars;
use crate::writes::Writes;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    /// The store's hub: the log's head and the shutdown signal.
    pub hub: Hub,
    /// Every write the API makes, over `db` and `hub`.
    pub writes: Writes,
    /// The upload directory.
    pub avatars: StoredAvatars,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// Request counts and latencies, exposed at `/metrics`.
    pub metrics: Metrics,
    /// The origins allowed to call across origins (none by default).
    pub cors: CorsPolicy,
    /// Token keys, lifetimes, cookie flags and the login limiter.
    pub auth: Auth,
}

/// The name the store keeps the access tokens' signing secret under.
const JWT_SECRET: &str = "jwt";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("site configuration: {0}")]
    Site(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database {url}: {source}")]
    Database { url: String, source: sqlx::Error },
}

impl AppState {
    /// Opens and migrates the database, seeding it when configured to.
    pub async fn from_config(mut config: Config) -> Result<Self, StartError> {
        let leptos_options = config.leptos_options().map_err(StartError::Site)?;
        let leptos_options = crate::hashed_bundle::checked(leptos_options);
        let cors = CorsPolicy::parse(&config.cors_origins).map_err(StartError::Config)?;
        config.leptos = Some(leptos_options.clone());
        let db_error = |source| StartError::Database {
            url: crate::db::engine::redact_password(&config.database_url),
            source,
        };
        let db = Db::connect(&config.database_url).await.map_err(db_error)?;
        let stored = match config.jwt_secret {
            Some(_) => None,
            None => Some(
                db.server_secret(JWT_SECRET, crate::auth::refresh::new_token)
                    .await
                    .map_err(db_error)?,
            ),
        };
        let auth = Auth::from_config(&config, stored.as_deref()).map_err(StartError::Config)?;
        if config.seed {
            let report = db
                .seed_if_empty(SeedPlan::default(), chrono::Utc::now())
                .await
                .map_err(db_error)?;
            if report.users > 0 {
                tracing::info!(
                    users = report.users,
                    posts = report.posts,
                    "seeded demo data"
                );
            }
        }
        let hub = Hub::open(&db, config.events_tail).await.map_err(db_error)?;
        let avatars = StoredAvatars::from_config(&config);
        let writes = Writes::new(db.clone(), hub.clone(), auth.clone(), avatars.clone());
        Ok(Self {
            hub,
            writes,
            avatars,
            db,
            config: Arc::new(config),
            leptos_options,
            metrics: Metrics::default(),
            cors,
            auth,
        })
    }
}
