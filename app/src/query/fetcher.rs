//! Type-erased fetchers: what the host calls to perform a fetch the engine
//! handed out, whatever the hook's argument and data types.
//!
//! The engine names a fetch by key only, and a fetch may be started long
//! after the component that asked for the query rendered (a retry, a poll,
//! an invalidation), so each key's fetcher is kept by the host with the
//! arguments it was registered with, producing JSON for the engine.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tidings::cache::PageRequest;

use crate::api::ApiError;

/// Performs one fetch of one key; for an infinite query, of one page.
pub(crate) type Fetcher =
    Arc<dyn Fn(Option<PageRequest>) -> BoxFuture<'static, Result<Value, ApiError>> + Send + Sync>;

/// The fetcher of a plain query: `fetch(args)`.
pub(crate) fn plain<K, T, F, Fut>(fetch: Arc<F>, args: K) -> Fetcher
where
    K: Clone + Send + Sync + 'static,
    T: Serialize,
    F: Fn(K) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    Arc::new(move |_page| {
        let pending = fetch(args.clone());
        Box::pin(async move { encode(pending.await?) })
    })
}

/// The fetcher of an infinite query: `fetch(args, page param)`.
pub(crate) fn paged<K, P, PP, F, Fut>(fetch: Arc<F>, args: K) -> Fetcher
where
    K: Clone + Send + Sync + 'static,
    P: Serialize,
    PP: DeserializeOwned,
    F: Fn(K, PP) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<P, ApiError>> + Send + 'static,
{
    Arc::new(move |page| {
        let param = page.map_or(Value::Null, |p| p.param);
        match PP::deserialize(&param) {
            Ok(param) => {
                let pending = fetch(args.clone(), param);
                Box::pin(async move { encode(pending.await?) })
            }
            Err(e) => {
                let error = ApiError::Decode(format!("page param {param}: {e}"));
                Box::pin(std::future::ready(Err(error)))
            }
        }
    })
}

fn encode<T: Serialize>(data: T) -> Result<Value, ApiError> {
    serde_json::to_value(data).map_err(|e| ApiError::Decode(e.to_string()))
}

/// `value` as a `T`, or `None` (logged) when it is not one.
pub(crate) fn decode<T: DeserializeOwned>(value: &Value) -> Option<T> {
    match T::deserialize(value) {
        Ok(data) => Some(data),
        Err(e) => {
            leptos::logging::warn!("cached data does not match the query's type: {e}");
            None
        }
    }
}
