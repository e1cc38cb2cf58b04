//! Randomness and the wall clock, from the browser (`hydrate`) or from
//! the standard library. Only the defaults use these: every part that
//! needs them takes them injected, so tests are exact.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    imp::now_ms()
}

/// The instant `ms` milliseconds after the Unix epoch (the epoch itself
/// for one out of range), as dates are read and written.
pub fn instant_at(ms: f64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

/// A uniform random number in `[0, 1)`.
pub fn random_unit() -> f64 {
    imp::random_unit()
}

/// 16 random bytes (cryptographically strong in the browser).
pub fn random_bytes() -> [u8; 16] {
    imp::random_bytes()
}

#[cfg(feature = "hydrate")]
mod imp {
    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    pub fn random_unit() -> f64 {
        js_sys::Math::random()
    }

    pub fn random_bytes() -> [u8; 16] {
        let mut bytes = [0u8; 16];
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
        if !filled {
            for b in &mut bytes {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        bytes
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    fn since_epoch() -> std::time::Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }

    pub fn now_ms() -> f64 {
        since_epoch().as_secs_f64() * 1000.0
    }

    /// 64 bits from the standard library's per-process random hash keys,
    /// a counter and the time: unpredictable enough for jitter and keys,
    /// never repeated within a process.
    fn random_u64() -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(since_epoch().as_nanos());
        hasher.finish()
    }

    pub fn random_unit() -> f64 {
        (random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn random_bytes() -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&random_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&random_u64().to_le_bytes());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_stay_in_range() {
        for _ in 0..1000 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r), "{r}");
        }
        assert_ne!(random_bytes(), random_bytes());
        assert!(now_ms() > 1.6e12);
    }
}
