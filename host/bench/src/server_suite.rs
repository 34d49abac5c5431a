//! `cargo xtask bench server`: durable order throughput and latency over real QUIC
//! connections to a real `entrepot serve` process, next to the two ceilings measured in the
//! same run (a plain quinn echo of the same frames, and redb's own batched durable
//! inserts), plus recovery time of a long journal and memory per idle connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_core::{
    self as core, AccountId, AssetId, AssetKind, AssetSpec, Body, Ctx, MarketId, MarketPolicy, MarketSpec, OrderId, OrderKind, OrderRequest, RequestId,
};
use entrepot_protocol::client::{endpoint, read_frame, write_frame, Client};
use entrepot_protocol::*;
use entrepot_seeded::{Rng, XorShift64};
use entrepot_store::journal::encode as encode_record;
use entrepot_store::{JournalEntry, Store};
use hdrhistogram::Histogram;
use rust_decimal::Decimal;

pub struct Params {
    pub connections: usize,
    pub accounts: usize,
    pub seconds: u64,
    pub window: usize,
    pub recovery_commands: u64,
    pub idle_connections: usize,
}

impl Params {
    /// The standard sizes; `ENTREPOT_BENCH_CONNECTIONS`, `_WINDOW`, `_SECONDS`,
    /// `_RECOVERY` and `_IDLE` override them for experiments.
    pub fn new(quick: bool) -> Params {
        let mut p = Self::standard(quick);
        let var = |name: &str| std::env::var(format!("ENTREPOT_BENCH_{name}")).ok().and_then(|v| v.parse::<u64>().ok());
        p.connections = var("CONNECTIONS").map_or(p.connections, |v| v as usize);
        p.window = var("WINDOW").map_or(p.window, |v| v as usize);
        p.seconds = var("SECONDS").unwrap_or(p.seconds);
        p.recovery_commands = var("RECOVERY").unwrap_or(p.recovery_commands);
        p.idle_connections = var("IDLE").map_or(p.idle_connections, |v| v as usize);
        p
    }

    fn standard(quick: bool) -> Params {
        if quick {
            Params { connections: 100, accounts: 10, seconds: 3, window: 16, recovery_commands: 1_000_000, idle_connections: 1_000 }
        } else {
            Params { connections: 1_000, accounts: 50, seconds: 10, window: 2, recovery_commands: 10_000_000, idle_connections: 10_000 }
        }
    }
}

const ADMIN_PASSWORD: &str = "bench-admin-password";
const PASSWORD: &str = "bench password 123";

/// A child process that prints its listening address and fingerprint on stdout.
pub(crate) struct Process {
    child: Child,
    pub(crate) fingerprint: String,
}

impl Process {
    fn rss_kib(&self) -> u64 {
        Self::rss_kib_of(self.pid())
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of a process, from `/proc` (0 if it is gone).
    pub(crate) fn rss_kib_of(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

pub(crate) fn spawn(mut cmd: Command) -> Process {
    use std::io::{BufRead, BufReader};
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut fingerprint = String::new();
    for line in lines.by_ref() {
        let line = line.expect("stdout line");
        if let Some(fp) = line.strip_prefix("certificate fingerprint (sha256): ") {
            fingerprint = fp.trim().into();
        }
        if line.starts_with("data directory:") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Process { child, fingerprint }
}

pub(crate) fn free_addr() -> SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr")
}

pub fn server_binary() -> PathBuf {
    if let Ok(p) = std::env::var("ENTREPOT_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().expect("target dir").join("entrepot")
}

fn start_server(data: &Path, addr: SocketAddr) -> Process {
    let config = data.join("bench.toml");
    std::fs::create_dir_all(data).expect("data dir");
    std::fs::write(
        &config,
        "rate_per_connection = 1000000\nrate_per_account = 1000000\nauth_rate_per_address = 1000000\nauth_rate_per_connection = 1000000\nallow_unconfirmed_login = true\nsnapshot_every = 0\nstarting_cash = []\n",
    )
    .expect("config");
    let mut cmd = Command::new(server_binary());
    cmd.args(["serve", "--data-dir"]).arg(data.join("data")).args(["--listen", &addr.to_string()]);
    cmd.env("ENTREPOT_CONFIG", &config).env("ENTREPOT_ADMIN_PASSWORD", ADMIN_PASSWORD).env("RUST_LOG", "warn");
    spawn(cmd)
}

/// Sign up `n` players, fund them, and return their session tokens.
async fn players(addr: SocketAddr, fingerprint: &str, n: usize) -> Vec<String> {
    let admin = Client::connect(addr, fingerprint).await.expect("connect");
    admin.login("admin@entrepot.local", ADMIN_PASSWORD).await.expect("admin login");
    let mut tokens = Vec::new();
    for i in 0..n {
        let c = Client::connect(addr, fingerprint).await.expect("connect");
        let email = format!("bench{i}@example.com");
        c.call(Request::Signup { email: email.clone(), password: PASSWORD.into() }).await.expect("signup");
        // allow_unconfirmed_login: the first login creates the account and tells its id.
        let (token, account) = c.login(&email, PASSWORD).await.expect("login");
        for (asset, amount) in [(1, "100000000"), (2, "100000000")] {
            admin.call(Request::Admin(AdminRequest::Mint { account, asset, amount: amount.parse().expect("amount") })).await.expect("mint");
        }
        tokens.push(token);
    }
    tokens
}

struct Load {
    ops: u64,
    hist: Histogram<u64>,
    seconds: f64,
}

/// Builds request `n` of connection `conn`, given that connection's open order ids.
type MakeRequest = Arc<dyn Fn(u64, u64, &mut Vec<u64>) -> Request + Send + Sync>;

/// Drive `connections` pipelines with `window` requests in flight each, for `seconds`.
async fn drive(conns: Vec<Arc<(quinn::Connection, u64)>>, window: usize, seconds: u64, make: MakeRequest) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for (i, conn) in conns.into_iter().enumerate() {
        let (stop, ops, make) = (stop.clone(), ops.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("histogram");
            let (mut send, mut recv) = conn.0.open_bi().await.expect("stream");
            let mut inflight = std::collections::VecDeque::new();
            let mut open_orders = Vec::new();
            let mut n = 0u64;
            let mut counted = 0u64;
            loop {
                while inflight.len() < window && !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let request = make(i as u64, n, &mut open_orders);
                    if write_frame(&mut send, &RequestFrame { id: conn.1 + n, request }).await.is_err() {
                        return (hist, counted);
                    }
                    inflight.push_back(Instant::now());
                }
                let Some(sent) = inflight.pop_front() else { break };
                match read_frame::<ResponseFrame>(&mut recv).await {
                    Ok(Some(frame)) => {
                        if let Ok(Response::Placed { order }) = frame.result {
                            open_orders.push(order);
                        }
                        let _ = hist.record(sent.elapsed().as_nanos() as u64);
                        counted += 1;
                        ops.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => return (hist, counted),
                }
            }
            let _ = send.finish();
            (hist, counted)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let done_at = ops.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let mut hist = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("histogram");
    for t in tasks {
        if let Ok(Ok((h, _))) = tokio::time::timeout(Duration::from_secs(30), t).await {
            hist.add(h).expect("merge");
        }
    }
    Load { ops: done_at, hist, seconds }
}

/// Open `n` connections through one endpoint (hello'd, and optionally logged in).
async fn connect_many(addr: SocketAddr, fingerprint: &str, n: usize, tokens: &[String]) -> (quinn::Endpoint, Vec<Arc<(quinn::Connection, u64)>>) {
    let ep = endpoint(fingerprint).expect("endpoint");
    let mut conns = Vec::with_capacity(n);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let ep = ep.clone();
        let token = (!tokens.is_empty()).then(|| tokens[i % tokens.len()].clone());
        set.spawn(async move {
            let c = Client::connect_with(ep, addr).await.expect("connect");
            if let Some(t) = token {
                c.resume(&t).await.expect("resume");
            }
            let base = c.next_id();
            (c.connection().clone(), base)
        });
        if set.len() >= 64 {
            conns.push(Arc::new(set.join_next().await.expect("task").expect("connect")));
        }
    }
    while let Some(r) = set.join_next().await {
        conns.push(Arc::new(r.expect("connect")));
    }
    (ep, conns)
}

fn order_request(conn: u64, n: u64, open: &mut Vec<u64>) -> Request {
    // Half places, half cancels of this connection's own resting orders. Bids sit below
    // 5.00 and asks above, so the book grows and shrinks but never trades.
    if n.is_multiple_of(2) {
        if let Some(order) = open.pop() {
            return Request::Cancel { order };
        }
    }
    let side = if (conn + n).is_multiple_of(2) { Side::Buy } else { Side::Sell };
    let offset = 1 + (conn * 7 + n) % 200;
    let price = match side {
        Side::Buy => 500 - offset,
        Side::Sell => 500 + offset,
    };
    Request::Place(PlaceOrder {
        market: 1,
        side,
        order: OrderType::Limit { price: Decimal::new(price as i64, 2), quantity: Decimal::from(1 + n % 5) },
        tif: TimeInForce::Gtc,
        post_only: false,
    })
}

/// The quinn echo peer: a child process running `entrepot-bench echo-server`.
pub async fn echo_server(addr: SocketAddr) -> anyhow::Result<()> {
    let made = rcgen::generate_simple_self_signed(vec!["entrepot".to_string()])?;
    let der = made.cert.der().to_vec();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![der.clone().into()], key)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quinn::crypto::rustls::QuicServerConfig::try_from(tls)?));
    let mut transport = quinn::TransportConfig::default();
    transport.max_concurrent_bidi_streams(1024u32.into());
    config.transport_config(Arc::new(transport));
    let ep = quinn::Endpoint::new(quinn::EndpointConfig::default(), Some(config), client::udp_socket(addr)?, Arc::new(quinn::TokioRuntime))?;
    println!("certificate fingerprint (sha256): {}", client::fingerprint(&der));
    println!("data directory: none");
    while let Some(incoming) = ep.accept().await {
        tokio::spawn(async move {
            let Ok(conn) = incoming.await else { return };
            while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                tokio::spawn(async move {
                    // Echo every frame back as a response of the same size class.
                    while let Ok(Some(frame)) = read_frame::<RequestFrame>(&mut recv).await {
                        let response = match frame.request {
                            Request::Hello(_) => Ok(Response::Welcome(Welcome {
                                version: PROTOCOL_VERSION,
                                server: "echo".into(),
                                capabilities: vec![],
                                max_frame: MAX_FRAME as u32,
                            })),
                            _ => Ok(Response::Placed { order: frame.id }),
                        };
                        if write_frame(&mut send, &ResponseFrame { id: frame.id, result: response }).await.is_err() {
                            return;
                        }
                    }
                    let _ = send.finish();
                });
            }
        });
    }
    Ok(())
}

/// redb's own ceiling: durable batched inserts of journal-sized records.
fn redb_ceiling(dir: &Path, batch: usize, seconds: u64) -> f64 {
    let store = Store::open(dir).expect("store");
    let record = vec![7u8; 48];
    let started = Instant::now();
    let (mut seq, mut n) = (0u64, 0u64);
    while started.elapsed() < Duration::from_secs(seconds) {
        let entries: Vec<(u64, Vec<u8>)> = (0..batch)
            .map(|_| {
                seq += 1;
                (seq, record.clone())
            })
            .collect();
        store.append(&entries, |_| Ok(())).expect("append");
        n += batch as u64;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Write a journal of `commands` realistic commands, then time recovery from it.
fn recovery(dir: &Path, commands: u64) -> (f64, f64) {
    let store = Store::open(dir).expect("store");
    let admin = AccountId::ADMIN;
    let mut setup = vec![
        Body::CreateAsset(AssetSpec { id: AssetId(1), symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }),
        Body::CreateAsset(AssetSpec { id: AssetId(2), symbol: "COPPER".into(), decimals: 0, kind: AssetKind::Item }),
        Body::CreateMarket {
            spec: MarketSpec {
                id: MarketId(1),
                symbol: "COPPER/GOLD".into(),
                base: AssetId(2),
                quote: AssetId(1),
                tick: Decimal::new(1, 2),
                lot: Decimal::ONE,
            },
            policy: MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, ..Default::default() },
        },
    ];
    let accounts = 1_000u64;
    for a in 1..=accounts {
        setup.push(Body::OpenAccount { account: AccountId(a) });
        setup.push(Body::Mint { account: AccountId(a), asset: AssetId(1), amount: 1 << 40 });
        setup.push(Body::Mint { account: AccountId(a), asset: AssetId(2), amount: 1 << 40 });
    }
    let written = Instant::now();
    let mut seq = 0u64;
    let mut batch = Vec::with_capacity(100_000);
    let mut rng = XorShift64::new(0x2545_F491_4F6C_DD1D);
    let mut next_order = 1u64;
    let mut resting: Vec<u64> = Vec::new();
    while seq < commands {
        let body = if (seq as usize) < setup.len() {
            setup[seq as usize].clone()
        } else {
            let x = rng.next_u64();
            if x.is_multiple_of(4) && !resting.is_empty() {
                let i = (x >> 8) as usize % resting.len();
                Body::Cancel { order: OrderId(resting.swap_remove(i)) }
            } else {
                let side = if x.is_multiple_of(2) { core::Side::Buy } else { core::Side::Sell };
                let price = match side {
                    core::Side::Buy => 9_900 + (x >> 16) % 100,
                    core::Side::Sell => 10_001 + (x >> 16) % 100,
                };
                resting.push(next_order);
                next_order += 1;
                Body::Place(OrderRequest {
                    market: MarketId(1),
                    side,
                    kind: OrderKind::Limit { price, quantity: 1 + (x >> 24) % 50 },
                    tif: core::TimeInForce::Gtc,
                    post_only: false,
                })
            }
        };
        seq += 1;
        // Cancels are by the order's owner: give every order to account (id % accounts) + 1.
        let actor = match &body {
            Body::Cancel { order } => AccountId(order.0 % accounts + 1),
            Body::Place(_) => AccountId((next_order - 1) % accounts + 1),
            _ => admin,
        };
        let command = entrepot_core::Command { actor, request: RequestId(seq), body };
        batch.push((seq, encode_record(&JournalEntry { ctx: Ctx { seq, time: seq }, command, decisions: Vec::new() })));
        if batch.len() == 100_000 || seq == commands {
            store.append(&batch, |_| Ok(())).expect("append");
            batch.clear();
        }
    }
    let write_s = written.elapsed().as_secs_f64();
    drop(store);
    let store = Store::open(dir).expect("store");
    let started = Instant::now();
    let recovered = store.recover(entrepot_core::EngineConfig::default(), |_, _, _| {}).expect("recover");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(recovered.replayed, commands);
    recovered.engine.check_invariants().expect("recovered state is consistent");
    (secs, write_s)
}

pub fn run(quick: bool) {
    let p = Params::new(quick);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    println!(
        "suite server: {} connections over {} accounts, {} requests in flight per connection, {} s per measurement",
        p.connections, p.accounts, p.window, p.seconds
    );
    println!("load: each connection pipelines limit orders (bids below 5.00, asks above) and cancels of its own resting orders, 50/50");

    // 1. The real server.
    let addr = free_addr();
    let server = start_server(&tmp.path().join("server"), addr);
    let (load, rss_idle) = rt.block_on(async {
        let tokens = players(addr, &server.fingerprint, p.accounts).await;
        let (ep, conns) = connect_many(addr, &server.fingerprint, p.connections, &tokens).await;
        let load = drive(conns, p.window, p.seconds, Arc::new(order_request)).await;
        ep.close(0u32.into(), b"done");
        // Memory per idle connection: RSS before and after opening many hello'd connections.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = server.rss_kib();
        let (ep2, idle) = connect_many(addr, &server.fingerprint, p.idle_connections, &[]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = server.rss_kib();
        let per_conn = after.saturating_sub(before) as f64 / idle.len() as f64;
        ep2.close(0u32.into(), b"done");
        (load, per_conn)
    });
    drop(server);
    let orders_per_sec = load.ops as f64 / load.seconds;

    // 2. The quinn echo ceiling: same clients, same frames, a server that only echoes.
    let echo_addr = free_addr();
    let mut cmd = Command::new(std::env::current_exe().expect("exe"));
    cmd.args(["echo-server", &echo_addr.to_string()]);
    let echo = spawn(cmd);
    let echo_load = rt.block_on(async {
        let (ep, conns) = connect_many(echo_addr, &echo.fingerprint, p.connections, &[]).await;
        let load = drive(conns, p.window, p.seconds, Arc::new(order_request)).await;
        ep.close(0u32.into(), b"done");
        load
    });
    drop(echo);
    let echo_per_sec = echo_load.ops as f64 / echo_load.seconds;

    // 3. redb's batched durable insert ceiling.
    let redb_per_sec = redb_ceiling(&tmp.path().join("redb"), 4_096, p.seconds.min(5));

    // 4. Recovery of a long journal.
    let (recovery_s, write_s) = recovery(&tmp.path().join("recovery"), p.recovery_commands);
    let recovery_10m = recovery_s * 10_000_000.0 / p.recovery_commands as f64;

    let q = |h: &Histogram<u64>, x: f64| h.value_at_quantile(x) as f64 / 1e6;
    println!();
    println!("{:<34} {:>14} {:>10} {:>10} {:>10}", "measurement", "per second", "p50 ms", "p99 ms", "p99.9 ms");
    println!(
        "{:<34} {:>14.0} {:>10.2} {:>10.2} {:>10.2}",
        "entrepot durable orders+cancels",
        orders_per_sec,
        q(&load.hist, 0.5),
        q(&load.hist, 0.99),
        q(&load.hist, 0.999)
    );
    println!(
        "{:<34} {:>14.0} {:>10.2} {:>10.2} {:>10.2}",
        "quinn echo (transport ceiling)",
        echo_per_sec,
        q(&echo_load.hist, 0.5),
        q(&echo_load.hist, 0.99),
        q(&echo_load.hist, 0.999)
    );
    println!("{:<34} {:>14.0}", "redb batched durable inserts", redb_per_sec);
    println!(
        "recovery: {} commands replayed in {:.2} s ({:.2} M/s; written in {:.1} s){}",
        p.recovery_commands,
        recovery_s,
        p.recovery_commands as f64 / recovery_s / 1e6,
        write_s,
        if p.recovery_commands == 10_000_000 { String::new() } else { format!("; 10M extrapolated: {recovery_10m:.2} s") }
    );
    println!("memory per idle connection: {:.1} KiB ({} connections)", rss_idle, p.idle_connections);
    println!("ratios: vs quic echo {:.2}, vs redb ceiling {:.2}", orders_per_sec / echo_per_sec, orders_per_sec / redb_per_sec);
    println!(
        "RESULT suite=server orders_per_sec={:.0} p99_ms={:.2} vs_quic_echo={:.2} vs_redb={:.2} recovery_s_10m={:.2} kib_per_conn={:.1}",
        orders_per_sec,
        q(&load.hist, 0.99),
        orders_per_sec / echo_per_sec,
        orders_per_sec / redb_per_sec,
        recovery_10m,
        rss_idle
    );
}
