//! `If-Match`: which version of an entity a write changes, parsed from
//! the header and checked against the stored version inside the write.

use axum::http::{header, HeaderMap};
use serde::Serialize;

use crate::error::ApiError;

/// What `If-Match` asks of the current version of the entity a write
/// changes. Entity tags are the versions, strong only: `"3"` (or bare
/// `3`), a list `"3", "4"` of which one must match, or `*` for any version
/// of an entity that exists. A weak tag (`W/"3"`) is refused: a version is
/// exact, and weak tags never match under the strong comparison If-Match
/// uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: whatever the current version is.
    Any,
    /// The current version must be one of these (parsed lists come
    /// sorted, without repeats).
    Versions(Vec<i64>),
}

/// The header's name, as the errors name it.
pub const IF_MATCH: &str = "If-Match";

impl IfMatch {
    /// The condition of a write that must have one: no `If-Match` is 428,
    /// a malformed one 400 naming the header.
    pub fn required(headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut lines = headers.get_all(header::IF_MATCH).iter().peekable();
        if lines.peek().is_none() {
            return Err(ApiError::PreconditionRequired);
        }
        let mut raw = String::new();
        for line in lines {
            let line = line.to_str().map_err(|_| {
                ApiError::invalid_header(IF_MATCH, "it must be visible ASCII, e.g. \"3\"")
            })?;
            if !raw.is_empty() {
                raw.push(',');
            }
            raw.push_str(line);
        }
        Self::parse(&raw).map_err(|message| ApiError::invalid_header(IF_MATCH, message))
    }

    /// Parses a header value (several lines joined with commas).
    pub fn parse(raw: &str) -> Result<Self, String> {
        const EXAMPLE: &str = "send the ETag you read, e.g. \"3\", or *";
        let items: Vec<&str> = raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect();
        if items.is_empty() {
            return Err(format!("it is empty; {EXAMPLE}"));
        }
        if items.contains(&"*") {
            return if items.len() == 1 {
                Ok(IfMatch::Any)
            } else {
                Err("* stands alone, not in a list of tags".to_owned())
            };
        }
        let mut versions = Vec::with_capacity(items.len());
        for item in items {
            if item.starts_with("W/") {
                return Err(format!(
                    "{item} is a weak tag, and If-Match compares strong tags; \
                     send the tag without W/"
                ));
            }
            let inner = match item.strip_prefix('"') {
                Some(rest) => rest
                    .strip_suffix('"')
                    .ok_or_else(|| format!("{item} has no closing quote"))?,
                None => item,
            };
            let version = (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()))
                .then(|| inner.parse::<i64>().ok())
                .flatten()
                .ok_or_else(|| format!("{item} is not a version this server tags; {EXAMPLE}"))?;
            versions.push(version);
        }
        versions.sort_unstable();
        versions.dedup();
        Ok(IfMatch::Versions(versions))
    }

    pub fn matches(&self, version: i64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(versions) => versions.contains(&version),
        }
    }

    /// `Ok` when the condition holds for `current` (the `entity` at
    /// `version`), else the 412 carrying it.
    pub fn check(
        &self,
        entity: &'static str,
        current: &impl Serialize,
        version: i64,
    ) -> Result<(), ApiError> {
        if self.matches(version) {
            Ok(())
        } else {
            Err(ApiError::precondition_failed(entity, version, current))
        }
    }

    /// One text per condition, for request fingerprints: `*` or the
    /// versions, comma-separated.
    pub fn canonical(&self) -> String {
        match self {
            IfMatch::Any => "*".to_owned(),
            IfMatch::Versions(versions) => {
                let mut versions = versions.clone();
                versions.sort_unstable();
                versions.dedup();
                versions
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn if_match_takes_strong_tags_quoted_or_bare_and_star() {
        assert_eq!(IfMatch::parse("\"3\""), Ok(IfMatch::Versions(vec![3])));
        assert_eq!(IfMatch::parse(" 3 "), Ok(IfMatch::Versions(vec![3])));
        assert_eq!(
            IfMatch::parse("\"7\", 3,\"3\""),
            Ok(IfMatch::Versions(vec![3, 7]))
        );
        assert_eq!(IfMatch::parse("*"), Ok(IfMatch::Any));
        for bad in [
            "",
            " , ",
            "W/\"3\"",
            "\"3",
            "\"\"",
            "\"abc\"",
            "-1",
            "\"3\", *",
            "3.0",
            "99999999999999999999",
        ] {
            assert!(IfMatch::parse(bad).is_err(), "{bad:?} must be refused");
        }
        let v = IfMatch::parse("\"4\", \"2\"").unwrap();
        assert!(v.matches(2) && v.matches(4) && !v.matches(3));
        assert!(IfMatch::Any.matches(17));
        assert_eq!(v.canonical(), "2,4");
        assert_eq!(IfMatch::Versions(vec![4, 2, 4]).canonical(), "2,4");
        assert!(IfMatch::Versions(vec![4, 2]).matches(2));
        assert_eq!(IfMatch::Any.canonical(), "*");
    }

    #[test]
    fn if_match_is_required_and_named_when_wrong() {
        let mut headers = HeaderMap::new();
        assert!(matches!(
            IfMatch::required(&headers),
            Err(ApiError::PreconditionRequired)
        ));
        headers.append(header::IF_MATCH, HeaderValue::from_static("\"1\""));
        headers.append(header::IF_MATCH, HeaderValue::from_static("\"2\""));
        assert_eq!(
            IfMatch::required(&headers).unwrap(),
            IfMatch::Versions(vec![1, 2])
        );
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"1\""));
        match IfMatch::required(&headers) {
            Err(ApiError::InvalidHeader { header, .. }) => assert_eq!(header, IF_MATCH),
            other => panic!("expected 400, got {other:?}"),
        }
    }
}
