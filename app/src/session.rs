//! The browser's session: the API client every page uses carries a
//! [`TokenSession`] whose refresh is `POST /api/auth/refresh` (made on a
//! client without a session, so it never waits for itself), and a failed
//! refresh sends the reader to the sign-in page, which brings them back.
//!
//! Until the first refresh the session holds no token: requests travel
//! with the `tidings_access` cookie the server set at sign-in, and the
//! first 401 after it expires trades the refresh cookie for a Bearer
//! token.
//!
//! Tabs of one browser refresh once between them: a refresh holds a Web
//! Lock, and a tab that gets the lock just after another tab refreshed
//! first checks the session the browser's cookie now holds (`GET
//! /api/auth/me`); when it works, it refreshes nothing. (The server also answers a just-rotated refresh token
//! with the same successor for a short while, so two racing refreshes
//! never sign anyone out.)
//!
//! The realtime socket follows the session ([`wire_realtime`]): each fresh
//! token is presented on the open socket (`auth`), a socket the server
//! closed for an expired token or an old role makes the session refresh
//! (through the API client, so one refresh serves every waiting request),
//! and one closed because the session ended sends the reader to sign in.

use crate::realtime::{RealtimeHandle, RealtimeOptions};

/// Where to go after signing in: `next` when it is a path on this site
/// (not another origin, not the sign-in page itself), else the home page.
/// A path holding whitespace, control characters or a backslash is
/// refused whole: browsers drop tabs and newlines from a URL and read `\`
/// as `/`, so `/\t/evil.example` would leave the site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/login")
                && !path
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The sign-in page's address, coming back to `path` afterwards.
pub fn sign_in_path(path: &str) -> String {
    let mut next = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            next.push(char::from(byte));
        } else {
            next.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("/login?next={next}")
}

/// Who the page is rendered for, provided by the server for each signed-in
/// page render (whose offline outbox the page loads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn(pub uuid::Uuid);

/// The signed-in user the page was rendered for, carried from the
/// server's context into the hydrating browser; `None` on pages rendered
/// for nobody (signing in). Call it once, in the same place on both sides
/// (it takes a hydration slot).
pub fn signed_in() -> Option<uuid::Uuid> {
    leptos::prelude::SharedValue::new(|| leptos::prelude::use_context::<SignedIn>().map(|s| s.0))
        .into_inner()
}

/// The newest access token a refresh gave, in context (browser only).
#[derive(Clone)]
pub struct FreshToken(pub leptos::prelude::ArcRwSignal<Option<String>>);

#[cfg(feature = "hydrate")]
mod browser {
    use std::rc::Rc;

    use futures::FutureExt;
    use leptos::prelude::*;

    use super::FreshToken;
    use crate::api::http::HttpApi;
    use crate::api::{ApiError, ApiHandle, TokenSession};
    use crate::query::QueryClientHandle;
    use crate::realtime::{RealtimeHandle, RealtimeOptions, SessionNeed};
    use crate::web_locks::{self, Wait};

    /// The Web Lock a refresh holds: tabs refused together refresh once.
    const REFRESH_LOCK: &str = "tidings.session.refresh";
    /// When a tab of this browser last refreshed the session (ms since the
    /// epoch; no secret).
    const REFRESHED_AT: &str = "tidings.session.refreshed-at";
    /// How long after a refresh another tab first checks whether the
    /// session in the cookie works before refreshing itself.
    const SHARED_FOR_MS: f64 = 10_000.0;

    fn refreshed_since(at: f64) -> bool {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(REFRESHED_AT).ok().flatten())
            .and_then(|t| t.parse::<f64>().ok())
            .is_some_and(|refreshed| refreshed > at)
    }

    fn mark_refreshed() {
        if let Some(store) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = store.set_item(REFRESHED_AT, &js_sys::Date::now().to_string());
        }
    }

    /// A client without a session, for the session's own calls.
    pub fn plain_api() -> HttpApi {
        HttpApi::default()
    }

    /// Leaves the session's page for `path`, forgetting what `client`
    /// holds first: a page brought back from the browser's history shows
    /// none of the ended session's data (and fetches nothing: the
    /// forgotten queries have no fetcher any more).
    pub fn leave(client: Option<&QueryClientHandle>, path: &str) {
        if let Some(client) = client {
            client.clear();
        }
        go_to(path);
    }

    /// Loads `path` as a new page (the server renders it for the new
    /// session).
    pub fn go_to(path: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(path);
        }
    }

    /// The current path and query, to come back to.
    pub fn here() -> String {
        web_sys::window()
            .and_then(|w| {
                let l = w.location();
                Some(format!("{}{}", l.pathname().ok()?, l.search().ok()?))
            })
            .unwrap_or_else(|| "/".to_owned())
    }

    /// Provides the pages' API: the standard client with the session,
    /// and the [`FreshToken`] its refreshes give.
    pub fn provide_api() {
        let refresher = plain_api();
        let fresh = ArcRwSignal::new(None::<String>);
        provide_context(FreshToken(fresh.clone()));
        let session = TokenSession::new(
            move || {
                let (refresher, fresh) = (refresher.clone(), fresh.clone());
                let turn = web_locks::exclusive(REFRESH_LOCK, Wait::Turn, move || async move {
                    // Another tab refreshed a moment ago: if the browser's
                    // cookie holds a session that works, use it.
                    if refreshed_since(js_sys::Date::now() - SHARED_FOR_MS)
                        && refresher.client().me().await.is_ok()
                    {
                        return Ok(None);
                    }
                    let token = refresher.client().refresh().await?.access_token;
                    mark_refreshed();
                    fresh.set(Some(token.clone()));
                    Ok(Some(token))
                });
                async move { turn.await.unwrap_or(Err(ApiError::Aborted)) }.boxed_local()
            },
            |_| {
                let here = here();
                // Reading who is signed in on the sign-in page is refused
                // too: that is not a session to end.
                if !here.starts_with("/login") {
                    go_to(&super::sign_in_path(&here));
                }
            },
        );
        let builder = HttpApi::default_builder().session(Rc::new(session));
        ApiHandle::new(HttpApi::with_builder("", builder)).provide();
    }

    /// See [`super::wire_realtime`].
    pub fn wire_realtime(options: RealtimeOptions) -> RealtimeOptions {
        let Some(FreshToken(fresh)) = use_context::<FreshToken>() else {
            return options;
        };
        let api = use_context::<ApiHandle>();
        let client = use_context::<QueryClientHandle>();
        options
            .token(move || fresh.get_untracked())
            .on_session(move |need| match need {
                SessionNeed::Refresh => {
                    if let Some(api) = &api {
                        // Any signed-in call: on 401 the client refreshes
                        // once for every waiting request.
                        let me = api.0.me();
                        leptos::task::spawn_local(async move {
                            let _ = me.await;
                        });
                    }
                }
                SessionNeed::Ended => {
                    let here = here();
                    if !here.starts_with("/login") {
                        leave(client.as_ref(), &super::sign_in_path(&here));
                    }
                }
            })
    }

    /// See [`super::follow_refreshes`].
    pub fn follow_refreshes(realtime: &RealtimeHandle) {
        let Some(FreshToken(fresh)) = use_context::<FreshToken>() else {
            return;
        };
        let realtime = realtime.clone();
        Effect::new(move |_| {
            if let Some(token) = fresh.get() {
                realtime.reauthenticate(token);
            }
        });
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{go_to, here, leave, plain_api, provide_api};

/// The realtime options with the session's part: the socket signs in with
/// the newest token, refreshes the session when the server closed it for
/// an expired token or an old role, and sends the reader to sign in when
/// the session ended. Unchanged outside the browser.
pub fn wire_realtime(options: RealtimeOptions) -> RealtimeOptions {
    #[cfg(feature = "hydrate")]
    return browser::wire_realtime(options);
    #[cfg(not(feature = "hydrate"))]
    options
}

/// Presents each fresh token the session gets on the open socket, so the
/// server keeps it open past the old token's expiry. Nothing outside the
/// browser.
pub fn follow_refreshes(realtime: &RealtimeHandle) {
    #[cfg(feature = "hydrate")]
    browser::follow_refreshes(realtime);
    #[cfg(not(feature = "hydrate"))]
    let _ = realtime;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/posts?x=1")), "/posts?x=1");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example/"),
            Some("//evil.example/"),
            Some("/\\evil.example"),
            Some("/\t/evil.example/"),
            Some("/\n/evil.example/"),
            Some("/\r//evil.example/"),
            Some("/ /evil.example/"),
            Some("/posts\\..\\/evil.example"),
            Some("/login?next=/posts"),
            Some("posts"),
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn the_way_back_is_encoded() {
        assert_eq!(
            sign_in_path("/posts?a=1&b=2"),
            "/login?next=/posts%3Fa%3D1%26b%3D2"
        );
    }
}
