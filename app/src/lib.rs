//! Tidings UI. Rendered on the server with the `ssr` feature, hydrated in
//! the browser with `hydrate` (never both). Data comes through the
//! [`api::Api`] trait, whose implementation the host provides.

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
pub mod session;
#[cfg(feature = "hydrate")]
pub mod web_locks;

pub use app::{shell, App};

/// Browser entry point: provides the HTTP API (with the session) and
/// hydrates the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(|| {
        session::provide_api();
        leptos::view! { <App/> }
    });
}
