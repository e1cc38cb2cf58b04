//! Integers as JSON Schema counts them: `3` and `3.0` are the same integer
//! (a JavaScript client may well write either), while `3.5` is not one.
//! serde reads only the first as an `i64`; these read both.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

struct Integral;

impl Visitor<'_> for Integral {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("the integer is too large"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 as f64; every integral f64 in (-2^63, 2^63) is an i64.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if v.fract() == 0.0 && v > -LIMIT && v < LIMIT {
            #[allow(clippy::cast_possible_truncation)]
            Ok(v as i64)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// An optional `i64` field (`#[serde(default, deserialize_with = ...)]`).
pub fn optional_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Integral).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional_i64")]
        version: Option<i64>,
    }

    fn read(json: &str) -> Result<Option<i64>, String> {
        serde_json::from_str::<Body>(json)
            .map(|b| b.version)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_integral_number_is_an_integer_in_either_spelling() {
        assert_eq!(read(r#"{"version": 3}"#), Ok(Some(3)));
        assert_eq!(read(r#"{"version": 3.0}"#), Ok(Some(3)));
        assert_eq!(read(r#"{"version": -2}"#), Ok(Some(-2)));
        assert_eq!(read("{}"), Ok(None));
        for bad in [
            r#"{"version": 3.5}"#,
            r#"{"version": "3"}"#,
            r#"{"version": 1e300}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
