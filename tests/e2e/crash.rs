//! Crash safety: kill -9 the server at several points during a load of thousands of
//! orders, restart, and check that every acknowledged order is there exactly once, that
//! nothing is half-applied (conservation), and that the state hash matches a clean replay.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

/// The stream checks below read each account's whole event history: keep all of it.
const KEEP_ALL: &[(&str, &str)] = &[("ENTREPOT_ACCOUNT_EVENTS_KEEP", "0")];
use entrepot_protocol::client::Client;
use entrepot_protocol::*;
use entrepot_seeded::{Rng, XorShift64};

const PLAYERS: usize = 4;

/// (player, request id, request, order id) of every acknowledged order.
type Acked = Arc<Mutex<Vec<(usize, u64, Request, u64)>>>;

async fn load(client: Arc<Client>, player: usize, acked: Acked, seed: u64) {
    let mut rng = XorShift64::new(seed);
    let mut inflight = tokio::task::JoinSet::new();
    for _ in 0..100_000 {
        let x = rng.next_u64();
        let side = if x.is_multiple_of(2) { Side::Buy } else { Side::Sell };
        let price = format!("{}.{:02}", 4 + (x >> 8) % 2, (x >> 16) % 100);
        let request = Request::Place(limit(1, side, &price, &format!("{}", 1 + x % 5)));
        let id = client.next_id();
        let (c, acked) = (client.clone(), acked.clone());
        inflight.spawn(async move {
            if let Ok(Response::Placed { order }) = c.call_patiently(id, request.clone()).await {
                acked.lock().unwrap().push((player, id, request, order));
                true
            } else {
                false
            }
        });
        if inflight.len() >= 64 && !inflight.join_next().await.unwrap().unwrap_or(false) {
            return; // the server is gone
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_load_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let acked: Acked = Arc::default();
    let emails: Vec<String> = (0..PLAYERS).map(|i| format!("p{i}@example.com")).collect();
    {
        let server = Server::start_with(&data, KEEP_ALL);
        let admin = server.admin().await;
        for e in &emails {
            let (_, id) = server.player(e).await;
            mint(&admin, id, 1, "100000000").await;
            mint(&admin, id, 2, "100000000").await;
        }
    }
    for (round, kill_after_ms) in [400u64, 900, 1500].into_iter().enumerate() {
        let mut server = Server::start_with(&data, KEEP_ALL);
        let before = acked.lock().unwrap().len();
        let mut tasks = Vec::new();
        for (p, e) in emails.iter().enumerate() {
            let c = server.client().await;
            c.login(e, PASSWORD).await.unwrap();
            tasks.push(tokio::spawn(load(Arc::new(c), p, acked.clone(), 0x9E37_79B9 ^ (round * 10 + p + 1) as u64)));
        }
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        server.kill9();
        // Nothing can be acknowledged by a dead server; the clients would only notice at
        // their idle timeout, so stop them now.
        for t in tasks {
            t.abort();
        }
        let now = acked.lock().unwrap().len();
        assert!(now > before, "round {round}: the load got some acknowledgements before the kill");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.len() >= 1_000, "thousands of acknowledged orders (got {})", acked.len());

    // Restart: every acknowledged order is there exactly once. Retrying its request id
    // must return the same order (nothing lost, nothing executed twice)...
    let mut server = Server::start_with(&data, KEEP_ALL);
    let mut clients = Vec::new();
    for e in &emails {
        let c = server.client().await;
        c.login(e, PASSWORD).await.unwrap();
        clients.push(c);
    }
    let clients: Vec<Arc<Client>> = clients.into_iter().map(Arc::new).collect();
    let mut retries = tokio::task::JoinSet::new();
    for (p, id, request, order) in acked.iter().cloned() {
        let c = clients[p].clone();
        retries.spawn(async move {
            let again = c.call_patiently(id, request).await.unwrap();
            assert_eq!(again, Response::Placed { order }, "request {id} of player {p}");
        });
        if retries.len() >= 256 {
            retries.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = retries.join_next().await {
        r.unwrap();
    }
    eprintln!("{} acknowledged orders checked after 3 kills", acked.len());
    // ...and each appears once in its owner's durable event stream.
    for (p, c) in clients.iter().enumerate() {
        let mut rx = c.pushes().await.unwrap();
        c.subscribe_account(0).await.unwrap();
        let events = drain(&mut rx, Duration::from_millis(1500)).await;
        let cursors: Vec<u64> = events.iter().map(|e| e.cursor).collect();
        assert_eq!(cursors, (1..=cursors.len() as u64).collect::<Vec<_>>(), "player {p}: contiguous stream");
        let mut accepted: Vec<u64> = events
            .iter()
            .filter_map(|e| match e.event {
                PushEvent::OrderAccepted { order, .. } => Some(order),
                _ => None,
            })
            .collect();
        let n = accepted.len();
        accepted.sort_unstable();
        accepted.dedup();
        assert_eq!(accepted.len(), n, "player {p}: no order accepted twice");
        for (_, _, _, order) in acked.iter().filter(|a| a.0 == p) {
            assert!(accepted.binary_search(order).is_ok(), "player {p}: acknowledged order {order} is in the stream");
        }
    }

    // A clean stop, then an offline replay of the whole journal: conservation holds and
    // the state equals every snapshot and the server's own final state.
    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    let stopped = std::iter::from_fn(|| server.stdout.try_recv().ok()).find(|l| l.starts_with("stopped at seq")).expect("shutdown line");
    let report = verify(&data);
    assert!(stopped.ends_with(report["state_hash"].as_str().unwrap()), "{stopped} vs {report}");
    assert!(report["snapshots_checked"].as_u64().unwrap() >= 1, "the shutdown snapshot was checked: {report}");

    // The export has every account and the trades of the whole history.
    let out = std::process::Command::new(binary()).arg("export").arg(&data).output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let count = |t: &str| lines.iter().filter(|l| l["type"] == t).count();
    assert_eq!(count("account"), PLAYERS + 1, "players and the admin");
    assert!(count("trade") > 0 && count("order") > 0, "trades {} orders {}", count("trade"), count("order"));
}
