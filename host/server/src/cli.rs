//! The client subcommands for people, and the offline `verify` / `export` tools.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Subcommand;
use entrepot_core::{Engine, EngineConfig, Event};
use entrepot_protocol::client::Client;
use entrepot_protocol::*;
use entrepot_store::journal::decode as decode_record;
use entrepot_store::schema::JOURNAL;
use entrepot_store::{JournalEntry, Store};
use redb::{ReadableDatabase, ReadableTable};
use rust_decimal::Decimal;
use serde_json::json;

use crate::Target;

#[derive(Subcommand)]
pub enum ClientCmd {
    /// Sign up, confirm the e-mail, log in or out.
    Account {
        #[command(subcommand)]
        cmd: AccountCmd,
        #[command(flatten)]
        target: Target,
    },
    /// Place, cancel or list orders.
    Order {
        #[command(subcommand)]
        cmd: OrderCmd,
        #[command(flatten)]
        target: Target,
    },
    /// Show a market's order book.
    Book {
        market: u32,
        #[arg(long, default_value_t = 10)]
        depth: u32,
        #[command(flatten)]
        target: Target,
    },
    /// List the markets with their full policy (fees, listing fee, limits, order slots,
    /// buy limit, self-trade prevention).
    Markets {
        #[command(flatten)]
        target: Target,
    },
    /// List the assets with their kind and decimal places.
    Assets {
        #[command(flatten)]
        target: Target,
    },
    /// Show your balances.
    Balance {
        #[command(flatten)]
        target: Target,
    },
    /// Your in-game notifications: the unread ones (or `--all`), newest first; or mark
    /// some (`--mark-read ID`, repeatable) or all (`--mark-all-read`) read.
    Notifications {
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        mark_read: Vec<u64>,
        #[arg(long)]
        mark_all_read: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Operator commands (log in as the admin first).
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Subcommand)]
pub enum AccountCmd {
    Signup {
        #[arg(long)]
        email: String,
        #[arg(long, env = "ENTREPOT_PASSWORD")]
        password: String,
    },
    Confirm {
        #[arg(long)]
        email: String,
        #[arg(long)]
        token: String,
    },
    Login {
        #[arg(long)]
        email: String,
        #[arg(long, env = "ENTREPOT_PASSWORD")]
        password: String,
    },
    Logout,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SideArg {
    Buy,
    Sell,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum TifArg {
    Gtc,
    Ioc,
    Fok,
}

#[derive(Subcommand)]
pub enum OrderCmd {
    /// A limit order (`--price`), or a market order (no `--price`; `--budget` for a buy by amount).
    Place {
        #[arg(long)]
        market: u32,
        #[arg(long, value_enum)]
        side: SideArg,
        #[arg(long)]
        quantity: Option<Decimal>,
        #[arg(long)]
        price: Option<Decimal>,
        #[arg(long)]
        budget: Option<Decimal>,
        #[arg(long, value_enum, default_value = "gtc")]
        tif: TifArg,
        /// Good till this game time (ms since the epoch).
        #[arg(long)]
        expires: Option<u64>,
        #[arg(long)]
        post_only: bool,
    },
    Cancel {
        order: u64,
    },
    List,
}

#[derive(Subcommand)]
pub enum AdminCmd {
    /// Credit an account (by e-mail) out of the faucet.
    Mint {
        #[arg(long)]
        email: String,
        #[arg(long)]
        asset: u32,
        #[arg(long)]
        amount: Decimal,
    },
    /// Create a market of an item against a currency.
    CreateMarket {
        #[arg(long)]
        market: u32,
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        base: u32,
        #[arg(long)]
        quote: u32,
        #[arg(long)]
        tick: Decimal,
        #[arg(long)]
        lot: Decimal,
        #[arg(long, default_value_t = 0)]
        maker_fee_bps: u32,
        #[arg(long, default_value_t = 0)]
        taker_fee_bps: u32,
    },
    /// Halt a market (or reopen it with --resume).
    Halt {
        market: u32,
        #[arg(long)]
        resume: bool,
    },
    /// Load, reload, unload, list or bind WebAssembly plugins without a restart.
    Plugin {
        #[command(subcommand)]
        cmd: PluginCmd,
    },
    /// Create, drive and settle events (fixtures) for betting.
    Fixture {
        #[command(subcommand)]
        cmd: FixtureCmd,
    },
}

#[derive(Subcommand)]
pub enum FixtureCmd {
    /// Create every event of a fixtures file (a JSON array; see the README).
    Import { file: std::path::PathBuf },
    /// Open, suspend, go in-play or close an event.
    Status {
        fixture: u64,
        #[arg(value_parser = ["open", "suspended", "in-play", "closed"])]
        status: String,
    },
    /// Set the house's odds for a fixed-odds selection (`off` stops offering it).
    Odds { fixture: u64, market: u16, selection: u16, odds: String },
    /// Report the final score (`--abandoned` voids every bet); reporting again re-settles.
    Result {
        fixture: u64,
        /// participant=score, e.g. Wolves=2 Kings=1
        scores: Vec<String>,
        #[arg(long)]
        abandoned: bool,
    },
    /// Cancel the event, or void it after settlement: every stake is returned.
    Void { fixture: u64 },
}

#[derive(Subcommand)]
pub enum PluginCmd {
    /// Load a plugin from its manifest (a path on the server's machine; the .wasm beside it).
    Load { manifest: String },
    /// Load the plugin again from where it was loaded and swap it in.
    Reload { name: String },
    /// Drop the plugin; its markets go back to their native rules.
    Unload { name: String },
    /// Every loaded plugin, its markets, state and metrics.
    List,
    /// Bind a market to a loaded market-rules plugin (or `native` for the native rules).
    Bind { market: u32, plugin: String },
}

async fn connect(target: &Target) -> anyhow::Result<Client> {
    let fingerprint = match &target.fingerprint {
        Some(f) => f.clone(),
        None => std::fs::read_to_string(target.data_dir.join("tls/fingerprint"))
            .with_context(|| format!("no --fingerprint given and none in {}/tls/fingerprint", target.data_dir.display()))?
            .trim()
            .to_string(),
    };
    Ok(Client::connect(target.server, &fingerprint).await?)
}

/// Connect and resume the saved session.
async fn connect_logged_in(target: &Target) -> anyhow::Result<Client> {
    let client = connect(target).await?;
    let token = std::fs::read_to_string(&target.session_file)
        .with_context(|| format!("not logged in (no {}): run `entrepot account login`", target.session_file.display()))?;
    client.resume(token.trim()).await?;
    Ok(client)
}

fn print(json: bool, value: serde_json::Value, table: impl FnOnce()) {
    if json {
        println!("{value}");
    } else {
        table();
    }
}

/// `entrepot markets`: every market, with its full policy when the server offers it.
async fn markets(target: &Target) -> anyhow::Result<()> {
    let client = connect(target).await?;
    let ms = client.markets().await?;
    let policies = if client.welcome().capabilities.iter().any(|c| c == "market-policies") { client.market_policies().await? } else { Vec::new() };
    let policy = |m: u32| policies.iter().find(|p| p.market == m);
    let rows: Vec<serde_json::Value> = ms
        .iter()
        .map(|m| {
            let mut row = json!({"market": m.market, "symbol": m.symbol, "base": m.base, "quote": m.quote, "tick": m.tick, "lot": m.lot,
                "maker_fee_bps": m.maker_fee_bps, "taker_fee_bps": m.taker_fee_bps, "status": format!("{:?}", m.status)});
            if let Some(p) = policy(m.market) {
                row["policy"] = json!({
                    "listing_fee": p.listing_fee, "min_quantity": p.min_quantity, "max_quantity": p.max_quantity, "max_price": p.max_price,
                    "max_open_orders": p.max_open_orders,
                    "buy_limit": p.buy_limit.map(|b| json!({"quantity": b.quantity, "window_ms": b.window_ms})),
                    "self_trade": format!("{:?}", p.self_trade), "rules": p.rules,
                });
            }
            row
        })
        .collect();
    print(target.json, serde_json::Value::Array(rows), || {
        println!(
            "{:>6} {:<16} {:>8} {:>6} {:>9} {:>9} {:<8} {:>11} {:>8} {:>12} {:>14} {:>5} {:<16} {:<12} {:<10}",
            "id",
            "symbol",
            "tick",
            "lot",
            "maker bps",
            "taker bps",
            "status",
            "listing fee",
            "min qty",
            "max qty",
            "max price",
            "slots",
            "buy limit",
            "self-trade",
            "rules"
        );
        for m in &ms {
            let (fee, min, max, price, slots, limit, stp, rules) = match policy(m.market) {
                Some(p) => (
                    p.listing_fee.to_string(),
                    p.min_quantity.to_string(),
                    p.max_quantity.to_string(),
                    p.max_price.to_string(),
                    if p.max_open_orders == 0 { "-".to_string() } else { p.max_open_orders.to_string() },
                    p.buy_limit.map_or("-".to_string(), |b| format!("{} / {} s", b.quantity, b.window_ms / 1000)),
                    format!("{:?}", p.self_trade),
                    p.rules.clone().unwrap_or_else(|| "native".into()),
                ),
                None => Default::default(),
            };
            println!(
                "{:>6} {:<16} {:>8} {:>6} {:>9} {:>9} {:<8} {:>11} {:>8} {:>12} {:>14} {:>5} {:<16} {:<12} {:<10}",
                m.market,
                m.symbol,
                m.tick,
                m.lot,
                m.maker_fee_bps,
                m.taker_fee_bps,
                format!("{:?}", m.status),
                fee,
                min,
                max,
                price,
                slots,
                limit,
                stp,
                rules
            );
        }
    });
    Ok(())
}

pub async fn run(cmd: ClientCmd) -> anyhow::Result<()> {
    match cmd {
        ClientCmd::Account { cmd, target } => account(cmd, &target).await,
        ClientCmd::Order { cmd, target } => order(cmd, &target).await,
        ClientCmd::Book { market, depth, target } => {
            let client = connect_logged_in(&target).await?;
            let Response::Book(b) = client.call(Request::Book { market, depth }).await? else { bail!("unexpected response") };
            print(target.json, json!({"market": b.market, "seq": b.seq, "bids": b.bids, "asks": b.asks}), || {
                println!("{:>14} {:>12} | {:<12} {:<14}", "bid qty", "bid", "ask", "ask qty");
                for i in 0..b.bids.len().max(b.asks.len()) {
                    let bid = b.bids.get(i).map_or((String::new(), String::new()), |(p, q)| (p.to_string(), q.to_string()));
                    let ask = b.asks.get(i).map_or((String::new(), String::new()), |(p, q)| (p.to_string(), q.to_string()));
                    println!("{:>14} {:>12} | {:<12} {:<14}", bid.1, bid.0, ask.0, ask.1);
                }
            });
            Ok(())
        }
        ClientCmd::Markets { target } => markets(&target).await,
        ClientCmd::Assets { target } => {
            let client = connect(&target).await?;
            let assets = client.assets().await?;
            print(
                target.json,
                serde_json::to_value(
                    assets
                        .iter()
                        .map(|a| json!({"asset": a.asset, "symbol": a.symbol, "kind": format!("{:?}", a.kind), "decimals": a.decimals}))
                        .collect::<Vec<_>>(),
                )?,
                || {
                    println!("{:>6} {:<16} {:<9} {:>8}", "id", "symbol", "kind", "decimals");
                    for a in &assets {
                        println!("{:>6} {:<16} {:<9} {:>8}", a.asset, a.symbol, format!("{:?}", a.kind), a.decimals);
                    }
                },
            );
            Ok(())
        }
        ClientCmd::Balance { target } => {
            let client = connect_logged_in(&target).await?;
            let balances = client.balances().await?;
            print(
                target.json,
                serde_json::to_value(
                    balances.iter().map(|b| json!({"asset": b.asset, "symbol": b.symbol, "available": b.available, "locked": b.locked})).collect::<Vec<_>>(),
                )?,
                || {
                    println!("{:<10} {:>16} {:>16}", "asset", "available", "locked");
                    for b in &balances {
                        println!("{:<10} {:>16} {:>16}", b.symbol, b.available, b.locked);
                    }
                },
            );
            Ok(())
        }
        ClientCmd::Notifications { all, limit, mark_read, mark_all_read, target } => {
            let client = connect_logged_in(&target).await?;
            if mark_all_read || !mark_read.is_empty() {
                let count = client.mark_notifications_read((!mark_all_read).then_some(mark_read)).await?;
                print(target.json, json!({"marked_read": count}), || println!("{count} marked read"));
                return Ok(());
            }
            let list = client.notifications(!all, limit).await?;
            print(
                target.json,
                serde_json::to_value(
                    list.iter()
                        .map(|n| json!({"id": n.id, "subject": n.subject, "body": n.body, "created_ms": n.created_ms, "read": n.read}))
                        .collect::<Vec<_>>(),
                )?,
                || {
                    for n in &list {
                        println!("{:>6} {} {}\n       {}", n.id, if n.read { " " } else { "*" }, n.subject, n.body);
                    }
                },
            );
            Ok(())
        }
        ClientCmd::Admin { cmd, target } => admin(cmd, &target).await,
    }
}

/// Write a secret (the session token) readable by its owner only: created with mode 0600
/// on unix (an existing file is truncated and narrowed to 0600 too).
fn write_private(path: &std::path::Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path).with_context(|| format!("{}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(())
}

async fn account(cmd: AccountCmd, target: &Target) -> anyhow::Result<()> {
    let client = connect(target).await?;
    match cmd {
        AccountCmd::Signup { email, password } => {
            let Response::SignedUp { .. } = client.call(Request::Signup { email, password }).await? else { bail!("unexpected response") };
            print(target.json, json!({"signed_up": true}), || {
                println!("signed up; confirm with the token in the e-mail (see <data-dir>/mail/new without an SMTP relay), then log in");
            });
        }
        AccountCmd::Confirm { email, token } => {
            client.call(Request::ConfirmEmail { email, token }).await?;
            print(target.json, json!({"confirmed": true}), || println!("confirmed; you can log in"));
        }
        AccountCmd::Login { email, password } => {
            let (token, account) = client.login(&email, &password).await?;
            write_private(&target.session_file, &token)?;
            print(target.json, json!({"account": account}), || println!("logged in as account {account} (session saved to {})", target.session_file.display()));
        }
        AccountCmd::Logout => {
            let _ = std::fs::remove_file(&target.session_file);
            println!("logged out");
        }
    }
    Ok(())
}

async fn order(cmd: OrderCmd, target: &Target) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    match cmd {
        OrderCmd::Place { market, side, quantity, price, budget, tif, expires, post_only } => {
            let order = match (price, quantity, budget) {
                (Some(price), Some(quantity), None) => OrderType::Limit { price, quantity },
                (None, Some(quantity), None) => OrderType::Market { quantity },
                (None, None, Some(budget)) => OrderType::MarketBudget { budget },
                _ => bail!("give --price and --quantity (limit), --quantity (market) or --budget (market buy)"),
            };
            let tif = match (expires, tif, &order) {
                (Some(at), _, _) => TimeInForce::Gtd(at),
                (None, _, OrderType::Market { .. } | OrderType::MarketBudget { .. }) => TimeInForce::Ioc,
                (None, TifArg::Gtc, _) => TimeInForce::Gtc,
                (None, TifArg::Ioc, _) => TimeInForce::Ioc,
                (None, TifArg::Fok, _) => TimeInForce::Fok,
            };
            let side = match side {
                SideArg::Buy => Side::Buy,
                SideArg::Sell => Side::Sell,
            };
            let id = client.place(PlaceOrder { market, side, order, tif, post_only }).await?;
            print(target.json, json!({"order": id}), || println!("order {id} accepted"));
        }
        OrderCmd::Cancel { order } => {
            client.cancel(order).await?;
            print(target.json, json!({"cancelled": order}), || println!("order {order} cancelled"));
        }
        OrderCmd::List => {
            let orders = client.open_orders().await?;
            print(target.json, serde_json::to_value(orders.iter().map(|o| json!({"order": o.order, "market": o.market, "side": format!("{:?}", o.side), "price": o.price, "quantity": o.quantity, "filled": o.filled})).collect::<Vec<_>>())?, || {
                println!("{:>8} {:>6} {:<4} {:>12} {:>10} {:>10}", "order", "market", "side", "price", "quantity", "filled");
                for o in &orders {
                    println!("{:>8} {:>6} {:<4?} {:>12} {:>10} {:>10}", o.order, o.market, o.side, o.price, o.quantity, o.filled);
                }
            });
        }
    }
    Ok(())
}

async fn admin(cmd: AdminCmd, target: &Target) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    let request = match cmd {
        AdminCmd::Mint { email, asset, amount } => {
            let Response::Account { account } = client.call(Request::Admin(AdminRequest::FindAccount { email })).await? else { bail!("unexpected response") };
            AdminRequest::Mint { account, asset, amount }
        }
        AdminCmd::CreateMarket { market, symbol, base, quote, tick, lot, maker_fee_bps, taker_fee_bps } => {
            AdminRequest::CreateMarket(MarketInfo { market, symbol, base, quote, tick, lot, maker_fee_bps, taker_fee_bps, status: MarketStatus::Open })
        }
        AdminCmd::Halt { market, resume } => AdminRequest::SetMarketStatus { market, status: if resume { MarketStatus::Open } else { MarketStatus::Halted } },
        AdminCmd::Plugin { cmd } => return plugin(&client, cmd, target).await,
        AdminCmd::Fixture { cmd } => fixture_request(cmd)?,
    };
    client.call(Request::Admin(request)).await?;
    print(target.json, json!({"ok": true}), || println!("done"));
    Ok(())
}

fn fixture_request(cmd: FixtureCmd) -> anyhow::Result<AdminRequest> {
    Ok(match cmd {
        FixtureCmd::Import { file } => {
            let json = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            AdminRequest::ImportFixtures { json }
        }
        FixtureCmd::Status { fixture, status } => {
            let status = serde_json::from_value(json!(status)).context("status")?;
            AdminRequest::SetFixtureStatus { fixture, status }
        }
        FixtureCmd::Odds { fixture, market, selection, odds } => {
            let odds = if odds == "off" { None } else { Some(odds.parse::<Decimal>().context("odds must be a decimal or `off`")?) };
            AdminRequest::SetOdds { selection: SelectionRef { fixture, market, selection }, odds }
        }
        FixtureCmd::Result { fixture, scores, abandoned } => {
            let scores = scores
                .iter()
                .map(|s| {
                    let (name, score) = s.split_once('=').with_context(|| format!("{s:?} is not participant=score"))?;
                    Ok((name.to_string(), score.parse::<i64>().with_context(|| format!("{s:?}: the score must be a whole number"))?))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            AdminRequest::ReportResult { fixture, scores, completed: !abandoned }
        }
        FixtureCmd::Void { fixture } => AdminRequest::VoidFixture { fixture },
    })
}

async fn plugin(client: &Client, cmd: PluginCmd, target: &Target) -> anyhow::Result<()> {
    let request = match cmd {
        PluginCmd::Load { manifest } => {
            // A relative path means the caller's directory, which the server does not share.
            let path = std::path::absolute(&manifest).map(|p| p.display().to_string()).unwrap_or(manifest);
            AdminRequest::PluginLoad { manifest: path }
        }
        PluginCmd::Reload { name } => AdminRequest::PluginReload { name },
        PluginCmd::Unload { name } => AdminRequest::PluginUnload { name },
        PluginCmd::List => AdminRequest::PluginList,
        PluginCmd::Bind { market, plugin } => AdminRequest::BindRules { market, plugin: (plugin != "native").then_some(plugin) },
    };
    let plugins = match client.call(Request::Admin(request)).await? {
        Response::Plugins(p) => p,
        _ => Vec::new(),
    };
    let value = serde_json::to_value(
        plugins
            .iter()
            .map(|p| {
                json!({
                    "name": p.name, "version": p.version, "world": p.world, "hash": p.hash, "markets": p.markets,
                    "quarantined": p.quarantined, "calls": p.calls, "p50_ns": p.p50_ns, "p99_ns": p.p99_ns,
                    "fuel_used": p.fuel_used, "faults": p.faults, "quarantines": p.quarantines,
                })
            })
            .collect::<Vec<_>>(),
    )?;
    print(target.json, value, || {
        if plugins.is_empty() {
            println!("done");
        }
        for p in &plugins {
            let state = p.quarantined.as_deref().map_or("active".to_string(), |why| format!("QUARANTINED: {why}"));
            println!("{} {} ({}) sha256 {} markets {:?}: {state}", p.name, p.version, p.world, &p.hash[..p.hash.len().min(12)], p.markets);
            println!("  calls {} p50 {} ns p99 {} ns fuel {} faults {} quarantines {}", p.calls, p.p50_ns, p.p99_ns, p.fuel_used, p.faults, p.quarantines);
        }
    });
    Ok(())
}

/// `entrepot verify <data-dir>`.
pub fn verify(data_dir: &Path) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    match store.verify(EngineConfig::default()) {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report)?);
            println!("ok: {} commands, {} snapshots match the replay, ledger conserved", report.commands, report.snapshots_checked);
        }
        Err(e) => bail!("verification failed: {e}"),
    }
    let config = crate::marketdata::config(&crate::config::Config::load(std::env::var_os("ENTREPOT_CONFIG").as_deref().map(Path::new))?)?;
    match crate::marketdata::verify(&store, &config) {
        Ok(n) => println!("ok: {n} market-data snapshots match the journal's rebuild byte for byte"),
        Err(e) => bail!("verification failed: {e}"),
    }
    Ok(())
}

/// `entrepot export <data-dir>`: JSON lines of trades (by replaying the journal), then
/// accounts with their balances, then resting orders.
pub fn export(data_dir: &Path) -> anyhow::Result<()> {
    let store = Arc::new(Store::open(data_dir)?);
    let mut engine = Engine::new(EngineConfig::default());
    let mut events = Vec::new();
    {
        let tx = store.db().begin_read()?;
        let journal = tx.open_table(JOURNAL)?;
        for row in journal.iter()? {
            let (k, v) = row?;
            let entry: JournalEntry = decode_record(k.value(), v.value())?;
            events.clear();
            entry.replay(&mut engine, &mut events);
            for e in &events {
                if let Event::Trade { trade, market, price, quantity, maker_account, taker_account, taker_side, maker_fee, taker_fee, .. } = e {
                    let u = engine.market_units(*market).context("market of a trade")?;
                    println!(
                        "{}",
                        json!({"type": "trade", "trade": trade.0, "seq": entry.ctx.seq, "time": entry.ctx.time, "market": market.0,
                               "price": u.ticks_to_price(*price), "quantity": u.lots_to_quantity(*quantity),
                               "maker": maker_account.0, "taker": taker_account.0, "taker_side": format!("{taker_side:?}"),
                               "maker_fee": maker_fee, "taker_fee": taker_fee})
                    );
                }
            }
        }
    }
    let outbox = crate::mail::Outbox::open(store.clone(), Default::default())?;
    let auth = crate::auth::Auth::new(store.clone(), outbox, &crate::config::Config::default())?;
    let mut users = auth.users()?;
    users.sort_by_key(|u| u.account);
    for u in users {
        let balances: Vec<_> = engine
            .assets()
            .into_iter()
            .filter_map(|a| {
                let (avail, locked) = engine.balance(entrepot_core::AccountId(u.account), a.id)?;
                Some(json!({"asset": a.symbol, "available": crate::convert::amount_out(&engine, a.id, avail), "locked": crate::convert::amount_out(&engine, a.id, locked)}))
            })
            .collect();
        println!("{}", json!({"type": "account", "account": u.account, "email": u.email, "confirmed": u.confirmed, "admin": u.admin, "balances": balances}));
        for o in engine.open_orders(entrepot_core::AccountId(u.account)) {
            let m = engine.market_units(o.market).context("market of an order")?;
            println!(
                "{}",
                json!({"type": "order", "order": o.order.0, "account": u.account, "market": o.market.0, "side": format!("{:?}", o.side),
                       "price": m.ticks_to_price(o.price), "quantity": m.lots_to_quantity(o.quantity), "filled": m.lots_to_quantity(o.filled)})
            );
        }
    }
    Ok(())
}

/// `entrepot dead-letters <data-dir>`: one JSON line per dead letter (id, recipient,
/// subject, attempts, last error); the body stays out (it may hold a token).
pub fn dead_letters(data_dir: &Path) -> anyhow::Result<()> {
    let store = Arc::new(Store::open(data_dir)?);
    let outbox = crate::mail::Outbox::open(store, Default::default())?;
    for m in outbox.dead_letters()? {
        println!("{}", json!({"id": m.id, "to": m.to, "subject": m.subject, "created_ms": m.created_ms, "attempts": m.attempts, "last_error": m.last_error}));
    }
    Ok(())
}
