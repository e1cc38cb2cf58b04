//! How long a browser, or a cache on the way, may keep each answer
//! (`Cache-Control`). A handler that knows better sets its own; the
//! [`apply`] middleware gives every other answer the default for its kind.
//!
//! - The bundle's hashed files (`/pkg/tidings.<hash>.wasm`, `.js`, `.css`,
//!   renamed by cargo-leptos's `hash-files`): [`IMMUTABLE`]. A new build
//!   has new names, so a name never changes content and a returning
//!   visitor downloads nothing.
//! - Every other site file (the bundle when it is not hashed, as under
//!   `cargo leptos watch`, and the public assets such as the icon):
//!   [`REVALIDATE`]. Its name outlives its content, so the browser asks
//!   each time, with `If-Modified-Since`, and a file unchanged since is a
//!   304 without a body.
//! - Pages: [`PAGE`]. They show what one reader may see and carry a
//!   script nonce of their own, so no shared cache keeps them and the
//!   browser asks again before reusing one.
//! - The API and everything else: [`NO_STORE`]. The answers hold people's
//!   data, change with every write, and the app keeps its own cache of
//!   them; nothing is gained by writing them to a disk cache.
//! - Avatars (`/uploads/<uuid>.<ext>`): [`UPLOAD`]. A stored file is never
//!   rewritten (another picture gets another fresh name), so it is kept
//!   for a year, but only by the signed-in reader's browser: the route
//!   needs credentials, and a shared cache would hand it to anyone.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// A hashed bundle file: kept for a year, never asked again.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A site file whose name stays across builds: asked again each time.
pub const REVALIDATE: &str = "no-cache";
/// A server-rendered page: the reader's browser only, asked again.
pub const PAGE: &str = "private, no-cache";
/// An avatar: the reader's browser only, kept for a year.
pub const UPLOAD: &str = "private, max-age=31536000, immutable";
/// Anything else: not kept.
pub const NO_STORE: &str = "no-store";

/// Length of the hash cargo-leptos puts in a file name: an MD5 digest in
/// unpadded URL-safe base64.
const HASH_LEN: usize = 22;

/// The policy of the site file at `path` that was found (200, 206 or
/// 304): [`IMMUTABLE`] for a hashed file under `/<pkg_dir>/`, else
/// [`REVALIDATE`].
pub fn for_file(path: &str, pkg_dir: &str) -> HeaderValue {
    let in_pkg = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(pkg_dir.trim_matches('/')))
        .is_some_and(|rest| rest.starts_with('/'));
    let name = path.rsplit('/').next().unwrap_or_default();
    HeaderValue::from_static(if in_pkg && is_content_hashed(name) {
        IMMUTABLE
    } else {
        REVALIDATE
    })
}

/// Whether `name` is `<stem>.<hash>.<extension>` as cargo-leptos names a
/// hashed file.
pub fn is_content_hashed(name: &str) -> bool {
    let mut parts = name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == HASH_LEN
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware: an answer without `Cache-Control` gets [`PAGE`] if it is
/// HTML, else [`NO_STORE`].
pub async fn apply(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::SWITCHING_PROTOCOLS
        || response.headers().contains_key(CACHE_CONTROL)
    {
        return response;
    }
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if html { PAGE } else { NO_STORE };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "AbCdEfGhIjKlMnOpQrSt_-";

    #[test]
    fn only_hashed_names_under_pkg_are_immutable() {
        assert_eq!(
            for_file(&format!("/pkg/tidings.{HASH}.wasm"), "pkg"),
            IMMUTABLE
        );
        assert_eq!(for_file(&format!("/pkg/a/b.{HASH}.js"), "/pkg"), IMMUTABLE);
        assert_eq!(for_file("/pkg/tidings.wasm", "pkg"), REVALIDATE);
        assert_eq!(for_file(&format!("/favicon.{HASH}.svg"), "pkg"), REVALIDATE);
        assert_eq!(for_file(&format!("/pkgs/x.{HASH}.js"), "pkg"), REVALIDATE);
    }

    #[test]
    fn a_hash_is_22_url_safe_base64_characters_between_stem_and_extension() {
        assert!(is_content_hashed(&format!("tidings.{HASH}.css")));
        assert!(!is_content_hashed(&format!("{HASH}.css")));
        assert!(!is_content_hashed(&format!(".{HASH}.css")));
        assert!(!is_content_hashed("tidings.AbCdEfGhIjKlMnOpQrSt.css"));
        assert!(!is_content_hashed("tidings.AbCdEfGhIjKlMnOpQrS+/.css"));
        assert!(!is_content_hashed("tidings.css"));
    }
}
