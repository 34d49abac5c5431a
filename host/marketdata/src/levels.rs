//! A copy of one market's aggregated book, kept from `BookLevel` events: best bid and ask
//! and the lots resting on each side, without asking the engine.

use std::collections::BTreeMap;

use entrepot_core::Side;
use serde::{Deserialize, Serialize};

/// Price levels (ticks → lots) of both sides and their totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    bids: BTreeMap<u64, u64>,
    asks: BTreeMap<u64, u64>,
    bid_lots: u128,
    ask_lots: u128,
}

impl Levels {
    /// A level's new total (0: gone).
    pub fn set(&mut self, side: Side, price: u64, lots: u64) {
        let (levels, total) = match side {
            Side::Buy => (&mut self.bids, &mut self.bid_lots),
            Side::Sell => (&mut self.asks, &mut self.ask_lots),
        };
        let old = if lots == 0 { levels.remove(&price) } else { levels.insert(price, lots) };
        *total = total.checked_sub(u128::from(old.unwrap_or(0))).expect("a level's lots were counted").checked_add(u128::from(lots)).expect("fits u128");
    }

    /// Best bid (price, lots).
    pub fn best_bid(&self) -> Option<(u64, u64)> {
        self.bids.last_key_value().map(|(&p, &q)| (p, q))
    }

    /// Best ask (price, lots).
    pub fn best_ask(&self) -> Option<(u64, u64)> {
        self.asks.first_key_value().map(|(&p, &q)| (p, q))
    }

    /// Lots resting on (bids, asks).
    pub fn depth(&self) -> (u128, u128) {
        (self.bid_lots, self.ask_lots)
    }
}
