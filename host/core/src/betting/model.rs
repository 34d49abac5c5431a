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
    /// An ordinary member (every role bets with the group's cash).
    Member,
}

/// Betting commands (`Body::Bet`). Admin-only ones are marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetCommand {
    /// Admin: declare a fixture. Every selection is validated by its bet-type plugin first.
    /// Status Open, or Scheduled until a future `opens_at`.
    CreateFixture(FixtureSpec),
    /// Admin: open, suspend, resume, go in-play or close (the allowed moves are listed on
    /// [`FixtureStatus`]). Cancelling is `VoidFixture`.
    SetFixtureStatus {
        /// The fixture.
        fixture: FixtureId,
        /// The status to move to.
        status: FixtureStatus,
    },
    /// Admin or feed: the house price of a fixed-odds selection (`None` stops offering it).
    SetOdds {
        /// A selection of a fixed-odds market of a fixture that is not final.
        selection: SelectionRef,
        /// The new house odds; bets already taken keep theirs.
        odds: Option<Odds>,
    },
    /// Admin or feed: settles every bet; reporting again re-settles, correcting the ledger.
    ReportResult {
        /// The fixture (not Cancelled or Void).
        fixture: FixtureId,
        /// The final scores, handed to each selection's bet-type plugin. If any plugin
        /// does not answer, nothing changes (`PluginUnavailable`).
        result: EventResult,
    },
    /// Admin: void a fixture, also after settlement (every stake returned).
    VoidFixture {
        /// The fixture (not already Cancelled or Void).
        fixture: FixtureId,
    },
    /// Player: bet the actor's money (or group cash). Success is `Outcome::BetPlaced`.
    Place(BetRequest),
    /// Cancel the unmatched part of an exchange order.
    CancelOrder {
        /// The actor's exchange order (the id `BetPlaced` gave it).
        bet: BetId,
    },
    /// Player: create a group owned by the actor, who joins it with the starting cash.
    CreateGroup(GroupSpec),
    /// Owner, group admin or operator: let an account join an invitation-only group.
    Invite {
        /// The group (not ended).
        group: GroupId,
        /// Who is invited.
        account: AccountId,
    },
    /// Player: join a group (open, or invited) and receive its starting cash. Once per
    /// account.
    Join {
        /// The group (not ended).
        group: GroupId,
    },
    /// Player: leave a group's standings for good. Open group bets still settle.
    Leave {
        /// The group (the owner cannot leave).
        group: GroupId,
    },
    /// Owner or operator: make a member an Admin or a Member.
    SetRole {
        /// The group.
        group: GroupId,
        /// A current member other than the owner.
        account: AccountId,
        /// Admin or Member (Owner is refused).
        role: Role,
    },
}

/// Where a bet stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetState {
    /// Accepted, waiting for its result(s).
    Open,
    /// An exchange order with an unmatched part resting on the ladder.
    Unmatched,
    /// An exchange order with nothing left on the ladder after matching some stake: all
    /// of it, or part and the rest closed (its matched bets carry on).
    Matched,
    /// Paid. The outcome is as the owner sees it (a lay's is the selection's inverted).
    Settled(BetOutcome),
    /// An exchange order taken off the ladder with nothing matched (cancelled, lapsed at
    /// in-play, replaced by its owner's newer order, or the fixture ended).
    Closed,
}

/// Betting records out of the engine (`Event::Bet`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetEvent {
    /// `CreateFixture` succeeded; a `FixtureChanged` with its first status follows.
    FixtureCreated {
        /// The new fixture.
        fixture: FixtureId,
    },
    /// A fixture's status changed (admin, timer, result or void). Lapsed or released
    /// exchange orders follow as `OrderClosed`.
    FixtureChanged {
        /// The fixture.
        fixture: FixtureId,
        /// Its new status.
        status: FixtureStatus,
    },
    /// The house price of a fixed-odds selection changed (`SetOdds`).
    OddsChanged {
        /// The selection.
        selection: SelectionRef,
        /// The new price; `None` = no longer offered.
        odds: Option<Odds>,
    },
    /// A bet accepted (fixed odds, parlay) or an exchange order placed (its matches, if
    /// any, follow as `BetMatched`).
    BetPlaced {
        /// The new bet or exchange order.
        bet: BetId,
        /// The bettor.
        account: AccountId,
        /// The command's request id.
        request: RequestId,
        /// The asset staked: the fixture's currency, or the group's cash.
        asset: AssetId,
        /// Minor units of `asset`. For a lay order: the backers' stake it accepts (it
        /// escrows the liability).
        stake: u64,
        /// Single: the house odds given (at least those asked). Parlay: the legs' product,
        /// rounded down to four decimals. Exchange: the order's ladder odds.
        odds: Odds,
    },
    /// Part of an exchange order matched: `bet` is the new matched bet, `order` its order.
    BetMatched {
        /// The new matched bet, which settles with the fixture.
        bet: BetId,
        /// The exchange order it came from.
        order: BetId,
        /// The order's owner.
        account: AccountId,
        /// Back or lay.
        side: BackLay,
        /// The selection.
        selection: SelectionRef,
        /// Backer's stake matched, in minor units (a multiple of `STAKE_UNIT`).
        stake: u64,
        /// The match price: the resting order's odds.
        odds: Odds,
    },
    /// An exchange order's unmatched stake was taken off the ladder and its escrow released.
    OrderClosed {
        /// The exchange order.
        order: BetId,
        /// Its owner.
        account: AccountId,
        /// Minor units of escrow returned to available (unmatched stake, or a lay's
        /// liability on it).
        released: u64,
        /// True when the fixture went in-play; false for a cancel, a self-match, or the
        /// fixture closing or ending.
        lapsed: bool,
    },
    /// A bet settled (or re-settled): `paid` is the total returned, stake included.
    BetSettled {
        /// The bet (single, parlay or matched exchange bet).
        bet: BetId,
        /// Its owner.
        account: AccountId,
        /// The asset paid.
        asset: AssetId,
        /// As the owner sees it (a lay's is the selection's inverted).
        outcome: BetOutcome,
        /// Minor units staked (for a lay: the backer's stake it matched).
        stake: u64,
        /// Minor units credited, the bet's own escrow included (a lay's liability); any
        /// betting debt in the asset is repaid from it first.
        paid: u64,
        /// True when it replaces an earlier settlement (a `BetReversed` came just before).
        resettled: bool,
    },
    /// A bet's earlier settlement was reversed (`clawed` taken back; any shortfall is owed).
    BetReversed {
        /// The bet.
        bet: BetId,
        /// Its owner.
        account: AccountId,
        /// Minor units of the earlier payment taken back from available.
        clawed: u64,
        /// Minor units it could not cover: a debt, repaid first from the account's next
        /// betting credits in that asset.
        owed: u64,
    },
    /// One 5-minute odds window of a selection closed.
    OddsWindow(OddsWindow),
    /// `CreateGroup` succeeded; the owner's `GroupJoined` follows.
    GroupCreated {
        /// The new group.
        group: GroupId,
        /// Its cash currency: `GROUP_ASSETS + group`, 2 decimals.
        asset: AssetId,
    },
    /// An account may now join the group.
    GroupInvited {
        /// The group.
        group: GroupId,
        /// The invited account.
        account: AccountId,
    },
    /// An account joined and received the starting cash.
    GroupJoined {
        /// The group.
        group: GroupId,
        /// The new member.
        account: AccountId,
    },
    /// A member left the standings (for good).
    GroupLeft {
        /// The group.
        group: GroupId,
        /// The former member.
        account: AccountId,
    },
    /// A member's role changed.
    GroupRole {
        /// The group.
        group: GroupId,
        /// The member.
        account: AccountId,
        /// The new role.
        role: Role,
    },
    /// The group's end date passed: standings are frozen.
    GroupEnded {
        /// The group.
        group: GroupId,
        /// The final standings, by equity (best first), ties by account id.
        standings: Vec<Standing>,
    },
}

/// Odds aggregated over one tumbling window of a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OddsWindow {
    /// The selection.
    pub selection: SelectionRef,
    /// Game time (ms) the window starts: a multiple of [`crate::betting::WINDOW_MS`].
    pub start: u64,
    /// Game time (ms) it ends, exclusive: `start + WINDOW_MS`.
    pub end: u64,
    /// Mean of the observed odds, rounded down to the odds scale.
    pub average: Odds,
    /// Lowest odds observed.
    pub min: Odds,
    /// Highest odds observed.
    pub max: Odds,
    /// Observations: price changes and exchange matches.
    pub count: u64,
    /// Backers' stake matched on the exchange in the window (minor units).
    pub matched: u64,
}

/// A member's line in a group's leaderboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The member.
    pub account: AccountId,
    /// Group cash available, in minor units.
    pub cash: u64,
    /// Stakes (and lay liabilities) of open bets.
    pub open_stake: u64,
    /// cash + open stake.
    pub equity: u64,
    /// (equity − starting cash) ÷ starting cash, in basis points (rounded toward zero).
    pub roi_bps: i64,
}

/// A bet as queries show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetView {
    /// The bet's id.
    pub bet: BetId,
    /// Its owner.
    pub account: AccountId,
    /// The asset staked and paid.
    pub asset: AssetId,
    /// Where the money came from.
    pub wallet: Wallet,
    /// Minor units: the stake (an exchange order: the whole backers' stake ordered; a lay
    /// bet: the backer's stake it matched).
    pub stake: u64,
    /// The odds taken (a parlay: the legs' product rounded down; an exchange order: its
    /// ladder odds; a matched bet: the match price).
    pub odds: Odds,
    /// The selections: one, or a parlay's legs in order.
    pub legs: Vec<SelectionRef>,
    /// For exchange bets and orders.
    pub side: Option<BackLay>,
    /// For a matched exchange bet: its order.
    pub order: Option<BetId>,
    /// Unmatched stake of an exchange order.
    pub unmatched: u64,
    /// Where it stands.
    pub state: BetState,
    /// Minor units paid at its latest settlement, own escrow included; 0 before.
    pub paid: u64,
    /// Game time (ms) it was placed or matched.
    pub placed_at: u64,
}

/// A fixture as queries show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureView {
    /// As declared (its selections' `odds` are the initial prices; `odds` below has the
    /// current ones).
    pub spec: FixtureSpec,
    /// Where it is in its lifecycle.
    pub status: FixtureStatus,
    /// The reported result; `None` before one and after a void.
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

/// A group as `Engine::group` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    /// Its terms as created.
    pub spec: GroupSpec,
    /// The group's own currency (`GROUP_ASSETS + group id`).
    pub asset: crate::ids::AssetId,
    /// Current members (not those who left) with their roles, by account index order.
    pub members: Vec<(crate::ids::AccountId, Role)>,
    /// Whether the end date has passed (standings frozen).
    pub ended: bool,
}
