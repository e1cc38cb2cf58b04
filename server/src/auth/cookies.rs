//! The two auth cookies: `tidings_access` (the access token, for every
//! path, so server rendering and the socket know the reader) and
//! `tidings_refresh` (the opaque refresh token, sent to `/api/auth` only).
//! Both are HttpOnly and SameSite=Strict; `Secure` when configured.

use axum::http::{header, HeaderMap, HeaderValue};

pub const ACCESS: &str = "tidings_access";
pub const REFRESH: &str = "tidings_refresh";

/// Where the refresh cookie is sent.
const REFRESH_PATH: &str = "/api/auth";

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
    cookie(ACCESS, token, "/", max_age, secure)
}

/// `Set-Cookie` for the refresh token.
pub fn refresh(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    cookie(REFRESH, token, REFRESH_PATH, max_age, secure)
}

/// `Set-Cookie` headers removing both cookies.
pub fn cleared(secure: bool) -> [HeaderValue; 2] {
    [
        cookie(ACCESS, "", "/", 0, secure),
        cookie(REFRESH, "", REFRESH_PATH, 0, secure),
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
        assert_eq!(read(&headers, ACCESS), Some("tok"));
        assert_eq!(read(&headers, REFRESH), Some("r"));
        assert_eq!(read(&headers, "b"), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_request() {
        assert_eq!(
            refresh("r", 2_592_000, false),
            "tidings_refresh=r; HttpOnly; SameSite=Strict; Path=/api/auth; Max-Age=2592000"
        );
        assert_eq!(
            access("t", 900, true),
            "tidings_access=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=900; Secure"
        );
    }
}
