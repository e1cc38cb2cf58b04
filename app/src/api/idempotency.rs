//! `IdempotencyKey`: the name of one logical mutation. The caller makes
//! one per mutation (not per attempt) and the client sends it with every
//! attempt, so a replayed write is answered with the first answer instead
//! of being applied twice.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::platform;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key the caller already has (e.g. one persisted with an offline
    /// mutation).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// A fresh random key (a v4 UUID).
    pub fn random() -> Self {
        Self::from_bytes(platform::random_bytes())
    }

    /// The key made of these 16 random bytes (a v4 UUID).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Uuid> for IdempotencyKey {
    fn from(id: Uuid) -> Self {
        Self(id.to_string())
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_are_v4_uuids_and_differ() {
        let a = IdempotencyKey::random();
        let b = IdempotencyKey::random();
        assert_ne!(a, b);
        let parsed = Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(
            IdempotencyKey::from_bytes([0; 16]).as_str(),
            "00000000-0000-4000-8000-000000000000"
        );
    }
}
