//! The posts feed's keyset cursor: the (created_at, id) of a post a page
//! showed, written `<microseconds since 1970>_<id>`. A page's last post
//! gives its `nextCursor` (the next page starts just after it), its first
//! post its `prevCursor` (the page of newer posts ends just before it).
//! Clients pass them back as they got them; any value of that form names
//! a position in the feed, so the OpenAPI document's pattern for it says
//! exactly what is accepted.

use chrono::DateTime;

use crate::error::ApiError;

/// A position in the feed, as the store compares it (`created_at` in
/// [`tidings::format_timestamp`]'s form); pages bounded by it exclude it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCursor {
    pub created_at: String,
    pub id: String,
}

/// The cursor's form, as the OpenAPI document gives it.
pub const CURSOR_PATTERN: &str =
    "^[0-9]{1,16}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Most digits of the time part: microseconds up to the year 2286.
const MAX_MICROS_DIGITS: usize = 16;

impl PostCursor {
    /// The position of `post`.
    pub fn of(post: &tidings::Post) -> Self {
        Self {
            created_at: tidings::format_timestamp(&post.created_at),
            id: post.id.to_string(),
        }
    }

    pub fn encode(&self) -> String {
        let micros = DateTime::parse_from_rfc3339(&self.created_at)
            .map(|t| t.timestamp_micros())
            .unwrap_or_default();
        format!("{micros}_{}", self.id)
    }

    /// Parses a client's cursor given as the query parameter `field`
    /// (`cursor` or `before`); anything not of the cursor's form is a 422
    /// naming it.
    pub fn decode(raw: &str, field: &'static str) -> Result<Self, ApiError> {
        let bad = || {
            let answered = if field == "before" {
                "prevCursor"
            } else {
                "nextCursor"
            };
            ApiError::field(
                field,
                format!(
                    "{field} must be a {answered} the feed answered (<microseconds>_<post id>)"
                ),
            )
        };
        let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
        if micros.is_empty()
            || micros.len() > MAX_MICROS_DIGITS
            || !micros.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let time = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        let id = tidings::parse_user_id(id, field).map_err(|_| bad())?;
        Ok(Self {
            created_at: tidings::format_timestamp(&time),
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let c = PostCursor {
            created_at: "2026-11-22T10:00:00.000001Z".into(),
            id: Uuid::nil().to_string(),
        };
        assert_eq!(
            c.encode(),
            "1795341600000001_00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(PostCursor::decode(&c.encode(), "cursor").unwrap(), c);
        for bad in [
            "",
            "!!!",
            "_00000000-0000-0000-0000-000000000000",
            "12345678901234567_00000000-0000-0000-0000-000000000000",
            "-1_00000000-0000-0000-0000-000000000000",
            "1_00000000000000000000000000000000",
            "1_00000000-0000-0000-0000-000000000000_",
            "MjAyNi0xMS0yMlQxMDowMDowMC4wMDAwMDBafDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA",
        ] {
            assert!(
                matches!(PostCursor::decode(bad, "cursor"), Err(ApiError::Validation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_value_of_the_documented_form_is_a_position() {
        let largest = format!("{}_{}", "9".repeat(MAX_MICROS_DIGITS), Uuid::max());
        let position = PostCursor::decode(&largest, "before").unwrap();
        assert!(position.created_at.starts_with("2286-"), "{position:?}");
        assert!(PostCursor::decode("0_FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "cursor").is_ok());
    }
}
