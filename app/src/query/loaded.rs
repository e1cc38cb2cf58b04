//! [`Loaded`]: what a query hook's resource resolves to, the value a
//! server render serializes into the page for the browser to hydrate with.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tidings::cache::{Millis, QueryKey};

use crate::api::ApiError;

/// A resource's value: the query's data or final error when it loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Loaded {
    pub(crate) key: QueryKey,
    pub(crate) data: Option<Value>,
    /// When `data` was fetched (Unix ms, carried to the browser).
    pub(crate) at: Millis,
    pub(crate) error: Option<ApiError>,
}

impl Loaded {
    pub(crate) fn empty(key: QueryKey) -> Self {
        Self {
            key,
            data: None,
            at: 0,
            error: None,
        }
    }
}
