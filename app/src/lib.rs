//! Tidings UI. Rendered on the server with the `ssr` feature, hydrated in
//! the browser with `hydrate` (never both). Data comes through the
//! [`api::Api`] trait, whose implementation the host provides.

// Hydrating after the page's code has loaded (`hydrate_lazy`) lays out a
// future holding the whole app's view type: unless components are erased
// (`--cfg erase_components`, as the site builds), deeper than the default
// limit.
#![recursion_limit = "256"]

pub mod api;
mod app;
pub mod components;
#[cfg(feature = "hydrate")]
pub mod js_object;
pub mod keys;
pub mod offline;
pub mod pages;
pub mod query;
pub mod realtime;
mod routes;
pub mod session;
#[cfg(feature = "hydrate")]
pub mod web_locks;

pub use app::{shell, App};

/// Browser entry point: provides the HTTP API (with the session) and
/// hydrates the page once the code of the page it shows is loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(|| {
        session::provide_api();
        leptos::view! { <App/> }
    });
}
