//! The two auth cookies: `tidings_access` (the access token, for every
//! path, so server rendering and the socket know the reader) and
//! `tidings_refresh` (the opaque refresh token, sent to `/api/auth` only).
//! Both are HttpOnly and SameSite=Strict.
//!
//! With `--secure-cookies` (a site served over HTTPS) they are `Secure` and
//! named `__Host-tidings_access` and `__Host-tidings_refresh`: a browser
//! takes a `__Host-` cookie only from this very host, over HTTPS, for the
//! whole site, so a sibling subdomain cannot plant or shadow one. The
//! prefix requires `Path=/`, so there the refresh cookie goes with every
//! request to the site (still only `/api/auth` reads it).

use axum::http::{header, HeaderMap, HeaderValue};

/// The cookies' names and the refresh cookie's path, with or without
/// `--secure-cookies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    pub access: &'static str,
    pub refresh: &'static str,
    refresh_path: &'static str,
}

/// The names for a site with (`secure`) or without `--secure-cookies`.
pub fn names(secure: bool) -> Names {
    if secure {
        Names {
            access: "__Host-tidings_access",
            refresh: "__Host-tidings_refresh",
            refresh_path: "/",
        }
    } else {
        Names {
            access: "tidings_access",
            refresh: "tidings_refresh",
            refresh_path: "/api/auth",
        }
    }
}

/// The value of the cookie `name` in a request's `Cookie` headers.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{secure}"
    ))
    .expect("tokens are URL-safe text")
}

/// `Set-Cookie` for the access token.
pub fn access(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    cookie(names(secure).access, token, "/", max_age, secure)
}

/// `Set-Cookie` for the refresh token.
pub fn refresh(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let names = names(secure);
    cookie(names.refresh, token, names.refresh_path, max_age, secure)
}

/// `Set-Cookie` headers removing both cookies.
pub fn cleared(secure: bool) -> [HeaderValue; 2] {
    let names = names(secure);
    [
        cookie(names.access, "", "/", 0, secure),
        cookie(names.refresh, "", names.refresh_path, 0, secure),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; tidings_access=tok"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("tidings_refresh=r"),
        );
        let plain = names(false);
        assert_eq!(read(&headers, plain.access), Some("tok"));
        assert_eq!(read(&headers, plain.refresh), Some("r"));
        assert_eq!(read(&headers, names(true).access), None);
        assert_eq!(read(&headers, "b"), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_request() {
        assert_eq!(
            refresh("r", 2_592_000, false),
            "tidings_refresh=r; HttpOnly; SameSite=Strict; Path=/api/auth; Max-Age=2592000"
        );
        assert_eq!(
            access("t", 900, false),
            "tidings_access=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=900"
        );
    }

    #[test]
    fn secure_cookies_are_host_only() {
        assert_eq!(
            access("t", 900, true),
            "__Host-tidings_access=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=900; Secure"
        );
        assert_eq!(
            refresh("r", 60, true),
            "__Host-tidings_refresh=r; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure"
        );
        for cleared in cleared(true) {
            let text = cleared.to_str().unwrap();
            assert!(
                text.starts_with("__Host-") && text.contains("Max-Age=0"),
                "{text}"
            );
        }
    }
}
