//! Browser APIs web-sys does not bind (feature `hydrate`): a property read
//! and a method called by name, and a promise awaited, each `None` where
//! the browser lacks it (so a caller can go without).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Property `name` of `target`, unless undefined or null.
pub fn get(target: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Calls method `name` of `target` with `args`; what it returned.
pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let f: js_sys::Function = get(target, name)?.dyn_into().ok()?;
    let args: js_sys::Array = args.iter().collect();
    f.apply(target, &args).ok()
}

/// Waits for `promise`; its value, `None` if it was rejected.
pub async fn settle(promise: JsValue) -> Option<JsValue> {
    JsFuture::from(promise.dyn_into::<js_sys::Promise>().ok()?)
        .await
        .ok()
}
