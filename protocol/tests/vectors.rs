//! Keeps PROTOCOL.md honest. Three kinds of checked blocks live in the document:
//!
//! - ```` ```examples ```` (§4.9): `Type: hex => value` lines. Each must decode to that value;
//!   `=>` lines must also encode back to exactly those bytes, `->` lines are accepted by the
//!   decoder but never produced, `=> error` lines must be refused.
//! - ```` ```schema ```` (§6): every struct and enum of the protocol with its fields in order
//!   and its variant indices. Compared with what the Rust types actually serialize, and
//!   each enum is checked to have no variant beyond those listed.
//! - `vector: <name>` + ```` ```hex ```` (§11): complete frames, annotated byte by byte. The
//!   bytes must be what `encode` produces for the message built below, decode back to it,
//!   and match an independent encoder written from §4's rules (`spec/mod.rs`), whose notes
//!   must match the document's annotations.
//!
//! To regenerate the document's blocks after a protocol change:
//! `ENTREPOT_PRINT_DOC=1 cargo test -p entrepot-protocol --test vectors -- --nocapture print`

mod error_codes;
mod spec;

use std::collections::BTreeMap;

use entrepot_protocol::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/PROTOCOL.md")).unwrap()
}

/// The bodies of every fenced block with this info string.
fn blocks(doc: &str, info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == format!("```{info}") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim_end() != "```").collect();
            out.push(body.join("\n"));
        }
    }
    out
}

fn hex_bytes(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap_or_else(|_| panic!("`{h}` is not a hex byte"))).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

// ---- §11 vectors --------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Req(RequestFrame),
    Resp(ResponseFrame),
    Push(Push),
}

impl Msg {
    fn encode(&self) -> Vec<u8> {
        match self {
            Msg::Req(m) => encode(m),
            Msg::Resp(m) => encode(m),
            Msg::Push(m) => encode(m),
        }
    }

    fn decode_same_kind(&self, payload: &[u8]) -> Msg {
        match self {
            Msg::Req(_) => Msg::Req(decode(payload).unwrap()),
            Msg::Resp(_) => Msg::Resp(decode(payload).unwrap()),
            Msg::Push(_) => Msg::Push(decode(payload).unwrap()),
        }
    }

    fn hex_block(&self) -> Vec<String> {
        match self {
            Msg::Req(m) => spec::hex_block(m),
            Msg::Resp(m) => spec::hex_block(m),
            Msg::Push(m) => spec::hex_block(m),
        }
    }

    fn spec_frame(&self) -> Vec<u8> {
        match self {
            Msg::Req(m) => spec::spec_frame(m),
            Msg::Resp(m) => spec::spec_frame(m),
            Msg::Push(m) => spec::spec_frame(m),
        }
    }
}

fn req(id: u64, request: Request) -> Msg {
    Msg::Req(RequestFrame { id, request })
}

fn ok(id: u64, response: Response) -> Msg {
    Msg::Resp(ResponseFrame { id, result: Ok(response) })
}

fn err(id: u64, code: ErrorCode, reason: &str, message: &str, retry_after_ms: Option<u64>) -> Msg {
    Msg::Resp(ResponseFrame { id, result: Err(ApiError { code, reason: reason.into(), message: message.into(), retry_after_ms }) })
}

fn push(cursor: u64, event: PushEvent) -> Msg {
    Msg::Push(Push { cursor, event })
}

fn place(market: u32, side: Side, order: OrderType, tif: TimeInForce, post_only: bool) -> Request {
    Request::Place(PlaceOrder { market, side, order, tif, post_only })
}

/// Every vector the document must contain, in document order.
fn vectors() -> Vec<(&'static str, Msg)> {
    const JAN_2026: u64 = 1_767_312_000_000; // 2026-01-02T00:00:00Z in ms
    vec![
        ("hello", req(1, Request::Hello(Hello { magic: MAGIC, version: PROTOCOL_VERSION, client: "cs".into() }))),
        (
            "welcome",
            ok(
                1,
                Response::Welcome(Welcome {
                    version: 1,
                    server: "entrepot/0.1.0".into(),
                    capabilities: ["orders", "market-data", "account-stream", "pipelining", "assets", "market-policies", "paging", "marketdata"]
                        .map(String::from)
                        .to_vec(),
                    max_frame: MAX_FRAME as u32,
                }),
            ),
        ),
        ("hello_required", err(5, ErrorCode::HelloRequired, "", "the first request on a connection must be Hello", None)),
        ("login", req(2, Request::Login { email: "a@b.c".into(), password: "secret12".into() })),
        ("session", ok(2, Response::Session { token: "9f8e".into(), account: 1001, admin: false, expires_at_ms: JAN_2026 })),
        ("resume", req(3, Request::Resume { session: "9f8e".into() })),
        ("place_limit", req(300, place(1, Side::Buy, OrderType::Limit { price: d("12.34"), quantity: d("5") }, TimeInForce::Gtc, false))),
        ("placed", ok(300, Response::Placed { order: 7 })),
        ("place_gtd_post_only", req(70_000, place(3, Side::Sell, OrderType::Limit { price: d("0.5"), quantity: d("100") }, TimeInForce::Gtd(JAN_2026), true))),
        ("place_market", req(4, place(2, Side::Sell, OrderType::Market { quantity: d("3") }, TimeInForce::Ioc, false))),
        ("place_budget", req(5, place(2, Side::Buy, OrderType::MarketBudget { budget: d("100.50") }, TimeInForce::Fok, false))),
        ("cancel", req(1 << 40, Request::Cancel { order: 42 })),
        ("done", ok(1 << 40, Response::Done)),
        ("modify", req(6, Request::Modify { order: 7, price: d("12.5"), quantity: d("2") })),
        ("cancel_all_none", req(7, Request::CancelAll { market: None })),
        ("cancel_all_some", req(8, Request::CancelAll { market: Some(3) })),
        ("markets_max_id", req(u64::MAX, Request::Markets)),
        ("assets_request", req(9, Request::Assets)),
        (
            "assets_response",
            ok(
                9,
                Response::Assets(vec![
                    AssetInfo { asset: 1, symbol: "GOLD".into(), kind: AssetKind::Currency, decimals: 2 },
                    AssetInfo { asset: 2, symbol: "COPPER".into(), kind: AssetKind::Item, decimals: 0 },
                ]),
            ),
        ),
        ("market_policies_request", req(16, Request::MarketPolicies)),
        (
            "market_policies_response",
            ok(
                16,
                Response::MarketPolicies(vec![MarketPolicyInfo {
                    market: 1,
                    maker_fee_bps: 10,
                    taker_fee_bps: 20,
                    listing_fee: d("0.5"),
                    min_quantity: d("1"),
                    max_quantity: d("1000000000"),
                    max_price: d("10000000000"),
                    max_open_orders: 8,
                    buy_limit: Some(BuyLimitInfo { quantity: d("100"), window_ms: 14_400_000 }),
                    self_trade: SelfTradePrevention::CancelNewest,
                    rules: None,
                }]),
            ),
        ),
        ("book_request", req(10, Request::Book { market: 1, depth: 20 })),
        (
            "book_response",
            ok(10, Response::Book(BookInfo { market: 1, bids: vec![(d("12.3"), d("5"))], asks: vec![(d("12.5"), d("2")), (d("13"), d("1"))], seq: 17 })),
        ),
        (
            "balances_response",
            ok(
                11,
                Response::Balances(vec![
                    BalanceInfo { asset: 1, symbol: "GOLD".into(), available: d("990.5"), locked: d("9.5") },
                    BalanceInfo { asset: 2, symbol: "COPPER".into(), available: d("3"), locked: d("0") },
                ]),
            ),
        ),
        ("subscribe_account", req(12, Request::SubscribeAccount { from_cursor: 1000 })),
        ("subscribed", ok(12, Response::Subscribed { cursor: 1042 })),
        ("subscribe_market", req(13, Request::SubscribeMarket { market: 1 })),
        ("admin_mint", req(14, Request::Admin(AdminRequest::Mint { account: 1001, asset: 1, amount: d("250") }))),
        ("rejected", err(301, ErrorCode::Rejected, "InsufficientFunds", "insufficient funds: need 6170, have 500", None)),
        ("rate_limited", err(15, ErrorCode::RateLimited, "", "too many requests", Some(250))),
        ("bad_frame", err(0, ErrorCode::BadFrame, "", "malformed message: UnexpectedEnd { additional: 1 }", None)),
        ("push_order_accepted", push(1, PushEvent::OrderAccepted { order: 7, market: 1, side: Side::Buy, price: Some(d("12.34")), quantity: d("5") })),
        ("push_order_accepted_market", push(2, PushEvent::OrderAccepted { order: 8, market: 2, side: Side::Sell, price: None, quantity: d("3") })),
        (
            "push_fill",
            push(3, PushEvent::Fill { order: 7, trade: 99, market: 1, side: Side::Buy, price: d("12.34"), quantity: d("5"), fee: d("0.13"), maker: false }),
        ),
        ("push_order_done", push(4, PushEvent::OrderDone { order: 7, reason: DoneReason::Filled, filled: d("5") })),
        ("push_balance", push(5, PushEvent::Balance { asset: 1, available: d("938.17"), locked: d("0") })),
        ("push_trade", push(17, PushEvent::Trade { market: 1, trade: 99, price: d("12.34"), quantity: d("5"), taker_side: Side::Buy })),
        ("push_book_level", push(17, PushEvent::BookLevel { market: 1, side: Side::Sell, price: d("12.34"), quantity: d("0") })),
        // ---- market data ----
        ("candles_request", req(20, Request::Candles { market: 1, interval: Interval::H1, start_ms: Some(JAN_2026), end_ms: None, limit: Some(2) })),
        (
            "candles_response",
            ok(20, Response::Candles { market: 1, interval: Interval::H1, candles: vec![md::candle(JAN_2026, true), md::candle(JAN_2026 + 3_600_000, false)] }),
        ),
        ("ticker_request", req(21, Request::Ticker { market: Some(1) })),
        ("tickers_response", ok(21, Response::Tickers(vec![md::ticker(JAN_2026)]))),
        ("metrics_request", req(22, Request::Metrics { after: None, limit: 2 })),
        (
            "metrics_response",
            ok(
                22,
                Response::Metrics {
                    metrics: vec![
                        MetricInfo { metric: "COPPER/GOLD".into(), measures: vec![Measure::Price, Measure::Volume, Measure::Spread] },
                        MetricInfo { metric: "IRON/GOLD".into(), measures: vec![Measure::BidDepth] },
                    ],
                    next: Some("IRON/GOLD".into()),
                },
            ),
        ),
        ("metric_history_request", req(23, Request::MetricHistory { metric: "COPPER/GOLD".into(), measure: Measure::Price })),
        (
            "metric_history_response",
            ok(
                23,
                Response::MetricHistory {
                    metric: "COPPER/GOLD".into(),
                    measure: Measure::Price,
                    start_ms: JAN_2026,
                    step_ms: 60_000,
                    points: vec![Some(d("12.3")), None, Some(d("12.5"))],
                },
            ),
        ),
        ("metric_rank_request", req(24, Request::MetricRank { measure: Measure::Price, by: RankBy::CoefficientOfVariation, offset: 0, limit: 10 })),
        (
            "metric_rank_response",
            ok(
                24,
                Response::MetricRank {
                    measure: Measure::Price,
                    by: RankBy::CoefficientOfVariation,
                    total: 6,
                    entries: vec![RankEntry { rank: 1, metric: "IRON/GOLD".into(), value: d("0.125"), mean: d("8"), samples: 1440 }],
                },
            ),
        ),
        (
            "add_alert_request",
            req(
                25,
                Request::AddAlert(AlertDef {
                    market: 1,
                    condition: AlertCondition::Spike { measure: Measure::Volume, factor: d("3"), window_ms: 3_600_000 },
                    for_ms: 0,
                    keep_firing_for_ms: 300_000,
                }),
            ),
        ),
        ("alert_added", ok(25, Response::AlertAdded { alert: 4 })),
        ("alerts_request", req(26, Request::Alerts)),
        ("alerts_response", ok(26, Response::Alerts(vec![md::alert(JAN_2026)]))),
        ("remove_alert_request", req(27, Request::RemoveAlert { alert: 4 })),
        ("admin_firing_alerts", req(28, Request::Admin(AdminRequest::FiringAlerts))),
        ("invalid_limit", err(31, ErrorCode::InvalidArgument, "limit", "limit must be 1 to 1000", None)),
        ("subscribe_candles", req(29, Request::Subscribe(Topic::Candles { market: 1, interval: Interval::M1 }))),
        ("subscribe_ticker_all", req(30, Request::Subscribe(Topic::Ticker(None)))),
        ("push_candle", push(812, PushEvent::Candle { market: 1, interval: Interval::H1, candle: md::candle(JAN_2026 + 3_600_000, false) })),
        ("push_ticker", push(812, PushEvent::Ticker(md::ticker(JAN_2026)))),
    ]
}

/// Market-data values the vectors share.
mod md {
    use super::*;

    /// The COPPER/GOLD hour candle opening at `open`.
    pub fn candle(open: u64, closed: bool) -> CandleInfo {
        CandleInfo {
            open_time_ms: open,
            close_time_ms: open + 3_599_999,
            open: d("12.3"),
            high: d("12.5"),
            low: d("12.25"),
            close: d("12.5"),
            base_volume: d("7"),
            quote_volume: d("86.35"),
            trades: 3,
            closed,
        }
    }

    /// COPPER/GOLD's 24-hour ticker at `now`.
    pub fn ticker(now: u64) -> TickerInfo {
        TickerInfo {
            market: 1,
            symbol: "COPPER/GOLD".into(),
            open_time_ms: now - 86_400_000,
            close_time_ms: now,
            open: Some(d("12")),
            high: Some(d("12.5")),
            low: Some(d("11.9")),
            last: Some(d("12.3")),
            change: Some(d("0.3")),
            change_percent: Some(d("2.5")),
            vwap: Some(d("12.2")),
            base_volume: d("40"),
            quote_volume: d("488"),
            trades: 11,
            best_bid: Some((d("12.25"), d("5"))),
            best_ask: None,
        }
    }

    /// A player's firing price alert.
    pub fn alert(since: u64) -> AlertInfo {
        AlertInfo {
            alert: 4,
            owner: 1001,
            rule: String::new(),
            metric: "COPPER/GOLD".into(),
            measure: Measure::Price,
            condition: AlertCondition::PriceAbove(d("12")),
            for_ms: 60_000,
            keep_firing_for_ms: 0,
            state: AlertState::Firing,
            since_ms: Some(since),
            value: Some(d("12.3")),
        }
    }
}

/// `vector: <name>` lines, each followed by a ```hex block: (name, block lines).
fn documented_vectors(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("vector: ") else { continue };
        let name = rest.split_whitespace().next().expect("a vector name").to_string();
        assert_eq!(lines.next().map(str::trim_end), Some("```hex"), "vector {name}: a ```hex block must follow on the next line");
        let body = lines.by_ref().take_while(|l| l.trim_end() != "```").map(|l| l.trim_end().to_string()).collect();
        out.push((name, body));
    }
    out
}

#[test]
fn every_documented_vector_matches_the_code() {
    let doc = doc();
    let documented = documented_vectors(&doc);
    let expected = vectors();
    let names: Vec<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
    let known: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, known, "PROTOCOL.md's vectors (left) and the test's (right) must be the same, in the same order");
    for ((name, lines), (_, msg)) in documented.iter().zip(&expected) {
        // The bytes: what the code encodes, and what decodes back to the message.
        let bytes: Vec<u8> = lines.iter().flat_map(|l| hex_bytes(l.split('#').next().unwrap())).collect();
        let encoded = msg.encode();
        assert_eq!(hex(&bytes), hex(&encoded), "vector {name}: bytes");
        let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 4, "vector {name}: length prefix");
        assert_eq!(&msg.decode_same_kind(&bytes[4..]), msg, "vector {name}: decode");
        // The documented rules produce the same bytes, and the annotations are theirs.
        assert_eq!(hex(&msg.spec_frame()), hex(&encoded), "vector {name}: the rules of §4 disagree with bincode");
        assert_eq!(lines, &msg.hex_block(), "vector {name}: annotations");
    }
}

// ---- §4 examples ----------------------------------------------------------------------------

/// Decode `bytes` as `ty`; on success the value's Debug text and its canonical encoding
/// (also checked against the spec encoder).
fn decode_as(ty: &str, bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    macro_rules! as_type {
        ($t:ty) => {{
            let v: $t = decode(bytes).map_err(|e| e.to_string())?;
            let enc = encode(&v)[4..].to_vec();
            assert_eq!(hex(&spec::spec_bytes(&v)), hex(&enc), "{ty}: the rules of §4 disagree with bincode for {v:?}");
            Ok((format!("{v:?}"), enc))
        }};
    }
    match ty {
        "u8" => as_type!(u8),
        "u16" => as_type!(u16),
        "u32" => as_type!(u32),
        "u64" => as_type!(u64),
        "u128" => as_type!(u128),
        "i8" => as_type!(i8),
        "i16" => as_type!(i16),
        "i32" => as_type!(i32),
        "i64" => as_type!(i64),
        "bool" => as_type!(bool),
        "String" => as_type!(String),
        "Decimal" => as_type!(Decimal),
        "Option<u32>" => as_type!(Option<u32>),
        "Option<Decimal>" => as_type!(Option<Decimal>),
        "Vec<u16>" => as_type!(Vec<u16>),
        "Vec<String>" => as_type!(Vec<String>),
        "[u8; 4]" => as_type!([u8; 4]),
        "(u32, String)" => as_type!((u32, String)),
        "Result<u8, String>" => as_type!(Result<u8, String>),
        "Side" => as_type!(Side),
        "TimeInForce" => as_type!(TimeInForce),
        "OrderType" => as_type!(OrderType),
        "Request" => as_type!(Request),
        other => panic!("examples: the test does not know type `{other}`"),
    }
}

#[test]
fn encoding_examples_hold() {
    let doc = doc();
    let blocks = blocks(&doc, "examples");
    assert!(!blocks.is_empty(), "PROTOCOL.md needs its ```examples block");
    let mut count = 0;
    for line in blocks.iter().flat_map(|b| b.lines()) {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        count += 1;
        let (ty, rest) = line.split_once(": ").unwrap_or_else(|| panic!("examples: `{line}` is not `Type: hex => value`"));
        let (arrow, (hex_text, want)) = if let Some(p) = rest.split_once(" => ") {
            ("=>", p)
        } else {
            ("->", rest.split_once(" -> ").unwrap_or_else(|| panic!("examples: `{line}` has no => or ->")))
        };
        let bytes = hex_bytes(hex_text);
        match (decode_as(ty, &bytes), want.trim()) {
            (Err(_), "error") => {}
            (Err(e), want) => panic!("examples: `{line}`: expected {want}, the decoder said {e}"),
            (Ok((got, _)), "error") => panic!("examples: `{line}`: expected an error, decoded {got}"),
            (Ok((got, canonical)), want) => {
                assert_eq!(got, want, "examples: `{line}`: decoded value");
                if arrow == "=>" {
                    assert_eq!(hex(&canonical), hex(&bytes), "examples: `{line}`: `=>` means the encoder produces exactly these bytes");
                } else {
                    assert_ne!(hex(&canonical), hex(&bytes), "examples: `{line}`: `->` is for input the encoder never produces; use `=>`");
                }
            }
        }
    }
    assert!(count >= 40, "only {count} examples");
}

/// The rules of §4 on values beyond the examples: every integer width around every
/// boundary, both encoders agree.
#[test]
fn varint_rules_hold_at_every_boundary() {
    let mut values: Vec<u128> = vec![0, 1, 127, 128, 249, 250, 251, 252, 253, 254, 255, 256];
    for bits in [16u32, 32, 64] {
        let top = (1u128 << bits) - 1;
        values.extend([top - 1, top, top + 1, top + 2]);
    }
    values.push(u128::MAX);
    for v in values {
        if let Ok(x) = u16::try_from(v) {
            assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "u16 {x}");
        }
        if let Ok(x) = u32::try_from(v) {
            assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "u32 {x}");
        }
        if let Ok(x) = u64::try_from(v) {
            assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "u64 {x}");
        }
        assert_eq!(spec::spec_bytes(&v), encode(&v)[4..], "u128 {v}");
        for s in [v as i128, -(v as i128), (v as i128).wrapping_sub(1), -(v as i128) - 1] {
            if let Ok(x) = i16::try_from(s) {
                assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "i16 {x}");
            }
            if let Ok(x) = i32::try_from(s) {
                assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "i32 {x}");
            }
            if let Ok(x) = i64::try_from(s) {
                assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "i64 {x}");
            }
            assert_eq!(spec::spec_bytes(&s), encode(&s)[4..], "i128 {s}");
        }
    }
    for x in [i8::MIN, -1, 0, 1, i8::MAX] {
        assert_eq!(spec::spec_bytes(&x), encode(&x)[4..], "i8 {x}");
    }
}

// ---- §6 schema ------------------------------------------------------------------------------

/// One value of every variant of every enum (Options are Some and Vecs non-empty so that
/// every field type is visible; `String`s contain a letter, `Decimal`s never do).
fn samples() -> spec::Spec {
    let market = MarketInfo {
        market: 1,
        symbol: "COPPER/GOLD".into(),
        base: 2,
        quote: 1,
        tick: d("0.01"),
        lot: d("1"),
        maker_fee_bps: 10,
        taker_fee_bps: 20,
        status: MarketStatus::Open,
    };
    let order =
        PlaceOrder { market: 1, side: Side::Buy, order: OrderType::Limit { price: d("1.5"), quantity: d("2") }, tif: TimeInForce::Gtc, post_only: false };
    let api_error = ApiError { code: ErrorCode::Rejected, reason: "InsufficientFunds".into(), message: "no".into(), retry_after_ms: Some(5) };
    let mut all = spec::Spec::default();
    let mut add = |s: spec::Spec| {
        for (name, def) in s.defs {
            all.record(&name, def);
        }
    };
    macro_rules! record {
        ($($v:expr),* $(,)?) => { $( add(spec::annotate(&$v, "")); )* };
    }
    record!(
        RequestFrame { id: 1, request: Request::Balances },
        ResponseFrame { id: 1, result: Ok(Response::Done) },
        ResponseFrame { id: 1, result: Err(api_error.clone()) },
        Push { cursor: 1, event: PushEvent::Closing { reason: "bye".into() } },
    );
    let email = || "a@b.c".to_string();
    for r in [
        Request::Hello(Hello { magic: MAGIC, version: 1, client: "cs".into() }),
        Request::Signup { email: email(), password: "pw".into() },
        Request::ConfirmEmail { email: email(), token: "tok".into() },
        Request::Login { email: email(), password: "pw".into() },
        Request::Resume { session: "tok".into() },
        Request::RefreshSession,
        Request::Logout,
        Request::RequestPasswordReset { email: email() },
        Request::ResetPassword { email: email(), token: "tok".into(), new_password: "pw".into() },
        Request::Place(order),
        Request::Cancel { order: 1 },
        Request::Modify { order: 1, price: d("1"), quantity: d("2") },
        Request::CancelAll { market: Some(1) },
        Request::Balances,
        Request::OpenOrders,
        Request::Book { market: 1, depth: 10 },
        Request::Markets,
        Request::SubscribeAccount { from_cursor: 0 },
        Request::SubscribeMarket { market: 1 },
        Request::UnsubscribeMarket { market: 1 },
        Request::Admin(AdminRequest::FindAccount { email: email() }),
        Request::PlaceBet(PlaceBet { group: Some(7), stake: d("10"), kind: BetKind::Single { selection: sel(), odds: d("2.5") } }),
        Request::CancelBetOrder { bet: 3 },
        Request::Bets { open_only: true, limit: 50 },
        Request::Profile,
        Request::Fixtures,
        Request::Fixture { fixture: 1 },
        Request::OddsWindows { selection: sel() },
        Request::Subscribe(Topic::Fixture(1)),
        Request::Unsubscribe(Topic::Group(7)),
        Request::Search { query: "drag".into(), limit: 10 },
        Request::Group(GroupRequest::Mine),
        Request::Notifications { unread_only: true, limit: 50 },
        Request::MarkNotificationsRead { ids: Some(vec![3]) },
        Request::Assets,
        Request::MarketPolicies,
        Request::Page { list: List::OpenOrders, after: Some(7), limit: 100 },
        Request::BalancesOf { assets: vec![1, 2] },
        Request::Candles { market: 1, interval: Interval::H1, start_ms: Some(1), end_ms: Some(2), limit: Some(3) },
        Request::Ticker { market: Some(1) },
        Request::Metrics { after: Some("COPPER/GOLD".into()), limit: 10 },
        Request::MetricHistory { metric: "COPPER/GOLD".into(), measure: Measure::Price },
        Request::MetricRank { measure: Measure::Price, by: RankBy::StdDev, offset: 0, limit: 10 },
        Request::AddAlert(alert_def()),
        Request::Alerts,
        Request::RemoveAlert { alert: 4 },
    ] {
        add(spec::annotate(&r, ""));
    }
    for a in [
        AdminRequest::CreateAsset { asset: 1, symbol: "GOLD".into(), decimals: 2, item: false },
        AdminRequest::CreateMarket(market.clone()),
        AdminRequest::SetMarketStatus { market: 1, status: MarketStatus::Halted },
        AdminRequest::Mint { account: 1000, asset: 1, amount: d("1") },
        AdminRequest::Burn { account: 1000, asset: 1, amount: d("1") },
        AdminRequest::FindAccount { email: email() },
        AdminRequest::PluginLoad { manifest: "plugins/price-band.toml".into() },
        AdminRequest::PluginReload { name: "price-band".into() },
        AdminRequest::PluginUnload { name: "price-band".into() },
        AdminRequest::PluginList,
        AdminRequest::BindRules { market: 1, plugin: Some("price-band".into()) },
        AdminRequest::CreateFixture(fixture_def()),
        AdminRequest::ImportFixtures { json: "[]".into() },
        AdminRequest::SetFixtureStatus { fixture: 1, status: FixtureStatus::InPlay },
        AdminRequest::SetOdds { selection: sel(), odds: Some(d("2.5")) },
        AdminRequest::ReportResult { fixture: 1, scores: vec![("Wolves".into(), 2)], completed: true },
        AdminRequest::VoidFixture { fixture: 1 },
        AdminRequest::FiringAlerts,
    ] {
        add(spec::annotate(&a, ""));
    }
    for r in [
        Response::Welcome(Welcome { version: 1, server: "entrepot".into(), capabilities: vec!["orders".into()], max_frame: 1 << 20 }),
        Response::SignedUp { account: 1000 },
        Response::Confirmed,
        Response::Session { token: "tok".into(), account: 1000, admin: false, expires_at_ms: 1 },
        Response::LoggedOut,
        Response::ResetRequested,
        Response::PasswordReset,
        Response::Placed { order: 1 },
        Response::Done,
        Response::Balances(vec![BalanceInfo { asset: 1, symbol: "GOLD".into(), available: d("1"), locked: d("0") }]),
        Response::OpenOrders(vec![OrderInfo {
            order: 1,
            market: 1,
            side: Side::Buy,
            price: d("1"),
            quantity: d("2"),
            filled: d("0"),
            tif: TimeInForce::Gtd(5),
        }]),
        Response::Book(BookInfo { market: 1, bids: vec![(d("1"), d("2"))], asks: vec![(d("3"), d("4"))], seq: 1 }),
        Response::Markets(vec![market.clone()]),
        Response::Subscribed { cursor: 1 },
        Response::Account { account: 1000 },
        Response::Plugins(vec![PluginInfo {
            name: "price-band".into(),
            version: "0.1.0".into(),
            world: "market-rules".into(),
            hash: "ab".into(),
            markets: vec![1],
            quarantined: Some("3 faults".into()),
            calls: 1,
            p50_ns: 2,
            p99_ns: 3,
            fuel_used: 4,
            faults: 5,
            quarantines: 6,
        }]),
        Response::BetPlaced { bet: 1 },
        Response::Bets(vec![bet_info()]),
        Response::Profile(profile()),
        Response::Fixtures(vec![FixtureSummary { fixture: 1, name: "Wolves vs Kings".into(), status: FixtureStatus::Open }]),
        Response::Fixture(FixtureInfo {
            def: fixture_def(),
            status: FixtureStatus::Open,
            scores: vec![("Wolves".into(), 2)],
            odds: vec![vec![Some(d("2.5"))]],
            ladders: vec![LadderInfo { selection: sel(), backs: vec![(d("2.5"), d("10"))], lays: vec![(d("2.6"), d("5"))] }],
            bets: 4,
        }),
        Response::OddsWindows(vec![window()]),
        Response::SearchResults(vec![SearchHit { kind: "event".into(), id: 1, name: "Wolves vs Kings".into() }]),
        Response::Group(group_info()),
        Response::Leaderboard { group: 7, standings: vec![standing()], ended: false },
        Response::Groups(vec![group_info()]),
        Response::Imported { fixtures: 3 },
        Response::Notifications(vec![NotificationInfo { id: 3, subject: "Order filled".into(), body: "5 IRON at 12.50".into(), created_ms: 1, read: false }]),
        Response::MarkedRead { count: 1 },
        Response::Assets(vec![AssetInfo { asset: 1, symbol: "GOLD".into(), kind: AssetKind::Currency, decimals: 2 }]),
        Response::MarketPolicies(vec![policy()]),
        Response::Page { items: PageItems::OpenOrders(vec![order_info()]), next: Some(7) },
        Response::Candles { market: 1, interval: Interval::M1, candles: vec![md::candle(0, true)] },
        Response::Tickers(vec![TickerInfo { best_ask: Some((d("13"), d("1"))), ..md::ticker(86_400_000) }]),
        Response::Metrics { metrics: vec![MetricInfo { metric: "COPPER/GOLD".into(), measures: vec![Measure::Price] }], next: Some("COPPER/GOLD".into()) },
        Response::MetricHistory { metric: "COPPER/GOLD".into(), measure: Measure::Price, start_ms: 0, step_ms: 60_000, points: vec![Some(d("1")), None] },
        Response::MetricRank {
            measure: Measure::Price,
            by: RankBy::StdDev,
            total: 1,
            entries: vec![RankEntry { rank: 1, metric: "COPPER/GOLD".into(), value: d("0.5"), mean: d("2"), samples: 3 }],
        },
        Response::AlertAdded { alert: 4 },
        Response::Alerts(vec![AlertInfo { rule: "volume-spike".into(), ..md::alert(1) }]),
    ] {
        add(spec::annotate(&r, ""));
    }
    for l in enum_samples::list() {
        add(spec::annotate(&l, ""));
    }
    for items in [
        PageItems::OpenOrders(vec![order_info()]),
        PageItems::Balances(vec![BalanceInfo { asset: 1, symbol: "GOLD".into(), available: d("1"), locked: d("0") }]),
        PageItems::Bets(vec![bet_info()]),
        PageItems::GroupMembers(vec![(1000, Role::Owner)]),
        PageItems::Leaderboard(vec![standing()]),
        PageItems::Groups(vec![group_info()]),
        PageItems::Markets(vec![market.clone()]),
        PageItems::Fixtures(vec![FixtureSummary { fixture: 1, name: "Wolves vs Kings".into(), status: FixtureStatus::Open }]),
        PageItems::Assets(vec![AssetInfo { asset: 1, symbol: "GOLD".into(), kind: AssetKind::Currency, decimals: 2 }]),
        PageItems::MarketPolicies(vec![policy()]),
    ] {
        add(spec::annotate(&items, ""));
    }
    for e in [
        PushEvent::OrderAccepted { order: 1, market: 1, side: Side::Buy, price: Some(d("1")), quantity: d("2") },
        PushEvent::OrderModified { order: 1, price: d("1"), quantity: d("2") },
        PushEvent::Fill { order: 1, trade: 1, market: 1, side: Side::Buy, price: d("1"), quantity: d("2"), fee: d("0"), maker: true },
        PushEvent::OrderDone { order: 1, reason: DoneReason::Filled, filled: d("2") },
        PushEvent::Balance { asset: 1, available: d("1"), locked: d("0") },
        PushEvent::BookLevel { market: 1, side: Side::Buy, price: d("1"), quantity: d("2") },
        PushEvent::Trade { market: 1, trade: 1, price: d("1"), quantity: d("2"), taker_side: Side::Sell },
        PushEvent::Closing { reason: "bye".into() },
        PushEvent::Notice { subject: "Order filled".into(), body: "5 IRON at 12.50".into() },
        PushEvent::Bet(bet_info()),
        PushEvent::Profile(profile()),
        PushEvent::FixtureChanged { fixture: 1, status: FixtureStatus::Settled },
        PushEvent::OddsChanged { selection: sel(), odds: Some(d("2.4")) },
        PushEvent::OddsWindow(window()),
        PushEvent::Leaderboard { group: 7, standings: vec![standing()], ended: true },
        PushEvent::BetTotals { pnl: profile().pnl },
        PushEvent::HistoryTruncated { oldest: 42 },
        PushEvent::Candle { market: 1, interval: Interval::M5, candle: md::candle(0, false) },
        PushEvent::Ticker(md::ticker(86_400_000)),
    ] {
        add(spec::annotate(&e, ""));
    }
    for s in enum_samples::side() {
        add(spec::annotate(&s, ""));
    }
    for t in enum_samples::tif() {
        add(spec::annotate(&t, ""));
    }
    for o in enum_samples::order_type() {
        add(spec::annotate(&o, ""));
    }
    for s in enum_samples::market_status() {
        add(spec::annotate(&s, ""));
    }
    for r in enum_samples::done_reason() {
        add(spec::annotate(&r, ""));
    }
    for c in enum_samples::error_code() {
        add(spec::annotate(&c, ""));
    }
    for k in enum_samples::bet_kind() {
        add(spec::annotate(&k, ""));
    }
    for s in enum_samples::fixture_status() {
        add(spec::annotate(&s, ""));
    }
    for x in [BackLay::Back, BackLay::Lay] {
        add(spec::annotate(&x, ""));
    }
    for r in [Role::Owner, Role::Admin, Role::Member] {
        add(spec::annotate(&r, ""));
    }
    for t in [Topic::Fixture(1), Topic::Group(7), Topic::Candles { market: 1, interval: Interval::D1 }, Topic::Ticker(Some(1))] {
        add(spec::annotate(&t, ""));
    }
    for g in enum_samples::group_request() {
        add(spec::annotate(&g, ""));
    }
    for k in [AssetKind::Currency, AssetKind::Item] {
        add(spec::annotate(&k, ""));
    }
    for x in [SelfTradePrevention::CancelNewest, SelfTradePrevention::CancelOldest, SelfTradePrevention::CancelBoth] {
        add(spec::annotate(&x, ""));
    }
    for i in Interval::ALL {
        add(spec::annotate(&i, ""));
    }
    for m in Measure::ALL {
        add(spec::annotate(&m, ""));
    }
    for b in [RankBy::StdDev, RankBy::CoefficientOfVariation] {
        add(spec::annotate(&b, ""));
    }
    for c in enum_samples::alert_condition() {
        add(spec::annotate(&c, ""));
    }
    for x in [AlertState::Inactive, AlertState::Pending, AlertState::Firing] {
        add(spec::annotate(&x, ""));
    }
    all
}

fn alert_def() -> AlertDef {
    AlertDef { market: 1, condition: AlertCondition::PriceBelow(d("1.5")), for_ms: 60_000, keep_firing_for_ms: 0 }
}

fn order_info() -> OrderInfo {
    OrderInfo { order: 1, market: 1, side: Side::Buy, price: d("1"), quantity: d("2"), filled: d("0"), tif: TimeInForce::Gtd(5) }
}

fn policy() -> MarketPolicyInfo {
    MarketPolicyInfo {
        market: 1,
        maker_fee_bps: 10,
        taker_fee_bps: 20,
        listing_fee: d("0.5"),
        min_quantity: d("1"),
        max_quantity: d("1000"),
        max_price: d("100"),
        max_open_orders: 0,
        buy_limit: Some(BuyLimitInfo { quantity: d("10"), window_ms: 1 }),
        self_trade: SelfTradePrevention::CancelBoth,
        rules: Some("price-band".into()),
    }
}

// ---- betting samples ----

fn sel() -> SelectionRef {
    SelectionRef { fixture: 1, market: 0, selection: 2 }
}

fn fixture_def() -> FixtureDef {
    FixtureDef {
        fixture: 1,
        name: "Wolves vs Kings".into(),
        participants: vec!["Wolves".into(), "Kings".into()],
        currency: 1,
        opens_at: Some(5),
        starts_at: 10,
        markets: vec![BetMarketDef {
            bet_type: "spread".into(),
            line: Some("-0.75".into()),
            params: vec![("way".into(), "2".into())],
            selections: vec![SelectionDef { name: "Wolves".into(), line: Some("-0.75".into()), odds: Some(d("1.9")) }],
            exchange: false,
            exposure_limit: d("1000"),
            in_play: true,
        }],
    }
}

fn bet_info() -> BetInfo {
    BetInfo {
        bet: 1,
        asset: 1,
        group: Some(7),
        stake: d("10"),
        odds: d("2.5"),
        legs: vec![sel()],
        side: Some(BackLay::Back),
        order: Some(1),
        unmatched: d("0"),
        state: "won".into(),
        paid: d("25"),
        placed_at: 5,
    }
}

fn profile() -> ProfileInfo {
    ProfileInfo {
        account: 1000,
        balances: vec![BalanceInfo { asset: 1, symbol: "GOLD".into(), available: d("1"), locked: d("0") }],
        open_bets: vec![bet_info()],
        pnl: vec![PnlInfo { asset: 1, open_stake: d("10"), profit: d("-5"), owed: d("0") }],
    }
}

fn window() -> OddsWindowInfo {
    OddsWindowInfo { selection: sel(), start: 0, end: 300_000, average: d("2.45"), min: d("2.4"), max: d("2.5"), count: 2, matched: d("10") }
}

fn standing() -> StandingInfo {
    StandingInfo { rank: 1, account: 1000, cash: d("60"), open_stake: d("40"), equity: d("100"), roi_bps: -150 }
}

fn group_def() -> GroupDef {
    GroupDef { group: 7, name: "Friday league".into(), starting_cash: d("100"), starts_at: 0, ends_at: 10, open: false }
}

fn group_info() -> GroupInfo {
    GroupInfo { def: group_def(), asset: 2_147_483_655, ended: false, members: vec![(1000, Role::Owner)] }
}

mod enum_samples {
    use super::*;
    pub fn bet_kind() -> Vec<BetKind> {
        vec![
            BetKind::Single { selection: sel(), odds: d("2.5") },
            BetKind::Parlay { legs: vec![(sel(), d("2.5"))] },
            BetKind::Exchange { selection: sel(), odds: d("3"), side: BackLay::Lay, persist: true },
        ]
    }
    pub fn fixture_status() -> Vec<FixtureStatus> {
        use FixtureStatus::*;
        vec![Scheduled, Open, Suspended, InPlay, Closed, Settled, Cancelled, Void]
    }
    pub fn group_request() -> Vec<GroupRequest> {
        vec![
            GroupRequest::Create(group_def()),
            GroupRequest::Invite { group: 7, account: 1001 },
            GroupRequest::Join { group: 7 },
            GroupRequest::Leave { group: 7 },
            GroupRequest::SetRole { group: 7, account: 1001, role: Role::Admin },
            GroupRequest::Info { group: 7 },
            GroupRequest::Leaderboard { group: 7 },
            GroupRequest::Mine,
        ]
    }
    pub fn list() -> Vec<List> {
        vec![
            List::OpenOrders,
            List::Balances,
            List::Bets { open_only: true },
            List::GroupMembers { group: 7 },
            List::Leaderboard { group: 7 },
            List::Groups,
            List::Markets,
            List::Fixtures,
            List::Assets,
            List::MarketPolicies,
        ]
    }
    pub fn side() -> Vec<Side> {
        vec![Side::Buy, Side::Sell]
    }
    pub fn tif() -> Vec<TimeInForce> {
        vec![TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok, TimeInForce::Gtd(1)]
    }
    pub fn order_type() -> Vec<OrderType> {
        vec![OrderType::Limit { price: d("1"), quantity: d("2") }, OrderType::Market { quantity: d("2") }, OrderType::MarketBudget { budget: d("3") }]
    }
    pub fn market_status() -> Vec<MarketStatus> {
        vec![MarketStatus::Open, MarketStatus::Halted, MarketStatus::Closed]
    }
    pub fn done_reason() -> Vec<DoneReason> {
        vec![DoneReason::Filled, DoneReason::Cancelled, DoneReason::Expired, DoneReason::Unfilled, DoneReason::SelfTrade]
    }
    pub fn error_code() -> Vec<ErrorCode> {
        crate::error_codes::ALL.to_vec()
    }
    pub fn alert_condition() -> Vec<AlertCondition> {
        vec![
            AlertCondition::PriceAbove(d("2")),
            AlertCondition::PriceBelow(d("1.5")),
            AlertCondition::ChangeBeyond(d("10")),
            AlertCondition::Spike { measure: Measure::Volume, factor: d("3"), window_ms: 3_600_000 },
        ]
    }
}

/// The recorded enums have no variants beyond the samples: the index after the last one
/// does not decode.
fn assert_no_variant_after<T: serde::de::DeserializeOwned + std::fmt::Debug>(name: &str, count: usize) {
    assert!(count < 251);
    let mut payload = vec![count as u8];
    payload.extend([0u8; 64]);
    match decode::<T>(&payload) {
        Err(FrameError::Malformed(m)) if m.contains("variant index") => {}
        other => panic!("{name} seems to have a variant {count} the samples miss: {other:?}"),
    }
}

#[test]
fn schema_matches_the_rust_types() {
    let recorded = samples();
    // Each enum's samples cover every variant.
    let variants = |name: &str| match &recorded.defs[name] {
        spec::Def::Enum(v) => {
            assert_eq!(v.keys().copied().collect::<Vec<_>>(), (0..v.len() as u32).collect::<Vec<_>>(), "{name}: indices 0..n");
            v.len()
        }
        spec::Def::Struct(_) => panic!("{name} is a struct"),
    };
    assert_no_variant_after::<Request>("Request", variants("Request"));
    assert_no_variant_after::<AdminRequest>("AdminRequest", variants("AdminRequest"));
    assert_no_variant_after::<Response>("Response", variants("Response"));
    assert_no_variant_after::<ErrorCode>("ErrorCode", variants("ErrorCode"));
    assert_no_variant_after::<PushEvent>("PushEvent", variants("PushEvent"));
    assert_no_variant_after::<Side>("Side", variants("Side"));
    assert_no_variant_after::<TimeInForce>("TimeInForce", variants("TimeInForce"));
    assert_no_variant_after::<OrderType>("OrderType", variants("OrderType"));
    assert_no_variant_after::<MarketStatus>("MarketStatus", variants("MarketStatus"));
    assert_no_variant_after::<DoneReason>("DoneReason", variants("DoneReason"));
    assert_no_variant_after::<BetKind>("BetKind", variants("BetKind"));
    assert_no_variant_after::<FixtureStatus>("FixtureStatus", variants("FixtureStatus"));
    assert_no_variant_after::<BackLay>("BackLay", variants("BackLay"));
    assert_no_variant_after::<Role>("Role", variants("Role"));
    assert_no_variant_after::<Topic>("Topic", variants("Topic"));
    assert_no_variant_after::<GroupRequest>("GroupRequest", variants("GroupRequest"));
    assert_no_variant_after::<AssetKind>("AssetKind", variants("AssetKind"));
    assert_no_variant_after::<SelfTradePrevention>("SelfTradePrevention", variants("SelfTradePrevention"));
    assert_no_variant_after::<List>("List", variants("List"));
    assert_no_variant_after::<PageItems>("PageItems", variants("PageItems"));
    assert_no_variant_after::<Interval>("Interval", variants("Interval"));
    assert_no_variant_after::<Measure>("Measure", variants("Measure"));
    assert_no_variant_after::<RankBy>("RankBy", variants("RankBy"));
    assert_no_variant_after::<AlertCondition>("AlertCondition", variants("AlertCondition"));
    assert_no_variant_after::<AlertState>("AlertState", variants("AlertState"));

    let mut recorded = recorded.defs;
    recorded.remove("Result"); // built in (§4), not part of the schema
    for (name, def) in &recorded {
        let text = format!("{def:?}");
        assert!(!text.contains('?'), "{name}: a sample left a type unknown: {text}");
    }
    let doc = doc();
    let schema = blocks(&doc, "schema");
    assert_eq!(schema.len(), 1, "PROTOCOL.md needs exactly one ```schema block");
    let documented = spec::parse_schema(&schema[0]);
    let missing: Vec<&String> = recorded.keys().filter(|k| !documented.contains_key(*k)).collect();
    let extra: Vec<&String> = documented.keys().filter(|k| !recorded.contains_key(*k)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "schema: missing {missing:?}, not in the code {extra:?}");
    let mut wrong = BTreeMap::new();
    for (name, def) in &recorded {
        if &documented[name] != def {
            wrong.insert(name.clone(), (documented[name].clone(), def.clone()));
        }
    }
    assert!(wrong.is_empty(), "schema differs from the code (documented, actual):\n{wrong:#?}\nthe code's schema:\n{}", spec::render_schema(&recorded));
}

// ---- regenerating the document's blocks -------------------------------------------------------

#[test]
fn print_document_blocks() {
    if std::env::var_os("ENTREPOT_PRINT_DOC").is_none() {
        return;
    }
    let mut defs = samples().defs;
    defs.remove("Result");
    println!("```schema\n{}```\n", spec::render_schema(&defs));
    for (name, msg) in vectors() {
        println!("vector: {name}\n```hex\n{}\n```\n", msg.hex_block().join("\n"));
    }
}

// ---- what the document says about decoding, beyond the examples ---------------------------------

#[test]
fn frame_level_rules() {
    // Trailing bytes after a complete message are an error (BadFrame on the server).
    let mut frame = encode(&RequestFrame { id: 1, request: Request::Balances });
    frame.push(0);
    assert_eq!(decode::<RequestFrame>(&frame[4..]), Err(FrameError::TrailingBytes(1)));
    // The length prefix: up to 1 MiB accepted, one more refused.
    assert_eq!(payload_len((MAX_FRAME as u32).to_le_bytes()), Ok(MAX_FRAME));
    assert_eq!(payload_len((MAX_FRAME as u32 + 1).to_le_bytes()), Err(FrameError::TooLarge(MAX_FRAME + 1)));
    // An empty payload is a valid frame header but never a valid message.
    assert!(decode::<RequestFrame>(&[]).is_err());
    // A string may claim no more than the frame holds.
    assert!(decode::<String>(&[0xfc, 0x00, 0x00, 0x10, 0x00]).is_err());
}
