//! DOM helpers shared by the browser test files.
#![cfg(target_arch = "wasm32")]
#![allow(dead_code)]

use wasm_bindgen::JsCast;

/// A fresh element in the page to mount into.
pub fn host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

/// The text of the element with `data-testid` under `root`, if any.
pub fn text(root: &web_sys::HtmlElement, testid: &str) -> Option<String> {
    root.query_selector(&format!("[data-testid={testid}]"))
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
}
