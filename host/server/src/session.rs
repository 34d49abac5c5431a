//! One connection's session: the hello exchange, who is logged in (with a periodic
//! re-check against the store), and the rate limits per connection and per account.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entrepot_protocol::*;
use governor::{clock::Clock, DefaultDirectRateLimiter, Quota};

use crate::auth::Session;
use crate::clock::now_ms;
use crate::errors::err;
use crate::state::Shared;
use crate::subscriptions::Registry;

/// Application error codes used when the server closes a connection.
pub mod close {
    pub const BAD_FRAME: u32 = 1;
    pub const UNSUPPORTED_VERSION: u32 = 2;
    pub const SHUTDOWN: u32 = 3;
}

/// How long a connection trusts its cached session before asking the store again.
const SESSION_RECHECK: Duration = Duration::from_secs(5);

/// What the server keeps per connection.
pub struct Conn {
    pub peer: SocketAddr,
    pub connection: quinn::Connection,
    hello: AtomicBool,
    /// The session token and what it grants, and when the store last confirmed it.
    session: Mutex<Option<(String, Session, Instant)>>,
    pub limiter: DefaultDirectRateLimiter,
    /// This connection's push streams (capped; see `subscriptions`).
    pub subscriptions: Arc<Mutex<Registry>>,
}

impl Conn {
    pub fn new(shared: &Shared, peer: SocketAddr, connection: quinn::Connection) -> Conn {
        Conn {
            peer,
            connection,
            hello: AtomicBool::new(false),
            session: Mutex::new(None),
            limiter: DefaultDirectRateLimiter::direct(quota(shared.config.rate_per_connection)),
            subscriptions: Arc::default(),
        }
    }

    pub fn said_hello(&self) -> bool {
        self.hello.load(Ordering::Acquire)
    }

    /// Forget the session (logout); returns its token.
    pub fn end_session(&self) -> Option<String> {
        self.session.lock().expect("lock").take().map(|(token, _, _)| token)
    }

    /// The session token, if logged in.
    pub fn token(&self) -> Option<String> {
        self.session.lock().expect("lock").as_ref().map(|(t, _, _)| t.clone())
    }
}

/// Requests/second → a quota allowing bursts of two seconds' worth.
pub fn quota(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).expect("positive");
    Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::new(2).expect("2")))
}

/// A rate limiter's verdict as an API error with the wait.
pub fn limited(limiter_result: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>) -> Result<(), ApiError> {
    limiter_result.map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        let mut e = err(ErrorCode::RateLimited, "too many requests");
        e.retry_after_ms = Some(wait.as_millis().max(1) as u64);
        e
    })
}

/// The first request on a connection: the protocol version check.
pub fn hello(shared: &Shared, conn: &Conn, request: Request) -> Result<Response, ApiError> {
    let Request::Hello(h) = request else {
        return Err(err(ErrorCode::HelloRequired, "the first request on a connection must be Hello"));
    };
    if h.magic != MAGIC || h.version != PROTOCOL_VERSION {
        let e = err(ErrorCode::UnsupportedVersion, format!("this server speaks protocol version {PROTOCOL_VERSION}"));
        let connection = conn.connection.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            connection.close(close::UNSUPPORTED_VERSION.into(), b"unsupported protocol version");
        });
        return Err(e);
    }
    conn.hello.store(true, Ordering::Release);
    Ok(Response::Welcome(Welcome { version: PROTOCOL_VERSION, server: shared.server_name.clone(), capabilities: capabilities(), max_frame: MAX_FRAME as u32 }))
}

/// Remember a fresh session on the connection and answer with it.
pub fn start_session(conn: &Conn, token: String, s: Session) -> Response {
    let response = Response::Session { token: token.clone(), account: s.account, admin: s.admin, expires_at_ms: s.expires_ms };
    *conn.session.lock().expect("lock") = Some((token, s, Instant::now()));
    response
}

/// The session a request runs under: logged in, not expired, not revoked elsewhere (checked
/// every few seconds), and within the account's rate.
pub fn authorised(shared: &Shared, conn: &Conn) -> Result<Session, ApiError> {
    let session = current_session(shared, conn)?;
    if session.expires_ms <= now_ms() {
        return Err(err(ErrorCode::NotAuthenticated, "the session expired; log in again"));
    }
    limited(shared.account_limiter.check_key(&session.account))?;
    Ok(session)
}

fn current_session(shared: &Shared, conn: &Conn) -> Result<Session, ApiError> {
    let mut guard = conn.session.lock().expect("lock");
    let Some((token, session, checked)) = guard.as_mut() else {
        return Err(err(ErrorCode::NotAuthenticated, "log in first"));
    };
    // A logout or password reset elsewhere ends this session too: re-check it now and then.
    if checked.elapsed() > SESSION_RECHECK {
        match shared.auth.session(token) {
            Ok(fresh) => {
                *session = fresh;
                *checked = Instant::now();
            }
            Err(e) => {
                *guard = None;
                return Err(e);
            }
        }
    }
    Ok(session.clone())
}

/// What `Welcome.capabilities` announces: the request families this server understands
/// beyond the first version's. A client sends `Assets` / `MarketPolicies` only to a
/// server that lists `"assets"` / `"market-policies"`, and `Page` / `BalancesOf` only to
/// one that lists `"paging"`.
pub fn capabilities() -> Vec<String> {
    ["orders", "market-data", "account-stream", "pipelining", "assets", "market-policies", "paging", "marketdata"].map(String::from).to_vec()
}
