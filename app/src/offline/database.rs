//! Opening an IndexedDB database and waiting for its requests (feature
//! `hydrate`): what the outbox (`indexed_db.rs`) and the kept cache
//! (`persisted_cache.rs`) share.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbObjectStoreParameters, IdbRequest};

/// Waits for `request` to succeed; its result.
pub async fn settled(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(done).await?;
    request.result()
}

/// The browser's IndexedDB.
pub fn factory() -> Result<IdbFactory, JsValue> {
    web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or_else(|| "no IndexedDB".into())
}

/// Opens database `name`, creating it the first time with one object
/// store, `store`, whose records are keyed by their field `key_path`
/// (`None`: by the key each write names).
pub async fn open(
    name: &str,
    store: &'static str,
    key_path: Option<&'static str>,
) -> Result<IdbDatabase, JsValue> {
    let request = factory()?.open_with_u32(name, 1)?;
    let creating = request.clone();
    let upgrade = Closure::once_into_js(move |_: JsValue| {
        let created = creating
            .result()
            .and_then(|db| db.dyn_into::<IdbDatabase>())
            .and_then(|db| {
                let parameters = IdbObjectStoreParameters::new();
                if let Some(path) = key_path {
                    parameters.set_key_path(&path.into());
                }
                db.create_object_store_with_optional_parameters(store, &parameters)
            });
        if let Err(e) = created {
            leptos::logging::warn!("could not create the object store {store}: {e:?}");
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    settled(&request).await?.dyn_into()
}
