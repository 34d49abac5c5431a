//! The types every world shares (WIT interface `entrepot:plugin/types`), with a few
//! conveniences. Units: prices in ticks, quantities in lots, money in quote minor units.

use std::fmt;

pub use crate::market_rules::entrepot::plugin::types::{
    AccountView, Fees, Listing, LogLevel, MarketInfo, MarketStatus, MarketView, OrderCheck, Side, Trade, Verdict,
};

impl Side {
    /// The other side of a trade.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// `"buy"` or `"sell"`, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Verdict {
    /// A refusal with a reason for the player. The host keeps at most 200 bytes of it.
    pub fn reject(reason: impl Into<String>) -> Verdict {
        Verdict::Reject(reason.into())
    }

    /// Whether the order is admitted.
    pub fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept)
    }
}

impl Fees {
    /// No fee on either side.
    pub const ZERO: Fees = Fees { maker: 0, taker: 0 };
}

impl MarketView {
    /// The midpoint of the best bid and ask in ticks (rounded down), when both exist.
    pub fn mid(&self) -> Option<u64> {
        let (bid, ask) = (self.best_bid?, self.best_ask?);
        // Average without overflow: floor((a + b) / 2).
        Some((bid & ask) + ((bid ^ ask) >> 1))
    }
}

impl Trade {
    /// The account on the selling side of this fill.
    pub fn seller(&self) -> u64 {
        match self.taker_side {
            Side::Sell => self.taker_account,
            Side::Buy => self.maker_account,
        }
    }

    /// The account on the buying side of this fill.
    pub fn buyer(&self) -> u64 {
        match self.taker_side {
            Side::Buy => self.taker_account,
            Side::Sell => self.maker_account,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_rounds_down_and_needs_both_sides() {
        let view = MarketView { best_bid: Some(99), best_ask: Some(102), ..Default::default() };
        assert_eq!(view.mid(), Some(100));
        let huge = MarketView { best_bid: Some(u64::MAX), best_ask: Some(u64::MAX - 1), ..Default::default() };
        assert_eq!(huge.mid(), Some(u64::MAX - 1));
        assert_eq!(MarketView { best_bid: Some(1), ..Default::default() }.mid(), None);
    }

    #[test]
    fn trade_names_buyer_and_seller() {
        let trade = Trade { price: 1, quantity: 1, notional: 1, taker_side: Side::Sell, maker_account: 7, taker_account: 9 };
        assert_eq!((trade.buyer(), trade.seller()), (7, 9));
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert_eq!(Side::Sell.to_string(), "sell");
    }
}
