//! Events out of the engine: everything persistence, market data and notifications need.
//!
//! Order of events within one command (the reference model in `tests/model` relies on it):
//! 1. `OrderDone { Expired }` for GTD orders whose time has come, by (expiry, order id);
//! 2. the command's own events in the order they happen (accept/reject, trades, done);
//! 3. `Balance` for every (account, asset) whose balance differs from before the command,
//!    sorted by (account, asset);
//! 4. `BookLevel` for every price level whose total differs from before the command,
//!    sorted by (market, side, price), each with the market's next book sequence number.

use serde::{Deserialize, Serialize};

use crate::command::{Side, TimeInForce};
use crate::ids::{AccountId, AssetId, MarketId, OrderId, RequestId, TradeId};
use crate::betting::{BetEvent, BetId, Odds};
use crate::market::MarketStatus;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    AssetCreated { asset: AssetId },
    MarketCreated { market: MarketId },
    MarketChanged { market: MarketId, status: MarketStatus },
    AccountOpened { account: AccountId },
    Minted { account: AccountId, asset: AssetId, amount: u64 },
    Burned { account: AccountId, asset: AssetId, amount: u64 },
    /// The command failed validation; nothing changed.
    Rejected { account: AccountId, request: RequestId, reason: RejectReason },
    /// The market's rules plugin explained a `RejectReason::RuleRejected` (comes just before it).
    RuleMessage { account: AccountId, request: RequestId, message: String },
    /// The (actor, request) pair was seen before: this is its first outcome, nothing changed.
    Duplicate { account: AccountId, request: RequestId, outcome: Outcome },
    /// A non-order command (cancel, mass cancel, admin) succeeded.
    Done { account: AccountId, request: RequestId },
    OrderAccepted {
        order: OrderId,
        account: AccountId,
        request: RequestId,
        market: MarketId,
        side: Side,
        /// Limit price in ticks; 0 for market orders.
        price: u64,
        /// Lots for limit and market-by-quantity orders; 0 for market-by-budget.
        quantity: u64,
        tif: TimeInForce,
        /// Quote minor units locked for a bid / base minor units (lots × lot size) for an ask.
        escrow: u64,
        listing_fee: u64,
    },
    OrderModified {
        order: OrderId,
        account: AccountId,
        market: MarketId,
        price: u64,
        quantity: u64,
        /// False when the order lost its time priority (new price or larger quantity).
        kept_priority: bool,
    },
    Trade {
        trade: TradeId,
        market: MarketId,
        price: u64,
        quantity: u64,
        maker_order: OrderId,
        maker_account: AccountId,
        taker_order: OrderId,
        taker_account: AccountId,
        taker_side: Side,
        maker_fee: u64,
        taker_fee: u64,
    },
    /// The order left the book (or never rested) and released its escrow.
    OrderDone {
        order: OrderId,
        account: AccountId,
        market: MarketId,
        reason: DoneReason,
        /// Lots traded over the order's life.
        filled: u64,
        /// Lots that did not trade and were released.
        released: u64,
    },
    Balance { account: AccountId, asset: AssetId, available: u64, locked: u64 },
    BookLevel { market: MarketId, side: Side, price: u64, quantity: u64, seq: u64 },
    /// Fixtures, bets, groups and odds windows (`crate::betting`).
    Bet(BetEvent),
}

/// Why an order is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneReason {
    Filled,
    /// Cancelled by its owner, a mass cancel, or a market close.
    Cancelled,
    Expired,
    /// IOC or market order remainder that found nothing more to trade with.
    Unfilled,
    /// Cancelled by self-trade prevention.
    SelfTrade,
}

/// The remembered result of a command, returned again for a duplicate request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Accepted { order: OrderId },
    /// A bet or exchange order accepted.
    BetPlaced { bet: BetId },
    Done,
    Rejected(RejectReason),
}

/// Why a command was refused. The state is unchanged after any of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RejectReason {
    #[error("unknown account")]
    UnknownAccount,
    #[error("account already exists")]
    AccountExists,
    #[error("unknown asset")]
    UnknownAsset,
    #[error("asset already exists")]
    AssetExists,
    #[error("unknown market")]
    UnknownMarket,
    #[error("market already exists")]
    MarketExists,
    #[error("invalid market: {0}")]
    InvalidMarket(InvalidMarket),
    #[error("unknown order")]
    UnknownOrder,
    #[error("the order belongs to another account")]
    NotOrderOwner,
    #[error("market is halted")]
    MarketHalted,
    #[error("market is closed")]
    MarketClosed,
    #[error("price is not a multiple of the market's tick size")]
    PriceNotOnTick,
    #[error("quantity is not a multiple of the market's lot size")]
    QuantityNotOnLot,
    #[error("amount has more decimal places than the asset allows")]
    AmountPrecision,
    #[error("number out of range")]
    OutOfRange,
    #[error("price must be between 1 and {max} ticks")]
    PriceOutOfRange { max: u64 },
    #[error("quantity must be between {min} and {max} lots")]
    QuantityOutOfRange { min: u64, max: u64 },
    #[error("amount must be positive")]
    ZeroAmount,
    #[error("insufficient funds: need {needed}, have {available}")]
    InsufficientFunds { asset: AssetId, needed: u64, available: u64 },
    #[error("post-only order would take liquidity")]
    PostOnlyWouldTrade,
    #[error("fill-or-kill order cannot be filled in full")]
    FillOrKillUnfilled,
    #[error("a market order cannot be post-only or GTC/GTD")]
    InvalidMarketOrder,
    #[error("a budget is only valid for market buys")]
    BudgetOnlyForBuys,
    #[error("expiry time has already passed")]
    ExpiryInPast,
    #[error("all {max} order slots in this market are in use")]
    OrderSlotsFull { max: u32 },
    #[error("buy limit reached: {remaining} lots left in this window")]
    BuyLimitReached { remaining: u64 },
    /// The market's rules plugin refused the order; its text is in `Event::RuleMessage`.
    #[error("refused by the market's rules")]
    RuleRejected,
    // ---- betting ----
    #[error("unknown event")]
    UnknownFixture,
    #[error("event already exists")]
    FixtureExists,
    #[error("invalid event: {0}")]
    InvalidFixture(InvalidFixture),
    #[error("the event is {0}: it does not take bets")]
    BettingClosed(crate::betting::FixtureStatus),
    #[error("unknown market or selection")]
    UnknownSelection,
    #[error("this selection is not offered at the moment")]
    OddsNotOffered,
    #[error("the odds are now {offered}, below the {requested} asked for")]
    OddsChanged { offered: Odds, requested: Odds },
    #[error("odds must be a price of the exchange ladder (1.01 to 1000)")]
    OddsNotOnLadder,
    #[error("the house takes at most {max_stake} more on this selection")]
    ExposureLimit { max_stake: u64 },
    /// The bet-type plugin refused; its text is in `Event::RuleMessage`.
    #[error("refused by the bet type")]
    BetRefused,
    #[error("the bet-type plugin is not available; try again later")]
    PluginUnavailable,
    #[error("a parlay needs 2 to 12 legs on different markets, in one currency, short enough to settle exactly")]
    ParlayLegs,
    #[error("this kind of bet is not taken on this market")]
    WrongMarketMode,
    #[error("unknown bet")]
    UnknownBet,
    #[error("the bet belongs to another account")]
    NotBetOwner,
    #[error("nothing left to cancel")]
    NothingToCancel,
    #[error("the event's status cannot change from {from} to {to}")]
    BadTransition { from: crate::betting::FixtureStatus, to: crate::betting::FixtureStatus },
    #[error("unknown group")]
    UnknownGroup,
    #[error("group already exists")]
    GroupExists,
    #[error("not a member of this group")]
    NotGroupMember,
    #[error("already a member of this group")]
    AlreadyMember,
    #[error("this group is invitation-only")]
    NotInvited,
    #[error("the group is not running (before its start or after its end)")]
    GroupNotRunning,
    #[error("only the group's owner or admins may do that")]
    NotGroupAdmin,
    #[error("the owner cannot leave the group")]
    OwnerCannotLeave,
    #[error("a group needs positive starting cash and a start before its end")]
    InvalidGroup,
}

/// Why a fixture definition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InvalidFixture {
    #[error("it needs at least two distinct, non-empty participants")]
    Participants,
    #[error("it needs at least one market")]
    NoMarkets,
    #[error("market {0} needs at least one selection, with distinct names")]
    Selections(u16),
    #[error("the currency must be an existing currency asset")]
    Currency,
    #[error("opening time after the start")]
    Times,
    #[error("too many markets or selections (at most 64 each)")]
    TooBig,
}

/// Why a market definition or policy was refused, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InvalidMarket {
    #[error("base and quote must be different assets")]
    SameAssets,
    #[error("the base must be an item and the quote a currency")]
    WrongAssetKinds,
    #[error("tick and lot must be positive")]
    NonPositiveStep,
    #[error("the lot must be a whole number of the base asset's minor units")]
    LotNotWhole,
    #[error("one tick on one lot must be a whole number of the quote asset's minor units")]
    TickLotNotWhole,
    #[error("a fee cannot exceed 10000 basis points")]
    FeeTooHigh,
    #[error("quantities need 0 < min_quantity <= max_quantity")]
    BadQuantityRange,
    #[error("max_price must be positive")]
    ZeroMaxPrice,
    #[error("a buy limit needs a positive quantity and window")]
    BadBuyLimit,
}
