//! Abuse: subscriptions (see main.rs). Issue 11, point 1: subscriptions end with their
//! connection, are capped per connection, never slow the commit thread, and an account's
//! history replays in pages, exactly once and in order.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use entrepot_protocol::client::Client;
use entrepot_protocol::*;

use crate::common::*;
use crate::honest;

/// Write a server config file next to the data directory's files.
fn config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("abuse-config.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn start(dir: &Path, toml: &str) -> Server {
    let path = config(dir, toml);
    Server::start_with(dir, &[("ENTREPOT_CONFIG", path.to_str().unwrap())])
}

/// Send every request on one pipelined stream, then read the answers in order; each must
/// come within 10 s (a subscribe that hangs is a failure, not a stuck test).
async fn pipelined(c: &Client, requests: Vec<Request>) -> Vec<Result<Response, ApiError>> {
    let mut p = c.pipeline().await.unwrap();
    let n = requests.len();
    let sender = async {
        for r in requests {
            p.send(c.next_id(), r).await.unwrap();
        }
        p
    };
    let mut p = tokio::time::timeout(Duration::from_secs(10), sender).await.expect("requests sent within 10 s");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let frame =
            tokio::time::timeout(Duration::from_secs(10), p.recv()).await.unwrap_or_else(|_| panic!("answer {i} of {n} within 10 s")).unwrap().expect("frame");
        out.push(frame.result);
    }
    out
}

fn code(r: &Result<Response, ApiError>) -> Option<ErrorCode> {
    r.as_ref().err().map(|e| e.code)
}

/// The server's resident memory (kB).
fn rss_kb(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_stream_and_a_bounded_number_of_market_streams_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "max_market_subscriptions = 3\n");
    let (c, _) = server.player("many@example.com").await;
    let mut pushes = c.pushes().await.unwrap();

    // 2,000 account subscriptions: one stream, the rest refused.
    let answers = pipelined(&c, vec![Request::SubscribeAccount { from_cursor: 0 }; 2000]).await;
    assert!(matches!(answers[0], Ok(Response::Subscribed { .. })), "{:?}", answers[0]);
    assert!(answers[1..].iter().all(|a| code(a) == Some(ErrorCode::TooManySubscriptions)), "every further SubscribeAccount is refused");

    // 2,000 subscriptions of one market: a snapshot each, one stream.
    let answers = pipelined(&c, vec![Request::SubscribeMarket { market: 1 }; 2000]).await;
    assert!(answers.iter().all(|a| matches!(a, Ok(Response::Book(_)))), "a market already subscribed answers its snapshot");
    // The cap counts distinct markets.
    let answers = pipelined(&c, (2..=4).map(|market| Request::SubscribeMarket { market }).collect()).await;
    assert!(matches!(answers[0], Ok(Response::Book(_))) && matches!(answers[1], Ok(Response::Book(_))));
    assert_eq!(code(&answers[2]), Some(ErrorCode::TooManySubscriptions), "{:?}", answers[2]);
    // Unsubscribing frees a place.
    c.call(Request::UnsubscribeMarket { market: 3 }).await.unwrap();
    assert!(matches!(c.call(Request::SubscribeMarket { market: 4 }).await, Ok(Response::Book(_))));

    // One order: its level change arrives once (one market stream), its acceptance once
    // (one account stream).
    drain(&mut pushes, Duration::from_millis(300)).await;
    let order = c.place(limit(1, Side::Buy, "0.01", "1")).await.unwrap();
    let seen = drain(&mut pushes, Duration::from_millis(500)).await;
    let levels = seen.iter().filter(|p| matches!(p.event, PushEvent::BookLevel { market: 1, .. })).count();
    let accepted = seen.iter().filter(|p| matches!(&p.event, PushEvent::OrderAccepted { order: o, .. } if *o == order)).count();
    assert_eq!((levels, accepted), (1, 1), "one stream each: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_to_an_unknown_market_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "max_market_subscriptions = 3\n");
    let (c, _) = server.player("unknown@example.com").await;
    let answers = pipelined(&c, vec![Request::SubscribeMarket { market: 999 }; 2000]).await;
    assert!(answers.iter().all(|a| code(a) == Some(ErrorCode::NotFound)), "{:?}", answers[0]);
    // Nothing of them holds a place: the connection still has its three market streams.
    let answers = pipelined(&c, (1..=4).map(|market| Request::SubscribeMarket { market }).collect()).await;
    assert!(answers[..3].iter().all(|a| matches!(a, Ok(Response::Book(_)))), "{answers:?}");
    assert_eq!(code(&answers[3]), Some(ErrorCode::TooManySubscriptions));
}

/// Connections that subscribe all they can and go away leave nothing behind: the honest
/// player's latency stays within budget while the attacker's account and markets keep
/// producing events, and the server's memory does not grow with the number of rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_subscriptions_slow_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let (mallory, _) = server.player("mallory@example.com").await;
    let (token, _) = mallory.login("mallory@example.com", PASSWORD).await.unwrap();
    let round = |token: String| {
        let server = &server;
        async move {
            let c = server.client().await;
            c.resume(&token).await.unwrap();
            let mut requests = Vec::new();
            // (200 + 200 a round: within the account's request rate over the whole test.)
            for i in 0..200u32 {
                requests.push(Request::SubscribeAccount { from_cursor: 0 });
                requests.push(Request::SubscribeMarket { market: 1 + i % 6 });
            }
            let answers = pipelined(&c, requests).await;
            assert!(answers.iter().all(|a| a.is_ok() || code(a) == Some(ErrorCode::TooManySubscriptions)), "answered or refused");
            // Events for the account and market 1, then the connection goes away.
            for _ in 0..5 {
                let order = c.place(limit(1, Side::Buy, "0.01", "1")).await.unwrap();
                c.cancel(order).await.unwrap();
            }
            c.close().await;
        }
    };
    round(token.clone()).await;
    let before = rss_kb(&server);
    let attack = async {
        for _ in 0..15 {
            round(token.clone()).await;
        }
        // The dead subscriptions' account and market keep producing events.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            let order = mallory.place(limit(1, Side::Buy, "0.01", "1")).await.unwrap();
            mallory.cancel(order).await.unwrap();
        }
    };
    let ((), latency) = honest::during(&server, attack).await;
    latency.assert_within_budget("dead subscriptions");
    let after = rss_kb(&server);
    eprintln!("server RSS {before} kB → {after} kB after 15 rounds");
    // Allocator and page-cache noise on a loaded CI machine reaches ~80 MB here; 15 rounds
    // of 2,000 kept subscriptions with their queues would be far above the bound.
    assert!(after < before + 160 * 1024, "memory grew from {before} kB to {after} kB: dead subscriptions were kept");
}

/// A history of a few thousand events replays through many pages, with live events
/// arriving meanwhile, and a small live queue (so a replay may be cut short and resumed):
/// every cursor arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_history_replays_in_order_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "push_queue = 64\n");
    let admin = server.admin().await;
    let (_, account) = server.player("history@example.com").await;
    let mint_requests = |n: usize| vec![Request::Admin(AdminRequest::Mint { account, asset: 1, amount: d("0.01") }); n];
    let answers = pipelined(&admin, mint_requests(3000)).await;
    assert!(answers.iter().all(Result::is_ok));

    // Replay from 0 while 500 more mints come in; whenever the stream goes quiet before
    // the end, resume from the last cursor on a new connection (as a client would).
    let minted = std::sync::atomic::AtomicBool::new(false);
    let live = async {
        let answers = pipelined(&admin, mint_requests(500)).await;
        assert!(answers.iter().all(Result::is_ok));
        minted.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((), replay) = tokio::join!(live, async {
        let mut last = 0u64;
        let mut resumes = 0;
        loop {
            let (c, _) = server.player("history@example.com").await;
            let mut pushes = c.pushes().await.unwrap();
            let upto = c.subscribe_account(last).await.unwrap();
            for p in drain(&mut pushes, Duration::from_millis(700)).await {
                assert_eq!(p.cursor, last + 1, "cursor {} after {last}", p.cursor);
                last = p.cursor;
            }
            assert!(last >= upto, "the replay reached the cursor its answer named ({last} < {upto})");
            // Done once the live mints are in and a fresh subscription has nothing newer.
            let done = minted.load(std::sync::atomic::Ordering::SeqCst);
            let (probe, _) = server.player("history@example.com").await;
            if done && probe.subscribe_account(last).await.unwrap() == last {
                return (last, resumes);
            }
            resumes += 1;
            assert!(resumes < 50, "the replay makes progress");
        }
    });
    let (last, resumes) = replay;
    assert!(last >= 3500, "every event replayed (last cursor {last})");
    eprintln!("replayed {last} events with {resumes} resumptions");
}
