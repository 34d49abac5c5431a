//! Market data end to end, with metric samples every second (`marketdata_sample_ms` =
//! 1000): candle and ticker pushes follow real trades (tickers conflated), the `Candles` /
//! `Ticker` queries answer the same figures, the market stream's depth-sync cursors keep
//! their documented rules; a 3× volume spike fires a player's alert, which reaches the
//! player's inbox and a real SMTP relay (`aiosmtpd` on loopback) through the
//! `mail-notifier` plugin, and nobody else sees it; bad input is refused field by field and
//! the alert quota holds; metrics, their 24-hour history and rankings; and a graceful
//! stop, a `kill -9` and a restart that must rebuild the derived data from the journal
//! all answer the same candles, tickers and history, without notifying the fired alert
//! again.
//!
//! Needs the plugins staged by `cargo xtask plugins`, and `python3` with `aiosmtpd`
//! (installed with pip `--user` when missing, as `smtp.rs` does).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::relay::Relay;
use common::*;
use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;
use rust_decimal::Decimal;

const COPPER: u32 = 1; // market COPPER/GOLD (base asset 2)
const IRON: u32 = 2; // market IRON/GOLD (base asset 3)
const DAY_MS: u64 = 86_400_000;
const SAMPLE_MS: u64 = 1_000;
/// The most points a `MetricHistory` answer carries.
const HISTORY_POINTS: usize = 1_440;

// ---------------------------------------------------------------- harness

/// Where `cargo xtask plugins` staged the compiled plugins.
fn staged() -> PathBuf {
    let dir = std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        // <target>/release/entrepot → <target>/plugins
        binary().parent().and_then(Path::parent).expect("target dir").join("plugins")
    });
    assert!(dir.join("mail-notifier.wasm").exists(), "no staged plugins in {}: run `cargo xtask plugins`", dir.display());
    dir
}

/// Put the bundled mail notifier into `<data>/plugins`.
fn install_mail_notifier(data: &Path) {
    let plugins = data.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for ext in ["wasm", "toml"] {
        std::fs::copy(staged().join(format!("mail-notifier.{ext}")), plugins.join(format!("mail-notifier.{ext}"))).unwrap();
    }
}

/// A server sampling its metrics every second, with `env` on top.
fn start(data: &Path, env: &[(&str, String)]) -> Server {
    let mut all: Vec<(&str, &str)> = vec![("ENTREPOT_MARKETDATA_SAMPLE_MS", "1000")];
    all.extend(env.iter().map(|(k, v)| (*k, v.as_str())));
    Server::start_with(data, &all)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

async fn sleep_until(ms: u64) {
    let now = now_ms();
    if ms > now {
        tokio::time::sleep(Duration::from_millis(ms - now)).await;
    }
}

/// Wait, if needed, until the wall clock (= game time) is at most `into_ms` into its
/// minute, so that what follows stays in one one-minute candle.
async fn early_in_a_minute(into_ms: u64) {
    let into = now_ms() % 60_000;
    if into > into_ms {
        tokio::time::sleep(Duration::from_millis(60_000 - into + 200)).await;
    }
}

/// The error of a call that must fail.
fn api_err(r: Result<Response, ClientError>) -> ApiError {
    match r {
        Err(ClientError::Api(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn assert_refused(r: Result<Response, ClientError>, code: ErrorCode, reason: &str) {
    let e = api_err(r);
    assert_eq!((e.code, e.reason.as_str()), (code, reason), "{e:?}");
}

async fn candles(c: &Client, market: u32, interval: Interval, start_ms: Option<u64>, end_ms: Option<u64>, limit: Option<u32>) -> Vec<CandleInfo> {
    match c.call(Request::Candles { market, interval, start_ms, end_ms, limit }).await.unwrap() {
        Response::Candles { market: m, interval: i, candles } => {
            assert_eq!((m, i), (market, interval));
            candles
        }
        other => panic!("{other:?}"),
    }
}

async fn tickers(c: &Client, market: Option<u32>) -> Vec<TickerInfo> {
    match c.call(Request::Ticker { market }).await.unwrap() {
        Response::Tickers(t) => t,
        other => panic!("{other:?}"),
    }
}

async fn history(c: &Client, metric: &str, measure: Measure) -> History {
    match c.call(Request::MetricHistory { metric: metric.into(), measure }).await.unwrap() {
        Response::MetricHistory { metric: m, measure: ms, start_ms, step_ms, points } => {
            assert_eq!((m.as_str(), ms), (metric, measure));
            (start_ms, step_ms, points)
        }
        other => panic!("{other:?}"),
    }
}

async fn alerts(c: &Client) -> Vec<AlertInfo> {
    match c.call(Request::Alerts).await.unwrap() {
        Response::Alerts(a) => a,
        other => panic!("{other:?}"),
    }
}

async fn firing_alerts(admin: &Client) -> Vec<AlertInfo> {
    match admin.call(Request::Admin(AdminRequest::FiringAlerts)).await.unwrap() {
        Response::Alerts(a) => a,
        other => panic!("{other:?}"),
    }
}

async fn add_alert(c: &Client, def: AlertDef) -> Result<u64, ClientError> {
    match c.call(Request::AddAlert(def)).await? {
        Response::AlertAdded { alert } => Ok(alert),
        other => panic!("{other:?}"),
    }
}

async fn rank(c: &Client, measure: Measure, by: RankBy, offset: u32, limit: u32) -> (u32, Vec<RankEntry>) {
    match c.call(Request::MetricRank { measure, by, offset, limit }).await.unwrap() {
        Response::MetricRank { measure: m, by: b, total, entries } => {
            assert_eq!((m, b), (measure, by));
            (total, entries)
        }
        other => panic!("{other:?}"),
    }
}

fn spike(market: u32, factor: &str, window_ms: u64) -> AlertDef {
    AlertDef { market, condition: AlertCondition::Spike { measure: Measure::Volume, factor: d(factor), window_ms }, for_ms: 0, keep_firing_for_ms: 0 }
}

/// A ticker's figures without its window's times (which roll with the clock).
fn figures(t: &TickerInfo) -> TickerInfo {
    TickerInfo { open_time_ms: 0, close_time_ms: 0, ..t.clone() }
}

/// The candle a push carries, if it is one of `market`'s `interval`.
fn candle_push(p: &Push, market: u32, interval: Interval) -> Option<CandleInfo> {
    match &p.event {
        PushEvent::Candle { market: m, interval: i, candle } if *m == market && *i == interval => Some(candle.clone()),
        _ => None,
    }
}

/// A player's subject lines in the in-game inbox that start with `prefix`.
async fn notices(c: &Client, prefix: &str) -> Vec<NotificationInfo> {
    match c.call(Request::Notifications { unread_only: false, limit: 500 }).await.unwrap() {
        Response::Notifications(n) => n.into_iter().filter(|n| n.subject.starts_with(prefix)).collect(),
        other => panic!("{other:?}"),
    }
}

/// The mails to `email` in `maildir` with a subject starting with `prefix`.
fn mails_with_subject(maildir: &Path, email: &str, prefix: &str) -> Vec<String> {
    mails_to(maildir, email).into_iter().map(|(_, m)| m).filter(|m| m.lines().any(|l| l.starts_with(&format!("Subject: {prefix}")))).collect()
}

/// Poll `cond` every 100 ms until it holds (or panic with `what` after `secs`).
macro_rules! eventually {
    ($secs:expr, $what:expr, $cond:expr) => {{
        let deadline = Instant::now() + Duration::from_secs($secs);
        while !$cond {
            assert!(Instant::now() < deadline, "{} within {} s", $what, $secs);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

/// `n` trades of one lot, a second apart, each in the middle of a sampling interval (so
/// that every sample holds one lot).
async fn steady(buyer: &Client, n: u64) {
    let first = now_ms() / SAMPLE_MS + 1;
    for k in 0..n {
        sleep_until((first + k) * SAMPLE_MS + SAMPLE_MS / 2).await;
        buyer.place(limit(COPPER, Side::Buy, "10.00", "1")).await.unwrap();
    }
}

/// A confirmed, logged-in player whose confirmation mail went to the relay's maildir.
async fn player_via(server: &Server, maildir: &Path, email: &str) -> (Client, u64) {
    let c = server.client().await;
    c.call_patiently(c.next_id(), Request::Signup { email: email.into(), password: PASSWORD.into() }).await.expect("signup");
    let token = server.mail_token_in(maildir, email);
    c.call(Request::ConfirmEmail { email: email.into(), token }).await.expect("confirm");
    let account = match c.call_patiently(c.next_id(), Request::Login { email: email.into(), password: PASSWORD.into() }).await.expect("login") {
        Response::Session { account, .. } => account,
        other => panic!("{other:?}"),
    };
    (c, account)
}

// ---------------------------------------------------------------- 1. pushes and queries

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candle_and_ticker_pushes_follow_the_trades_and_depth_sync_holds() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let admin = server.admin().await;
    let (seller, seller_id) = server.player("seller@example.com").await;
    let (buyer, _) = server.player("buyer@example.com").await;
    let (watcher, _) = server.player("watcher@example.com").await;
    assert!(watcher.welcome().capabilities.iter().any(|c| c == "marketdata"), "{:?}", watcher.welcome());
    mint(&admin, seller_id, 2, "100").await; // COPPER

    // Before any trade: no candle, a ticker without prices.
    assert!(candles(&watcher, COPPER, Interval::M1, None, None, None).await.is_empty());
    let before = tickers(&watcher, Some(COPPER)).await;
    assert_eq!(before.len(), 1);
    assert_eq!((before[0].market, before[0].symbol.as_str(), before[0].last, before[0].trades), (COPPER, "COPPER/GOLD", None, 0));
    assert_eq!((before[0].open, before[0].vwap, before[0].base_volume), (None, None, Decimal::ZERO));

    // The whole trading phase stays in one minute (one one-minute candle).
    early_in_a_minute(35_000).await;
    seller.place(limit(COPPER, Side::Sell, "10.00", "4")).await.unwrap();
    seller.place(limit(COPPER, Side::Sell, "10.50", "10")).await.unwrap();
    buyer.place(limit(COPPER, Side::Buy, "9.50", "4")).await.unwrap();

    // The watcher follows the market stream, the one-minute candles and the market's
    // ticker; the admin's connection follows every market's tickers (another topic).
    let mut rx = watcher.pushes().await.unwrap();
    let mut all_rx = admin.pushes().await.unwrap();
    let Response::Book(book) = watcher.call(Request::SubscribeMarket { market: COPPER }).await.unwrap() else { panic!() };
    assert_eq!(book.bids, vec![(d("9.5"), d("4"))]);
    assert_eq!(book.asks, vec![(d("10"), d("4")), (d("10.5"), d("10"))]);
    let Response::Candles { candles: snapshot, .. } =
        watcher.call(Request::Subscribe(Topic::Candles { market: COPPER, interval: Interval::M1 })).await.unwrap()
    else {
        panic!()
    };
    assert!(snapshot.is_empty(), "no trade yet: {snapshot:?}");
    let Response::Tickers(one) = watcher.call(Request::Subscribe(Topic::Ticker(Some(COPPER)))).await.unwrap() else { panic!() };
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].best_bid, one[0].best_ask), (Some((d("9.5"), d("4"))), Some((d("10"), d("4")))));
    let Response::Tickers(every) = admin.call(Request::Subscribe(Topic::Ticker(None))).await.unwrap() else { panic!() };
    assert_eq!(every.iter().map(|t| t.market).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>(), "every market, by id");
    let subscribed = Instant::now();

    // Nine commands, ten trades, in quick succession.
    buyer.place(limit(COPPER, Side::Buy, "10.00", "1")).await.unwrap(); // 1 @ 10.00
    buyer.place(limit(COPPER, Side::Buy, "10.50", "4")).await.unwrap(); // 3 @ 10.00, 1 @ 10.50
    seller.place(limit(COPPER, Side::Sell, "9.50", "2")).await.unwrap(); // 2 @ 9.50
    for _ in 0..6 {
        buyer.place(limit(COPPER, Side::Buy, "10.50", "1")).await.unwrap(); // 1 @ 10.50
    }
    let traded = subscribed.elapsed();
    // One more flush (once a second) carries the last figures.
    let pushes = drain(&mut rx, Duration::from_millis(1_600)).await;
    let all_pushes = drain(&mut all_rx, Duration::from_millis(300)).await;
    let elapsed = subscribed.elapsed();

    // Candles: one push per trading command, each the candle as it then was.
    let pushed: Vec<(u64, CandleInfo)> = pushes.iter().filter_map(|p| candle_push(p, COPPER, Interval::M1).map(|c| (p.cursor, c))).collect();
    let expected = [
        // (high, low, close, volume, trades, quote volume)
        ("10", "10", "10", "1", 1, "10"),
        ("10.5", "10", "10.5", "5", 3, "50.5"),
        ("10.5", "9.5", "9.5", "7", 4, "69.5"),
        ("10.5", "9.5", "10.5", "8", 5, "80"),
        ("10.5", "9.5", "10.5", "9", 6, "90.5"),
        ("10.5", "9.5", "10.5", "10", 7, "101"),
        ("10.5", "9.5", "10.5", "11", 8, "111.5"),
        ("10.5", "9.5", "10.5", "12", 9, "122"),
        ("10.5", "9.5", "10.5", "13", 10, "132.5"),
    ];
    assert_eq!(pushed.len(), expected.len(), "one candle push per trading command: {pushed:?}");
    let open_time = pushed[0].1.open_time_ms;
    assert_eq!(open_time % 60_000, 0);
    for ((_, c), (high, low, close, volume, trades, quote)) in pushed.iter().zip(expected) {
        assert_eq!((c.open_time_ms, c.close_time_ms, c.closed), (open_time, open_time + 59_999, false));
        assert_eq!((c.open, c.high, c.low, c.close), (d("10"), d(high), d(low), d(close)), "{c:?}");
        assert_eq!((c.base_volume, c.trades, c.quote_volume), (d(volume), trades, d(quote)), "{c:?}");
    }
    assert!(pushed.windows(2).all(|w| w[0].0 < w[1].0), "a candle push's cursor is its command's seq: {pushed:?}");
    let last_candle = pushed.last().unwrap().1.clone();

    // The Candles query answers the same candle, in every interval.
    assert_eq!(candles(&watcher, COPPER, Interval::M1, None, None, None).await, vec![last_candle.clone()]);
    for interval in [Interval::M5, Interval::M15, Interval::H1, Interval::H4, Interval::D1] {
        let c = candles(&watcher, COPPER, interval, None, None, Some(10)).await;
        assert_eq!(c.len(), 1, "{interval:?}: {c:?}");
        let c = &c[0];
        assert_eq!(c.open_time_ms % interval.millis(), 0);
        assert_eq!(c.close_time_ms, c.open_time_ms + interval.millis() - 1);
        assert_eq!((c.open, c.high, c.low, c.close, c.base_volume, c.trades), (d("10"), d("10.5"), d("9.5"), d("10.5"), d("13"), 10));
    }
    // start_ms ..= end_ms bounds on the open time.
    assert_eq!(candles(&watcher, COPPER, Interval::M1, Some(open_time), Some(open_time), Some(1)).await, vec![last_candle.clone()]);
    assert!(candles(&watcher, COPPER, Interval::M1, Some(open_time + 1), None, None).await.is_empty());
    assert!(candles(&watcher, COPPER, Interval::M1, None, Some(open_time - 1), None).await.is_empty());
    assert!(candles(&watcher, IRON, Interval::M1, None, None, None).await.is_empty(), "no trade, no candle");

    // Tickers: conflated (at most one push a second per market and topic), the last one
    // with the final figures.
    let expected_ticker = TickerInfo {
        market: COPPER,
        symbol: "COPPER/GOLD".into(),
        open_time_ms: 0,
        close_time_ms: 0,
        open: Some(d("10")),
        high: Some(d("10.5")),
        low: Some(d("9.5")),
        last: Some(d("10.5")),
        change: Some(d("0.5")),
        change_percent: Some(d("5")),
        vwap: Some(d("10.192308")), // 132.5 / 13
        base_volume: d("13"),
        quote_volume: d("132.5"),
        trades: 10,
        best_bid: Some((d("9.5"), d("2"))),
        best_ask: Some((d("10.5"), d("3"))),
    };
    let ticker_pushes = |ps: &[Push]| -> Vec<(u64, TickerInfo)> {
        ps.iter()
            .filter_map(|p| match &p.event {
                PushEvent::Ticker(t) => Some((p.cursor, t.clone())),
                _ => None,
            })
            .collect()
    };
    let mine = ticker_pushes(&pushes);
    assert!(!mine.is_empty() && mine.iter().all(|(_, t)| t.market == COPPER), "{mine:?}");
    assert!(mine.len() as u64 <= elapsed.as_secs() + 2, "{} ticker pushes in {elapsed:?} (nine trading commands in {traded:?}): not conflated", mine.len());
    assert!(mine.windows(2).all(|w| w[0].0 <= w[1].0), "ticker cursors never decrease");
    assert_eq!(figures(&mine.last().unwrap().1), expected_ticker);
    let all = ticker_pushes(&all_pushes);
    assert!(!all.is_empty() && all.len() as u64 <= elapsed.as_secs() + 2, "{all:?}");
    assert!(all.iter().all(|(_, t)| t.market == COPPER), "only the market that changed: {all:?}");
    assert_eq!(figures(&all.last().unwrap().1), expected_ticker);

    // The Ticker query: one market, and every market.
    let now = tickers(&watcher, Some(COPPER)).await;
    assert_eq!(figures(&now[0]), expected_ticker);
    assert!(now[0].close_time_ms <= now_ms() && now[0].close_time_ms + 2_000 > now_ms(), "as of the last command (a tick each second)");
    assert_eq!(now[0].open_time_ms, (now[0].close_time_ms - DAY_MS) / 60_000 * 60_000, "24 hours back, at a minute");
    let every = tickers(&watcher, None).await;
    assert_eq!(every.iter().map(|t| t.market).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>());
    assert_eq!(figures(&every[0]), expected_ticker);
    assert!(every[1..].iter().all(|t| t.last.is_none() && t.trades == 0 && t.base_volume.is_zero()), "{every:?}");

    // Depth sync (§10.2): BookLevel cursors run seq + 1, seq + 2, ... without a gap; a
    // trade's cursor is the book's after its command: the last BookLevel that follows it.
    let market: Vec<&Push> = pushes.iter().filter(|p| matches!(p.event, PushEvent::BookLevel { .. } | PushEvent::Trade { .. })).collect();
    let levels: Vec<u64> = market.iter().filter(|p| matches!(p.event, PushEvent::BookLevel { .. })).map(|p| p.cursor).collect();
    assert_eq!(levels, (book.seq + 1..=book.seq + 10).collect::<Vec<_>>(), "ten level changes after the snapshot, in order");
    let trades: Vec<(usize, &Push)> = market.iter().enumerate().filter(|(_, p)| matches!(p.event, PushEvent::Trade { .. })).map(|(i, p)| (i, *p)).collect();
    assert_eq!(trades.len(), 10);
    for (i, t) in &trades {
        // The BookLevels after this trade (and the other trades of its command).
        let following: Vec<u64> = market[i + 1..]
            .iter()
            .take_while(|p| !matches!(p.event, PushEvent::Trade { .. }) || p.cursor == t.cursor)
            .filter(|p| matches!(p.event, PushEvent::BookLevel { .. }))
            .map(|p| p.cursor)
            .collect();
        assert_eq!(following.last(), Some(&t.cursor), "trade at {i}: {market:?}");
    }
    // The local book (snapshot + diffs) is the server's, at the last diff's cursor.
    let mut bids: std::collections::BTreeMap<Decimal, Decimal> = book.bids.iter().copied().collect();
    let mut asks: std::collections::BTreeMap<Decimal, Decimal> = book.asks.iter().copied().collect();
    for p in &market {
        if let PushEvent::BookLevel { side, price, quantity, .. } = p.event {
            let side = if side == Side::Buy { &mut bids } else { &mut asks };
            if quantity.is_zero() {
                side.remove(&price);
            } else {
                side.insert(price, quantity);
            }
        }
    }
    let Response::Book(now) = watcher.call(Request::Book { market: COPPER, depth: 5 }).await.unwrap() else { panic!() };
    assert_eq!(now.seq, *levels.last().unwrap());
    assert_eq!(now.bids, bids.into_iter().rev().collect::<Vec<_>>());
    assert_eq!(now.asks, asks.into_iter().collect::<Vec<_>>());
    assert_eq!((now.bids.clone(), now.asks.clone()), (vec![(d("9.5"), d("2"))], vec![(d("10.5"), d("3"))]));
}

// ---------------------------------------------------------------- 2. alerts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_spike_fires_the_players_alert_in_game_and_over_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    install_mail_notifier(&data);
    let (relay, port) = Relay::start(&dir.path().join("relay"));
    let server = start(
        &data,
        &[
            ("ENTREPOT_SMTP_RELAY", format!("smtp://127.0.0.1:{port}")),
            ("ENTREPOT_MAIL_RETRY_MAX_MS", "500".into()),
            ("ENTREPOT_MAX_ALERTS_PER_ACCOUNT", "2".into()),
        ],
    );
    let admin = server.admin().await;
    let (ann, _) = player_via(&server, &relay.dir, "ann@example.com").await; // buys
    let (bob, bob_id) = player_via(&server, &relay.dir, "bob@example.com").await; // sells
    let carol_email = "carol@example.com"; // watches
    let (carol, carol_id) = player_via(&server, &relay.dir, carol_email).await;
    let (dave, _) = player_via(&server, &relay.dir, "dave@example.com").await; // another player
    mint(&admin, bob_id, 2, "100").await;
    bob.place(limit(COPPER, Side::Sell, "10.00", "100")).await.unwrap();

    // Bad input: a typed error naming the field, nothing stored.
    let candles_req = |market, start_ms, end_ms, limit| Request::Candles { market, interval: Interval::M1, start_ms, end_ms, limit };
    assert_refused(carol.call(candles_req(99, None, None, None)).await, ErrorCode::NotFound, "market");
    assert_refused(carol.call(candles_req(COPPER, None, None, Some(0))).await, ErrorCode::InvalidArgument, "limit");
    assert_refused(carol.call(candles_req(COPPER, None, None, Some(1001))).await, ErrorCode::InvalidArgument, "limit");
    assert_refused(carol.call(candles_req(COPPER, Some(2_000), Some(1_000), None)).await, ErrorCode::InvalidArgument, "start_ms");
    assert!(matches!(carol.call(candles_req(COPPER, None, None, Some(1000))).await, Ok(Response::Candles { .. })));
    assert_refused(carol.call(Request::Ticker { market: Some(99) }).await, ErrorCode::NotFound, "market");
    assert_refused(carol.call(Request::Subscribe(Topic::Candles { market: 99, interval: Interval::H1 })).await, ErrorCode::NotFound, "market");
    assert_refused(carol.call(Request::Subscribe(Topic::Ticker(Some(99)))).await, ErrorCode::NotFound, "market");
    assert_refused(carol.call(Request::AddAlert(spike(99, "3", 5_000))).await, ErrorCode::NotFound, "market");
    assert_refused(carol.call(Request::AddAlert(spike(COPPER, "0", 5_000))).await, ErrorCode::InvalidArgument, "factor");
    assert_refused(carol.call(Request::AddAlert(spike(COPPER, "0.0001", 5_000))).await, ErrorCode::InvalidArgument, "factor");
    assert_refused(carol.call(Request::AddAlert(spike(COPPER, "3", DAY_MS + 1))).await, ErrorCode::InvalidArgument, "window_ms");
    assert_refused(carol.call(Request::AddAlert(spike(COPPER, "3", SAMPLE_MS - 1))).await, ErrorCode::InvalidArgument, "window_ms");
    let bad_price = AlertDef { market: COPPER, condition: AlertCondition::PriceAbove(d("10.001")), for_ms: 0, keep_firing_for_ms: 0 };
    assert_refused(carol.call(Request::AddAlert(bad_price)).await, ErrorCode::InvalidArgument, "price");
    let bad_for = AlertDef { for_ms: DAY_MS + 1, ..spike(COPPER, "3", 5_000) };
    assert_refused(carol.call(Request::AddAlert(bad_for)).await, ErrorCode::InvalidArgument, "for_ms");
    assert!(alerts(&carol).await.is_empty(), "nothing stored");

    // A steady lot a second: every sample of the alert's 5-second window holds one.
    steady(&ann, 7).await;
    // Only now (a 1-lot sample over a window of no trades is a spike too): three times
    // the window's average volume, at once, kept firing for 20 s after it stops holding
    // (longer than the checks below wait for the fired notices).
    let def = AlertDef { keep_firing_for_ms: 20_000, ..spike(COPPER, "3", 5_000) };
    let alert = add_alert(&carol, def).await.unwrap();
    let quiet =
        add_alert(&carol, AlertDef { market: COPPER, condition: AlertCondition::PriceAbove(d("500")), for_ms: 0, keep_firing_for_ms: 0 }).await.unwrap();
    // The quota (2): the third is refused, and nothing is stored.
    assert_eq!(api_err(carol.call(Request::AddAlert(spike(IRON, "3", 5_000))).await).code, ErrorCode::QuotaExceeded);
    assert_eq!(alerts(&carol).await.iter().map(|a| a.alert).collect::<Vec<_>>(), vec![alert, quiet]);

    steady(&ann, 3).await;
    tokio::time::sleep(Duration::from_millis(700)).await; // the sample after the last lot
    let listed = alerts(&carol).await;
    let mine = listed.iter().find(|a| a.alert == alert).unwrap();
    assert_eq!((mine.owner, mine.rule.as_str(), mine.metric.as_str(), mine.measure), (carol_id, "", "COPPER/GOLD", Measure::Volume));
    assert_eq!(mine.condition, AlertCondition::Spike { measure: Measure::Volume, factor: d("3"), window_ms: 5_000 });
    assert_eq!((mine.for_ms, mine.keep_firing_for_ms), (0, 20_000));
    assert_eq!((mine.state, mine.since_ms), (AlertState::Inactive, None), "a steady lot a second is no spike: {mine:?}");
    assert!(mine.value.is_some_and(|v| v <= d("2")), "{mine:?}");
    assert!(firing_alerts(&admin).await.is_empty());

    // The spike: 20 lots in one sample, against about one before.
    let spiked = now_ms();
    ann.place(limit(COPPER, Side::Buy, "10.00", "20")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let fired = loop {
        if let Some(a) = alerts(&carol).await.into_iter().find(|a| a.alert == alert && a.state == AlertState::Firing) {
            break a;
        }
        assert!(Instant::now() < deadline, "the alert did not fire within 5 s: {:?}", alerts(&carol).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(fired.value, Some(d("20")), "{fired:?}");
    let since = fired.since_ms.unwrap();
    assert!(since > spiked && since <= spiked + 2 * SAMPLE_MS && since % SAMPLE_MS == 0, "fired at the next sample: {since} after {spiked}");
    // The operator sees it among the firing alerts.
    let operator = firing_alerts(&admin).await;
    assert_eq!(operator.iter().map(|a| (a.alert, a.owner, a.state)).collect::<Vec<_>>(), vec![(alert, carol_id, AlertState::Firing)], "{operator:?}");

    // In game: the mail notifier's notice in carol's inbox ...
    let subject = "COPPER/GOLD volume rose to 20";
    eventually!(5, "the alert's notice in the inbox", !notices(&carol, "COPPER/GOLD").await.is_empty());
    let inbox = notices(&carol, "COPPER/GOLD").await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].subject, subject);
    assert!(inbox[0].body.contains("COPPER/GOLD") && !inbox[0].read, "{inbox:?}");
    // ... and the e-mail, through the SMTP relay.
    eventually!(10, "the alert's e-mail at the relay", !mails_with_subject(&relay.dir, carol_email, "COPPER/GOLD").is_empty());
    let mails = mails_with_subject(&relay.dir, carol_email, "COPPER/GOLD");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("Subject: {subject}")) && mails[0].contains(&format!("X-RcptTo: {carol_email}")), "{}", mails[0]);
    assert!(mails[0].contains("The Entrepot exchange"), "worded by the notifier: {}", mails[0]);
    assert!(mails_to(&data.join("mail"), carol_email).is_empty(), "over SMTP, not into the local maildir");
    // Nobody else was told.
    for (who, email) in [(&ann, "ann@example.com"), (&dave, "dave@example.com")] {
        assert!(notices(who, "COPPER/GOLD").await.is_empty());
        assert!(mails_with_subject(&relay.dir, email, "COPPER/GOLD").is_empty());
    }

    // Another player neither sees nor removes it: the same answer as an unknown alert.
    assert!(alerts(&dave).await.is_empty());
    let theirs = api_err(dave.call(Request::RemoveAlert { alert }).await);
    let unknown = api_err(dave.call(Request::RemoveAlert { alert: 999_999 }).await);
    assert_eq!((theirs.code, theirs.reason.as_str()), (ErrorCode::NotFound, "alert"), "{theirs:?}");
    assert_eq!((theirs.code, &theirs.reason, &theirs.message), (unknown.code, &unknown.reason, &unknown.message));
    assert_eq!(alerts(&carol).await.iter().filter(|a| a.alert == alert && a.state == AlertState::Firing).count(), 1);
    // Its owner can; then the quota has room again.
    carol.call(Request::RemoveAlert { alert: quiet }).await.unwrap();
    let again = add_alert(&carol, spike(IRON, "3", 5_000)).await.unwrap();
    assert!(again > quiet);
    assert_eq!(alerts(&carol).await.iter().map(|a| a.alert).collect::<Vec<_>>(), vec![alert, again]);

    // No more trades: the spike no longer holds and, keep_firing_for later, the alert
    // resolves. The resolution goes through the notifier too: in game and by e-mail.
    eventually!(40, "the alert resolved", alerts(&carol).await.iter().any(|a| a.alert == alert && a.state == AlertState::Inactive));
    assert!(firing_alerts(&admin).await.is_empty());
    let resolved = format!("Alert {alert} on COPPER/GOLD resolved");
    eventually!(5, "the resolution's notice in the inbox", notices(&carol, &resolved).await.len() == 1);
    eventually!(10, "the resolution's e-mail at the relay", mails_with_subject(&relay.dir, carol_email, &resolved).len() == 1);
    assert_eq!(notices(&carol, "COPPER/GOLD").await.len(), 1, "fired once, not again");
    drop(relay);
}

// ---------------------------------------------------------------- 3. metrics

/// Population standard deviation and mean of a history's samples.
fn stddev(points: &[Option<Decimal>]) -> (f64, f64, u32) {
    let xs: Vec<f64> = points.iter().flatten().map(|x| x.to_string().parse::<f64>().unwrap()).collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (var.sqrt(), mean, xs.len() as u32)
}

fn close(a: Decimal, b: f64) -> bool {
    (a.to_string().parse::<f64>().unwrap() - b).abs() < 1e-4
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_history_and_rankings() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let admin = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    mint(&admin, bob_id, 2, "100").await; // COPPER
    mint(&admin, bob_id, 3, "100").await; // IRON

    // Price history before the first trade: the market is a metric, its price has no
    // sample yet.
    let (_, _, points) = history(&ann, "COPPER/GOLD", Measure::Price).await;
    assert!(points.iter().all(Option::is_none), "no trade, no price");

    // Four seconds of trading: COPPER moves a whole GOLD a second, IRON half a GOLD.
    let first = now_ms() / SAMPLE_MS + 1;
    let start = first * SAMPLE_MS;
    for (k, (copper, iron)) in [("10", "20"), ("11", "20.5"), ("12", "21"), ("13", "21.5")].into_iter().enumerate() {
        sleep_until((first + k as u64) * SAMPLE_MS + SAMPLE_MS / 2).await;
        bob.place(limit(COPPER, Side::Sell, copper, "1")).await.unwrap();
        ann.place(limit(COPPER, Side::Buy, copper, "1")).await.unwrap();
        bob.place(limit(IRON, Side::Sell, iron, "1")).await.unwrap();
        ann.place(limit(IRON, Side::Buy, iron, "1")).await.unwrap();
    }
    mint(&admin, ann_id, 1, "500").await; // GOLD minted within one sample
    ann.place(limit(COPPER, Side::Buy, "5.00", "2")).await.unwrap(); // two resting orders
    bob.place(limit(COPPER, Side::Sell, "30.00", "1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_200)).await; // two more samples

    // Metrics: every market (by symbol), the economy, and the economy of each currency.
    let Response::Metrics { metrics, next } = ann.call(Request::Metrics { after: None, limit: 1000 }).await.unwrap() else { panic!() };
    assert_eq!(next, None);
    let names: Vec<&str> = metrics.iter().map(|m| m.metric.as_str()).collect();
    assert_eq!(names, ["COPPER/GOLD", "IRON/GOLD", "LEATHER/GOLD", "STONE/GOLD", "WHEAT/GOLD", "WOOD/GOLD", "economy", "economy:GOLD"]);
    let measures = |name: &str| metrics.iter().find(|m| m.metric == name).unwrap().measures.clone();
    let market_measures =
        [Measure::Price, Measure::Volume, Measure::ChangeAbsolute, Measure::ChangePercentage, Measure::Spread, Measure::BidDepth, Measure::AskDepth];
    assert_eq!(measures("COPPER/GOLD"), market_measures, "a traded market with both sides of the book");
    assert_eq!(
        measures("IRON/GOLD"),
        [Measure::Price, Measure::Volume, Measure::ChangeAbsolute, Measure::ChangePercentage, Measure::BidDepth, Measure::AskDepth],
        "an empty book: no spread"
    );
    assert_eq!(measures("WOOD/GOLD"), [Measure::Volume, Measure::BidDepth, Measure::AskDepth], "no trade: no price, no change, no spread");
    assert_eq!(measures("economy"), [Measure::ActiveAccounts, Measure::OpenOrders]);
    assert_eq!(measures("economy:GOLD"), [Measure::Supply, Measure::Minted, Measure::Burned, Measure::Fees, Measure::Stakes, Measure::Payouts]);
    // Pages of three, walked with `next`.
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let Response::Metrics { metrics, next } = ann.call(Request::Metrics { after: after.clone(), limit: 3 }).await.unwrap() else { panic!() };
        assert!(metrics.len() <= 3);
        walked.extend(metrics);
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(walked, metrics);
    assert_refused(ann.call(Request::Metrics { after: None, limit: 0 }).await, ErrorCode::InvalidArgument, "limit");

    // History: one point per sample, oldest first, at most 1,440 of them (a day of
    // one-minute samples; with one-second samples, the newest 1,440: 24 minutes); `None`
    // before the first trade.
    let (start_ms, step_ms, points) = history(&ann, "COPPER/GOLD", Measure::Price).await;
    let now = now_ms();
    assert_eq!(step_ms, SAMPLE_MS);
    assert_eq!(points.len(), HISTORY_POINTS, "the newest 1,440 samples");
    let last_sample = start_ms + (points.len() as u64 - 1) * step_ms;
    assert_eq!(start_ms % step_ms, 0);
    assert!(last_sample <= now && last_sample + 2 * SAMPLE_MS > now, "ends at the last sample: {last_sample} vs now {now}");
    let first_some = points.iter().position(Option::is_some).unwrap();
    assert!(points[..first_some].iter().all(Option::is_none));
    assert!(points[first_some..].iter().all(Option::is_some), "the price carries over from sample to sample");
    let first_time = start_ms + first_some as u64 * step_ms;
    assert!(first_time > start && first_time <= start + SAMPLE_MS, "the first sample after the first trade: {first_time} vs {start}");
    assert_eq!(points[first_some], Some(d("10")));
    assert_eq!(points.last().unwrap(), &Some(d("13")));
    let seen: Vec<Decimal> = points.iter().flatten().copied().collect();
    for price in ["10", "11", "12", "13"] {
        assert!(seen.contains(&d(price)), "{price} sampled: {seen:?}");
    }
    // Volume: one lot per sampled second of trading.
    let (_, _, volume) = history(&ann, "COPPER/GOLD", Measure::Volume).await;
    assert_eq!(volume.iter().flatten().copied().sum::<Decimal>(), d("4"), "{:?}", volume.iter().flatten().collect::<Vec<_>>());
    // The economy: accounts active, resting orders, GOLD minted.
    let (_, _, active) = history(&ann, "economy", Measure::ActiveAccounts).await;
    assert!(active.iter().flatten().any(|&a| a == d("2")), "ann and bob: {:?}", active.iter().flatten().collect::<Vec<_>>());
    let (_, _, open) = history(&ann, "economy", Measure::OpenOrders).await;
    assert_eq!(open.last().unwrap(), &Some(d("2")));
    let (_, _, minted) = history(&ann, "economy:GOLD", Measure::Minted).await;
    assert!(minted.iter().flatten().any(|&m| m == d("500")), "{:?}", minted.iter().flatten().filter(|m| !m.is_zero()).collect::<Vec<_>>());
    let (_, _, fees) = history(&ann, "economy:GOLD", Measure::Fees).await;
    assert!(fees.iter().flatten().any(|f| !f.is_zero()), "the trades paid fees");
    assert_refused(ann.call(Request::MetricHistory { metric: "NOPE/GOLD".into(), measure: Measure::Price }).await, ErrorCode::InvalidArgument, "metric");
    assert_refused(ann.call(Request::MetricHistory { metric: "economy".into(), measure: Measure::Price }).await, ErrorCode::InvalidArgument, "measure");
    assert_refused(ann.call(Request::MetricHistory { metric: "COPPER/GOLD".into(), measure: Measure::Supply }).await, ErrorCode::InvalidArgument, "measure");

    // Rankings of the price: COPPER moved more, absolutely and relative to its mean. The
    // values are those of the samples in the history (taken again if a sample came
    // between the two answers).
    for by in [RankBy::StdDev, RankBy::CoefficientOfVariation] {
        let mut tries = 0;
        loop {
            let copper = history(&ann, "COPPER/GOLD", Measure::Price).await;
            let iron = history(&ann, "IRON/GOLD", Measure::Price).await;
            let (total, entries) = rank(&ann, Measure::Price, by, 0, 10).await;
            if history(&ann, "COPPER/GOLD", Measure::Price).await != copper && tries < 5 {
                tries += 1;
                continue;
            }
            assert_eq!(total, 2);
            assert_eq!(entries.iter().map(|e| (e.rank, e.metric.as_str())).collect::<Vec<_>>(), [(1, "COPPER/GOLD"), (2, "IRON/GOLD")], "{by:?}");
            for (e, (_, _, points)) in entries.iter().zip([copper, iron]) {
                let (sd, mean, n) = stddev(&points);
                let value = if by == RankBy::StdDev { sd } else { sd / mean.abs() };
                assert_eq!(e.samples, n, "{e:?}");
                assert!(close(e.value, value) && close(e.mean, mean), "{by:?} {e:?}: expected {value} (mean {mean})");
            }
            break;
        }
    }
    // Volume: every market has samples; the untraded ones tie at 0 and go by name. The
    // coefficient of variation leaves out series whose mean is 0.
    let (total, entries) = rank(&ann, Measure::Volume, RankBy::StdDev, 0, 1000).await;
    assert_eq!(total, 6);
    assert_eq!(entries.iter().map(|e| e.rank).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>());
    assert!(entries.windows(2).all(|w| w[0].value >= w[1].value), "most variable first: {entries:?}");
    assert_eq!(
        entries[2..].iter().map(|e| (e.metric.as_str(), e.value)).collect::<Vec<_>>(),
        [("LEATHER/GOLD", Decimal::ZERO), ("STONE/GOLD", Decimal::ZERO), ("WHEAT/GOLD", Decimal::ZERO), ("WOOD/GOLD", Decimal::ZERO)]
    );
    let (total, entries) = rank(&ann, Measure::Volume, RankBy::CoefficientOfVariation, 0, 1000).await;
    assert_eq!((total, entries.iter().map(|e| e.rank).collect::<Vec<_>>()), (2, vec![1, 2]));
    // Pages: rank 2 alone.
    let (total, page) = rank(&ann, Measure::Volume, RankBy::StdDev, 1, 1).await;
    assert_eq!((total, page.len(), page[0].rank), (6, 1, 2));
    assert_refused(
        ann.call(Request::MetricRank { measure: Measure::Price, by: RankBy::StdDev, offset: 0, limit: 0 }).await,
        ErrorCode::InvalidArgument,
        "limit",
    );
}

// ---------------------------------------------------------------- 4. restarts

/// A `MetricHistory` answer: (start_ms, step_ms, points).
type History = (u64, u64, Vec<Option<Decimal>>);

/// What the derived data answers about the market (compared across restarts).
struct Seen {
    /// At the time of the last sample.
    at: u64,
    candles: Vec<(Interval, Vec<CandleInfo>)>,
    ticker: TickerInfo,
    tickers: Vec<TickerInfo>,
    /// (metric, measure) → its history.
    history: Vec<((&'static str, Measure), History)>,
    alerts: Vec<AlertInfo>,
}

const SERIES: [(&str, Measure); 5] = [
    ("COPPER/GOLD", Measure::Price),
    ("COPPER/GOLD", Measure::Volume),
    ("COPPER/GOLD", Measure::BidDepth),
    ("economy", Measure::OpenOrders),
    ("economy:GOLD", Measure::Supply),
];

async fn seen(c: &Client) -> Seen {
    let mut candles_by = Vec::new();
    for interval in [Interval::M1, Interval::H1, Interval::D1] {
        candles_by.push((interval, candles(c, COPPER, interval, None, None, None).await));
    }
    let mut series = Vec::new();
    for key in SERIES {
        series.push((key, history(c, key.0, key.1).await));
    }
    let (start, step, points) = &series[0].1;
    Seen {
        at: start + (points.len() as u64 - 1) * step,
        candles: candles_by,
        ticker: tickers(c, Some(COPPER)).await.remove(0),
        tickers: tickers(c, None).await,
        history: series,
        alerts: alerts(c).await,
    }
}

/// After a restart: the same candles and ticker figures, and every sample up to `before.at`
/// the same.
fn assert_same(before: &Seen, after: &Seen, what: &str) {
    // A candle is closed once its interval is over (the clock moved on); all else is equal.
    let unclosed =
        |s: &Seen| s.candles.iter().map(|(i, cs)| (*i, cs.iter().map(|c| CandleInfo { closed: false, ..c.clone() }).collect::<Vec<_>>())).collect::<Vec<_>>();
    assert_eq!(unclosed(before), unclosed(after), "{what}: candles");
    assert_eq!(figures(&before.ticker), figures(&after.ticker), "{what}: ticker");
    assert_eq!(before.tickers.iter().map(figures).collect::<Vec<_>>(), after.tickers.iter().map(figures).collect::<Vec<_>>(), "{what}: tickers");
    assert!(after.at > before.at, "{what}: sampling went on");
    for ((key, (s0, step0, p0)), (key1, (s1, step1, p1))) in before.history.iter().zip(&after.history) {
        assert_eq!((key, step0, p0.len()), (key1, step1, p1.len()));
        // Point i of `before` is point i - shift of `after`.
        let shift = usize::try_from((s1 - s0) / step0).unwrap();
        assert_eq!(&p0[shift..], &p1[..p1.len() - shift], "{what}: {key:?} up to the last sample before");
        assert!(p0.iter().any(Option::is_some), "{key:?} has samples");
    }
    assert_eq!(before.alerts, after.alerts, "{what}: alerts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_answer_the_same_and_do_not_notify_a_fired_alert_again() {
    let dir = tempfile::tempdir().unwrap();
    install_mail_notifier(dir.path());
    let maildir = dir.path().join("mail");
    let mut server = start(dir.path(), &[]);
    let admin = server.admin().await;
    let (ann, _) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    let carol_email = "carol@example.com";
    let (carol, _) = server.player(carol_email).await;
    mint(&admin, bob_id, 2, "100").await;

    bob.place(limit(COPPER, Side::Sell, "10.00", "3")).await.unwrap();
    ann.place(limit(COPPER, Side::Buy, "10.00", "2")).await.unwrap();
    ann.place(limit(COPPER, Side::Buy, "9.00", "5")).await.unwrap();
    let alert =
        add_alert(&carol, AlertDef { market: COPPER, condition: AlertCondition::PriceAbove(d("10.20")), for_ms: 0, keep_firing_for_ms: 0 }).await.unwrap();
    bob.place(limit(COPPER, Side::Sell, "10.50", "5")).await.unwrap();
    ann.place(limit(COPPER, Side::Buy, "10.50", "1")).await.unwrap(); // 1 @ 10.00, then the price is above 10.20 ...
    ann.place(limit(COPPER, Side::Buy, "10.50", "2")).await.unwrap(); // ... 2 @ 10.50
    eventually!(5, "the price alert fires", alerts(&carol).await.iter().any(|a| a.alert == alert && a.state == AlertState::Firing));
    let subject = "COPPER/GOLD price rose to 10.5";
    eventually!(5, "the notice", notices(&carol, "COPPER/GOLD").await.len() == 1);
    eventually!(5, "the e-mail", mails_with_subject(&maildir, carol_email, "COPPER/GOLD").len() == 1);
    assert_eq!(notices(&carol, "COPPER/GOLD").await[0].subject, subject);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = seen(&carol).await;
    assert_eq!(trades(&before), 3);
    assert_eq!(before.candles[0].1.last().unwrap().close, d("10.5"));
    drop((ann, bob, carol, admin));

    // 1. A graceful stop: the derived data is stored with the final snapshot.
    assert!(server.terminate().success());
    let mut server = start(dir.path(), &[]);
    let carol = carol_again(&server).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await; // samples go on, the alert keeps firing
    let after = seen(&carol).await;
    assert_same(&before, &after, "after a graceful restart");
    assert_eq!(told(&carol, &maildir).await, (1, 1), "the fired alert is not notified again");

    // 2. More trades, then kill -9: the stored data plus the journal since.
    let (ann, _) = server.player("ann@example.com").await;
    ann.place(limit(COPPER, Side::Buy, "10.50", "1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = seen(&carol).await;
    assert_eq!(trades(&before), 4);
    drop((ann, carol));
    server.kill9();
    let mut server = start(dir.path(), &[]);
    let carol = carol_again(&server).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let after = seen(&carol).await;
    assert_same(&before, &after, "after kill -9");
    assert_eq!(told(&carol, &maildir).await, (1, 1));

    // 3. Another candle retention: the stored data does not fit the configuration, so it
    // is rebuilt from the whole journal, to the same answers.
    let before = seen(&carol).await;
    drop(carol);
    assert!(server.terminate().success());
    let server = start(dir.path(), &[("ENTREPOT_CANDLE_RETENTION", "5001".into())]);
    let carol = carol_again(&server).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let after = seen(&carol).await;
    assert_same(&before, &after, "after a rebuild from the journal");
    assert!(after.alerts.iter().any(|a| a.alert == alert && a.state == AlertState::Firing));
    assert_eq!(told(&carol, &maildir).await, (1, 1));
}

/// Trades in the one-minute candles seen.
fn trades(s: &Seen) -> u64 {
    s.candles[0].1.iter().map(|c| c.trades).sum()
}

/// How often carol was told about the COPPER/GOLD alert: (notices, e-mails).
async fn told(carol: &Client, maildir: &Path) -> (usize, usize) {
    (notices(carol, "COPPER/GOLD").await.len(), mails_with_subject(maildir, "carol@example.com", "COPPER/GOLD").len())
}

/// Carol, logged in on a fresh connection.
async fn carol_again(server: &Server) -> Client {
    let c = server.client().await;
    c.login("carol@example.com", PASSWORD).await.unwrap();
    c
}
