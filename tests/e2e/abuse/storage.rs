//! Abuse: storage (see main.rs). A full disk stops the server cleanly (fail-stop, nothing
//! acknowledged is lost, `entrepot verify` passes after a restart); the account event log
//! stays bounded however many bets a player places; a plugin load echoes nothing of the
//! file it was pointed at; a flood of notification marks does not slow anyone down.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;

use crate::common::*;
use crate::honest;

fn code(e: &ClientError) -> Option<ErrorCode> {
    match e {
        ClientError::Api(e) => Some(e.code),
        _ => None,
    }
}

/// One player places resting bids from several tasks at once until the disk is full.
/// Returns the acknowledged order ids and the errors seen.
async fn place_until_full(c: Arc<Client>, tasks: usize, deadline: Instant) -> (Vec<u64>, Vec<ClientError>) {
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let c = c.clone();
        handles.push(tokio::spawn(async move {
            let (mut acked, mut errors) = (Vec::new(), Vec::new());
            while Instant::now() < deadline {
                match c.place(limit(1, Side::Buy, "0.01", "1")).await {
                    Ok(order) => acked.push(order),
                    Err(e) => {
                        errors.push(e);
                        break;
                    }
                }
            }
            (acked, errors)
        }));
    }
    let (mut acked, mut errors) = (Vec::new(), Vec::new());
    for h in handles {
        let (a, e) = h.await.unwrap();
        acked.extend(a);
        errors.extend(e);
    }
    (acked, errors)
}

/// Issue 11 point 14: a journal write that fails (here EFBIG: the process may not grow a
/// file past a limit, as on a full disk) stops the server applying commands. Every request
/// in flight and every later one is answered `StorageFailed`, the log says why, nothing that
/// was acknowledged is lost, and after a restart on a roomy disk `entrepot verify` passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_server_and_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    const EMAIL: &str = "full@example.com";
    // Set up on a roomy disk: a funded player.
    let account = {
        let mut server = Server::start(dir.path());
        let admin = server.admin().await;
        let (_c, account) = server.player(EMAIL).await;
        mint(&admin, account, 1, "100000").await;
        assert!(server.terminate().success());
        account
    };
    let size = std::fs::metadata(dir.path().join("entrepot.redb")).unwrap().len();

    // The disk fills up a little past the file's current size.
    let mut server = Server::start_with_file_limit(dir.path(), &[("RUST_LOG", "error")], size + (1 << 20));
    let c = Arc::new(server.client().await);
    c.login(EMAIL, PASSWORD).await.expect("login");
    let (acked, errors) = place_until_full(c.clone(), 8, Instant::now() + Duration::from_secs(40)).await;
    assert!(!errors.is_empty(), "the disk never filled up ({} orders acknowledged)", acked.len());
    for e in &errors {
        assert_eq!(code(e), Some(ErrorCode::StorageFailed), "every request in flight hears StorageFailed: {e}");
    }
    // Later requests, commands and queries alike, are refused the same way.
    for _ in 0..3 {
        let e = c.place(limit(1, Side::Buy, "0.01", "1")).await.expect_err("a command after the failure");
        assert_eq!(code(&e), Some(ErrorCode::StorageFailed), "{e}");
    }
    let e = c.open_orders().await.expect_err("a query after the failure");
    assert_eq!(code(&e), Some(ErrorCode::StorageFailed), "{e}");
    // The log says why, as a structured error (the wrapper sends stderr to stdout).
    let log: Vec<String> = std::iter::from_fn(|| server.stdout.recv_timeout(Duration::from_millis(500)).ok()).collect();
    if !log.is_empty() {
        assert!(log.iter().any(|l| l.contains("journal commit failed") && l.contains("ERROR")), "no error logged: {log:?}");
    }
    server.kill9();

    // A restart on a roomy disk recovers to the last durable state.
    let report = verify(dir.path());
    eprintln!("verify after the full disk: {report}; {} acknowledged, {} refused", acked.len(), errors.len());
    let server = Server::start(dir.path());
    let (c, again) = server.player(EMAIL).await;
    assert_eq!(again, account);
    let open: BTreeSet<u64> = c.all_open_orders().await.unwrap().into_iter().map(|o| o.order).collect();
    let lost: Vec<&u64> = acked.iter().filter(|o| !open.contains(o)).collect();
    assert!(lost.is_empty(), "{} acknowledged orders lost: {lost:?}", lost.len());
    // And it works again.
    c.place(limit(1, Side::Buy, "0.01", "1")).await.expect("a place after the restart");
}

/// Where `cargo xtask plugins` staged the compiled plugins.
fn staged() -> PathBuf {
    std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| binary().parent().and_then(Path::parent).expect("target dir").join("plugins"))
}

const FIXTURE: &str = r#"[
  {"fixture": 1, "name": "Wolves vs Kings", "participants": ["Wolves", "Kings"], "currency": 1,
   "starts_at": 4102444800000,
   "markets": [{"bet_type": "moneyline", "params": [["way", "3"]], "exposure_limit": "100000",
      "selections": [{"name": "Wolves", "odds": "2.5"}, {"name": "draw", "odds": "3.2"}, {"name": "Kings", "odds": "2.8"}]}]}
]"#;

/// Issue 11 point 12: every bet used to store a `Profile` push carrying all the player's
/// open bets, so the event log grew with the square of the bets. Now pushes are deltas
/// (none grows with the open bets) and the log keeps only the newest events per account;
/// a client resuming from older history hears `HistoryTruncated` first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_bets_do_not_grow_the_event_log_without_bound() {
    const KEEP: usize = 100;
    const BETS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for ext in ["wasm", "toml"] {
        let from = staged().join(format!("moneyline.{ext}"));
        assert!(from.exists(), "{} is not staged: run `cargo xtask plugins`", from.display());
        std::fs::copy(&from, plugins.join(format!("moneyline.{ext}"))).unwrap();
    }
    let server = Server::start_with(dir.path(), &[("ENTREPOT_ACCOUNT_EVENTS_KEEP", &KEEP.to_string())]);
    let admin = server.admin().await;
    admin.call(Request::Admin(AdminRequest::ImportFixtures { json: FIXTURE.into() })).await.expect("import");
    let (c, account) = server.player("bettor@example.com").await;
    mint(&admin, account, 1, "1000").await;
    let selection = SelectionRef { fixture: 1, market: 0, selection: 0 };
    for _ in 0..BETS {
        let bet = PlaceBet { group: None, stake: d("0.01"), kind: BetKind::Single { selection, odds: d("2.5") } };
        c.call(Request::PlaceBet(bet)).await.expect("bet");
    }

    // The whole stored history: at most KEEP events, after a HistoryTruncated.
    let sub = server.client().await;
    sub.login("bettor@example.com", PASSWORD).await.unwrap();
    let mut pushes = sub.pushes().await.expect("the push receiver");
    let last = sub.subscribe_account(0).await.unwrap();
    let got = drain(&mut pushes, Duration::from_millis(1500)).await;
    assert!(last as usize > BETS, "every bet made events (last cursor {last})");
    let Some(PushEvent::HistoryTruncated { oldest }) = got.first().map(|p| p.event.clone()) else { panic!("no HistoryTruncated first: {:?}", got.first()) };
    assert_eq!(got[0].cursor, oldest - 1);
    let stored = got.len() - 1;
    assert!(stored <= KEEP, "{stored} events replayed, retention keeps {KEEP}");
    assert_eq!(got.last().unwrap().cursor, last);
    assert_eq!(oldest, got[1].cursor);
    // No push grows with the open bets.
    let biggest = got.iter().map(|p| encode(p).len()).max().unwrap();
    assert!(biggest < 1024, "a push of {biggest} bytes with {BETS} open bets");
}

/// Issue 11 point 15: `PluginLoad` pointed at a file that is not a manifest answers where
/// and what is wrong, never what is in the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_load_echoes_nothing_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let files = [
        ("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"),
        ("secrets.toml", "api_password = \"hunter2-secret\"\n"),
        ("half.toml", "name = \"x\"\nversion = 7\n"),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let e = admin.call(Request::Admin(AdminRequest::PluginLoad { manifest: path.display().to_string() })).await.expect_err("not a manifest");
        let shown = e.to_string();
        for secret in ["root:x", "/bin/bash", "hunter2", "api_password", "= 7"] {
            assert!(!text.contains(secret) || !shown.contains(secret), "{name}: the error echoes {secret:?}: {shown}");
        }
        assert!(shown.contains("line "), "{name}: the error still says where: {shown}");
    }
}

/// Issue 11 point 15: a flood of `MarkNotificationsRead` shares the journal's commits
/// instead of making one durable write transaction each, and an honest player's latency
/// stays within budget during it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_notification_marks_stays_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let flooders: Vec<Client> = {
        let mut v = Vec::new();
        for i in 0..4 {
            v.push(server.player(&format!("marker{i}@example.com")).await.0);
        }
        v
    };
    let attack = async {
        let flooders = Arc::new(flooders);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..32 {
            let flooders = flooders.clone();
            tasks.push(tokio::spawn(async move {
                let c = &flooders[i % flooders.len()];
                let mut n = 0u32;
                while started.elapsed() < Duration::from_secs(2) {
                    let ids = if n.is_multiple_of(2) { None } else { Some(vec![1, 2, 3]) };
                    match c.call(Request::MarkNotificationsRead { ids }).await {
                        Ok(Response::MarkedRead { .. }) => n += 1,
                        Ok(other) => panic!("{other:?}"),
                        // The rate limiter may answer some: that is fine, it is not a write.
                        Err(ClientError::Api(e)) if e.code == ErrorCode::RateLimited => tokio::time::sleep(Duration::from_millis(10)).await,
                        Err(e) => panic!("mark: {e}"),
                    }
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    };
    let (marks, latency) = honest::during(&server, attack).await;
    eprintln!("{marks} marks in 2 s");
    latency.assert_within_budget("notification-mark flood");
}
