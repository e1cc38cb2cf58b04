//! The browser side of the pipeline's runtime: `setTimeout` sleeps (that
//! clear their timer when dropped), the wall clock, the console as a log
//! sink, a bridge from a DOM `AbortSignal` to a [`CancelToken`], and the
//! way to the sign-in page.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::cancel::CancelToken;
use super::pipeline::Runtime;

#[wasm_bindgen]
extern "C" {
    // The global functions, present in windows and workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, timeout: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Clears its timer when dropped (harmless once it fired).
struct Timer(Rc<RefCell<Option<JsValue>>>);

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some(handle) = self.0.borrow_mut().take() {
            clear_timeout(&handle);
        }
    }
}

/// Resolves after `duration`; dropping it clears the timer.
pub fn sleep(duration: Duration) -> impl Future<Output = ()> {
    let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let handle = Rc::new(RefCell::new(None));
    let slot = handle.clone();
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        *slot.borrow_mut() = Some(set_timeout(&resolve, ms));
    });
    let timer = Timer(handle);
    async move {
        let _ = JsFuture::from(promise).await;
        drop(timer);
    }
}

/// Timers and the clock of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserRuntime;

impl Runtime for BrowserRuntime {
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        sleep(duration).boxed_local()
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// A log sink writing to the console at debug level.
pub fn console_debug(line: &str) {
    web_sys::console::debug_1(&JsValue::from_str(line));
}

/// Leaves for the sign-in page (a full navigation: nothing of the ended
/// session stays in memory). The usual failure callback of a session.
pub fn go_to_login() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href("/login");
    }
}

/// A token cancelled when `signal` aborts, for callers that hold a DOM
/// `AbortSignal`. Its listener lives as long as the signal does; for a
/// signal that may never abort, prefer a [`CancelToken`] of your own.
pub fn cancel_on_abort(signal: &web_sys::AbortSignal) -> CancelToken {
    let token = CancelToken::new();
    if signal.aborted() {
        token.cancel();
        return token;
    }
    let on_abort = {
        let token = token.clone();
        Closure::once_into_js(move || token.cancel())
    };
    if signal
        .add_event_listener_with_callback("abort", on_abort.unchecked_ref())
        .is_err()
    {
        // Without a listener the signal cannot reach the token: say so
        // rather than let the call run uncancellable.
        web_sys::console::warn_1(&JsValue::from_str(
            "api: could not listen to an AbortSignal",
        ));
    }
    token
}
