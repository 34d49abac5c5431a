//! The honest player: places and cancels a small order on a demo market in a loop while
//! an attack runs, and reports the round-trip latencies it saw.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_protocol::*;

use crate::common::*;

/// The latency budget an honest player keeps under any attack in this suite: p99 of a
/// place + cancel round trip (loopback, release build, 2 cores shared with the attacker).
/// README "Limits" states the same figure.
pub const BUDGET: Duration = Duration::from_millis(250);

/// Latencies one honest player measured.
pub struct Latency {
    pub samples: Vec<Duration>,
}

impl Latency {
    pub fn p99(&self) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        s.get((s.len() * 99 / 100).min(s.len().saturating_sub(1))).copied().unwrap_or_default()
    }

    /// Assert the budget, with enough samples to mean something.
    pub fn assert_within_budget(&self, what: &str) {
        assert!(self.samples.len() >= 10, "{what}: the honest player got only {} round trips through", self.samples.len());
        let p99 = self.p99();
        assert!(p99 <= BUDGET, "{what}: honest p99 {p99:?} over the budget {BUDGET:?} ({} samples)", self.samples.len());
        eprintln!("{what}: honest p99 {p99:?} over {} round trips", self.samples.len());
    }
}

/// Run `attack` while an honest player (signed up here as `honest@example.com`, funded by
/// the admin) places a far-from-market GOLD bid on market 1 and cancels it, again and
/// again. Returns the attack's output and what the honest player measured.
pub async fn during<F: Future>(server: &Server, attack: F) -> (F::Output, Latency) {
    let admin = server.admin().await;
    let (honest, account) = server.player("honest@example.com").await;
    mint(&admin, account, 1, "1000").await;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let probe = tokio::spawn(async move {
        let mut samples = Vec::new();
        while !flag.load(Ordering::Relaxed) {
            let started = Instant::now();
            let order = honest.place(limit(1, Side::Buy, "0.01", "1")).await.expect("honest place");
            honest.cancel(order).await.expect("honest cancel");
            samples.push(started.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        samples
    });
    let out = attack.await;
    stop.store(true, Ordering::Relaxed);
    let samples = probe.await.expect("honest player");
    (out, Latency { samples })
}

/// The baseline: with no attack, the honest player is well within the budget (so a failure
/// elsewhere in this suite is the attack's doing, not a slow machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_player_alone_is_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let ((), latency) = during(&server, tokio::time::sleep(Duration::from_secs(1))).await;
    latency.assert_within_budget("no attack");
}
