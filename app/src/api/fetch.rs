//! The browser transport: one `fetch` through gloo-net, with its own
//! `AbortController`, aborted when the exchange is dropped (timeout,
//! cancellation, caller gone) before its answer was read.

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use gloo_net::http::{Request, RequestBuilder};
use web_sys::AbortController;

use super::endpoint::Method;
use super::error::ApiError;
use super::pipeline::{CallResult, Transport};
use super::request::ApiRequest;
use super::response::RawResponse;

/// Sends requests to `base` (empty: the page's own origin).
#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    base: String,
}

impl FetchTransport {
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into() }
    }
}

/// Aborts the fetch when dropped before [`AbortOnDrop::finish`].
struct AbortOnDrop {
    controller: AbortController,
    finished: bool,
}

impl AbortOnDrop {
    fn aborted(&self) -> bool {
        self.controller.signal().aborted()
    }

    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.controller.abort();
        }
    }
}

fn builder(method: Method, url: &str) -> RequestBuilder {
    match method {
        Method::Get => Request::get(url),
        Method::Post => Request::post(url),
        Method::Patch => Request::patch(url),
        Method::Delete => Request::delete(url),
    }
}

impl Transport for FetchTransport {
    fn send(&self, request: &ApiRequest) -> LocalBoxFuture<'static, CallResult> {
        let url = format!("{}{}", self.base, request.url());
        let method = request.method();
        let headers = request.headers.clone();
        let body = request.body.clone();
        async move {
            let controller =
                AbortController::new().map_err(|e| ApiError::Network(format!("{e:?}")))?;
            let guard = AbortOnDrop {
                controller,
                finished: false,
            };
            let mut request = builder(method, &url).abort_signal(Some(&guard.controller.signal()));
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let request = match body {
                Some(body) => request.body(body),
                None => request.build(),
            }
            .map_err(|e| ApiError::Network(e.to_string()))?;
            let failed = |e: gloo_net::Error, guard: &AbortOnDrop| {
                if guard.aborted() {
                    ApiError::Aborted
                } else {
                    ApiError::Network(e.to_string())
                }
            };
            let response = request.send().await.map_err(|e| failed(e, &guard))?;
            let status = response.status();
            let headers = response.headers().entries().collect();
            let body = response.text().await.map_err(|e| failed(e, &guard))?;
            guard.finish();
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        }
        .boxed_local()
    }
}
