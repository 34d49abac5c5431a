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

use crate::betting::{BetEvent, BetId, Odds};
use crate::command::{Side, TimeInForce};
use crate::ids::{AccountId, AssetId, MarketId, OrderId, RequestId, TradeId};
use crate::market::MarketStatus;

/// One record of what a command did. A command's events come in the order described in
/// the module documentation; amounts are minor units, prices ticks, quantities lots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// `Body::CreateAsset` succeeded.
    AssetCreated {
        /// The new asset.
        asset: AssetId,
    },
    /// `Body::CreateMarket` succeeded; the market is Open with an empty book.
    MarketCreated {
        /// The new market.
        market: MarketId,
    },
    /// `Body::SetMarketStatus` succeeded. To Closed, the cancellations follow.
    MarketChanged {
        /// The market changed.
        market: MarketId,
        /// Its new status.
        status: MarketStatus,
    },
    /// `Body::OpenAccount` succeeded.
    AccountOpened {
        /// The new account.
        account: AccountId,
    },
    /// New value entered an account's available balance through `Body::Mint`. (A group's
    /// starting cash is minted with `BetEvent::GroupJoined` instead.)
    Minted {
        /// Who received it.
        account: AccountId,
        /// What was minted.
        asset: AssetId,
        /// Minor units of `asset`.
        amount: u64,
    },
    /// Value left an account's available balance for good (`Body::Burn`).
    Burned {
        /// Whose balance paid it.
        account: AccountId,
        /// What was burned.
        asset: AssetId,
        /// Minor units of `asset`.
        amount: u64,
    },
    /// The command failed validation; nothing changed.
    Rejected {
        /// The command's actor.
        account: AccountId,
        /// The command's request id.
        request: RequestId,
        /// Why: the first check that failed.
        reason: RejectReason,
    },
    /// The market's rules plugin explained a `RejectReason::RuleRejected` (comes just before it).
    RuleMessage {
        /// The command's actor.
        account: AccountId,
        /// The command's request id.
        request: RequestId,
        /// The plugin's text, cut to [`crate::rules::MAX_REASON_BYTES`] bytes at a
        /// character boundary. Shown to players as is.
        message: String,
    },
    /// The (actor, request) pair was seen before: this is its first outcome, nothing changed.
    Duplicate {
        /// The command's actor.
        account: AccountId,
        /// The repeated request id.
        request: RequestId,
        /// What the first command with this key returned (rejections included).
        outcome: Outcome,
    },
    /// A non-order command (cancel, mass cancel, admin) succeeded.
    Done {
        /// The command's actor.
        account: AccountId,
        /// The command's request id.
        request: RequestId,
    },
    /// A `Body::Place` was accepted: the escrow is locked and the listing fee paid. Its
    /// trades and its `OrderDone` (if it does not rest) follow.
    OrderAccepted {
        /// The new order's id (the next of one counter over all markets).
        order: OrderId,
        /// The owner (the command's actor).
        account: AccountId,
        /// The command's request id.
        request: RequestId,
        /// Where it trades.
        market: MarketId,
        /// Buy or sell.
        side: Side,
        /// Limit price in ticks; 0 for market orders.
        price: u64,
        /// Lots for limit and market-by-quantity orders; 0 for market-by-budget.
        quantity: u64,
        /// As requested.
        tif: TimeInForce,
        /// Quote minor units locked for a bid / base minor units (lots × lot size) for an ask.
        escrow: u64,
        /// Quote minor units paid to the fee sink on acceptance (GTC/GTD limit orders only,
        /// else 0); never refunded.
        listing_fee: u64,
    },
    /// A `Body::Modify` was applied. When priority was lost, any trades of the re-entered
    /// order follow.
    OrderModified {
        /// The modified order (its id does not change).
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its market.
        market: MarketId,
        /// The new limit price in ticks.
        price: u64,
        /// The new remaining quantity in lots.
        quantity: u64,
        /// False when the order lost its time priority (new price or larger quantity).
        kept_priority: bool,
    },
    /// One fill between a resting order (maker) and an incoming one (taker), at the maker's
    /// price. The buyer pays notional + its fee; the seller receives notional − its fee.
    Trade {
        /// The trade's id (the next of one counter over all markets).
        trade: TradeId,
        /// Where it happened.
        market: MarketId,
        /// The maker's price in ticks.
        price: u64,
        /// Lots traded.
        quantity: u64,
        /// The resting order.
        maker_order: OrderId,
        /// The resting order's owner.
        maker_account: AccountId,
        /// The incoming (or re-entered, modified) order.
        taker_order: OrderId,
        /// The incoming order's owner.
        taker_account: AccountId,
        /// The incoming order's side; the maker is on the other.
        taker_side: Side,
        /// Quote minor units the maker paid to the fee sink.
        maker_fee: u64,
        /// Quote minor units the taker paid to the fee sink.
        taker_fee: u64,
    },
    /// The order left the book (or never rested) and released its escrow.
    OrderDone {
        /// The order, now gone.
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its market.
        market: MarketId,
        /// How it ended.
        reason: DoneReason,
        /// Lots traded over the order's life.
        filled: u64,
        /// Lots that did not trade and were released.
        released: u64,
    },
    /// A player's balance of one asset after the command, sent only when it changed.
    /// Bet stakes held in escrow are in neither figure.
    Balance {
        /// The player.
        account: AccountId,
        /// The asset.
        asset: AssetId,
        /// Minor units free to trade or bet.
        available: u64,
        /// Minor units held as escrow by resting orders.
        locked: u64,
    },
    /// A price level's total after the command, sent only when it changed. Apply them in
    /// `seq` order to keep a copy of the book; a gap means a missed update.
    BookLevel {
        /// The market.
        market: MarketId,
        /// Bids (Buy) or asks (Sell).
        side: Side,
        /// The level's price in ticks.
        price: u64,
        /// Total lots resting at that price; 0 = the level is gone.
        quantity: u64,
        /// The market's book sequence number: 1 for its first `BookLevel`, then +1 each.
        seq: u64,
    },
    /// Fixtures, bets, groups and odds windows (`crate::betting`).
    Bet(BetEvent),
    /// `Body::CreateAlert` succeeded.
    AlertCreated {
        /// The new alert's id.
        alert: u64,
        /// Its owner (the command's actor).
        account: AccountId,
        /// What it watches.
        spec: crate::alerts::AlertSpec,
    },
    /// `Body::RemoveAlert` succeeded.
    AlertRemoved {
        /// The alert, now gone.
        alert: u64,
        /// Its owner.
        account: AccountId,
    },
}

/// Why an order is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneReason {
    /// Every lot traded (a budget order: it traded at all).
    Filled,
    /// Cancelled by its owner, a mass cancel, or a market close.
    Cancelled,
    /// A GTD order whose expiry time came (swept at the start of the next command).
    Expired,
    /// IOC or market order remainder that found nothing more to trade with.
    Unfilled,
    /// Cancelled by self-trade prevention.
    SelfTrade,
}

/// The remembered result of a command, returned again for a duplicate request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// A `Body::Place` was accepted.
    Accepted {
        /// The new order's id.
        order: OrderId,
    },
    /// A bet or exchange order accepted.
    BetPlaced {
        /// The new bet's (or exchange order's) id.
        bet: BetId,
    },
    /// Any other command succeeded.
    Done,
    /// The command was refused and changed nothing.
    Rejected(RejectReason),
    /// A `Body::CreateAlert` succeeded.
    AlertCreated {
        /// The new alert's id.
        alert: u64,
    },
}

/// Why a command was refused. The state is unchanged after any of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RejectReason {
    /// The actor, or an account the command names, was never opened.
    #[error("unknown account")]
    UnknownAccount,
    /// `Body::OpenAccount` with an id already in use.
    #[error("account already exists")]
    AccountExists,
    /// An asset id that was never created (mint, burn, market assets).
    #[error("unknown asset")]
    UnknownAsset,
    /// `Body::CreateAsset` with an id already in use.
    #[error("asset already exists")]
    AssetExists,
    /// A market id that was never created.
    #[error("unknown market")]
    UnknownMarket,
    /// `Body::CreateMarket` with an id already in use.
    #[error("market already exists")]
    MarketExists,
    /// The market spec or policy failed a check (the first one, in the order of
    /// [`InvalidMarket`]).
    #[error("invalid market: {0}")]
    InvalidMarket(InvalidMarket),
    /// The order is not resting: it never existed, or it already filled, was cancelled or
    /// expired.
    #[error("unknown order")]
    UnknownOrder,
    /// No longer produced: another account's order is answered `UnknownOrder` (kept so
    /// that recorded outcomes still decode; variants are positional).
    #[error("the order belongs to another account")]
    NotOrderOwner,
    /// Place or Modify in a Halted market (cancels still work).
    #[error("market is halted")]
    MarketHalted,
    /// Place in a Closed market, or a status change of one (Closed is final).
    #[error("market is closed")]
    MarketClosed,
    /// A decimal price is not a multiple of the market's tick (API boundary:
    /// [`crate::units::MarketUnits::price_to_ticks`]; the engine itself takes ticks).
    #[error("price is not a multiple of the market's tick size")]
    PriceNotOnTick,
    /// A decimal quantity is not a multiple of the market's lot (API boundary:
    /// [`crate::units::MarketUnits::quantity_to_lots`]; the engine itself takes lots).
    #[error("quantity is not a multiple of the market's lot size")]
    QuantityNotOnLot,
    /// A decimal amount has more places than its asset's decimals, or an exchange stake is
    /// not a multiple of [`crate::betting::STAKE_UNIT`] minor units.
    #[error("amount has more decimal places than the asset allows")]
    AmountPrecision,
    /// A number the engine cannot represent: any checked arithmetic overflowing `u64`, more
    /// than 18 decimals, an asset supply past `u64::MAX`, a non-positive decimal.
    #[error("number out of range")]
    OutOfRange,
    /// A limit price outside `1..=max` ticks.
    #[error("price must be between 1 and {max} ticks")]
    PriceOutOfRange {
        /// The market's `max_price`, in ticks.
        max: u64,
    },
    /// An order quantity outside the market's `min_quantity..=max_quantity` lots.
    #[error("quantity must be between {min} and {max} lots")]
    QuantityOutOfRange {
        /// The market's `min_quantity`, in lots.
        min: u64,
        /// The market's `max_quantity`, in lots.
        max: u64,
    },
    /// A mint, burn, market budget or bet stake of 0.
    #[error("amount must be positive")]
    ZeroAmount,
    /// The account's available balance does not cover what the command must take from it.
    #[error("insufficient funds: need {needed}, have {available}")]
    InsufficientFunds {
        /// The asset that is short.
        asset: AssetId,
        /// Minor units of `asset` needed from available: an order's escrow (for a buy,
        /// plus the listing fee; a sell's listing fee is checked on its own), the increase
        /// for a Modify, the stake or lay liability for a bet.
        needed: u64,
        /// Minor units the account has available.
        available: u64,
    },
    /// A post-only order, or its modification, would cross the best opposite price (own
    /// orders included).
    #[error("post-only order would take liquidity")]
    PostOnlyWouldTrade,
    /// A FOK order cannot trade its whole quantity now, within its limit and after
    /// self-trade prevention.
    #[error("fill-or-kill order cannot be filled in full")]
    FillOrKillUnfilled,
    /// A market order marked post-only or GTC/GTD: market orders are IOC or FOK.
    #[error("a market order cannot be post-only or GTC/GTD")]
    InvalidMarketOrder,
    /// [`crate::MarketSize::Budget`] on a sell.
    #[error("a budget is only valid for market buys")]
    BudgetOnlyForBuys,
    /// A GTD expiry at or before the current game time.
    #[error("expiry time has already passed")]
    ExpiryInPast,
    /// A GTC/GTD order while the account already rests `max_open_orders` orders in the
    /// market.
    #[error("all {max} order slots in this market are in use")]
    OrderSlotsFull {
        /// The market's `max_open_orders`.
        max: u32,
    },
    /// A buy (or a Modify growing one) larger than what the market's buy limit still
    /// allows the account.
    #[error("buy limit reached: {remaining} lots left in this window")]
    BuyLimitReached {
        /// Lots the account may still buy in the current window, its resting buy lots
        /// already deducted.
        remaining: u64,
    },
    /// The market's rules plugin refused the order; its text is in `Event::RuleMessage`.
    #[error("refused by the market's rules")]
    RuleRejected,
    // ---- betting ----
    /// A fixture id that was never created.
    #[error("unknown event")]
    UnknownFixture,
    /// `BetCommand::CreateFixture` with an id already in use.
    #[error("event already exists")]
    FixtureExists,
    /// The fixture spec failed a shape check (see [`InvalidFixture`]).
    #[error("invalid event: {0}")]
    InvalidFixture(InvalidFixture),
    /// The fixture's status takes no bets on that market (bets need Open, or InPlay on an
    /// `in_play` market), or no more odds (it is final).
    #[error("the event is {0}: it does not take bets")]
    BettingClosed(crate::betting::FixtureStatus),
    /// A market or selection index past the end of the fixture's spec.
    #[error("unknown market or selection")]
    UnknownSelection,
    /// The house has no price on this fixed-odds selection now (its odds are `None`).
    #[error("this selection is not offered at the moment")]
    OddsNotOffered,
    /// The house's current price is below the odds the bet asked for; resend at `offered`
    /// to accept it.
    #[error("the odds are now {offered}, below the {requested} asked for")]
    OddsChanged {
        /// The house's current odds.
        offered: Odds,
        /// The lowest odds the bet would accept.
        requested: Odds,
    },
    /// Exchange odds that are not one of the 350 prices of the exchange ladder (see
    /// [`crate::betting::Odds::tick`]).
    #[error("odds must be a price of the exchange ladder (1.01 to 1000)")]
    OddsNotOnLadder,
    /// The bet would take the house's worst-case loss on the market past its
    /// `exposure_limit` (for a parlay: the tightest limit among its legs' markets).
    #[error("the house takes at most {max_stake} more on this selection")]
    ExposureLimit {
        /// The largest stake, in minor units, that would be taken now at these odds (0 if
        /// none).
        max_stake: u64,
    },
    /// The bet-type plugin refused; its text is in `Event::RuleMessage`.
    #[error("refused by the bet type")]
    BetRefused,
    /// No bet-type plugin answered (missing, quarantined or faulted), or it answered a
    /// multiplier with a zero denominator. Nothing changed; the command can be sent again.
    #[error("the bet-type plugin is not available; try again later")]
    PluginUnavailable,
    /// A parlay with fewer than 2 or more than [`crate::betting::MAX_PARLAY_LEGS`] legs, two
    /// legs on the same fixture market, legs paid in different assets, or odds whose product
    /// cannot be settled exactly.
    #[error("a parlay needs 2 to 12 legs on different markets, in one currency, short enough to settle exactly")]
    ParlayLegs,
    /// A fixed-odds bet on an exchange market or an exchange order on a fixed-odds one, or
    /// `SetOdds` on an exchange market.
    #[error("this kind of bet is not taken on this market")]
    WrongMarketMode,
    /// A bet id that was never assigned.
    #[error("unknown bet")]
    UnknownBet,
    /// `CancelOrder` of another account's exchange order.
    #[error("the bet belongs to another account")]
    NotBetOwner,
    /// `CancelOrder` of a bet that is not an exchange order with unmatched stake.
    #[error("nothing left to cancel")]
    NothingToCancel,
    /// A fixture status change the lifecycle does not allow (see [`crate::betting::FixtureStatus`]).
    #[error("the event's status cannot change from {from} to {to}")]
    BadTransition {
        /// The fixture's current status.
        from: crate::betting::FixtureStatus,
        /// The status asked for.
        to: crate::betting::FixtureStatus,
    },
    /// A group id that was never created.
    #[error("unknown group")]
    UnknownGroup,
    /// `CreateGroup` with an id in use, at or past `GROUP_ASSETS`, or whose cash asset id
    /// (`GROUP_ASSETS + id`) is taken.
    #[error("group already exists")]
    GroupExists,
    /// The actor, or the account named, is not a current member (never joined, or left).
    #[error("not a member of this group")]
    NotGroupMember,
    /// `Join` by an account that is or was a member (leaving is final), or `Invite` of a
    /// current member.
    #[error("already a member of this group")]
    AlreadyMember,
    /// `Join` of a closed group without an invitation.
    #[error("this group is invitation-only")]
    NotInvited,
    /// A group bet before the group's `starts_at` or from its `ends_at` on, or a `Join` or
    /// `Invite` after it ended.
    #[error("the group is not running (before its start or after its end)")]
    GroupNotRunning,
    /// `Invite` by an account that is neither the group's owner or an admin nor the
    /// operator; `SetRole` by anyone but the owner or the operator, or to or from the owner
    /// role.
    #[error("only the group's owner or admins may do that")]
    NotGroupAdmin,
    /// `Leave` by the group's owner.
    #[error("the owner cannot leave the group")]
    OwnerCannotLeave,
    /// `CreateGroup` with zero starting cash, `starts_at >= ends_at`, or an end not in the
    /// future.
    #[error("a group needs positive starting cash and a start before its end")]
    InvalidGroup,
    /// `RemoveAlert` of an alert that does not exist or is not the actor's.
    #[error("unknown alert")]
    UnknownAlert,
}

/// Why a fixture definition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InvalidFixture {
    /// Fewer than two participants, a repeated name or an empty one.
    #[error("it needs at least two distinct, non-empty participants")]
    Participants,
    /// No markets.
    #[error("it needs at least one market")]
    NoMarkets,
    /// The market at this index has no selections, or two with the same name.
    #[error("market {0} needs at least one selection, with distinct names")]
    Selections(u16),
    /// `currency` is not an existing asset of kind Currency.
    #[error("the currency must be an existing currency asset")]
    Currency,
    /// `opens_at` is after `starts_at`.
    #[error("opening time after the start")]
    Times,
    /// More than 64 markets, or a market with more than 64 selections.
    #[error("too many markets or selections (at most 64 each)")]
    TooBig,
}

/// Why a market definition or policy was refused, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InvalidMarket {
    /// `base == quote`.
    #[error("base and quote must be different assets")]
    SameAssets,
    /// The base is not an Item, or the quote not a Currency.
    #[error("the base must be an item and the quote a currency")]
    WrongAssetKinds,
    /// `tick` or `lot` is zero or negative.
    #[error("tick and lot must be positive")]
    NonPositiveStep,
    /// `lot × 10^base_decimals` is not an integer.
    #[error("the lot must be a whole number of the base asset's minor units")]
    LotNotWhole,
    /// `tick × lot × 10^quote_decimals` is not an integer, or does not fit a `u64`.
    #[error("one tick on one lot must be a whole number of the quote asset's minor units")]
    TickLotNotWhole,
    /// `maker_fee_bps` or `taker_fee_bps` above 10000 (100%).
    #[error("a fee cannot exceed 10000 basis points")]
    FeeTooHigh,
    /// `min_quantity` is 0 or above `max_quantity`.
    #[error("quantities need 0 < min_quantity <= max_quantity")]
    BadQuantityRange,
    /// `max_price` is 0.
    #[error("max_price must be positive")]
    ZeroMaxPrice,
    /// A buy limit with a quantity or window of 0.
    #[error("a buy limit needs a positive quantity and window")]
    BadBuyLimit,
}
