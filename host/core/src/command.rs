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

/// One input to [`crate::Engine::apply`]: who asks, under which request id, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The account acting: the player for trading and betting bodies,
    /// [`AccountId::ADMIN`] (or any id the server authorised) for admin bodies, which the
    /// engine does not check.
    pub actor: AccountId,
    /// Client-chosen; (actor, request) is the idempotency key. A repeat within the
    /// engine's `dedup_window_ms` of game time only gets an `Event::Duplicate` with the
    /// first outcome.
    pub request: RequestId,
    /// What to do.
    pub body: Body,
}

/// What a command does. Admin bodies come first; the server decides who may send them.
/// The rules and the exact order of checks are in `SEMANTICS.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    // ---- admin ----
    /// Admin: declare a currency or item. Fails with `AssetExists`, or `OutOfRange` for
    /// more than 18 decimals. Emits `Event::AssetCreated`.
    CreateAsset(AssetSpec),
    /// Admin: open a market (status Open) trading an item against a currency. Emits
    /// `Event::MarketCreated`.
    CreateMarket {
        /// Assets and steps; both assets must exist and tick × lot must be a whole number of
        /// quote minor units.
        spec: MarketSpec,
        /// The native rules (fees, limits, self-trade prevention).
        policy: MarketPolicy,
    },
    /// Admin: replace a market's policy. Resting bids are then re-escrowed for the new fees
    /// (a bid whose owner cannot cover a shortfall is cancelled); the other limits apply to
    /// new orders only.
    SetMarketPolicy {
        /// The market to change.
        market: MarketId,
        /// The new policy, validated like at creation.
        policy: MarketPolicy,
    },
    /// Admin: open, halt or close a market. Closed is terminal and cancels every resting
    /// order. Emits `Event::MarketChanged`.
    SetMarketStatus {
        /// The market to change.
        market: MarketId,
        /// The new status.
        status: MarketStatus,
    },
    /// Hand a market's admission and fee decisions to a rules plugin (`None`: back to the
    /// native policy). Rebinding with a new hash is a hot reload.
    BindRules {
        /// The market to bind or unbind; resting orders stay as they are.
        market: MarketId,
        /// The plugin, or `None` to return to the native policy.
        binding: Option<PluginBinding>,
    },
    /// Admin: create a player account with no balances. Emits `Event::AccountOpened`.
    OpenAccount {
        /// The new account's id (`AccountExists` if taken).
        account: AccountId,
    },
    /// Create value out of the faucet (loot drop, starting cash).
    Mint {
        /// Who receives it (into available).
        account: AccountId,
        /// What is minted.
        asset: AssetId,
        /// Minor units of `asset`; positive, and the asset's supply (minted − burned) must
        /// stay within `u64::MAX`.
        amount: u64,
    },
    /// Destroy value from an account's available balance into the burn account.
    Burn {
        /// Whose available balance pays it.
        account: AccountId,
        /// What is burned.
        asset: AssetId,
        /// Minor units of `asset`; positive and at most the account's available balance
        /// (locked funds cannot be burned).
        amount: u64,
    },
    /// Cancel every resting order of a market.
    CancelMarket {
        /// The market whose book is emptied; it stays open.
        market: MarketId,
    },
    /// Only lets game time pass (GTD expiry happens on every command).
    Tick,
    // ---- player: `actor` is the account ----
    /// Place an order for the actor. Success is `Outcome::Accepted` with the new order id.
    Place(OrderRequest),
    /// Cancel one of the actor's resting orders (also in a halted market).
    Cancel {
        /// The order; `UnknownOrder` if it is not resting or not the actor's (the two are
        /// not told apart, so nobody can probe other accounts' order ids).
        order: OrderId,
    },
    /// Set a resting order's price and remaining quantity. Reducing the quantity at the same
    /// price keeps time priority; a new price or a larger quantity re-queues the order.
    Modify {
        /// The actor's resting order.
        order: OrderId,
        /// The new limit price in ticks.
        price: u64,
        /// The new remaining quantity in lots (not counting lots already filled).
        quantity: u64,
    },
    /// Cancel all of the actor's resting orders, in one market or everywhere.
    CancelAll {
        /// Only this market, or `None` for every market.
        market: Option<MarketId>,
    },
    /// Betting: fixtures, bets, groups (`crate::betting`).
    Bet(BetCommand),
    // ---- player alerts (appended: journal entries keep their encoding) ----
    /// Player: watch a market (`crate::alerts`). Success is `Outcome::AlertCreated`; a spec
    /// out of range is `OutOfRange`, an unknown market `UnknownMarket`.
    CreateAlert(crate::alerts::AlertSpec),
    /// Player: stop watching. `UnknownAlert` if it is not the actor's (not told apart from
    /// an unknown id, so nobody can probe other accounts' alerts).
    RemoveAlert {
        /// The alert's id.
        alert: u64,
    },
}

/// Buy sorts before Sell wherever events are ordered by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    /// A bid: pays quote for base.
    Buy,
    /// An ask: delivers base for quote.
    Sell,
}

impl Side {
    /// The side an order of this side trades against.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// A new order, as a player sends it (`Body::Place`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The market to trade in; it must be Open.
    pub market: MarketId,
    /// Buy or sell the market's base item.
    pub side: Side,
    /// Limit (price and lots) or market (lots or quote budget).
    pub kind: OrderKind,
    /// How long the order lives. Market orders must be IOC or FOK.
    pub tif: TimeInForce,
    /// Reject instead of taking liquidity (limit orders only).
    pub post_only: bool,
}

/// Whether an order has a price limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    /// `price` in ticks, `quantity` in lots.
    Limit {
        /// Worst acceptable price in ticks, within `1..=policy.max_price`.
        price: u64,
        /// Lots, within `policy.min_quantity..=policy.max_quantity`.
        quantity: u64,
    },
    /// No price limit: takes the best prices available now, and never rests.
    Market(MarketSize),
}

/// How much a market order trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketSize {
    /// Lots to buy or sell.
    Quantity(u64),
    /// Quote minor units to spend, fees included (buy only).
    Budget(u64),
}

/// How long an order may wait for a counterparty.
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
