//! What the OpenAPI document says that utoipa's attributes cannot, set on
//! the generated document: a patch changes at least one field
//! (`minProperties`, which utoipa's `min_properties` attribute writes as
//! `maxProperties`), an avatar form holds its one field, and the exact
//! forms of the list parameters: an empty
//! value of a typed one counts as absent (as a form sends an unset field),
//! a search text is trimmed and bounded, a cursor has its form.

use tidings::{search_text_pattern, MAX_SEARCH_LEN};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

use crate::db::CURSOR_PATTERN;

/// Applies every refinement (see the module's note).
pub struct Refinements;

/// The schemas of the bodies that change an entity in place.
pub const PATCH_SCHEMAS: [&str; 2] = ["UserPatchInput", "PostPatchInput"];

/// Typed list parameters that an empty value leaves unset.
const EMPTY_MEANS_ABSENT: [&str; 5] = ["role", "active", "sort", "order", "authorId"];

impl Modify for Refinements {
    fn modify(&self, openapi: &mut OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            for name in PATCH_SCHEMAS {
                if let Some(RefOr::T(Schema::Object(patch))) = components.schemas.get_mut(name) {
                    patch.min_properties = Some(1);
                }
            }
            if let Some(RefOr::T(Schema::Object(form))) = components.schemas.get_mut("AvatarForm") {
                form.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                refine_query(operation);
            }
        }
    }
}

fn refine_query(operation: &mut Operation) {
    let Some(parameters) = operation.parameters.as_mut() else {
        return;
    };
    for parameter in parameters
        .iter_mut()
        .filter(|p| p.parameter_in == ParameterIn::Query)
    {
        let name = parameter.name.as_str();
        let schema = parameter.schema.take();
        parameter.schema = match name {
            "cursor" | "before" => Some(text(format!(
                "^(?:{})?$",
                &CURSOR_PATTERN[1..CURSOR_PATTERN.len() - 1]
            ))),
            "search" => Some(text(search_text_pattern(MAX_SEARCH_LEN, true))),
            "q" => Some(text(search_text_pattern(MAX_SEARCH_LEN, false))),
            _ if EMPTY_MEANS_ABSENT.contains(&name) => schema.map(or_empty),
            _ => schema,
        };
        if name == "cursor" || name == "before" || EMPTY_MEANS_ABSENT.contains(&name) {
            let said = parameter.description.take().unwrap_or_default();
            parameter.description = Some(
                format!("{said} An empty value counts as absent.")
                    .trim_start()
                    .to_owned(),
            );
        }
    }
}

fn text(pattern: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .into()
}

/// `schema`, or the empty string.
fn or_empty(schema: RefOr<Schema>) -> RefOr<Schema> {
    let empty = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([""]));
    AnyOfBuilder::new().item(schema).item(empty).into()
}
