//! [`MarketData`]: the derived state and the one function that feeds it.

use std::collections::{BTreeMap, BTreeSet};

use entrepot_core::alerts::{AlertCondition, AlertSpec};
use entrepot_core::betting::BetEvent;
use entrepot_core::units::MarketUnits;
use entrepot_core::{AccountId, AssetId, AssetKind, BookTop, Engine, Event, MarketId};
use serde::{Deserialize, Serialize};

use crate::alerts::{self, AlertRule, AlertState, Change, Phase};
use crate::candles::{Candle, Interval, Series as Candles};
use crate::metrics::{sample, History, Measure, Subject};
use crate::rank::{self, RankBy, Ranked};
use crate::ticker::{self, Ticker};

/// The version of [`MarketData::encode`]'s layout (2: a book's top from the engine
/// instead of a copy of its levels).
const FORMAT: u32 = 2;

/// 24 hours of game time: the metric history, the ticker window, the longest alert span.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Configuration (not state: the same journal with another configuration derives other
/// data, so keep it stable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Metric sampling interval (game ms; default one minute). Must divide a day.
    pub sample_ms: u64,
    /// Candles kept per market and interval (default 5,000; at least 1,441, which the
    /// one-minute candles of the ticker's 24 hours need).
    pub candle_retention: usize,
    /// The operator's alert rules.
    pub rules: Vec<AlertRule>,
}

impl Default for Config {
    fn default() -> Self {
        Config { sample_ms: 60_000, candle_retention: 5_000, rules: Vec::new() }
    }
}

impl Config {
    /// Why this configuration cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.sample_ms < 1_000 || !DAY_MS.is_multiple_of(self.sample_ms) {
            return Err(format!("marketdata_sample_ms = {} must be at least 1000 and divide a day", self.sample_ms));
        }
        if self.candle_retention < 1_441 {
            return Err(format!("candle_retention = {} must be at least 1441", self.candle_retention));
        }
        for r in &self.rules {
            let spec = AlertSpec {
                market: MarketId(0),
                condition: AlertCondition::Spike { measure: Measure::Price, factor_milli: r.factor_milli, window_ms: r.window_ms },
                for_ms: r.for_ms,
                keep_firing_for_ms: r.keep_firing_for_ms,
            };
            if !spec.is_valid() || r.window_ms < self.sample_ms {
                return Err(format!("alert rule {:?}: factor must be positive, the window one sample to 24 h, for and keep_firing_for at most 24 h", r.name));
            }
        }
        Ok(())
    }
}

/// What one command changed that someone may be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A candle's interval ended (`closed: true`, once). (`closed: false` is not emitted
    /// by `on_command`: open candles are announced by `Traded`.)
    Candle {
        /// The market.
        market: u32,
        /// The interval.
        interval: Interval,
        /// The candle.
        candle: Candle,
        /// Whether its interval is over.
        closed: bool,
    },
    /// The market's book changed (no trade): its ticker changed.
    Ticker(u32),
    /// The market traded: its open candles ([`MarketData::open_candles`]) and its ticker
    /// changed. (One output, not one per interval: the engine thread's hot path.)
    Traded(u32),
    /// An alert fired or resolved.
    Alert {
        /// Which.
        key: AlertKey,
        /// The metric's name.
        metric: String,
        /// The measure it reads.
        measure: Measure,
        /// The market, for market metrics.
        market: Option<u32>,
        /// The sample that changed it.
        value: Option<i64>,
        /// Fired or resolved.
        change: Change,
        /// The sample's game time.
        at: u64,
    },
}

/// Whose alert.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlertKey {
    /// A player's alert.
    Player {
        /// Its id.
        alert: u64,
        /// Its owner.
        owner: AccountId,
    },
    /// An instance of an operator's rule on one metric.
    Rule {
        /// The rule's name.
        rule: String,
    },
}

/// An alert as queries show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertView {
    /// Whose.
    pub key: AlertKey,
    /// The metric's name.
    pub metric: String,
    /// What it watches (an operator rule shows as a `Spike`).
    pub spec: AlertSpec,
    /// Its state.
    pub state: AlertState,
    /// The latest sample of the measure it reads.
    pub value: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct MarketState {
    symbol: String,
    units: MarketUnits,
    /// One series per interval, in `Interval::ALL` order.
    candles: [Candles; 6],
    /// The book's top and depth as the engine had them after the last command that moved
    /// it (so a sample taken before a command sees the book before it).
    top: BookTop,
    last: Option<u64>,
    /// Lots traded since the last sample.
    volume: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CurrencyState {
    symbol: String,
    /// (minted, burned, fee sink) now and at the last sample.
    totals: (u128, u128, u64),
    sampled: (u128, u128, u64),
    /// Since the last sample.
    stakes: u128,
    payouts: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PlayerAlert {
    owner: AccountId,
    spec: AlertSpec,
    state: AlertState,
}

/// The derived market data (see the crate doc).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketData {
    /// [`FORMAT`] when encoded: a stored copy in another format is rebuilt from the journal.
    format: u32,
    sample_ms: u64,
    retention: usize,
    /// Game time of the last command.
    now: u64,
    /// Game time of the next sample (0: before the first command).
    next_sample: u64,
    markets: BTreeMap<u32, MarketState>,
    currencies: BTreeMap<u32, CurrencyState>,
    /// Accounts active since the last sample (a hash set on the hot path; encoded sorted).
    #[serde(with = "sorted_set")]
    active: AccountSet,
    open_orders: u64,
    history: History,
    /// Open candles by the time they close.
    open: BTreeSet<(u64, u32, Interval)>,
    alerts: BTreeMap<u64, PlayerAlert>,
    /// Operator rule instances that are pending or firing, by (rule, metric).
    rule_states: BTreeMap<(String, String), (Subject, AlertState)>,
    #[serde(skip)]
    rules: Vec<AlertRule>,
    /// Per rule, the subjects whose name matches its pattern (None: to recompute, after a
    /// market or currency appeared).
    #[serde(skip)]
    rule_subjects: Cache<Vec<Vec<Subject>>>,
    /// Scratch of `on_command` (always empty between commands).
    #[serde(skip)]
    touched: Vec<(u32, bool)>,
    #[serde(skip)]
    assets_touched: Vec<u32>,
}

impl MarketData {
    /// Empty (before the journal's first command).
    pub fn new(config: &Config) -> MarketData {
        config.check().expect("a checked market-data configuration");
        let slots = usize::try_from(DAY_MS / config.sample_ms).expect("fits");
        MarketData {
            format: FORMAT,
            sample_ms: config.sample_ms,
            retention: config.candle_retention,
            now: 0,
            next_sample: 0,
            markets: BTreeMap::new(),
            currencies: BTreeMap::new(),
            active: AccountSet::default(),
            open_orders: 0,
            history: History::new(slots),
            open: BTreeSet::new(),
            alerts: BTreeMap::new(),
            rule_states: BTreeMap::new(),
            rules: config.rules.clone(),
            rule_subjects: Cache::default(),
            touched: Vec::new(),
            assets_touched: Vec::new(),
        }
    }

    /// The canonical encoding (a snapshot of the derived state; equal states give equal
    /// bytes).
    pub fn encode(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard()).expect("market data encodes")
    }

    /// The state [`MarketData::encode`] wrote, with this configuration's rules. None when
    /// the bytes do not decode or were made with another sampling interval or retention
    /// (then rebuild from the journal).
    pub fn decode(bytes: &[u8], config: &Config) -> Option<MarketData> {
        let (mut md, _): (MarketData, usize) = bincode::serde::decode_from_slice(bytes, bincode::config::standard()).ok()?;
        if md.format != FORMAT || md.sample_ms != config.sample_ms || md.retention != config.candle_retention {
            return None;
        }
        md.rules = config.rules.clone();
        Some(md)
    }

    /// Feed one command: its game time, its events, and the engine after it.
    pub fn on_command(&mut self, time: u64, events: &[Event], engine: &Engine, out: &mut Vec<Output>) {
        let time = time.max(self.now);
        self.sample_until(time, out);
        self.close_candles(time, out);
        self.now = time;
        // Markets whose ticker changed (trades or book levels), true when they traded (so
        // their open candles changed too), and the currencies whose totals may have moved.
        // Few per command: small vectors, searched linearly, no allocation once grown.
        let mut touched = std::mem::take(&mut self.touched);
        let mut assets = std::mem::take(&mut self.assets_touched);
        for e in events {
            match e {
                Event::AssetCreated { asset } => self.asset_created(*asset, engine),
                Event::MarketCreated { market } => self.market_created(*market, engine),
                Event::Trade { market, price, quantity, maker_account, taker_account, maker_fee, taker_fee, .. } => {
                    self.trade(time, market.0, *price, *quantity);
                    self.active.insert(*maker_account);
                    self.active.insert(*taker_account);
                    mark(&mut touched, market.0, true);
                    if *maker_fee > 0 || *taker_fee > 0 {
                        add_once(&mut assets, engine.market_spec(*market).map(|s| s.quote.0));
                    }
                }
                Event::BookLevel { market, .. } => mark(&mut touched, market.0, false),
                Event::OrderAccepted { account, listing_fee, market, .. } => {
                    self.active.insert(*account);
                    if *listing_fee > 0 {
                        add_once(&mut assets, engine.market_spec(*market).map(|s| s.quote.0));
                    }
                }
                // A relisting fee.
                Event::OrderModified { market, .. } => add_once(&mut assets, engine.market_spec(*market).map(|s| s.quote.0)),
                Event::Minted { asset, .. } | Event::Burned { asset, .. } => add_once(&mut assets, Some(asset.0)),
                // Bets move escrow, never minted, burned or fee totals (group starting cash is
                // minted in group assets, which are not tracked currencies).
                Event::Bet(bet) => self.bet(bet),
                Event::AlertCreated { alert, account, spec } => {
                    self.alerts.insert(*alert, PlayerAlert { owner: *account, spec: *spec, state: AlertState::default() });
                }
                Event::AlertRemoved { alert, .. } => {
                    self.alerts.remove(alert);
                }
                _ => {}
            }
        }
        for &asset in &assets {
            self.refresh_totals(asset, engine);
        }
        self.open_orders = engine.resting_orders() as u64;
        for &(market, traded) in &touched {
            let Some(m) = self.markets.get_mut(&market) else { continue };
            m.top = engine.book_top(MarketId(market));
            out.push(if traded { Output::Traded(market) } else { Output::Ticker(market) });
        }
        touched.clear();
        assets.clear();
        (self.touched, self.assets_touched) = (touched, assets);
    }

    /// The open candles of a market (the newest of each interval, if it is still open),
    /// as an `Output::Traded` says they changed.
    pub fn open_candles(&self, market: u32) -> impl Iterator<Item = (Interval, Candle)> + '_ {
        let now = self.now;
        let m = self.markets.get(&market);
        Interval::ALL.into_iter().filter_map(move |i| m?.candles[i.index()].last().filter(|c| c.open_time == i.floor(now)).map(|&c| (i, c)))
    }

    /// When the next sample is due (the server ticks the engine then).
    pub fn next_sample(&self) -> Option<u64> {
        (self.next_sample > 0).then_some(self.next_sample)
    }

    fn asset_created(&mut self, asset: AssetId, engine: &Engine) {
        if let Some(spec) = engine.asset(asset).filter(|s| s.kind == AssetKind::Currency) {
            let state = CurrencyState { symbol: spec.symbol.clone(), totals: (0, 0, 0), sampled: (0, 0, 0), stakes: 0, payouts: 0 };
            self.currencies.insert(asset.0, state);
            self.rule_subjects.0 = None;
        }
    }

    fn market_created(&mut self, market: MarketId, engine: &Engine) {
        let (Some(spec), Some(units)) = (engine.market_spec(market), engine.market_units(market)) else { return };
        let state = MarketState { symbol: spec.symbol.clone(), units, candles: Default::default(), top: BookTop::default(), last: None, volume: 0 };
        self.markets.insert(market.0, state);
        self.rule_subjects.0 = None;
    }

    fn trade(&mut self, time: u64, market: u32, price: u64, lots: u64) {
        let retention = self.retention;
        let Some(m) = self.markets.get_mut(&market) else { return };
        // The engine refused any trade whose notional does not fit u64.
        let notional = m.units.notional(price, lots).expect("a trade's notional fits u64");
        for interval in Interval::ALL {
            if m.candles[interval.index()].trade(interval, time, price, lots, notional, retention) {
                self.open.insert((interval.floor(time) + interval.millis(), market, interval));
            }
        }
        m.last = Some(price);
        m.volume += u128::from(lots);
    }

    fn bet(&mut self, bet: &BetEvent) {
        match bet {
            BetEvent::BetPlaced { account, asset, stake, .. } => {
                self.active.insert(*account);
                if let Some(c) = self.currencies.get_mut(&asset.0) {
                    c.stakes += u128::from(*stake);
                }
            }
            BetEvent::BetSettled { asset, paid, .. } => {
                if let Some(c) = self.currencies.get_mut(&asset.0) {
                    c.payouts += u128::from(*paid);
                }
            }
            _ => {}
        }
    }

    fn refresh_totals(&mut self, asset: u32, engine: &Engine) {
        if let Some(c) = self.currencies.get_mut(&asset) {
            c.totals = engine.asset_totals(AssetId(asset)).unwrap_or_default();
        }
    }

    /// Emit the close of every candle whose interval ended by `time`.
    fn close_candles(&mut self, time: u64, out: &mut Vec<Output>) {
        while let Some(&(close, market, interval)) = self.open.first() {
            if close > time {
                break;
            }
            self.open.pop_first();
            if let Some(&candle) = self.markets.get(&market).and_then(|m| m.candles[interval.index()].last()) {
                out.push(Output::Candle { market, interval, candle, closed: true });
            }
        }
    }

    /// Take every sample due by `time` (after a long pause, only the last day's).
    fn sample_until(&mut self, time: u64, out: &mut Vec<Output>) {
        let step = self.sample_ms;
        if self.next_sample == 0 {
            self.next_sample = (time / step + 1) * step;
            return;
        }
        if time >= self.next_sample + DAY_MS {
            // The samples up to a day before `time` are skipped. What was counted since the
            // last sample belongs to the first skipped one: drop it, or the first sample kept
            // would report lots, mints and accounts of more than a day ago as its own.
            self.next_sample = (time / step) * step - DAY_MS + step;
            self.start_interval();
        }
        while self.next_sample <= time {
            let at = self.next_sample;
            self.take_sample(at, out);
            self.next_sample += step;
        }
    }

    // Out of line: once a sample interval, and its frame is large (the hot path's is not).
    #[inline(never)]
    fn take_sample(&mut self, at: u64, out: &mut Vec<Output>) {
        let index = at / self.sample_ms;
        for (&id, m) in &self.markets {
            let s = Subject::Market(id);
            let open = ticker::open(at, &m.candles[0]);
            let change = m.last.zip(open).map(|(l, o)| i128::from(l) - i128::from(o));
            let percent = change.zip(open).map(|(c, o)| c * 10_000 / i128::from(o.max(1)));
            let spread = m.top.best_ask.zip(m.top.best_bid).map(|((a, _), (b, _))| i128::from(a) - i128::from(b));
            let (bids, asks) = (m.top.bid_lots, m.top.ask_lots);
            let values = [
                (Measure::Price, m.last.map(i128::from)),
                (Measure::Volume, Some(to_i128(m.volume))),
                (Measure::ChangeAbsolute, change),
                (Measure::ChangePercentage, percent),
                (Measure::Spread, spread),
                (Measure::BidDepth, Some(to_i128(bids))),
                (Measure::AskDepth, Some(to_i128(asks))),
            ];
            for (measure, value) in values {
                self.history.record(s, measure, index, value.map(sample));
            }
        }
        for (&id, c) in &self.currencies {
            let s = Subject::Currency(id);
            let ((minted, burned, fees), (m0, b0, f0)) = (c.totals, c.sampled);
            let values = [
                (Measure::Supply, to_i128(minted) - to_i128(burned)),
                (Measure::Minted, to_i128(minted) - to_i128(m0)),
                (Measure::Burned, to_i128(burned) - to_i128(b0)),
                (Measure::Fees, i128::from(fees) - i128::from(f0)),
                (Measure::Stakes, to_i128(c.stakes)),
                (Measure::Payouts, to_i128(c.payouts)),
            ];
            for (measure, value) in values {
                self.history.record(s, measure, index, Some(sample(value)));
            }
        }
        let active = self.active.len() as i64;
        self.history.record(Subject::Economy, Measure::ActiveAccounts, index, Some(active));
        self.history.record(Subject::Economy, Measure::OpenOrders, index, Some(sample(i128::from(self.open_orders))));
        self.start_interval();
        self.evaluate(at, index, out);
    }

    /// Zero what is counted per sampling interval (volume, mints, burns, fees, stakes,
    /// payouts, active accounts): the next interval starts.
    fn start_interval(&mut self) {
        for m in self.markets.values_mut() {
            m.volume = 0;
        }
        for c in self.currencies.values_mut() {
            c.sampled = c.totals;
            (c.stakes, c.payouts) = (0, 0);
        }
        self.active.clear();
    }

    /// Step every alert at the sample `index` (time `at`).
    fn evaluate(&mut self, at: u64, index: u64, out: &mut Vec<Output>) {
        let step = self.sample_ms;
        // Many alerts read the same series: per (market, measure), the sample now and the
        // sums of the samples before it over 1, 2, ... samples back (extended as far as a
        // spike window asks), read once per sample.
        struct Read<'a> {
            series: Option<&'a crate::metrics::Series>,
            value: Option<i64>,
            sums: Vec<(i128, u32)>,
        }
        let mut reads: std::collections::HashMap<u64, Read<'_>, std::hash::BuildHasherDefault<entrepot_core::IdHasher>> = Default::default();
        for (&id, a) in &mut self.alerts {
            let (market, measure) = (a.spec.market.0, a.spec.measure());
            let read = reads.entry(u64::from(market) << 8 | measure as u64).or_insert_with(|| {
                let series = self.history.get(Subject::Market(market), measure);
                Read { series, value: series.and_then(|s| s.get(index)), sums: Vec::new() }
            });
            let value = read.value;
            let holds = match (a.spec.condition, value) {
                (_, None) => false,
                (AlertCondition::PriceAbove(p), Some(v)) => i128::from(v) > i128::from(p),
                (AlertCondition::PriceBelow(p), Some(v)) => i128::from(v) < i128::from(p),
                (AlertCondition::ChangeBeyond(h), Some(v)) => u128::from(v.unsigned_abs()) > u128::from(h),
                (AlertCondition::Spike { factor_milli, window_ms, .. }, Some(v)) => {
                    let samples = usize::try_from((window_ms / step).min(index)).expect("a day of samples fits usize");
                    let known = read.sums.len();
                    if known < samples {
                        let series = read.series.expect("a series with a value now");
                        let mut acc = read.sums.last().copied().unwrap_or((0, 0));
                        for x in series.before(index - known as u64).take(samples - known) {
                            if let Some(x) = x {
                                acc = (acc.0 + i128::from(x), acc.1 + 1);
                            }
                            read.sums.push(acc);
                        }
                        read.sums.resize(samples, acc);
                    }
                    let (sum, n) = samples.checked_sub(1).map_or((0, 0), |i| read.sums[i]);
                    alerts::spike(v, factor_milli, sum, n)
                }
            };
            if let Some(change) = a.state.step(at, holds, a.spec.for_ms, a.spec.keep_firing_for_ms) {
                let metric = self.markets.get(&market).map_or_else(String::new, |m| m.symbol.clone());
                let key = AlertKey::Player { alert: id, owner: a.owner };
                out.push(Output::Alert { key, metric, measure, market: Some(market), value, change, at });
            }
        }
        self.evaluate_rules(at, index, out);
    }

    /// Step every operator rule on every metric it matches at the sample `index`.
    fn evaluate_rules(&mut self, at: u64, index: u64, out: &mut Vec<Output>) {
        if self.rule_subjects.0.is_none() {
            self.rule_subjects.0 = Some(self.rules.iter().map(|r| self.subjects_matching(&r.metrics)).collect());
        }
        let step = self.sample_ms;
        let matched = self.rule_subjects.0.as_ref().expect("computed above");
        for (rule, subjects) in self.rules.iter().zip(matched) {
            // The instances of this rule that are pending or firing (few): only those and
            // the ones that start to hold now need the metric's name.
            let active: Vec<Subject> =
                self.rule_states.range((rule.name.clone(), String::new())..).take_while(|((r, _), _)| *r == rule.name).map(|(_, (s, _))| *s).collect();
            for &subject in subjects {
                let Some(series) = self.history.get(subject, rule.measure) else { continue };
                let value = series.get(index);
                let window = usize::try_from(rule.window_ms / step).expect("a day of samples fits usize");
                let holds = value.is_some_and(|v| {
                    let (sum, n) = series.sum_before(index, window);
                    alerts::spike(v, rule.factor_milli, sum, n)
                });
                if !holds && !active.contains(&subject) {
                    continue;
                }
                let key = (rule.name.clone(), name_of(&self.markets, &self.currencies, subject));
                let state = &mut self.rule_states.entry(key.clone()).or_insert((subject, AlertState::default())).1;
                let change = state.step(at, holds, rule.for_ms, rule.keep_firing_for_ms);
                if state.phase == Phase::Inactive {
                    self.rule_states.remove(&key);
                }
                if let Some(change) = change {
                    let market = match subject {
                        Subject::Market(m) => Some(m),
                        _ => None,
                    };
                    out.push(Output::Alert {
                        key: AlertKey::Rule { rule: rule.name.clone() },
                        metric: key.1,
                        measure: rule.measure,
                        market,
                        value,
                        change,
                        at,
                    });
                }
            }
        }
    }

    /// Every market, currency and the game whose metric name matches `pattern`, in the
    /// history's order.
    fn subjects_matching(&self, pattern: &str) -> Vec<Subject> {
        let all = self.markets.keys().map(|&m| Subject::Market(m)).chain(self.currencies.keys().map(|&c| Subject::Currency(c))).chain([Subject::Economy]);
        all.filter(|&s| alerts::matches(pattern, &self.name(s))).collect()
    }

    // ---- queries ----

    /// Game time of the last command.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The sampling interval (game ms).
    pub fn sample_ms(&self) -> u64 {
        self.sample_ms
    }

    /// Whether the market is known.
    pub fn has_market(&self, market: u32) -> bool {
        self.markets.contains_key(&market)
    }

    /// Candles of a market (see `candles::Series::query`), each with whether it is closed.
    pub fn candles(&self, market: u32, interval: Interval, start: Option<u64>, end: Option<u64>, limit: usize) -> Option<Vec<(Candle, bool)>> {
        let m = self.markets.get(&market)?;
        let now = self.now;
        Some(m.candles[interval.index()].query(start, end, limit).into_iter().map(|c| (c, c.open_time + interval.millis() <= now)).collect())
    }

    /// The rolling 24-hour ticker of a market.
    pub fn ticker(&self, market: u32) -> Option<Ticker> {
        let m = self.markets.get(&market)?;
        Some(ticker::compute(market, self.now, &m.candles[0], m.last, &m.top))
    }

    /// Every market's id, ascending.
    pub fn markets(&self) -> impl Iterator<Item = u32> + '_ {
        self.markets.keys().copied()
    }

    /// A metric's name.
    pub fn name(&self, subject: Subject) -> String {
        name_of(&self.markets, &self.currencies, subject)
    }

    /// The metric called `name`.
    pub fn subject(&self, name: &str) -> Option<Subject> {
        if name == "economy" {
            return Some(Subject::Economy);
        }
        if let Some(symbol) = name.strip_prefix("economy:") {
            return self.currencies.iter().find(|(_, c)| c.symbol == symbol).map(|(&id, _)| Subject::Currency(id));
        }
        self.markets.iter().find(|(_, m)| m.symbol == name).map(|(&id, _)| Subject::Market(id))
    }

    /// Metrics with a sample in the last 24 hours and their measures, by name.
    pub fn metrics(&self) -> Vec<(String, Vec<Measure>)> {
        let mut by: BTreeMap<String, Vec<Measure>> = BTreeMap::new();
        for (&(subject, measure), series) in self.history.iter() {
            if series.count() > 0 {
                by.entry(self.name(subject)).or_default().push(measure);
            }
        }
        by.into_iter().collect()
    }

    /// The last 24 hours of one series: (time of the first point, step, points oldest
    /// first; `None` where the interval has no sample).
    pub fn history(&self, subject: Subject, measure: Measure) -> Option<(u64, u64, Vec<Option<i64>>)> {
        let last = self.next_sample.checked_sub(self.sample_ms).filter(|&t| t > 0)? / self.sample_ms;
        let series = self.history.get(subject, measure)?;
        let points: Vec<Option<i64>> = series.window(last);
        let first = last + 1 - points.len() as u64;
        Some((first * self.sample_ms, self.sample_ms, points))
    }

    /// Every series of `measure`, most variable first.
    pub fn rank(&self, measure: Measure, by: RankBy) -> Vec<Ranked> {
        rank::rank(&self.history, measure, by, |s| self.name(s))
    }

    /// A player's alerts, by id.
    pub fn alerts_of(&self, owner: AccountId) -> Vec<AlertView> {
        self.alerts.iter().filter(|(_, a)| a.owner == owner).map(|(&id, a)| self.player_view(id, a)).collect()
    }

    /// Every alert that is pending or firing: players' then the operator's rules.
    pub fn active_alerts(&self) -> Vec<AlertView> {
        let players = self.alerts.iter().filter(|(_, a)| a.state.phase != Phase::Inactive).map(|(&id, a)| self.player_view(id, a));
        let rules = self.rule_states.iter().filter_map(|((rule, metric), (subject, state))| {
            let r = self.rules.iter().find(|r| &r.name == rule)?;
            let market = match subject {
                Subject::Market(m) => MarketId(*m),
                _ => MarketId(0),
            };
            let spec = AlertSpec {
                market,
                condition: AlertCondition::Spike { measure: r.measure, factor_milli: r.factor_milli, window_ms: r.window_ms },
                for_ms: r.for_ms,
                keep_firing_for_ms: r.keep_firing_for_ms,
            };
            Some(AlertView { key: AlertKey::Rule { rule: rule.clone() }, metric: metric.clone(), spec, state: *state, value: self.latest(*subject, r.measure) })
        });
        players.chain(rules).collect()
    }

    fn player_view(&self, id: u64, a: &PlayerAlert) -> AlertView {
        let subject = Subject::Market(a.spec.market.0);
        AlertView {
            key: AlertKey::Player { alert: id, owner: a.owner },
            metric: self.name(subject),
            spec: a.spec,
            state: a.state,
            value: self.latest(subject, a.spec.measure()),
        }
    }

    /// The latest sample of a series (None: a gap, or no sample yet).
    fn latest(&self, subject: Subject, measure: Measure) -> Option<i64> {
        let last = self.next_sample.checked_sub(self.sample_ms).filter(|&t| t > 0)? / self.sample_ms;
        self.history.get(subject, measure)?.get(last)
    }
}

/// A value derived from the rest of the state and kept for speed: never encoded, not part
/// of equality, rebuilt when `None`.
#[derive(Clone, Debug)]
struct Cache<T>(Option<T>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(None)
    }
}

impl<T> PartialEq for Cache<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Cache<T> {}

fn name_of(markets: &BTreeMap<u32, MarketState>, currencies: &BTreeMap<u32, CurrencyState>, subject: Subject) -> String {
    match subject {
        Subject::Market(m) => markets.get(&m).map_or_else(|| format!("market:{m}"), |m| m.symbol.clone()),
        Subject::Currency(c) => format!("economy:{}", currencies.get(&c).map_or_else(|| c.to_string(), |c| c.symbol.clone())),
        Subject::Economy => "economy".into(),
    }
}

/// Note a market as touched (traded: its candles changed too).
fn mark(touched: &mut Vec<(u32, bool)>, market: u32, traded: bool) {
    match touched.iter_mut().find(|(m, _)| *m == market) {
        Some((_, t)) => *t |= traded,
        None => touched.push((market, traded)),
    }
}

fn add_once(assets: &mut Vec<u32>, asset: Option<u32>) {
    if let Some(a) = asset.filter(|a| !assets.contains(a)) {
        assets.push(a);
    }
}

/// Accounts, hashed with the engine's fixed id hasher (lookups only, never iterated into a
/// result: the count is what is sampled, and the encoding sorts them).
type AccountSet = std::collections::HashSet<AccountId, std::hash::BuildHasherDefault<entrepot_core::IdHasher>>;

/// Encode an [`AccountSet`] sorted, so equal sets give equal bytes.
mod sorted_set {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::AccountSet;
    use entrepot_core::AccountId;

    pub fn serialize<S: Serializer>(set: &AccountSet, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<AccountId> = set.iter().copied().collect();
        sorted.sort_unstable();
        sorted.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AccountSet, D::Error> {
        Ok(Vec::<AccountId>::deserialize(d)?.into_iter().collect())
    }
}

fn to_i128(x: u128) -> i128 {
    i128::try_from(x).unwrap_or(i128::MAX)
}
