//! Assets and markets as the admin declares them, and the per-market policy
//! (fees, game limits, self-trade prevention) that the native rules apply.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AssetId, MarketId};

/// A currency or an item. `decimals` is how many decimal places a whole unit splits into:
/// amounts inside the engine are integers of `10^-decimals`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSpec {
    /// Chosen by the admin; ids from `betting::GROUP_ASSETS` up are reserved for group cash.
    pub id: AssetId,
    /// Display name ("GOLD", "CU"); the engine does not interpret it.
    pub symbol: String,
    /// Decimal places of a whole unit, at most 18: 2 makes 1.25 gold the integer 125.
    pub decimals: u8,
    /// What markets may do with it.
    pub kind: AssetKind,
}

/// The role an asset can play in a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetKind {
    /// Money: the quote of markets, the stake of bets.
    Currency,
    /// A tradeable good: the base of markets.
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
    /// Chosen by the admin.
    pub id: MarketId,
    /// Display name ("CU/GOLD"); the engine does not interpret it.
    pub symbol: String,
    /// The item traded (an `AssetKind::Item`).
    pub base: AssetId,
    /// The currency prices are in (an `AssetKind::Currency`, not `base`).
    pub quote: AssetId,
    /// Price step in quote per whole base unit (0.01 gold): a price of n ticks is n × tick.
    pub tick: Decimal,
    /// Quantity step in base units (10 copper): a quantity of n lots is n × lot. Must be a
    /// whole number of base minor units.
    pub lot: Decimal,
}

/// Whether a market takes orders. Open → Halted → Open is allowed; Closed is final.
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
    /// Lots an account may buy per window, resting buy lots included (positive).
    pub quantity: u64,
    /// Window length in game milliseconds (positive).
    pub window_ms: u64,
}

/// The native market rules. Fees are in basis points of the trade's notional (quote minor
/// units), rounded down per fill; the listing fee is a flat quote amount charged when a
/// GTC/GTD order is accepted. All quantities here are in lots, prices in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketPolicy {
    /// Fee of the resting side of a trade, in basis points of the notional (at most 10000).
    pub maker_fee_bps: u32,
    /// Fee of the incoming side of a trade, in basis points of the notional (at most
    /// 10000). Bids escrow the higher of the two rates.
    pub taker_fee_bps: u32,
    /// Quote minor units paid to the fee sink when a GTC/GTD order is accepted (whether or
    /// not it ends up resting); not refunded. 0 = none.
    pub listing_fee: u64,
    /// Smallest order quantity in lots (positive).
    pub min_quantity: u64,
    /// Largest order quantity in lots (at least `min_quantity`).
    pub max_quantity: u64,
    /// Highest limit price in ticks (positive); the lowest is 1.
    pub max_price: u64,
    /// Order slots: the most resting orders one account may have in this market (0 = no limit).
    pub max_open_orders: u32,
    /// Caps the lots an account buys per window (`None` = no limit).
    pub buy_limit: Option<BuyLimit>,
    /// What happens when an account's order would trade with its own.
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
    /// The plugin's name, as the server's plugin registry knows it.
    pub name: String,
    /// The plugin's version string, for the journal and operators.
    pub version: String,
    /// SHA-256 of the plugin's wasm: the journal says exactly which code decided.
    pub hash: [u8; 32],
    /// How long a purchase counts in an account's buy window (`AccountView::bought_lots`),
    /// from the plugin's manifest; `None` keeps the native policy's window, if any.
    pub buy_window_ms: Option<u64>,
}
