//! Request limits on the unauthenticated, expensive requests (sign-up, login, password
//! reset), checked before any password is hashed: per client address and per connection
//! (rates with a burst of two seconds' worth), and at most one account mail (a reset
//! token, a "someone tried to sign up with your address" notice) per e-mail address per
//! interval.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use entrepot_protocol::ApiError;
use governor::DefaultKeyedRateLimiter;

use crate::session::{limited, quota};

/// Forget idle keys once a limiter holds this many.
const RETAIN_AT: usize = 50_000;

pub struct Limits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_connection: DefaultKeyedRateLimiter<usize>,
    mail_interval: Duration,
    mailed: Mutex<HashMap<String, Instant>>,
}

fn check<K: Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), ApiError> {
    if limiter.len() > RETAIN_AT {
        limiter.retain_recent();
    }
    limited(limiter.check_key(key))
}

impl Limits {
    pub fn new(per_address: u32, per_connection: u32, mail_interval: Duration) -> Limits {
        Limits {
            per_address: DefaultKeyedRateLimiter::keyed(quota(per_address)),
            per_connection: DefaultKeyedRateLimiter::keyed(quota(per_connection)),
            mail_interval,
            mailed: Mutex::new(HashMap::new()),
        }
    }

    /// One sign-up, login or reset request from `address` on connection `connection`
    /// (quinn's `stable_id`): `RateLimited` with the wait beyond either rate.
    pub fn request(&self, address: IpAddr, connection: usize) -> Result<(), ApiError> {
        check(&self.per_connection, &connection)?;
        check(&self.per_address, &address)
    }

    /// May the server mail `email` now? Records the mail when it may.
    pub fn may_mail(&self, email: &str) -> bool {
        let mut mailed = self.mailed.lock().expect("lock");
        if mailed.len() > RETAIN_AT {
            let interval = self.mail_interval;
            mailed.retain(|_, at| at.elapsed() < interval);
        }
        match mailed.get(email) {
            Some(at) if at.elapsed() < self.mail_interval => false,
            _ => {
                mailed.insert(email.to_owned(), Instant::now());
                true
            }
        }
    }
}
