//! Canonical JSON: compact, object fields in byte order of their names,
//! strings and numbers as `serde_json` writes them. Two documents that
//! differ only in spacing or field order have the same canonical text,
//! which is what a cache key's hash and an idempotency fingerprint need.

use std::fmt::Write;

use serde_json::Value;

/// The canonical text of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The canonical text of the array of `items`, without building that
/// array first.
pub fn canonical_json_array(items: &[Value]) -> String {
    let mut out = String::with_capacity(16 * items.len() + 2);
    write_array(items, &mut out);
    out
}

fn write_array(items: &[Value], out: &mut String) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, out);
    }
    out.push(']');
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => write_array(items, out),
        Value::Object(map) => {
            let mut fields: Vec<_> = map.iter().collect();
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, item)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(name, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        Value::String(text) => write_str(text, out),
        // Writing to a `String` cannot fail.
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

/// `text` as a JSON string, as `serde_json` writes it: as it is between
/// quotes when nothing in it needs escaping (the usual case for keys),
/// else through `serde_json`.
fn write_str(text: &str, out: &mut String) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        let _ = write!(out, "{}", Value::from(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_and_field_order_do_not_matter() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": "é"}], "a": null}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
        let reordered: Value =
            serde_json::from_str(r#"{"a":null,"b":[{"x":"é","y":2},1]}"#).unwrap();
        assert_ne!(
            canonical_json(&a),
            canonical_json(&reordered),
            "array order matters"
        );
        let items = [
            serde_json::json!("users"),
            serde_json::json!({"b": 1, "a": [2.5, null]}),
        ];
        assert_eq!(
            canonical_json_array(&items),
            canonical_json(&Value::Array(items.to_vec()))
        );
        assert_eq!(canonical_json_array(&[]), "[]");
        let quoted = serde_json::json!({ "k\"": "v\n", "é\\": "\u{7f}" });
        assert_eq!(
            canonical_json(&quoted),
            serde_json::to_string(&quoted).unwrap()
        );
    }
}
