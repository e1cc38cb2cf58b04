//! What the host keeps per key beside the engine: the fetcher that
//! performs a key's fetches, the typed error of its last failure, the
//! direction of its page fetch, the trigger its readers track, the futures
//! waiting for it to settle, and the request in flight with its cancel
//! token. Plain data; `host.rs` drives it.

use std::collections::HashMap;

use futures::channel::oneshot;
use leptos::prelude::*;
use tidings::cache::{FetchId, KeyHash, PageDirection, QueryError};

use super::error::from_query_error;
use super::fetcher::Fetcher;
use crate::api::{ApiError, CancelToken};

/// Per-key bookkeeping beside the engine.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) fetchers: HashMap<KeyHash, Fetcher>,
    pub(crate) errors: HashMap<KeyHash, ApiError>,
    pub(crate) pages: HashMap<KeyHash, PageDirection>,
    pub(crate) triggers: HashMap<KeyHash, ArcTrigger>,
    pub(crate) waiters: HashMap<KeyHash, Vec<oneshot::Sender<()>>>,
    /// The fetch of each key whose request is in flight, and its token.
    pub(crate) in_flight: HashMap<KeyHash, (FetchId, CancelToken)>,
}

impl Registry {
    /// The typed error of `key`'s failure `error`.
    pub(crate) fn api_error(&self, hash: &KeyHash, error: &QueryError) -> ApiError {
        self.errors
            .get(hash)
            .cloned()
            .unwrap_or_else(|| from_query_error(error))
    }
}
