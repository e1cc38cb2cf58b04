//! The one JSON error shape every endpoint answers with:
//! `{"error":{"code","message","details"}}`.

use serde::{Deserialize, Serialize};

/// Body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorInfo {
    /// Stable, machine-readable: `validation`, `not_found`, `conflict`,
    /// `malformed_json`, `bad_request`, `invalid_header`,
    /// `method_not_allowed`, `unsupported_media_type`, `payload_too_large`,
    /// `precondition_required` (428), `precondition_failed` (412, with the
    /// current entity in `details.current`), `idempotency_key_reused`,
    /// `upgrade_required`, `timeout`, `internal`.
    pub code: String,
    /// For people; never internal detail.
    pub message: String,
    /// For `validation`, an object of field name to message; else `null` or
    /// context such as the current entity.
    #[serde(default)]
    pub details: serde_json::Value,
}
