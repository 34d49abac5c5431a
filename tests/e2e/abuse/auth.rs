//! Issue 11, points 2–5: password hashing cannot exhaust memory or slow other players,
//! lockout holds under parallel guessing and cannot lock the admin out from outside,
//! known and unknown addresses look the same, and a sign-up cannot pre-register someone
//! else's address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;
use futures_like::join_all;

use crate::common::*;
use crate::honest;

/// Rates high enough that only the mechanism under test limits the attack.
const UNLIMITED: [(&str, &str); 2] = [("ENTREPOT_AUTH_RATE_PER_ADDRESS", "100000"), ("ENTREPOT_AUTH_RATE_PER_CONNECTION", "100000")];

mod futures_like {
    /// Await every future concurrently (spawned on the runtime), in order.
    pub async fn join_all<T: Send + 'static>(futures: Vec<impl std::future::Future<Output = T> + Send + 'static>) -> Vec<T> {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("task"));
        }
        out
    }
}

fn code(r: &Result<Response, ClientError>) -> Option<ErrorCode> {
    match r {
        Err(ClientError::Api(e)) => Some(e.code),
        Err(other) => panic!("expected an API answer, got {other}"),
        Ok(_) => None,
    }
}

/// Resident memory of a process (kB), from /proc.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A client whose packets come from another loopback address (another player's IP).
async fn client_from(server: &Server, source: &str) -> Client {
    let endpoint = entrepot_protocol::client::endpoint(&server.fingerprint).unwrap();
    let source: SocketAddr = format!("{source}:0").parse().unwrap();
    endpoint.rebind(std::net::UdpSocket::bind(source).unwrap()).unwrap();
    Client::connect_with(endpoint, server.addr).await.expect("connect from another address")
}

/// 128 concurrent sign-ups on one connection (each its own stream), with the per-address
/// and per-connection rates out of the way: the hashing permits alone keep the server's
/// memory bounded (each argon2 hash takes ~19 MiB; the old server grew by gigabytes), and
/// an honest player trading meanwhile stays within the latency budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_flood_cannot_exhaust_memory_or_slow_other_players() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &UNLIMITED);
    let pid = server.pid();
    let attacker = Arc::new(server.client().await);
    let before = rss_kb(pid);
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(Ordering::Relaxed) {
                peak = peak.max(rss_kb(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        })
    };
    let attack = async {
        let calls = (0..128).map(|i| {
            let attacker = attacker.clone();
            async move { attacker.call(Request::Signup { email: format!("flood{i}@example.com"), password: PASSWORD.into() }).await }
        });
        join_all(calls.collect()).await
    };
    let (answers, latency) = honest::during(&server, attack).await;
    sampling.store(false, Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    assert!(answers.iter().all(|a| matches!(a, Ok(Response::SignedUp { account: 0 }))), "{:?}", answers.iter().find(|a| a.is_err()));
    let grown_mib = peak.saturating_sub(before) / 1024;
    eprintln!("signup flood: server RSS {} MiB before, peak {} MiB", before / 1024, peak / 1024);
    assert!(grown_mib <= 400, "128 concurrent sign-ups grew the server by {grown_mib} MiB");
    latency.assert_within_budget("128 concurrent sign-ups");
}

/// With the default limits, a burst of sign-ups on one connection is refused with
/// `RateLimited` (and the wait) beyond the per-connection rate, before any hashing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_bursts_are_rate_limited_before_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let attacker = Arc::new(server.client().await);
    let started = Instant::now();
    let calls = (0..60).map(|i| {
        let attacker = attacker.clone();
        async move { attacker.call(Request::Signup { email: format!("burst{i}@example.com"), password: PASSWORD.into() }).await }
    });
    let answers = join_all(calls.collect()).await;
    let limited: Vec<_> = answers
        .iter()
        .filter_map(|a| match a {
            Err(ClientError::Api(e)) if e.code == ErrorCode::RateLimited => Some(e.retry_after_ms),
            _ => None,
        })
        .collect();
    assert!(limited.len() >= 30, "only {} of 60 sign-ups were limited", limited.len());
    assert!(limited.iter().all(|wait| wait.is_some_and(|ms| ms > 0)), "RateLimited says how long to wait");
    eprintln!("60 sign-ups: {} limited, in {:?}", limited.len(), started.elapsed());
}

/// 60 concurrent logins for one account, 59 wrong and then the right one: attempts are
/// reserved before they are verified, so at most `lockout_failures` (5) wrong passwords
/// are checked and the right one is refused while the lockout holds. The old server
/// verified all 59 and let the right one in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_verify_at_most_the_lockout_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &UNLIMITED);
    let victim = "victim@example.com";
    server.player(victim).await;
    let attacker = Arc::new(server.client().await);
    let mut calls = Vec::new();
    for i in 0..60 {
        let attacker = attacker.clone();
        let password = if i == 59 { PASSWORD.to_string() } else { format!("wrong password {i}") };
        calls.push(async move {
            if i == 59 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            attacker.call(Request::Login { email: victim.into(), password }).await
        });
    }
    let answers = join_all(calls).await;
    let verified_wrong = answers.iter().filter(|a| code(a) == Some(ErrorCode::InvalidCredentials)).count();
    let locked = answers.iter().filter(|a| code(a) == Some(ErrorCode::LockedOut)).count();
    assert!(verified_wrong <= 5, "{verified_wrong} wrong passwords were verified (limit 5)");
    assert_eq!(verified_wrong + locked, 59 + usize::from(code(&answers[59]) == Some(ErrorCode::LockedOut)), "{answers:?}");
    assert_eq!(code(&answers[59]), Some(ErrorCode::LockedOut), "the right password got in during the attack: {:?}", answers[59]);
    let again = server.client().await.call(Request::Login { email: victim.into(), password: PASSWORD.into() }).await;
    assert_eq!(code(&again), Some(ErrorCode::LockedOut), "the lockout holds from the attacker's address");
}

/// An outsider who knows the admin's public address fails to log in as the admin many
/// times: only their own address is locked, and the operator logs in from another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_cannot_lock_the_admin_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &UNLIMITED);
    let attacker = server.client().await;
    let mut locked = false;
    for i in 0..30 {
        let answer = attacker.call(Request::Login { email: ADMIN_EMAIL.into(), password: format!("guess {i}") }).await;
        locked |= code(&answer) == Some(ErrorCode::LockedOut);
        assert_ne!(code(&answer), None, "a guess got in");
    }
    assert!(locked, "the attacker's own address is locked out");
    let operator = client_from(&server, "127.0.0.2").await;
    let (_, account) = operator.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("the admin logs in from another address");
    assert_eq!(account, 1000);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Known and unknown addresses: the same answers, and the same work (a wrong password is
/// checked against a real hash either way, so the times are alike; the old server took
/// ~25 ms for a known address and under 1 ms for an unknown one). A sign-up for a taken
/// address answers like a fresh one, and the owner is told by mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_addresses_look_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = UNLIMITED.to_vec();
    env.push(("ENTREPOT_LOCKOUT_FAILURES", "1000"));
    // The reset requests below must not use up the owner's one mail per interval.
    env.push(("ENTREPOT_ACCOUNT_MAIL_INTERVAL_SECS", "0"));
    let server = Server::start_with(dir.path(), &env);
    let known = "known@example.com";
    server.player(known).await;
    let c = server.client().await;

    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for i in 0..9 {
        for (email, times) in [(known, &mut known_times), ("nobody@example.com", &mut unknown_times)] {
            let started = Instant::now();
            let answer = c.call(Request::Login { email: email.into(), password: format!("wrong password {i}") }).await;
            times.push(started.elapsed());
            let Err(ClientError::Api(e)) = answer else { panic!("a wrong password was accepted or failed oddly") };
            assert_eq!((e.code, e.message.as_str()), (ErrorCode::InvalidCredentials, "wrong e-mail or password"));
        }
    }
    let (k, u) = (median(known_times), median(unknown_times));
    eprintln!("wrong password: known {k:?}, unknown {u:?} (medians)");
    assert!(k < u * 3 && u < k * 3, "login time tells known ({k:?}) from unknown ({u:?}) addresses");

    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for i in 0..5 {
        for (email, times) in [(known.to_string(), &mut known_times), (format!("nobody{i}@example.com"), &mut unknown_times)] {
            let started = Instant::now();
            assert_eq!(c.call(Request::RequestPasswordReset { email }).await.unwrap(), Response::ResetRequested);
            times.push(started.elapsed());
        }
    }
    let (k, u) = (median(known_times), median(unknown_times));
    eprintln!("reset request: known {k:?}, unknown {u:?} (medians)");
    assert!(k < u * 3 + Duration::from_millis(2) && u < k * 3 + Duration::from_millis(2), "reset time tells known ({k:?}) from unknown ({u:?})");

    // Sign-up: a taken address answers exactly like a fresh one; the owner gets a notice.
    let taken = c.call(Request::Signup { email: known.into(), password: "another password".into() }).await.unwrap();
    let fresh = c.call(Request::Signup { email: "fresh@example.com".into(), password: "another password".into() }).await.unwrap();
    assert_eq!(taken, fresh);
    assert_eq!(fresh, Response::SignedUp { account: 0 }, "the account id comes with the first Session");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !mails_to(&server.data_dir.join("mail"), known).iter().any(|(_, m)| m.contains("Subject: Sign-up attempt")) {
        assert!(Instant::now() < deadline, "the owner was not told about the sign-up attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nothing changed: the owner's password still works, the attempt's does not.
    c.login(known, PASSWORD).await.unwrap();
    assert_eq!(
        code(&server.client().await.call(Request::Login { email: known.into(), password: "another password".into() }).await),
        Some(ErrorCode::InvalidCredentials)
    );
}

/// Pre-registration hijack: an attacker signs up with the victim's address and their own
/// password; the victim then signs up. The attacker's confirmation token no longer
/// confirms, and the attacker's password never works; the victim's token activates the
/// victim's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_cannot_preregister_someone_elses_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let victim = "victim@example.com";
    let attacker_password = "attacker's own password";
    let c = server.client().await;
    c.call(Request::Signup { email: victim.into(), password: attacker_password.into() }).await.unwrap();
    let attacker_token = server.mail_token(victim);
    c.call(Request::Signup { email: victim.into(), password: PASSWORD.into() }).await.unwrap();
    let victim_token = server.mail_token(victim);

    let stale = c.call(Request::ConfirmEmail { email: victim.into(), token: attacker_token.clone() }).await;
    assert_eq!(code(&stale), Some(ErrorCode::InvalidToken), "the earlier sign-up's token still confirms");
    assert_eq!(
        code(&server.client().await.call(Request::Login { email: victim.into(), password: attacker_password.into() }).await),
        Some(ErrorCode::InvalidCredentials)
    );
    c.call(Request::ConfirmEmail { email: victim.into(), token: victim_token }).await.unwrap();
    assert_eq!(
        code(&server.client().await.call(Request::Login { email: victim.into(), password: attacker_password.into() }).await),
        Some(ErrorCode::InvalidCredentials)
    );
    assert_eq!(code(&c.call(Request::ConfirmEmail { email: victim.into(), token: attacker_token }).await), Some(ErrorCode::InvalidToken));
    let (_, account) = server.client().await.login(victim, PASSWORD).await.expect("the victim's own password");
    assert!(account >= 1000);
}
