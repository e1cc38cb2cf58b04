//! Validated field types. Each parses once, at the edge (a request body, a
//! form, a database row), and afterwards carries its guarantee in its type.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! text_newtype {
    ($(#[$doc:meta])* $ty:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty(String);

        impl $ty {
            /// Validates and normalises `raw`; the error says what is wrong.
            pub fn parse(raw: impl AsRef<str>) -> Result<Self, String> {
                let parse: fn(&str) -> Result<String, String> = $parse;
                parse(raw.as_ref()).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                Self::parse(raw)
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.0
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn bounded_text(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(format!(
            "{what} must be at most {max} characters (got {len})"
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// The invisible formatting characters that can make a text show other
/// than it reads, as inclusive ranges: the bidirectional embeddings,
/// overrides, isolates and marks (which can reverse what follows,
/// `\u{202E}`), the zero-width space, word joiner and invisible operators,
/// the byte-order mark, the soft hyphen and the tag characters. The
/// zero-width joiner and non-joiner stay allowed: emoji sequences and
/// several scripts need them.
pub const DECEPTIVE_FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200B}'),
    ('\u{200E}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{E0000}', '\u{E007F}'),
];

/// Whether `c` is one of the [`DECEPTIVE_FORMAT`] characters.
pub fn is_deceptive_format(c: char) -> bool {
    DECEPTIVE_FORMAT
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// [`bounded_text`] on one line, without any control character or
/// deceptive format character: for the texts shown as a label (names,
/// titles).
fn label_text(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let text = bounded_text(raw, what, max)?;
    if text.contains('\n') {
        return Err(format!("{what} must be a single line"));
    }
    if text.contains(['\t', '\r']) {
        return Err(format!("{what} must not contain control characters"));
    }
    if let Some(c) = text.chars().find(|&c| is_deceptive_format(c)) {
        return Err(format!(
            "{what} must not contain invisible formatting characters (found U+{:04X})",
            u32::from(c)
        ));
    }
    Ok(text)
}

text_newtype!(
    /// A person's display name: 1 to 100 characters, trimmed, one line,
    /// without deceptive format characters ([`is_deceptive_format`]).
    Name,
    |raw| label_text(raw, "name", Name::MAX_CHARS)
);

text_newtype!(
    /// An email address, lower-cased: one `@`, a non-empty local part and a
    /// dotted domain, at most 254 characters.
    Email,
    |raw| {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("email must not be empty".into());
        }
        if email.chars().count() > Email::MAX_CHARS {
            return Err(format!("email must be at most {} characters", Email::MAX_CHARS));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(email)
        } else {
            Err("email must look like name@example.com".into())
        }
    }
);

text_newtype!(
    /// A post's title: 1 to 200 characters, trimmed, one line, without
    /// deceptive format characters ([`is_deceptive_format`]).
    Title,
    |raw| label_text(raw, "title", Title::MAX_CHARS)
);

text_newtype!(
    /// A post's body: 1 to 10,000 characters, trimmed.
    Content,
    |raw| bounded_text(raw, "content", Content::MAX_CHARS)
);

text_newtype!(
    /// A UI language tag such as `en` or `pt-BR`.
    Language,
    |raw| {
        let tag = raw.trim();
        let ok = (2..=8).contains(&tag.len())
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && tag.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if ok {
            Ok(tag.to_owned())
        } else {
            Err("language must be a language tag such as en or pt-BR".into())
        }
    }
);

/// A user id in its hyphenated form (the one every answer uses), as the
/// OpenAPI `uuid` format has it.
pub fn parse_user_id(raw: &str, field: &str) -> Result<Uuid, String> {
    const HYPHENATED_LEN: usize = 36;
    match Uuid::parse_str(raw) {
        Ok(id) if raw.len() == HYPHENATED_LEN => Ok(id),
        _ => Err(format!(
            "{field} must be a user id (a UUID such as 0190a000-0000-7000-8000-000000000001)"
        )),
    }
}

impl Name {
    /// The most characters a name has once trimmed.
    pub const MAX_CHARS: usize = 100;
}

impl Email {
    /// The most characters an address has once trimmed.
    pub const MAX_CHARS: usize = 254;
}

impl Title {
    /// The most characters a title has once trimmed.
    pub const MAX_CHARS: usize = 200;
}

impl Content {
    /// The most characters a post's body has once trimmed.
    pub const MAX_CHARS: usize = 10_000;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_trims_and_bounds() {
        assert_eq!(
            Name::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(Name::parse("   ").unwrap_err().contains("empty"));
        assert!(Name::parse("x".repeat(101))
            .unwrap_err()
            .contains("at most 100"));
        assert!(Name::parse("a\nb").is_err());
        for tab_or_return in ["Ada\tLovelace", "Ada\rLovelace"] {
            let refused = Name::parse(tab_or_return).unwrap_err();
            assert!(refused.contains("control characters"), "{refused}");
        }
        assert!(Content::parse("a\tb\r\nc").is_ok(), "a body keeps its tabs");
    }

    #[test]
    fn names_and_titles_refuse_text_that_shows_other_than_it_reads() {
        // "Ada" then a right-to-left override: "Ada\u{202E}nimda" shows
        // as "Adaadmin".
        for bad in [
            "Ada\u{202E}nimda",
            "\u{2066}Ada",
            "Ad\u{200B}a",
            "Ada\u{FEFF}",
            "A\u{00AD}da",
            "Ada\u{E0041}",
            "\u{200F}Ada",
        ] {
            let name = Name::parse(bad).unwrap_err();
            assert!(name.contains("invisible formatting"), "{bad:?}: {name}");
            assert!(Title::parse(bad).is_err(), "{bad:?}");
        }
        // Emoji sequences and scripts that need the joiners stay valid.
        for good in ["👩\u{200D}💻 Ada", "می\u{200C}خواهم", "Zoë Ångström"] {
            assert_eq!(Name::parse(good).unwrap().as_str(), good);
        }
        assert!(Content::parse("a\u{202E}b").is_ok(), "bodies may hold them");
    }

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@c.d",
            "a@b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn deserializing_validates() {
        let ok: Result<Title, _> = serde_json::from_str("\"Hello\"");
        assert!(ok.is_ok());
        let bad: Result<Title, _> = serde_json::from_str("\"  \"");
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("title must not be empty"));
    }

    #[test]
    fn language_tags() {
        assert!(Language::parse("en").is_ok());
        assert!(Language::parse("pt-BR").is_ok());
        assert!(Language::parse("e").is_err());
        assert!(Language::parse("en_US!").is_err());
    }
}
