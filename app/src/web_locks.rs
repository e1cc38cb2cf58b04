//! The Web Locks API (feature `hydrate`): how the tabs of one browser take
//! turns. A lock of one name is held by one tab at a time; the browser
//! gives it up when the tab goes. Used for the tab that holds the realtime
//! socket, the tab that replays an outbox, and the tab that refreshes the
//! session. Where the API is missing, each tab goes alone.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::js_object::get;

/// `navigator.locks.request`, bound to `navigator.locks`.
fn request_fn() -> Option<(JsValue, js_sys::Function)> {
    let window: JsValue = web_sys::window()?.into();
    let locks = get(&window, "navigator").and_then(|n| get(&n, "locks"))?;
    let request = get(&locks, "request")?.dyn_into().ok()?;
    Some((locks, request))
}

/// A lock this tab holds (or waits for) until [`Held::release`].
pub struct Held {
    /// Resolves the promise the lock is held by, once granted.
    release: Rc<RefCell<Option<js_sys::Function>>>,
    /// Set when given up: a grant that comes later is returned at once.
    given_up: Rc<Cell<bool>>,
}

impl Held {
    /// Gives the lock up (or the wait for it).
    pub fn release(&self) {
        self.given_up.set(true);
        if let Some(resolve) = self.release.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Waits for lock `name` and keeps it; `granted` runs when this tab gets
/// it. `None` where the browser has no Web Locks.
pub fn hold(name: &str, granted: impl FnOnce() + 'static) -> Option<Held> {
    let (locks, request) = request_fn()?;
    let release = Rc::new(RefCell::new(None::<js_sys::Function>));
    let given_up = Rc::new(Cell::new(false));
    let (held, gone) = (release.clone(), given_up.clone());
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        if gone.get() {
            return js_sys::Promise::resolve(&JsValue::UNDEFINED).into();
        }
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            *held.borrow_mut() = Some(resolve);
        });
        granted();
        promise.into()
    });
    request
        .call2(&locks, &JsValue::from_str(name), &callback)
        .ok()?;
    Some(Held { release, given_up })
}

/// How [`exclusive`] waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until the lock is free.
    Turn,
    /// Not at all: another tab holding it means `work` does not run.
    IfFree,
}

/// Runs `work` while holding lock `name`, so no other tab runs work under
/// the same name meanwhile; its output, or `None` when `wait` is
/// [`Wait::IfFree`] and another tab held it. Without Web Locks `work`
/// just runs.
pub async fn exclusive<T, F, Fut>(name: &str, wait: Wait, work: F) -> Option<T>
where
    T: 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = T> + 'static,
{
    let Some((locks, request)) = request_fn() else {
        return Some(work().await);
    };
    let output = Rc::new(RefCell::new(None::<T>));
    let slot = output.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            return js_sys::Promise::resolve(&JsValue::UNDEFINED).into();
        }
        wasm_bindgen_futures::future_to_promise(async move {
            let value = work().await;
            *slot.borrow_mut() = Some(value);
            Ok(JsValue::UNDEFINED)
        })
        .into()
    });
    let options = js_sys::Object::new();
    if wait == Wait::IfFree {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
    }
    let asked = request.call3(&locks, &JsValue::from_str(name), &options, &callback);
    let finished = match asked.map(|p| p.dyn_into::<js_sys::Promise>()) {
        Ok(Ok(promise)) => JsFuture::from(promise).await.is_ok(),
        _ => false,
    };
    let value = output.borrow_mut().take();
    if !finished {
        leptos::logging::warn!("the lock {name} could not be taken");
    }
    value
}
