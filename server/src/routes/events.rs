//! `GET /api/events`: the realtime socket (see `crate::realtime`). A
//! request that is not a WebSocket upgrade gets a JSON 426; one from a
//! page of another origin, 403. An upgrade with a valid Bearer token or
//! access cookie is signed in at once (401 if its session ended, 429 when
//! the user holds too many sockets); one with an invalid Bearer token is
//! 401; any other must authenticate by its first frame (see
//! `crate::realtime::socket`).

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::openapi::parts as doc;
use crate::error::ApiError;
use crate::realtime::{socket, SocketSettings};
use crate::state::AppState;

/// Largest message the transport reads whole: above the protocol's
/// `MAX_CLIENT_FRAME`, so an oversized frame is answered with a reason
/// before the socket closes, and small enough to bound what one costs.
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Initial read buffer of a socket: client frames are a few hundred bytes
/// (an `auth` with its token is the largest), larger ones still arrive
/// whole, and every idle socket holds this much.
const SOCKET_READ_BUFFER: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

#[utoipa::path(
    get,
    path = "/api/events",
    tag = "realtime",
    operation_id = "events",
    security(("bearerAuth" = []), ("cookieAuth" = []), ()),
    summary = "The realtime socket: JSON frames of change events, resumable by sequence number",
    description = "A WebSocket. The client sends `auth` (when not authenticated at the upgrade) \
        and `subscribe {topics, since}`; the server answers `hello {epoch, seq}`, then every event \
        after `since` in order (`USER_CREATED`, `USER_UPDATED`, `USER_DELETED`, `POST_CREATED`, \
        `POST_UPDATED`, `POST_DELETED`), `HEARTBEAT`s, and `RESYNC` when `since` is older than the \
        retained log. Credentials may come at the upgrade or in the first frame.",
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 426, response = doc::UpgradeRequired),
        (status = 429, response = doc::TooManyRequests),
    )
)]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(refused) = state.cors.check_origin(&headers) {
        return refused.into_response();
    }
    let grant = match state.auth.authenticate_grant(&headers) {
        Ok(grant) => Some(grant),
        Err(e) if headers.contains_key(header::AUTHORIZATION) => return e.into_response(),
        Err(_) => None,
    };
    match upgrade {
        Err(rejection) => ApiError::UpgradeRequired(format!(
            "this endpoint speaks WebSocket: {}",
            rejection.body_text()
        ))
        .into_response(),
        Ok(upgrade) => {
            let db = state.db.clone();
            let hub = state.hub.clone();
            let auth = state.auth.clone();
            let settings = SocketSettings::from_config(&state.config);
            let signed_in = match grant {
                None => None,
                Some(grant) => match socket::admit_upgrade(&db, &hub, grant, &settings).await {
                    Ok(seat) => Some((grant, seat)),
                    Err(refused) => return refused.into_response(),
                },
            };
            upgrade
                // Client frames are small; tungstenite's 128 KiB default
                // read buffer would cost that much per idle socket.
                .read_buffer_size(SOCKET_READ_BUFFER)
                .max_message_size(MAX_CLIENT_MESSAGE)
                .max_frame_size(MAX_CLIENT_MESSAGE)
                .on_upgrade(move |ws| socket::serve(ws, db, hub, settings, auth, signed_in))
        }
    }
}
