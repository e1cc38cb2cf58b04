//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the server's HTTP
//! interface, generated from the code. Schemas come from the wire types
//! themselves (`tidings` with its `openapi` feature); each operation comes
//! from the `#[utoipa::path]` annotation above its handler, and [`ApiDoc`]
//! collects them with the security schemes and shared parts.
//!
//! Operations need credentials (`bearerAuth` or `cookieAuth`) unless their
//! annotation says `security(())`.

pub mod parts;
mod refinements;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use self::refinements::Refinements;
use crate::state::AppState;

/// The document: every routed operation, the shared parts, the security
/// schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidings API",
        description = "Users and posts with safe writes: every entity has a `version`, \
            answered as its `ETag`; PATCH and DELETE name the version they read in \
            `If-Match` (428 without, 412 with the current entity when stale), and \
            POST, PATCH and DELETE accept an `Idempotency-Key` whose replay returns \
            the first answer. JSON fields are camelCase; every error is \
            `{error: {code, message, details}}`. Changes stream over the WebSocket \
            at `/api/events`."
    ),
    paths(
        super::users::list,
        super::users::create,
        super::users::stats,
        super::users::search,
        super::users::update_batch,
        super::users::show,
        super::users::update,
        super::users::remove,
        super::users::posts,
        super::avatars::upload,
        super::avatars::serve,
        super::posts::list,
        super::posts::create,
        super::posts::show,
        super::posts::update,
        super::posts::remove,
        super::events::events,
        super::auth::login,
        super::auth::refresh_session,
        super::auth::logout,
        super::auth::me,
        super::auth::change_password,
        super::auth::logout_all,
        super::health::health,
        crate::ops::metrics::expose,
        document,
    ),
    components(
        schemas(tidings::ErrorBody, tidings::UserSort, tidings::SortOrder),
        responses(
        parts::BadRequest,
        parts::Unauthorized,
        parts::Forbidden,
        parts::NotFound,
        parts::Conflict,
        parts::PreconditionFailed,
        parts::PayloadTooLarge,
        parts::UnsupportedMediaType,
        parts::Unprocessable,
        parts::Forgotten,
        parts::PreconditionRequired,
        parts::TooManyRequests,
            parts::UpgradeRequired,
        )
    ),
    modifiers(&SecuritySchemes, &Refinements),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
    tags(
        (name = "users", description = "People with accounts, their roles and preferences"),
        (name = "posts", description = "Posts and the keyset-paged feed"),
        (name = "auth", description = "Sign-in sessions: access tokens and refresh cookies"),
        (name = "realtime", description = "The change event stream"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// Declares `bearerAuth` (an access token as `Authorization: Bearer`),
/// `cookieAuth` (the same token in the `tidings_access` cookie) and
/// `refreshCookie` (the `tidings_refresh` cookie that `/api/auth/refresh`
/// and `/api/auth/logout` read).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token from POST /api/auth/login or /api/auth/refresh",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookieAuth",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "tidings_access",
                "The access token as the HttpOnly cookie sign-in sets",
            ))),
        );
        components.add_security_scheme(
            "refreshCookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "tidings_refresh",
                "The rotating refresh token (HttpOnly, Path=/api/auth)",
            ))),
        );
    }
}

/// `GET /api/openapi.json`, rendered once when the router is built.
pub fn router() -> Router<AppState> {
    let json = Bytes::from(
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document is plain data and always encodes"),
    );
    Router::new().route("/openapi.json", get(move || document(json.clone())))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn document(json: Bytes) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;
    use utoipa::OpenApi;

    use super::ApiDoc;

    fn refs(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => {
                            out.insert(target.clone());
                        }
                        _ => refs(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
            _ => {}
        }
    }

    fn operations(doc: &Value) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        out
    }

    /// The document as it is served.
    fn joined() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("encode")
    }

    #[test]
    fn every_reference_and_security_scheme_is_declared() {
        let doc = joined();
        let mut targets = BTreeSet::new();
        refs(&doc, &mut targets);
        assert!(targets.contains("#/components/schemas/User"));
        for target in targets {
            let pointer = target.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "{target} is not declared");
        }
        let schemes = &doc["components"]["securitySchemes"];
        let mut named = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("path item").values() {
                let security = operation.get("security").unwrap_or(&doc["security"]);
                for requirement in security.as_array().expect("security list") {
                    for name in requirement.as_object().expect("requirement").keys() {
                        assert!(schemes.get(name).is_some(), "{name} is not declared");
                        named += 1;
                    }
                }
            }
        }
        assert!(named > 0);
    }

    #[test]
    fn a_patch_must_change_a_field() {
        let doc = joined();
        for name in super::refinements::PATCH_SCHEMAS {
            let patch = &doc["components"]["schemas"][name];
            assert_eq!(patch["minProperties"], 1, "{name}");
            assert!(patch.get("maxProperties").is_none(), "{name}");
        }
    }

    #[test]
    fn sign_in_needs_no_credentials() {
        let doc = joined();
        assert_eq!(
            doc["paths"]["/api/auth/login"]["post"]["security"],
            serde_json::json!([{}]),
            "login needs no credentials"
        );
        assert!(doc["paths"]["/api/auth/me"]["get"]["security"].is_null());
        let all = operations(&doc);
        for op in [
            "POST /api/auth/login",
            "POST /api/auth/refresh",
            "POST /api/auth/logout",
            "GET /api/auth/me",
        ] {
            assert!(all.contains(op), "{op} is not documented");
        }
    }
}
