//! The seam between the engine and market-rules plugins.
//!
//! A market may be bound to a plugin (`Body::BindRules`, journaled like any command). For a
//! bound market the engine asks a [`Rules`] implementation three questions — admit this
//! order?, what fees on this fill?, what listing fee? — and clamps the answers so that no
//! proposal can break escrow or conservation (plugins propose, the host disposes).
//! Unbound markets never reach this module: the native policy in `market.rs` applies.
//!
//! Determinism: a live server answers through WebAssembly, whose faults (deadline, memory)
//! are not reproducible. So every answer given for a bound market is recorded as a
//! [`Decision`] in the command's journal entry, and recovery replays those decisions with
//! [`Replay`] instead of calling plugins. `None` — the plugin was unavailable and the native
//! rule applied — is recorded too.

use serde::{Deserialize, Serialize};

use crate::betting::{BetOutcome, BetSpec, EventResult};
use crate::command::Side;
use crate::ids::{AccountId, MarketId};
use crate::market::PluginBinding;

/// The live state of a market at the moment of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketView {
    /// The bound market.
    pub market: MarketId,
    /// Game time of the command, in milliseconds.
    pub now_ms: u64,
    /// Price in ticks of the market's latest trade (`None` before the first).
    pub last_price: Option<u64>,
    /// Highest resting bid in ticks, if any.
    pub best_bid: Option<u64>,
    /// Lowest resting ask in ticks, if any.
    pub best_ask: Option<u64>,
}

/// The ordering account as it stands in the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountView {
    /// The ordering account.
    pub account: AccountId,
    /// Its available quote balance, in quote minor units (this order's new escrow not
    /// yet taken).
    pub available_quote: u64,
    /// Its available base balance, in base minor units (this order's new escrow not yet
    /// taken).
    pub available_base: u64,
    /// Orders it rests in this market (order slots in use).
    pub open_orders: u32,
    /// Lots of its resting buy orders in this market.
    pub resting_buy_lots: u64,
    /// Lots it bought in this market in the current buy window (0 when no window runs).
    /// The window is the plugin's `buy_window_ms`, else the native buy limit's.
    pub bought_lots: u64,
    /// Game time (ms) the current buy window started, `None` when none runs.
    pub window_start_ms: Option<u64>,
}

/// An order or modification waiting for admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCheck {
    /// Buy or sell.
    pub side: Side,
    /// Limit price in ticks; `None` for a market order.
    pub price: Option<u64>,
    /// Lots asked for (for a modification: the new remaining quantity); 0 for a market
    /// buy by budget.
    pub quantity: u64,
    /// Quote minor units to spend, for a market buy by budget.
    pub budget: Option<u64>,
    /// Whether the order may rest in the book (GTC/GTD; always true for a modification).
    pub rests: bool,
    /// For a modification: the order as it was before it.
    pub modifies: Option<Modifies>,
}

/// The resting order a modification starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modifies {
    /// Price in ticks before the modification.
    pub price: u64,
    /// Lots left before the modification.
    pub quantity: u64,
}

/// One fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeFacts {
    /// The maker's price, in ticks.
    pub price: u64,
    /// Lots traded.
    pub quantity: u64,
    /// `price × quantity × tick_value`, in quote minor units: what fees are taken from.
    pub notional: u64,
    /// The incoming order's side.
    pub taker_side: Side,
    /// Owner of the resting order.
    pub maker_account: AccountId,
    /// Owner of the incoming order.
    pub taker_account: AccountId,
}

/// An order about to rest, or a resting order being modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The order's owner.
    pub account: AccountId,
    /// Buy or sell.
    pub side: Side,
    /// Limit price in ticks (for a modification: the new one).
    pub price: u64,
    /// Lots (for a modification: the new remaining quantity).
    pub quantity: u64,
    /// `price × quantity × tick_value`, in quote minor units.
    pub notional: u64,
    /// For a modification: the order as it was before it.
    pub modifies: Option<Modifies>,
}

/// A plugin's fees for one fill, in quote minor units. The host caps them so escrow always
/// covers them: a buying taker pays at most `fee(notional, taker_fee_bps)`, a buying maker
/// at most `fee(notional, max(maker, taker bps))`, a seller at most the notional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    /// What the resting order's owner pays.
    pub maker: u64,
    /// What the incoming order's owner pays.
    pub taker: u64,
}

/// The longest rejection text kept (bytes, cut at a character boundary).
pub const MAX_REASON_BYTES: usize = 200;

/// Answers for bound markets. `None` means "no answer: apply the native rule".
pub trait Rules {
    /// Admit an order (on Place, after the native checks and before funds) or a
    /// modification (before its escrow change). `Some(Err(text))` refuses it with
    /// `RuleRejected` and the text in `Event::RuleMessage`.
    fn check_order(&mut self, binding: &PluginBinding, market: &MarketView, account: &AccountView, order: &OrderCheck) -> Option<Result<(), String>>;
    /// The fees of one fill, instead of the policy's basis points (capped, see [`Fees`]).
    fn trade_fees(&mut self, binding: &PluginBinding, market: &MarketView, trade: &TradeFacts) -> Option<Fees>;
    /// The fee, in quote minor units, for a GTC/GTD limit order about to be accepted
    /// (instead of `policy.listing_fee`) or for modifying a resting order (natively 0).
    /// Paid from available quote; an order that cannot also pay it is refused.
    fn listing_fee(&mut self, binding: &PluginBinding, market: &MarketView, listing: &Listing) -> Option<u64>;
    /// Ask the `bet_type` plugin whether a bet specification is valid (fixture markets at
    /// creation, parlays at placement). `None`: no plugin answered, so the bet is refused.
    fn validate_bet(&mut self, _bet_type: &str, _spec: &BetSpec) -> Option<Result<(), String>> {
        None
    }
    /// Ask the `bet_type` plugin how a bet ends. `None`: no plugin answered, so the
    /// settlement is refused and can be retried.
    fn settle_bet(&mut self, _bet_type: &str, _spec: &BetSpec, _result: &EventResult) -> Option<BetOutcome> {
        None
    }
}

/// No plugins: every bound market falls back to its native policy.
pub struct NativeOnly;

impl Rules for NativeOnly {
    fn check_order(&mut self, _: &PluginBinding, _: &MarketView, _: &AccountView, _: &OrderCheck) -> Option<Result<(), String>> {
        None
    }
    fn trade_fees(&mut self, _: &PluginBinding, _: &MarketView, _: &TradeFacts) -> Option<Fees> {
        None
    }
    fn listing_fee(&mut self, _: &PluginBinding, _: &MarketView, _: &Listing) -> Option<u64> {
        None
    }
}

/// One recorded answer, in call order within a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// The plugin gave no answer (quarantined, faulted or unloaded): native rule applied.
    Native,
    /// An answer to [`Rules::check_order`].
    Verdict(Result<(), String>),
    /// An answer to [`Rules::trade_fees`], before the host's caps.
    Fees(Fees),
    /// An answer to [`Rules::listing_fee`], in quote minor units.
    ListingFee(u64),
    /// An answer to [`Rules::validate_bet`].
    BetVerdict(Result<(), String>),
    /// An answer to [`Rules::settle_bet`].
    BetOutcome(BetOutcome),
}

/// Records every answer of the wrapped rules, for the journal.
pub struct Recorder<'a, R: Rules + ?Sized> {
    /// The rules that actually answer (the live plugin host).
    pub inner: &'a mut R,
    /// Where each answer is appended, in call order, for the command's journal entry.
    pub decisions: &'a mut Vec<Decision>,
}

impl<R: Rules + ?Sized> Rules for Recorder<'_, R> {
    fn check_order(&mut self, b: &PluginBinding, m: &MarketView, a: &AccountView, o: &OrderCheck) -> Option<Result<(), String>> {
        let answer = self.inner.check_order(b, m, a, o);
        self.decisions.push(answer.clone().map_or(Decision::Native, Decision::Verdict));
        answer
    }
    fn trade_fees(&mut self, b: &PluginBinding, m: &MarketView, t: &TradeFacts) -> Option<Fees> {
        let answer = self.inner.trade_fees(b, m, t);
        self.decisions.push(answer.map_or(Decision::Native, Decision::Fees));
        answer
    }
    fn listing_fee(&mut self, b: &PluginBinding, m: &MarketView, l: &Listing) -> Option<u64> {
        let answer = self.inner.listing_fee(b, m, l);
        self.decisions.push(answer.map_or(Decision::Native, Decision::ListingFee));
        answer
    }
    fn validate_bet(&mut self, bet_type: &str, spec: &BetSpec) -> Option<Result<(), String>> {
        let answer = self.inner.validate_bet(bet_type, spec);
        self.decisions.push(answer.clone().map_or(Decision::Native, Decision::BetVerdict));
        answer
    }
    fn settle_bet(&mut self, bet_type: &str, spec: &BetSpec, result: &EventResult) -> Option<BetOutcome> {
        let answer = self.inner.settle_bet(bet_type, spec, result);
        self.decisions.push(answer.map_or(Decision::Native, Decision::BetOutcome));
        answer
    }
}

/// Gives back recorded answers in order (recovery). The engine makes the same calls in the
/// same order on replay, so a mismatch means the journal does not belong to this state.
pub struct Replay<'a> {
    decisions: std::slice::Iter<'a, Decision>,
}

impl<'a> Replay<'a> {
    /// Replay the decisions recorded for one command. Panics later if the engine asks a
    /// question the journal has no (or another kind of) answer for.
    pub fn new(decisions: &'a [Decision]) -> Self {
        Replay { decisions: decisions.iter() }
    }

    /// Whether every recorded decision was used.
    pub fn finished(&self) -> bool {
        self.decisions.len() == 0
    }

    fn next(&mut self, hook: &str) -> &'a Decision {
        self.decisions.next().unwrap_or_else(|| panic!("journal replay: no recorded decision for {hook}; the journal does not match the engine"))
    }
}

impl Rules for Replay<'_> {
    fn check_order(&mut self, _: &PluginBinding, _: &MarketView, _: &AccountView, _: &OrderCheck) -> Option<Result<(), String>> {
        match self.next("check-order") {
            Decision::Native => None,
            Decision::Verdict(v) => Some(v.clone()),
            other => panic!("journal replay: expected a check-order decision, found {other:?}"),
        }
    }
    fn trade_fees(&mut self, _: &PluginBinding, _: &MarketView, _: &TradeFacts) -> Option<Fees> {
        match self.next("trade-fees") {
            Decision::Native => None,
            Decision::Fees(f) => Some(*f),
            other => panic!("journal replay: expected a trade-fees decision, found {other:?}"),
        }
    }
    fn listing_fee(&mut self, _: &PluginBinding, _: &MarketView, _: &Listing) -> Option<u64> {
        match self.next("listing-fee") {
            Decision::Native => None,
            Decision::ListingFee(f) => Some(*f),
            other => panic!("journal replay: expected a listing-fee decision, found {other:?}"),
        }
    }
    fn validate_bet(&mut self, _: &str, _: &BetSpec) -> Option<Result<(), String>> {
        match self.next("validate") {
            Decision::Native => None,
            Decision::BetVerdict(v) => Some(v.clone()),
            other => panic!("journal replay: expected a bet validation, found {other:?}"),
        }
    }
    fn settle_bet(&mut self, _: &str, _: &BetSpec, _: &EventResult) -> Option<BetOutcome> {
        match self.next("settle") {
            Decision::Native => None,
            Decision::BetOutcome(o) => Some(*o),
            other => panic!("journal replay: expected a bet outcome, found {other:?}"),
        }
    }
}

/// Cut a plugin's rejection text to [`MAX_REASON_BYTES`] at a character boundary.
pub fn clip_reason(mut reason: String) -> String {
    if reason.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}
