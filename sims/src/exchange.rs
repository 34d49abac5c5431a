//! The simulator's handle on the engine: stamps every command with (seq, game time, request
//! id), applies it, and counts what the events say (trades, mints, burns, refusals). The
//! simulator never edits balances; everything goes through `Engine::apply`.

use std::collections::BTreeMap;

use entrepot_core::{AccountId, AssetId, Body, Command, Ctx, Engine, Event, MarketId, Outcome, RequestId};

/// What an agent needs to know about its market, in engine integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketRef {
    /// The market.
    pub id: MarketId,
    /// Its item.
    pub base: AssetId,
    /// Its currency.
    pub quote: AssetId,
    /// Base minor units in one lot.
    pub lot_units: u64,
}

/// Running totals of one market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketTotals {
    /// Fills so far.
    pub trades: u64,
    /// Lots traded so far.
    pub volume: u64,
    /// Quote minor units traded so far (price × quantity).
    pub notional: u128,
    /// Price of the last fill, in ticks.
    pub last: Option<u64>,
}

/// Which phase a mint or burn belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Creating assets, markets, accounts and starting balances.
    Setup,
    /// Agents acting.
    Run,
}

/// The engine plus the counters the report needs.
pub struct Exchange {
    engine: Engine,
    seq: u64,
    time: u64,
    request: u64,
    events: Vec<Event>,
    /// Setup or run (decides where mints are counted).
    pub phase: Phase,
    /// Per market, indexed by `MarketId - 1`.
    pub markets: Vec<MarketTotals>,
    /// Minor units minted at setup (starting balances), per asset.
    pub start_minted: BTreeMap<AssetId, u128>,
    /// Minor units minted while running (faucets), per asset.
    pub minted: BTreeMap<AssetId, u128>,
    /// Minor units burned (sinks), per asset.
    pub burned: BTreeMap<AssetId, u128>,
    /// Refused commands by reason (the `RejectReason` variant's name).
    pub refused: BTreeMap<String, u64>,
    /// Commands applied.
    pub commands: u64,
}

impl Default for Exchange {
    fn default() -> Self {
        Exchange::new()
    }
}

impl Exchange {
    /// An empty engine at game time 0.
    pub fn new() -> Exchange {
        Exchange {
            engine: Engine::default(),
            seq: 0,
            time: 0,
            request: 0,
            events: Vec::new(),
            phase: Phase::Setup,
            markets: Vec::new(),
            start_minted: BTreeMap::new(),
            minted: BTreeMap::new(),
            burned: BTreeMap::new(),
            refused: BTreeMap::new(),
            commands: 0,
        }
    }

    /// Read-only access to the engine (queries, invariants, state hash).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Current game time in milliseconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// Move game time forward (never back).
    pub fn set_time(&mut self, time: u64) {
        self.time = self.time.max(time);
    }

    /// Apply one command as `actor` and count its events.
    pub fn send(&mut self, actor: AccountId, body: Body) -> Outcome {
        self.seq += 1;
        self.request += 1;
        self.commands += 1;
        self.events.clear();
        let cmd = Command { actor, request: RequestId(self.request), body };
        let outcome = self.engine.apply(Ctx { seq: self.seq, time: self.time }, &cmd, &mut self.events);
        for e in &self.events {
            match *e {
                Event::Trade { market, price, quantity, .. } => {
                    let Some(ix) = (market.0 as usize).checked_sub(1) else { continue };
                    if self.markets.len() <= ix {
                        self.markets.resize(ix + 1, MarketTotals::default());
                    }
                    let units = self.engine.market_units(market).map_or(0, |u| u.tick_value);
                    let m = &mut self.markets[ix];
                    m.trades += 1;
                    m.volume += quantity;
                    m.notional += u128::from(price) * u128::from(quantity) * u128::from(units);
                    m.last = Some(price);
                }
                Event::Minted { asset, amount, .. } => {
                    let into = if self.phase == Phase::Setup { &mut self.start_minted } else { &mut self.minted };
                    *into.entry(asset).or_default() += u128::from(amount);
                }
                Event::Burned { asset, amount, .. } => *self.burned.entry(asset).or_default() += u128::from(amount),
                Event::Rejected { reason, .. } => *self.refused.entry(variant_name(&format!("{reason:?}"))).or_default() += 1,
                _ => {}
            }
        }
        outcome
    }

    /// Price of the market's last fill, in ticks.
    pub fn last_price(&self, market: MarketId) -> Option<u64> {
        self.markets.get((market.0 as usize).checked_sub(1)?).and_then(|m| m.last)
    }

    /// Midpoint of best bid and ask, when both exist.
    pub fn mid(&self, market: MarketId) -> Option<u64> {
        let top = self.engine.book_top(market);
        Some((top.best_bid?.0 + top.best_ask?.0) / 2)
    }

    /// An account's available balance of an asset, in minor units.
    pub fn available(&self, account: AccountId, asset: AssetId) -> u64 {
        self.engine.balance(account, asset).map_or(0, |(available, _)| available)
    }
}

/// `InsufficientFunds { .. }` → `InsufficientFunds`.
fn variant_name(debug: &str) -> String {
    debug.split([' ', '(', '{']).next().unwrap_or(debug).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn variant_names_drop_fields() {
        assert_eq!(super::variant_name("InsufficientFunds { asset: AssetId(1) }"), "InsufficientFunds");
        assert_eq!(super::variant_name("InvalidMarket(FeeTooHigh)"), "InvalidMarket");
        assert_eq!(super::variant_name("UnknownOrder"), "UnknownOrder");
    }
}
