//! The `entrepot` command for people, against a real server: sign-up with the mailed
//! token, login, orders, book, balance, admin — tables by default, JSON with `--json`.

mod common;

use std::process::Command;

use common::*;

fn entrepot(server: &Server, dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .args(["--server", &server.addr.to_string(), "--fingerprint", &server.fingerprint])
        .arg("--session-file")
        .arg(dir.join("session"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "entrepot {args:?} failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_and_an_admin_use_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let (ann, admin) = (dir.path().join("ann"), dir.path().join("admin"));
    std::fs::create_dir_all(&ann).unwrap();
    std::fs::create_dir_all(&admin).unwrap();

    // The admin password came from the environment: it is not printed.
    assert!(!server.startup.iter().any(|l| l.contains(ADMIN_PASSWORD)), "{:?}", server.startup);
    let out = entrepot(&server, &ann, &["account", "signup", "--email", "ann@example.com", "--password", PASSWORD, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["signed_up"], true);
    let token = server.mail_token("ann@example.com");
    entrepot(&server, &ann, &["account", "confirm", "--email", "ann@example.com", "--token", &token]);
    let out = entrepot(&server, &ann, &["account", "login", "--email", "ann@example.com", "--password", PASSWORD, "--json"]);
    let account = serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["account"].as_u64().unwrap();
    assert!(account >= 1000);
    // The session token is the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ann.join("session")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "session file mode {mode:o}");
    }

    // The admin gives Ann some copper.
    entrepot(&server, &admin, &["account", "login", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]);
    entrepot(&server, &admin, &["admin", "mint", "--email", "ann@example.com", "--asset", "2", "--amount", "25"]);

    let table = entrepot(&server, &ann, &["balance"]);
    assert!(table.lines().any(|l| l.starts_with("GOLD") && l.contains("1000")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("COPPER") && l.contains("25")), "{table}");

    let placed = entrepot(&server, &ann, &["order", "place", "--market", "1", "--side", "sell", "--price", "3.10", "--quantity", "5", "--json"]);
    let order = serde_json::from_str::<serde_json::Value>(placed.trim()).unwrap()["order"].as_u64().unwrap();
    let list = entrepot(&server, &ann, &["order", "list", "--json"]);
    assert!(list.contains(&format!("\"order\":{order}")), "{list}");
    let book = entrepot(&server, &ann, &["book", "1", "--json"]);
    let book: serde_json::Value = serde_json::from_str(book.trim()).unwrap();
    assert_eq!(book["asks"][0], serde_json::json!(["3.1", "5"]));
    entrepot(&server, &ann, &["order", "cancel", &order.to_string()]);
    assert!(entrepot(&server, &ann, &["order", "list", "--json"]).trim() == "[]");

    // Bad input from the CLI is a clear error, not a crash.
    let bad = Command::new(binary())
        .args(["order", "place", "--market", "1", "--side", "buy", "--price", "1.234", "--quantity", "1"])
        .args(["--server", &server.addr.to_string(), "--fingerprint", &server.fingerprint])
        .arg("--session-file")
        .arg(ann.join("session"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tick"), "{}", String::from_utf8_lossy(&bad.stderr));

    // The admin halts the market; a halted market refuses orders.
    entrepot(&server, &admin, &["admin", "halt", "1"]);
    let markets = entrepot(&server, &ann, &["markets"]);
    assert!(markets.lines().any(|l| l.contains("COPPER/GOLD") && l.contains("Halted")), "{markets}");
}

/// `entrepot assets` shows decimal places; `entrepot markets` each market's full policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_and_markets_show_decimals_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let assets: serde_json::Value = serde_json::from_str(entrepot(&server, dir.path(), &["assets", "--json"]).trim()).unwrap();
    assert_eq!(assets[0], serde_json::json!({"asset": 1, "symbol": "GOLD", "kind": "Currency", "decimals": 2}));
    assert_eq!(assets[1]["kind"], "Item");
    let table = entrepot(&server, dir.path(), &["assets"]);
    assert!(table.lines().any(|l| l.contains("GOLD") && l.contains("Currency") && l.trim_end().ends_with('2')), "{table}");

    let markets: serde_json::Value = serde_json::from_str(entrepot(&server, dir.path(), &["markets", "--json"]).trim()).unwrap();
    assert_eq!(markets[0]["symbol"], "COPPER/GOLD");
    assert_eq!(markets[0]["taker_fee_bps"], 20);
    let policy = &markets[0]["policy"];
    assert_eq!(policy["listing_fee"], "0");
    assert_eq!(policy["max_price"], "10000000000");
    assert_eq!(policy["self_trade"], "CancelNewest");
    assert!(policy["buy_limit"].is_null());
    let table = entrepot(&server, dir.path(), &["markets"]);
    assert!(table.lines().any(|l| l.contains("COPPER/GOLD") && l.contains("CancelNewest") && l.contains("native")), "{table}");
}
