//! Real compiled WebAssembly plugins in a real server: a rule plugin's rejection reaches
//! the client with its reason, fee plugin fees land in the sink with the ledger conserved,
//! hostile plugins are cut off and quarantined while other markets keep serving, a hot
//! reload under load loses no order, and a restart replays to the same state hash.
//!
//! The plugins are built and staged by `cargo xtask plugins` (run by `cargo xtask test`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;

/// Where `cargo xtask plugins` staged the compiled plugins.
fn staged() -> PathBuf {
    let dir = std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        // <target>/release/entrepot → <target>/plugins
        binary().parent().and_then(Path::parent).expect("target dir").join("plugins")
    });
    assert!(dir.join("price-band.wasm").exists(), "no staged plugins in {}: run `cargo xtask plugins`", dir.display());
    dir
}

/// Put plugin `wasm` (a staged name) into `<data>/plugins` as `name`, with a manifest
/// binding `markets` and the given `[config]` lines.
fn install(data: &Path, name: &str, wasm: &str, world: &str, markets: &[u32], config: &str) -> PathBuf {
    let dir = data.join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(staged().join(format!("{wasm}.wasm")), dir.join(format!("{name}.wasm"))).unwrap();
    let manifest = dir.join(format!("{name}.toml"));
    let text = format!(
        "name = \"{name}\"\nversion = \"0.1.0\"\nworld = \"{world}\"\nwit = \"entrepot:plugin@0.2.0\"\n\n[applies]\nmarkets = {markets:?}\n\n[limits]\nfuel = 5000000\ndeadline_ms = 50\n\n[config]\n{config}\n"
    );
    std::fs::write(&manifest, text).unwrap();
    manifest
}

fn rejection(result: Result<u64, ClientError>) -> ApiError {
    match result {
        Err(ClientError::Api(e)) => e,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

async fn plugins(admin: &Client) -> Vec<PluginInfo> {
    match admin.call(Request::Admin(AdminRequest::PluginList)).await.unwrap() {
        Response::Plugins(p) => p,
        other => panic!("{other:?}"),
    }
}

/// Stop the server and return the "stopped at seq N, state hash H" line.
fn stop(server: &mut Server) -> String {
    assert!(server.terminate().success());
    let lines: Vec<String> = server.stdout.try_iter().collect();
    lines.into_iter().find(|l| l.starts_with("stopped at seq")).expect("shutdown line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_rejections_reach_the_client_and_fee_plugins_fill_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path(), "price-band", "price-band", "market-rules", &[1], "band_bps = 1000");
    install(dir.path(), "broker-fee", "broker-fee", "market-rules", &[2], "broker_fee_bps = 100\nmin_broker_fee = 0\nrelist_fee_bps = 50\nsales_tax_bps = 200");
    let mut server = Server::start(dir.path());
    let admin = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    mint(&admin, bob_id, 2, "100").await; // COPPER (market 1)
    mint(&admin, bob_id, 3, "100").await; // IRON (market 2)
    mint(&admin, ann_id, 1, "10000").await;

    let listed = plugins(&admin).await;
    assert_eq!(listed.iter().map(|p| (p.name.as_str(), p.markets.clone())).collect::<Vec<_>>(), [("broker-fee", vec![2]), ("price-band", vec![1])]);

    // Price band: a first trade at 10.00 sets the reference; 12.00 is 20% away.
    bob.place(limit(1, Side::Sell, "10.00", "5")).await.unwrap();
    ann.place(limit(1, Side::Buy, "10.00", "1")).await.unwrap();
    let e = rejection(ann.place(limit(1, Side::Buy, "12.00", "1")).await);
    assert_eq!((e.code, e.reason.as_str()), (ErrorCode::Rejected, "RuleRejected"));
    assert!(e.message.contains("12.00") && e.message.contains("10.00"), "the plugin's own words: {}", e.message);
    ann.place(limit(1, Side::Buy, "10.50", "1")).await.expect("inside the band");

    // Broker fee: listing 10 IRON at 5.00 costs 1% of 50.00 = 0.50; the sale pays 2% tax.
    let gold_before = balance(&bob, 1).await.0;
    bob.place(limit(2, Side::Sell, "5.00", "10")).await.unwrap();
    assert_eq!(balance(&bob, 1).await.0, gold_before - d("0.50"), "broker fee charged at listing");
    let ann_before = balance(&ann, 1).await.0;
    ann.place(limit(2, Side::Buy, "5.00", "10")).await.unwrap();
    // Seller gets 50.00 - 1.00 tax; the buyer pays no trade fee, but its GTC order was
    // listed too (broker fee 0.50, charged at acceptance as for any resting-capable order).
    assert_eq!(balance(&bob, 1).await.0, gold_before - d("0.50") + d("49.00"));
    assert_eq!(balance(&ann, 1).await.0, ann_before - d("50.00") - d("0.50"));

    let listed = plugins(&admin).await;
    assert!(listed.iter().all(|p| p.calls > 0 && p.faults == 0 && p.quarantined.is_none()), "{listed:?}");

    // The ledger is conserved and the journal (with the recorded decisions) replays exactly.
    stop(&mut server);
    let report = verify(dir.path());
    assert!(report["commands"].as_u64().unwrap() > 10, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_plugins_are_cut_off_while_other_markets_keep_serving() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = ["infinite-loop", "memory-bomb", "deep-recursion", "trap", "huge-output"];
    for (i, name) in hostile.iter().enumerate() {
        install(dir.path(), name, name, "market-rules", &[i as u32 + 2], "");
    }
    let mut server = Server::start(dir.path());
    let admin = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    mint(&admin, ann_id, 1, "100000").await;
    for asset in 2..=7 {
        mint(&admin, bob_id, asset, "1000").await;
    }

    // Every hostile market gets orders; each call faults until the plugin is quarantined,
    // and every order is still decided (by the native rules) — none is lost.
    let mut worst_native = Duration::ZERO;
    let mut accepted = 0;
    for round in 0..4 {
        for market in 2..=6u32 {
            let order = bob.place(limit(market, Side::Sell, "3.00", "1")).await;
            assert!(order.is_ok(), "market {market} round {round}: {order:?}");
            accepted += 1;
            // The native market next door stays within its latency budget.
            let started = Instant::now();
            ann.place(limit(1, Side::Buy, "1.00", "1")).await.unwrap();
            worst_native = worst_native.max(started.elapsed());
        }
    }
    assert!(worst_native < Duration::from_millis(250), "native market latency during the attack: {worst_native:?}");

    let listed = plugins(&admin).await;
    for name in hostile {
        let p = listed.iter().find(|p| p.name == name).unwrap();
        assert!(p.quarantined.is_some(), "{name} should be quarantined: {p:?}");
        assert!(p.faults >= 3, "{name}: {p:?}");
    }
    let open = bob.open_orders().await.unwrap();
    assert_eq!(open.len(), accepted, "every accepted order rests");

    // Quarantined plugins are skipped at once: orders on their markets are fast again.
    let started = Instant::now();
    for market in 2..=6u32 {
        bob.place(limit(market, Side::Sell, "3.00", "1")).await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());

    stop(&mut server);
    verify(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_escape_plugin_reaches_no_file_and_no_network() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path(), "escape", "escape", "market-rules", &[1], "");
    let mut server = Server::start(dir.path());
    let admin = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    mint(&admin, ann_id, 1, "100").await;
    // The plugin tries to read /etc/passwd, write /tmp, connect to 127.0.0.1:80 and read
    // the environment, then rejects the order with a report of what it achieved.
    let e = rejection(ann.place(limit(1, Side::Buy, "1.00", "1")).await);
    assert_eq!(e.reason, "RuleRejected");
    assert!(e.message.starts_with("sandbox held:"), "{}", e.message);
    assert!(e.message.contains("env 0 vars"), "{}", e.message);
    assert!(plugins(&admin).await[0].quarantined.is_none(), "failing to escape is not a fault");
    stop(&mut server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_under_load_loses_no_order_and_replay_matches() {
    let dir = tempfile::tempdir().unwrap();
    // "rules" alternates between two different builds: each reload is new code.
    let manifest = install(
        dir.path(),
        "rules",
        "broker-fee",
        "market-rules",
        &[1],
        "broker_fee_bps = 10\nmin_broker_fee = 0\nrelist_fee_bps = 0\nsales_tax_bps = 10\nband_bps = 5000",
    );
    let wasm = manifest.with_extension("wasm");
    let mut server = Server::start(dir.path());
    let admin = server.admin().await;
    let mut traders = Vec::new();
    for i in 0..3 {
        let (c, id) = server.player(&format!("t{i}@example.com")).await;
        mint(&admin, id, 1, "100000").await;
        mint(&admin, id, 2, "100000").await;
        traders.push(c);
    }

    // Three clients keep placing crossing orders while the admin reloads six times.
    let per_trader = 150;
    let load: Vec<_> = traders
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            tokio::spawn(async move {
                let mut ok = 0;
                for n in 0..per_trader {
                    let side = if (n + i) % 2 == 0 { Side::Buy } else { Side::Sell };
                    c.place(limit(1, side, "2.00", "1")).await.expect("every order is answered");
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    let mut hashes = Vec::new();
    for n in 0..6 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let source = if n % 2 == 0 { "price-band" } else { "broker-fee" };
        std::fs::copy(staged().join(format!("{source}.wasm")), &wasm).unwrap();
        let reloaded = admin.call(Request::Admin(AdminRequest::PluginReload { name: "rules".into() })).await.unwrap();
        let Response::Plugins(p) = reloaded else { panic!("{reloaded:?}") };
        assert_eq!(p[0].markets, vec![1]);
        hashes.push(p[0].hash.clone());
    }
    let mut placed = 0;
    for t in load {
        placed += t.await.unwrap();
    }
    assert_eq!(placed, 3 * per_trader);
    assert_ne!(hashes[0], hashes[1], "each reload swapped the code");

    // Restarting with the same plugins replays to the same state.
    let before = stop(&mut server);
    let mut server = Server::start(dir.path());
    let after = stop(&mut server);
    assert_eq!(before, after);
    verify(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_notifier_words_sign_ups_tells_both_sides_of_a_fill_and_notices_wait_until_read() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for ext in ["wasm", "toml"] {
        std::fs::copy(staged().join(format!("mail-notifier.{ext}")), plugins.join(format!("mail-notifier.{ext}"))).unwrap();
    }
    let mut server = Server::start(dir.path());
    let admin = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    // The notifier worded the confirmation mails (its signature), token included.
    let (_, welcome) = mails_to(&dir.path().join("mail"), "ann@example.com").remove(0);
    assert!(welcome.contains("Subject: Confirm your Entrepot account") && welcome.contains("The Entrepot exchange"), "{welcome}");
    assert!(token_in(&welcome).is_some(), "{welcome}");
    mint(&admin, bob_id, 3, "10").await; // IRON
    mint(&admin, ann_id, 1, "100").await;

    let mut pushes = bob.pushes().await.unwrap();
    bob.subscribe_account(0).await.unwrap();
    let sell = bob.place(limit(2, Side::Sell, "12.50", "5")).await.unwrap();
    ann.place(limit(2, Side::Buy, "12.50", "5")).await.unwrap();

    // In game: a Notice on the seller's durable account stream.
    let notices: Vec<(u64, String, String)> = drain(&mut pushes, Duration::from_millis(500))
        .await
        .into_iter()
        .filter_map(|p| match p.event {
            PushEvent::Notice { subject, body } => Some((p.cursor, subject, body)),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].1.starts_with(&format!("Order {sell} filled")), "{notices:?}");
    assert!(notices[0].1.contains("12.5"), "{notices:?}");

    // ...and kept until read: in the inbox under the push's cursor, until marked read.
    let unread = bob.notifications(true, 10).await.unwrap();
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert_eq!((unread[0].id, &unread[0].subject, &unread[0].body, unread[0].read), (notices[0].0, &notices[0].1, &notices[0].2, false));
    assert_eq!(bob.mark_notifications_read(Some(vec![notices[0].0, 999_999])).await.unwrap(), 1);
    assert_eq!(bob.mark_notifications_read(Some(vec![notices[0].0])).await.unwrap(), 0, "already read");
    assert!(bob.notifications(true, 10).await.unwrap().is_empty());
    let all = bob.notifications(false, 10).await.unwrap();
    assert_eq!((all.len(), all[0].read), (1, true), "read ones are still listed");
    // Ann's notice waits for her (across a restart too); nobody else sees it.
    assert!(admin.notifications(false, 10).await.unwrap().is_empty());

    // By e-mail: through the outbox into the maildir, addressed to each side.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mails: Vec<String> = std::fs::read_dir(dir.path().join("mail/new"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|m| m.contains("Subject: Order"))
            .collect();
        let to = |who: &str| mails.iter().any(|m| m.contains(&format!("To: {who}")) && m.contains("filled"));
        if to("bob@example.com") && to("ann@example.com") {
            break;
        }
        assert!(Instant::now() < deadline, "fill mails not delivered: {mails:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    drop((ann, bob, admin));
    assert!(server.terminate().success());
    let server = Server::start(dir.path());
    let ann = server.client().await;
    ann.login("ann@example.com", PASSWORD).await.unwrap();
    let unread = ann.notifications(true, 10).await.unwrap();
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert!(unread[0].subject.starts_with("Order") && unread[0].subject.contains("filled"), "{unread:?}");
    assert_eq!(ann.mark_notifications_read(None).await.unwrap(), 1);
    assert!(ann.notifications(true, 10).await.unwrap().is_empty());
}
