//! Agent archetypes. Each agent owns a seeded stream and acts only through engine
//! commands sent via [`Exchange::send`]: orders and cancels as itself, and `Mint`/`Burn`
//! (the faucet and the sink) as the admin on its account. Prices are in ticks and sizes
//! in lots, the engine's own integers.

use entrepot_core::{AccountId, Body, MarketId, MarketSize, OrderId, OrderKind, OrderRequest, Outcome, Side, TimeInForce};
use entrepot_seeded::{Rng, SplitMix64};

use crate::exchange::{Exchange, MarketRef};
use crate::scenario::{AgentDef, Archetype, MINUTE_MS};

/// Resting orders a noise trader keeps at most; the oldest is cancelled first.
const NOISE_MAX_OPEN: usize = 5;

/// One simulated player.
#[derive(Clone, Debug)]
pub struct Agent {
    /// Its account (also its place in the event queue's tie-break).
    pub account: AccountId,
    /// Which `[[agents]]` population it belongs to.
    pub population: usize,
    archetype: Archetype,
    market: MarketRef,
    rng: SplitMix64,
    every_ms: u64,
    /// Fair value in ticks (0 = none).
    fair: u64,
    /// Market maker: the price it believes in; value trader: its hidden fair value.
    belief: u64,
    spread_bps: u64,
    edge_bps: u64,
    order_size: u64,
    market_order_percent: u64,
    /// Quote minor units minted per decision (consumers' wages).
    income: u64,
    open: Vec<OrderId>,
}

/// The seed of agent `index`'s stream: a function of the run seed and the index only.
pub fn agent_seed(run_seed: u64, index: usize) -> u64 {
    let mut mix = SplitMix64::new(run_seed ^ (index as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    mix.next_u64()
}

impl Agent {
    /// Agent `index` (0-based over all populations) of population `population`.
    /// `fair` and `income` are already in ticks and quote minor units.
    pub fn new(index: usize, population: usize, def: &AgentDef, market: MarketRef, run_seed: u64, fair: u64, income: u64) -> Agent {
        let mut rng = SplitMix64::new(agent_seed(run_seed, index));
        // Value traders each hide their own fair value within ± spread of the declared one.
        let belief = match def.archetype {
            Archetype::Value => offset(fair, rng.range(0, 2 * def.spread_bps) as i64 - def.spread_bps as i64),
            _ => fair,
        };
        Agent {
            account: AccountId(index as u64 + 1),
            population,
            archetype: def.archetype,
            market,
            rng,
            every_ms: def.every_minutes * MINUTE_MS,
            fair,
            belief,
            spread_bps: def.spread_bps,
            edge_bps: def.edge_bps,
            order_size: def.order_size,
            market_order_percent: def.market_order_percent,
            income,
            open: Vec::new(),
        }
    }

    /// Game time of the first decision: somewhere within the first interval.
    pub fn first_wake(&mut self) -> u64 {
        self.rng.below(self.every_ms)
    }

    /// Game time until the next decision: the interval ±50 %.
    pub fn next_delay(&mut self) -> u64 {
        (self.every_ms / 2 + self.rng.below(self.every_ms + 1)).max(1)
    }

    /// Decide and send commands.
    pub fn act(&mut self, ex: &mut Exchange) {
        self.open.retain(|o| ex.engine().order(*o).is_some());
        match self.archetype {
            Archetype::Noise => self.noise(ex),
            Archetype::MarketMaker => self.market_maker(ex),
            Archetype::Value => self.value(ex),
            Archetype::Gatherer => self.gatherer(ex),
            Archetype::Consumer => self.consumer(ex),
        }
    }

    fn size(&mut self) -> u64 {
        self.rng.range(1, self.order_size)
    }

    fn place(&mut self, ex: &mut Exchange, side: Side, kind: OrderKind, tif: TimeInForce) {
        let body = Body::Place(OrderRequest { market: self.market.id, side, kind, tif, post_only: false });
        if let Outcome::Accepted { order } = ex.send(self.account, body) {
            if tif.rests() && ex.engine().order(order).is_some() {
                self.open.push(order);
            }
        }
    }

    fn limit(&mut self, ex: &mut Exchange, side: Side, price: u64, quantity: u64, tif: TimeInForce) {
        self.place(ex, side, OrderKind::Limit { price: price.max(1), quantity }, tif);
    }

    fn cancel_all(&mut self, ex: &mut Exchange) {
        if !self.open.is_empty() {
            ex.send(self.account, Body::CancelAll { market: Some(self.market.id) });
            self.open.clear();
        }
    }

    /// Random side; a market order now and then, else a limit around the last price.
    fn noise(&mut self, ex: &mut Exchange) {
        let reference = ex.last_price(self.market.id).or_else(|| ex.mid(self.market.id)).unwrap_or(self.fair);
        if reference == 0 {
            return;
        }
        if self.open.len() >= NOISE_MAX_OPEN || (!self.open.is_empty() && self.rng.chance(20)) {
            let order = self.open.remove(0);
            ex.send(self.account, Body::Cancel { order });
        }
        let side = if self.rng.chance(50) { Side::Buy } else { Side::Sell };
        let quantity = self.size();
        if self.rng.chance(self.market_order_percent) {
            self.place(ex, side, OrderKind::Market(MarketSize::Quantity(quantity)), TimeInForce::Ioc);
        } else {
            // Mostly passive (away from the reference), sometimes crossing.
            let away = self.rng.range(0, self.spread_bps) as i64 - (self.spread_bps / 4) as i64;
            let price = match side {
                Side::Buy => offset(reference, -away),
                Side::Sell => offset(reference, away),
            };
            self.limit(ex, side, price, quantity, TimeInForce::Gtc);
        }
    }

    /// Requote both sides around a belief that follows the last trade.
    fn market_maker(&mut self, ex: &mut Exchange) {
        if let Some(last) = ex.last_price(self.market.id) {
            self.belief = (self.belief * 3 + last) / 4;
        }
        self.cancel_all(ex);
        let half = (self.spread_bps / 2) as i64;
        let bid = offset(self.belief, -half);
        let ask = offset(self.belief, half).max(bid + 1);
        let (q_bid, q_ask) = (self.size(), self.size());
        self.limit(ex, Side::Buy, bid, q_bid, TimeInForce::Gtc);
        self.limit(ex, Side::Sell, ask, q_ask, TimeInForce::Gtc);
    }

    /// Take the best price when it is far enough from the hidden fair value.
    fn value(&mut self, ex: &mut Exchange) {
        let top = ex.engine().book_top(self.market.id);
        let edge = self.edge_bps as i64;
        let quantity = self.size();
        if let Some((ask, lots)) = top.best_ask.filter(|(p, _)| *p < offset(self.belief, -edge)) {
            self.limit(ex, Side::Buy, ask, quantity.min(lots), TimeInForce::Ioc);
        } else if let Some((bid, lots)) = top.best_bid.filter(|(p, _)| *p > offset(self.belief, edge)) {
            self.limit(ex, Side::Sell, bid, quantity.min(lots), TimeInForce::Ioc);
        }
    }

    /// Produce a batch (mint = faucet), then offer everything held near fair value.
    fn gatherer(&mut self, ex: &mut Exchange) {
        let batch = self.size();
        if let Some(amount) = batch.checked_mul(self.market.lot_units) {
            ex.send(AccountId::ADMIN, Body::Mint { account: self.account, asset: self.market.base, amount });
        }
        self.cancel_all(ex);
        let held = ex.available(self.account, self.market.base) / self.market.lot_units;
        if held > 0 {
            let spread = self.spread_bps as i64;
            let price = offset(self.fair, self.rng.range(0, self.spread_bps) as i64 - spread / 2);
            self.limit(ex, Side::Sell, price, held, TimeInForce::Gtc);
        }
    }

    /// Get paid (optional money faucet), buy up to a batch at a price it accepts, and
    /// consume (burn = sink) everything it holds.
    fn consumer(&mut self, ex: &mut Exchange) {
        if self.income > 0 {
            ex.send(AccountId::ADMIN, Body::Mint { account: self.account, asset: self.market.quote, amount: self.income });
        }
        let willing = offset(self.fair, (self.spread_bps / 2) as i64);
        let quantity = self.size();
        self.limit(ex, Side::Buy, willing, quantity, TimeInForce::Ioc);
        let held = ex.available(self.account, self.market.base);
        if held > 0 {
            ex.send(AccountId::ADMIN, Body::Burn { account: self.account, asset: self.market.base, amount: held });
        }
    }

    /// The market the agent trades in.
    pub fn market(&self) -> MarketId {
        self.market.id
    }
}

/// `ticks` moved by `bps` basis points (negative: down), at least 1 tick.
fn offset(ticks: u64, bps: i64) -> u64 {
    let factor = u128::from((10_000 + bps).clamp(0, 20_000).unsigned_abs());
    u64::try_from(u128::from(ticks) * factor / 10_000).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_by_basis_points_and_never_reaches_zero() {
        assert_eq!(offset(10_000, 100), 10_100);
        assert_eq!(offset(10_000, -250), 9_750);
        assert_eq!(offset(1, -5_000), 1);
    }

    #[test]
    fn seeds_differ_per_agent_and_per_run() {
        assert_ne!(agent_seed(1, 0), agent_seed(1, 1));
        assert_ne!(agent_seed(1, 0), agent_seed(2, 0));
        assert_eq!(agent_seed(7, 3), agent_seed(7, 3));
    }
}
