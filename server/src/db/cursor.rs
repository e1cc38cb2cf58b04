//! The posts feed's keyset cursor: the (created_at, id) of the last post a
//! page showed, opaque to clients (URL-safe base64).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ApiError;

/// Position after which the next page starts (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCursor {
    pub created_at: String,
    pub id: String,
}

impl PostCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.created_at, self.id))
    }

    /// Parses a client's cursor; anything else is a 422 naming `cursor`.
    pub fn decode(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::field("cursor", "cursor is not one this server issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (created_at, id) = text.split_once('|').ok_or_else(bad)?;
        let time = DateTime::parse_from_rfc3339(created_at)
            .map_err(|_| bad())?
            .with_timezone(&Utc);
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Self {
            created_at: tidings::format_timestamp(&time),
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let c = PostCursor {
            created_at: "2026-11-22T10:00:00.000000Z".into(),
            id: Uuid::nil().to_string(),
        };
        assert_eq!(PostCursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!!", "aGVsbG8", &URL_SAFE_NO_PAD.encode("x|y")] {
            assert!(
                matches!(PostCursor::decode(bad), Err(ApiError::Validation(_))),
                "{bad}"
            );
        }
    }
}
