//! `cargo xtask bench abuse`: what a hostile player costs everybody else. A real
//! `entrepot serve` process with its default limits; an honest player places and cancels a
//! small order in a loop, first alone (the baseline), then during each attack of the
//! hardening review (issue 11). Reports the honest player's p50 / p99 per phase, the worst
//! ratio to the baseline, and the server's peak memory.
//!
//! The attacks run from the same machine (2 cores shared with the server), so the ratio
//! includes the attacker's own CPU use: the budget in README "Limits" allows for that.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_protocol::client::Client;
use entrepot_protocol::*;
use hdrhistogram::Histogram;
use rust_decimal::Decimal;

use crate::report::{result, Table};
use crate::server_suite::{free_addr, server_binary, spawn, Process};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const PASSWORD: &str = "honest password 123";

fn start(data: &std::path::Path, addr: SocketAddr) -> Process {
    std::fs::create_dir_all(data).expect("data dir");
    let config = data.join("abuse.toml");
    // Default limits, except: players may log in without the mail round trip.
    std::fs::write(&config, "allow_unconfirmed_login = true\nsnapshot_every = 0\n").expect("config");
    let mut cmd = std::process::Command::new(server_binary());
    cmd.args(["serve", "--data-dir"]).arg(data.join("data")).args(["--listen", &addr.to_string()]);
    cmd.env("ENTREPOT_CONFIG", &config).env("ENTREPOT_ADMIN_PASSWORD", ADMIN_PASSWORD).env("RUST_LOG", "error");
    spawn(cmd)
}

/// A logged-in player with GOLD and COPPER to trade with.
async fn player(addr: SocketAddr, fp: &str, admin: &Client, email: &str) -> (Client, u64) {
    let c = Client::connect(addr, fp).await.expect("connect");
    let _ = c.call(Request::Signup { email: email.into(), password: PASSWORD.into() }).await;
    let (_, account) = c.login(email, PASSWORD).await.expect("login");
    for asset in [1, 2] {
        admin.call(Request::Admin(AdminRequest::Mint { account, asset, amount: Decimal::from(1_000_000) })).await.expect("mint");
    }
    (c, account)
}

fn bid(price: &str) -> PlaceOrder {
    PlaceOrder {
        market: 1,
        side: Side::Buy,
        order: OrderType::Limit { price: price.parse().expect("price"), quantity: Decimal::ONE },
        tif: TimeInForce::Gtc,
        post_only: false,
    }
}

/// The honest player's place + cancel round trips for `seconds`.
async fn probe(honest: &Client, seconds: f64) -> Histogram<u64> {
    let mut hist = Histogram::<u64>::new_with_bounds(1_000, 120_000_000_000, 3).expect("histogram");
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < until {
        let started = Instant::now();
        let order = honest.place(bid("0.01")).await.expect("honest place");
        honest.cancel(order).await.expect("honest cancel");
        let _ = hist.record(started.elapsed().as_nanos() as u64);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hist
}

/// Run `attack` in the background (it should loop until `stop`), probe meanwhile.
async fn phase<F, Fut>(honest: &Client, seconds: f64, attack: F) -> (Histogram<u64>, u64)
where
    F: FnOnce(Arc<AtomicBool>, Arc<AtomicU64>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(attack(stop.clone(), count.clone()));
    // Let the attack get going before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hist = probe(honest, seconds).await;
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    (hist, count.load(Ordering::Relaxed))
}

/// `n` concurrent callers of `make(i)` on `conns` connections, until stopped.
async fn flood(addr: SocketAddr, fp: String, conns: usize, per_conn: usize, stop: Arc<AtomicBool>, count: Arc<AtomicU64>, make: fn(u64) -> Request) {
    let mut tasks = Vec::new();
    for c in 0..conns {
        let Ok(client) = Client::connect(addr, &fp).await else { continue };
        let client = Arc::new(client);
        for s in 0..per_conn {
            let (client, stop, count) = (client.clone(), stop.clone(), count.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = ((c * per_conn + s) as u64) << 32;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    if client.call(make(n)).await.is_err() {
                        // Refusals (rate limits, lockouts) are the defence working; keep going.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn ms(hist: &Histogram<u64>, q: f64) -> f64 {
    hist.value_at_quantile(q) as f64 / 1e6
}

pub fn run(quick: bool) {
    let seconds = if quick { 2.0 } else { 5.0 };
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = free_addr();
    let server = start(dir.path(), addr);
    let fp = server.fingerprint.clone();
    let peak = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let rows = rt.block_on(async {
        let admin = Client::connect(addr, &fp).await.expect("connect");
        admin.login("admin@entrepot.local", ADMIN_PASSWORD).await.expect("admin login");
        let (honest, _) = player(addr, &fp, &admin, "honest@example.com").await;
        let (attacker, _) = player(addr, &fp, &admin, "attacker@example.com").await;
        let attacker = Arc::new(attacker);
        // Memory is sampled all along.
        let sampler = {
            let (peak, pid) = (peak.clone(), server.pid());
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(Process::rss_kib_of(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let mut rows: Vec<(&str, Histogram<u64>, u64)> = Vec::new();

        let baseline = probe(&honest, seconds).await;
        let n = baseline.len();
        rows.push(("baseline", baseline, n));

        // 1. Thousands of subscriptions on one connection, which then goes away; the
        //    attacker keeps making events on its account and the market.
        let (hist, n) = phase(&honest, seconds, |stop, count| {
            let (attacker, addr, fp) = (attacker.clone(), addr, fp.clone());
            async move {
                let token = attacker.call(Request::RefreshSession).await.ok().and_then(|r| match r {
                    Response::Session { token, .. } => Some(token),
                    _ => None,
                });
                if let (Some(token), Ok(subscriber)) = (token, Client::connect(addr, &fp).await) {
                    let _ = subscriber.resume(&token).await;
                    for _ in 0..2_000 {
                        let _ = subscriber.call(Request::SubscribeAccount { from_cursor: u64::MAX }).await;
                        let _ = subscriber.call(Request::SubscribeMarket { market: 1 }).await;
                    }
                    subscriber.close().await;
                }
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(order) = attacker.place(bid("0.02")).await {
                        let _ = attacker.cancel(order).await;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
        rows.push(("dead_subscriptions", hist, n));

        // 2. Signups from 4 connections × 32 streams (each an argon2 hash if unbounded).
        let (hist, n) = phase(&honest, seconds, |stop, count| {
            flood(addr, fp.clone(), 4, 32, stop, count, |n| Request::Signup { email: format!("s{n}@example.com"), password: "attacker password".into() })
        })
        .await;
        rows.push(("signup_flood", hist, n));

        // 3. Wrong passwords for a real account, 4 × 16 at once.
        let (hist, n) = phase(&honest, seconds, |stop, count| {
            flood(addr, fp.clone(), 4, 16, stop, count, |_| Request::Login { email: "honest@example.com".into(), password: "wrong password!".into() })
        })
        .await;
        rows.push(("login_flood", hist, n));

        // 4. Password-reset requests for known and unknown addresses.
        let (hist, n) = phase(&honest, seconds, |stop, count| {
            flood(addr, fp.clone(), 2, 16, stop, count, |n| Request::RequestPasswordReset {
                email: if n % 2 == 0 { "honest@example.com".into() } else { format!("nobody{n}@example.com") },
            })
        })
        .await;
        rows.push(("reset_flood", hist, n));

        // 5. Marking notifications read, as fast as the rate limit lets through.
        let (hist, n) = phase(&honest, seconds, |stop, count| {
            let attacker = attacker.clone();
            async move {
                while !stop.load(Ordering::Relaxed) {
                    let _ = attacker.call(Request::MarkNotificationsRead { ids: None }).await;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
        rows.push(("mark_read_flood", hist, n));
        sampler.abort();
        rows
    });
    drop(server);

    let mut table = Table::new(&["phase", "honest ops", "p50 ms", "p99 ms", "vs baseline", "attack requests"]);
    let base_p99 = ms(&rows[0].1, 0.99).max(0.001);
    let mut worst = ("none", 0.0f64, 0.0f64);
    let mut pairs = vec![("baseline_p99_ms", format!("{base_p99:.2}"))];
    for (name, hist, attacks) in &rows {
        let p99 = ms(hist, 0.99);
        let ratio = p99 / base_p99;
        table.row(vec![
            name.to_string(),
            hist.len().to_string(),
            format!("{:.2}", ms(hist, 0.5)),
            format!("{p99:.2}"),
            format!("{ratio:.2}"),
            attacks.to_string(),
        ]);
        if *name != "baseline" && ratio > worst.1 {
            worst = (name, ratio, p99);
        }
    }
    table.print();
    let peak_mib = peak.load(Ordering::Relaxed) as f64 / 1024.0;
    println!("server peak RSS: {peak_mib:.0} MiB");
    for (name, hist, _) in rows.iter().skip(1) {
        pairs.push((*name, format!("{:.2}", ms(hist, 0.99))));
    }
    pairs.push(("worst_phase", worst.0.to_string()));
    pairs.push(("worst_p99_ms", format!("{:.2}", worst.2)));
    pairs.push(("worst_vs_baseline", format!("{:.2}", worst.1)));
    pairs.push(("peak_rss_mib", format!("{peak_mib:.0}")));
    result("abuse", &pairs);
}
