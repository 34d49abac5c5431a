//! Market data on the wire: requests checked field by field (a typed error naming the
//! field, nothing stored), the derived data (`entrepot-marketdata`, kept by the engine
//! thread) converted from engine units to exact decimals, and its outputs turned into
//! pushes (candle topics), ticker frames (conflated by the engine thread, at most one per
//! market per second) and price-alert notifier events.

use entrepot_core::alerts::{AlertCondition, AlertSpec, Measure as CoreMeasure, MAX_ALERT_SPAN_MS, MIN_ALERT_WINDOW_MS};
use entrepot_core::{AccountId, Engine, Event, MarketId};
use entrepot_marketdata::{self as md, AlertKey, AlertView, Change, MarketData, Output, Phase, Subject};
use entrepot_plugins::{AlertState, NotifyEvent, PriceAlert};
use entrepot_protocol as wire;
use entrepot_protocol::{ApiError, ErrorCode, PushEvent, Response, Topic, PAGE_MAX};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use entrepot_store::{JournalEntry, Recovered, Store, StoreError};

use crate::config::Config;
use crate::convert::Route;

/// Candles answered when a request names no limit.
pub const CANDLES_DEFAULT: u32 = 500;
/// The most candles one answer carries.
pub const CANDLES_MAX: u32 = 1000;

/// The derived-data configuration from the server's.
pub fn config(c: &Config) -> anyhow::Result<md::Config> {
    let rules = c
        .alert_rules
        .iter()
        .map(|r| {
            let measure = CoreMeasure::parse(&r.measure).ok_or_else(|| anyhow::anyhow!("alert rule {:?}: unknown measure {:?}", r.name, r.measure))?;
            let factor_milli = milli(r.factor).ok_or_else(|| anyhow::anyhow!("alert rule {:?}: factor must be positive with at most 3 decimals", r.name))?;
            Ok(md::AlertRule {
                name: r.name.clone(),
                metrics: r.metrics.clone(),
                measure,
                factor_milli,
                window_ms: r.window_ms,
                for_ms: r.for_ms,
                keep_firing_for_ms: r.keep_firing_for_ms,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = md::Config { sample_ms: c.marketdata_sample_ms, candle_retention: c.candle_retention, rules };
    config.check().map_err(|e| anyhow::anyhow!(e))?;
    Ok(config)
}

fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError { code: ErrorCode::InvalidArgument, reason: name.into(), message: message.into(), retry_after_ms: None }
}

fn unknown_market(market: u32) -> ApiError {
    ApiError { code: ErrorCode::NotFound, reason: "market".into(), message: format!("no market {market}"), retry_after_ms: None }
}

/// A positive decimal with at most three places as thousandths.
fn milli(x: Decimal) -> Option<u64> {
    let m = x.checked_mul(Decimal::from(1000))?;
    (m > Decimal::ZERO && m.fract().is_zero()).then(|| u64::try_from(m.mantissa() / 10i128.pow(m.scale())).ok()).flatten()
}

pub fn interval_in(i: wire::Interval) -> md::Interval {
    match i {
        wire::Interval::M1 => md::Interval::M1,
        wire::Interval::M5 => md::Interval::M5,
        wire::Interval::M15 => md::Interval::M15,
        wire::Interval::H1 => md::Interval::H1,
        wire::Interval::H4 => md::Interval::H4,
        wire::Interval::D1 => md::Interval::D1,
    }
}

pub fn interval_out(i: md::Interval) -> wire::Interval {
    match i {
        md::Interval::M1 => wire::Interval::M1,
        md::Interval::M5 => wire::Interval::M5,
        md::Interval::M15 => wire::Interval::M15,
        md::Interval::H1 => wire::Interval::H1,
        md::Interval::H4 => wire::Interval::H4,
        md::Interval::D1 => wire::Interval::D1,
    }
}

/// The wire's measure as the core's (exhaustive both ways: a measure added on one side and
/// not the other does not compile).
pub fn measure_in(m: wire::Measure) -> CoreMeasure {
    use wire::Measure as W;
    match m {
        W::Price => CoreMeasure::Price,
        W::Volume => CoreMeasure::Volume,
        W::ChangeAbsolute => CoreMeasure::ChangeAbsolute,
        W::ChangePercentage => CoreMeasure::ChangePercentage,
        W::Spread => CoreMeasure::Spread,
        W::BidDepth => CoreMeasure::BidDepth,
        W::AskDepth => CoreMeasure::AskDepth,
        W::Supply => CoreMeasure::Supply,
        W::Minted => CoreMeasure::Minted,
        W::Burned => CoreMeasure::Burned,
        W::Fees => CoreMeasure::Fees,
        W::Stakes => CoreMeasure::Stakes,
        W::Payouts => CoreMeasure::Payouts,
        W::ActiveAccounts => CoreMeasure::ActiveAccounts,
        W::OpenOrders => CoreMeasure::OpenOrders,
    }
}

pub fn measure_out(m: CoreMeasure) -> wire::Measure {
    use wire::Measure as W;
    match m {
        CoreMeasure::Price => W::Price,
        CoreMeasure::Volume => W::Volume,
        CoreMeasure::ChangeAbsolute => W::ChangeAbsolute,
        CoreMeasure::ChangePercentage => W::ChangePercentage,
        CoreMeasure::Spread => W::Spread,
        CoreMeasure::BidDepth => W::BidDepth,
        CoreMeasure::AskDepth => W::AskDepth,
        CoreMeasure::Supply => W::Supply,
        CoreMeasure::Minted => W::Minted,
        CoreMeasure::Burned => W::Burned,
        CoreMeasure::Fees => W::Fees,
        CoreMeasure::Stakes => W::Stakes,
        CoreMeasure::Payouts => W::Payouts,
        CoreMeasure::ActiveAccounts => W::ActiveAccounts,
        CoreMeasure::OpenOrders => W::OpenOrders,
    }
}

/// What one unit of a stored sample is worth, in the metric's decimal unit.
fn unit(engine: &Engine, subject: Subject, measure: CoreMeasure) -> Decimal {
    match subject {
        Subject::Market(m) => {
            let Some(spec) = engine.market_spec(MarketId(m)) else { return Decimal::ONE };
            match measure {
                CoreMeasure::Price | CoreMeasure::ChangeAbsolute | CoreMeasure::Spread => spec.tick,
                CoreMeasure::Volume | CoreMeasure::BidDepth | CoreMeasure::AskDepth => spec.lot,
                CoreMeasure::ChangePercentage => Decimal::new(1, 2),
                _ => Decimal::ONE,
            }
        }
        Subject::Currency(a) => engine.asset(entrepot_core::AssetId(a)).map_or(Decimal::ONE, |s| Decimal::new(1, u32::from(s.decimals))),
        Subject::Economy => Decimal::ONE,
    }
}

fn value_out(engine: &Engine, subject: Subject, measure: CoreMeasure, v: i64) -> Decimal {
    // Saturates rather than panics: this runs on the engine thread, and an operator may
    // choose any tick or lot.
    Decimal::from(v).checked_mul(unit(engine, subject, measure)).unwrap_or(if v < 0 { Decimal::MIN } else { Decimal::MAX }).normalize()
}

fn wide(x: u128, step: Decimal) -> Decimal {
    Decimal::from_u128(x).map_or(Decimal::MAX, |x| x.checked_mul(step).unwrap_or(Decimal::MAX)).normalize()
}

/// A candle in decimals.
pub fn candle_out(engine: &Engine, market: u32, c: &md::Candle, interval: md::Interval, closed: bool) -> wire::CandleInfo {
    let spec = engine.market_spec(MarketId(market)).expect("a candle's market exists");
    let quote = engine.asset(spec.quote).map_or(0, |a| a.decimals);
    let price = |t: u64| wide(u128::from(t), spec.tick);
    wire::CandleInfo {
        open_time_ms: c.open_time,
        close_time_ms: c.open_time + interval.millis() - 1,
        open: price(c.open),
        high: price(c.high),
        low: price(c.low),
        close: price(c.close),
        base_volume: wide(c.base_volume, spec.lot),
        quote_volume: wide(c.quote_volume, Decimal::new(1, u32::from(quote))),
        trades: c.trades,
        closed,
    }
}

/// A market's rolling 24-hour ticker in decimals.
pub fn ticker_out(engine: &Engine, data: &MarketData, market: u32) -> Option<wire::TickerInfo> {
    let t = data.ticker(market)?;
    let spec = engine.market_spec(MarketId(market))?;
    let quote = engine.asset(spec.quote).map_or(0, |a| a.decimals);
    let price = |p: u64| wide(u128::from(p), spec.tick);
    let level = |(p, q): (u64, u64)| (price(p), wide(u128::from(q), spec.lot));
    let (base, quote_volume) = (wide(t.base_volume, spec.lot), wide(t.quote_volume, Decimal::new(1, u32::from(quote))));
    let change = t.last.zip(t.open).map(|(l, o)| (Decimal::from(l) - Decimal::from(o)).checked_mul(spec.tick).unwrap_or(Decimal::MAX).normalize());
    let change_percent =
        t.last.zip(t.open).map(|(l, o)| ((Decimal::from(l) - Decimal::from(o)) * Decimal::ONE_HUNDRED / Decimal::from(o.max(1))).round_dp(4).normalize());
    let vwap = (!base.is_zero()).then(|| quote_volume.checked_div(base).map(|v| v.round_dp(spec.tick.scale() + 4).normalize())).flatten();
    Some(wire::TickerInfo {
        market,
        symbol: spec.symbol.clone(),
        open_time_ms: t.open_time,
        close_time_ms: t.close_time,
        open: t.open.map(price),
        high: t.high.map(price),
        low: t.low.map(price),
        last: t.last.map(price),
        change,
        change_percent,
        vwap,
        base_volume: base,
        quote_volume,
        trades: t.trades,
        best_bid: t.best_bid.map(level),
        best_ask: t.best_ask.map(level),
    })
}

/// `Candles`: checked, then answered oldest first with the open candle last.
pub fn candles(
    engine: &Engine,
    data: &MarketData,
    market: u32,
    interval: wire::Interval,
    start: Option<u64>,
    end: Option<u64>,
    limit: Option<u32>,
) -> Result<Response, ApiError> {
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(field("start_ms", "start_ms is after end_ms"));
        }
    }
    let limit = limit.unwrap_or(CANDLES_DEFAULT);
    if !(1..=CANDLES_MAX).contains(&limit) {
        return Err(field("limit", format!("limit must be 1 to {CANDLES_MAX}")));
    }
    let i = interval_in(interval);
    let list = data.candles(market, i, start, end, limit as usize).ok_or_else(|| unknown_market(market))?;
    let candles = list.iter().map(|(c, closed)| candle_out(engine, market, c, i, *closed)).collect();
    Ok(Response::Candles { market, interval, candles })
}

/// `Ticker`: one market, or every market (at most `PAGE_MAX`).
pub fn tickers(engine: &Engine, data: &MarketData, market: Option<u32>) -> Result<Response, ApiError> {
    let list = match market {
        Some(m) => vec![ticker_out(engine, data, m).ok_or_else(|| unknown_market(m))?],
        None => data.markets().take(PAGE_MAX as usize).filter_map(|m| ticker_out(engine, data, m)).collect(),
    };
    Ok(Response::Tickers(list))
}

/// `Metrics`: names after `after`, at most `limit`.
pub fn metrics(data: &MarketData, after: Option<String>, limit: u32) -> Result<Response, ApiError> {
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(field("limit", format!("limit must be 1 to {PAGE_MAX}")));
    }
    let all = data.metrics();
    let from = after.map_or(0, |a| all.partition_point(|(n, _)| *n <= a));
    let page: Vec<wire::MetricInfo> = all[from..]
        .iter()
        .take(limit as usize)
        .map(|(n, ms)| wire::MetricInfo { metric: n.clone(), measures: ms.iter().map(|&m| measure_out(m)).collect() })
        .collect();
    let next = (from + page.len() < all.len()).then(|| page.last().map(|m| m.metric.clone())).flatten();
    Ok(Response::Metrics { metrics: page, next })
}

fn subject(data: &MarketData, metric: &str, measure: CoreMeasure) -> Result<Subject, ApiError> {
    let s = data.subject(metric).ok_or_else(|| field("metric", format!("no metric {metric:?}")))?;
    let fits = match s {
        Subject::Market(_) => measure.of_market(),
        Subject::Currency(_) => !measure.of_market() && !matches!(measure, CoreMeasure::ActiveAccounts | CoreMeasure::OpenOrders),
        Subject::Economy => matches!(measure, CoreMeasure::ActiveAccounts | CoreMeasure::OpenOrders),
    };
    if fits {
        Ok(s)
    } else {
        Err(field("measure", format!("{metric} has no measure {}", measure.name())))
    }
}

/// The most points one `MetricHistory` answer carries: a day at the default one-minute
/// sampling (with a shorter interval, the newest this many samples).
pub const HISTORY_MAX_POINTS: usize = 1440;

/// `MetricHistory`: the last 24 hours, one point per sample, `None` where none.
pub fn history(engine: &Engine, data: &MarketData, metric: String, measure: wire::Measure) -> Result<Response, ApiError> {
    let m = measure_in(measure);
    let s = subject(data, &metric, m)?;
    let (mut start_ms, step_ms, mut points) = match data.history(s, m) {
        Some(h) => h,
        None => (data.now(), data.sample_ms(), Vec::new()),
    };
    if points.len() > HISTORY_MAX_POINTS {
        let cut = points.len() - HISTORY_MAX_POINTS;
        points.drain(..cut);
        start_ms += cut as u64 * step_ms;
    }
    let points = points.into_iter().map(|p| p.map(|v| value_out(engine, s, m, v))).collect();
    Ok(Response::MetricHistory { metric, measure, start_ms, step_ms, points })
}

/// `MetricRank`: one page of the ranking.
pub fn rank(engine: &Engine, data: &MarketData, measure: wire::Measure, by: wire::RankBy, offset: u32, limit: u32) -> Result<Response, ApiError> {
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(field("limit", format!("limit must be 1 to {PAGE_MAX}")));
    }
    let m = measure_in(measure);
    let how = match by {
        wire::RankBy::StdDev => md::RankBy::StdDev,
        wire::RankBy::CoefficientOfVariation => md::RankBy::CoefficientOfVariation,
    };
    let ranked = data.rank(m, how);
    let total = u32::try_from(ranked.len()).unwrap_or(u32::MAX);
    let float = |x: f64, unit: Decimal, places: u32| {
        Decimal::from_f64(x).map_or(Decimal::ZERO, |d| d.checked_mul(unit).unwrap_or(Decimal::MAX).round_dp(places).normalize())
    };
    let entries = ranked
        .iter()
        .enumerate()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(i, r)| {
            let u = unit(engine, r.subject, m);
            let value = match how {
                md::RankBy::StdDev => float(r.value, u, u.scale() + 4),
                md::RankBy::CoefficientOfVariation => float(r.value, Decimal::ONE, 6),
            };
            wire::RankEntry {
                rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                metric: r.name.clone(),
                value,
                mean: float(r.mean, u, u.scale() + 4),
                samples: r.samples,
            }
        })
        .collect();
    Ok(Response::MetricRank { measure, by, total, entries })
}

/// A player's alert definition in engine units, each field checked.
pub fn alert_in(engine: &Engine, sample_ms: u64, def: &wire::AlertDef) -> Result<AlertSpec, ApiError> {
    let market = MarketId(def.market);
    let units = engine.market_units(market).ok_or_else(|| unknown_market(def.market))?;
    let price =
        |p: Decimal| units.price_to_ticks(p).ok().filter(|&t| t > 0).ok_or_else(|| field("price", "the price must be positive and a whole number of ticks"));
    let condition = match def.condition {
        wire::AlertCondition::PriceAbove(p) => AlertCondition::PriceAbove(price(p)?),
        wire::AlertCondition::PriceBelow(p) => AlertCondition::PriceBelow(price(p)?),
        wire::AlertCondition::ChangeBeyond(pct) => {
            let h = pct.checked_mul(Decimal::ONE_HUNDRED).filter(|h| *h > Decimal::ZERO && h.fract().is_zero() && *h <= Decimal::from(1_000_000_000u64));
            let h = h
                .and_then(|h| u64::try_from(h.mantissa() / 10i128.pow(h.scale())).ok())
                .ok_or_else(|| field("percent", "the percent must be positive with at most 2 decimals"))?;
            AlertCondition::ChangeBeyond(h)
        }
        wire::AlertCondition::Spike { measure, factor, window_ms } => {
            let measure = measure_in(measure);
            if !measure.of_market() {
                return Err(field("measure", format!("{} is not a market measure", measure.name())));
            }
            let factor_milli = milli(factor)
                .filter(|&f| f <= entrepot_core::alerts::MAX_ALERT_FACTOR_MILLI)
                .ok_or_else(|| field("factor", "the factor must be positive with at most 3 decimals"))?;
            if !(MIN_ALERT_WINDOW_MS.max(sample_ms)..=MAX_ALERT_SPAN_MS).contains(&window_ms) {
                return Err(field("window_ms", format!("the window must be {sample_ms} ms (one sample) to 24 hours (the metric history)")));
            }
            AlertCondition::Spike { measure, factor_milli, window_ms }
        }
    };
    if def.for_ms > MAX_ALERT_SPAN_MS {
        return Err(field("for_ms", "for_ms is at most 24 hours"));
    }
    if def.keep_firing_for_ms > MAX_ALERT_SPAN_MS {
        return Err(field("keep_firing_for_ms", "keep_firing_for_ms is at most 24 hours"));
    }
    let spec = AlertSpec { market, condition, for_ms: def.for_ms, keep_firing_for_ms: def.keep_firing_for_ms };
    debug_assert!(spec.is_valid());
    Ok(spec)
}

fn condition_out(engine: &Engine, spec: &AlertSpec) -> wire::AlertCondition {
    let price = |t: u64| engine.market_units(spec.market).map_or(Decimal::from(t), |u| u.ticks_to_price(t).normalize());
    match spec.condition {
        AlertCondition::PriceAbove(t) => wire::AlertCondition::PriceAbove(price(t)),
        AlertCondition::PriceBelow(t) => wire::AlertCondition::PriceBelow(price(t)),
        AlertCondition::ChangeBeyond(h) => wire::AlertCondition::ChangeBeyond(Decimal::new(i64::try_from(h).unwrap_or(i64::MAX), 2).normalize()),
        AlertCondition::Spike { measure, factor_milli, window_ms } => wire::AlertCondition::Spike {
            measure: measure_out(measure),
            factor: Decimal::new(i64::try_from(factor_milli).unwrap_or(i64::MAX), 3).normalize(),
            window_ms,
        },
    }
}

/// An alert as a query shows it.
pub fn alert_out(engine: &Engine, data: &MarketData, v: &AlertView) -> wire::AlertInfo {
    let (alert, owner, rule) = match &v.key {
        AlertKey::Player { alert, owner } => (*alert, owner.0, String::new()),
        AlertKey::Rule { rule } => (0, 0, rule.clone()),
    };
    let measure = v.spec.measure();
    let subject = data.subject(&v.metric).unwrap_or(Subject::Market(v.spec.market.0));
    let (state, since_ms) = match v.state.phase {
        Phase::Inactive => (wire::AlertState::Inactive, None),
        Phase::Pending { since } => (wire::AlertState::Pending, Some(since)),
        Phase::Firing { since, .. } => (wire::AlertState::Firing, Some(since)),
    };
    wire::AlertInfo {
        alert,
        owner,
        rule,
        metric: v.metric.clone(),
        measure: measure_out(measure),
        condition: condition_out(engine, &v.spec),
        for_ms: v.spec.for_ms,
        keep_firing_for_ms: v.spec.keep_firing_for_ms,
        state,
        since_ms,
        value: v.value.map(|x| value_out(engine, subject, measure, x)),
    }
}

/// A player's own alerts.
pub fn alerts_of(engine: &Engine, data: &MarketData, owner: AccountId) -> Response {
    Response::Alerts(data.alerts_of(owner).iter().map(|v| alert_out(engine, data, v)).collect())
}

/// Every pending or firing alert (the operator's view).
pub fn active_alerts(engine: &Engine, data: &MarketData) -> Response {
    Response::Alerts(data.active_alerts().iter().take(PAGE_MAX as usize).map(|v| alert_out(engine, data, v)).collect())
}

/// What a command's alert changes tell players.
#[derive(Default)]
pub struct Alerts {
    /// `price-alert` notifier events of player alerts that fired or resolved (notifier
    /// plugins word them for both channels).
    pub events: Vec<NotifyEvent>,
}

/// One command's market-data outputs: candle pushes (cursor: the command's seq), the
/// markets whose ticker changed, and what player alerts that fired or resolved tell their
/// owners. Operator rules are logged.
pub fn outputs(
    engine: &Engine,
    data: &MarketData,
    outputs: &[Output],
    seq: u64,
    pushes: &mut Vec<(Route, PushEvent)>,
    dirty: &mut std::collections::BTreeSet<u32>,
) -> Alerts {
    let mut alerts = Alerts::default();
    for o in outputs {
        match o {
            Output::Candle { market, interval, candle, closed } => {
                let wire_interval = interval_out(*interval);
                let info = candle_out(engine, *market, candle, *interval, *closed);
                let topic = Topic::Candles { market: *market, interval: wire_interval };
                pushes.push((Route::Topic(topic, seq), PushEvent::Candle { market: *market, interval: wire_interval, candle: info }));
            }
            Output::Ticker(m) => {
                dirty.insert(*m);
            }
            Output::Traded(m) => {
                dirty.insert(*m);
                for (interval, candle) in data.open_candles(*m) {
                    let wire_interval = interval_out(interval);
                    let info = candle_out(engine, *m, &candle, interval, false);
                    let topic = Topic::Candles { market: *m, interval: wire_interval };
                    pushes.push((Route::Topic(topic, seq), PushEvent::Candle { market: *m, interval: wire_interval, candle: info }));
                }
            }
            Output::Alert { key, metric, measure, market, value, change, at } => {
                let shown = value.zip(*market).map(|(v, m)| value_out(engine, Subject::Market(m), *measure, v).to_string()).unwrap_or_default();
                match key {
                    AlertKey::Player { alert, owner } => {
                        tracing::info!(alert, account = owner.0, metric, measure = measure.name(), value = %shown, at, change = ?change, "player alert");
                        // Player alerts are always on a market.
                        if let Some(m) = market {
                            let condition = engine.alerts().iter().find(|(id, _, _)| id == alert).map(|(_, _, s)| s.condition);
                            // Above the alert's level (a fired price-above or spike alert, a
                            // resolved price-below one) or, for a change, rose; a gap is neither.
                            let rising = value.is_some_and(|v| match condition {
                                Some(AlertCondition::PriceAbove(p)) => i128::from(v) > i128::from(p),
                                Some(AlertCondition::PriceBelow(p)) => i128::from(v) >= i128::from(p),
                                Some(AlertCondition::Spike { .. }) => *change == Change::Fired,
                                Some(AlertCondition::ChangeBeyond(_)) | None => v >= 0,
                            });
                            let state = match change {
                                Change::Fired => AlertState::Fired,
                                Change::Resolved => AlertState::Resolved,
                            };
                            alerts.events.push(NotifyEvent::PriceAlert(PriceAlert {
                                account: owner.0,
                                alert: *alert,
                                market: *m,
                                symbol: metric.clone(),
                                measure: measure.name().to_owned(),
                                value: shown,
                                rising,
                                state,
                            }));
                        }
                    }
                    AlertKey::Rule { rule } => tracing::warn!(rule, metric, measure = measure.name(), value = ?value, at, change = ?change, "operator alert"),
                }
            }
        }
    }
    alerts
}

/// Ticker pushes for the markets in `dirty`: each on its own topic and on the all-markets
/// one.
pub fn ticker_pushes(engine: &Engine, data: &MarketData, dirty: &std::collections::BTreeSet<u32>, seq: u64) -> Vec<(Route, PushEvent)> {
    let mut out = Vec::new();
    for &m in dirty {
        if let Some(t) = ticker_out(engine, data, m) {
            out.push((Route::Topic(Topic::Ticker(Some(m)), seq), PushEvent::Ticker(t.clone())));
            out.push((Route::Topic(Topic::Ticker(None), seq), PushEvent::Ticker(t)));
        }
    }
    out
}

/// Recover the engine and the market data derived from it: the market data stored with
/// the engine snapshot recovery starts from (or, when there is none or it was made with
/// another configuration, rebuilt by replaying the journal up to that snapshot), then fed
/// every replayed command. Nothing is pushed or notified on replay.
pub fn recover(store: &Store, config: &md::Config) -> anyhow::Result<(Recovered, MarketData)> {
    let mut data: Option<MarketData> = None;
    let mut failed = None;
    let mut sink = Vec::new();
    let recovered = store.recover(entrepot_core::EngineConfig::default(), |entry, events, engine| {
        let data = data.get_or_insert_with(|| {
            load(store, entry.ctx.seq - 1, config).unwrap_or_else(|e| {
                failed = Some(e);
                MarketData::new(config)
            })
        });
        sink.clear();
        data.on_command(entry.ctx.time, events, engine, &mut sink);
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    let data = match data {
        Some(d) => d,
        None => load(store, recovered.snapshot_seq, config)?,
    };
    Ok((recovered, data))
}

/// The market data as of command `seq`.
fn load(store: &Store, seq: u64, config: &md::Config) -> Result<MarketData, StoreError> {
    if seq == 0 {
        return Ok(MarketData::new(config));
    }
    if let Some(data) = store.marketdata(seq)?.and_then(|bytes| MarketData::decode(&bytes, config)) {
        return Ok(data);
    }
    tracing::warn!(seq, "no market data stored with the snapshot (or another configuration): rebuilding it from the journal");
    let mut data = MarketData::new(config);
    let mut sink = Vec::new();
    store.replay(entrepot_core::EngineConfig::default(), seq, |entry, events, engine| {
        sink.clear();
        data.on_command(entry.ctx.time, events, engine, &mut sink);
    })?;
    Ok(data)
}

/// `entrepot verify`'s market-data check, fed by the store's verification replay (one
/// pass over the journal): every stored copy that decodes with this configuration must equal
/// the rebuild at its seq byte for byte.
pub struct Verify {
    stored: Vec<(u64, Vec<u8>)>,
    next: usize,
    data: MarketData,
    sink: Vec<md::Output>,
    mismatch: Option<u64>,
}

impl Verify {
    /// Read the stored copies.
    pub fn new(store: &Store, config: &md::Config) -> Result<Verify, String> {
        let mut stored = Vec::new();
        for seq in store.marketdata_seqs().map_err(|e| e.to_string())? {
            let bytes = store.marketdata(seq).map_err(|e| e.to_string())?.unwrap_or_default();
            if MarketData::decode(&bytes, config).is_some() {
                stored.push((seq, bytes));
            }
        }
        let mut v = Verify { stored, next: 0, data: MarketData::new(config), sink: Vec::new(), mismatch: None };
        // A copy stored before the first command is the empty state.
        while v.stored.get(v.next).is_some_and(|(seq, _)| *seq == 0) {
            if v.stored[v.next].1 != v.data.encode() {
                v.mismatch.get_or_insert(0);
            }
            v.next += 1;
        }
        Ok(v)
    }

    /// One replayed command.
    pub fn on_replay(&mut self, entry: &JournalEntry, events: &[Event], engine: &Engine) {
        if self.next == self.stored.len() {
            return;
        }
        self.sink.clear();
        self.data.on_command(entry.ctx.time, events, engine, &mut self.sink);
        let (seq, bytes) = &self.stored[self.next];
        if *seq == entry.ctx.seq {
            if self.data.encode() != *bytes && self.mismatch.is_none() {
                self.mismatch = Some(*seq);
            }
            self.next += 1;
        }
    }

    /// How many stored copies matched, or the first that did not.
    pub fn finish(self) -> Result<usize, String> {
        match self.mismatch {
            Some(seq) => Err(format!("market data stored at seq {seq} differs from the journal's rebuild")),
            None if self.next < self.stored.len() => Err(format!("market data stored at seq {} is past the journal", self.stored[self.next].0)),
            None => Ok(self.stored.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_and_core_measures_and_intervals_correspond_by_name() {
        for m in CoreMeasure::ALL {
            assert_eq!(measure_out(m).name(), m.name());
            assert_eq!(measure_in(measure_out(m)), m);
        }
        for i in md::Interval::ALL {
            assert_eq!(interval_in(interval_out(i)), i);
            assert_eq!(interval_out(i), wire::Interval::ALL[i.index()]);
        }
    }
}
