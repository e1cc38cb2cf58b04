//! The app shell offline (feature `hydrate`): registers the service worker
//! (`public/sw.js`) for this build, tells it what the page loaded (the
//! bundle and the page itself) so a reload of a visited page works with
//! no network, and, on a page rendered for nobody (signed out), deletes
//! the pages it kept: they hold the last user's data.

use wasm_bindgen::JsValue;

use crate::js_object::{call, get, settle};

/// The worker's script, at the root so it serves every page.
const WORKER: &str = "/sw.js";
/// The worker's cache of visited pages (see `public/sw.js`).
const PAGES_CACHE: &str = "tidings-pages";

/// Keeps this page for offline use when it was rendered for `signed_in`
/// user, else forgets every page kept (in the background).
pub fn keep_for_offline(signed_in: bool) {
    leptos::task::spawn_local(async move {
        let done = if signed_in {
            register().await
        } else {
            forget_pages().await
        };
        if done.is_none() {
            leptos::logging::log!("the page was not kept for offline use");
        }
    });
}

/// Same-origin files this page loaded, but the API's.
fn loaded_files(window: &JsValue) -> Vec<String> {
    let origin = get(window, "location")
        .and_then(|l| get(&l, "origin"))
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    let entries = get(window, "performance")
        .and_then(|p| call(&p, "getEntriesByType", &[JsValue::from_str("resource")]))
        .map(|list| js_sys::Array::from(&list))
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| get(&entry, "name")?.as_string())
        .filter(|url| url.starts_with(&origin) && !url[origin.len()..].starts_with("/api/"))
        .collect()
}

/// The bundle's content-hashed name among `files`: it stands for the
/// build.
fn build_of(files: &[String]) -> String {
    files
        .iter()
        .find(|url| url.contains("/pkg/") && url.ends_with(".js"))
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or("unhashed")
        .to_owned()
}

/// The build this page runs: what is kept for it is read by it alone.
pub fn build_id() -> String {
    web_sys::window().map_or_else(String::new, |window| {
        build_of(&loaded_files(&window.into()))
    })
}

async fn register() -> Option<()> {
    let window: JsValue = web_sys::window()?.into();
    let workers = get(&window, "navigator").and_then(|n| get(&n, "serviceWorker"))?;
    let files = loaded_files(&window);
    let build = build_of(&files);
    let script = format!("{WORKER}?build={}", js_sys::encode_uri_component(&build));
    settle(call(&workers, "register", &[JsValue::from_str(&script)])?).await?;
    let registration = settle(get(&workers, "ready")?).await?;
    let active = get(&registration, "active")?;
    let message = js_sys::Object::new();
    let page = get(&window, "location").and_then(|l| get(&l, "href"))?;
    let shell: js_sys::Array = files.iter().map(|f| JsValue::from_str(f)).collect();
    for (key, value) in [
        ("kind", JsValue::from_str("keep")),
        ("shell", shell.into()),
        ("page", page),
    ] {
        js_sys::Reflect::set(&message, &JsValue::from_str(key), &value).ok()?;
    }
    call(&active, "postMessage", &[message.into()])?;
    Some(())
}

async fn forget_pages() -> Option<()> {
    let window: JsValue = web_sys::window()?.into();
    let caches = get(&window, "caches")?;
    settle(call(&caches, "delete", &[JsValue::from_str(PAGES_CACHE)])?).await?;
    Some(())
}
