//! Sends an avatar with `XMLHttpRequest` (fetch reports no upload
//! progress): `POST /api/users/{id}/avatar` as multipart, same-origin so
//! the access cookie goes along, `upload.onprogress` reporting the share
//! sent. A 401 (the access cookie expired) refreshes the session through
//! the page's API once and sends again.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use futures::channel::oneshot;
use tidings::User;
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{FormData, ProgressEvent, XmlHttpRequest};

use crate::api::{Api, ApiError};

/// Uploads `file` as user `id`'s avatar, calling `on_progress` with the
/// percentage sent; the user with the new avatar.
pub async fn send(
    api: &Arc<dyn Api>,
    id: Uuid,
    file: &web_sys::File,
    on_progress: impl Fn(u32) + 'static,
) -> Result<User, ApiError> {
    let on_progress: Rc<dyn Fn(u32)> = Rc::new(on_progress);
    match attempt(id, file, Rc::clone(&on_progress)).await {
        Err(ApiError::Http { status: 401, .. }) => {
            // The session's client refreshes on 401 (and the cookie with it).
            api.me().await?;
            on_progress(0);
            attempt(id, file, on_progress).await
        }
        other => other,
    }
}

fn js_error(e: JsValue) -> ApiError {
    ApiError::Network(format!("{e:?}"))
}

type Settled = Result<(u16, String), ApiError>;

async fn attempt(
    id: Uuid,
    file: &web_sys::File,
    on_progress: Rc<dyn Fn(u32)>,
) -> Result<User, ApiError> {
    let xhr = XmlHttpRequest::new().map_err(js_error)?;
    xhr.open("POST", &format!("/api/users/{id}/avatar"))
        .map_err(js_error)?;
    xhr.set_request_header("Accept", "application/json")
        .map_err(js_error)?;
    let form = FormData::new().map_err(js_error)?;
    form.append_with_blob_and_filename("avatar", file, &file.name())
        .map_err(js_error)?;

    let (tx, rx) = oneshot::channel::<Settled>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let settle = move |tx: &Rc<RefCell<Option<oneshot::Sender<Settled>>>>, result: Settled| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(result);
        }
    };
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            on_progress((e.loaded() / e.total() * 100.0).floor().clamp(0.0, 100.0) as u32);
        }
    });
    let onload = {
        let (xhr, tx) = (xhr.clone(), Rc::clone(&tx));
        Closure::<dyn FnMut()>::new(move || {
            let status = xhr.status().unwrap_or(0);
            let body = xhr.response_text().ok().flatten().unwrap_or_default();
            settle(&tx, Ok((status, body)));
        })
    };
    let onerror = {
        let tx = Rc::clone(&tx);
        Closure::<dyn FnMut()>::new(move || {
            settle(
                &tx,
                Err(ApiError::Network(
                    "the upload did not reach the server".into(),
                )),
            );
        })
    };
    xhr.upload()
        .map_err(js_error)?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    xhr.set_onload(Some(onload.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(onerror.as_ref().unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&form)).map_err(js_error)?;

    let settled = rx.await.unwrap_or(Err(ApiError::Aborted));
    // The handlers live until the request settled.
    drop((progress, onload, onerror));
    let (status, body) = settled?;
    if (200..300).contains(&status) {
        serde_json::from_str(&body).map_err(|e| ApiError::Decode(e.to_string()))
    } else {
        Err(ApiError::from_response(status, &body))
    }
}
