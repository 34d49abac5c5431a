//! The betting half of the engine's state. Ordered maps wherever iteration order reaches
//! events or the state hash, so replays are identical.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::model::*;
use super::odds::Odds;
use super::payout::BetOutcome;
use super::spec::EventResult;
use crate::book::{Book, IdMap};
use crate::ids::{AccountIx, AssetIx};

/// Asset ids from here up are group currencies (`GROUP_ASSETS + group id`); admins cannot
/// create them.
pub const GROUP_ASSETS: u32 = 0x8000_0000;

/// Tumbling window length for odds aggregates.
pub const WINDOW_MS: u64 = 5 * 60 * 1000;

/// Closed windows kept per selection for queries (24 hours).
pub const WINDOWS_KEPT: usize = 288;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Betting {
    pub fixtures: BTreeMap<FixtureId, Fixture>,
    pub bets: IdMap<u64, Bet>,
    pub next_bet: u64,
    /// Exchange ladders per (selection, wallet asset): lay = Buy side, back = Sell side,
    /// price = ladder tick, quantity = backers' stake in `STAKE_UNIT`s.
    pub books: BTreeMap<(SelectionRef, AssetIx), Book<u64>>,
    pub groups: BTreeMap<GroupId, Group>,
    /// Bet ids per account index, in placement order.
    pub by_account: IdMap<AccountIx, Vec<u64>>,
    /// Escrow of open bets per (account, asset): the "open bets at stake" of leaderboards.
    pub open_stake: BTreeMap<(AccountIx, AssetIx), u64>,
    /// Game-clock work: (due time, what).
    pub timers: BTreeSet<(u64, Timer)>,
    pub windows: BTreeMap<SelectionRef, WindowState>,
    /// The latest closed windows per selection, oldest first (at most `WINDOWS_KEPT`).
    pub closed_windows: BTreeMap<SelectionRef, std::collections::VecDeque<OddsWindow>>,
    /// Derived (not in snapshots; [`Betting::derive`] rebuilds it): per wallet asset, the
    /// worst case of every open fixed-odds bet, Σ (most it can pay − its stake).
    #[serde(skip)]
    pub liability: BTreeMap<AssetIx, u128>,
    /// Derived (not in snapshots; [`Betting::derive`] rebuilds it): the groups each account
    /// owns or joined (left ones included), for quotas and `groups_of`.
    #[serde(skip)]
    pub memberships: BTreeMap<AccountIx, BTreeSet<GroupId>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Timer {
    Open(FixtureId),
    Start(FixtureId),
    GroupEnd(GroupId),
    Window(SelectionRef),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Fixture {
    pub spec: FixtureSpec,
    pub status: FixtureStatus,
    /// Status before a suspension, restored when an admin resumes with `Open`.
    pub result: Option<EventResult>,
    /// Current house odds per [market][selection].
    pub odds: Vec<Vec<Option<Odds>>>,
    /// Settled outcome per [market][selection] of the current result.
    pub outcomes: Option<Vec<Vec<BetOutcome>>>,
    /// Singles and matched exchange bets on this fixture.
    pub bets: Vec<u64>,
    /// Parlays with a leg here.
    pub parlays: Vec<u64>,
    /// Unmatched exchange orders resting on this fixture's ladders.
    pub orders: BTreeSet<u64>,
    /// Fixed-odds exposure per (market, wallet asset): total stakes and, per selection,
    /// total potential returns.
    pub exposure: BTreeMap<(u16, AssetIx), Exposure>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Exposure {
    pub stakes: u128,
    pub returns: Vec<u128>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Bet {
    pub account: AccountIx,
    pub asset: AssetIx,
    pub wallet: Wallet,
    /// What the bet holds in escrow: its stake, or a lay's liability.
    pub escrow: u64,
    /// Backer's stake (for a lay: the matched backers' stake).
    pub stake: u64,
    pub odds: Odds,
    pub legs: Vec<Leg>,
    pub exchange: Option<ExchangeBet>,
    pub state: BetState,
    pub paid: u64,
    pub placed_at: u64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct ExchangeBet {
    pub side: BackLay,
    /// For a matched bet: the order it came from. For an order: itself.
    pub order: u64,
    /// For an order: stake still unmatched (resting). 0 for matched bets.
    pub unmatched: u64,
    /// For an order: stake matched so far.
    pub matched: u64,
    pub persist: bool,
    /// True for the order record (which holds unmatched escrow), false for matched bets.
    pub is_order: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    pub spec: GroupSpec,
    pub owner: AccountIx,
    pub asset: AssetIx,
    pub members: BTreeMap<AccountIx, Role>,
    pub invited: BTreeSet<AccountIx>,
    pub left: BTreeSet<AccountIx>,
    pub ended: Option<Vec<Standing>>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct WindowState {
    pub start: u64,
    pub sum: u128,
    pub min: u64,
    pub max: u64,
    pub count: u64,
    pub matched: u64,
}

/// At most this many groups end in one command; the rest end in the next ones (their timer
/// stays due, so `next_timer` keeps the server ticking). Ending a group freezes its
/// standings, O(members), so thousands ending at once must not stall the engine thread.
pub const MAX_GROUP_ENDS_PER_COMMAND: usize = 256;

impl Betting {
    /// Rebuild the derived tables from the state (after a snapshot is restored).
    pub(crate) fn derive(&mut self) {
        self.liability.clear();
        for bet in self.bets.values() {
            if bet.exchange.is_none() && bet.state == BetState::Open {
                let worst = bet.max_return().expect("checked at placement") - bet.escrow;
                *self.liability.entry(bet.asset).or_default() += u128::from(worst);
            }
        }
        self.memberships.clear();
        for (&g, group) in &self.groups {
            for &a in group.members.keys() {
                self.memberships.entry(a).or_default().insert(g);
            }
        }
    }

    /// (groups owned, groups joined as admin or member) by `a` that have not ended and
    /// that `a` has not left: what the server's per-player quotas count.
    pub(crate) fn active_groups(&self, a: AccountIx) -> (usize, usize) {
        let mut counts = (0, 0);
        for g in self.memberships.get(&a).into_iter().flatten() {
            let group = &self.groups[g];
            if group.ended.is_some() || group.left.contains(&a) {
                continue;
            }
            if group.owner == a {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        counts
    }

    /// When the next game-clock work is due (fixture opening or start, group end, odds
    /// window close).
    pub(crate) fn next_timer(&self) -> Option<u64> {
        self.timers.first().map(|(at, _)| *at)
    }
}

impl Bet {
    /// The most a fixed-odds bet can pay: stake × the product of its legs' odds, rounded
    /// down (a single: stake × odds). Settlement never pays more, whatever a bet-type
    /// plugin answers. `None` if it does not fit in a u64 (refused at placement).
    pub(crate) fn max_return(&self) -> Option<u64> {
        max_return(&self.legs, self.stake)
    }
}

/// stake × Π legs' odds, rounded down; `None` past u64.
pub(crate) fn max_return(legs: &[Leg], stake: u64) -> Option<u64> {
    super::payout::parlay_multiplier(legs.iter().map(|l| l.odds.ratio()))?.apply_floor(stake)
}
