//! Tidings server as a library: [`build_router`] assembles the REST API,
//! health check, static site and server-rendered pages; [`run`] serves them
//! on a listener until a shutdown future resolves. `main.rs` only parses
//! the configuration and calls these, so tests start real servers on
//! `127.0.0.1:0` the same way.

pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod realtime;
pub mod routes;
mod ssr_api;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

pub use ssr_api::InProcessApi;
pub use state::{AppState, StartError};

/// Every route the server answers.
pub fn build_router(state: AppState) -> Router {
    let pages = generate_route_list(app::App);
    let db = state.db.clone();
    Router::new()
        .nest("/api", routes::api_router())
        .route("/api/", axum::routing::any(error::api_not_found))
        .merge(routes::health_router())
        .leptos_routes_with_context(
            &state,
            pages,
            move || InProcessApi::handle(db.clone()).provide(),
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long shutdown waits for the realtime sockets to say goodbye.
const SOCKET_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Serves `state` on `listener` until `shutdown` resolves, then finishes
/// the requests in flight and closes the realtime sockets (close code
/// 1001, going away). Also prunes the event log in the background.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    tokio::spawn(realtime::retention::run(
        state.db.clone(),
        state.config.events_keep,
        realtime::retention::PRUNE_EVERY,
    ));
    let signal = {
        let hub = hub.clone();
        async move {
            shutdown.await;
            hub.shut_down();
        }
    };
    let served = axum::serve(listener, build_router(state))
        .with_graceful_shutdown(signal)
        .await;
    // Upgraded sockets are not connections axum waits for: the hub told
    // their tasks to close; wait (bounded) until they have.
    hub.shut_down();
    if tokio::time::timeout(SOCKET_CLOSE_GRACE, hub.tasks_finished())
        .await
        .is_err()
    {
        tracing::warn!(
            left = hub.live_tasks(),
            "realtime sockets still open after the grace period"
        );
    }
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
