//! A market's book as market data needs it: the lots resting on each side, kept from
//! `BookLevel` events (a level's new total replaces its old one), and the best bid and ask
//! as the engine's book has them after the command.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use entrepot_core::{Engine, IdHasher, MarketId, Side};
use serde::{Deserialize, Serialize};

type LevelMap = HashMap<u64, u64, BuildHasherDefault<IdHasher>>;

/// Price levels (ticks → lots) of both sides, their totals and the best of each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    #[serde(with = "sorted")]
    bids: LevelMap,
    #[serde(with = "sorted")]
    asks: LevelMap,
    bid_lots: u128,
    ask_lots: u128,
    best_bid: Option<(u64, u64)>,
    best_ask: Option<(u64, u64)>,
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

    /// Take the best levels from the engine after a command that changed the book.
    pub fn refresh_best(&mut self, engine: &Engine, market: MarketId) {
        [self.best_bid, self.best_ask] = engine.best_levels(market);
        debug_assert_eq!(self.best_bid.map(|(p, q)| self.bids.get(&p) == Some(&q)), self.best_bid.map(|_| true));
    }

    /// Best bid (price, lots).
    pub fn best_bid(&self) -> Option<(u64, u64)> {
        self.best_bid
    }

    /// Best ask (price, lots).
    pub fn best_ask(&self) -> Option<(u64, u64)> {
        self.best_ask
    }

    /// Lots resting on (bids, asks).
    pub fn depth(&self) -> (u128, u128) {
        (self.bid_lots, self.ask_lots)
    }
}

/// Encode a level map sorted by price, so equal books give equal bytes.
mod sorted {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::LevelMap;

    pub fn serialize<S: Serializer>(map: &LevelMap, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<(u64, u64)> = map.iter().map(|(&p, &q)| (p, q)).collect();
        sorted.sort_unstable();
        sorted.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LevelMap, D::Error> {
        Ok(Vec::<(u64, u64)>::deserialize(d)?.into_iter().collect())
    }
}
