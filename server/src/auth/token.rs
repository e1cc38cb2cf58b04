//! Access tokens: HS256 JSON Web Tokens with the claims `sub` (the user's
//! id), `role`, `iat` and `exp` (Unix seconds), and `sid`, the sign-in
//! session (refresh family) the token was issued in, when there is one.
//! Only HS256 is accepted, whatever a token's header claims. The key is
//! the server's secret (`--jwt-secret`, or the one kept in the store),
//! which every instance behind one site shares.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tidings::Role;
use uuid::Uuid;

use super::Actor;

type HmacSha256 = Hmac<Sha256>;

/// The header of every token this server signs.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<Uuid>,
}

/// What a valid token grants: its actor, the session it was issued in,
/// and when it expires (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub actor: Actor,
    pub session: Option<Uuid>,
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Why a token was refused (all of them are a 401 to the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is malformed")]
    Malformed,
    #[error("the access token's signature is not valid")]
    BadSignature,
    #[error("the access token has expired")]
    Expired,
}

/// The signing key.
#[derive(Clone)]
pub struct TokenKeys {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(<hidden>)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: secret.to_vec(),
        }
    }

    /// A random 256-bit key: tokens it signs are valid in this process only.
    pub fn random() -> Self {
        let mut key = vec![0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self { key }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// A token for `actor`, issued at `now` (Unix seconds), valid for
    /// `ttl_secs`.
    pub fn issue(&self, actor: Actor, now: i64, ttl_secs: i64) -> String {
        self.issue_in(actor, None, now, ttl_secs)
    }

    /// [`TokenKeys::issue`], naming the sign-in `session`.
    pub fn issue_in(&self, actor: Actor, session: Option<Uuid>, now: i64, ttl_secs: i64) -> String {
        let claims = Claims {
            sub: actor.id.to_string(),
            role: actor.role,
            iat: now,
            exp: now + ttl_secs,
            sid: session,
        };
        let claims = serde_json::to_vec(&claims).expect("claims serialize");
        let mut token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut mac = self.mac();
        mac.update(token.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        token.push('.');
        token.push_str(&signature);
        token
    }

    /// The actor a token names, if it is signed with this key, is HS256
    /// and has not expired at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Actor, TokenError> {
        self.grant(token, now).map(|g| g.actor)
    }

    /// [`TokenKeys::verify`], with the session and expiry.
    pub fn grant(&self, token: &str, now: i64) -> Result<Grant, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| TokenError::Malformed)
        };
        let parsed: Header =
            serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
        if parsed.alg != "HS256" {
            return Err(TokenError::Malformed);
        }
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(claims.as_bytes());
        mac.verify_slice(&decode(signature)?)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims =
            serde_json::from_slice(&decode(claims)?).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        let id = Uuid::parse_str(&claims.sub).map_err(|_| TokenError::Malformed)?;
        Ok(Grant {
            actor: Actor {
                id,
                role: claims.role,
            },
            session: claims.sid,
            expires_at: claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            id: Uuid::from_u128(7),
            role: Role::Moderator,
        }
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let keys = TokenKeys::new(b"secret");
        let token = keys.issue(actor(), 1_000, 900);
        assert_eq!(keys.verify(&token, 1_000), Ok(actor()));
        assert_eq!(keys.verify(&token, 1_899), Ok(actor()));
        assert_eq!(keys.verify(&token, 1_900), Err(TokenError::Expired));
    }

    #[test]
    fn other_keys_tampering_and_other_algorithms_are_refused() {
        let keys = TokenKeys::new(b"secret");
        let token = keys.issue(actor(), 1_000, 900);
        assert_eq!(
            TokenKeys::new(b"other").verify(&token, 1_000),
            Err(TokenError::BadSignature)
        );
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            r#"{"sub":"00000000-0000-0000-0000-000000000007","role":"admin","iat":1000,"exp":9999}"#,
        );
        let forged = format!("{head}.{forged_claims}.{signature}");
        assert_eq!(keys.verify(&forged, 1_000), Err(TokenError::BadSignature));
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            forged_claims
        );
        assert_eq!(keys.verify(&none, 1_000), Err(TokenError::Malformed));
        for bad in ["", "a.b", "a.b.c.d", "!!.??.**"] {
            assert_eq!(keys.verify(bad, 1_000), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_token_names_its_session_and_expiry() {
        let keys = TokenKeys::new(b"secret");
        let session = Uuid::from_u128(42);
        let token = keys.issue_in(actor(), Some(session), 1_000, 900);
        let grant = keys.grant(&token, 1_000).unwrap();
        assert_eq!(grant.session, Some(session));
        assert_eq!(grant.expires_at, 1_900);
        assert_eq!(grant.actor, actor());
        let plain = keys.issue(actor(), 1_000, 900);
        assert_eq!(keys.grant(&plain, 1_000).unwrap().session, None);
    }

    #[test]
    fn the_claims_are_the_contracts() {
        let token = TokenKeys::new(b"k").issue(actor(), 5, 10);
        let claims = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({
                "sub": "00000000-0000-0000-0000-000000000007",
                "role": "moderator",
                "iat": 5,
                "exp": 15
            })
        );
    }
}
