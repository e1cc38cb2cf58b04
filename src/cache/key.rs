//! Query keys: hierarchical, JSON-valued names for cached queries, their
//! stable hash, and prefix matching.
//!
//! A key is a list of segments, from general to specific:
//! `["users"]`, `["users", {"page": 1, "role": "admin"}]`, `["user", "<id>"]`.
//! The hash is canonical JSON with object fields sorted, so two keys that
//! are equal as values hash equally whatever order their objects were built
//! in, on every platform. Prefix matching is what lets one invalidation
//! reach a whole family of queries.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A hierarchical query key; see the module docs. Shared, not copied:
/// cloning one (into a notification, an index) is a reference count, and
/// its hash is computed once, on first use, for every clone.
#[derive(Clone)]
pub struct QueryKey(Arc<Segments>);

/// A key's segments and, once asked for, its hash.
struct Segments {
    values: Box<[Value]>,
    hash: OnceLock<KeyHash>,
}

impl Segments {
    fn new(values: Box<[Value]>) -> Arc<Self> {
        Arc::new(Self {
            values,
            hash: OnceLock::new(),
        })
    }
}

impl PartialEq for QueryKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.values == other.0.values
    }
}

impl fmt::Debug for QueryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("QueryKey").field(&self.0.values).finish()
    }
}

/// The stable identity of a [`QueryKey`]: canonical JSON text, shared
/// like the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyHash(Arc<str>);

impl Default for QueryKey {
    fn default() -> Self {
        Self::root()
    }
}

impl Serialize for QueryKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.values.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for QueryKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Value>::deserialize(deserializer).map(Self::from_segments)
    }
}

impl Serialize for KeyHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for KeyHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self(text.into()))
    }
}

impl KeyHash {
    /// The canonical text, e.g. `["users",{"page":1}]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the keys under `prefix` lie in hash order, for a range scan
    /// instead of a look at every key; `None` for the root (every key).
    ///
    /// Canonical JSON is self-delimiting, so a key starts with `prefix`
    /// exactly when its text is the prefix's, or the prefix's without its
    /// closing `]` followed by `,`: all such texts sort together, from the
    /// prefix's open text on.
    pub(super) fn span_under(prefix: &QueryKey) -> Option<PrefixSpan> {
        if prefix.is_empty() {
            return None;
        }
        let hash = prefix.hash();
        let open = &hash.0[..hash.0.len() - 1];
        Some(PrefixSpan(KeyHash(open.into())))
    }
}

/// The hashes of the keys under one prefix; see [`KeyHash::span_under`].
pub(super) struct PrefixSpan(KeyHash);

impl PrefixSpan {
    /// The first hash the span may hold (the prefix's open text).
    pub(super) fn start(&self) -> &KeyHash {
        &self.0
    }

    /// Whether `hash`, at or after [`PrefixSpan::start`], is still in the
    /// run of texts the span lies in.
    pub(super) fn runs_on(&self, hash: &KeyHash) -> bool {
        hash.0.starts_with(self.0.as_str())
    }

    /// Whether `hash`, in the run, is a key under the prefix (not one whose
    /// last segment merely starts alike: `[1` opens `[10]` too).
    pub(super) fn holds(&self, hash: &KeyHash) -> bool {
        matches!(hash.0.as_bytes().get(self.0 .0.len()), Some(b',' | b']'))
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl QueryKey {
    /// The empty key: a prefix of every key.
    pub fn root() -> Self {
        Self(Segments::new(Box::new([])))
    }

    /// A key of one segment, e.g. `QueryKey::new("users")`.
    pub fn new(first: impl Into<Value>) -> Self {
        Self(Segments::new(Box::new([first.into()])))
    }

    /// A key made of `segments`, in order.
    pub fn from_segments(segments: impl IntoIterator<Item = Value>) -> Self {
        Self(Segments::new(segments.into_iter().collect()))
    }

    /// This key with one more segment.
    pub fn with(self, segment: impl Into<Value>) -> Self {
        let mut segments = self.0.values.to_vec();
        segments.push(segment.into());
        Self::from_segments(segments)
    }

    /// This key with `segment` serialized as one more segment (a filter
    /// struct, a [`uuid::Uuid`], ...).
    pub fn with_serialized(self, segment: &impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(self.with(serde_json::to_value(segment)?))
    }

    /// The segments, general to specific.
    pub fn segments(&self) -> &[Value] {
        &self.0.values
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.0.values.len()
    }

    /// Whether this is the root key.
    pub fn is_empty(&self) -> bool {
        self.0.values.is_empty()
    }

    /// Whether `prefix`'s segments equal this key's first segments.
    /// Every key starts with itself and with [`QueryKey::root`].
    pub fn starts_with(&self, prefix: &QueryKey) -> bool {
        let (prefix, key) = (prefix.segments(), self.segments());
        prefix.len() <= key.len() && prefix.iter().zip(key).all(|(p, s)| p == s)
    }

    /// The stable hash (see the module docs).
    pub fn hash(&self) -> KeyHash {
        self.0
            .hash
            .get_or_init(|| KeyHash(crate::canonical::canonical_json_array(&self.0.values).into()))
            .clone()
    }
}

impl fmt::Display for QueryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hash().as_str())
    }
}

impl<V: Into<Value>, const N: usize> From<[V; N]> for QueryKey {
    fn from(segments: [V; N]) -> Self {
        Self::from_segments(segments.into_iter().map(Into::into))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_span_under_a_prefix_holds_exactly_the_keys_starting_with_it() {
        let keys: Vec<QueryKey> = [
            json!(["users"]),
            json!(["users", "list", {"page": 1}]),
            json!(["users", "list", {"page": 10}]),
            json!(["users2"]),
            json!(["users", "detail", 1]),
            json!(["users", "detail", 10]),
            json!(["users", "detail", 1.0]),
            json!(["users", "de,tail"]),
            json!(["users\"", "x"]),
            json!([1]),
            json!([10]),
            json!([[1], 2]),
            json!([[1, 2]]),
            json!([{"a": [1]}]),
            json!([{"a": [1], "b": 2}]),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
        let mut hashes: Vec<(KeyHash, &QueryKey)> = keys.iter().map(|k| (k.hash(), k)).collect();
        hashes.sort_by(|a, b| a.0.cmp(&b.0));
        let more = [
            QueryKey::new("users").with("detail"),
            QueryKey::new("users").with("list"),
            QueryKey::new(json!([1])),
            QueryKey::new(json!({"a": [1]})),
        ];
        for prefix in keys.iter().chain(&more) {
            let span = KeyHash::span_under(prefix).expect("not the root");
            let got: Vec<&QueryKey> = hashes
                .iter()
                .skip_while(|(h, _)| h < span.start())
                .take_while(|(h, _)| span.runs_on(h))
                .filter(|(h, _)| span.holds(h))
                .map(|(_, k)| *k)
                .collect();
            let want: Vec<&QueryKey> = hashes
                .iter()
                .map(|(_, k)| *k)
                .filter(|k| k.starts_with(prefix))
                .collect();
            assert_eq!(got, want, "under {prefix:?}");
        }
        assert!(KeyHash::span_under(&QueryKey::root()).is_none());
    }

    #[test]
    fn hash_ignores_object_field_order() {
        let a = QueryKey::new("users").with(json!({"page": 1, "role": "admin"}));
        let mut obj = serde_json::Map::new();
        obj.insert("role".into(), json!("admin"));
        obj.insert("page".into(), json!(1));
        let b = QueryKey::new("users").with(Value::Object(obj));
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.hash().as_str(), r#"["users",{"page":1,"role":"admin"}]"#);
        assert_ne!(
            a.hash(),
            QueryKey::new("users").with(json!({"page": 2})).hash()
        );
    }

    #[test]
    fn prefixes() {
        let users = QueryKey::new("users");
        let page = users.clone().with(json!({"page": 1}));
        assert!(page.starts_with(&users));
        assert!(page.starts_with(&page));
        assert!(page.starts_with(&QueryKey::root()));
        assert!(!users.starts_with(&page));
        assert!(!QueryKey::new("user").with("1").starts_with(&users));
        assert_eq!(QueryKey::from(["users", "x"]).len(), 2);
    }

    #[test]
    fn serializes_as_plain_array() {
        let key = QueryKey::new("post").with(7);
        assert_eq!(serde_json::to_string(&key).unwrap(), r#"["post",7]"#);
        let back: QueryKey = serde_json::from_str(r#"["post",7]"#).unwrap();
        assert_eq!(back, key);
        assert_eq!(key.to_string(), r#"["post",7]"#);
    }
}
