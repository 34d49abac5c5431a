//! Property-based fuzzing of frame decoding.
//!
//! Whatever arrives — arbitrary bytes, valid frames with bit flips, truncations, inserted
//! varint escapes, absurd length prefixes, byte streams cut into random chunks — the
//! decoders (`decode::<RequestFrame>`, `decode::<ResponseFrame>`, `decode::<Push>`,
//! `FrameReader`) return errors, never panic, and never allocate absurd amounts: a counting
//! allocator checks the largest single allocation each decode makes.
//!
//! And valid messages round-trip: `decode(encode(x)) == x` for generated frames of every
//! request, response and push variant, and the independent encoder written from
//! PROTOCOL.md §4 (`spec/mod.rs`) produces the same bytes.
//!
//! About 47,000 cases in all; well under a second of run time with
//! `cargo test -p entrepot-protocol --release`.

mod error_codes;
mod spec;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use entrepot_protocol::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

// ---- allocation tracking ---------------------------------------------------------------------

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static TOTAL: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
            let _ = TOTAL.try_with(|l| l.set(l.get().saturating_add(size)));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Run `f` and return the largest single allocation it made on this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    TRACKING.with(|t| t.set(true));
    let out = f();
    TRACKING.with(|t| t.set(false));
    (out, LARGEST.with(std::cell::Cell::get))
}

/// Run `f` (inside [`largest_allocation`]) and return the bytes it allocated in all.
fn total_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    TOTAL.with(|l| l.set(0));
    let out = f();
    (out, TOTAL.with(std::cell::Cell::get))
}

/// Feed a payload to every message decoder and check what they allocate. bincode reserves
/// a string's claimed length before reading it, and serde pre-allocates a `Vec` from its
/// claimed length (capped at 1 MiB), so a tiny hostile payload can cost up to the frame
/// limit, transiently; the `with_limit` configuration refuses any claim beyond it before
/// allocating. So: no single allocation above `MAX_FRAME`, and a bounded total.
fn decode_everything(payload: &[u8]) {
    fn check<T>(name: &str, payload: &[u8], f: impl FnOnce() -> T) {
        let ((_, total), largest) = largest_allocation(|| total_allocation(f));
        assert!(largest <= MAX_FRAME, "decode::<{name}> of {} bytes allocated {largest} bytes at once: {payload:02x?}", payload.len());
        assert!(total <= 4 * MAX_FRAME, "decode::<{name}> of {} bytes allocated {total} bytes in all: {payload:02x?}", payload.len());
    }
    check("RequestFrame", payload, || decode::<RequestFrame>(payload));
    check("ResponseFrame", payload, || decode::<ResponseFrame>(payload));
    check("Push", payload, || decode::<Push>(payload));
}

/// Push `stream` into a `FrameReader` in chunks of the given sizes (cycled), popping
/// payloads as they complete. Returns the payloads, and whether the reader refused a frame.
fn read_in_chunks(stream: &[u8], chunks: &[usize]) -> (Vec<Vec<u8>>, bool) {
    let mut reader = FrameReader::default();
    let (mut at, mut payloads) = (0, Vec::new());
    for &size in chunks.iter().cycle() {
        if at >= stream.len() {
            break;
        }
        let end = (at + size.max(1)).min(stream.len());
        reader.push(&stream[at..end]);
        at = end;
        loop {
            let (next, largest) = largest_allocation(|| reader.next_payload());
            // The reader allocates only the payload it returns (at most 1 MiB).
            assert!(largest <= MAX_FRAME, "FrameReader allocated {largest} bytes at once");
            match next {
                Ok(Some(p)) => {
                    decode_everything(&p);
                    payloads.push(p);
                }
                Ok(None) => break,
                Err(FrameError::TooLarge(n)) => {
                    assert!(n > MAX_FRAME);
                    return (payloads, true);
                }
                Err(e) => panic!("FrameReader only refuses lengths: {e}"),
            }
        }
    }
    (payloads, false)
}

// ---- strategies for valid messages ---------------------------------------------------------------

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        // Realistic prices and quantities.
        (0i64..100_000_000, 0u32..6).prop_map(|(m, s)| Decimal::new(m, s)),
        // The whole range: 96-bit mantissa, either sign, scale 0..=28.
        (-(1i128 << 96) + 1..(1i128 << 96), 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(m, s)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9@.]{0,16}",
        any::<String>().prop_map(|s| s.chars().take(24).collect()),
        // Long enough that the length needs the `fb` escape.
        "[a-z]{251,300}",
    ]
}

fn id() -> impl Strategy<Value = u64> {
    // Every varint width.
    prop_oneof![0u64..251, 251u64..=0xffff, 0x1_0000u64..=0xffff_ffff, any::<u64>()]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![Just(TimeInForce::Gtc), Just(TimeInForce::Ioc), Just(TimeInForce::Fok), id().prop_map(TimeInForce::Gtd)]
}

fn order_type() -> impl Strategy<Value = OrderType> {
    prop_oneof![
        (decimal(), decimal()).prop_map(|(price, quantity)| OrderType::Limit { price, quantity }),
        decimal().prop_map(|quantity| OrderType::Market { quantity }),
        decimal().prop_map(|budget| OrderType::MarketBudget { budget }),
    ]
}

fn market_status() -> impl Strategy<Value = MarketStatus> {
    prop_oneof![Just(MarketStatus::Open), Just(MarketStatus::Halted), Just(MarketStatus::Closed)]
}

fn market_info() -> impl Strategy<Value = MarketInfo> {
    (any::<u32>(), text(), any::<u32>(), any::<u32>(), decimal(), decimal(), any::<u32>(), any::<u32>(), market_status()).prop_map(
        |(market, symbol, base, quote, tick, lot, maker_fee_bps, taker_fee_bps, status)| MarketInfo {
            market,
            symbol,
            base,
            quote,
            tick,
            lot,
            maker_fee_bps,
            taker_fee_bps,
            status,
        },
    )
}

fn asset_info() -> impl Strategy<Value = AssetInfo> {
    (any::<u32>(), text(), prop_oneof![Just(AssetKind::Currency), Just(AssetKind::Item)], any::<u8>()).prop_map(|(asset, symbol, kind, decimals)| AssetInfo {
        asset,
        symbol,
        kind,
        decimals,
    })
}

fn market_policy() -> impl Strategy<Value = MarketPolicyInfo> {
    let stp = prop_oneof![Just(SelfTradePrevention::CancelNewest), Just(SelfTradePrevention::CancelOldest), Just(SelfTradePrevention::CancelBoth)];
    let buy_limit = proptest::option::of((decimal(), id()).prop_map(|(quantity, window_ms)| BuyLimitInfo { quantity, window_ms }));
    ((any::<u32>(), any::<u32>(), any::<u32>(), decimal()), (decimal(), decimal(), decimal(), any::<u32>()), (buy_limit, stp, proptest::option::of(text())))
        .prop_map(
            |(
                (market, maker_fee_bps, taker_fee_bps, listing_fee),
                (min_quantity, max_quantity, max_price, max_open_orders),
                (buy_limit, self_trade, rules),
            )| {
                MarketPolicyInfo {
                    market,
                    maker_fee_bps,
                    taker_fee_bps,
                    listing_fee,
                    min_quantity,
                    max_quantity,
                    max_price,
                    max_open_orders,
                    buy_limit,
                    self_trade,
                    rules,
                }
            },
        )
}

fn admin_request() -> BoxedStrategy<AdminRequest> {
    prop_oneof![
        (any::<u32>(), text(), any::<u8>(), any::<bool>()).prop_map(|(asset, symbol, decimals, item)| AdminRequest::CreateAsset {
            asset,
            symbol,
            decimals,
            item
        }),
        market_info().prop_map(AdminRequest::CreateMarket),
        (any::<u32>(), market_status()).prop_map(|(market, status)| AdminRequest::SetMarketStatus { market, status }),
        (id(), any::<u32>(), decimal()).prop_map(|(account, asset, amount)| AdminRequest::Mint { account, asset, amount }),
        (id(), any::<u32>(), decimal()).prop_map(|(account, asset, amount)| AdminRequest::Burn { account, asset, amount }),
        text().prop_map(|email| AdminRequest::FindAccount { email }),
        Just(AdminRequest::FiringAlerts),
    ]
    .boxed()
}

// ---- market data ----

fn interval() -> impl Strategy<Value = Interval> {
    proptest::sample::select(Interval::ALL.to_vec())
}

fn measure() -> impl Strategy<Value = Measure> {
    proptest::sample::select(Measure::ALL.to_vec())
}

fn rank_by() -> impl Strategy<Value = RankBy> {
    prop_oneof![Just(RankBy::StdDev), Just(RankBy::CoefficientOfVariation)]
}

fn topic() -> BoxedStrategy<Topic> {
    prop_oneof![
        id().prop_map(Topic::Fixture),
        any::<u32>().prop_map(Topic::Group),
        (any::<u32>(), interval()).prop_map(|(market, interval)| Topic::Candles { market, interval }),
        proptest::option::of(any::<u32>()).prop_map(Topic::Ticker),
    ]
    .boxed()
}

fn alert_condition() -> BoxedStrategy<AlertCondition> {
    prop_oneof![
        decimal().prop_map(AlertCondition::PriceAbove),
        decimal().prop_map(AlertCondition::PriceBelow),
        decimal().prop_map(AlertCondition::ChangeBeyond),
        (measure(), decimal(), id()).prop_map(|(measure, factor, window_ms)| AlertCondition::Spike { measure, factor, window_ms }),
    ]
    .boxed()
}

fn alert_def() -> impl Strategy<Value = AlertDef> {
    (any::<u32>(), alert_condition(), id(), id()).prop_map(|(market, condition, for_ms, keep_firing_for_ms)| AlertDef {
        market,
        condition,
        for_ms,
        keep_firing_for_ms,
    })
}

fn candle() -> BoxedStrategy<CandleInfo> {
    ((id(), id(), decimal(), decimal()), (decimal(), decimal(), decimal(), decimal()), (id(), any::<bool>()))
        .prop_map(|((open_time_ms, close_time_ms, open, high), (low, close, base_volume, quote_volume), (trades, closed))| CandleInfo {
            open_time_ms,
            close_time_ms,
            open,
            high,
            low,
            close,
            base_volume,
            quote_volume,
            trades,
            closed,
        })
        .boxed()
}

fn ticker() -> BoxedStrategy<TickerInfo> {
    let price = || proptest::option::of(decimal());
    let best = || proptest::option::of((decimal(), decimal()));
    ((any::<u32>(), text(), id(), id()), (price(), price(), price(), price()), (price(), price(), price()), (decimal(), decimal(), id(), best(), best()))
        .prop_map(
            |(
                (market, symbol, open_time_ms, close_time_ms),
                (open, high, low, last),
                (change, change_percent, vwap),
                (base_volume, quote_volume, trades, best_bid, best_ask),
            )| TickerInfo {
                market,
                symbol,
                open_time_ms,
                close_time_ms,
                open,
                high,
                low,
                last,
                change,
                change_percent,
                vwap,
                base_volume,
                quote_volume,
                trades,
                best_bid,
                best_ask,
            },
        )
        .boxed()
}

fn alert_info() -> BoxedStrategy<AlertInfo> {
    let state = prop_oneof![Just(AlertState::Inactive), Just(AlertState::Pending), Just(AlertState::Firing)];
    ((id(), id(), text(), text()), (measure(), alert_condition(), id(), id()), (state, proptest::option::of(id()), proptest::option::of(decimal())))
        .prop_map(|((alert, owner, rule, metric), (measure, condition, for_ms, keep_firing_for_ms), (state, since_ms, value))| AlertInfo {
            alert,
            owner,
            rule,
            metric,
            measure,
            condition,
            for_ms,
            keep_firing_for_ms,
            state,
            since_ms,
            value,
        })
        .boxed()
}

/// Every request variant.
fn request() -> BoxedStrategy<Request> {
    prop_oneof![
        (prop_oneof![Just(MAGIC), any::<[u8; 4]>()], any::<u32>(), text()).prop_map(|(magic, version, client)| Request::Hello(Hello {
            magic,
            version,
            client
        })),
        (text(), text()).prop_map(|(email, password)| Request::Signup { email, password }),
        (text(), text()).prop_map(|(email, token)| Request::ConfirmEmail { email, token }),
        (text(), text()).prop_map(|(email, password)| Request::Login { email, password }),
        text().prop_map(|session| Request::Resume { session }),
        Just(Request::RefreshSession),
        Just(Request::Logout),
        text().prop_map(|email| Request::RequestPasswordReset { email }),
        (text(), text(), text()).prop_map(|(email, token, new_password)| Request::ResetPassword { email, token, new_password }),
        (any::<u32>(), side(), order_type(), tif(), any::<bool>()).prop_map(|(market, side, order, tif, post_only)| Request::Place(PlaceOrder {
            market,
            side,
            order,
            tif,
            post_only
        })),
        id().prop_map(|order| Request::Cancel { order }),
        (id(), decimal(), decimal()).prop_map(|(order, price, quantity)| Request::Modify { order, price, quantity }),
        proptest::option::of(any::<u32>()).prop_map(|market| Request::CancelAll { market }),
        Just(Request::Balances),
        Just(Request::OpenOrders),
        (any::<u32>(), any::<u32>()).prop_map(|(market, depth)| Request::Book { market, depth }),
        Just(Request::Markets),
        id().prop_map(|from_cursor| Request::SubscribeAccount { from_cursor }),
        any::<u32>().prop_map(|market| Request::SubscribeMarket { market }),
        any::<u32>().prop_map(|market| Request::UnsubscribeMarket { market }),
        admin_request().prop_map(Request::Admin),
        (any::<bool>(), any::<u32>()).prop_map(|(unread_only, limit)| Request::Notifications { unread_only, limit }),
        proptest::option::of(proptest::collection::vec(id(), 0..5)).prop_map(|ids| Request::MarkNotificationsRead { ids }),
        Just(Request::Assets),
        Just(Request::MarketPolicies),
        topic().prop_map(Request::Subscribe),
        topic().prop_map(Request::Unsubscribe),
        (any::<u32>(), interval(), proptest::option::of(id()), proptest::option::of(id()), proptest::option::of(any::<u32>()))
            .prop_map(|(market, interval, start_ms, end_ms, limit)| Request::Candles { market, interval, start_ms, end_ms, limit }),
        proptest::option::of(any::<u32>()).prop_map(|market| Request::Ticker { market }),
        (proptest::option::of(text()), any::<u32>()).prop_map(|(after, limit)| Request::Metrics { after, limit }),
        (text(), measure()).prop_map(|(metric, measure)| Request::MetricHistory { metric, measure }),
        (measure(), rank_by(), any::<u32>(), any::<u32>()).prop_map(|(measure, by, offset, limit)| Request::MetricRank { measure, by, offset, limit }),
        alert_def().prop_map(Request::AddAlert),
        Just(Request::Alerts),
        id().prop_map(|alert| Request::RemoveAlert { alert }),
    ]
    .boxed()
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    proptest::sample::select(error_codes::ALL.to_vec())
}

fn levels() -> impl Strategy<Value = Vec<(Decimal, Decimal)>> {
    proptest::collection::vec((decimal(), decimal()), 0..6)
}

/// Every response variant.
fn response() -> BoxedStrategy<Response> {
    let balance = (any::<u32>(), text(), decimal(), decimal()).prop_map(|(asset, symbol, available, locked)| BalanceInfo { asset, symbol, available, locked });
    let order = (id(), any::<u32>(), side(), decimal(), decimal(), decimal(), tif())
        .prop_map(|(order, market, side, price, quantity, filled, tif)| OrderInfo { order, market, side, price, quantity, filled, tif });
    prop_oneof![
        (any::<u32>(), text(), proptest::collection::vec(text(), 0..5), any::<u32>())
            .prop_map(|(version, server, capabilities, max_frame)| Response::Welcome(Welcome { version, server, capabilities, max_frame })),
        id().prop_map(|account| Response::SignedUp { account }),
        Just(Response::Confirmed),
        (text(), id(), any::<bool>(), id()).prop_map(|(token, account, admin, expires_at_ms)| Response::Session { token, account, admin, expires_at_ms }),
        Just(Response::LoggedOut),
        Just(Response::ResetRequested),
        Just(Response::PasswordReset),
        id().prop_map(|order| Response::Placed { order }),
        Just(Response::Done),
        proptest::collection::vec(balance, 0..4).prop_map(Response::Balances),
        proptest::collection::vec(order, 0..4).prop_map(Response::OpenOrders),
        (any::<u32>(), levels(), levels(), id()).prop_map(|(market, bids, asks, seq)| Response::Book(BookInfo { market, bids, asks, seq })),
        proptest::collection::vec(market_info(), 0..3).prop_map(Response::Markets),
        id().prop_map(|cursor| Response::Subscribed { cursor }),
        id().prop_map(|account| Response::Account { account }),
        proptest::collection::vec(
            (id(), text(), text(), id(), any::<bool>()).prop_map(|(id, subject, body, created_ms, read)| NotificationInfo {
                id,
                subject,
                body,
                created_ms,
                read
            }),
            0..3,
        )
        .prop_map(Response::Notifications),
        id().prop_map(|count| Response::MarkedRead { count }),
        proptest::collection::vec(asset_info(), 0..3).prop_map(Response::Assets),
        proptest::collection::vec(market_policy(), 0..3).prop_map(Response::MarketPolicies),
        (any::<u32>(), interval(), proptest::collection::vec(candle(), 0..4)).prop_map(|(market, interval, candles)| Response::Candles {
            market,
            interval,
            candles
        }),
        proptest::collection::vec(ticker(), 0..3).prop_map(Response::Tickers),
        (
            proptest::collection::vec(
                (text(), proptest::collection::vec(measure(), 0..4)).prop_map(|(metric, measures)| MetricInfo { metric, measures }),
                0..3
            ),
            proptest::option::of(text())
        )
            .prop_map(|(metrics, next)| Response::Metrics { metrics, next }),
        (text(), measure(), id(), id(), proptest::collection::vec(proptest::option::of(decimal()), 0..64))
            .prop_map(|(metric, measure, start_ms, step_ms, points)| Response::MetricHistory { metric, measure, start_ms, step_ms, points }),
        (
            measure(),
            rank_by(),
            any::<u32>(),
            proptest::collection::vec(
                (any::<u32>(), text(), decimal(), decimal(), any::<u32>()).prop_map(|(rank, metric, value, mean, samples)| RankEntry {
                    rank,
                    metric,
                    value,
                    mean,
                    samples
                }),
                0..3
            )
        )
            .prop_map(|(measure, by, total, entries)| Response::MetricRank { measure, by, total, entries }),
        id().prop_map(|alert| Response::AlertAdded { alert }),
        proptest::collection::vec(alert_info(), 0..3).prop_map(Response::Alerts),
    ]
    .boxed()
}

fn api_error() -> impl Strategy<Value = ApiError> {
    (error_code(), text(), text(), proptest::option::of(id())).prop_map(|(code, reason, message, retry_after_ms)| ApiError {
        code,
        reason,
        message,
        retry_after_ms,
    })
}

fn done_reason() -> impl Strategy<Value = DoneReason> {
    proptest::sample::select(vec![DoneReason::Filled, DoneReason::Cancelled, DoneReason::Expired, DoneReason::Unfilled, DoneReason::SelfTrade])
}

/// Every push variant.
fn push_event() -> BoxedStrategy<PushEvent> {
    prop_oneof![
        (id(), any::<u32>(), side(), proptest::option::of(decimal()), decimal()).prop_map(|(order, market, side, price, quantity)| PushEvent::OrderAccepted {
            order,
            market,
            side,
            price,
            quantity
        }),
        (id(), decimal(), decimal()).prop_map(|(order, price, quantity)| PushEvent::OrderModified { order, price, quantity }),
        (id(), id(), any::<u32>(), side(), decimal(), decimal(), decimal(), any::<bool>())
            .prop_map(|(order, trade, market, side, price, quantity, fee, maker)| PushEvent::Fill { order, trade, market, side, price, quantity, fee, maker }),
        (id(), done_reason(), decimal()).prop_map(|(order, reason, filled)| PushEvent::OrderDone { order, reason, filled }),
        (any::<u32>(), decimal(), decimal()).prop_map(|(asset, available, locked)| PushEvent::Balance { asset, available, locked }),
        (any::<u32>(), side(), decimal(), decimal()).prop_map(|(market, side, price, quantity)| PushEvent::BookLevel { market, side, price, quantity }),
        (any::<u32>(), id(), decimal(), decimal(), side()).prop_map(|(market, trade, price, quantity, taker_side)| PushEvent::Trade {
            market,
            trade,
            price,
            quantity,
            taker_side
        }),
        text().prop_map(|reason| PushEvent::Closing { reason }),
        (any::<u32>(), interval(), candle()).prop_map(|(market, interval, candle)| PushEvent::Candle { market, interval, candle }),
        ticker().prop_map(PushEvent::Ticker),
    ]
    .boxed()
}

fn request_frame() -> impl Strategy<Value = RequestFrame> {
    (id(), request()).prop_map(|(id, request)| RequestFrame { id, request })
}

fn response_frame() -> impl Strategy<Value = ResponseFrame> {
    (id(), prop_oneof![response().prop_map(Ok), api_error().prop_map(Err)]).prop_map(|(id, result)| ResponseFrame { id, result })
}

fn push() -> impl Strategy<Value = Push> {
    (id(), push_event()).prop_map(|(cursor, event)| Push { cursor, event })
}

/// A complete valid frame of any kind.
fn valid_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![request_frame().prop_map(|f| encode(&f)), response_frame().prop_map(|f| encode(&f)), push().prop_map(|f| encode(&f)),]
}

// ---- strategies for hostile bytes ---------------------------------------------------------------

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Delete(usize, usize),
    /// A varint marker (251..=255) and what follows it, inserted anywhere.
    InsertEscape(usize, u8, Vec<u8>),
    /// A long run of 0xff (absurd lengths in every width).
    InsertFf(usize, usize),
    /// Replace the frame's length prefix.
    Length(u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::SetByte(at, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1usize..8).prop_map(|(at, n)| Mutation::Delete(at, n)),
        2 => (any::<usize>(), 251u8..=255, proptest::collection::vec(any::<u8>(), 0..17)).prop_map(|(at, m, rest)| Mutation::InsertEscape(at, m, rest)),
        1 => (any::<usize>(), 1usize..17).prop_map(|(at, n)| Mutation::InsertFf(at, n)),
        1 => prop_oneof![any::<u32>(), Just(u32::MAX), Just(MAX_FRAME as u32 + 1), Just(MAX_FRAME as u32)].prop_map(Mutation::Length),
    ]
}

fn apply(frame: &mut Vec<u8>, m: &Mutation) {
    let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % len };
    match *m {
        Mutation::FlipBit(at, bit) if !frame.is_empty() => {
            let i = pos(at, frame.len());
            frame[i] ^= 1 << bit;
        }
        Mutation::SetByte(at, b) if !frame.is_empty() => {
            let i = pos(at, frame.len());
            frame[i] = b;
        }
        Mutation::Truncate(at) => frame.truncate(pos(at, frame.len() + 1)),
        Mutation::Delete(at, n) if !frame.is_empty() => {
            let i = pos(at, frame.len());
            let end = (i + n).min(frame.len());
            frame.drain(i..end);
        }
        Mutation::InsertEscape(at, marker, ref rest) => {
            let i = pos(at, frame.len() + 1);
            let mut bytes = vec![marker];
            bytes.extend(rest);
            frame.splice(i..i, bytes);
        }
        Mutation::InsertFf(at, n) => {
            let i = pos(at, frame.len() + 1);
            frame.splice(i..i, std::iter::repeat_n(0xff, n));
        }
        Mutation::Length(len) => {
            if frame.len() < 4 {
                frame.resize(4, 0);
            }
            frame[..4].copy_from_slice(&len.to_le_bytes());
        }
        _ => {}
    }
}

/// Which decoder a hostile payload targets.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Request,
    Response,
    Push,
}

fn decode_as(kind: Kind, payload: &[u8]) -> Result<(), FrameError> {
    match kind {
        Kind::Request => decode::<RequestFrame>(payload).map(drop),
        Kind::Response => decode::<ResponseFrame>(payload).map(drop),
        Kind::Push => decode::<Push>(payload).map(drop),
    }
}

/// Payload prefixes that reach a string field at once.
fn string_field() -> impl Strategy<Value = (Kind, Vec<u8>)> {
    proptest::sample::select(vec![
        (Kind::Request, vec![0x01, 0x03]),                               // id 1, Login: email
        (Kind::Request, vec![0x01, 0x00, 0x45, 0x4e, 0x54, 0x52, 0x01]), // id 1, Hello: client
        (Kind::Request, vec![0x01, 0x14, 0x05]),                         // id 1, Admin(FindAccount): email
        (Kind::Response, vec![0x01, 0x01, 0x0e]),                        // id 1, Err(Rejected): reason
        (Kind::Push, vec![0x01, 0x07]),                                  // cursor 1, Closing: reason
    ])
}

/// Payload prefixes that reach a length-prefixed field (a string or a vector) at once.
fn length_field() -> impl Strategy<Value = (Kind, Vec<u8>)> {
    prop_oneof![
        string_field(),
        proptest::sample::select(vec![
            (Kind::Response, vec![0x01, 0x00, 0x09]),       // id 1, Ok(Balances(Vec))
            (Kind::Response, vec![0x01, 0x00, 0x0b, 0x01]), // id 1, Ok(Book { bids: Vec })
            (Kind::Response, vec![0x01, 0x00, 0x0c]),       // id 1, Ok(Markets(Vec))
        ]),
    ]
}

/// A payload whose string or vector claims a huge length with a varint escape.
fn huge_claim() -> impl Strategy<Value = (Kind, Vec<u8>)> {
    let claim = prop_oneof![
        Just(vec![0xfd, 0, 0, 0, 0, 0, 0, 0, 0x10]), // 2^60
        Just(vec![0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Just(vec![0xfc, 0xff, 0xff, 0xff, 0xff]),
        Just(vec![0xfc, 0x01, 0x00, 0x10, 0x00]), // MAX_FRAME + 1
        Just(vec![0xfc, 0x00, 0x00, 0x10, 0x00]), // MAX_FRAME
        Just(vec![0xfb, 0xff, 0xff]),
        Just(vec![0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
    ];
    (length_field(), claim, proptest::collection::vec(any::<u8>(), 0..32)).prop_map(|((kind, mut p), c, rest)| {
        p.extend(c);
        p.extend(rest);
        (kind, p)
    })
}

// ---- properties ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn request_frames_round_trip(frame in request_frame()) {
        let bytes = encode(&frame);
        prop_assert_eq!(payload_len(bytes[..4].try_into().unwrap()).unwrap(), bytes.len() - 4);
        prop_assert_eq!(decode::<RequestFrame>(&bytes[4..]).unwrap(), frame.clone());
        prop_assert_eq!(&spec::spec_frame(&frame), &bytes, "the rules of PROTOCOL.md §4 disagree with bincode");
    }

    #[test]
    fn response_frames_round_trip(frame in response_frame()) {
        let bytes = encode(&frame);
        prop_assert_eq!(payload_len(bytes[..4].try_into().unwrap()).unwrap(), bytes.len() - 4);
        prop_assert_eq!(decode::<ResponseFrame>(&bytes[4..]).unwrap(), frame.clone());
        prop_assert_eq!(&spec::spec_frame(&frame), &bytes, "the rules of PROTOCOL.md §4 disagree with bincode");
    }

    #[test]
    fn pushes_round_trip(frame in push()) {
        let bytes = encode(&frame);
        prop_assert_eq!(decode::<Push>(&bytes[4..]).unwrap(), frame.clone());
        prop_assert_eq!(&spec::spec_frame(&frame), &bytes, "the rules of PROTOCOL.md §4 disagree with bincode");
        // Trailing bytes are refused.
        let mut longer = bytes[4..].to_vec();
        longer.push(0);
        prop_assert_eq!(decode::<Push>(&longer), Err(FrameError::TrailingBytes(1)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
        if bytes.len() >= 4 {
            let _ = payload_len(bytes[..4].try_into().unwrap());
            decode_everything(&bytes[4..]);
        }
        read_in_chunks(&bytes, &[7, 1, 64]);
    }

    #[test]
    fn mutated_valid_frames_never_panic(frame in valid_frame(), mutations in proptest::collection::vec(mutation(), 1..5), chunks in proptest::collection::vec(1usize..40, 1..8)) {
        let mut bytes = frame;
        for m in &mutations {
            apply(&mut bytes, m);
        }
        decode_everything(&bytes);
        if bytes.len() >= 4 {
            decode_everything(&bytes[4..]);
        }
        read_in_chunks(&bytes, &chunks);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn huge_length_claims_are_refused_cheaply((kind, payload) in huge_claim()) {
        decode_everything(&payload);
        // At most 32 bytes follow the claim: never enough.
        prop_assert!(decode_as(kind, &payload).is_err());
    }

    /// A string claiming more than the frame limit is refused before anything is reserved.
    /// (A `Vec` claim is not checked against the limit: serde pre-allocates up to 1 MiB for
    /// it, which `decode_everything` tolerates. Requests and pushes have no `Vec`s.)
    #[test]
    fn claims_beyond_the_limit_allocate_nothing((kind, field) in string_field(), over in (MAX_FRAME as u64 + 1)..u64::MAX) {
        let mut payload = field;
        payload.push(0xfd);
        payload.extend(over.to_le_bytes());
        let (result, largest) = largest_allocation(|| decode_as(kind, &payload));
        prop_assert!(result.is_err());
        prop_assert!(largest < 4096, "a claim of {} bytes made the {:?} decoder allocate {}", over, kind, largest);
    }

    #[test]
    fn huge_length_prefixes_are_refused_before_reading(len in prop_oneof![MAX_FRAME as u32 + 1..=u32::MAX, 0u32..=MAX_FRAME as u32], body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut stream = len.to_le_bytes().to_vec();
        stream.extend(&body);
        let mut reader = FrameReader::default();
        reader.push(&stream);
        let (next, largest) = largest_allocation(|| reader.next_payload());
        prop_assert!(largest <= body.len() + 64, "the reader allocated {} bytes for a {}-byte body", largest, body.len());
        if len as usize > MAX_FRAME {
            prop_assert_eq!(next, Err(FrameError::TooLarge(len as usize)));
            prop_assert_eq!(payload_len(len.to_le_bytes()), Err(FrameError::TooLarge(len as usize)));
        } else if body.len() < len as usize {
            prop_assert_eq!(next, Ok(None), "a frame is not complete until all its bytes are there");
        } else {
            prop_assert_eq!(next, Ok(Some(body[..len as usize].to_vec())));
        }
    }

    #[test]
    fn frame_reader_reassembles_any_chunking(frames in proptest::collection::vec(valid_frame(), 1..6), garbage in proptest::collection::vec(any::<u8>(), 0..64), chunks in proptest::collection::vec(1usize..50, 1..16)) {
        let stream: Vec<u8> = frames.iter().flatten().copied().chain(garbage.iter().copied()).collect();
        let (payloads, _refused) = read_in_chunks(&stream, &chunks);
        // Every valid frame comes out whole and in order, whatever follows it.
        prop_assert!(payloads.len() >= frames.len());
        for (got, frame) in payloads.iter().zip(&frames) {
            prop_assert_eq!(got.as_slice(), &frame[4..]);
        }
    }
}
