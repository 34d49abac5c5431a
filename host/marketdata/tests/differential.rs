//! Differential test of the market data against a deliberately naive recomputation.
//!
//! A seeded stream runs through the real engine for several game days: 3 markets (one
//! opened on the second day with a currency of its own), 6 accounts placing crossing
//! limit orders (GTC, GTD, IOC), market orders, cancels, modifies, mints, burns, ticks and
//! player alerts, at random gaps from 100 ms to 2 h — so there are empty intervals and long
//! pauses — with some commands landing exactly on candle boundaries and exactly where a
//! trade leaves the 24-hour ticker window. Every trade is exported with its command's game
//! time, and after every command the test notes what the naive model needs (the book from
//! the engine's depth query, resting orders, mints and burns, active accounts).
//!
//! Then the journal is replayed into a fresh `MarketData` and, at many points, compared with
//! recomputations written from the documented definitions only:
//! 1. candles of every interval and market (whole series and start/end/limit windows) equal
//!    the exported trades grouped by `floor(time / len)`, with the `closed` flags, and every
//!    candle's close is reported exactly once, at the first command at or after it;
//! 2. the ticker, after every command, equals the fold over the trades with
//!    `time >= floor_minute(now − 24 h)`;
//! 3. the metric history equals samples recomputed from the trades and notes: a sample at
//!    `T` is the state left by the commands before `T`, interval measures count the
//!    commands in `[T − step, T)`;
//! 4. ranks equal a naive population standard deviation / coefficient of variation in f64;
//! 5. the rebuild is byte-identical, and encode → decode → continue at cut points equals
//!    the uninterrupted run byte for byte (outputs after the cut included).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{replay, World};
use entrepot_core::alerts::{AlertCondition, AlertSpec};
use entrepot_core::{
    AccountId, AssetId, AssetKind, AssetSpec, Body, Event, MarketId, MarketPolicy, MarketSize, MarketSpec, OrderId, OrderKind, OrderRequest, Outcome,
    RejectReason, Side, TimeInForce,
};
use entrepot_marketdata::{AlertRule, Candle, Config, Interval, MarketData, Measure, Output, RankBy, Subject, DAY_MS};
use entrepot_seeded::{Rng, SplitMix64};
use rust_decimal::Decimal;

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = DAY_MS;
const GOLD: AssetId = AssetId(1);
const SILVER: AssetId = AssetId(2);
const COPPER: AssetId = AssetId(10);
const IRON: AssetId = AssetId(11);
const WOOD: AssetId = AssetId(12);
const ACCOUNTS: u64 = 6;

/// A market of the stream and the generator's knobs for it.
struct Def {
    id: u32,
    symbol: &'static str,
    base: AssetId,
    quote: AssetId,
    tick: Decimal,
    lot: Decimal,
    /// Quote minor units of one tick on one lot (written out, not asked from the crate).
    tick_value: u64,
    /// Starting mid price (ticks), largest random-walk step, half width of order prices.
    mid: u64,
    step: u64,
    width: u64,
}

fn defs() -> [Def; 3] {
    [
        // GOLD has 2 decimals: 0.01 × 1 = 1 minor unit.
        Def {
            id: 1,
            symbol: "COPPER/GOLD",
            base: COPPER,
            quote: GOLD,
            tick: Decimal::new(1, 2),
            lot: Decimal::ONE,
            tick_value: 1,
            mid: 10_000,
            step: 12,
            width: 40,
        },
        // 0.05 × 2 = 0.1 GOLD = 10 minor units.
        Def { id: 2, symbol: "IRON/GOLD", base: IRON, quote: GOLD, tick: Decimal::new(5, 2), lot: Decimal::TWO, tick_value: 10, mid: 500, step: 3, width: 6 },
        // SILVER has 0 decimals: 1 × 10 = 10; WOOD has 1 decimal.
        Def { id: 3, symbol: "WOOD/SILVER", base: WOOD, quote: SILVER, tick: Decimal::ONE, lot: Decimal::TEN, tick_value: 10, mid: 40, step: 1, width: 3 },
    ]
}

fn floor(t: u64, len: u64) -> u64 {
    t - t % len
}

/// One exported trade.
#[derive(Clone, Copy, Debug)]
struct Trade {
    time: u64,
    market: u32,
    price: u64,
    lots: u64,
    notional: u64,
    fees: u64,
}

/// A book as the engine's depth query shows it after a command.
#[derive(Clone, Debug, Default)]
struct Book {
    best_bid: Option<(u64, u64)>,
    best_ask: Option<(u64, u64)>,
    bid_lots: u128,
    ask_lots: u128,
}

/// What the naive model keeps of one command.
#[derive(Clone, Debug, Default)]
struct Rec {
    time: u64,
    active: BTreeSet<AccountId>,
    minted: BTreeMap<u32, u128>,
    burned: BTreeMap<u32, u128>,
    /// (minted, burned) of every currency, all time, after the command.
    supply: BTreeMap<u32, (u128, u128)>,
    /// Every existing market's book after the command.
    books: BTreeMap<u32, Book>,
    resting: u64,
    /// Trades exported so far, this command's included.
    trades_after: usize,
}

/// The exported stream and the naive recomputations.
struct Model {
    step: u64,
    retention: usize,
    recs: Vec<Rec>,
    times: Vec<u64>,
    trades: Vec<Trade>,
    tick_value: BTreeMap<u32, u64>,
    quote: BTreeMap<u32, u32>,
    symbols: BTreeMap<u32, String>,
    currencies: BTreeMap<u32, String>,
    market_created: BTreeMap<u32, u64>,
    currency_created: BTreeMap<u32, u64>,
    /// Sample times in the order they are taken (the documented schedule).
    taken: Vec<u64>,
    next_sample: u64,
    /// Naive samples of every series, aligned with `taken`.
    table: BTreeMap<(Subject, Measure), Vec<Option<i64>>>,
}

impl Model {
    fn new(config: &Config) -> Model {
        let mut m = Model {
            step: config.sample_ms,
            retention: config.candle_retention,
            recs: Vec::new(),
            times: Vec::new(),
            trades: Vec::new(),
            tick_value: BTreeMap::new(),
            quote: BTreeMap::new(),
            symbols: BTreeMap::new(),
            currencies: BTreeMap::new(),
            market_created: BTreeMap::new(),
            currency_created: BTreeMap::new(),
            taken: Vec::new(),
            next_sample: 0,
            table: BTreeMap::new(),
        };
        for d in defs() {
            m.tick_value.insert(d.id, d.tick_value);
            m.quote.insert(d.id, d.quote.0);
            m.symbols.insert(d.id, d.symbol.to_string());
        }
        m.currencies.insert(GOLD.0, "GOLD".into());
        m.currencies.insert(SILVER.0, "SILVER".into());
        m
    }

    /// Note one command from its events and the engine after it.
    fn push(&mut self, time: u64, events: &[Event], engine: &entrepot_core::Engine) {
        // The documented sampling schedule: every multiple of the step, taken at the first
        // command at or after it; nothing at the very first command; after a pause of a day
        // or more only the last day's samples.
        if self.next_sample == 0 {
            self.next_sample = (time / self.step + 1) * self.step;
        } else {
            if time >= self.next_sample + DAY {
                self.next_sample = floor(time, self.step) - DAY + self.step;
            }
            while self.next_sample <= time {
                self.taken.push(self.next_sample);
                self.next_sample += self.step;
            }
        }
        let mut rec = Rec { time, supply: self.recs.last().map(|r| r.supply.clone()).unwrap_or_default(), ..Rec::default() };
        for e in events {
            match e {
                Event::MarketCreated { market } => {
                    self.market_created.insert(market.0, time);
                }
                Event::AssetCreated { asset } if self.currencies.contains_key(&asset.0) => {
                    self.currency_created.insert(asset.0, time);
                    rec.supply.insert(asset.0, (0, 0));
                }
                Event::Trade { market, price, quantity, maker_account, taker_account, maker_fee, taker_fee, .. } => {
                    let notional = price * quantity * self.tick_value[&market.0];
                    self.trades.push(Trade { time, market: market.0, price: *price, lots: *quantity, notional, fees: maker_fee + taker_fee });
                    rec.active.extend([*maker_account, *taker_account]);
                }
                Event::OrderAccepted { account, .. } => {
                    rec.active.insert(*account);
                }
                Event::Minted { asset, amount, .. } if self.currencies.contains_key(&asset.0) => {
                    *rec.minted.entry(asset.0).or_default() += u128::from(*amount);
                    rec.supply.get_mut(&asset.0).expect("created").0 += u128::from(*amount);
                }
                Event::Burned { asset, amount, .. } if self.currencies.contains_key(&asset.0) => {
                    *rec.burned.entry(asset.0).or_default() += u128::from(*amount);
                    rec.supply.get_mut(&asset.0).expect("created").1 += u128::from(*amount);
                }
                _ => {}
            }
        }
        for &m in self.market_created.keys() {
            let bids = engine.depth(MarketId(m), Side::Buy);
            let asks = engine.depth(MarketId(m), Side::Sell);
            let book = Book {
                best_bid: bids.first().copied(),
                best_ask: asks.first().copied(),
                bid_lots: bids.iter().map(|&(_, q)| u128::from(q)).sum(),
                ask_lots: asks.iter().map(|&(_, q)| u128::from(q)).sum(),
            };
            rec.books.insert(m, book);
        }
        rec.resting = engine.resting_orders() as u64;
        rec.trades_after = self.trades.len();
        self.recs.push(rec);
        self.times.push(time);
    }

    fn subjects(&self) -> Vec<(Subject, Measure)> {
        let mut out = Vec::new();
        for &m in self.symbols.keys() {
            out.extend(Measure::ALL.into_iter().filter(|x| x.of_market()).map(|x| (Subject::Market(m), x)));
        }
        for &c in self.currencies.keys() {
            out.extend(
                [Measure::Supply, Measure::Minted, Measure::Burned, Measure::Fees, Measure::Stakes, Measure::Payouts]
                    .into_iter()
                    .map(|x| (Subject::Currency(c), x)),
            );
        }
        out.extend([(Subject::Economy, Measure::ActiveAccounts), (Subject::Economy, Measure::OpenOrders)]);
        out
    }

    /// The naive sample of one series at `t`.
    fn sample(&self, t: u64, subject: Subject, measure: Measure) -> Option<i64> {
        let step = self.step;
        // Commands before T, and those in [T − step, T).
        let k = self.times.partition_point(|&x| x < t);
        let lo = self.times.partition_point(|&x| x < t - step);
        let before = &self.trades[..self.trades.partition_point(|x| x.time < t)];
        let minute = &before[before.partition_point(|x| x.time < t - step)..];
        let state = k.checked_sub(1).map(|i| &self.recs[i]);
        match subject {
            Subject::Market(m) => {
                if self.market_created.get(&m).is_none_or(|&c| c >= t) {
                    return None;
                }
                let last = before.iter().rev().find(|x| x.market == m).map(|x| i128::from(x.price));
                let book = &state.expect("the market exists").books[&m];
                let value = match measure {
                    Measure::Price => last,
                    Measure::Volume => Some(minute.iter().filter(|x| x.market == m).map(|x| i128::from(x.lots)).sum()),
                    Measure::ChangeAbsolute | Measure::ChangePercentage => {
                        let start = floor(t.saturating_sub(DAY), MIN);
                        let open = before.iter().find(|x| x.market == m && x.time >= start).map(|x| i128::from(x.price));
                        let change = last.zip(open).map(|(l, o)| l - o);
                        if measure == Measure::ChangeAbsolute {
                            change
                        } else {
                            change.zip(open).map(|(c, o)| c * 10_000 / o.max(1))
                        }
                    }
                    Measure::Spread => book.best_ask.zip(book.best_bid).map(|((a, _), (b, _))| i128::from(a) - i128::from(b)),
                    Measure::BidDepth => Some(i128::try_from(book.bid_lots).unwrap()),
                    Measure::AskDepth => Some(i128::try_from(book.ask_lots).unwrap()),
                    _ => unreachable!("not a market measure"),
                };
                value.map(|v| i64::try_from(v).unwrap())
            }
            Subject::Currency(c) => {
                if self.currency_created.get(&c).is_none_or(|&x| x >= t) {
                    return None;
                }
                let recs = &self.recs[lo..k];
                let sum = |f: &dyn Fn(&Rec) -> u128| recs.iter().map(f).sum::<u128>();
                let value = match measure {
                    Measure::Supply => {
                        let (minted, burned) = state.expect("the currency exists").supply[&c];
                        i128::try_from(minted).unwrap() - i128::try_from(burned).unwrap()
                    }
                    Measure::Minted => i128::try_from(sum(&|r| r.minted.get(&c).copied().unwrap_or(0))).unwrap(),
                    Measure::Burned => i128::try_from(sum(&|r| r.burned.get(&c).copied().unwrap_or(0))).unwrap(),
                    Measure::Fees => minute.iter().filter(|x| self.quote[&x.market] == c).map(|x| i128::from(x.fees)).sum(),
                    Measure::Stakes | Measure::Payouts => 0,
                    _ => unreachable!("not a currency measure"),
                };
                Some(i64::try_from(value).unwrap())
            }
            Subject::Economy => match measure {
                Measure::ActiveAccounts => {
                    let active: BTreeSet<AccountId> = self.recs[lo..k].iter().flat_map(|r| r.active.iter().copied()).collect();
                    Some(active.len() as i64)
                }
                Measure::OpenOrders => Some(state.map_or(0, |s| s.resting) as i64),
                _ => unreachable!("not an economy measure"),
            },
        }
    }

    /// Compute every series at every sample taken (after the whole stream is known: a
    /// sample depends only on the commands before it).
    fn tabulate(&mut self) {
        let mut table = BTreeMap::new();
        for (subject, measure) in self.subjects() {
            let values: Vec<Option<i64>> = self.taken.iter().map(|&t| self.sample(t, subject, measure)).collect();
            table.insert((subject, measure), values);
        }
        self.table = table;
    }

    /// The candles of one market and interval from the first `trades` exported trades.
    fn candles(&self, trades: usize, market: u32, interval: Interval) -> Vec<Candle> {
        let len = interval.millis();
        let mut out: Vec<Candle> = Vec::new();
        for t in self.trades[..trades].iter().filter(|t| t.market == market) {
            let open_time = floor(t.time, len);
            match out.last_mut() {
                Some(c) if c.open_time == open_time => {
                    c.high = c.high.max(t.price);
                    c.low = c.low.min(t.price);
                    c.close = t.price;
                    c.base_volume += u128::from(t.lots);
                    c.quote_volume += u128::from(t.notional);
                    c.trades += 1;
                }
                _ => out.push(Candle {
                    open_time,
                    open: t.price,
                    high: t.price,
                    low: t.price,
                    close: t.price,
                    base_volume: u128::from(t.lots),
                    quote_volume: u128::from(t.notional),
                    trades: 1,
                }),
            }
        }
        // Only the newest `retention` are kept.
        let drop = out.len().saturating_sub(self.retention);
        out.drain(..drop);
        out
    }
}

/// The generated stream's knobs.
struct Params {
    seed: u64,
    days: u64,
    /// Game time of the first command.
    start: u64,
    retention: usize,
    /// Insert one pause of more than a day in the middle.
    long_pause: bool,
}

fn config(retention: usize) -> Config {
    let rule = |name: &str, metrics: &str, measure, for_ms, keep| AlertRule {
        name: name.into(),
        metrics: metrics.into(),
        measure,
        factor_milli: 3_000,
        window_ms: HOUR,
        for_ms,
        keep_firing_for_ms: keep,
    };
    Config {
        candle_retention: retention,
        rules: vec![
            rule("gold-volume", "*/GOLD", Measure::Volume, 0, 5 * MIN),
            rule("minting", "economy:*", Measure::Minted, 2 * MIN, 0),
            rule("busy", "economy", Measure::ActiveAccounts, MIN, MIN),
        ],
        ..Config::default()
    }
}

/// The generator's state besides the world.
struct Gen {
    r: SplitMix64,
    time: u64,
    mids: BTreeMap<u32, u64>,
    resting: BTreeMap<OrderId, AccountId>,
    alerts: Vec<(u64, AccountId)>,
    trade_times: Vec<u64>,
    /// Times chosen to land on a boundary (the ticker is checked there too; it is checked
    /// after every command anyway).
    boundaries: usize,
}

impl Gen {
    fn gap(&mut self) -> u64 {
        let now = self.time;
        let roll = self.r.below(1000);
        if roll < 900 {
            return now + self.r.range(100, 2_000);
        }
        if roll < 960 {
            return now + self.r.range(2_000, 5 * MIN);
        }
        if roll < 963 {
            return now + self.r.range(5 * MIN, 2 * HOUR);
        }
        // Exactly on a boundary: the next minute or 5 minutes (15 minutes and the hour when
        // near), or where a trade of about a day ago has its last instant in, or its first
        // instant out of, the ticker's window.
        self.boundaries += 1;
        let mut targets: Vec<u64> = [MIN, 5 * MIN, 15 * MIN, HOUR].iter().map(|&len| (now / len + 1) * len).filter(|&t| t <= now + 10 * MIN).collect();
        let lo = self.trade_times.partition_point(|&x| x + DAY + MIN < now);
        let hi = self.trade_times.partition_point(|&x| x + DAY <= now + 10 * MIN);
        if lo < hi {
            let x = self.trade_times[usize::try_from(self.r.range(lo as u64, hi as u64 - 1)).unwrap()];
            let out = floor(x, MIN) + DAY + MIN;
            targets.extend([out - 1, out, x + DAY].into_iter().filter(|&t| t > now));
        }
        self.r.pick(&targets)
    }

    fn account(&mut self) -> AccountId {
        AccountId(1 + self.r.below(ACCOUNTS))
    }

    fn price(&mut self, d: &Def) -> u64 {
        let mid = self.mids.get_mut(&d.id).expect("a market of the stream");
        let step = d.step;
        *mid = (*mid + self.r.range(0, 2 * step)).saturating_sub(step).max(d.width + 2);
        let mid = *mid;
        mid + self.r.range(0, 2 * d.width) - d.width
    }
}

/// Generate the stream: returns the world (which fed its own market data live), the naive
/// model's notes and the index of the first command after the long pause (0: none).
fn generate(p: &Params) -> (World, Model, usize) {
    let config = config(p.retention);
    let mut w = World::new(config.clone());
    let mut model = Model::new(&config);
    let defs = defs();
    let policy = MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 25, ..MarketPolicy::default() };
    let mut g = Gen {
        r: SplitMix64::new(p.seed),
        time: p.start,
        mids: defs.iter().map(|d| (d.id, d.mid)).collect(),
        resting: BTreeMap::new(),
        alerts: Vec::new(),
        trade_times: Vec::new(),
        boundaries: 0,
    };
    // Run one command, note it for the model and follow the orders.
    let step = |w: &mut World, model: &mut Model, g: &mut Gen, actor: AccountId, body: Body| -> Outcome {
        let outcome = w.run(g.time, actor, body);
        model.push(g.time, &w.events, &w.engine);
        track(g, &w.events);
        outcome
    };
    let admin = |w: &mut World, model: &mut Model, g: &mut Gen, body: Body| {
        let outcome = step(w, model, g, AccountId::ADMIN, body);
        assert!(!matches!(outcome, Outcome::Rejected(_)), "setup: {outcome:?}");
    };
    let asset = |id, symbol: &str, decimals, kind| Body::CreateAsset(AssetSpec { id, symbol: symbol.into(), decimals, kind });
    let market = |d: &Def| Body::CreateMarket {
        spec: MarketSpec { id: MarketId(d.id), symbol: d.symbol.into(), base: d.base, quote: d.quote, tick: d.tick, lot: d.lot },
        policy,
    };
    admin(&mut w, &mut model, &mut g, asset(GOLD, "GOLD", 2, AssetKind::Currency));
    admin(&mut w, &mut model, &mut g, asset(COPPER, "COPPER", 0, AssetKind::Item));
    admin(&mut w, &mut model, &mut g, asset(IRON, "IRON", 0, AssetKind::Item));
    for d in &defs[..2] {
        admin(&mut w, &mut model, &mut g, market(d));
    }
    for a in 1..=ACCOUNTS {
        admin(&mut w, &mut model, &mut g, Body::OpenAccount { account: AccountId(a) });
        // Large enough that the supply's samples exceed 2^32 (and their squares 2^64).
        for (asset, amount) in [(GOLD, 1_000_000_000_000), (COPPER, 1_000_000_000), (IRON, 1_000_000_000)] {
            admin(&mut w, &mut model, &mut g, Body::Mint { account: AccountId(a), asset, amount });
        }
    }
    let end = p.start + p.days * DAY;
    let mut third_open = false;
    let mut paused = !p.long_pause;
    let mut pause_index = 0;
    while g.time < end {
        g.time = g.gap();
        if !paused && g.time > p.start + p.days * DAY / 2 {
            paused = true;
            g.time += DAY + 3 * HOUR + g.r.range(0, HOUR);
            pause_index = w.journal.len();
        }
        if !third_open && g.time > p.start + DAY + DAY / 3 {
            // A market and a currency of its own, opened on the second day.
            third_open = true;
            admin(&mut w, &mut model, &mut g, asset(SILVER, "SILVER", 0, AssetKind::Currency));
            admin(&mut w, &mut model, &mut g, asset(WOOD, "WOOD", 1, AssetKind::Item));
            admin(&mut w, &mut model, &mut g, market(&defs[2]));
            for a in 1..=ACCOUNTS {
                for (asset, amount) in [(SILVER, 10_000_000_000), (WOOD, 10_000_000_000)] {
                    admin(&mut w, &mut model, &mut g, Body::Mint { account: AccountId(a), asset, amount });
                }
            }
        }
        let open: Vec<usize> = (0..if third_open { 3 } else { 2 }).collect();
        let d = &defs[g.r.pick(&open)];
        let roll = g.r.below(100);
        let actor = g.account();
        let currency = if third_open && g.r.chance(50) { SILVER } else { GOLD };
        let (actor, body) = if roll < 60 {
            let side = if g.r.chance(50) { Side::Buy } else { Side::Sell };
            let price = g.price(d);
            let quantity = g.r.range(1, 20);
            let tif = match g.r.below(10) {
                0..=5 => TimeInForce::Gtc,
                6 | 7 => TimeInForce::Gtd(g.time + g.r.range(1_000, 30 * MIN)),
                _ => TimeInForce::Ioc,
            };
            (actor, Body::Place(OrderRequest { market: MarketId(d.id), side, kind: OrderKind::Limit { price, quantity }, tif, post_only: false }))
        } else if roll < 65 {
            let side = if g.r.chance(50) { Side::Buy } else { Side::Sell };
            let kind = OrderKind::Market(MarketSize::Quantity(g.r.range(1, 15)));
            (actor, Body::Place(OrderRequest { market: MarketId(d.id), side, kind, tif: TimeInForce::Ioc, post_only: false }))
        } else if roll < 83 && !g.resting.is_empty() {
            let ids: Vec<OrderId> = g.resting.keys().copied().collect();
            let order = g.r.pick(&ids);
            let owner = g.resting[&order];
            if roll < 78 {
                (owner, Body::Cancel { order })
            } else {
                let market = w.engine.order(order).expect("a resting order").market.0;
                let price = g.price(&defs[usize::try_from(market - 1).unwrap()]);
                (owner, Body::Modify { order, price, quantity: g.r.range(1, 20) })
            }
        } else if roll < 88 {
            (AccountId::ADMIN, Body::Tick)
        } else if roll < 91 {
            (AccountId::ADMIN, Body::Mint { account: actor, asset: currency, amount: g.r.range(1, 5_000_000) })
        } else if roll < 93 {
            (AccountId::ADMIN, Body::Burn { account: actor, asset: currency, amount: g.r.range(1, 1_000_000) })
        } else if roll < 96 {
            let mid = g.mids[&d.id];
            let condition = match g.r.below(4) {
                0 => AlertCondition::PriceAbove(mid + g.r.range(0, 2 * d.width)),
                1 => AlertCondition::PriceBelow(mid.saturating_sub(g.r.range(0, 2 * d.width)).max(1)),
                2 => AlertCondition::ChangeBeyond(g.r.range(10, 500)),
                _ => {
                    let measures: Vec<Measure> = Measure::ALL.into_iter().filter(|m| m.of_market()).collect();
                    AlertCondition::Spike { measure: g.r.pick(&measures), factor_milli: g.r.range(1_200, 5_000), window_ms: g.r.range(MIN, 3 * HOUR) }
                }
            };
            let spec = AlertSpec { market: MarketId(d.id), condition, for_ms: g.r.range(0, 3) * 5 * MIN, keep_firing_for_ms: g.r.range(0, 3) * 5 * MIN };
            (actor, Body::CreateAlert(spec))
        } else if roll < 98 && !g.alerts.is_empty() {
            let (alert, owner) = g.alerts[usize::try_from(g.r.below(g.alerts.len() as u64)).unwrap()];
            // Now and then by someone else: rejected.
            (if g.r.chance(25) { actor } else { owner }, Body::RemoveAlert { alert })
        } else {
            (actor, Body::CancelAll { market: None })
        };
        let outcome = step(&mut w, &mut model, &mut g, actor, body.clone());
        match body {
            Body::CreateAlert(_) => {
                let Outcome::AlertCreated { alert } = outcome else { panic!("alert refused: {outcome:?}") };
                g.alerts.push((alert, actor));
            }
            Body::RemoveAlert { alert } => {
                let owner = g.alerts.iter().find(|&&(a, _)| a == alert).expect("a live alert").1;
                if actor == owner {
                    assert_eq!(outcome, Outcome::Done);
                    g.alerts.retain(|&(a, _)| a != alert);
                } else {
                    assert_eq!(outcome, Outcome::Rejected(RejectReason::UnknownAlert));
                }
            }
            _ => {}
        }
    }
    assert!(g.boundaries > 20, "the stream landed on boundaries only {} times", g.boundaries);
    (w, model, pause_index)
}

/// Follow resting orders and trade times.
fn track(g: &mut Gen, events: &[Event]) {
    for e in events {
        match e {
            Event::OrderAccepted { order, account, tif, .. } if tif.rests() => {
                g.resting.insert(*order, *account);
            }
            Event::OrderDone { order, .. } => {
                g.resting.remove(order);
            }
            Event::Trade { .. } => g.trade_times.push(g.time),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- checks

fn check_candles(md: &MarketData, model: &Model, trades: usize, now: u64, r: &mut SplitMix64) {
    for &m in model.market_created.keys().filter(|&&m| md.has_market(m)) {
        for interval in Interval::ALL {
            let len = interval.millis();
            let naive = model.candles(trades, m, interval);
            let closed = |c: &Candle| c.open_time + len <= now;
            let got = md.candles(m, interval, None, None, 1_000_000).expect("known market");
            let want: Vec<(Candle, bool)> = naive.iter().map(|c| (*c, closed(c))).collect();
            assert_eq!(got, want, "candles of market {m} {interval:?} at {now}");
            // Windows: start/end at random instants and exactly at open times, various limits.
            let first = naive.first().map_or(0, |c| c.open_time);
            let pick_time = |r: &mut SplitMix64| -> Option<u64> {
                match r.below(4) {
                    0 => None,
                    1 if !naive.is_empty() => Some(naive[usize::try_from(r.below(naive.len() as u64)).unwrap()].open_time),
                    _ => Some(first.saturating_sub(len) + r.below(now - first + 2 * len + 1)),
                }
            };
            for _ in 0..6 {
                let start = pick_time(r);
                let end = pick_time(r);
                let limit = match r.below(4) {
                    0 => 0,
                    1 => 1,
                    2 => usize::try_from(r.range(2, 60)).unwrap(),
                    _ => 100_000,
                };
                let inside: Vec<(Candle, bool)> =
                    want.iter().copied().filter(|(c, _)| start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|e| c.open_time <= e)).collect();
                let expected: Vec<(Candle, bool)> =
                    if start.is_some() { inside.iter().copied().take(limit).collect() } else { inside[inside.len().saturating_sub(limit)..].to_vec() };
                let got = md.candles(m, interval, start, end, limit).expect("known market");
                assert_eq!(got, expected, "candles of market {m} {interval:?} start {start:?} end {end:?} limit {limit} at {now}");
            }
        }
    }
}

fn check_tickers(md: &MarketData, model: &Model, command: usize, last: &BTreeMap<u32, u64>) {
    let rec = &model.recs[command];
    let now = rec.time;
    let trades = &model.trades[..rec.trades_after];
    let start = floor(now.saturating_sub(DAY), MIN);
    let window = &trades[trades.partition_point(|t| t.time < start)..];
    for m in 1..=3 {
        let Some(book) = rec.books.get(&m) else {
            assert!(md.ticker(m).is_none(), "a ticker before market {m} exists");
            continue;
        };
        let t = md.ticker(m).expect("the market exists");
        let mine: Vec<&Trade> = window.iter().filter(|t| t.market == m).collect();
        assert_eq!(t.market, m);
        assert_eq!((t.open_time, t.close_time), (start, now), "market {m} window at {now}");
        assert_eq!(t.open, mine.first().map(|t| t.price), "market {m} open at {now}");
        assert_eq!(t.high, mine.iter().map(|t| t.price).max(), "market {m} high at {now}");
        assert_eq!(t.low, mine.iter().map(|t| t.price).min(), "market {m} low at {now}");
        assert_eq!(t.last, last.get(&m).copied(), "market {m} last at {now}");
        assert_eq!(t.base_volume, mine.iter().map(|t| u128::from(t.lots)).sum::<u128>(), "market {m} volume at {now}");
        assert_eq!(t.quote_volume, mine.iter().map(|t| u128::from(t.notional)).sum::<u128>(), "market {m} quote volume at {now}");
        assert_eq!(t.trades, mine.len() as u64, "market {m} trades at {now}");
        assert_eq!((t.best_bid, t.best_ask), (book.best_bid, book.best_ask), "market {m} best prices at {now}");
    }
}

/// The naive window of one series as `MarketData::history` shows it at `now`.
fn naive_history(model: &Model, now: u64, key: (Subject, Measure)) -> Option<(u64, u64, Vec<Option<i64>>)> {
    let step = model.step;
    let taken = model.taken.partition_point(|&t| t <= now);
    let last = *model.taken[..taken].last()?;
    let values = &model.table[&key][..taken];
    if values.iter().all(Option::is_none) {
        return None; // the series never had a value: it does not exist
    }
    let slots = DAY / step;
    let last_index = last / step;
    let first_index = last_index + 1 - slots.min(last_index + 1);
    let points = (first_index..=last_index)
        .map(|i| {
            let t = i * step;
            model.taken[..taken].binary_search(&t).ok().and_then(|j| values[j])
        })
        .collect();
    Some((first_index * step, step, points))
}

fn check_history(md: &MarketData, model: &Model, now: u64) -> usize {
    let mut compared = 0;
    for key in model.table.keys() {
        let want = naive_history(model, now, *key);
        let got = md.history(key.0, key.1);
        if got != want {
            // Say where, without printing a day of points.
            let (g, w) = (got.as_ref().map(|h| (h.0, h.1, h.2.len())), want.as_ref().map(|h| (h.0, h.1, h.2.len())));
            assert_eq!(g, w, "history of {key:?} at {now}: (first, step, points)");
            let (g, w) = (&got.unwrap().2, &want.unwrap().2);
            let i = (0..g.len()).find(|&i| g[i] != w[i]).unwrap();
            let t = naive_history(model, now, *key).unwrap().0 + i as u64 * model.step;
            panic!("history of {key:?} at {now}: the sample at {t} is {:?}, naively {:?}", g[i], w[i]);
        }
        compared += want.map_or(0, |(_, _, p)| p.iter().flatten().count());
    }
    compared
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-12
}

fn check_ranks(md: &MarketData, model: &Model, now: u64) {
    let name = |s: Subject| match s {
        Subject::Market(m) => model.symbols[&m].clone(),
        Subject::Currency(c) => format!("economy:{}", model.currencies[&c]),
        Subject::Economy => "economy".to_string(),
    };
    for measure in Measure::ALL {
        for by in [RankBy::StdDev, RankBy::CoefficientOfVariation] {
            // Naive: each series' points with a value; population statistics in f64 over
            // exactly centred integers (n·x − Σx), so the reference itself is accurate.
            let mut want: BTreeMap<String, (f64, f64, u32)> = BTreeMap::new();
            for key in model.table.keys().filter(|k| k.1 == measure) {
                let Some((_, _, points)) = naive_history(model, now, *key) else { continue };
                let xs: Vec<i128> = points.into_iter().flatten().map(i128::from).collect();
                if xs.len() < 2 {
                    continue;
                }
                let n = xs.len() as i128;
                let sum: i128 = xs.iter().sum();
                #[allow(clippy::cast_precision_loss)]
                let squares: f64 = xs.iter().map(|&x| ((n * x - sum) as f64).powi(2)).sum();
                #[allow(clippy::cast_precision_loss)]
                let (nf, mean) = (n as f64, sum as f64 / n as f64);
                let sd = (squares / nf).sqrt() / nf;
                let value = match by {
                    RankBy::StdDev => sd,
                    RankBy::CoefficientOfVariation if sum == 0 => continue,
                    RankBy::CoefficientOfVariation => sd / mean.abs(),
                };
                want.insert(name(key.0), (value, mean, u32::try_from(xs.len()).unwrap()));
            }
            let got = md.rank(measure, by);
            let names: BTreeSet<&String> = got.iter().map(|r| &r.name).collect();
            assert_eq!(names, want.keys().collect(), "ranked series of {measure:?} {by:?} at {now}");
            for (i, r) in got.iter().enumerate() {
                let (value, mean, samples) = want[&r.name];
                assert_eq!(r.name, name(r.subject));
                assert_eq!(r.samples, samples, "{} {measure:?}", r.name);
                assert!(close(r.value, value), "{} {measure:?} {by:?}: {} vs naive {value}", r.name, r.value);
                assert!(close(r.mean, mean), "{} {measure:?}: mean {} vs naive {mean}", r.name, r.mean);
                if let Some(next) = got.get(i + 1) {
                    // Most variable first, ties by name; the naive values agree with the order.
                    assert!(r.value > next.value || (r.value == next.value && r.name < next.name), "rank order of {measure:?} {by:?}");
                    let naive_next = want[&next.name].0;
                    assert!(value >= naive_next || close(value, naive_next), "naive order disagrees: {} {value} < {} {naive_next}", r.name, next.name);
                }
            }
        }
    }
}

/// Every candle's close is reported once, at the first command at or after its end, with
/// the candle's final contents.
fn check_closes(model: &Model, outputs: &[(usize, Output)]) {
    let now = *model.times.last().unwrap();
    let mut seen = BTreeSet::new();
    for (command, o) in outputs {
        let Output::Candle { market, interval, candle, closed: true } = o else { continue };
        let len = interval.millis();
        let end = candle.open_time + len;
        let t = model.times[*command];
        assert!(t >= end && (*command == 0 || model.times[command - 1] < end), "close of {market} {interval:?} {} reported at {t}", candle.open_time);
        assert!(seen.insert((*market, *interval, candle.open_time)), "close of {market} {interval:?} {} reported twice", candle.open_time);
    }
    for &m in model.market_created.keys() {
        for interval in Interval::ALL {
            let len = interval.millis();
            let mut all = model.trades.iter().filter(|t| t.market == m).map(|t| floor(t.time, len)).collect::<Vec<_>>();
            all.dedup();
            for open_time in all.into_iter().filter(|&o| o + len <= now) {
                assert!(seen.contains(&(m, interval, open_time)), "close of {m} {interval:?} {open_time} never reported");
            }
        }
    }
    // The closed candles' contents: compare with the naive candles (untrimmed).
    let mut by_key: BTreeMap<(u32, Interval, u64), Candle> = BTreeMap::new();
    for &m in model.market_created.keys() {
        for interval in Interval::ALL {
            let len = interval.millis();
            for t in model.trades.iter().filter(|t| t.market == m) {
                let open_time = floor(t.time, len);
                by_key
                    .entry((m, interval, open_time))
                    .and_modify(|c| {
                        c.high = c.high.max(t.price);
                        c.low = c.low.min(t.price);
                        c.close = t.price;
                        c.base_volume += u128::from(t.lots);
                        c.quote_volume += u128::from(t.notional);
                        c.trades += 1;
                    })
                    .or_insert(Candle {
                        open_time,
                        open: t.price,
                        high: t.price,
                        low: t.price,
                        close: t.price,
                        base_volume: u128::from(t.lots),
                        quote_volume: u128::from(t.notional),
                        trades: 1,
                    });
            }
        }
    }
    for (_, o) in outputs {
        if let Output::Candle { market, interval, candle, closed: true } = o {
            assert_eq!(candle, &by_key[&(*market, *interval, candle.open_time)], "closed candle of {market} {interval:?}");
        }
    }
}

fn run(p: &Params) {
    let (world, mut model, pause_index) = generate(p);
    model.tabulate();
    let config = world.config.clone();
    let trades = model.trades.len();
    let commands = world.journal.len();
    println!(
        "seed {:#x}: {commands} commands, {trades} trades, {} samples, {} player alerts created, {} outputs ({} alert changes)",
        p.seed,
        model.taken.len(),
        world.journal.iter().filter(|(_, c)| matches!(c.body, Body::CreateAlert(_))).count(),
        world.outputs.len(),
        world.outputs.iter().filter(|(_, o)| matches!(o, Output::Alert { .. })).count(),
    );
    assert!(trades > 1_000, "the stream should trade: {trades} trades");

    // Replay into a fresh market data and compare with the naive model along the way.
    let mut r = SplitMix64::new(p.seed ^ 0x00C0_FFEE);
    let mut checkpoints: BTreeSet<usize> = (0..25).map(|_| usize::try_from(r.below(commands as u64)).unwrap()).collect();
    checkpoints.insert(commands - 1);
    if pause_index > 0 {
        checkpoints.extend([pause_index - 1, pause_index, pause_index + 1]);
    }
    let mut engine = entrepot_core::Engine::default();
    let mut md = MarketData::new(&config);
    let mut events = Vec::new();
    let mut outputs = Vec::new();
    let mut last: BTreeMap<u32, u64> = BTreeMap::new();
    let mut compared = 0;
    for (i, (ctx, cmd)) in world.journal.iter().enumerate() {
        events.clear();
        engine.apply(*ctx, cmd, &mut events);
        let mut out = Vec::new();
        md.on_command(ctx.time, &events, &engine, &mut out);
        outputs.extend(out.into_iter().map(|o| (i, o)));
        for e in &events {
            if let Event::Trade { market, price, .. } = e {
                last.insert(market.0, *price);
            }
        }
        check_tickers(&md, &model, i, &last);
        if checkpoints.contains(&i) {
            let now = ctx.time;
            check_candles(&md, &model, model.recs[i].trades_after, now, &mut r);
            compared += check_history(&md, &model, now);
            check_ranks(&md, &model, now);
        }
    }
    println!("  {} checkpoints, {compared} history points compared, tickers after every command", checkpoints.len());
    check_closes(&model, &outputs);

    // 5. Rebuild: byte-identical, outputs identical.
    let live = world.md.encode();
    assert_eq!(md.encode(), live, "a replay rebuilds the market data byte for byte");
    assert_eq!(outputs, world.outputs, "a replay reproduces the outputs");
    // Encode → decode → continue at cut points (random, and around the long pause).
    let mut cuts: BTreeSet<usize> = (0..4).map(|_| usize::try_from(r.range(1, commands as u64 - 1)).unwrap()).collect();
    cuts.extend([0, commands]);
    if pause_index > 0 {
        cuts.extend([pause_index, pause_index + 1]);
    }
    for cut in cuts {
        let (md, outs) = replay(&world.journal, &config, Some(cut));
        assert!(md.encode() == live, "cut at {cut}: the continued state differs from the uninterrupted one");
        let after = |o: &[(usize, Output)]| o.iter().filter(|(i, _)| *i >= cut).cloned().collect::<Vec<_>>();
        assert_eq!(after(&outs), after(&world.outputs), "cut at {cut}: the outputs after the cut differ");
    }
}

#[test]
fn three_days_from_time_zero() {
    run(&Params { seed: 0x5EED_0001, days: 3, start: 12_345, retention: 5_000, long_pause: false });
}

#[test]
fn three_days_later_in_the_game() {
    run(&Params { seed: 0x5EED_0002, days: 3, start: 40 * DAY + 7 * HOUR + 1_234, retention: 5_000, long_pause: false });
}

/// The smallest retention: the one-minute series is trimmed and the ticker still sees its
/// whole window.
#[test]
fn minimum_candle_retention() {
    run(&Params { seed: 0x5EED_0003, days: 3, start: 3 * DAY, retention: 1_441, long_pause: false });
}

/// A pause of more than a day: only the last day's samples are taken, and they describe
/// that day.
#[test]
fn pause_longer_than_a_day() {
    run(&Params { seed: 0x5EED_0004, days: 3, start: 5 * DAY + 59_999, retention: 5_000, long_pause: true });
}
