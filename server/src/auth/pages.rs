//! The page guard: a page requested without a valid `tidings_access`
//! cookie is answered 303 See Other to `/login?next=<path and query>`.
//! Not pages: `/login` itself, the API, health, metrics, uploads (which
//! check their own credentials) and static files (`/pkg/...`, anything
//! whose last path segment has a dot). A signed-in reader's [`Actor`] is
//! put in the request's extensions for server rendering.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{cookies, Actor, Auth};

/// Where readers sign in.
pub const LOGIN_PATH: &str = "/login";

/// Whether `path`, asked with `method`, is a page the guard protects.
pub fn is_guarded_page(method: &Method, path: &str) -> bool {
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    let exempt_prefixes = ["/api/", "/pkg/", "/uploads/", "/style/"];
    let exempt = ["/api", LOGIN_PATH, "/healthz", "/metrics"];
    let last = path.rsplit('/').next().unwrap_or_default();
    !(exempt.contains(&path)
        || exempt_prefixes.iter().any(|p| path.starts_with(p))
        || last.contains('.'))
}

/// The `Location` of the redirect for `target` (path and query).
pub fn login_location(target: &str) -> String {
    let query = serde_urlencoded::to_string([("next", target)]).unwrap_or_default();
    format!("{LOGIN_PATH}?{query}")
}

/// The reader of the page being rendered, as [`guard`] found them (for
/// server rendering, inside the request's reactive context).
pub fn reader() -> Option<Actor> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Actor>().copied())
}

/// Middleware over the whole site.
pub async fn guard(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    if !is_guarded_page(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let reader: Option<Actor> = cookies::read(
        request.headers(),
        cookies::names(auth.secure_cookies()).access,
    )
    .and_then(|token| auth.verify(token).ok());
    match reader {
        Some(actor) => {
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        None => {
            let target = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(location) = HeaderValue::from_str(&login_location(&target)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_guarded_and_the_rest_is_not() {
        let get = Method::GET;
        for page in ["/", "/users", "/posts", "/users/abc"] {
            assert!(is_guarded_page(&get, page), "{page}");
        }
        for other in [
            "/login",
            "/api/users",
            "/api",
            "/healthz",
            "/metrics",
            "/pkg/tidings.wasm",
            "/favicon.ico",
            "/favicon.svg",
            "/uploads/x.png",
            "/style/main.css",
        ] {
            assert!(!is_guarded_page(&get, other), "{other}");
        }
        assert!(!is_guarded_page(&Method::POST, "/users"));
    }

    #[test]
    fn the_login_link_keeps_path_and_query() {
        assert_eq!(
            login_location("/posts?a=1&b=2"),
            "/login?next=%2Fposts%3Fa%3D1%26b%3D2"
        );
    }
}
