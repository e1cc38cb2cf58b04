//! Login rate limiting, in memory: at most `per_ip.max` attempts per
//! client address within `per_ip.window`, and at most `per_account.max`
//! failed attempts on one account (email) from one address within
//! `per_account.window`; a success clears that address's failures. The
//! account limit is per address so that a guesser elsewhere slows only
//! itself: the owner, signing in from their own address with the right
//! password, is never locked out of their account. Each key keeps the
//! times of its counted attempts (a sliding window); time is passed in, so
//! tests move it instead of waiting. Limits are per process: several instances
//! each allow their own share.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Keys kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug)]
struct Windows<K> {
    limit: Limit,
    events: HashMap<K, VecDeque<Instant>>,
}

impl<K: Hash + Eq + Clone> Windows<K> {
    fn new(limit: Limit) -> Self {
        Self {
            limit,
            events: HashMap::new(),
        }
    }

    /// Seconds until `key` may try again (at least 1), if it is at the
    /// limit at `now`.
    fn blocked(&mut self, key: &K, now: Instant) -> Option<u64> {
        let window = self.limit.window;
        let times = self.events.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() < self.limit.max as usize {
            return None;
        }
        let oldest = *times.front()?;
        let wait = window.saturating_sub(now.saturating_duration_since(oldest));
        Some(wait.as_secs_f64().ceil().max(1.0) as u64)
    }

    fn count(&mut self, key: K, now: Instant) {
        if self.events.len() > SWEEP_ABOVE {
            let window = self.limit.window;
            self.events.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        self.events.entry(key).or_default().push_back(now);
    }

    fn clear(&mut self, key: &K) {
        self.events.remove(key);
    }
}

/// The limits of one process.
#[derive(Debug)]
pub struct LoginLimiter {
    per_ip: Mutex<Windows<Option<IpAddr>>>,
    per_account: Mutex<Windows<(String, Option<IpAddr>)>>,
}

impl LoginLimiter {
    pub fn new(per_ip: Limit, per_account: Limit) -> Self {
        Self {
            per_ip: Mutex::new(Windows::new(per_ip)),
            per_account: Mutex::new(Windows::new(per_account)),
        }
    }

    /// Counts an attempt from `ip` on `account` (a normalized email) at
    /// `now`: `Err(seconds to wait)` when either limit is reached (the
    /// attempt is then not counted against the account).
    pub fn attempt(&self, ip: Option<IpAddr>, account: &str, now: Instant) -> Result<(), u64> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wait) = per_ip.blocked(&ip, now) {
            return Err(wait);
        }
        per_ip.count(ip, now);
        drop(per_ip);
        let mut per_account = self.per_account.lock().unwrap_or_else(|e| e.into_inner());
        match per_account.blocked(&(account.to_owned(), ip), now) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Records a failed attempt on `account` from `ip`.
    pub fn failed(&self, ip: Option<IpAddr>, account: &str, now: Instant) {
        let mut per_account = self.per_account.lock().unwrap_or_else(|e| e.into_inner());
        per_account.count((account.to_owned(), ip), now);
    }

    /// Forgets the failures on `account` from `ip` after a successful
    /// sign-in from there.
    pub fn succeeded(&self, ip: Option<IpAddr>, account: &str) {
        let mut per_account = self.per_account.lock().unwrap_or_else(|e| e.into_inner());
        per_account.clear(&(account.to_owned(), ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(
            Limit {
                max: 3,
                window: Duration::from_secs(60),
            },
            Limit {
                max: 2,
                window: Duration::from_secs(900),
            },
        )
    }

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn an_address_gets_max_attempts_per_window() {
        let l = limiter();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(l.attempt(ip(1), &format!("a{i}"), t0), Ok(()));
        }
        assert_eq!(l.attempt(ip(1), "b", t0 + Duration::from_secs(20)), Err(40));
        assert_eq!(
            l.attempt(ip(2), "b", t0),
            Ok(()),
            "other addresses are free"
        );
        assert_eq!(
            l.attempt(ip(1), "b", t0 + Duration::from_secs(60)),
            Ok(()),
            "the window slides"
        );
    }

    #[test]
    fn an_account_gets_max_failures_per_address_and_a_success_clears_them() {
        let l = limiter();
        let t0 = Instant::now();
        for _ in 0..2 {
            assert_eq!(l.attempt(ip(1), "x", t0), Ok(()));
            l.failed(ip(1), "x", t0);
        }
        assert_eq!(
            l.attempt(ip(1), "x", t0 + Duration::from_millis(1)),
            Err(900)
        );
        // The owner, elsewhere, is not locked out.
        assert_eq!(l.attempt(ip(2), "x", t0), Ok(()), "another address");
        assert_eq!(l.attempt(ip(4), "y", t0), Ok(()), "other accounts are free");
        assert_eq!(l.attempt(ip(1), "x", t0 + Duration::from_secs(900)), Ok(()));
        l.failed(ip(6), "y", t0);
        l.succeeded(ip(6), "y");
        l.failed(ip(6), "y", t0);
        assert_eq!(l.attempt(ip(6), "y", t0), Ok(()), "cleared by the success");
    }
}
