//! Commands into the engine. Every command carries the actor and a client-chosen request id:
//! the pair makes it idempotent.

use serde::{Deserialize, Serialize};

use crate::betting::BetCommand;
use crate::ids::{AccountId, AssetId, MarketId, OrderId, RequestId};
use crate::market::{AssetSpec, MarketPolicy, MarketSpec, MarketStatus, PluginBinding};

/// What the caller hands in with each command: the engine has no clock of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ctx {
    /// Position of the command in the journal.
    pub seq: u64,
    /// Game time in milliseconds. A time earlier than one already seen is treated as that one.
    pub time: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub actor: AccountId,
    pub request: RequestId,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    // ---- admin ----
    CreateAsset(AssetSpec),
    CreateMarket { spec: MarketSpec, policy: MarketPolicy },
    SetMarketPolicy { market: MarketId, policy: MarketPolicy },
    SetMarketStatus { market: MarketId, status: MarketStatus },
    /// Hand a market's admission and fee decisions to a rules plugin (`None`: back to the
    /// native policy). Rebinding with a new hash is a hot reload.
    BindRules { market: MarketId, binding: Option<PluginBinding> },
    OpenAccount { account: AccountId },
    /// Create value out of the faucet (loot drop, starting cash).
    Mint { account: AccountId, asset: AssetId, amount: u64 },
    /// Destroy value from an account's available balance into the burn account.
    Burn { account: AccountId, asset: AssetId, amount: u64 },
    /// Cancel every resting order of a market.
    CancelMarket { market: MarketId },
    /// Only lets game time pass (GTD expiry happens on every command).
    Tick,
    // ---- player: `actor` is the account ----
    Place(OrderRequest),
    Cancel { order: OrderId },
    /// Set a resting order's price and remaining quantity. Reducing the quantity at the same
    /// price keeps time priority; a new price or a larger quantity re-queues the order.
    Modify { order: OrderId, price: u64, quantity: u64 },
    /// Cancel all of the actor's resting orders, in one market or everywhere.
    CancelAll { market: Option<MarketId> },
    /// Betting: fixtures, bets, groups (`crate::betting`).
    Bet(BetCommand),
}

/// Buy sorts before Sell wherever events are ordered by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub market: MarketId,
    pub side: Side,
    pub kind: OrderKind,
    pub tif: TimeInForce,
    /// Reject instead of taking liquidity (limit orders only).
    pub post_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    /// `price` in ticks, `quantity` in lots.
    Limit { price: u64, quantity: u64 },
    Market(MarketSize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketSize {
    /// Lots to buy or sell.
    Quantity(u64),
    /// Quote minor units to spend, fees included (buy only).
    Budget(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: whatever does not trade at once is cancelled.
    Ioc,
    /// Fill or kill: trades in full at once or is rejected with no effect.
    Fok,
    /// Good till the given game time (ms); expires as soon as a command's time reaches it.
    Gtd(u64),
}

impl TimeInForce {
    /// Whether an order with this time in force may rest in the book.
    pub fn rests(self) -> bool {
        matches!(self, TimeInForce::Gtc | TimeInForce::Gtd(_))
    }
}
