//! Passwords: the validated [`Password`] a client sends, and its argon2id
//! hash (PHC string form, salt and parameters inside) as the store keeps
//! it. Hashing is deliberately slow and memory-hungry, so callers on the
//! async runtime go through [`Hashing`]: a bounded number at once, on the
//! blocking pool.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// Fewest characters a new password may have.
pub const MIN_CHARS: usize = 8;
/// Most characters a password may have (hashing cost grows with length).
pub const MAX_CHARS: usize = 1024;

/// The password of the seeded demo accounts.
pub const DEMO_PASSWORD: &str = "tidings-demo";

/// A password a client sent; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

impl Password {
    /// A new password: `MIN_CHARS` to `MAX_CHARS` characters.
    pub fn parse_new(raw: &str) -> Result<Self, String> {
        let n = raw.chars().count();
        if n < MIN_CHARS {
            return Err(format!("password must be at least {MIN_CHARS} characters"));
        }
        Self::parse_given(raw)
    }

    /// A password given to sign in: not empty, at most `MAX_CHARS`
    /// characters (older passwords may be shorter than today's minimum).
    pub fn parse_given(raw: &str) -> Result<Self, String> {
        let n = raw.chars().count();
        if n == 0 {
            return Err("password is required".into());
        }
        if n > MAX_CHARS {
            return Err(format!("password must be at most {MAX_CHARS} characters"));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// argon2id with the production parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("the argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` under a fresh random salt.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal("hashing a password", e))
}

/// Whether `password` matches the PHC string `stored` (its own salt and
/// parameters). A malformed `stored` matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The bound on password hashing: each argon2 run takes about 19 MiB and
/// a core for tens of milliseconds, so at most `concurrent` run at once,
/// on the blocking pool. A caller waits at most `wait` for its turn; past
/// that the answer is 503 `busy` with `Retry-After`, so a flood of
/// sign-ins queues briefly, then is turned away, and never exhausts memory.
#[derive(Debug, Clone)]
pub struct Hashing {
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Hashing {
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(concurrent.max(1))),
            wait,
        }
    }

    async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal("waiting to hash a password", closed)),
            Err(_) => Err(ApiError::Busy { retry_after: 1 }),
        }
    }

    /// [`hash`], in its turn.
    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            hash(password.expose())
        })
        .await
        .map_err(|e| ApiError::internal("hashing a password", e))?
    }

    /// [`verify`], in its turn.
    pub async fn verify(&self, password: Password, stored: String) -> Result<bool, ApiError> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            verify(password.expose(), &stored)
        })
        .await
        .map_err(|e| ApiError::internal("verifying a password", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct horsf", &stored));
        assert!(!verify("correct horse", "not a hash"));
        assert_ne!(stored, hash("correct horse").unwrap(), "salts differ");
    }

    #[tokio::test]
    async fn hashing_takes_turns_and_turns_away_who_waits_too_long() {
        let hashing = Hashing::new(1, Duration::from_millis(20));
        let held = hashing.turn().await.unwrap();
        let password = Password::parse_given("correct horse").unwrap();
        assert!(matches!(
            hashing.hash(password.clone()).await,
            Err(ApiError::Busy { retry_after: 1 })
        ));
        drop(held);
        let stored = hashing.hash(password.clone()).await.unwrap();
        assert!(hashing.verify(password, stored).await.unwrap());
    }

    #[test]
    fn new_passwords_have_a_minimum_length() {
        assert!(Password::parse_new("1234567").is_err());
        assert!(Password::parse_new("12345678").is_ok());
        assert!(Password::parse_new(&"x".repeat(MAX_CHARS + 1)).is_err());
        assert!(Password::parse_given("").is_err());
        assert!(Password::parse_given("short").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse_given("secret").unwrap()),
            "Password(<hidden>)"
        );
    }
}
