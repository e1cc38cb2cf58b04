//! Query keys from hook arguments: any serializable value names a query.
//!
//! A tuple or array becomes one segment per element (`("users", query)` ->
//! `["users", {...}]`), anything else one segment, so the first element of
//! a tuple is the family that `invalidate_prefix` reaches. A
//! [`QueryKey`] passed as the argument keeps its segments.

use serde::Serialize;
use serde_json::Value;
use tidings::cache::QueryKey;

/// The engine key for hook arguments `args`.
///
/// # Panics
/// When `args` cannot be serialized to JSON (a map with non-string keys):
/// a programming error, as keys are written in code.
pub fn query_key<K: Serialize + ?Sized>(args: &K) -> QueryKey {
    match serde_json::to_value(args).expect("query key arguments serialize to JSON") {
        Value::Array(segments) => QueryKey::from_segments(segments),
        single => QueryKey::new(single),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Filter {
        page: u32,
    }

    #[test]
    fn tuples_are_segments() {
        let key = query_key(&("users", Filter { page: 2 }));
        assert_eq!(key, QueryKey::new("users").with(json!({"page": 2})));
        assert!(key.starts_with(&query_key(&("users",))));
        assert_eq!(query_key("users"), QueryKey::new("users"));
        let own = QueryKey::new("post").with(7);
        assert_eq!(query_key(&own), own);
    }
}
