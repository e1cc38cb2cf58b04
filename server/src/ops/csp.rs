//! Content-Security-Policy.
//!
//! Server-rendered pages get a policy built around the nonce that
//! leptos_axum draws for each render (`leptos::nonce::use_nonce`), which
//! Leptos also puts on every inline script it writes: the hydration
//! module script, resource and streaming chunks. So no `'unsafe-inline'`
//! for scripts; `'wasm-unsafe-eval'` lets the page compile its WASM.
//! Styles come from our own stylesheet; `'unsafe-inline'` stays allowed
//! for styles only (style attributes cannot carry a nonce). Under
//! `cargo leptos watch` (`LEPTOS_WATCH` set) the live-reload socket on its
//! own port is allowed too.
//!
//! The service worker's script ([`WORKER_PATH`]) gets [`WORKER_POLICY`]:
//! the worker may fetch from the site itself, nothing else. Every other
//! response (JSON, static files, the metrics) gets [`DEFAULT_POLICY`],
//! which allows nothing to load or frame it.
//!
//! The page's nonce reaches the response through [`PageNonce`], a slot
//! the security-headers layer puts on the request and fills in on the
//! way out, not through leptos_axum's `ResponseOptions`: a header set
//! there was now and then missing from the response (a page reloaded
//! right after it hydrated came back with the default policy, so the
//! browser refused its scripts and the page never came alive).

use std::sync::{Arc, Mutex};

use axum::http::request::Parts;
use axum::http::HeaderValue;
use leptos::prelude::use_context;

/// The policy of every response that is not a rendered page.
pub const DEFAULT_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Where the app's service worker script is served (`public/sw.js`).
pub const WORKER_PATH: &str = "/sw.js";

/// The policy of the service worker's script, which governs what the
/// worker may fetch: the site's own pages and bundle, nothing else.
pub const WORKER_POLICY: &str =
    "default-src 'none'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of a rendered page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str, live_reload: bool) -> String {
    let connect = if live_reload {
        "'self' ws: wss:"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; \
         font-src 'self'; \
         connect-src {connect}; \
         object-src 'none'; \
         base-uri 'self'; \
         form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The nonce of the page a request renders, if it renders one: filled in
/// by [`provide_page_policy`] during the render, read by the
/// security-headers layer once the handler has answered.
#[derive(Debug, Clone, Default)]
pub struct PageNonce(Arc<Mutex<Option<String>>>);

impl PageNonce {
    /// The page's policy, when a page was rendered.
    pub fn policy(&self) -> Option<HeaderValue> {
        let nonce = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        let live_reload = std::env::var_os("LEPTOS_WATCH").is_some();
        HeaderValue::from_str(&page_policy(&nonce, live_reload)).ok()
    }
}

/// Called in the server-rendering context of each page: records the
/// page's nonce for its response. Does nothing outside a page render (no
/// nonce, as for a static file), where [`DEFAULT_POLICY`] applies.
pub fn provide_page_policy() {
    let (Some(nonce), Some(parts)) = (leptos::nonce::use_nonce(), use_context::<Parts>()) else {
        return;
    };
    if let Some(slot) = parts.extensions.get::<PageNonce>() {
        *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(nonce.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_the_nonce_and_wasm_only() {
        let policy = page_policy("abc", false);
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("connect-src 'self';"));
        assert!(page_policy("abc", true).contains("connect-src 'self' ws: wss:;"));
        assert!(HeaderValue::from_str(&policy).is_ok());
    }
}
