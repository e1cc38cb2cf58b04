//! Timestamps: UTC, written in one fixed RFC 3339 form everywhere.
//!
//! The fixed form (microseconds, `Z`) makes the text sort in time order, which
//! is what lets the database order and page by it as plain text.

use chrono::{DateTime, SecondsFormat, Utc};

/// A point in time, always UTC.
pub type Timestamp = DateTime<Utc>;

/// `2026-11-22T10:00:00.000000Z`: sortable as text.
pub fn format_timestamp(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_order_is_time_order() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::days(400);
        let (fa, fb, fc) = (
            format_timestamp(&a),
            format_timestamp(&b),
            format_timestamp(&c),
        );
        assert_eq!(fa, "2026-01-02T03:04:05.000000Z");
        assert!(fa < fb && fb < fc);
    }
}
