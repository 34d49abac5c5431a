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
    /// The fixture.
    pub fixture: FixtureId,
    /// Index into the fixture's `FixtureSpec::markets`, from 0.
    pub market: u16,
}

/// One selection of a fixture market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectionRef {
    /// The fixture.
    pub fixture: FixtureId,
    /// Index into the fixture's `FixtureSpec::markets`, from 0.
    pub market: u16,
    /// Index into that market's `BetMarketSpec::selections`, from 0.
    pub selection: u16,
}

/// scheduled → open → in-play → closed → settled; cancelled (before a result) or void
/// (after one) end a fixture with every stake returned.
///
/// Admin moves (`SetFixtureStatus`): Scheduled → Open or InPlay; Open → Suspended, InPlay
/// or Closed; Suspended → Open (only before `starts_at`), InPlay or Closed; InPlay →
/// Suspended or Closed. Timers open a fixture at `opens_at` and put it in play at
/// `starts_at`. A result (`ReportResult`) settles it from any status but Cancelled and
/// Void; `VoidFixture` cancels or voids it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FixtureStatus {
    /// Created with a future `opens_at`: no bets until then.
    Scheduled,
    /// Taking pre-match bets.
    Open,
    /// Betting paused by an admin (material event); resumes with `Open` or `InPlay`.
    Suspended,
    /// Started: bets only on `in_play` markets. Unmatched exchange stake lapses on entry
    /// unless the order is `persist` on an `in_play` market.
    InPlay,
    /// No more bets; waiting for the result. Unmatched exchange stake is released.
    Closed,
    /// A result was reported and every bet paid. Reporting again re-settles.
    Settled,
    /// Voided before any result: every stake returned. Final.
    Cancelled,
    /// Voided after settlement: payments reversed, every stake returned. Final.
    Void,
}

impl FixtureStatus {
    /// Lowercase name for display and messages ("scheduled", "in-play", ...).
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
    /// Chosen by the admin or fixtures file (`FixtureExists` if taken).
    pub id: FixtureId,
    /// Display name ("Reds v Blues").
    pub name: String,
    /// Home first for two-sided fixtures.
    pub participants: Vec<String>,
    /// The currency stakes are paid in (group bets use their group's cash instead).
    pub currency: AssetId,
    /// Game time (ms) betting opens; `None` opens at creation.
    pub opens_at: Option<u64>,
    /// Game time (ms) the fixture goes in-play.
    pub starts_at: u64,
    /// What can be bet on: 1 to 64 markets, addressed by index.
    pub markets: Vec<BetMarketSpec>,
}

/// A market of a fixture: one bet type with its selections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetMarketSpec {
    /// The bet-type plugin that validates and settles it ("moneyline", "spread", "totals").
    pub bet_type: String,
    /// The line shared by the selections (totals); a selection may carry its own (spread).
    pub line: Option<String>,
    /// Extra (name, value) parameters handed to the bet-type plugin with every selection.
    pub params: Vec<(String, String)>,
    /// The outcomes one can bet on: 1 to 64, with distinct names, addressed by index.
    pub selections: Vec<SelectionSpec>,
    /// Against the house (fixed odds) or between players (exchange).
    pub mode: BetMode,
    /// Whether bets are taken while the fixture is in play.
    pub in_play: bool,
}

/// One outcome of a fixture market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionSpec {
    /// What the bet-type plugin sees as `selection` (a participant, "draw", "over", ...).
    pub name: String,
    /// This selection's own line (spread), overriding the market's.
    pub line: Option<String>,
    /// Fixed-odds markets: the house's price, `None` while not offered.
    pub odds: Option<Odds>,
}

/// Who a market's bets are against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetMode {
    /// Against the house, which never risks more than `exposure_limit` minor units of a
    /// wallet currency on any one outcome of the market.
    Fixed {
        /// The house's largest net loss on the market (returns − stakes if any one
        /// selection wins), in minor units, per wallet asset.
        exposure_limit: u64,
    },
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

/// The two sides of an exchange bet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BackLay {
    /// For the selection: escrows the stake and wins stake × (odds − 1) if it wins.
    Back,
    /// Against the selection: accepts a backer's stake, escrowing the liability
    /// stake × (odds − 1) it pays if the selection wins.
    Lay,
}

/// A selection at the odds the bettor accepts (the house may give better, never worse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// What is bet on.
    pub selection: SelectionRef,
    /// Fixed odds: the lowest odds accepted (`OddsChanged` if the house's are lower).
    /// Exchange: the order's price on the ladder, the lowest a back or the highest a lay
    /// accepts.
    pub odds: Odds,
}

/// What kind of bet a request places.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetKind {
    /// One selection against the house, at its current odds.
    Single(Leg),
    /// 2 to [`crate::betting::MAX_PARLAY_LEGS`] selections on distinct fixture markets,
    /// against the house: the odds multiply and every leg must come in (a pushed leg
    /// drops out). Settles when the last leg's fixture is final.
    Parlay(Vec<Leg>),
    /// An exchange order: `stake` is the backer's stake (for a lay, what the layer accepts
    /// from backers; the layer escrows stake × (odds − 1)). `persist` keeps the unmatched
    /// part when the fixture goes in-play; otherwise it lapses.
    Exchange {
        /// The selection and the order's ladder odds.
        leg: Leg,
        /// Back or lay.
        side: BackLay,
        /// Keep the unmatched part resting when the fixture goes in-play (only on
        /// `in_play` markets).
        persist: bool,
    },
}

/// A bet as a player places it (`BetCommand::Place`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetRequest {
    /// Whose money: the player's own or a group's cash.
    pub wallet: Wallet,
    /// Minor units of the wallet's currency.
    pub stake: u64,
    /// Single, parlay or exchange order.
    pub kind: BetKind,
}

/// A group's terms, as its creator sets them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    /// Chosen by the creator's client; below `GROUP_ASSETS`.
    pub id: GroupId,
    /// Display name.
    pub name: String,
    /// Cash (minor units, two decimals) each member starts with.
    pub starting_cash: u64,
    /// Game time (ms) from which group bets are taken.
    pub starts_at: u64,
    /// Game time (ms) group bets stop and the standings freeze; after `starts_at` and in
    /// the future at creation.
    pub ends_at: u64,
    /// Anyone may join; otherwise an invitation is needed.
    pub open: bool,
}

/// A member's rights in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// The creator: invites and sets roles; cannot leave, and the role never moves.
    Owner,
    /// May invite.
    Admin,
    /// Bets with the group's cash.
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
