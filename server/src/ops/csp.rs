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
//! Every other response (JSON, static files, the metrics) gets
//! [`DEFAULT_POLICY`], which allows nothing to load or frame it.

use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::HeaderValue;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy of every response that is not a rendered page.
pub const DEFAULT_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

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

/// Called in the server-rendering context of each page: sets the page's
/// policy on its response. Does nothing outside a page render (no nonce
/// or no response options), where [`DEFAULT_POLICY`] applies.
pub fn provide_page_policy() {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    let live_reload = std::env::var_os("LEPTOS_WATCH").is_some();
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce.to_string(), live_reload)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
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
