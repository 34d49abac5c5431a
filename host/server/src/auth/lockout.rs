//! Failed-login counting with lockout. An attempt is *reserved* before its password is
//! verified and counts as a failure until it is known to be right, so at most `limit`
//! wrong passwords are ever verified per key and window, however many arrive at once.
//!
//! Keys (see `Auth::reserve_login`): the (client address, e-mail) pair, the client
//! address alone (4× the limit) and, for non-admin accounts only, the e-mail alone
//! (`lockout_account_failures`, against guessing from many addresses). An outside
//! attacker therefore locks out only their own address: the admin account has no
//! per-account ceiling and stays reachable from every other address.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entrepot_protocol::{ApiError, ErrorCode};

#[derive(Debug)]
struct Count {
    /// Verified wrong passwords since `since`.
    failures: u32,
    /// Attempts reserved and not yet decided.
    inflight: u32,
    since: Instant,
}

pub struct Lockout {
    window: Duration,
    seen: Mutex<HashMap<String, Count>>,
}

/// One key an attempt counts against.
pub struct Key {
    pub key: String,
    pub limit: u32,
    /// A right password clears this key's failures (not so for the address-wide key: an
    /// attacker's own successful logins must not reset their address's count).
    pub cleared_by_success: bool,
}

/// A reserved attempt; an attempt dropped without an outcome counts as failed.
pub struct Reservation {
    lockout: Arc<Lockout>,
    keys: Vec<Key>,
    done: bool,
}

impl Lockout {
    pub fn new(window: Duration) -> Arc<Lockout> {
        Arc::new(Lockout { window, seen: Mutex::new(HashMap::new()) })
    }

    /// Reserve one attempt under every key, or none (`LockedOut` with the wait) when any
    /// key has `limit` failures and undecided attempts.
    pub fn reserve(self: &Arc<Self>, keys: Vec<Key>) -> Result<Reservation, ApiError> {
        let mut seen = self.seen.lock().expect("lock");
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, c| c.inflight > 0 || c.since.elapsed() < window);
        }
        for k in &keys {
            if let Some(c) = seen.get_mut(&k.key) {
                let elapsed = c.since.elapsed();
                if elapsed >= self.window && c.inflight == 0 {
                    c.failures = 0;
                    c.since = Instant::now();
                }
                if c.failures.saturating_add(c.inflight) >= k.limit {
                    let mut e = ApiError::new(ErrorCode::LockedOut, "too many failed logins; try again later");
                    e.retry_after_ms = Some(self.window.saturating_sub(elapsed).as_millis().max(1) as u64);
                    return Err(e);
                }
            }
        }
        for k in &keys {
            let c = seen.entry(k.key.clone()).or_insert(Count { failures: 0, inflight: 0, since: Instant::now() });
            c.inflight += 1;
        }
        Ok(Reservation { lockout: self.clone(), keys, done: false })
    }
}

impl Reservation {
    /// The password was right (`true`) or wrong.
    pub fn finish(mut self, right: bool) {
        self.settle(right);
    }

    fn settle(&mut self, right: bool) {
        if self.done {
            return;
        }
        self.done = true;
        let mut seen = self.lockout.seen.lock().expect("lock");
        for k in &self.keys {
            if let Some(c) = seen.get_mut(&k.key) {
                c.inflight = c.inflight.saturating_sub(1);
                if !right {
                    c.failures = c.failures.saturating_add(1);
                } else if k.cleared_by_success {
                    c.failures = 0;
                }
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.settle(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, limit: u32) -> Vec<Key> {
        vec![Key { key: k.into(), limit, cleared_by_success: true }]
    }

    #[test]
    fn concurrent_attempts_are_counted_before_they_are_verified() {
        let lockout = Lockout::new(Duration::from_secs(60));
        let held: Vec<Reservation> = (0..3).map(|_| lockout.reserve(key("a", 3)).unwrap()).collect();
        assert_eq!(lockout.reserve(key("a", 3)).err().unwrap().code, ErrorCode::LockedOut, "three undecided attempts fill the limit");
        let mut held = held.into_iter();
        held.next().unwrap().finish(true);
        // A success clears the failures but the two still undecided count.
        let r = lockout.reserve(key("a", 3)).unwrap();
        drop(held);
        r.finish(false);
        assert!(lockout.reserve(key("a", 3)).is_err(), "dropped attempts count as failures");
        assert!(lockout.reserve(key("b", 3)).is_ok(), "other keys are unaffected");
    }
}
