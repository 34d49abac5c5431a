//! Plain Rust mirrors of the WIT records that the server handles, and their conversions to
//! and from the `bindgen!` types.
//!
//! The server, the simulator and the benchmarks code against these, never against the
//! generated types: the generated ones change shape with the WIT and carry wasmtime's
//! derive machinery, these stay plain data (serde, so that outcomes can be journaled).

use entrepot_core::rules::{AccountView, Fees, Listing, MarketView, OrderCheck, TradeFacts};
use entrepot_core::{MarketStatus, Side};
use serde::{Deserialize, Serialize};

use crate::bindings::bet_type::exports::entrepot::plugin::bet as wit_bet;
use crate::bindings::market_rules::entrepot::plugin::types as wit;
use crate::bindings::notifier::exports::entrepot::plugin::notify as wit_notify;

/// Static facts about a market, served to plugins by the `host.market-info` import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    pub market: u32,
    pub symbol: String,
    /// Price step in quote per whole base unit, an exact decimal such as "0.01".
    pub tick: String,
    /// Quantity step in base units, an exact decimal such as "1".
    pub lot: String,
    pub quote_decimals: u8,
    pub base_decimals: u8,
    /// Quote minor units of one tick on one lot.
    pub tick_value: u64,
}

// The bet records live in the engine (it journals them); re-exported here for plugin users.
// A `Multiplier` from a plugin always has a non-zero denominator: the host refuses any
// other answer as a fault.
pub use entrepot_core::betting::{BetOutcome, BetSpec, EventResult, ParticipantScore};

/// The kinds of server event a notifier can subscribe to (manifest `[applies] events`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    OrderFilled,
    BetSettled,
    AccountCreated,
    PriceAlert,
    AccountConfirmation,
    PasswordReset,
    BetStatus,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::OrderFilled,
        EventKind::BetSettled,
        EventKind::AccountCreated,
        EventKind::PriceAlert,
        EventKind::AccountConfirmation,
        EventKind::PasswordReset,
        EventKind::BetStatus,
    ];

    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderFilled => "order-filled",
            EventKind::BetSettled => "bet-settled",
            EventKind::AccountCreated => "account-created",
            EventKind::PriceAlert => "price-alert",
            EventKind::AccountConfirmation => "account-confirmation",
            EventKind::PasswordReset => "password-reset",
            EventKind::BetStatus => "bet-status",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFilled {
    pub account: u64,
    pub order: u64,
    pub market: u32,
    pub symbol: String,
    pub side: Side,
    /// Exact decimals in the market's currency and item units.
    pub price: String,
    pub quantity: String,
    /// Lots still open on the order after this fill.
    pub remaining: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetSettled {
    pub account: u64,
    pub bet: u64,
    pub event_name: String,
    pub selection: String,
    /// "won", "lost", "push", "void", "half-won", "half-lost".
    pub result: String,
    /// Exact decimal paid back, stake included.
    pub payout: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCreated {
    pub account: u64,
    pub display_name: String,
}

/// A player's market alert fired or resolved (WIT `price-alert`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceAlert {
    pub account: u64,
    /// The alert's id, as the player's alert list shows it.
    pub alert: u64,
    pub market: u32,
    pub symbol: String,
    /// The measure watched (`Measure::name`: "price", "volume", "spread", ...).
    pub measure: String,
    /// The sample that changed the alert, an exact decimal in the measure's unit ("" for a gap).
    pub value: String,
    /// True when the value is above the alert's level (or rose), false when below.
    pub rising: bool,
    pub state: AlertState,
}

/// Whether a [`PriceAlert`] started holding or stopped (WIT `alert-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertState {
    Fired,
    Resolved,
}

/// A new account must confirm its address; the e-mail must carry the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfirmation {
    pub account: u64,
    pub email: String,
    pub token: String,
}

/// A password reset was requested; the e-mail must carry the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub account: u64,
    pub email: String,
    pub token: String,
}

/// A bet changed state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetStatus {
    pub account: u64,
    pub bet: u64,
    pub event_name: String,
    pub selection: String,
    /// "accepted", "matched", "settled", "void" or "lapsed".
    pub status: String,
    /// Exact decimals in the bet's currency.
    pub stake: String,
    pub odds: String,
    /// Paid back, stake included, once settled or void.
    pub payout: Option<String>,
}

/// A server event handed to notifiers (WIT `event`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyEvent {
    OrderFilled(OrderFilled),
    BetSettled(BetSettled),
    AccountCreated(AccountCreated),
    PriceAlert(PriceAlert),
    AccountConfirmation(AccountConfirmation),
    PasswordReset(PasswordReset),
    BetStatus(BetStatus),
}

impl NotifyEvent {
    /// The account the event concerns: the only one its notifications may address.
    pub fn account(&self) -> u64 {
        match self {
            NotifyEvent::OrderFilled(e) => e.account,
            NotifyEvent::BetSettled(e) => e.account,
            NotifyEvent::AccountCreated(e) => e.account,
            NotifyEvent::PriceAlert(e) => e.account,
            NotifyEvent::AccountConfirmation(e) => e.account,
            NotifyEvent::PasswordReset(e) => e.account,
            NotifyEvent::BetStatus(e) => e.account,
        }
    }

    pub fn kind(&self) -> EventKind {
        match self {
            NotifyEvent::OrderFilled(_) => EventKind::OrderFilled,
            NotifyEvent::BetSettled(_) => EventKind::BetSettled,
            NotifyEvent::AccountCreated(_) => EventKind::AccountCreated,
            NotifyEvent::PriceAlert(_) => EventKind::PriceAlert,
            NotifyEvent::AccountConfirmation(_) => EventKind::AccountConfirmation,
            NotifyEvent::PasswordReset(_) => EventKind::PasswordReset,
            NotifyEvent::BetStatus(_) => EventKind::BetStatus,
        }
    }

    /// The secret an e-mail for this event must carry (confirmation and reset tokens).
    /// Such events are delivered by e-mail only: the token proves the address.
    pub fn token(&self) -> Option<&str> {
        match self {
            NotifyEvent::AccountConfirmation(e) => Some(&e.token),
            NotifyEvent::PasswordReset(e) => Some(&e.token),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    InGame,
    Email,
}

/// A message for one account, proposed by a notifier; the host resolves addresses and
/// delivers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The notifier that proposed it.
    pub plugin: String,
    pub channel: Channel,
    pub account: u64,
    pub subject: String,
    pub body: String,
}

// ---- conversions to the generated types ------------------------------------------------

pub(crate) fn side(s: Side) -> wit::Side {
    match s {
        Side::Buy => wit::Side::Buy,
        Side::Sell => wit::Side::Sell,
    }
}

pub(crate) fn market_view(m: &MarketView) -> wit::MarketView {
    wit::MarketView { market: m.market.0, now_ms: m.now_ms, last_price: m.last_price, best_bid: m.best_bid, best_ask: m.best_ask }
}

pub(crate) fn account_view(a: &AccountView) -> wit::AccountView {
    wit::AccountView {
        account: a.account.0,
        available_quote: a.available_quote,
        available_base: a.available_base,
        open_orders: a.open_orders,
        resting_buy_lots: a.resting_buy_lots,
        bought_lots: a.bought_lots,
        window_start_ms: a.window_start_ms,
    }
}

pub(crate) fn order_check(o: &OrderCheck) -> wit::OrderCheck {
    wit::OrderCheck {
        side: side(o.side),
        price: o.price,
        quantity: o.quantity,
        budget: o.budget,
        rests: o.rests,
        modifies: o.modifies.map(|m| (m.price, m.quantity)),
    }
}

pub(crate) fn trade(t: &TradeFacts) -> wit::Trade {
    wit::Trade {
        price: t.price,
        quantity: t.quantity,
        notional: t.notional,
        taker_side: side(t.taker_side),
        maker_account: t.maker_account.0,
        taker_account: t.taker_account.0,
    }
}

pub(crate) fn listing(l: &Listing) -> wit::Listing {
    wit::Listing {
        account: l.account.0,
        side: side(l.side),
        price: l.price,
        quantity: l.quantity,
        notional: l.notional,
        modifies: l.modifies.map(|m| (m.price, m.quantity)),
    }
}

pub(crate) fn fees_back(f: wit::Fees) -> Fees {
    Fees { maker: f.maker, taker: f.taker }
}

pub(crate) fn market_status(s: MarketStatus) -> wit::MarketStatus {
    match s {
        MarketStatus::Open => wit::MarketStatus::Open,
        MarketStatus::Halted => wit::MarketStatus::Halted,
        MarketStatus::Closed => wit::MarketStatus::Closed,
    }
}

pub(crate) fn market_info(m: &MarketInfo) -> wit::MarketInfo {
    wit::MarketInfo {
        market: m.market,
        symbol: m.symbol.clone(),
        tick: m.tick.clone(),
        lot: m.lot.clone(),
        quote_decimals: m.quote_decimals,
        base_decimals: m.base_decimals,
        tick_value: m.tick_value,
    }
}

pub(crate) fn bet_spec(s: &BetSpec) -> wit_bet::BetSpec {
    wit_bet::BetSpec { participants: s.participants.clone(), selection: s.selection.clone(), line: s.line.clone(), params: s.params.clone() }
}

pub(crate) fn event_result(r: &EventResult) -> wit_bet::EventResult {
    wit_bet::EventResult {
        scores: r.scores.iter().map(|s| wit_bet::ParticipantScore { participant: s.participant.clone(), score: s.score }).collect(),
        completed: r.completed,
    }
}

/// `None` for a multiplier with a zero denominator (a ratio that means nothing).
pub(crate) fn outcome_back(o: wit_bet::Outcome) -> Option<BetOutcome> {
    Some(match o {
        wit_bet::Outcome::Win => BetOutcome::Win,
        wit_bet::Outcome::Lose => BetOutcome::Lose,
        wit_bet::Outcome::Push => BetOutcome::Push,
        wit_bet::Outcome::Void => BetOutcome::Void,
        wit_bet::Outcome::HalfWin => BetOutcome::HalfWin,
        wit_bet::Outcome::HalfLose => BetOutcome::HalfLose,
        wit_bet::Outcome::Multiplier(r) if r.denominator == 0 => return None,
        wit_bet::Outcome::Multiplier(r) => BetOutcome::Multiplier { numerator: r.numerator, denominator: r.denominator },
    })
}

pub(crate) fn notify_event(e: &NotifyEvent) -> wit_notify::Event {
    match e {
        NotifyEvent::OrderFilled(f) => wit_notify::Event::OrderFilled(wit_notify::OrderFilled {
            account: f.account,
            order: f.order,
            market: f.market,
            symbol: f.symbol.clone(),
            side: side(f.side),
            price: f.price.clone(),
            quantity: f.quantity.clone(),
            remaining: f.remaining,
        }),
        NotifyEvent::BetSettled(b) => wit_notify::Event::BetSettled(wit_notify::BetSettled {
            account: b.account,
            bet: b.bet,
            event_name: b.event_name.clone(),
            selection: b.selection.clone(),
            result: b.result.clone(),
            payout: b.payout.clone(),
        }),
        NotifyEvent::AccountCreated(a) => {
            wit_notify::Event::AccountCreated(wit_notify::AccountCreated { account: a.account, display_name: a.display_name.clone() })
        }
        NotifyEvent::PriceAlert(p) => wit_notify::Event::PriceAlert(wit_notify::PriceAlert {
            account: p.account,
            alert: p.alert,
            market: p.market,
            symbol: p.symbol.clone(),
            measure: p.measure.clone(),
            value: p.value.clone(),
            rising: p.rising,
            state: match p.state {
                AlertState::Fired => wit_notify::AlertState::Fired,
                AlertState::Resolved => wit_notify::AlertState::Resolved,
            },
        }),
        NotifyEvent::AccountConfirmation(c) => {
            wit_notify::Event::AccountConfirmation(wit_notify::AccountConfirmation { account: c.account, email: c.email.clone(), token: c.token.clone() })
        }
        NotifyEvent::PasswordReset(r) => {
            wit_notify::Event::PasswordReset(wit_notify::PasswordReset { account: r.account, email: r.email.clone(), token: r.token.clone() })
        }
        NotifyEvent::BetStatus(b) => wit_notify::Event::BetStatus(wit_notify::BetStatus {
            account: b.account,
            bet: b.bet,
            event_name: b.event_name.clone(),
            selection: b.selection.clone(),
            status: b.status.clone(),
            stake: b.stake.clone(),
            odds: b.odds.clone(),
            payout: b.payout.clone(),
        }),
    }
}

pub(crate) fn notification_back(plugin: &str, n: wit_notify::Notification) -> Notification {
    Notification {
        plugin: plugin.to_owned(),
        channel: match n.channel {
            wit_notify::Channel::InGame => Channel::InGame,
            wit_notify::Channel::Email => Channel::Email,
        },
        account: n.account,
        subject: n.subject,
        body: n.body,
    }
}

/// Bytes a plugin's answer occupies, for the manifest's `output_bytes` limit: the strings
/// it carries plus a fixed cost per record, so that a list of a million empty records
/// counts too.
pub(crate) fn notifications_size(list: &[wit_notify::Notification]) -> usize {
    list.iter().map(|n| 16 + n.subject.len() + n.body.len()).sum()
}
