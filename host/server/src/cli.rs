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
    /// Show a market's order book (MARKET: an id or a symbol such as COPPER/GOLD).
    Book {
        market: String,
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
    /// A market's candles (klines), oldest first, the open one last (MARKET: an id or a
    /// symbol such as COPPER/GOLD).
    Candles {
        market: String,
        /// 1m, 5m, 15m, 1h, 4h or 1d.
        #[arg(long, default_value = "1h", value_parser = parse_interval)]
        interval: Interval,
        /// Only candles opening at or after this game time (ms since the epoch).
        #[arg(long)]
        start: Option<u64>,
        /// Only candles opening at or before this game time (ms since the epoch).
        #[arg(long)]
        end: Option<u64>,
        /// At most this many (1 to 1000; the server's default: 500).
        #[arg(long)]
        limit: Option<u32>,
        #[command(flatten)]
        target: Target,
    },
    /// The rolling 24-hour ticker of a market, or of every market.
    Ticker {
        market: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Metrics: list them, show one's last 24 hours, rank them by variability.
    Metrics {
        #[command(subcommand)]
        cmd: MetricsCmd,
        #[command(flatten)]
        target: Target,
    },
    /// Your alerts on markets: add, list, remove.
    Alerts {
        #[command(subcommand)]
        cmd: AlertsCmd,
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
pub enum MetricsCmd {
    /// Every metric with samples in the last 24 hours, and its measures.
    List,
    /// One measure of a metric over the last 24 hours: an hourly table and a sparkline.
    History {
        metric: String,
        #[arg(value_parser = parse_measure)]
        measure: Measure,
        /// Characters of the sparkline (1440: one per minute).
        #[arg(long, default_value_t = 144)]
        width: usize,
    },
    /// Metrics ranked by how much a measure varied in the last 24 hours, most variable first.
    Rank {
        #[arg(value_parser = parse_measure)]
        measure: Measure,
        /// stddev (standard deviation) or cv (coefficient of variation).
        #[arg(long, value_enum, default_value = "stddev")]
        by: RankByArg,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Ranks to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RankByArg {
    Stddev,
    Cv,
}

#[derive(Subcommand)]
pub enum AlertsCmd {
    /// Watch a market: its price above or below a level, its 24-hour change beyond a
    /// percentage, or a spike of a measure above FACTOR × its average over WINDOW.
    #[command(group(clap::ArgGroup::new("condition").required(true).args(["above", "below", "change", "spike"])))]
    Add {
        market: String,
        #[arg(long)]
        above: Option<Decimal>,
        #[arg(long)]
        below: Option<Decimal>,
        /// Percent, e.g. 10 for ten percent either way.
        #[arg(long)]
        change: Option<Decimal>,
        /// A market measure: price, volume, change_absolute, change_percentage, spread,
        /// bid_depth, ask_depth.
        #[arg(long, value_parser = parse_measure)]
        spike: Option<Measure>,
        /// Spike factor, with --spike [default: 3].
        #[arg(long)]
        factor: Option<Decimal>,
        /// Spike averaging window, with --spike, e.g. 30m [default: 1h].
        #[arg(long, value_parser = parse_duration)]
        window: Option<u64>,
        /// How long the condition must hold before the alert fires (90s, 5m, 1h, 1d or ms).
        #[arg(long = "for", default_value = "0s", value_parser = parse_duration)]
        for_ms: u64,
        /// How long a firing alert keeps firing after the condition stops holding.
        #[arg(long = "keep-firing-for", default_value = "0s", value_parser = parse_duration)]
        keep_firing_for_ms: u64,
    },
    /// Your alerts with their state.
    List,
    /// Remove one of your alerts.
    Remove { alert: u64 },
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
        /// The market: an id or a symbol such as COPPER/GOLD.
        #[arg(long)]
        market: String,
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
        market: String,
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
    /// Every pending or firing alert: the server's rules and the players'.
    Alerts,
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
    Bind { market: String, plugin: String },
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
            let market = market_id(&client, &market).await?;
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
        ClientCmd::Candles { market, interval, start, end, limit, target } => candles(&target, &market, interval, start, end, limit).await,
        ClientCmd::Ticker { market, target } => ticker(&target, market.as_deref()).await,
        ClientCmd::Metrics { cmd, target } => metrics(cmd, &target).await,
        ClientCmd::Alerts { cmd, target } => alerts(cmd, &target).await,
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
            let market = market_id(&client, &market).await?;
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
        AdminCmd::Halt { market, resume } => {
            let market = market_id(&client, &market).await?;
            AdminRequest::SetMarketStatus { market, status: if resume { MarketStatus::Open } else { MarketStatus::Halted } }
        }
        AdminCmd::Plugin { cmd } => return plugin(&client, cmd, target).await,
        AdminCmd::Fixture { cmd } => fixture_request(cmd)?,
        AdminCmd::Alerts => {
            print_alerts(target.json, &client.firing_alerts().await?, true);
            return Ok(());
        }
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
        PluginCmd::Bind { market, plugin } => {
            AdminRequest::BindRules { market: market_id(client, &market).await?, plugin: (plugin != "native").then_some(plugin) }
        }
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

// ---- markets by symbol, durations, times ----

/// A market given as an id (`3`) or a symbol (`COPPER/GOLD`, in any case): its id. Symbols
/// are looked up in the list of markets.
async fn market_id(client: &Client, market: &str) -> anyhow::Result<u32> {
    if let Ok(id) = market.parse::<u32>() {
        return Ok(id);
    }
    let found = all_markets(client).await?.into_iter().find(|m| m.symbol.eq_ignore_ascii_case(market));
    found.map(|m| m.market).with_context(|| format!("no market {market:?} (see `entrepot markets`)"))
}

/// Every market: each page of `Page(Markets)` on servers that page, else `Markets`.
async fn all_markets(client: &Client) -> anyhow::Result<Vec<MarketInfo>> {
    if !client.welcome().capabilities.iter().any(|c| c == "paging") {
        return Ok(client.markets().await?);
    }
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (items, next) = client.page(List::Markets, after, PAGE_MAX).await?;
        let PageItems::Markets(markets) = items else { bail!("unexpected response") };
        all.extend(markets);
        match next {
            Some(n) => after = Some(n),
            None => return Ok(all),
        }
    }
}

fn parse_interval(s: &str) -> Result<Interval, String> {
    Interval::parse(s).ok_or_else(|| format!("one of {}", Interval::ALL.map(Interval::name).join(", ")))
}

fn parse_measure(s: &str) -> Result<Measure, String> {
    Measure::parse(s).ok_or_else(|| format!("one of {}", Measure::ALL.map(Measure::name).join(", ")))
}

/// A duration in milliseconds from `90s`, `5m`, `1h`, `1d`, or plain milliseconds (`1500`,
/// also `1500ms`).
fn parse_duration(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let bad = || format!("{s:?} is not a duration: 90s, 5m, 1h, 1d or milliseconds");
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let unit_ms: u64 = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_ms).ok_or_else(bad)
}

/// Milliseconds in the largest whole unit: `0s`, `90s`, `5m`, `1h`, `1d`, `1500ms`.
fn duration_text(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    for (unit, len) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms.is_multiple_of(len) {
            return format!("{}{unit}", ms / len);
        }
    }
    format!("{ms}ms")
}

/// Game time (ms since the epoch) as `YYYY-MM-DD HH:MM` UTC.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 → civil date (Howard Hinnant's `civil_from_days`).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

fn or_dash(d: Option<Decimal>) -> String {
    d.map_or_else(|| "-".into(), |d| d.to_string())
}

// ---- market data: candles, tickers, metrics, alerts ----

/// `entrepot candles <MARKET>`.
async fn candles(target: &Target, market: &str, interval: Interval, start: Option<u64>, end: Option<u64>, limit: Option<u32>) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    let market = market_id(&client, market).await?;
    let candles = client.candles(market, interval, start, end, limit).await?;
    print(target.json, json!({"market": market, "interval": interval.name(), "candles": candles}), || {
        println!("{:<16} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>7}", "open (UTC)", "open", "high", "low", "close", "volume", "quote volume", "trades");
        for c in &candles {
            println!(
                "{:<16} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>7}{}",
                utc(c.open_time_ms),
                c.open,
                c.high,
                c.low,
                c.close,
                c.base_volume,
                c.quote_volume,
                c.trades,
                if c.closed { "" } else { "  (open)" }
            );
        }
    });
    Ok(())
}

/// `entrepot ticker [MARKET]`.
async fn ticker(target: &Target, market: Option<&str>) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    let market = match market {
        Some(m) => Some(market_id(&client, m).await?),
        None => None,
    };
    let tickers = client.tickers(market).await?;
    print(target.json, serde_json::to_value(&tickers)?, || {
        let best = |b: Option<(Decimal, Decimal)>| b.map_or_else(|| "-".to_string(), |(p, q)| format!("{p} ({q})"));
        println!(
            "{:<16} {:>12} {:>12} {:>9} {:>12} {:>12} {:>12} {:>14} {:>7} {:>18} {:>18}",
            "symbol", "last", "change", "change %", "high", "low", "volume", "quote volume", "trades", "bid (qty)", "ask (qty)"
        );
        for t in &tickers {
            println!(
                "{:<16} {:>12} {:>12} {:>9} {:>12} {:>12} {:>12} {:>14} {:>7} {:>18} {:>18}",
                t.symbol,
                or_dash(t.last),
                or_dash(t.change),
                or_dash(t.change_percent),
                or_dash(t.high),
                or_dash(t.low),
                t.base_volume,
                t.quote_volume,
                t.trades,
                best(t.best_bid),
                best(t.best_ask)
            );
        }
    });
    Ok(())
}

/// `entrepot metrics list | history | rank`.
async fn metrics(cmd: MetricsCmd, target: &Target) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    match cmd {
        MetricsCmd::List => {
            let all = client.all_metrics().await?;
            let names = |m: &MetricInfo| m.measures.iter().map(|x| x.name()).collect::<Vec<_>>();
            let rows = all.iter().map(|m| json!({"metric": m.metric, "measures": names(m)})).collect();
            print(target.json, serde_json::Value::Array(rows), || {
                println!("{:<24} measures", "metric");
                for m in &all {
                    println!("{:<24} {}", m.metric, names(m).join(", "));
                }
            });
        }
        MetricsCmd::History { metric, measure, width } => {
            let (start_ms, step_ms, points) = client.metric_history(&metric, measure).await?;
            let value = json!({"metric": metric, "measure": measure.name(), "start_ms": start_ms, "step_ms": step_ms, "points": points});
            print(target.json, value, || {
                println!("{metric} {}: {} points from {} UTC, one per {}", measure.name(), points.len(), utc(start_ms), duration_text(step_ms));
                // One row per hour: its samples, lowest, highest and last value.
                let per_hour = usize::try_from(3_600_000 / step_ms.max(1)).unwrap_or(1).max(1);
                println!("{:<16} {:>7} {:>14} {:>14} {:>14}", "hour (UTC)", "samples", "min", "max", "last");
                for (i, hour) in points.chunks(per_hour).enumerate() {
                    let values: Vec<Decimal> = hour.iter().flatten().copied().collect();
                    let at = start_ms + step_ms * (i * per_hour) as u64;
                    println!(
                        "{:<16} {:>7} {:>14} {:>14} {:>14}",
                        utc(at),
                        values.len(),
                        or_dash(values.iter().min().copied()),
                        or_dash(values.iter().max().copied()),
                        or_dash(values.last().copied())
                    );
                }
                println!("{}", sparkline(&points, width));
            });
        }
        MetricsCmd::Rank { measure, by, limit, offset } => {
            let (by, by_name) = match by {
                RankByArg::Stddev => (RankBy::StdDev, "stddev"),
                RankByArg::Cv => (RankBy::CoefficientOfVariation, "cv"),
            };
            let (total, entries) = client.metric_rank(measure, by, offset, limit).await?;
            print(target.json, json!({"measure": measure.name(), "by": by_name, "total": total, "entries": entries}), || {
                println!("{total} metrics ranked by the {by_name} of their {} over the last 24 hours", measure.name());
                println!("{:>5} {:<24} {:>16} {:>16} {:>7}", "rank", "metric", by_name, "mean", "samples");
                for e in &entries {
                    println!("{:>5} {:<24} {:>16} {:>16} {:>7}", e.rank, e.metric, e.value, e.mean, e.samples);
                }
            });
        }
    }
    Ok(())
}

/// The points as a one-line sparkline of at most `width` characters, `▁` the lowest and `█`
/// the highest; each character is the mean of its run of points, a space where that run
/// has no sample.
fn sparkline(points: &[Option<Decimal>], width: usize) -> String {
    use rust_decimal::prelude::ToPrimitive;
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let per = points.len().div_ceil(width.max(1)).max(1);
    let cells: Vec<Option<f64>> = points
        .chunks(per)
        .map(|run| {
            let values: Vec<f64> = run.iter().flatten().filter_map(ToPrimitive::to_f64).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        })
        .collect();
    let (lo, hi) = cells.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    cells
        .iter()
        .map(|cell| match *cell {
            None => ' ',
            Some(v) if hi > lo => BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
            Some(_) => BARS[3],
        })
        .collect()
}

/// `entrepot alerts add | list | remove`.
async fn alerts(cmd: AlertsCmd, target: &Target) -> anyhow::Result<()> {
    let client = connect_logged_in(target).await?;
    match cmd {
        AlertsCmd::Add { market, above, below, change, spike, factor, window, for_ms, keep_firing_for_ms } => {
            // (clap's `requires` would accept any argument of the group: clap-rs/clap#4707.)
            if spike.is_none() && (factor.is_some() || window.is_some()) {
                bail!("--factor and --window go with --spike");
            }
            let market = market_id(&client, &market).await?;
            let condition = match (above, below, change, spike) {
                (Some(price), None, None, None) => AlertCondition::PriceAbove(price),
                (None, Some(price), None, None) => AlertCondition::PriceBelow(price),
                (None, None, Some(percent), None) => AlertCondition::ChangeBeyond(percent),
                (None, None, None, Some(measure)) => {
                    AlertCondition::Spike { measure, factor: factor.unwrap_or(Decimal::from(3)), window_ms: window.unwrap_or(3_600_000) }
                }
                _ => bail!("give exactly one of --above, --below, --change and --spike"),
            };
            let alert = client.add_alert(AlertDef { market, condition, for_ms, keep_firing_for_ms }).await?;
            print(target.json, json!({"alert": alert}), || println!("alert {alert} added"));
        }
        AlertsCmd::List => print_alerts(target.json, &client.alerts().await?, false),
        AlertsCmd::Remove { alert } => {
            client.remove_alert(alert).await?;
            print(target.json, json!({"removed": alert}), || println!("alert {alert} removed"));
        }
    }
    Ok(())
}

fn condition_text(c: &AlertCondition) -> String {
    match c {
        AlertCondition::PriceAbove(p) => format!("price > {p}"),
        AlertCondition::PriceBelow(p) => format!("price < {p}"),
        AlertCondition::ChangeBeyond(p) => format!("|24h change| > {p}%"),
        AlertCondition::Spike { measure, factor, window_ms } => format!("{} > {factor} × {} average", measure.name(), duration_text(*window_ms)),
    }
}

fn condition_json(c: &AlertCondition) -> serde_json::Value {
    match c {
        AlertCondition::PriceAbove(p) => json!({"above": p}),
        AlertCondition::PriceBelow(p) => json!({"below": p}),
        AlertCondition::ChangeBeyond(p) => json!({"change_percent": p}),
        AlertCondition::Spike { measure, factor, window_ms } => json!({"spike": measure.name(), "factor": factor, "window_ms": window_ms}),
    }
}

/// Alerts as a table (with whose they are for the operator) or JSON.
fn print_alerts(json: bool, list: &[AlertInfo], operator: bool) {
    let state = |a: &AlertInfo| format!("{:?}", a.state).to_lowercase();
    let rows = list
        .iter()
        .map(|a| {
            json!({"alert": a.alert, "owner": a.owner, "rule": a.rule, "metric": a.metric, "measure": a.measure.name(),
                   "condition": condition_json(&a.condition), "for_ms": a.for_ms, "keep_firing_for_ms": a.keep_firing_for_ms,
                   "state": state(a), "since_ms": a.since_ms, "value": a.value})
        })
        .collect();
    print(json, serde_json::Value::Array(rows), || {
        let who = |a: &AlertInfo| if a.owner == 0 { format!("rule {}", a.rule) } else { format!("account {}", a.owner) };
        if operator {
            print!("{:<20} ", "whose");
        }
        println!("{:>6} {:<16} {:<36} {:>6} {:>6} {:<8} {:<16} {:>14}", "id", "metric", "condition", "for", "keep", "state", "since (UTC)", "value");
        for a in list {
            if operator {
                print!("{:<20} ", who(a));
            }
            println!(
                "{:>6} {:<16} {:<36} {:>6} {:>6} {:<8} {:<16} {:>14}",
                a.alert,
                a.metric,
                condition_text(&a.condition),
                duration_text(a.for_ms),
                duration_text(a.keep_firing_for_ms),
                state(a),
                a.since_ms.map_or_else(|| "-".into(), utc),
                or_dash(a.value)
            );
        }
    });
}

/// `entrepot verify <data-dir>`.
pub fn verify(data_dir: &Path) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let config = crate::marketdata::config(&crate::config::Config::load(std::env::var_os("ENTREPOT_CONFIG").as_deref().map(Path::new))?)?;
    // One replay checks the engine snapshots and rebuilds the market data.
    let mut marketdata = crate::marketdata::Verify::new(&store, &config).map_err(|e| anyhow::anyhow!("verification failed: {e}"))?;
    match store.verify_with(EngineConfig::default(), |entry, events, engine| marketdata.on_replay(entry, events, engine)) {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report)?);
            println!("ok: {} commands, {} snapshots match the replay, ledger conserved", report.commands, report.snapshots_checked);
        }
        Err(e) => bail!("verification failed: {e}"),
    }
    match marketdata.finish() {
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
