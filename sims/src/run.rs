//! The runner: set the economy up through admin commands, then wake agents in game-time
//! order (ties broken by agent index, so a seed names one run), sample metrics and check
//! the ledger every `sample_minutes`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use entrepot_core::units::{to_minor_units, MarketUnits};
use entrepot_core::{AccountId, AssetId, AssetKind, AssetSpec, Body, MarketId, MarketPolicy, MarketSpec, Outcome};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::agents::Agent;
use crate::exchange::{Exchange, MarketRef, Phase};
use crate::scenario::{AssetKindDef, Scenario, MINUTE_MS};
use crate::Error;

/// An asset as created.
#[derive(Clone, Debug)]
pub struct AssetInfo {
    /// Its engine id (1-based, in scenario order).
    pub id: AssetId,
    /// Its symbol.
    pub symbol: String,
    /// Decimal places.
    pub decimals: u8,
    /// Currency or item.
    pub currency: bool,
}

/// A market as created.
#[derive(Clone, Debug)]
pub struct MarketInfo {
    /// Its symbol, "BASE/QUOTE".
    pub symbol: String,
    /// Ids and lot size.
    pub refs: MarketRef,
    /// Its decimal/integer conversions.
    pub units: MarketUnits,
}

/// One market at one sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketSample {
    /// Last trade price so far, ticks.
    pub last: Option<u64>,
    /// Best bid, ticks.
    pub bid: Option<u64>,
    /// Best ask, ticks.
    pub ask: Option<u64>,
    /// Lots traded since the start.
    pub volume: u64,
    /// Fills since the start.
    pub trades: u64,
}

/// One asset at one sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssetSample {
    /// Minted − burned, minor units (the engine's totals).
    pub supply: u128,
    /// Collected by fees so far, minor units.
    pub fees: u64,
}

/// Everything measured at one sample time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Game time, ms.
    pub time: u64,
    /// Per market, in market order.
    pub markets: Vec<MarketSample>,
    /// Per asset, in asset order.
    pub assets: Vec<AssetSample>,
}

/// Per-asset totals at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssetTotals {
    /// Minted as starting balances.
    pub start: u128,
    /// Minted while running (faucets).
    pub faucet: u128,
    /// Burned (sinks).
    pub burned: u128,
    /// Fee sink.
    pub fees: u64,
    /// Minted − burned at the end (the engine's totals).
    pub supply: u128,
}

/// The result of one run: what the report is made of.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Scenario name.
    pub name: String,
    /// The run seed.
    pub seed: u64,
    /// Game time simulated, ms.
    pub duration: u64,
    /// `Engine::state_hash` at the end.
    pub state_hash: u64,
    /// Commands applied.
    pub commands: u64,
    /// Agents simulated.
    pub agents: usize,
    /// Assets in scenario order.
    pub assets: Vec<AssetInfo>,
    /// Markets in scenario order.
    pub markets: Vec<MarketInfo>,
    /// Per market totals at the end (trades, lots, notional, last price).
    pub market_totals: Vec<crate::exchange::MarketTotals>,
    /// Per asset totals at the end.
    pub asset_totals: Vec<AssetTotals>,
    /// Refused commands by reason, sorted by name.
    pub refused: Vec<(String, u64)>,
    /// Gini coefficient of the agents' ending wealth valued at last prices.
    pub gini: f64,
    /// Samples at 0, every `sample_minutes`, and at the end.
    pub samples: Vec<Sample>,
}

/// Run a validated scenario to the end.
pub fn run(scenario: &Scenario) -> Result<RunOutput, Error> {
    let mut ex = Exchange::new();
    let (assets, markets) = create_markets(&mut ex, scenario)?;
    let mut agents = create_agents(&mut ex, scenario, &assets, &markets)?;
    ex.phase = Phase::Run;

    let duration = scenario.run.duration_ms();
    let period = scenario.run.sample_minutes * MINUTE_MS;
    let mut queue: BinaryHeap<Reverse<(u64, usize)>> = agents.iter_mut().enumerate().map(|(i, a)| Reverse((a.first_wake(), i))).collect();
    let mut samples = Vec::new();
    check(&ex, &assets, &agents, 0)?;
    samples.push(sample(&ex, &assets, &markets));
    let mut t = 0;
    while t < duration {
        t = (t + period).min(duration);
        while let Some(&Reverse((when, i))) = queue.peek() {
            if when > t {
                break;
            }
            queue.pop();
            ex.set_time(when);
            agents[i].act(&mut ex);
            queue.push(Reverse((when + agents[i].next_delay(), i)));
        }
        ex.set_time(t);
        ex.send(AccountId::ADMIN, Body::Tick);
        check(&ex, &assets, &agents, t)?;
        samples.push(sample(&ex, &assets, &markets));
    }

    let engine = ex.engine();
    let asset_totals = assets
        .iter()
        .map(|a| {
            let (minted, burned, fees) = engine.asset_totals(a.id).unwrap_or_default();
            AssetTotals {
                start: ex.start_minted.get(&a.id).copied().unwrap_or(0),
                faucet: ex.minted.get(&a.id).copied().unwrap_or(0),
                burned: ex.burned.get(&a.id).copied().unwrap_or(0),
                fees,
                supply: minted - burned,
            }
        })
        .collect();
    Ok(RunOutput {
        name: scenario.name.clone().unwrap_or_else(|| "scenario".into()),
        seed: scenario.run.seed,
        duration,
        state_hash: engine.state_hash(),
        commands: ex.commands,
        agents: agents.len(),
        market_totals: markets.iter().map(|m| ex.markets.get(m.refs.id.0 as usize - 1).copied().unwrap_or_default()).collect(),
        asset_totals,
        refused: ex.refused.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        gini: gini(&ex, &assets, &markets, &agents),
        assets,
        markets,
        samples,
    })
}

fn admin(ex: &mut Exchange, body: Body, what: impl FnOnce() -> String) -> Result<(), Error> {
    match ex.send(AccountId::ADMIN, body) {
        Outcome::Rejected(reason) => Err(Error::Setup(format!("{}: the engine refused it: {reason}", what()))),
        _ => Ok(()),
    }
}

fn create_markets(ex: &mut Exchange, scenario: &Scenario) -> Result<(Vec<AssetInfo>, Vec<MarketInfo>), Error> {
    let mut assets = Vec::new();
    for (i, a) in scenario.assets.iter().enumerate() {
        let id = AssetId(u32::try_from(i + 1).map_err(|_| Error::Setup("too many assets".into()))?);
        let kind = match a.kind {
            AssetKindDef::Currency => AssetKind::Currency,
            AssetKindDef::Item => AssetKind::Item,
        };
        admin(ex, Body::CreateAsset(AssetSpec { id, symbol: a.symbol.clone(), decimals: a.decimals, kind }), || format!("asset[{i}] `{}`", a.symbol))?;
        assets.push(AssetInfo { id, symbol: a.symbol.clone(), decimals: a.decimals, currency: a.kind == AssetKindDef::Currency });
    }
    let mut markets = Vec::new();
    for (i, m) in scenario.markets.iter().enumerate() {
        let id = MarketId(u32::try_from(i + 1).map_err(|_| Error::Setup("too many markets".into()))?);
        let (base, quote) = m.symbol.split_once('/').expect("validated");
        let find = |s: &str| assets.iter().find(|a| a.symbol == s).expect("validated");
        let (base, quote) = (find(base), find(quote));
        let spec = MarketSpec { id, symbol: m.symbol.clone(), base: base.id, quote: quote.id, tick: m.tick, lot: m.lot };
        let policy = MarketPolicy { maker_fee_bps: m.maker_fee_bps, taker_fee_bps: m.taker_fee_bps, ..MarketPolicy::default() };
        admin(ex, Body::CreateMarket { spec, policy }, || format!("market[{i}] `{}`", m.symbol))?;
        let units = ex.engine().market_units(id).expect("created above");
        markets.push(MarketInfo { symbol: m.symbol.clone(), refs: MarketRef { id, base: base.id, quote: quote.id, lot_units: units.lot_units }, units });
    }
    Ok((assets, markets))
}

fn create_agents(ex: &mut Exchange, scenario: &Scenario, assets: &[AssetInfo], markets: &[MarketInfo]) -> Result<Vec<Agent>, Error> {
    let mut agents = Vec::new();
    for (p, def) in scenario.agents.iter().enumerate() {
        let market = markets.iter().find(|m| m.symbol == def.market).expect("validated");
        let quote = assets.iter().find(|a| a.id == market.refs.quote).expect("created");
        let fair = match def.fair_value {
            Some(v) => (v / market.units.tick)
                .round()
                .to_u64()
                .filter(|t| *t > 0)
                .ok_or_else(|| Error::Setup(format!("agents[{p}].fair_value: {v} is not a positive number of ticks of {}", market.units.tick)))?,
            None => 0,
        };
        let income = match def.income {
            Some(v) => to_minor_units(v, quote.decimals).map_err(|e| Error::Setup(format!("agents[{p}].income: {e}")))?,
            None => 0,
        };
        let mut start = Vec::new();
        for (symbol, amount) in &def.start {
            let asset = assets.iter().find(|a| &a.symbol == symbol).expect("validated");
            let minor = to_minor_units(*amount, asset.decimals).map_err(|e| Error::Setup(format!("agents[{p}].start.{symbol}: {e}")))?;
            if minor > 0 {
                start.push((asset.id, minor));
            }
        }
        for _ in 0..def.count {
            let agent = Agent::new(agents.len(), p, def, market.refs, scenario.run.seed, fair, income);
            let account = agent.account;
            admin(ex, Body::OpenAccount { account }, || format!("agents[{p}]: account {account}"))?;
            for &(asset, amount) in &start {
                admin(ex, Body::Mint { account, asset, amount }, || format!("agents[{p}].start: minting {amount} of asset {asset}"))?;
            }
            agents.push(agent);
        }
    }
    Ok(agents)
}

/// The engine's own invariants, plus the simulator's view of conservation: for every asset
/// the agents' balances and the fee sink add up to minted − burned, and those match the
/// mints and burns the simulator saw succeed.
fn check(ex: &Exchange, assets: &[AssetInfo], agents: &[Agent], time: u64) -> Result<(), Error> {
    let fail = |message: String| Error::Invariant { minute: time / MINUTE_MS, message };
    let engine = ex.engine();
    engine.check_invariants().map_err(fail)?;
    for a in assets {
        let (minted, burned, fees) = engine.asset_totals(a.id).unwrap_or_default();
        let held: u128 = agents.iter().filter_map(|g| engine.balance(g.account, a.id)).map(|(x, l)| u128::from(x) + u128::from(l)).sum();
        if held + u128::from(fees) != minted - burned {
            return Err(fail(format!("{}: balances {held} + fees {fees} != minted {minted} - burned {burned}", a.symbol)));
        }
        let seen = |m: &std::collections::BTreeMap<AssetId, u128>| m.get(&a.id).copied().unwrap_or(0);
        if seen(&ex.start_minted) + seen(&ex.minted) != minted || seen(&ex.burned) != burned {
            return Err(fail(format!("{}: the engine's mint/burn totals differ from the Minted/Burned events", a.symbol)));
        }
    }
    Ok(())
}

fn sample(ex: &Exchange, assets: &[AssetInfo], markets: &[MarketInfo]) -> Sample {
    let engine = ex.engine();
    let markets = markets
        .iter()
        .map(|m| {
            let top = engine.book_top(m.refs.id);
            let totals = ex.markets.get(m.refs.id.0 as usize - 1).copied().unwrap_or_default();
            MarketSample { last: totals.last, bid: top.best_bid.map(|b| b.0), ask: top.best_ask.map(|a| a.0), volume: totals.volume, trades: totals.trades }
        })
        .collect();
    let assets = assets
        .iter()
        .map(|a| {
            let (minted, burned, fees) = engine.asset_totals(a.id).unwrap_or_default();
            AssetSample { supply: minted - burned, fees }
        })
        .collect();
    Sample { time: ex.time(), markets, assets }
}

/// Gini of the agents' wealth: currencies at face value plus items at the last price of the
/// first market trading them (0 if none traded). Sums every currency as one unit of account.
fn gini(ex: &Exchange, assets: &[AssetInfo], markets: &[MarketInfo], agents: &[Agent]) -> f64 {
    let engine = ex.engine();
    let value_of = |a: &AssetInfo| -> Decimal {
        if a.currency {
            return Decimal::ONE;
        }
        markets.iter().filter(|m| m.refs.base == a.id).find_map(|m| ex.last_price(m.refs.id).map(|p| m.units.ticks_to_price(p))).unwrap_or(Decimal::ZERO)
    };
    let prices: Vec<(AssetId, u8, Decimal)> = assets.iter().map(|a| (a.id, a.decimals, value_of(a))).collect();
    let mut wealth: Vec<f64> = agents
        .iter()
        .map(|g| {
            prices
                .iter()
                .map(|&(id, decimals, price)| {
                    let (x, l) = engine.balance(g.account, id).unwrap_or_default();
                    let units = Decimal::from_i128_with_scale(i128::from(x) + i128::from(l), u32::from(decimals));
                    (units * price).to_f64().unwrap_or(0.0)
                })
                .sum()
        })
        .collect();
    gini_of(&mut wealth)
}

/// Gini coefficient of non-negative values (0 = equal, → 1 = one holds all).
pub fn gini_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = values.iter().enumerate().map(|(i, x)| (i as f64 + 1.0) * x).sum();
    2.0 * weighted / (n * total) - (n + 1.0) / n
}

#[cfg(test)]
mod tests {
    use super::gini_of;

    #[test]
    fn gini_of_equal_and_concentrated_wealth() {
        assert!(gini_of(&mut [5.0, 5.0, 5.0, 5.0]).abs() < 1e-12);
        assert!((gini_of(&mut [0.0, 0.0, 0.0, 10.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini_of(&mut []), 0.0);
    }
}
