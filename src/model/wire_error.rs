//! The one JSON error shape every endpoint answers with:
//! `{"error":{"code","message","details"}}`.

use serde::{Deserialize, Serialize};

/// Body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Stable, machine-readable: `validation`, `not_found`, `conflict`,
    /// `malformed_json`, `bad_request`, `method_not_allowed`, `unsupported_media_type`, `payload_too_large`,
    /// `internal`.
    pub code: String,
    /// For people; never internal detail.
    pub message: String,
    /// For `validation`, an object of field name to message; else `null` or
    /// context such as the current entity.
    #[serde(default)]
    pub details: serde_json::Value,
}
