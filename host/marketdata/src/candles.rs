//! Candles (klines) of one market and interval: open, high, low, close, volumes and the
//! trade count of every interval of game time that had a trade. An interval without trades
//! has no candle; the last price carries over only in the ticker.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// A candle interval of game time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// One hour.
    H1,
    /// Four hours.
    H4,
    /// One day.
    D1,
}

impl Interval {
    /// Every interval, shortest first (the index of `Series` arrays).
    pub const ALL: [Interval; 6] = [Interval::M1, Interval::M5, Interval::M15, Interval::H1, Interval::H4, Interval::D1];

    /// Its length in game milliseconds.
    pub fn millis(self) -> u64 {
        const MINUTE: u64 = 60_000;
        match self {
            Interval::M1 => MINUTE,
            Interval::M5 => 5 * MINUTE,
            Interval::M15 => 15 * MINUTE,
            Interval::H1 => 60 * MINUTE,
            Interval::H4 => 240 * MINUTE,
            Interval::D1 => 1440 * MINUTE,
        }
    }

    /// Its position in [`Interval::ALL`].
    pub fn index(self) -> usize {
        Interval::ALL.iter().position(|&i| i == self).expect("listed")
    }

    /// The start of the interval containing `time`.
    pub fn floor(self, time: u64) -> u64 {
        time - time % self.millis()
    }
}

/// One candle, in the market's ticks, lots and quote minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the interval (game ms).
    pub open_time: u64,
    /// First trade's price.
    pub open: u64,
    /// Highest trade price.
    pub high: u64,
    /// Lowest trade price.
    pub low: u64,
    /// Last trade's price.
    pub close: u64,
    /// Lots traded.
    pub base_volume: u128,
    /// Quote minor units traded (Σ notional).
    pub quote_volume: u128,
    /// Number of trades.
    pub trades: u64,
}

impl Candle {
    fn new(open_time: u64, price: u64) -> Candle {
        Candle { open_time, open: price, high: price, low: price, close: price, base_volume: 0, quote_volume: 0, trades: 0 }
    }

    /// Add one trade (sums checked: a wrap is a bug, so it stops the process).
    pub fn add(&mut self, price: u64, lots: u64, notional: u64) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.base_volume = self.base_volume.checked_add(u128::from(lots)).expect("candle volume fits u128");
        self.quote_volume = self.quote_volume.checked_add(u128::from(notional)).expect("candle volume fits u128");
        self.trades += 1;
    }

    /// Merge a later candle of the same interval into this one (for naive recomputation
    /// and rollups).
    pub fn merge(&mut self, later: &Candle) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        self.base_volume += later.base_volume;
        self.quote_volume += later.quote_volume;
        self.trades += later.trades;
    }
}

/// The candles of one market and interval, oldest first, at most `retention` of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    candles: VecDeque<Candle>,
}

impl Series {
    /// Add a trade at `time`. Returns true when it opened a new candle.
    pub fn trade(&mut self, interval: Interval, time: u64, price: u64, lots: u64, notional: u64, retention: usize) -> bool {
        // Most trades land in the open candle: no division then.
        if let Some(last) = self.candles.back_mut().filter(|c| c.open_time <= time && time - c.open_time < interval.millis()) {
            last.add(price, lots, notional);
            return false;
        }
        let open_time = interval.floor(time);
        let opened = match self.candles.back_mut() {
            Some(last) if last.open_time == open_time => false,
            Some(last) => {
                assert!(last.open_time < open_time, "game time never goes back");
                true
            }
            None => true,
        };
        if opened {
            self.candles.push_back(Candle::new(open_time, price));
            while self.candles.len() > retention {
                self.candles.pop_front();
            }
        }
        self.candles.back_mut().expect("just ensured").add(price, lots, notional);
        opened
    }

    /// The newest candle.
    pub fn last(&self) -> Option<&Candle> {
        self.candles.back()
    }

    /// Candles with `start <= open_time <= end`, at most `limit`: the first `limit` from
    /// `start` when a start is given, else the last `limit` up to `end`. Oldest first.
    pub fn query(&self, start: Option<u64>, end: Option<u64>, limit: usize) -> Vec<Candle> {
        let lo = start.map_or(0, |s| self.candles.partition_point(|c| c.open_time < s));
        let hi = end.map_or(self.candles.len(), |e| self.candles.partition_point(|c| c.open_time <= e));
        if lo >= hi {
            return Vec::new();
        }
        let (lo, hi) = if start.is_some() { (lo, hi.min(lo + limit)) } else { (lo.max(hi.saturating_sub(limit)), hi) };
        self.candles.range(lo..hi).copied().collect()
    }

    /// Candles opened at or after `start`, oldest first.
    pub fn since(&self, start: u64) -> impl Iterator<Item = &Candle> {
        let lo = self.candles.partition_point(|c| c.open_time < start);
        self.candles.range(lo..)
    }
}
