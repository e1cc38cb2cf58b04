//! Cross-origin requests (CORS). Same-origin by default: no CORS headers
//! at all, and a preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) from any origin is refused with 403
//! (`cors_forbidden`). Since every write of the API needs a preflight when
//! it comes from another origin (JSON bodies, `PATCH`, `DELETE`), pages
//! elsewhere cannot write, and without `Access-Control-Allow-Origin` they
//! cannot read either.
//!
//! Origins named in the configuration (`--cors-origin`,
//! `TIDINGS_CORS_ORIGINS`) are allowed: their preflights are answered and
//! their requests get the CORS headers, credentials included (the refresh
//! token is a cookie).
//!
//! What needs no preflight is checked here too: a write (`POST`, `PUT`,
//! `PATCH`, `DELETE`) and the realtime socket's upgrade that carry an
//! `Origin` other than the site's own (the `Host` the request was sent to)
//! or an allowed one are refused with 403 (`forbidden_origin`), so a page
//! elsewhere can neither post a form or a multipart upload with the user's
//! cookies, nor read the event stream (cross-site WebSocket hijacking).
//! Requests without `Origin` (non-browser clients) pass.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::header::{
    ACCESS_CONTROL_REQUEST_METHOD, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, ORIGIN,
    RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::request_id::X_REQUEST_ID;
use crate::error::ApiError;

/// The origins allowed to call across origins; empty means same-origin
/// only.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    origins: Arc<[HeaderValue]>,
}

impl CorsPolicy {
    /// Reads the configured origins (`scheme://host[:port]`, as a browser
    /// sends them in `Origin`); blank entries are skipped.
    pub fn parse(origins: &[String]) -> Result<Self, String> {
        let origins = origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(normalize)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            origins: origins.into(),
        })
    }

    pub fn origins(&self) -> &[HeaderValue] {
        &self.origins
    }

    pub fn allows(&self, origin: &HeaderValue) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// `Ok` unless `headers` carry an `Origin` that is neither the site's
    /// own (`http(s)://` + the `Host` header) nor an allowed one.
    pub fn check_origin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(origin) = headers.get(ORIGIN) else {
            return Ok(());
        };
        let own = headers.get(HOST).and_then(|h| h.to_str().ok());
        let same_site = match (origin.to_str().ok(), own) {
            (Some(origin), Some(host)) => origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
            _ => false,
        };
        if same_site || self.allows(origin) {
            Ok(())
        } else {
            Err(ApiError::ForeignOrigin(
                "requests from pages of another origin may not act on this site".into(),
            ))
        }
    }

    /// The layer answering the allowed origins, if there are any.
    pub fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.origins.iter().cloned()))
                .allow_methods([
                    Method::GET,
                    Method::HEAD,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    CONTENT_TYPE,
                    AUTHORIZATION,
                    IF_MATCH,
                    HeaderName::from_static("idempotency-key"),
                    X_REQUEST_ID,
                ])
                .expose_headers([ETAG, LOCATION, RETRY_AFTER, X_REQUEST_ID])
                .allow_credentials(true)
                .max_age(Duration::from_secs(600)),
        )
    }
}

/// An origin as browsers serialize it: lower case, no path, no default
/// port.
fn normalize(raw: &str) -> Result<HeaderValue, String> {
    let bad = |why: &str| format!("CORS origin {raw:?}: {why}");
    let uri: axum::http::Uri = raw.parse().map_err(|_| bad("not a URL"))?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "http" || s == "https")
        .ok_or_else(|| bad("the scheme must be http or https"))?;
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("an origin has no user information"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(bad("an origin has no path or query"));
    }
    let host = authority.host().to_ascii_lowercase();
    let origin = match (scheme.as_str(), authority.port_u16()) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => format!("{scheme}://{host}"),
        (_, Some(port)) => format!("{scheme}://{host}:{port}"),
    };
    HeaderValue::from_str(&origin).map_err(|_| bad("not a valid header value"))
}

/// Middleware: refuses the preflights of origins not allowed (all of them
/// when none are configured), before the CORS layer would answer them.
pub async fn refuse_foreign_preflights(
    State(policy): State<CorsPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let preflight =
        request.method() == Method::OPTIONS && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    match headers.get(ORIGIN) {
        Some(origin) if preflight && !policy.allows(origin) => super::error_response(
            StatusCode::FORBIDDEN,
            "cors_forbidden",
            "cross-origin requests from this origin are not allowed",
        ),
        _ => next.run(request).await,
    }
}

/// Middleware: refuses writes from pages of foreign origins (see the
/// module's comment).
pub async fn refuse_foreign_writes(
    State(policy): State<CorsPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if write {
        if let Err(refused) = policy.check_origin(request.headers()) {
            return refused.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sites_own_and_allowed_origins_pass() {
        let policy = CorsPolicy::parse(&["https://app.example".to_owned()]).unwrap();
        let headers = |origin: Option<&'static str>| {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_static("127.0.0.1:3000"));
            if let Some(origin) = origin {
                h.insert(ORIGIN, HeaderValue::from_static(origin));
            }
            h
        };
        for passes in [
            None,
            Some("http://127.0.0.1:3000"),
            Some("https://127.0.0.1:3000"),
            Some("https://app.example"),
        ] {
            assert!(policy.check_origin(&headers(passes)).is_ok(), "{passes:?}");
        }
        for refused in [
            "http://evil.example",
            "http://127.0.0.1:3001",
            "null",
            "http://127.0.0.1:3000.evil.example",
        ] {
            assert!(
                policy.check_origin(&headers(Some(refused))).is_err(),
                "{refused}"
            );
        }
    }

    fn parse(origins: &[&str]) -> Result<Vec<String>, String> {
        let owned: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
        CorsPolicy::parse(&owned).map(|p| {
            p.origins()
                .iter()
                .map(|o| o.to_str().unwrap().to_owned())
                .collect()
        })
    }

    #[test]
    fn origins_are_read_as_browsers_send_them() {
        assert_eq!(
            parse(&[
                "https://Admin.Example.com/",
                " http://localhost:8080 ",
                "",
                "https://x.test:443"
            ])
            .unwrap(),
            [
                "https://admin.example.com",
                "http://localhost:8080",
                "https://x.test"
            ]
        );
        assert!(parse(&[]).unwrap().is_empty());
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://example.com/app",
            "https://u@example.com",
            "https://example.com/?q",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_origins_no_layer() {
        assert!(CorsPolicy::default().layer().is_none());
        let policy = CorsPolicy::parse(&["https://a.test".to_owned()]).unwrap();
        assert!(policy.layer().is_some());
        assert!(policy.allows(&HeaderValue::from_static("https://a.test")));
        assert!(!policy.allows(&HeaderValue::from_static("https://b.test")));
    }
}
