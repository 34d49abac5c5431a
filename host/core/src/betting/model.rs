//! The betting vocabulary: what admins and players send, and what queries return.
//!
//! Naming: an *event* in the product sense (a match, a tournament round) is a [`Fixture`]
//! here, because `Event` already names the engine's output records.

use serde::{Deserialize, Serialize};

use super::odds::Odds;
use super::payout::BetOutcome;
use super::spec::EventResult;
use crate::ids::{AccountId, AssetId, RequestId};

use crate::ids::id;

id!(
    /// An event (fixture), chosen by the admin or the fixtures file that creates it.
    FixtureId(u64)
);
id!(
    /// A bet or an exchange order, assigned by the engine from one counter.
    BetId(u64)
);
id!(
    /// A group (league), chosen by its creator's client.
    GroupId(u32)
);

/// A market of a fixture: the fixture and the market's position in its spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MarketRef {
    pub fixture: FixtureId,
    pub market: u16,
}

/// One selection of a fixture market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectionRef {
    pub fixture: FixtureId,
    pub market: u16,
    pub selection: u16,
}

/// scheduled → open → in-play → closed → settled; cancelled (before a result) or void
/// (after one) end a fixture with every stake returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FixtureStatus {
    Scheduled,
    Open,
    /// Betting paused by an admin (material event); resumes with `Open` or `InPlay`.
    Suspended,
    InPlay,
    Closed,
    Settled,
    Cancelled,
    Void,
}

impl FixtureStatus {
    pub fn word(self) -> &'static str {
        match self {
            FixtureStatus::Scheduled => "scheduled",
            FixtureStatus::Open => "open",
            FixtureStatus::Suspended => "suspended",
            FixtureStatus::InPlay => "in-play",
            FixtureStatus::Closed => "closed",
            FixtureStatus::Settled => "settled",
            FixtureStatus::Cancelled => "cancelled",
            FixtureStatus::Void => "void",
        }
    }

    /// Whether the fixture has reached an end (no more bets, result known or refunded).
    pub fn is_final(self) -> bool {
        matches!(self, FixtureStatus::Settled | FixtureStatus::Cancelled | FixtureStatus::Void)
    }
}

/// An event as the admin or a fixtures file declares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureSpec {
    pub id: FixtureId,
    pub name: String,
    /// Home first for two-sided fixtures.
    pub participants: Vec<String>,
    /// The currency stakes are paid in (group bets use their group's cash instead).
    pub currency: AssetId,
    /// Game time (ms) betting opens; `None` opens at creation.
    pub opens_at: Option<u64>,
    /// Game time (ms) the fixture goes in-play.
    pub starts_at: u64,
    pub markets: Vec<BetMarketSpec>,
}

/// A market of a fixture: one bet type with its selections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetMarketSpec {
    /// The bet-type plugin that validates and settles it ("moneyline", "spread", "totals").
    pub bet_type: String,
    /// The line shared by the selections (totals); a selection may carry its own (spread).
    pub line: Option<String>,
    pub params: Vec<(String, String)>,
    pub selections: Vec<SelectionSpec>,
    pub mode: BetMode,
    /// Whether bets are taken while the fixture is in play.
    pub in_play: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionSpec {
    /// What the bet-type plugin sees as `selection` (a participant, "draw", "over", ...).
    pub name: String,
    pub line: Option<String>,
    /// Fixed-odds markets: the house's price, `None` while not offered.
    pub odds: Option<Odds>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetMode {
    /// Against the house, which never risks more than `exposure_limit` minor units of a
    /// wallet currency on any one outcome of the market.
    Fixed { exposure_limit: u64 },
    /// Back and lay between players on the odds ladder.
    Exchange,
}

/// Where a bet's money comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Wallet {
    /// The player's own balance of the fixture's currency.
    Main,
    /// The player's cash in a group.
    Group(GroupId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BackLay {
    Back,
    Lay,
}

/// A selection at the odds the bettor accepts (the house may give better, never worse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    pub selection: SelectionRef,
    pub odds: Odds,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetKind {
    Single(Leg),
    Parlay(Vec<Leg>),
    /// An exchange order: `stake` is the backer's stake (for a lay, what the layer accepts
    /// from backers; the layer escrows stake × (odds − 1)). `persist` keeps the unmatched
    /// part when the fixture goes in-play; otherwise it lapses.
    Exchange { leg: Leg, side: BackLay, persist: bool },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetRequest {
    pub wallet: Wallet,
    /// Minor units of the wallet's currency.
    pub stake: u64,
    pub kind: BetKind,
}

/// A group's terms, as its creator sets them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    pub id: GroupId,
    pub name: String,
    /// Cash (minor units, two decimals) each member starts with.
    pub starting_cash: u64,
    pub starts_at: u64,
    pub ends_at: u64,
    /// Anyone may join; otherwise an invitation is needed.
    pub open: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

/// Betting commands (`Body::Bet`). Admin-only ones are marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetCommand {
    /// Admin.
    CreateFixture(FixtureSpec),
    /// Admin: open, suspend, go in-play, close or cancel (a cancel refunds every bet).
    SetFixtureStatus { fixture: FixtureId, status: FixtureStatus },
    /// Admin or feed: the house price of a fixed-odds selection (`None` stops offering it).
    SetOdds { selection: SelectionRef, odds: Option<Odds> },
    /// Admin or feed: settles every bet; reporting again re-settles, correcting the ledger.
    ReportResult { fixture: FixtureId, result: EventResult },
    /// Admin: void a fixture, also after settlement (every stake returned).
    VoidFixture { fixture: FixtureId },
    Place(BetRequest),
    /// Cancel the unmatched part of an exchange order.
    CancelOrder { bet: BetId },
    CreateGroup(GroupSpec),
    Invite { group: GroupId, account: AccountId },
    Join { group: GroupId },
    Leave { group: GroupId },
    SetRole { group: GroupId, account: AccountId, role: Role },
}

/// Where a bet stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetState {
    /// Accepted, waiting for its result(s).
    Open,
    /// An exchange order with an unmatched part resting on the ladder.
    Unmatched,
    /// An exchange order whose stake is all matched (its matched bets carry on).
    Matched,
    Settled(BetOutcome),
    /// Unmatched exchange stake taken off the ladder (cancelled or lapsed at in-play).
    Closed,
}

/// Betting records out of the engine (`Event::Bet`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetEvent {
    FixtureCreated { fixture: FixtureId },
    FixtureChanged { fixture: FixtureId, status: FixtureStatus },
    OddsChanged { selection: SelectionRef, odds: Option<Odds> },
    /// A bet accepted (fixed odds, parlay) or an exchange order placed (`matched` = 0 if it rests).
    BetPlaced { bet: BetId, account: AccountId, request: RequestId, asset: AssetId, stake: u64, odds: Odds },
    /// Part of an exchange order matched: `bet` is the new matched bet, `order` its order.
    BetMatched { bet: BetId, order: BetId, account: AccountId, side: BackLay, selection: SelectionRef, stake: u64, odds: Odds },
    /// Unmatched exchange stake released (`lapsed`: at in-play; otherwise cancelled).
    OrderClosed { order: BetId, account: AccountId, released: u64, lapsed: bool },
    /// A bet settled (or re-settled): `paid` is the total returned, stake included.
    BetSettled { bet: BetId, account: AccountId, asset: AssetId, outcome: BetOutcome, stake: u64, paid: u64, resettled: bool },
    /// A bet's earlier settlement was reversed (`clawed` taken back; any shortfall is owed).
    BetReversed { bet: BetId, account: AccountId, clawed: u64, owed: u64 },
    /// One 5-minute odds window of a selection closed.
    OddsWindow(OddsWindow),
    GroupCreated { group: GroupId, asset: AssetId },
    GroupInvited { group: GroupId, account: AccountId },
    GroupJoined { group: GroupId, account: AccountId },
    GroupLeft { group: GroupId, account: AccountId },
    GroupRole { group: GroupId, account: AccountId, role: Role },
    /// The group's end date passed: standings are frozen.
    GroupEnded { group: GroupId, standings: Vec<Standing> },
}

/// Odds aggregated over one tumbling window of a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OddsWindow {
    pub selection: SelectionRef,
    pub start: u64,
    pub end: u64,
    /// Mean of the observed odds, rounded down to the odds scale.
    pub average: Odds,
    pub min: Odds,
    pub max: Odds,
    /// Observations: price changes and exchange matches.
    pub count: u64,
    /// Backers' stake matched on the exchange in the window (minor units).
    pub matched: u64,
}

/// A member's line in a group's leaderboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub account: AccountId,
    pub cash: u64,
    /// Stakes (and lay liabilities) of open bets.
    pub open_stake: u64,
    /// cash + open stake.
    pub equity: u64,
    /// (equity − starting cash) ÷ starting cash, in basis points.
    pub roi_bps: i64,
}

/// A bet as queries show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetView {
    pub bet: BetId,
    pub account: AccountId,
    pub asset: AssetId,
    pub wallet: Wallet,
    pub stake: u64,
    pub odds: Odds,
    pub legs: Vec<SelectionRef>,
    /// For exchange bets and orders.
    pub side: Option<BackLay>,
    /// For a matched exchange bet: its order.
    pub order: Option<BetId>,
    /// Unmatched stake of an exchange order.
    pub unmatched: u64,
    pub state: BetState,
    pub paid: u64,
    pub placed_at: u64,
}

/// A fixture as queries show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureView {
    pub spec: FixtureSpec,
    pub status: FixtureStatus,
    pub result: Option<EventResult>,
    /// Current fixed odds per market and selection.
    pub odds: Vec<Vec<Option<Odds>>>,
    /// Bets ever placed on it (singles, parlay legs, matched exchange bets).
    pub bets: u64,
}

impl std::fmt::Display for FixtureStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}
