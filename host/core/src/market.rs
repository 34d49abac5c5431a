//! Assets and markets as the admin declares them, and the per-market policy
//! (fees, game limits, self-trade prevention) that the native rules apply.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, MarketId};

/// A currency or an item. `decimals` is how many decimal places a whole unit splits into:
/// amounts inside the engine are integers of `10^-decimals`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSpec {
    pub id: AssetId,
    pub symbol: String,
    pub decimals: u8,
    pub kind: AssetKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetKind {
    Currency,
    Item,
}

/// A market trades `base` (an item) against `quote` (a currency).
///
/// `tick` is the price step in quote per whole base unit, `lot` the quantity step in base
/// units. Inside the engine a price is an integer number of ticks and a quantity an integer
/// number of lots; the market is only accepted when one tick on one lot is a whole number
/// of the quote's minor units, so every notional is exact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSpec {
    pub id: MarketId,
    pub symbol: String,
    pub base: AssetId,
    pub quote: AssetId,
    pub tick: Decimal,
    pub lot: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MarketStatus {
    /// Orders are accepted and matched.
    #[default]
    Open,
    /// No new orders or modifications; cancels still work; resting orders stay.
    Halted,
    /// Every resting order was cancelled and nothing more is accepted.
    Closed,
}

/// What happens when an incoming order would trade with a resting order of the same account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SelfTradePrevention {
    /// Cancel the rest of the incoming order; the resting one stays.
    #[default]
    CancelNewest,
    /// Cancel the resting order and keep matching the incoming one.
    CancelOldest,
    /// Cancel both.
    CancelBoth,
}

/// Grand-Exchange-style buy limit: at most `quantity` lots bought per account in a
/// window of `window_ms` game time that starts at the account's first purchase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyLimit {
    pub quantity: u64,
    pub window_ms: u64,
}

/// The native market rules. Fees are in basis points of the trade's notional (quote minor
/// units), rounded down per fill; the listing fee is a flat quote amount charged when a
/// GTC/GTD order is accepted. All quantities here are in lots, prices in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketPolicy {
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub listing_fee: u64,
    pub min_quantity: u64,
    pub max_quantity: u64,
    pub max_price: u64,
    /// Order slots: the most resting orders one account may have in this market (0 = no limit).
    pub max_open_orders: u32,
    pub buy_limit: Option<BuyLimit>,
    pub self_trade: SelfTradePrevention,
}

impl Default for MarketPolicy {
    fn default() -> Self {
        MarketPolicy {
            maker_fee_bps: 0,
            taker_fee_bps: 0,
            listing_fee: 0,
            min_quantity: 1,
            max_quantity: 1_000_000_000,
            max_price: 1_000_000_000_000,
            max_open_orders: 0,
            buy_limit: None,
            self_trade: SelfTradePrevention::CancelNewest,
        }
    }
}

impl MarketPolicy {
    /// The highest fee rate either side of a trade can be charged: what bid escrow must cover.
    pub fn max_fee_bps(&self) -> u32 {
        self.maker_fee_bps.max(self.taker_fee_bps)
    }
}

/// Which plugin governs a market. Binding the same name with a new hash is a hot reload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginBinding {
    pub name: String,
    pub version: String,
    /// SHA-256 of the plugin's wasm: the journal says exactly which code decided.
    pub hash: [u8; 32],
    /// How long a purchase counts in an account's buy window (`AccountView::bought_lots`),
    /// from the plugin's manifest; `None` keeps the native policy's window, if any.
    pub buy_window_ms: Option<u64>,
}
