//! The pieces of the OpenAPI document that many operations share: the
//! request headers of safe writes and the error answers, each written once
//! and referenced by the handlers' `#[utoipa::path]` annotations.
//!
//! These types exist only to be described; nothing constructs them.

use tidings::ErrorBody;
use utoipa::{IntoParams, ToResponse, ToSchema};

/// `If-Match` on a write that must name the version it read.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The `ETag` that was read (`"3"`), a list of them (`"3", "4"`), or `*`
    /// for whatever version exists. Missing: 428; malformed or weak: 400.
    #[param(
        rename = "If-Match",
        pattern = r#"^(\*|("[0-9]{1,18}"|[0-9]{1,18})( *, *("[0-9]{1,18}"|[0-9]{1,18}))*)$"#
    )]
    pub if_match: String,
}

/// `If-Match` on a write that may name the version it read.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchOptional {
    /// When sent, the write applies only to that version (412 otherwise);
    /// without it the write is unconditional.
    #[param(
        rename = "If-Match",
        required = false,
        pattern = r#"^(\*|("[0-9]{1,18}"|[0-9]{1,18})( *, *("[0-9]{1,18}"|[0-9]{1,18}))*)$"#
    )]
    pub if_match: String,
}

/// `Idempotency-Key` of a write that is safe to retry.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// 1 to 255 visible ASCII characters chosen by the client. A retry with
    /// the same key and request replays the first answer (with
    /// `Idempotent-Replayed: true`) and changes nothing, or is 410
    /// `forgotten` once a user that answer named is deleted; the same key
    /// with a different request is 422 `idempotency_key_reused`.
    #[param(
        rename = "Idempotency-Key",
        required = false,
        pattern = "^[!-~]{1,255}$"
    )]
    pub idempotency_key: String,
}

/// The `multipart/form-data` body of an avatar upload.
#[derive(ToSchema)]
pub struct AvatarForm {
    /// A PNG, JPEG or WebP image of at most 2 MiB, recognised from its bytes.
    #[schema(value_type = String, format = Binary)]
    pub avatar: Vec<u8>,
}

/// The request cannot be read: the body is not JSON (`malformed_json`), the
/// query string is broken (`bad_request`), or a header is malformed
/// (`invalid_header`, naming it in `details`).
#[derive(ToResponse)]
#[response(example = json!({"error": {
    "code": "invalid_header",
    "message": "the If-Match header is invalid: a weak entity tag never matches",
    "details": {"If-Match": "a weak entity tag never matches"}
}}))]
pub struct BadRequest(pub ErrorBody);

/// No valid credentials: send `Authorization: Bearer <access token>` or
/// the `tidings_access` cookie (`unauthorized`).
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
pub struct Unauthorized(pub ErrorBody);

/// The caller's role does not allow this change (`forbidden`).
#[derive(ToResponse)]
pub struct Forbidden(pub ErrorBody);

/// No entity with this id (`not_found`); for a batch, `details.missing`
/// lists the ids that do not exist.
#[derive(ToResponse)]
#[response(example = json!({"error": {
    "code": "not_found",
    "message": "no user with id '0190a000-0000-7000-8000-000000000001'",
    "details": null
}}))]
pub struct NotFound(pub ErrorBody);

/// A unique field already holds this value (`conflict`, naming the field
/// in `details`).
#[derive(ToResponse)]
pub struct Conflict(pub ErrorBody);

/// The entity is no longer at the version `If-Match` named
/// (`precondition_failed`): `details.current` holds it as it now is (for a
/// batch, each changed one), and `ETag` names its version.
#[derive(ToResponse)]
#[response(headers(("ETag" = String, description = "The current version, e.g. `\"4\"`")))]
pub struct PreconditionFailed(pub ErrorBody);

/// The body is larger than the route accepts (`payload_too_large`): 64 KiB
/// of JSON, or a 2 MiB avatar.
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ErrorBody);

/// The body is not of the type the route reads (`unsupported_media_type`):
/// JSON must be sent as `application/json`, an avatar as
/// `multipart/form-data` holding a PNG, JPEG or WebP image.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(pub ErrorBody);

/// A replay of a keyed write whose first answer named a user who has
/// since been deleted (`forgotten`): that answer is not kept, and nothing
/// is done again.
#[derive(ToResponse)]
pub struct Forgotten(pub ErrorBody);

/// Fields are invalid (`validation`: `details` maps each bad field to a
/// message), or the `Idempotency-Key` was already used for another request
/// (`idempotency_key_reused`).
#[derive(ToResponse)]
#[response(example = json!({"error": {
    "code": "validation",
    "message": "invalid input: email: email must look like name@example.com",
    "details": {"email": "email must look like name@example.com"}
}}))]
pub struct Unprocessable(pub ErrorBody);

/// The write must name the version it changes (`precondition_required`):
/// send `If-Match` with the `ETag` you read, or `*`.
#[derive(ToResponse)]
pub struct PreconditionRequired(pub ErrorBody);

/// Too many attempts (`rate_limited`); try again after `Retry-After`.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u64, description = "Seconds to wait")))]
pub struct TooManyRequests(pub ErrorBody);

/// The endpoint speaks WebSocket and the request was not an upgrade
/// (`upgrade_required`).
#[derive(ToResponse)]
pub struct UpgradeRequired(pub ErrorBody);
