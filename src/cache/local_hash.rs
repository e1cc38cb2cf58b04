//! A hasher for keys the client makes itself: entity ids, the filters of
//! its own cached lists and its query keys' hashes. No one chooses them to
//! collide, so SipHash's guard against chosen keys buys nothing here and
//! costs most of a lookup; this one folds the bytes, eight at a time.

use std::hash::{BuildHasherDefault, Hasher};

/// Folds written bytes into one word; see the module docs.
#[derive(Default)]
pub(crate) struct LocalHasher(u64);

impl Hasher for LocalHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    /// The fold, its bits mixed (MurmurHash3's finalizer): a table uses
    /// some bits of a hash and ids that differ in a few bytes (sequential
    /// or time-ordered ids) must still spread over all of them.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Hash maps and sets keyed by entity ids, the client's own filters or
/// its query keys.
pub(crate) type ById = BuildHasherDefault<LocalHasher>;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use uuid::Uuid;

    use super::*;

    #[test]
    fn sequential_ids_spread_over_the_low_bits() {
        // A table picks its bucket from the low bits: ids counting up in
        // their last bytes must not all land in a few buckets.
        let buckets: HashSet<u64> = (0..4_096u128)
            .map(|n| {
                let mut h = LocalHasher::default();
                h.write(Uuid::from_u128(n).as_bytes());
                h.finish() & 0xfff
            })
            .collect();
        assert!(buckets.len() > 2_000, "{} of 4,096 buckets", buckets.len());
    }

    #[test]
    fn distinct_ids_rarely_share_a_hash() {
        let hashes: HashSet<u64> = (0..10_000u128)
            .map(|n| {
                let mut h = LocalHasher::default();
                h.write(Uuid::from_u128(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).as_bytes());
                h.finish()
            })
            .collect();
        assert_eq!(hashes.len(), 10_000);
    }
}
