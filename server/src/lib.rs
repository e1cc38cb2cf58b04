//! Tidings server as a library: [`build_router`] assembles the REST API,
//! health check, metrics, static site ([`site`]) and server-rendered pages
//! behind the operational layers of [`ops`] (request ids, tracing,
//! compression, security headers, cache policy, metrics, CORS, body
//! limits, timeouts); [`run`] serves them
//! on a listener until a shutdown future resolves. `main.rs` only parses
//! the configuration and calls these, so tests start real servers on
//! `127.0.0.1:0` the same way.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod hashed_bundle;
pub mod ops;
pub mod realtime;
pub mod routes;
pub mod safe_write;
pub mod site;
mod ssr_api;
pub mod state;
pub mod telemetry;
pub mod uploads;
pub mod writes;

use std::future::Future;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use ops::body_limit::BodyCeiling;

pub use ssr_api::InProcessApi;
pub use state::{AppState, StartError};

/// What every server render of a page provides, the not-found page's
/// too ([`site`]): where the realtime log stood, who is signed in, and the
/// in-process API the page reads through.
pub fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let (db, writes, hub) = (state.db.clone(), state.writes.clone(), state.hub.clone());
    move || {
        // Taken before the page reads anything (see app::realtime).
        let (epoch, seq) = hub.position();
        leptos::prelude::provide_context(app::realtime::RenderedAt(app::realtime::Position::new(
            epoch, seq,
        )));
        let reader = auth::pages::reader();
        if let Some(actor) = reader {
            leptos::prelude::provide_context(app::session::SignedIn(actor.id));
        }
        InProcessApi::handle(db.clone(), writes.clone(), reader).provide();
        ops::csp::provide_page_policy();
    }
}

/// Every route the server answers, behind the layers of [`ops`].
pub fn build_router(state: AppState) -> Router {
    let pages = generate_route_list(app::App);
    let router = Router::new()
        .nest("/api", routes::api_router(state.auth.clone()))
        .route("/api/", axum::routing::any(error::api_not_found))
        .merge(routes::health_router())
        .merge(routes::uploads_router(state.auth.clone()))
        .merge(ops::metrics::router())
        .leptos_routes_with_context(&state, pages, page_context(&state), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(site::serve);

    // Layers wrap each route, after routing (so they see the matched route
    // template); the last one added runs first.
    let router = router.layer(from_fn_with_state(state.auth.clone(), auth::pages::guard));
    let router = match ops::timeout::RequestTimeout::from_config(&state.config) {
        Some(deadlines) => router.layer(from_fn_with_state(deadlines, ops::timeout::enforce)),
        None => router,
    };
    // Routes with bodies of their own (the API) set their own limits.
    let router = router
        .layer(DefaultBodyLimit::max(routes::JSON_BODY_LIMIT))
        .layer(from_fn_with_state(
            BodyCeiling(state.config.max_body_bytes),
            ops::body_limit::enforce,
        ));
    let router = match state.cors.layer() {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(from_fn_with_state(
            state.cors.clone(),
            ops::cors::refuse_foreign_writes,
        ))
        .layer(from_fn_with_state(
            state.cors.clone(),
            ops::cors::refuse_foreign_preflights,
        ))
        .layer(from_fn_with_state(
            state.metrics.clone(),
            ops::metrics::track,
        ))
        .layer(from_fn(ops::cache_control::apply))
        .layer(from_fn_with_state(
            ops::security_headers::Https(state.config.secure_cookies),
            ops::security_headers::apply,
        ))
        .layer(ops::compression::layer())
        .layer(ops::trace::layer())
        .layer(from_fn(ops::request_id::assign))
        .with_state(state)
}

/// How long shutdown waits for the realtime sockets to say goodbye.
const SOCKET_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Serves `state` on `listener` until `shutdown` resolves, then finishes
/// the requests in flight and closes the realtime sockets (close code
/// 1001, going away). Also prunes the event log in the background and,
/// on PostgreSQL, follows the other instances' commits.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    tokio::spawn(realtime::retention::run(
        state.db.clone(),
        hub.clone(),
        state.config.events_keep,
        realtime::retention::PRUNE_EVERY,
    ));
    tokio::spawn(realtime::listener::run(state.db.clone(), hub.clone()));
    let signal = {
        let hub = hub.clone();
        async move {
            shutdown.await;
            hub.shut_down();
        }
    };
    // The peer address is the client's address for login rate limiting.
    let app = build_router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
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
