//! Frame around every page: the header with navigation, the search box,
//! the users count and the connection status, the offline banner; and
//! the 404 page.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::account_menu::AccountMenu;
use super::search::SiteSearch;
use super::status::{ConnectionBadge, OfflineBanner};
use crate::pages::users::UsersCount;

#[component]
pub fn Header() -> impl IntoView {
    let location = use_location();
    let current = move |prefix: &'static str| {
        let path = location.pathname.get();
        let here = if prefix == "/users" {
            path == "/" || path.starts_with(prefix)
        } else {
            path.starts_with(prefix)
        };
        if here {
            "page"
        } else {
            "false"
        }
    };
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Tidings"</a>
            <nav aria-label="Main">
                <a href="/users" data-testid="nav-users" aria-current=move || current("/users")>"Users"</a>
                <a href="/posts" data-testid="nav-posts" aria-current=move || current("/posts")>"Posts"</a>
            </nav>
            // The sign-in page is for visitors: nothing there to search or
            // count, and no live connection to report.
            <Show when=move || location.pathname.get() != "/login">
                <SiteSearch/>
                <div class="header-status">
                    <UsersCount/>
                    <ConnectionBadge/>
                </div>
            </Show>
            <AccountMenu/>
        </header>
        <OfflineBanner/>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the users"</a></p>
        </section>
    }
}
