//! The built site on disk (`site-root`, which cargo-leptos fills): the
//! WebAssembly bundle under `/pkg` and the public assets, served for any
//! path no route claims. A path that is no file there is a page the app
//! does not know: its 404 page.
//!
//! Files are answered by tower-http's `ServeDir` with the request's own
//! headers, so `If-Modified-Since` gets a 304 (the file handler of
//! `leptos_axum` forwards only `Accept-Encoding`, and never answers
//! one), and a `.br` or `.gz` sibling, as `cargo leptos build --release
//! --precompress` writes them, is sent as it is to a client that accepts
//! it; other files are compressed on the way out
//! ([`crate::ops::compression`]). Each found file is given its cache
//! policy by [`cache_control::for_file`].

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::ops::cache_control;
use crate::state::AppState;

/// The fallback of the router: the file at the request's path, else the
/// app's 404 page.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let options = &state.leptos_options;
        let files = ServeDir::new(&*options.site_root)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false);
        let probe = Request::from_parts(parts.clone(), Body::empty());
        let found = match files.oneshot(probe).await {
            Ok(found) => found,
            Err(never) => match never {},
        };
        if found.status() != StatusCode::NOT_FOUND {
            let mut response = found.into_response();
            if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
                let policy = cache_control::for_file(parts.uri.path(), &options.site_pkg_dir);
                let headers = response.headers_mut();
                headers.insert(CACHE_CONTROL, policy);
                headers.append(VARY, HeaderValue::from(ACCEPT_ENCODING));
            }
            return response;
        }
    }
    // Rendered as every page is (its context, async SSR): the app the
    // browser hydrates must see what the server saw.
    let options = state.leptos_options.clone();
    let not_found =
        leptos_axum::render_app_async_with_context(crate::page_context(&state), move || {
            app::shell(options.clone())
        });
    not_found(Request::from_parts(parts, body)).await
}
