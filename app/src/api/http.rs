//! The browser's `Api`: JSON over HTTP to `/api` with gloo-net.

use gloo_net::http::{Request, Response};
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use tidings::{CursorPage, NewPostInput, Page, Post, PostListQuery, User, UserListQuery};
use uuid::Uuid;

use super::{Api, ApiError, ApiFuture, ApiResult};

/// Calls the API at `base` (empty for the page's own origin).
#[derive(Debug, Clone, Default)]
pub struct HttpApi {
    base: String,
}

impl HttpApi {
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into() }
    }

    fn url(&self, path: &str, params: &[(&str, String)]) -> String {
        let mut url = format!("{}{path}", self.base);
        if !params.is_empty() {
            let query: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
                .collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// Runs a browser-only future where a `Send` one is required. Sound
/// because WASM in the page is single-threaded.
fn send<T: 'static>(
    fut: impl std::future::Future<Output = ApiResult<T>> + 'static,
) -> ApiFuture<T> {
    Box::pin(SendWrapper::new(fut))
}

async fn decode<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> ApiResult<T> {
    let response = response.map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(status, &body));
    }
    serde_json::from_str(&body).map_err(|e| ApiError::Decode(e.to_string()))
}

impl Api for HttpApi {
    fn list_users(&self, query: UserListQuery) -> ApiFuture<Page<User>> {
        let url = self.url("/api/users", &query.to_params());
        send(async move { decode(Request::get(&url).send().await).await })
    }

    fn get_user(&self, id: Uuid) -> ApiFuture<User> {
        let url = self.url(&format!("/api/users/{id}"), &[]);
        send(async move { decode(Request::get(&url).send().await).await })
    }

    fn list_posts(&self, query: PostListQuery) -> ApiFuture<CursorPage<Post>> {
        let url = self.url("/api/posts", &query.to_params());
        send(async move { decode(Request::get(&url).send().await).await })
    }

    fn create_post(&self, input: NewPostInput) -> ApiFuture<Post> {
        let url = self.url("/api/posts", &[]);
        send(async move {
            let request = Request::post(&url)
                .json(&input)
                .map_err(|e| ApiError::Decode(e.to_string()))?;
            decode(request.send().await).await
        })
    }
}
