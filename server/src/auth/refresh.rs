//! Refresh tokens as text: 256 bits, base64url, handed to the client in
//! the `tidings_refresh` cookie; the store keeps only their SHA-256
//! (`crate::db::auth`), so a copy of the database signs nobody in.
//!
//! A sign-in's token is random. Every later token of the family is its
//! predecessor's successor, `HMAC-SHA256(k, predecessor)` with `k` derived
//! from the server's secret ([`Successors`]), so the server can hand the
//! same successor out again when a token it rotated moments ago comes back
//! (the answer was lost, or two tabs refreshed at once) without keeping
//! the successor anywhere. Storing it sealed with the secret would have
//! done the same, but the secret itself may be kept in the database
//! (`crate::db::secrets`), and a copy of the database would then unseal
//! every fresh token; a derived successor needs the predecessor's text,
//! which the database never holds.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// What the successor key is derived for, so it is never the key that
/// signs access tokens.
const SUCCESSOR_LABEL: &[u8] = b"tidings refresh-token successor v1";

/// A new random refresh token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: what the store keeps and looks up.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key a refresh token's successor is derived with. Every instance
/// sharing the server's secret derives the same successors.
#[derive(Clone)]
pub struct Successors {
    key: [u8; 32],
}

impl std::fmt::Debug for Successors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Successors(<hidden>)")
    }
}

impl Successors {
    /// Derived from the server's `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(SUCCESSOR_LABEL);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// A random key: successors only this process can derive again.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self { key }
    }

    /// The token that replaces `token` when it is rotated.
    pub fn of(&self, token: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(token.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_as_their_digest() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_successor_is_the_same_for_one_secret_and_token_only() {
        let one = Successors::new(b"secret");
        let token = new_token();
        let next = one.of(&token);
        assert_eq!(next.len(), 43);
        assert_eq!(Successors::new(b"secret").of(&token), next);
        assert_ne!(one.of(&new_token()), next);
        assert_ne!(Successors::new(b"other").of(&token), next);
        assert_ne!(one.of(&next), next);
    }
}
