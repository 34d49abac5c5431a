//! Abuse: connections (see main.rs). Issue 11, point 13: `max_connections` and
//! `max_connections_per_address` are enforced when a connection is attempted, and a closed
//! connection gives its place back.

use std::path::Path;
use std::time::{Duration, Instant};

use entrepot_protocol::client::Client;

use crate::common::*;

fn start(dir: &Path, toml: &str) -> Server {
    let path = dir.join("abuse-config.toml");
    std::fs::write(&path, toml).unwrap();
    Server::start_with(dir, &[("ENTREPOT_CONFIG", path.to_str().unwrap())])
}

async fn try_connect(server: &Server) -> Option<Client> {
    tokio::time::timeout(Duration::from_secs(5), Client::connect(server.addr, &server.fingerprint)).await.expect("an answer within 5 s").ok()
}

/// With `limit` connections open, one more is refused; once one closes, a new one gets in.
async fn limit_holds(server: &Server, limit: usize) {
    let mut open = Vec::new();
    for i in 0..limit {
        open.push(try_connect(server).await.unwrap_or_else(|| panic!("connection {} of {limit} accepted", i + 1)));
    }
    for _ in 0..3 {
        assert!(try_connect(server).await.is_none(), "connection {} refused", limit + 1);
    }
    // The open ones still work.
    for c in &open {
        c.markets().await.expect("an accepted connection is served");
    }
    open.pop().unwrap().close().await;
    let started = Instant::now();
    loop {
        if try_connect(server).await.is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(3), "a place freed by a close is given to a new connection");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "max_connections = 5\n");
    limit_holds(&server, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "max_connections = 100\nmax_connections_per_address = 3\n");
    limit_holds(&server, 3).await;
}
