//! Players' price alerts as engine state: who watches which market for what.
//!
//! Only the definitions live here (created and removed by journaled commands, so a replay
//! knows them at the same sequence numbers); whether an alert is pending or firing is
//! derived market data, evaluated by `entrepot-marketdata` from the events these commands
//! emit (`Event::AlertCreated`, `Event::AlertRemoved`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, MarketId};

/// The longest alert window, `for` and `keep_firing_for`: the 24 hours of metric history.
pub const MAX_ALERT_SPAN_MS: u64 = 24 * 60 * 60 * 1000;
/// The shortest averaging window of a spike rule: one second (the shortest sampling
/// interval; the server also refuses windows shorter than its own interval).
pub const MIN_ALERT_WINDOW_MS: u64 = 1000;
/// The largest spike factor, in thousandths (×1,000,000).
pub const MAX_ALERT_FACTOR_MILLI: u64 = 1_000_000_000;

/// What a metric measures. Market measures are in the market's ticks and lots; economy
/// measures in the currency's minor units; counts are plain numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Measure {
    /// The last trade price (ticks).
    Price,
    /// Lots traded in the sample's minute.
    Volume,
    /// Last price minus the price 24 hours before (ticks, signed).
    ChangeAbsolute,
    /// That change in hundredths of a percent of the price 24 hours before (signed).
    ChangePercentage,
    /// Best ask minus best bid (ticks).
    Spread,
    /// Lots resting on the bid side.
    BidDepth,
    /// Lots resting on the ask side.
    AskDepth,
    /// Minted minus burned, all time (minor units).
    Supply,
    /// Minted in the sample's minute (group starting cash included).
    Minted,
    /// Burned in the sample's minute.
    Burned,
    /// Trading fees paid into the sink in the sample's minute.
    Fees,
    /// Bet stakes placed or matched in the sample's minute.
    Stakes,
    /// Bet payouts in the sample's minute.
    Payouts,
    /// Accounts that traded, placed or bet in the sample's minute.
    ActiveAccounts,
    /// Resting orders at the sample.
    OpenOrders,
}

impl Measure {
    /// Every measure, in wire order.
    pub const ALL: [Measure; 15] = [
        Measure::Price,
        Measure::Volume,
        Measure::ChangeAbsolute,
        Measure::ChangePercentage,
        Measure::Spread,
        Measure::BidDepth,
        Measure::AskDepth,
        Measure::Supply,
        Measure::Minted,
        Measure::Burned,
        Measure::Fees,
        Measure::Stakes,
        Measure::Payouts,
        Measure::ActiveAccounts,
        Measure::OpenOrders,
    ];

    /// The measure's stable name (`"change_percentage"`).
    pub fn name(self) -> &'static str {
        match self {
            Measure::Price => "price",
            Measure::Volume => "volume",
            Measure::ChangeAbsolute => "change_absolute",
            Measure::ChangePercentage => "change_percentage",
            Measure::Spread => "spread",
            Measure::BidDepth => "bid_depth",
            Measure::AskDepth => "ask_depth",
            Measure::Supply => "supply",
            Measure::Minted => "minted",
            Measure::Burned => "burned",
            Measure::Fees => "fees",
            Measure::Stakes => "stakes",
            Measure::Payouts => "payouts",
            Measure::ActiveAccounts => "active_accounts",
            Measure::OpenOrders => "open_orders",
        }
    }

    /// The measure named `name`.
    pub fn parse(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a market metric has this measure (the others belong to `economy:` metrics).
    pub fn of_market(self) -> bool {
        matches!(
            self,
            Measure::Price | Measure::Volume | Measure::ChangeAbsolute | Measure::ChangePercentage | Measure::Spread | Measure::BidDepth | Measure::AskDepth
        )
    }
}

/// When a player's alert holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertCondition {
    /// The last price is above this many ticks.
    PriceAbove(u64),
    /// The last price is below this many ticks.
    PriceBelow(u64),
    /// The 24-hour change is beyond ± this many hundredths of a percent.
    ChangeBeyond(u64),
    /// The measure's sample exceeds `factor_milli / 1000` × its average over the
    /// `window_ms` before the sample (the sample itself excluded).
    Spike {
        /// The market measure watched.
        measure: Measure,
        /// The factor in thousandths (3 × = 3000).
        factor_milli: u64,
        /// The averaging window (game ms).
        window_ms: u64,
    },
}

/// A player's alert on one market, with Prometheus' `for` and `keep_firing_for`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSpec {
    /// The market watched.
    pub market: MarketId,
    /// What must hold.
    pub condition: AlertCondition,
    /// How long (game ms) the condition must hold before the alert fires (0: at once).
    pub for_ms: u64,
    /// How long a firing alert keeps firing after the condition stops holding.
    pub keep_firing_for_ms: u64,
}

impl AlertSpec {
    /// Whether the spec's numbers are in range (the market is checked by the engine).
    pub fn is_valid(&self) -> bool {
        let condition = match self.condition {
            AlertCondition::PriceAbove(p) | AlertCondition::PriceBelow(p) => p > 0,
            AlertCondition::ChangeBeyond(h) => h > 0,
            AlertCondition::Spike { measure, factor_milli, window_ms } => {
                measure.of_market() && (1..=MAX_ALERT_FACTOR_MILLI).contains(&factor_milli) && (MIN_ALERT_WINDOW_MS..=MAX_ALERT_SPAN_MS).contains(&window_ms)
            }
        };
        condition && self.for_ms <= MAX_ALERT_SPAN_MS && self.keep_firing_for_ms <= MAX_ALERT_SPAN_MS
    }

    /// The measure the condition reads.
    pub fn measure(&self) -> Measure {
        match self.condition {
            AlertCondition::PriceAbove(_) | AlertCondition::PriceBelow(_) => Measure::Price,
            AlertCondition::ChangeBeyond(_) => Measure::ChangePercentage,
            AlertCondition::Spike { measure, .. } => measure,
        }
    }
}

/// The alert definitions, by id (ids are never reused).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerts {
    pub(crate) next: u64,
    pub(crate) by_id: BTreeMap<u64, (AccountId, AlertSpec)>,
}

impl Alerts {
    /// Add an alert; returns its id.
    pub(crate) fn add(&mut self, owner: AccountId, spec: AlertSpec) -> u64 {
        self.next += 1;
        let id = self.next;
        assert!(self.by_id.insert(id, (owner, spec)).is_none(), "alert ids are never reused");
        id
    }

    /// The owner's alert `id`, if it exists and is theirs.
    pub(crate) fn owned(&self, owner: AccountId, id: u64) -> Option<&AlertSpec> {
        self.by_id.get(&id).filter(|(o, _)| *o == owner).map(|(_, s)| s)
    }

    /// Remove alert `id`.
    pub(crate) fn remove(&mut self, id: u64) {
        self.by_id.remove(&id);
    }

    /// Every alert: (id, owner, spec), by id.
    pub fn iter(&self) -> impl Iterator<Item = (u64, AccountId, &AlertSpec)> {
        self.by_id.iter().map(|(&id, (owner, spec))| (id, *owner, spec))
    }

    /// How many alerts `owner` has.
    pub fn count_of(&self, owner: AccountId) -> usize {
        self.by_id.values().filter(|(o, _)| *o == owner).count()
    }
}
