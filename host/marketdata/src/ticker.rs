//! The rolling 24-hour ticker of a market, from its one-minute candles: the window starts
//! at the beginning of the minute 24 hours before `now` (so it spans 24 hours plus at
//! most a minute), not at a calendar day. `last` is the last trade ever (it carries over
//! when the window holds no trade); the rest covers the window only.

use entrepot_core::BookTop;

use crate::candles::{Interval, Series};
/// A market's rolling 24-hour statistics, in ticks, lots and quote minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    /// The market.
    pub market: u32,
    /// Start of the window (game ms).
    pub open_time: u64,
    /// End of the window: the last command's game time.
    pub close_time: u64,
    /// First trade price in the window.
    pub open: Option<u64>,
    /// Highest trade price in the window.
    pub high: Option<u64>,
    /// Lowest trade price in the window.
    pub low: Option<u64>,
    /// The last trade price, in the window or before.
    pub last: Option<u64>,
    /// Lots traded in the window.
    pub base_volume: u128,
    /// Quote minor units traded in the window.
    pub quote_volume: u128,
    /// Trades in the window.
    pub trades: u64,
    /// Best bid (price, lots).
    pub best_bid: Option<(u64, u64)>,
    /// Best ask (price, lots).
    pub best_ask: Option<(u64, u64)>,
}

/// The start of the window ending at `now`.
pub fn window_start(now: u64) -> u64 {
    Interval::M1.floor(now.saturating_sub(crate::DAY_MS))
}

/// The ticker of `market` at `now` from its one-minute candles, its last price and book.
pub fn compute(market: u32, now: u64, minutes: &Series, last: Option<u64>, top: &BookTop) -> Ticker {
    let open_time = window_start(now);
    let mut t = Ticker {
        market,
        open_time,
        close_time: now,
        open: None,
        high: None,
        low: None,
        last,
        base_volume: 0,
        quote_volume: 0,
        trades: 0,
        best_bid: top.best_bid,
        best_ask: top.best_ask,
    };
    for c in minutes.since(open_time) {
        t.open.get_or_insert(c.open);
        t.high = Some(t.high.map_or(c.high, |h| h.max(c.high)));
        t.low = Some(t.low.map_or(c.low, |l| l.min(c.low)));
        t.base_volume += c.base_volume;
        t.quote_volume += c.quote_volume;
        t.trades += c.trades;
    }
    t
}

/// The window's open price (what `change` is measured against), without a full ticker.
pub fn open(now: u64, minutes: &Series) -> Option<u64> {
    minutes.since(window_start(now)).next().map(|c| c.open)
}
