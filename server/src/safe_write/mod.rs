//! Safe writes: which version a write changes (`If-Match`, [`IfMatch`]),
//! which request a retry repeats (`Idempotency-Key`, [`IdempotencyKey`],
//! [`IdempotentRequest`]), and the answer a write gives and records
//! ([`Answer`], [`Written`]). Plain types: `crate::extract` reads the
//! headers into them, `crate::db::idempotency` stores the keys and answers.

mod answer;
mod condition;
mod key;

pub use answer::{Answer, Written, REPLAYED_HEADER};
pub use condition::{IfMatch, IF_MATCH};
pub use key::{IdempotencyKey, IdempotentRequest, IDEMPOTENCY_KEY, KEY_TTL, MAX_KEY_LEN};
