//! Betting: events (fixtures) and their lifecycle, fixed-odds and exchange bets, parlays,
//! settlement through bet-type plugins, groups with their own cash, leaderboards and odds
//! windows. All of it is part of the deterministic engine: every change is a command in
//! the journal, and every plugin answer a recorded decision.

mod odds;
mod payout;
mod spec;

pub use odds::{Odds, Ratio};
pub use payout::{multiplier, parlay_multiplier, payout, BetOutcome};
pub use spec::{BetSpec, EventResult, ParticipantScore};

mod exchange;
mod fixtures;
mod groups;
mod ledger;
mod model;
mod place;
mod queries;
mod run;
mod settle;
mod stage;
pub(crate) mod state;
pub(crate) use stage::Bets;
mod windows;

pub use exchange::{escrow_for, STAKE_UNIT};
pub use model::*;
pub use place::{MAX_PARLAY_LEGS, PARLAY};
pub use settle::leg_param;
pub use state::{GROUP_ASSETS, MAX_GROUP_ENDS_PER_COMMAND, WINDOW_MS};
