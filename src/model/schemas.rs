//! OpenAPI schemas of the validated field types. Each states in JSON Schema
//! what its parser in `fields` accepts, built from the same limits and
//! character sets, so a client generated from the document sends what the
//! server takes and nothing the server refuses passes the document.
//!
//! Patterns use the syntax ECMA-262 and Python's `re` share (`\xHH`,
//! `\uHHHH`, classes, `{m,n}`), so both JavaScript validators and
//! Schemathesis read them alike. Characters outside the Basic
//! Multilingual Plane have no spelling common to both; the tag characters
//! (U+E0000 to U+E007F), which names and titles refuse, are therefore said
//! in the description only.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::fields::{Content, Email, Language, Name, Title, DECEPTIVE_FORMAT};

/// What `char::is_whitespace` (Unicode White_Space), which trimming
/// removes, holds.
const WHITE_SPACE: &[(char, char)] = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// What `char::is_control` (general category Cc) holds.
const CONTROL: &[(char, char)] = &[('\u{0}', '\u{1F}'), ('\u{7F}', '\u{9F}')];

/// The controls a post's body may hold inside: tab, line feed, return.
const BODY_CONTROLS: &[(char, char)] = &[('\t', '\n'), ('\r', '\r')];

fn escape(c: char) -> String {
    let code = u32::from(c);
    if code <= 0xFF {
        format!("\\x{code:02x}")
    } else {
        format!("\\u{code:04x}")
    }
}

/// The ranges as the inside of a regex class, leaving out what lies past
/// the Basic Multilingual Plane (see the module's note).
fn class_body(ranges: &[(char, char)]) -> String {
    ranges
        .iter()
        .filter(|&&(first, _)| u32::from(first) <= 0xFFFF)
        .map(|&(first, last)| {
            if first == last {
                escape(first)
            } else {
                format!("{}-{}", escape(first), escape(last))
            }
        })
        .collect()
}

/// `ranges` less the characters in `keep`, which must each be a range's
/// whole or its end points.
fn without(ranges: &[(char, char)], keep: &[(char, char)]) -> Vec<(char, char)> {
    let mut out = Vec::new();
    for &(first, last) in ranges {
        let mut start = u32::from(first);
        let end = u32::from(last);
        let mut code = start;
        while code <= end {
            let kept = char::from_u32(code)
                .is_some_and(|c| keep.iter().any(|&(a, b)| (a..=b).contains(&c)));
            if kept {
                if code > start {
                    out.push((char_at(start), char_at(code - 1)));
                }
                start = code + 1;
            }
            code += 1;
        }
        if start <= end {
            out.push((char_at(start), char_at(end)));
        }
    }
    out
}

fn char_at(code: u32) -> char {
    char::from_u32(code).expect("ranges hold no surrogates")
}

/// A trimmed text of 1 to `max` characters: white space around it, then a
/// first and last character that are neither white space nor refused, and
/// between them characters that are not refused.
fn trimmed_text_pattern(refused_inside: &[(char, char)], max: usize) -> String {
    format!("^{}$", trimmed_core(refused_inside, max))
}

/// [`trimmed_text_pattern`] without its anchors.
fn trimmed_core(refused_inside: &[(char, char)], max: usize) -> String {
    let space = class_body(WHITE_SPACE);
    let refused = class_body(refused_inside);
    let inside = if refused.is_empty() {
        "[\\s\\S]".to_owned()
    } else {
        format!("[^{refused}]")
    };
    format!(
        "[{space}]*[^{space}{refused}](?:{inside}{{0,{inner}}}[^{space}{refused}])?[{space}]*",
        inner = max - 2,
    )
}

/// A search text as a query parameter: any text of 1 to `max` characters
/// once trimmed; when `optional`, also one that trims to nothing (which
/// counts as no search).
pub fn search_text_pattern(max: usize, optional: bool) -> String {
    let text = trimmed_core(&[], max);
    if optional {
        let space = class_body(WHITE_SPACE);
        format!("^(?:{text}|[{space}]*)$")
    } else {
        format!("^{text}$")
    }
}

/// One line without control or deceptive formatting characters.
fn label_pattern(max: usize) -> String {
    let mut refused = CONTROL.to_vec();
    refused.extend_from_slice(DECEPTIVE_FORMAT);
    trimmed_text_pattern(&refused, max)
}

fn string_schema(description: String, pattern: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .into()
}

impl PartialSchema for Name {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "A display name: 1 to {} characters once trimmed, one line, without control \
                 characters, bidirectional controls or other invisible formatting characters \
                 (U+00AD, U+061C, U+180E, U+200B, U+200E, U+200F, U+202A-U+202E, \
                 U+2060-U+2064, U+2066-U+206F, U+FEFF, U+FFF9-U+FFFB, U+E0000-U+E007F)",
                Name::MAX_CHARS
            ),
            label_pattern(Name::MAX_CHARS),
        )
    }
}

impl PartialSchema for Title {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "A post's title: 1 to {} characters once trimmed, one line, without control \
                 or invisible formatting characters (as a name)",
                Title::MAX_CHARS
            ),
            label_pattern(Title::MAX_CHARS),
        )
    }
}

impl PartialSchema for Content {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "A post's body: 1 to {} characters once trimmed; the only control characters \
                 it holds are tab, line feed and carriage return",
                Content::MAX_CHARS
            ),
            trimmed_text_pattern(&without(CONTROL, BODY_CONTROLS), Content::MAX_CHARS),
        )
    }
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        let space = class_body(WHITE_SPACE);
        let part = format!("[^@{space}]");
        let edge = format!("[^@.{space}]");
        let mut schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "An email address, stored lower-cased: one `@`, a non-empty local part and a \
                 dotted domain, no white space inside, at most {} characters",
                Email::MAX_CHARS
            )))
            .pattern(Some(format!(
                "^[{space}]*{part}+@{edge}{part}*\\.{part}*{edge}[{space}]*$"
            )));
        schema = schema.max_length(Some(Email::MAX_CHARS));
        schema.into()
    }
}

impl PartialSchema for Language {
    fn schema() -> RefOr<Schema> {
        let space = class_body(WHITE_SPACE);
        string_schema(
            "A language tag such as `en` or `pt-BR`: 2 to 8 letters, digits and hyphens, \
             starting with a letter"
                .to_owned(),
            format!("^[{space}]*[A-Za-z][A-Za-z0-9-]{{1,7}}[{space}]*$"),
        )
    }
}

macro_rules! named_schema {
    ($($ty:ident),*) => {$(
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    )*};
}

named_schema!(Name, Title, Content, Email, Language);

#[cfg(test)]
mod tests {
    use super::*;

    fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
        ranges.iter().any(|&(a, b)| (a..=b).contains(&c))
    }

    #[test]
    fn the_character_sets_are_the_ones_the_parsers_use() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(in_ranges(WHITE_SPACE, c), c.is_whitespace(), "{c:?}");
            assert_eq!(in_ranges(CONTROL, c), c.is_control(), "{c:?}");
        }
        let inside = without(CONTROL, BODY_CONTROLS);
        for c in ['\t', '\n', '\r'] {
            assert!(!in_ranges(&inside, c));
        }
        for c in [
            '\0', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{1f}', '\u{7f}', '\u{9f}',
        ] {
            assert!(in_ranges(&inside, c), "{c:?}");
        }
    }

    #[test]
    fn a_label_pattern_bounds_the_trimmed_length() {
        let pattern = label_pattern(100);
        assert!(pattern.starts_with("^[\\x09-\\x0d\\x20\\x85\\xa0"));
        assert!(pattern.contains("{0,98}"));
        assert!(pattern.contains("\\u202a-\\u202e"));
        assert!(!pattern.contains("e0000"), "astral ranges are left out");
    }
}
