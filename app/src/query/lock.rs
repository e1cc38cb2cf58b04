//! [`lock`]: a mutex lock that a panic elsewhere does not poison, so the
//! cache stays usable after a component panicked while holding it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, ignoring poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
