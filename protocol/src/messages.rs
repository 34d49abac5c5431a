//! Every message of protocol version 1. Enum variants are encoded by position: only ever
//! append new variants and fields at the end of the last variant, never reorder.
//!
//! Streams: the client sends `RequestFrame`s on bidirectional streams (any number of
//! streams, any number of pipelined requests per stream) and reads one `ResponseFrame`
//! per request on the same stream, in request order. The server pushes `Push` frames on
//! unidirectional streams it opens: one for the account stream, one per market
//! subscription.
//!
//! Prices, quantities and amounts are decimals, encoded as strings ("12.34").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A request with the client-chosen id that correlates the response and makes mutating
/// requests idempotent (a retry with the same id returns the first outcome).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFrame {
    pub id: u64,
    pub request: Request,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFrame {
    pub id: u64,
    pub result: Result<Response, ApiError>,
}

/// First message on a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub magic: [u8; 4],
    pub version: u32,
    pub client: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub version: u32,
    pub server: String,
    pub capabilities: Vec<String>,
    pub max_frame: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeInForce {
    Gtc,
    Ioc,
    Fok,
    /// Good till this game time (milliseconds).
    Gtd(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderType {
    Limit { price: Decimal, quantity: Decimal },
    /// Market order for a quantity of the item.
    Market { quantity: Decimal },
    /// Market buy spending at most this much quote currency, fees included.
    MarketBudget { budget: Decimal },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub market: u32,
    pub side: Side,
    pub order: OrderType,
    pub tif: TimeInForce,
    pub post_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketStatus {
    Open,
    Halted,
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Hello(Hello),
    Signup { email: String, password: String },
    ConfirmEmail { email: String, token: String },
    Login { email: String, password: String },
    /// Authenticate this connection with a session token from an earlier login.
    Resume { session: String },
    /// Extend the current session; returns a new token.
    RefreshSession,
    Logout,
    RequestPasswordReset { email: String },
    ResetPassword { email: String, token: String, new_password: String },
    Place(PlaceOrder),
    Cancel { order: u64 },
    Modify { order: u64, price: Decimal, quantity: Decimal },
    CancelAll { market: Option<u32> },
    Balances,
    OpenOrders,
    Book { market: u32, depth: u32 },
    Markets,
    /// Start the account's push stream at `from_cursor` (0 = from the beginning):
    /// everything from there on arrives exactly once, in order.
    SubscribeAccount { from_cursor: u64 },
    /// Book levels and trades of a market, pushed live.
    SubscribeMarket { market: u32 },
    UnsubscribeMarket { market: u32 },
    Admin(AdminRequest),
    // ---- betting ----
    PlaceBet(PlaceBet),
    /// Cancel the unmatched part of an exchange order.
    CancelBetOrder { bet: u64 },
    /// The player's bets and exchange orders, newest first.
    Bets { open_only: bool, limit: u32 },
    /// Balances, open bets and profit and loss: `Profile`.
    Profile,
    Fixtures,
    Fixture { fixture: u64 },
    /// Closed 5-minute odds windows of a selection (oldest first), then the open one.
    OddsWindows { selection: SelectionRef },
    /// Live pushes of a fixture (status, odds, windows) or a group (leaderboard).
    Subscribe(Topic),
    Unsubscribe(Topic),
    /// Type-ahead search over events and item markets.
    Search { query: String, limit: u32 },
    Group(GroupRequest),
    /// The account's in-game notifications, newest first, at most `limit` (the server caps
    /// it at 500); only the unread ones when `unread_only`. Answered with `Notifications`.
    Notifications { unread_only: bool, limit: u32 },
    /// Mark notifications read: these ids (a notice's id is its cursor on the account
    /// stream), or all of them for `None`. Answered with `MarkedRead`.
    MarkNotificationsRead { ids: Option<Vec<u64>> },
    /// Every asset with its kind and decimal places, by ascending id. Answered with
    /// `Assets`. Needs only `Hello`. Servers that know it list `"assets"` in
    /// `Welcome.capabilities`; an older server cannot decode it and closes the connection.
    Assets,
    /// Every market's full native policy (fees, listing fee, size and price limits, order
    /// slots, buy limit, self-trade prevention), by ascending market id. Answered with
    /// `MarketPolicies`. Needs only `Hello`. Servers that know it list `"market-policies"`
    /// in `Welcome.capabilities`.
    MarketPolicies,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminRequest {
    CreateAsset { asset: u32, symbol: String, decimals: u8, item: bool },
    CreateMarket(MarketInfo),
    SetMarketStatus { market: u32, status: MarketStatus },
    /// Credit an account out of the faucet (loot, starting cash).
    Mint { account: u64, asset: u32, amount: Decimal },
    Burn { account: u64, asset: u32, amount: Decimal },
    /// Look an account up by e-mail.
    FindAccount { email: String },
    /// Load a plugin from a manifest path on the server's machine (the .wasm sits beside it)
    /// and bind the markets its manifest lists. Answered with `Plugins([the plugin])`.
    PluginLoad { manifest: String },
    /// Load the named plugin again from where it was loaded (new code, same name) and swap it
    /// in without dropping anything; markets bound to it move to the new version.
    PluginReload { name: String },
    /// Unbind the plugin's markets (native rules again) and drop it.
    PluginUnload { name: String },
    /// Every loaded plugin with its state and metrics: `Plugins(..)`.
    PluginList,
    /// Bind a market to a loaded market-rules plugin, or back to the native rules (`None`).
    BindRules { market: u32, plugin: Option<String> },
    CreateFixture(FixtureDef),
    /// A fixtures file: a JSON array of `FixtureDef` (see PROTOCOL.md §7).
    ImportFixtures { json: String },
    SetFixtureStatus { fixture: u64, status: FixtureStatus },
    /// A fixed-odds price (`None` stops offering the selection).
    SetOdds { selection: SelectionRef, odds: Option<Decimal> },
    /// The result (or a corrected one: re-settles). `completed = false`: abandoned, bets void.
    ReportResult { fixture: u64, scores: Vec<(String, i64)>, completed: bool },
    /// Cancel the fixture, or void it after settlement: every stake returned.
    VoidFixture { fixture: u64 },
}

// ---- betting ----

/// A selection: market and selection are positions in the fixture's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectionRef {
    pub fixture: u64,
    pub market: u16,
    pub selection: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackLay {
    Back,
    Lay,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetKind {
    /// At these odds or better (the house's current price is taken).
    Single { selection: SelectionRef, odds: Decimal },
    Parlay { legs: Vec<(SelectionRef, Decimal)> },
    /// An exchange order at ladder odds; `persist` keeps it when the event goes in-play.
    Exchange { selection: SelectionRef, odds: Decimal, side: BackLay, persist: bool },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceBet {
    /// A group's cash, or `None` for the player's own.
    pub group: Option<u32>,
    pub stake: Decimal,
    pub kind: BetKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixtureStatus {
    Scheduled,
    Open,
    Suspended,
    InPlay,
    Closed,
    Settled,
    Cancelled,
    Void,
}

/// An event as an admin or a fixtures file defines it (also the JSON fixtures format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureDef {
    pub fixture: u64,
    pub name: String,
    pub participants: Vec<String>,
    /// The currency asset of stakes.
    pub currency: u32,
    #[serde(default)]
    pub opens_at: Option<u64>,
    pub starts_at: u64,
    pub markets: Vec<BetMarketDef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetMarketDef {
    /// "moneyline", "spread", "totals": a bet-type plugin.
    pub bet_type: String,
    #[serde(default)]
    pub line: Option<String>,
    #[serde(default)]
    pub params: Vec<(String, String)>,
    pub selections: Vec<SelectionDef>,
    /// Back/lay between players instead of fixed odds against the house.
    #[serde(default)]
    pub exchange: bool,
    /// Fixed odds: the most the house may lose on one outcome, in the currency.
    #[serde(default)]
    pub exposure_limit: Decimal,
    #[serde(default)]
    pub in_play: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionDef {
    pub name: String,
    #[serde(default)]
    pub line: Option<String>,
    #[serde(default)]
    pub odds: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureSummary {
    pub fixture: u64,
    pub name: String,
    pub status: FixtureStatus,
}

/// Unmatched exchange stake per odds, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderInfo {
    pub selection: SelectionRef,
    /// (odds, stake) backers offer.
    pub backs: Vec<(Decimal, Decimal)>,
    /// (odds, backers' stake) layers offer.
    pub lays: Vec<(Decimal, Decimal)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureInfo {
    pub def: FixtureDef,
    pub status: FixtureStatus,
    pub scores: Vec<(String, i64)>,
    /// Current fixed odds per market and selection.
    pub odds: Vec<Vec<Option<Decimal>>>,
    pub ladders: Vec<LadderInfo>,
    pub bets: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetInfo {
    pub bet: u64,
    pub asset: u32,
    pub group: Option<u32>,
    pub stake: Decimal,
    pub odds: Decimal,
    pub legs: Vec<SelectionRef>,
    pub side: Option<BackLay>,
    /// For a matched exchange bet: the order it came from.
    pub order: Option<u64>,
    pub unmatched: Decimal,
    /// "open", "unmatched", "matched", "closed", or the settled result: "won", "lost",
    /// "push", "void", "half-won", "half-lost", "settled".
    pub state: String,
    /// Returned at settlement, stake included.
    pub paid: Decimal,
    pub placed_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlInfo {
    pub asset: u32,
    pub open_stake: Decimal,
    /// Returns minus stakes of settled bets.
    pub profit: Decimal,
    /// Taken back by a re-settlement and not yet covered.
    pub owed: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub account: u64,
    pub balances: Vec<BalanceInfo>,
    pub open_bets: Vec<BetInfo>,
    pub pnl: Vec<PnlInfo>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OddsWindowInfo {
    pub selection: SelectionRef,
    pub start: u64,
    pub end: u64,
    pub average: Decimal,
    pub min: Decimal,
    pub max: Decimal,
    pub count: u64,
    pub matched: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    Fixture(u64),
    Group(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// "event" or "market".
    pub kind: String,
    pub id: u64,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDef {
    pub group: u32,
    pub name: String,
    /// Cash each member starts with (two decimals).
    pub starting_cash: Decimal,
    pub starts_at: u64,
    pub ends_at: u64,
    /// Anyone may join; otherwise by invitation.
    pub open: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupRequest {
    Create(GroupDef),
    Invite { group: u32, account: u64 },
    Join { group: u32 },
    Leave { group: u32 },
    SetRole { group: u32, account: u64, role: Role },
    Info { group: u32 },
    Leaderboard { group: u32 },
    /// The groups the player is in.
    Mine,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub def: GroupDef,
    /// The group's currency asset (its cash).
    pub asset: u32,
    pub ended: bool,
    pub members: Vec<(u64, Role)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingInfo {
    pub rank: u32,
    pub account: u64,
    pub cash: Decimal,
    pub open_stake: Decimal,
    pub equity: Decimal,
    pub roi_bps: i64,
}

/// A loaded plugin as operators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    /// "market-rules", "bet-type" or "notifier".
    pub world: String,
    /// SHA-256 of the wasm, hex.
    pub hash: String,
    /// Markets whose rules it decides.
    pub markets: Vec<u32>,
    /// Why it is cut off, if it is quarantined.
    pub quarantined: Option<String>,
    pub calls: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub fuel_used: u64,
    pub faults: u64,
    pub quarantines: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    pub market: u32,
    pub symbol: String,
    pub base: u32,
    pub quote: u32,
    pub tick: Decimal,
    pub lot: Decimal,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub status: MarketStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceInfo {
    pub asset: u32,
    pub symbol: String,
    pub available: Decimal,
    pub locked: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    pub order: u64,
    pub market: u32,
    pub side: Side,
    pub price: Decimal,
    pub quantity: Decimal,
    pub filled: Decimal,
    pub tif: TimeInForce,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookInfo {
    pub market: u32,
    /// (price, quantity), best first.
    pub bids: Vec<(Decimal, Decimal)>,
    pub asks: Vec<(Decimal, Decimal)>,
    /// The market's book sequence number this snapshot is at.
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Welcome(Welcome),
    SignedUp { account: u64 },
    Confirmed,
    Session { token: String, account: u64, admin: bool, expires_at_ms: u64 },
    LoggedOut,
    /// Accepted whether or not the e-mail exists (no account enumeration).
    ResetRequested,
    PasswordReset,
    Placed { order: u64 },
    Done,
    Balances(Vec<BalanceInfo>),
    OpenOrders(Vec<OrderInfo>),
    Book(BookInfo),
    Markets(Vec<MarketInfo>),
    Subscribed { cursor: u64 },
    Account { account: u64 },
    Plugins(Vec<PluginInfo>),
    BetPlaced { bet: u64 },
    Bets(Vec<BetInfo>),
    Profile(ProfileInfo),
    Fixtures(Vec<FixtureSummary>),
    Fixture(FixtureInfo),
    OddsWindows(Vec<OddsWindowInfo>),
    SearchResults(Vec<SearchHit>),
    Group(GroupInfo),
    /// Ranked by equity; `ended`: frozen final standings.
    Leaderboard { group: u32, standings: Vec<StandingInfo>, ended: bool },
    Groups(Vec<GroupInfo>),
    Imported { fixtures: u32 },
    Notifications(Vec<NotificationInfo>),
    /// How many notifications went from unread to read.
    MarkedRead { count: u64 },
    /// Answer to `Assets`: every asset, by ascending id.
    Assets(Vec<AssetInfo>),
    /// Answer to `MarketPolicies`: every market's policy, by ascending market id.
    MarketPolicies(Vec<MarketPolicyInfo>),
}

/// Whether an asset is money or a thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetKind {
    /// A currency: what markets quote prices in and what fees, budgets and stakes are paid in.
    Currency,
    /// An item: what markets trade (a market's `base`).
    Item,
}

/// An asset as the server defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetInfo {
    /// The asset's id (as in `BalanceInfo.asset`, `MarketInfo.base` and `MarketInfo.quote`).
    pub asset: u32,
    /// Its short name, e.g. `"GOLD"`.
    pub symbol: String,
    /// Currency or item.
    pub kind: AssetKind,
    /// Decimal places of the asset: amounts of it are whole multiples of 10^-decimals, its
    /// "minor unit" (2: cents). Engine messages such as `InsufficientFunds` count in minor
    /// units; divide by 10^decimals for the amount.
    pub decimals: u8,
}

/// What happens when an incoming order would trade with a resting order of the same account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelfTradePrevention {
    /// The rest of the incoming order is dropped (`OrderDone { SelfTrade }`); the resting one stays.
    CancelNewest,
    /// The resting order is cancelled (`OrderDone { SelfTrade }`) and matching goes on.
    CancelOldest,
    /// Both are cancelled.
    CancelBoth,
}

/// A buy limit: at most `quantity` bought per account within `window_ms` of game time,
/// the window starting at the account's first purchase in it. Resting buys count against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyLimitInfo {
    /// The most of the item one account may buy per window (a multiple of the lot).
    pub quantity: Decimal,
    /// The window's length in milliseconds.
    pub window_ms: u64,
}

/// A market's native rules. A market bound to a rules plugin (`rules`) may charge other
/// fees and refuse more orders (`RuleRejected`); the limits here still apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketPolicyInfo {
    /// The market's id.
    pub market: u32,
    /// Fee of the resting side of a trade, in basis points of the trade's value (10 = 0.1 %),
    /// paid in the quote currency and rounded down to its minor unit.
    pub maker_fee_bps: u32,
    /// Fee of the incoming side of a trade, in basis points of the trade's value.
    pub taker_fee_bps: u32,
    /// Flat fee in the quote currency charged when a `Gtc` or `Gtd` order is accepted
    /// (not for `Ioc`/`Fok`/market orders, not refunded on cancel).
    pub listing_fee: Decimal,
    /// Smallest quantity of one order (`QuantityOutOfRange` below it).
    pub min_quantity: Decimal,
    /// Largest quantity of one order (`QuantityOutOfRange` above it).
    pub max_quantity: Decimal,
    /// Highest limit price (`PriceOutOfRange` above it).
    pub max_price: Decimal,
    /// Order slots: the most resting orders one account may have in this market
    /// (`OrderSlotsFull`); 0 = no limit.
    pub max_open_orders: u32,
    /// The buy limit (`BuyLimitReached`), if the market has one.
    pub buy_limit: Option<BuyLimitInfo>,
    /// Self-trade prevention.
    pub self_trade: SelfTradePrevention,
    /// The rules plugin the market is bound to, if any.
    pub rules: Option<String>,
}

/// An in-game notification, kept until read (and listed after, marked read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationInfo {
    /// The cursor of its `Notice` push on the account stream.
    pub id: u64,
    pub subject: String,
    pub body: String,
    /// Wall-clock ms when it was sent.
    pub created_ms: u64,
    pub read: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The frame could not be decoded.
    BadFrame,
    FrameTooLarge,
    UnsupportedVersion,
    /// The first request on a connection must be `Hello`.
    HelloRequired,
    NotAuthenticated,
    Forbidden,
    RateLimited,
    /// Too many failed logins; see `retry_after_ms`.
    LockedOut,
    InvalidCredentials,
    EmailTaken,
    EmailNotConfirmed,
    InvalidToken,
    InvalidArgument,
    NotFound,
    /// The engine refused the command; `reason` names the rule.
    Rejected,
    ShuttingDown,
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// For `Rejected`: the engine's reason (e.g. "InsufficientFunds").
    pub reason: String,
    /// For people.
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, reason: String::new(), message: message.into(), retry_after_ms: None }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)?;
        if let Some(ms) = self.retry_after_ms {
            write!(f, " (retry after {ms} ms)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A pushed event. On the account stream `cursor` counts the account's events (1, 2, ...);
/// on a market stream it is the market's book sequence number (trades repeat the last one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub cursor: u64,
    pub event: PushEvent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneReason {
    Filled,
    Cancelled,
    Expired,
    Unfilled,
    SelfTrade,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushEvent {
    // ---- account stream ----
    OrderAccepted { order: u64, market: u32, side: Side, price: Option<Decimal>, quantity: Decimal },
    OrderModified { order: u64, price: Decimal, quantity: Decimal },
    Fill { order: u64, trade: u64, market: u32, side: Side, price: Decimal, quantity: Decimal, fee: Decimal, maker: bool },
    OrderDone { order: u64, reason: DoneReason, filled: Decimal },
    Balance { asset: u32, available: Decimal, locked: Decimal },
    // ---- market streams ----
    BookLevel { market: u32, side: Side, price: Decimal, quantity: Decimal },
    Trade { market: u32, trade: u64, price: Decimal, quantity: Decimal, taker_side: Side },
    // ---- both ----
    /// The server is closing the connection (shutdown); reconnect and resume.
    Closing { reason: String },
    /// An in-game message from a notifier plugin (e.g. an order filled).
    Notice { subject: String, body: String },
    // ---- betting ----
    /// A bet or exchange order changed (placed, matched, settled, closed): account stream.
    Bet(BetInfo),
    /// The player's profile after their bets changed: account stream.
    Profile(ProfileInfo),
    /// Topic streams.
    FixtureChanged { fixture: u64, status: FixtureStatus },
    OddsChanged { selection: SelectionRef, odds: Option<Decimal> },
    OddsWindow(OddsWindowInfo),
    Leaderboard { group: u32, standings: Vec<StandingInfo>, ended: bool },
}
