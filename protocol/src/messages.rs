//! Every message of protocol version 1. Enum variants are encoded by position: only ever
//! append new variants (and new types), never reorder or change existing ones. Requests
//! added within version 1 are announced in [`Welcome::capabilities`].
//!
//! Streams: the client sends [`RequestFrame`]s on bidirectional streams (any number of
//! streams, any number of pipelined requests per stream) and reads one [`ResponseFrame`]
//! per request on the same stream, in request order. The server pushes [`Push`] frames on
//! unidirectional streams it opens: one per account subscription, one per market
//! subscription, one per topic subscription. A push stream becomes visible to the client
//! only with its first push (QUIC opens streams lazily), so accept them in a loop of their
//! own (PROTOCOL.md §5.3).
//!
//! Prices, quantities and amounts are decimals, encoded as strings ("12.34").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A request with the client-chosen id that correlates the response and makes mutating
/// requests idempotent (a retry with the same id returns the first outcome).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFrame {
    /// Chosen by the client; never 0 (the id of the server's fatal frame errors). For engine
    /// commands, the idempotency key with the session's account (PROTOCOL.md §9).
    pub id: u64,
    /// What is asked.
    pub request: Request,
}

/// The answer to one request, on the stream the request came on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFrame {
    /// The request's id (0: the server's answer to a frame it could not decode).
    pub id: u64,
    /// The answer, or why there is none.
    pub result: Result<Response, ApiError>,
}

/// First message on a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`crate::MAGIC`] (`"ENTR"`).
    pub magic: [u8; 4],
    /// The protocol version the client speaks: [`crate::PROTOCOL_VERSION`].
    pub version: u32,
    /// Free text naming the client, e.g. `"mygame-cs/1.4"`.
    pub client: String,
}

/// The server's answer to [`Hello`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The protocol version the server speaks.
    pub version: u32,
    /// The server's name and version, e.g. `"entrepot/0.1.0"`.
    pub server: String,
    /// What the server supports: `"orders"`, `"market-data"`, `"account-stream"`,
    /// `"pipelining"`, and for requests added within version 1 `"assets"` ([`Request::Assets`]),
    /// `"market-policies"` ([`Request::MarketPolicies`]), `"paging"` ([`Request::Page`],
    /// [`Request::BalancesOf`]) and `"marketdata"` (candles, tickers, metrics and alerts:
    /// [`Request::Candles`] and the requests after it). Ignore names you do not know.
    pub capabilities: Vec<String>,
    /// The largest frame payload either side may send, in bytes.
    pub max_frame: u32,
}

/// The side of an order or trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// Buy the item, pay the quote currency.
    Buy,
    /// Sell the item, receive the quote currency.
    Sell,
}

/// How long an order may rest in the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: fill what can be filled at once, drop the rest.
    Ioc,
    /// Fill or kill: fill completely at once, or do nothing (`FillOrKillUnfilled`).
    Fok,
    /// Good till this game time (milliseconds since the Unix epoch).
    Gtd(u64),
}

/// What kind of order, and how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderType {
    /// A limit order.
    Limit {
        /// The worst price accepted, a multiple of the market's tick.
        price: Decimal,
        /// The quantity of the item, a multiple of the market's lot.
        quantity: Decimal,
    },
    /// Market order for a quantity of the item (`Ioc` or `Fok`).
    Market {
        /// The quantity of the item, a multiple of the market's lot.
        quantity: Decimal,
    },
    /// Market buy spending at most this much quote currency, fees included (`Ioc`; `Fok`
    /// behaves the same). Its `OrderDone` says `Filled` if it bought anything.
    MarketBudget {
        /// The most quote currency to spend, fees included.
        budget: Decimal,
    },
}

/// A new order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    /// The market's id.
    pub market: u32,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market, and its size.
    pub order: OrderType,
    /// How long it may rest.
    pub tif: TimeInForce,
    /// Refuse the order (`PostOnlyWouldTrade`) rather than let it trade at once.
    pub post_only: bool,
}

/// Whether a market trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketStatus {
    /// Orders are accepted and matched.
    Open,
    /// No new orders or modifications; cancels work; resting orders stay.
    Halted,
    /// Every resting order was cancelled; nothing more is accepted.
    Closed,
}

/// Everything a client can ask. PROTOCOL.md §7 says, for each, what it needs (hello,
/// session, admin session), what it answers and which errors it can get.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// The first request on every connection; answered with [`Response::Welcome`].
    Hello(Hello),
    /// Create a player; a confirmation token is mailed. Answered with `SignedUp`.
    Signup {
        /// The player's e-mail address (its login).
        email: String,
        /// At least 8 characters, at most 1,024 bytes.
        password: String,
    },
    /// Confirm the e-mail address with the mailed token (credits the starting cash).
    ConfirmEmail {
        /// The address signed up with.
        email: String,
        /// The mailed token: 48 lowercase hex digits.
        token: String,
    },
    /// Log in and authenticate this connection; answered with `Session`.
    Login {
        /// The login e-mail (the admin's is `admin@entrepot.local`).
        email: String,
        /// The password.
        password: String,
    },
    /// Authenticate this connection with a session token from an earlier login.
    Resume {
        /// The token of an earlier `Session`.
        session: String,
    },
    /// Extend the current session; returns a new token (the old one stops working).
    RefreshSession,
    /// End the session everywhere; answered with `LoggedOut`.
    Logout,
    /// Mail a password reset token (the same answer for unknown addresses).
    RequestPasswordReset {
        /// The login e-mail.
        email: String,
    },
    /// Set a new password with a mailed reset token; ends every session of the account.
    ResetPassword {
        /// The login e-mail.
        email: String,
        /// The mailed token: 48 lowercase hex digits.
        token: String,
        /// The new password.
        new_password: String,
    },
    /// Place an order (engine command); answered with `Placed`.
    Place(PlaceOrder),
    /// Cancel a resting order (engine command).
    Cancel {
        /// The order's id.
        order: u64,
    },
    /// Set a resting order's price and remaining quantity (engine command).
    Modify {
        /// The order's id.
        order: u64,
        /// The new limit price.
        price: Decimal,
        /// The new remaining quantity.
        quantity: Decimal,
    },
    /// Cancel every resting order of the account (engine command).
    CancelAll {
        /// Only in this market; `None`: in every market.
        market: Option<u32>,
    },
    /// The account's held balances (available or locked not zero), by ascending asset id;
    /// answered with `Balances`. At most [`PAGE_MAX`] of them: page with `Page(Balances)`,
    /// or ask for given assets with `BalancesOf`.
    Balances,
    /// The account's resting orders by ascending id, at most [`PAGE_MAX`] (the first page):
    /// page with `Page(OpenOrders)`; answered with `OpenOrders`.
    OpenOrders,
    /// A market's aggregated order book; answered with `Book`.
    Book {
        /// The market's id.
        market: u32,
        /// Levels per side (clamped to 5 … 5,000).
        depth: u32,
    },
    /// Every market (at most [`PAGE_MAX`], the first page of `Page(Markets)`); answered
    /// with `Markets`. Needs only `Hello`.
    Markets,
    /// Start the account's push stream at `from_cursor` (0 = from the beginning):
    /// everything from there on arrives exactly once, in order.
    SubscribeAccount {
        /// The last cursor already processed.
        from_cursor: u64,
    },
    /// Book levels and trades of a market, pushed live; answered with a `Book` snapshot.
    SubscribeMarket {
        /// The market's id.
        market: u32,
    },
    /// End this connection's push streams of a market.
    UnsubscribeMarket {
        /// The market's id.
        market: u32,
    },
    /// An operator request; needs an admin session.
    Admin(AdminRequest),
    // ---- betting ----
    /// Place a bet or an exchange order (engine command); answered with `BetPlaced`.
    PlaceBet(PlaceBet),
    /// Cancel the unmatched part of an exchange order (engine command).
    CancelBetOrder {
        /// The exchange order's id.
        bet: u64,
    },
    /// The player's bets and exchange orders, newest first.
    Bets {
        /// Only the open ones.
        open_only: bool,
        /// At most this many (clamped to 1 … 1,000).
        limit: u32,
    },
    /// Held balances, open bets and profit and loss: `Profile` (balances and open bets
    /// at most [`PAGE_MAX`] each: page with `Page(Balances)` and `Page(Bets)`).
    Profile,
    /// Every fixture (sports event) in short: `Fixtures` (at most [`PAGE_MAX`], the first
    /// page of `Page(Fixtures)`).
    Fixtures,
    /// One fixture in full: `Fixture`.
    Fixture {
        /// The fixture's id.
        fixture: u64,
    },
    /// Closed 5-minute odds windows of a selection (oldest first), then the open one.
    OddsWindows {
        /// The selection.
        selection: SelectionRef,
    },
    /// Live pushes of a fixture (status, odds, windows), a group (leaderboard), a market's
    /// candles of one interval or tickers; answered with a snapshot (`Fixture`,
    /// `Leaderboard`, `Candles` or `Tickers`).
    Subscribe(Topic),
    /// End this connection's push streams of a topic.
    Unsubscribe(Topic),
    /// Type-ahead search over events and item markets.
    Search {
        /// What the player typed so far.
        query: String,
        /// At most this many hits (clamped to 1 … 50).
        limit: u32,
    },
    /// Betting groups: create, invite, join, leave, roles, and queries.
    Group(GroupRequest),
    /// The account's in-game notifications, newest first, at most `limit` (the server caps
    /// it at 500); only the unread ones when `unread_only`. Answered with `Notifications`.
    Notifications {
        /// Only the unread ones.
        unread_only: bool,
        /// At most this many (capped at 500).
        limit: u32,
    },
    /// Mark notifications read: these ids (a notice's id is its cursor on the account
    /// stream), or all of them for `None`. Answered with `MarkedRead`.
    MarkNotificationsRead {
        /// The notifications' ids; `None`: all.
        ids: Option<Vec<u64>>,
    },
    /// Every asset with its kind and decimal places, by ascending id. Answered with
    /// `Assets`. Needs only `Hello`. Servers that know it list `"assets"` in
    /// `Welcome.capabilities`; an older server cannot decode it and closes the connection.
    Assets,
    /// Every market's full native policy (fees, listing fee, size and price limits, order
    /// slots, buy limit, self-trade prevention), by ascending market id. Answered with
    /// `MarketPolicies`. Needs only `Hello`. Servers that know it list `"market-policies"`
    /// in `Welcome.capabilities`.
    MarketPolicies,
    /// One page of a list, in the list's order (PROTOCOL.md §7.1): at most `limit` entries
    /// (clamped to 1 … [`PAGE_MAX`]) after the cursor `after` (exclusive; `None`: from the
    /// start). Answered with `Page`, whose `next` is the `after` of the following page.
    /// Needs a session, except for the lists `Markets`, `Fixtures`, `Assets` and
    /// `MarketPolicies` (only `Hello`). Servers that know it list `"paging"`.
    Page {
        /// Which list.
        list: List,
        /// The cursor of the last entry already seen (the previous page's `next`).
        after: Option<u64>,
        /// At most this many entries (clamped to 1 … [`PAGE_MAX`]).
        limit: u32,
    },
    /// The account's balances of these assets, held or not, by ascending asset id (unknown
    /// assets are left out; at most [`PAGE_MAX`] ids). Answered with `Balances`. Servers
    /// that know it list `"paging"`.
    BalancesOf {
        /// The assets' ids.
        assets: Vec<u32>,
    },
    // ---- market data (capability "marketdata") ----
    /// A market's candles of one interval, oldest first, the open candle (if any) last;
    /// answered with `Candles`. Candles whose open time lies in `start_ms ..= end_ms`: with
    /// `start_ms`, the first `limit` of them from there on; without it, the newest `limit`
    /// up to `end_ms`. An interval with no trades has no candle. Needs a session.
    Candles {
        /// The market's id.
        market: u32,
        /// The candle interval.
        interval: Interval,
        /// Only candles opening at or after this game time (ms); `None`: no lower bound.
        start_ms: Option<u64>,
        /// Only candles opening at or before this game time (ms); `None`: up to now.
        end_ms: Option<u64>,
        /// At most this many candles, 1 … 1,000 (`InvalidArgument` outside); `None`: 500.
        limit: Option<u32>,
    },
    /// Rolling 24-hour tickers: of one market, or of every market (`None`; at most
    /// [`PAGE_MAX`], by ascending market id). Answered with `Tickers`.
    Ticker {
        /// The market's id; `None`: every market.
        market: Option<u32>,
    },
    /// The metrics that have samples in the last 24 hours, by name, after `after`
    /// (exclusive; `None`: from the first). Answered with `Metrics`.
    Metrics {
        /// The `next` of the previous page; `None`: from the start.
        after: Option<String>,
        /// At most this many, 1 … [`PAGE_MAX`] (`InvalidArgument` outside).
        limit: u32,
    },
    /// One measure of one metric over the last 24 hours, sample by sample (a minute apart by
    /// default). Answered with `MetricHistory`.
    MetricHistory {
        /// The metric's name (from `Metrics`).
        metric: String,
        /// The measure.
        measure: Measure,
    },
    /// Metrics ranked by how much one measure varied over the last 24 hours (most variable
    /// first). Answered with `MetricRank`.
    MetricRank {
        /// The measure compared.
        measure: Measure,
        /// Standard deviation or coefficient of variation.
        by: RankBy,
        /// How many ranks to skip (0: from rank 1).
        offset: u32,
        /// At most this many entries, 1 … [`PAGE_MAX`] (`InvalidArgument` outside).
        limit: u32,
    },
    /// Create an alert of the player's on a market (engine command, idempotent); answered
    /// with `AlertAdded`. `QuotaExceeded` beyond the per-player limit.
    AddAlert(AlertDef),
    /// The player's alerts with their state, by id; answered with `Alerts`.
    Alerts,
    /// Remove one of the player's alerts (engine command, idempotent); answered with `Done`.
    /// Another player's alert, or an unknown one: `NotFound`.
    RemoveAlert {
        /// The alert's id (from `AlertAdded` or `Alerts`).
        alert: u64,
    },
}

/// The most entries one list reply carries: the largest page, and what the unpaged list
/// requests (`OpenOrders`, `Balances`, `Markets`, ...) answer at most (their first page).
pub const PAGE_MAX: u32 = 1000;

/// The lists [`Request::Page`] pages through, each with its order and its cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum List {
    /// The account's resting orders by ascending order id; cursor: the order id.
    OpenOrders,
    /// The account's held balances (available or locked not zero) by ascending asset id;
    /// cursor: the asset id.
    Balances,
    /// The account's bets and exchange orders, newest first; cursor: the bet id (the next
    /// page has smaller ids).
    Bets {
        /// Only the open ones.
        open_only: bool,
    },
    /// A group's members with their roles by ascending account id; cursor: the account id.
    GroupMembers {
        /// The group's id.
        group: u32,
    },
    /// A group's standings, leader first; cursor: the rank.
    Leaderboard {
        /// The group's id.
        group: u32,
    },
    /// The groups the player is in, by ascending group id; cursor: the group id.
    Groups,
    /// Every market by ascending id; cursor: the market id.
    Markets,
    /// Every fixture in short by ascending id; cursor: the fixture id.
    Fixtures,
    /// Every asset by ascending id; cursor: the asset id.
    Assets,
    /// Every market's policy by ascending market id; cursor: the market id.
    MarketPolicies,
}

/// The entries of one page, by list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageItems {
    /// Of `List::OpenOrders`.
    OpenOrders(Vec<OrderInfo>),
    /// Of `List::Balances`.
    Balances(Vec<BalanceInfo>),
    /// Of `List::Bets`.
    Bets(Vec<BetInfo>),
    /// Of `List::GroupMembers`: (account, role).
    GroupMembers(Vec<(u64, Role)>),
    /// Of `List::Leaderboard`.
    Leaderboard(Vec<StandingInfo>),
    /// Of `List::Groups`.
    Groups(Vec<GroupInfo>),
    /// Of `List::Markets`.
    Markets(Vec<MarketInfo>),
    /// Of `List::Fixtures`.
    Fixtures(Vec<FixtureSummary>),
    /// Of `List::Assets`.
    Assets(Vec<AssetInfo>),
    /// Of `List::MarketPolicies`.
    MarketPolicies(Vec<MarketPolicyInfo>),
}

/// Operator requests (`Request::Admin`); a player gets `Forbidden`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminRequest {
    /// Create an asset (engine command).
    CreateAsset {
        /// The new asset's id.
        asset: u32,
        /// Its short name.
        symbol: String,
        /// Its decimal places.
        decimals: u8,
        /// An item (`true`) or a currency (`false`).
        item: bool,
    },
    /// Create a market (engine command). `status` is ignored (new markets open); the fees
    /// are taken, every other policy field has its default.
    CreateMarket(MarketInfo),
    /// Open, halt or close a market (engine command).
    SetMarketStatus {
        /// The market's id.
        market: u32,
        /// The new status.
        status: MarketStatus,
    },
    /// Credit an account out of the faucet (loot, starting cash).
    Mint {
        /// The account credited.
        account: u64,
        /// The asset.
        asset: u32,
        /// How much, in the asset's units.
        amount: Decimal,
    },
    /// Debit an account's available balance.
    Burn {
        /// The account debited.
        account: u64,
        /// The asset.
        asset: u32,
        /// How much, in the asset's units.
        amount: Decimal,
    },
    /// Look an account up by e-mail.
    FindAccount {
        /// The login e-mail.
        email: String,
    },
    /// Load a plugin from a manifest path on the server's machine (the .wasm sits beside it)
    /// and bind the markets its manifest lists. Answered with `Plugins([the plugin])`.
    PluginLoad {
        /// The manifest's path on the server's machine.
        manifest: String,
    },
    /// Load the named plugin again from where it was loaded (new code, same name) and swap it
    /// in without dropping anything; markets bound to it move to the new version.
    PluginReload {
        /// The plugin's name.
        name: String,
    },
    /// Unbind the plugin's markets (native rules again) and drop it.
    PluginUnload {
        /// The plugin's name.
        name: String,
    },
    /// Every loaded plugin with its state and metrics: `Plugins(..)`.
    PluginList,
    /// Bind a market to a loaded market-rules plugin, or back to the native rules (`None`).
    BindRules {
        /// The market's id.
        market: u32,
        /// The plugin's name; `None`: the native rules.
        plugin: Option<String>,
    },
    /// Create a fixture (engine command).
    CreateFixture(FixtureDef),
    /// A fixtures file: a JSON array of `FixtureDef` (see PROTOCOL.md §7).
    ImportFixtures {
        /// The file's text.
        json: String,
    },
    /// Move a fixture to another status (engine command).
    SetFixtureStatus {
        /// The fixture's id.
        fixture: u64,
        /// The new status.
        status: FixtureStatus,
    },
    /// A fixed-odds price (`None` stops offering the selection).
    SetOdds {
        /// The selection.
        selection: SelectionRef,
        /// Decimal odds, or `None`.
        odds: Option<Decimal>,
    },
    /// The result (or a corrected one: re-settles). `completed = false`: abandoned, bets void.
    ReportResult {
        /// The fixture's id.
        fixture: u64,
        /// (participant, score) pairs.
        scores: Vec<(String, i64)>,
        /// Whether the event was completed.
        completed: bool,
    },
    /// Cancel the fixture, or void it after settlement: every stake returned.
    VoidFixture {
        /// The fixture's id.
        fixture: u64,
    },
    /// Every alert that is pending or firing, the operator's rules and the players':
    /// `Alerts`. Servers that know it list `"marketdata"`.
    FiringAlerts,
}

// ---- betting ----

/// A selection: market and selection are positions in the fixture's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectionRef {
    /// The fixture's id.
    pub fixture: u64,
    /// The position of the market in `FixtureDef.markets` (from 0).
    pub market: u16,
    /// The position of the selection in the market's `selections` (from 0).
    pub selection: u16,
}

/// The side of an exchange bet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackLay {
    /// For the selection: wins the stake × (odds − 1) if it wins.
    Back,
    /// Against the selection: pays the backer's winnings if it wins, keeps the stake if not.
    Lay,
}

/// What kind of bet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetKind {
    /// At these odds or better (the house's current price is taken).
    Single {
        /// The selection backed.
        selection: SelectionRef,
        /// The lowest odds accepted.
        odds: Decimal,
    },
    /// A parlay (accumulator): every leg must win; the odds multiply.
    Parlay {
        /// (selection, lowest odds accepted) per leg: 2 to 12, on different markets.
        legs: Vec<(SelectionRef, Decimal)>,
    },
    /// An exchange order at ladder odds; `persist` keeps it when the event goes in-play.
    Exchange {
        /// The selection.
        selection: SelectionRef,
        /// Odds on the exchange ladder (1.01 to 1000).
        odds: Decimal,
        /// Back or lay.
        side: BackLay,
        /// Keep the unmatched part when the event goes in-play.
        persist: bool,
    },
}

/// A new bet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceBet {
    /// A group's cash, or `None` for the player's own.
    pub group: Option<u32>,
    /// The stake, in the currency of the fixture (or the group).
    pub stake: Decimal,
    /// What is bet on.
    pub kind: BetKind,
}

/// Where a fixture is in its life (on the wire and in JSON: kebab-case names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixtureStatus {
    /// Defined, not yet taking bets.
    Scheduled,
    /// Taking bets.
    Open,
    /// Temporarily not taking bets.
    Suspended,
    /// Under way; only in-play markets take bets.
    InPlay,
    /// Over; waiting for the result.
    Closed,
    /// The result is in and bets are settled.
    Settled,
    /// Called off before settlement: stakes returned.
    Cancelled,
    /// Voided after settlement: stakes returned.
    Void,
}

/// An event as an admin or a fixtures file defines it (also the JSON fixtures format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureDef {
    /// The fixture's id.
    pub fixture: u64,
    /// Its name, e.g. `"Wolves vs Kings"`.
    pub name: String,
    /// At least two distinct participants.
    pub participants: Vec<String>,
    /// The currency asset of stakes.
    pub currency: u32,
    /// When it opens for bets (game time, ms); `None`: at once.
    #[serde(default)]
    pub opens_at: Option<u64>,
    /// When it starts (game time, ms).
    pub starts_at: u64,
    /// Its betting markets.
    pub markets: Vec<BetMarketDef>,
}

/// A betting market of a fixture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetMarketDef {
    /// "moneyline", "spread", "totals": a bet-type plugin.
    pub bet_type: String,
    /// The market's line (e.g. a handicap or total), as text, if it has one.
    #[serde(default)]
    pub line: Option<String>,
    /// Parameters for the bet-type plugin: (name, value) pairs.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// Its selections.
    pub selections: Vec<SelectionDef>,
    /// Back/lay between players instead of fixed odds against the house.
    #[serde(default)]
    pub exchange: bool,
    /// Fixed odds: the most the house may lose on one outcome, in the currency.
    #[serde(default)]
    pub exposure_limit: Decimal,
    /// Whether it takes bets while the event is in play.
    #[serde(default)]
    pub in_play: bool,
}

/// A selection of a betting market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionDef {
    /// Its name, e.g. a participant or `"over"`.
    pub name: String,
    /// Its own line, as text, if it has one.
    #[serde(default)]
    pub line: Option<String>,
    /// Initial fixed odds; `None`: not offered yet.
    #[serde(default)]
    pub odds: Option<Decimal>,
}

/// A fixture in short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureSummary {
    /// The fixture's id.
    pub fixture: u64,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: FixtureStatus,
}

/// Unmatched exchange stake per odds, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderInfo {
    /// The selection.
    pub selection: SelectionRef,
    /// (odds, stake) backers offer.
    pub backs: Vec<(Decimal, Decimal)>,
    /// (odds, backers' stake) layers offer.
    pub lays: Vec<(Decimal, Decimal)>,
}

/// A fixture in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureInfo {
    /// Its definition.
    pub def: FixtureDef,
    /// Its status.
    pub status: FixtureStatus,
    /// (participant, score) once a result is reported.
    pub scores: Vec<(String, i64)>,
    /// Current fixed odds per market and selection.
    pub odds: Vec<Vec<Option<Decimal>>>,
    /// The exchange ladder of every selection of its exchange markets.
    pub ladders: Vec<LadderInfo>,
    /// How many bets it has taken.
    pub bets: u64,
}

/// A bet or exchange order as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetInfo {
    /// Its id.
    pub bet: u64,
    /// The currency asset staked.
    pub asset: u32,
    /// The group whose cash was staked, if any.
    pub group: Option<u32>,
    /// The stake.
    pub stake: Decimal,
    /// The odds taken (a parlay's: the product of its legs').
    pub odds: Decimal,
    /// Its selections (one, or a parlay's legs).
    pub legs: Vec<SelectionRef>,
    /// For exchange bets and orders: back or lay.
    pub side: Option<BackLay>,
    /// For a matched exchange bet: the order it came from.
    pub order: Option<u64>,
    /// For an exchange order: the stake not matched yet.
    pub unmatched: Decimal,
    /// "open", "unmatched", "matched", "closed", or the settled result: "won", "lost",
    /// "push", "void", "half-won", "half-lost", "settled".
    pub state: String,
    /// Returned at settlement, stake included.
    pub paid: Decimal,
    /// When it was placed (game time, ms).
    pub placed_at: u64,
}

/// Betting profit and loss in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlInfo {
    /// The currency asset.
    pub asset: u32,
    /// Stakes of bets not settled yet.
    pub open_stake: Decimal,
    /// Returns minus stakes of settled bets.
    pub profit: Decimal,
    /// Taken back by a re-settlement and not yet covered.
    pub owed: Decimal,
}

/// A player's betting profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInfo {
    /// The account.
    pub account: u64,
    /// Its non-zero balances (at most [`PAGE_MAX`]).
    pub balances: Vec<BalanceInfo>,
    /// Its open bets, newest first (at most [`PAGE_MAX`]).
    pub open_bets: Vec<BetInfo>,
    /// Profit and loss per currency.
    pub pnl: Vec<PnlInfo>,
}

/// A selection's odds over one 5-minute window of game time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OddsWindowInfo {
    /// The selection.
    pub selection: SelectionRef,
    /// The window's start (game time, ms).
    pub start: u64,
    /// The window's end (game time, ms; exclusive).
    pub end: u64,
    /// The average odds observed.
    pub average: Decimal,
    /// The lowest odds observed.
    pub min: Decimal,
    /// The highest odds observed.
    pub max: Decimal,
    /// How many observations.
    pub count: u64,
    /// Stake matched in the window, in the fixture's currency.
    pub matched: Decimal,
}

/// What a topic subscription follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// A fixture: status, odds and odds windows.
    Fixture(u64),
    /// A group: its leaderboard.
    Group(u32),
    /// A market's candles of one interval: `Candle` pushes (capability `"marketdata"`).
    Candles {
        /// The market's id.
        market: u32,
        /// The candle interval.
        interval: Interval,
    },
    /// Rolling 24-hour tickers of one market, or of every market (`None`): `Ticker` pushes
    /// (capability `"marketdata"`).
    Ticker(Option<u32>),
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// "event" or "market".
    pub kind: String,
    /// The fixture's or the market's id.
    pub id: u64,
    /// Its name or symbol.
    pub name: String,
}

/// A member's role in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Created the group; sets roles; cannot leave.
    Owner,
    /// May invite.
    Admin,
    /// Bets with the group's cash.
    Member,
}

/// A betting group (a private league) as its creator defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDef {
    /// The group's id (below 2^31).
    pub group: u32,
    /// Its name.
    pub name: String,
    /// Cash each member starts with (two decimals).
    pub starting_cash: Decimal,
    /// When it starts (game time, ms).
    pub starts_at: u64,
    /// When it ends (game time, ms): standings freeze.
    pub ends_at: u64,
    /// Anyone may join; otherwise by invitation.
    pub open: bool,
}

/// Group requests (`Request::Group`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupRequest {
    /// Create a group, with the caller as owner (engine command).
    Create(GroupDef),
    /// Invite an account (owner or group admin; engine command).
    Invite {
        /// The group's id.
        group: u32,
        /// The account invited.
        account: u64,
    },
    /// Join an open group or one the player was invited to (engine command).
    Join {
        /// The group's id.
        group: u32,
    },
    /// Leave a group (engine command).
    Leave {
        /// The group's id.
        group: u32,
    },
    /// Set a member's role (owner only; engine command).
    SetRole {
        /// The group's id.
        group: u32,
        /// The member.
        account: u64,
        /// `Admin` or `Member`.
        role: Role,
    },
    /// The group: `Group`.
    Info {
        /// The group's id.
        group: u32,
    },
    /// The group's standings: `Leaderboard`.
    Leaderboard {
        /// The group's id.
        group: u32,
    },
    /// The groups the player is in.
    Mine,
}

/// A group as anyone sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Its definition.
    pub def: GroupDef,
    /// The group's currency asset (its cash).
    pub asset: u32,
    /// Whether it has ended.
    pub ended: bool,
    /// (account, role) of the members by ascending account id: at most [`PAGE_MAX`], the
    /// first page of `Page(GroupMembers)`.
    pub members: Vec<(u64, Role)>,
}

/// One row of a group's leaderboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingInfo {
    /// 1 for the leader.
    pub rank: u32,
    /// The member.
    pub account: u64,
    /// The member's group cash.
    pub cash: Decimal,
    /// Group cash staked on open bets.
    pub open_stake: Decimal,
    /// Cash plus open stakes.
    pub equity: Decimal,
    /// Return on the starting cash, in basis points (may be negative).
    pub roi_bps: i64,
}

/// A loaded plugin as operators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// "market-rules", "bet-type" or "notifier".
    pub world: String,
    /// SHA-256 of the wasm, hex.
    pub hash: String,
    /// Markets whose rules it decides.
    pub markets: Vec<u32>,
    /// Why it is cut off, if it is quarantined.
    pub quarantined: Option<String>,
    /// Calls made to it.
    pub calls: u64,
    /// Median call time, ns.
    pub p50_ns: u64,
    /// 99th percentile call time, ns.
    pub p99_ns: u64,
    /// Fuel (wasm instructions, roughly) used.
    pub fuel_used: u64,
    /// Calls that faulted.
    pub faults: u64,
    /// Times it was quarantined.
    pub quarantines: u64,
}

/// A market: what it trades and its steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    /// The market's id.
    pub market: u32,
    /// Its symbol, e.g. `"COPPER/GOLD"`.
    pub symbol: String,
    /// The item asset traded.
    pub base: u32,
    /// The currency asset prices are in.
    pub quote: u32,
    /// Price step: prices are multiples of it (in quote per item).
    pub tick: Decimal,
    /// Quantity step: quantities are multiples of it.
    pub lot: Decimal,
    /// Fee of the resting side of a trade, in basis points.
    pub maker_fee_bps: u32,
    /// Fee of the incoming side of a trade, in basis points.
    pub taker_fee_bps: u32,
    /// Open, halted or closed.
    pub status: MarketStatus,
}

/// One balance of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceInfo {
    /// The asset.
    pub asset: u32,
    /// The asset's symbol.
    pub symbol: String,
    /// What can be spent.
    pub available: Decimal,
    /// What resting orders hold.
    pub locked: Decimal,
}

/// A resting order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// Its id.
    pub order: u64,
    /// Its market.
    pub market: u32,
    /// Buy or sell.
    pub side: Side,
    /// Its limit price.
    pub price: Decimal,
    /// What still rests.
    pub quantity: Decimal,
    /// What has traded.
    pub filled: Decimal,
    /// Its time in force.
    pub tif: TimeInForce,
}

/// A snapshot of a market's aggregated book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookInfo {
    /// The market's id.
    pub market: u32,
    /// (price, quantity), best first.
    pub bids: Vec<(Decimal, Decimal)>,
    /// (price, quantity), best first.
    pub asks: Vec<(Decimal, Decimal)>,
    /// The market's book sequence number this snapshot is at.
    pub seq: u64,
}

/// Every answer. PROTOCOL.md §7 says which request gets which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// To `Hello`.
    Welcome(Welcome),
    /// To `Signup`.
    SignedUp {
        /// The new account's id.
        account: u64,
    },
    /// To `ConfirmEmail`.
    Confirmed,
    /// To `Login`, `Resume`, `RefreshSession`.
    Session {
        /// The session token (48 lowercase hex digits): keep it to `Resume`.
        token: String,
        /// The account logged in.
        account: u64,
        /// Whether it may send `Admin` requests.
        admin: bool,
        /// When the token stops working (ms since the Unix epoch).
        expires_at_ms: u64,
    },
    /// To `Logout`.
    LoggedOut,
    /// Accepted whether or not the e-mail exists (no account enumeration).
    ResetRequested,
    /// To `ResetPassword`.
    PasswordReset,
    /// To `Place`: the order was accepted and is durable.
    Placed {
        /// The new order's id.
        order: u64,
    },
    /// To commands without another answer.
    Done,
    /// To `Balances` and `BalancesOf`: one per asset, by ascending asset id.
    Balances(Vec<BalanceInfo>),
    /// To `OpenOrders`.
    OpenOrders(Vec<OrderInfo>),
    /// To `Book` and `SubscribeMarket`.
    Book(BookInfo),
    /// To `Markets`.
    Markets(Vec<MarketInfo>),
    /// To `SubscribeAccount`.
    Subscribed {
        /// The last cursor of the replayed history.
        cursor: u64,
    },
    /// To `Admin(FindAccount)`.
    Account {
        /// The account's id.
        account: u64,
    },
    /// To `Admin(PluginLoad / PluginReload / PluginList)`.
    Plugins(Vec<PluginInfo>),
    /// To `PlaceBet`.
    BetPlaced {
        /// The new bet's (or exchange order's) id.
        bet: u64,
    },
    /// To `Bets`.
    Bets(Vec<BetInfo>),
    /// To `Profile`.
    Profile(ProfileInfo),
    /// To `Fixtures`.
    Fixtures(Vec<FixtureSummary>),
    /// To `Fixture` and `Subscribe(Topic::Fixture)`.
    Fixture(FixtureInfo),
    /// To `OddsWindows`.
    OddsWindows(Vec<OddsWindowInfo>),
    /// To `Search`.
    SearchResults(Vec<SearchHit>),
    /// To `Group(Info)`.
    Group(GroupInfo),
    /// Ranked by equity; `ended`: frozen final standings. To `Group(Leaderboard)` and
    /// `Subscribe(Topic::Group)`.
    Leaderboard {
        /// The group's id.
        group: u32,
        /// The standings, leader first.
        standings: Vec<StandingInfo>,
        /// Whether the group has ended (final standings).
        ended: bool,
    },
    /// To `Group(Mine)`.
    Groups(Vec<GroupInfo>),
    /// To `Admin(ImportFixtures)`.
    Imported {
        /// How many fixtures were created.
        fixtures: u32,
    },
    /// To `Notifications`.
    Notifications(Vec<NotificationInfo>),
    /// How many notifications went from unread to read.
    MarkedRead {
        /// How many were unread.
        count: u64,
    },
    /// Answer to `Assets`: every asset, by ascending id.
    Assets(Vec<AssetInfo>),
    /// Answer to `MarketPolicies`: every market's policy, by ascending market id.
    MarketPolicies(Vec<MarketPolicyInfo>),
    /// Answer to `Page`: the entries, and the cursor of the next page (`None`: the list ends
    /// here).
    Page {
        /// The entries, in the list's order.
        items: PageItems,
        /// Pass as `after` to get the next page; `None`: no more entries.
        next: Option<u64>,
    },
    /// To `Candles` and `Subscribe(Topic::Candles)` (the last ≤ 500 candles).
    Candles {
        /// The market's id.
        market: u32,
        /// The candle interval.
        interval: Interval,
        /// Oldest first, the open candle (if any) last.
        candles: Vec<CandleInfo>,
    },
    /// To `Ticker` and `Subscribe(Topic::Ticker)`: by ascending market id.
    Tickers(Vec<TickerInfo>),
    /// To `Metrics`: one page of metric names with their measures.
    Metrics {
        /// The metrics, by name.
        metrics: Vec<MetricInfo>,
        /// Pass as `after` to get the next page; `None`: no more metrics.
        next: Option<String>,
    },
    /// To `MetricHistory`: one point per sample of the last 24 hours, oldest first (1,440,
    /// one a minute, at the default sampling).
    MetricHistory {
        /// The metric's name.
        metric: String,
        /// The measure.
        measure: Measure,
        /// The game time (ms) of the first point.
        start_ms: u64,
        /// The time between points: the sampling interval (60,000 ms by default).
        step_ms: u64,
        /// The value of each sample; `None`: no sample then.
        points: Vec<Option<Decimal>>,
    },
    /// To `MetricRank`.
    MetricRank {
        /// The measure compared.
        measure: Measure,
        /// How the metrics were ranked.
        by: RankBy,
        /// How many metrics were ranked in all.
        total: u32,
        /// The ranks asked for, rank `offset + 1` first.
        entries: Vec<RankEntry>,
    },
    /// To `AddAlert`: the new alert's id.
    AlertAdded {
        /// The alert's id.
        alert: u64,
    },
    /// To `Alerts` (the player's, by id) and `Admin(FiringAlerts)`.
    Alerts(Vec<AlertInfo>),
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
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// Wall-clock ms when it was sent.
    pub created_ms: u64,
    /// Whether it was marked read.
    pub read: bool,
}

/// What kind of failure an [`ApiError`] is (PROTOCOL.md §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The frame could not be decoded (the connection closes).
    BadFrame,
    /// The frame's length prefix is above the limit (the connection closes).
    FrameTooLarge,
    /// `Hello` with a wrong magic or version (the connection closes).
    UnsupportedVersion,
    /// The first request on a connection must be `Hello`.
    HelloRequired,
    /// No session on this connection, or an unknown, expired or ended token.
    NotAuthenticated,
    /// An `Admin` request from a player.
    Forbidden,
    /// Too many requests; retry with the same id after `retry_after_ms`.
    RateLimited,
    /// Too many failed logins; see `retry_after_ms`.
    LockedOut,
    /// Wrong e-mail or password.
    InvalidCredentials,
    /// `Signup` with a known e-mail.
    EmailTaken,
    /// `Login` before `ConfirmEmail`.
    EmailNotConfirmed,
    /// A confirmation or reset token that is unknown, used, expired or for another e-mail.
    InvalidToken,
    /// A malformed argument (e-mail, password, fixtures file, plugin, a second `Hello`).
    InvalidArgument,
    /// An unknown market, fixture, group, plugin or e-mail.
    NotFound,
    /// The engine refused the command; `reason` names the rule.
    Rejected,
    /// The server is stopping; the request was not executed: retry with the same id.
    ShuttingDown,
    /// A server fault: retry with the same id.
    Internal,
    /// A subscription beyond the connection's limit (one account stream; a bounded number
    /// of market and topic streams). Unsubscribe first, or use another connection.
    TooManySubscriptions,
    /// A per-player quota is used up (groups owned or joined, alerts, ...); `message`
    /// names the quota and its limit.
    QuotaExceeded,
    /// The server stopped applying commands after a storage failure (fail-stop); nothing
    /// was executed. Retry with the same id once it is back.
    StorageFailed,
    /// The answer would not fit in one frame; ask for a smaller page.
    ReplyTooLarge,
}

impl ErrorCode {
    /// Every code, in declaration order (the order of their wire indices).
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::BadFrame,
        ErrorCode::FrameTooLarge,
        ErrorCode::UnsupportedVersion,
        ErrorCode::HelloRequired,
        ErrorCode::NotAuthenticated,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::LockedOut,
        ErrorCode::InvalidCredentials,
        ErrorCode::EmailTaken,
        ErrorCode::EmailNotConfirmed,
        ErrorCode::InvalidToken,
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::Rejected,
        ErrorCode::ShuttingDown,
        ErrorCode::Internal,
        ErrorCode::TooManySubscriptions,
        ErrorCode::QuotaExceeded,
        ErrorCode::StorageFailed,
        ErrorCode::ReplyTooLarge,
    ];
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What kind of failure; program against this.
    pub code: ErrorCode,
    /// For `Rejected`: the engine's reason (e.g. "InsufficientFunds"). For `InvalidArgument`
    /// and `NotFound` answers to market-data requests: the field at fault (e.g. "limit",
    /// "market"). Empty otherwise.
    pub reason: String,
    /// For people (numbers in engine refusals are minor units, ticks and lots).
    pub message: String,
    /// For `RateLimited` and `LockedOut`: how long to wait before retrying.
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// An error with this code and message, no reason and no retry delay.
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
/// on a market stream it is the market's book sequence number (trades repeat the last one);
/// on a topic stream it is the sequence number of the engine command that caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// Where the event stands in its stream (see above).
    pub cursor: u64,
    /// What happened.
    pub event: PushEvent,
}

/// Why an order is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneReason {
    /// Nothing left to trade. For a `MarketBudget` order: it traded anything at all, even if
    /// budget is left (the rest is released).
    Filled,
    /// Cancelled by its owner, a mass cancel, or a market close.
    Cancelled,
    /// A `Gtd` order reached its time.
    Expired,
    /// The rest of an `Ioc`, `Fok` or `Market` order found nothing more to trade with; a
    /// `MarketBudget` order that traded nothing.
    Unfilled,
    /// Cancelled by self-trade prevention.
    SelfTrade,
}

/// Everything the server pushes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushEvent {
    // ---- account stream ----
    /// An order of the account was accepted (account stream).
    OrderAccepted {
        /// The order's id.
        order: u64,
        /// Its market.
        market: u32,
        /// Buy or sell.
        side: Side,
        /// Its limit price; `None` for market orders.
        price: Option<Decimal>,
        /// Its quantity (0 for `MarketBudget` orders).
        quantity: Decimal,
    },
    /// A resting order of the account was modified (account stream).
    OrderModified {
        /// The order's id.
        order: u64,
        /// Its new price.
        price: Decimal,
        /// Its new remaining quantity.
        quantity: Decimal,
    },
    /// The account's side of a trade (account stream).
    Fill {
        /// The account's order.
        order: u64,
        /// The trade's id.
        trade: u64,
        /// The market.
        market: u32,
        /// The account's side.
        side: Side,
        /// The trade's price.
        price: Decimal,
        /// The trade's quantity.
        quantity: Decimal,
        /// The fee the account paid, in the quote currency.
        fee: Decimal,
        /// Whether the account's order was the resting one.
        maker: bool,
    },
    /// An order of the account left the book or finished (account stream).
    OrderDone {
        /// The order's id.
        order: u64,
        /// Why.
        reason: DoneReason,
        /// Its total filled quantity.
        filled: Decimal,
    },
    /// A balance of the account changed (account stream).
    Balance {
        /// The asset.
        asset: u32,
        /// The new available amount.
        available: Decimal,
        /// The new locked amount.
        locked: Decimal,
    },
    // ---- market streams ----
    /// The total resting at one price changed (market stream).
    BookLevel {
        /// The market.
        market: u32,
        /// The book side.
        side: Side,
        /// The price level.
        price: Decimal,
        /// The new total at that price; 0: the level is gone.
        quantity: Decimal,
    },
    /// A public trade (market stream).
    Trade {
        /// The market.
        market: u32,
        /// The trade's id.
        trade: u64,
        /// Its price.
        price: Decimal,
        /// Its quantity.
        quantity: Decimal,
        /// The side of the incoming order.
        taker_side: Side,
    },
    // ---- both ----
    /// The server is closing the connection (shutdown); reconnect and resume.
    Closing {
        /// Why.
        reason: String,
    },
    /// An in-game message from a notifier plugin (e.g. an order filled): account stream.
    Notice {
        /// Its subject line.
        subject: String,
        /// Its text.
        body: String,
    },
    // ---- betting ----
    /// A bet or exchange order changed (placed, matched, settled, closed): account stream.
    Bet(BetInfo),
    /// The player's profile after their bets changed: account stream.
    Profile(ProfileInfo),
    /// A fixture's status changed (fixture topic stream).
    FixtureChanged {
        /// The fixture.
        fixture: u64,
        /// Its new status.
        status: FixtureStatus,
    },
    /// A selection's fixed odds changed (fixture topic stream).
    OddsChanged {
        /// The selection.
        selection: SelectionRef,
        /// The new odds; `None`: no longer offered.
        odds: Option<Decimal>,
    },
    /// A selection's 5-minute odds window closed (fixture topic stream).
    OddsWindow(OddsWindowInfo),
    /// A group's standings changed, or the group ended (group topic stream).
    Leaderboard {
        /// The group.
        group: u32,
        /// The standings, leader first.
        standings: Vec<StandingInfo>,
        /// Whether the group has ended (final standings).
        ended: bool,
    },
    /// The account's betting totals changed (account stream): profit and loss of each
    /// currency a command's bets touched, only those. Sent instead of `Profile`, whose size
    /// grew with the open bets; the changed bets come as `Bet` pushes.
    BetTotals {
        /// The changed currencies' totals.
        pnl: Vec<PnlInfo>,
    },
    /// The account stream's history before `oldest` is no longer kept (retention, §10.1):
    /// sent first when `SubscribeAccount` asked to resume from an older cursor. Its cursor
    /// is `oldest - 1`; the events that follow start at `oldest`. Rebuild the state they
    /// would have told (balances, open orders, bets) from queries.
    HistoryTruncated {
        /// The oldest cursor the server still has.
        oldest: u64,
    },
    /// A candle changed: every update of the open candle, and once more with
    /// `closed = true` when its interval ends (candles topic stream).
    Candle {
        /// The market.
        market: u32,
        /// The candle interval.
        interval: Interval,
        /// The candle as it now is.
        candle: CandleInfo,
    },
    /// A market's rolling 24-hour ticker, at most once per second per market, conflated
    /// (ticker topic stream).
    Ticker(TickerInfo),
}

// ---- market data ----

/// A candle interval of game time. Candles start at whole multiples of the interval since
/// the Unix epoch (a day's candle at 00:00 UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// One hour.
    H1,
    /// Four hours.
    H4,
    /// One day.
    D1,
}

impl Interval {
    /// Every interval, shortest first (the order of their wire indices).
    pub const ALL: [Interval; 6] = [Interval::M1, Interval::M5, Interval::M15, Interval::H1, Interval::H4, Interval::D1];

    /// The interval's length in milliseconds.
    pub fn millis(self) -> u64 {
        match self {
            Interval::M1 => 60_000,
            Interval::M5 => 300_000,
            Interval::M15 => 900_000,
            Interval::H1 => 3_600_000,
            Interval::H4 => 14_400_000,
            Interval::D1 => 86_400_000,
        }
    }

    /// The interval's short name: `"1m"`, `"5m"`, `"15m"`, `"1h"`, `"4h"` or `"1d"`.
    pub fn name(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
        }
    }

    /// The interval of a short name (as [`Interval::name`] writes it).
    pub fn parse(s: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.name() == s)
    }
}

/// One candle (kline) of a market: the trades of one interval. An interval with no trades
/// has no candle (the next candle's `open` is its own first trade's price).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleInfo {
    /// The interval's start (game time, ms).
    pub open_time_ms: u64,
    /// The interval's last millisecond: `open_time_ms` + the interval − 1.
    pub close_time_ms: u64,
    /// The price of the interval's first trade.
    pub open: Decimal,
    /// The highest trade price.
    pub high: Decimal,
    /// The lowest trade price.
    pub low: Decimal,
    /// The price of the interval's last trade (so far, while it is open).
    pub close: Decimal,
    /// The quantity of the item traded.
    pub base_volume: Decimal,
    /// The quote currency traded: the sum of price × quantity.
    pub quote_volume: Decimal,
    /// How many trades.
    pub trades: u64,
    /// Whether the interval is over; `false`: the open candle, still changing.
    pub closed: bool,
}

/// A market's rolling 24-hour ticker: its trades from `open_time_ms` to `close_time_ms`,
/// and its best prices now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickerInfo {
    /// The market's id.
    pub market: u32,
    /// The market's symbol, e.g. `"COPPER/GOLD"`.
    pub symbol: String,
    /// The window's start (game time, ms): the start of the minute 24 hours before its end.
    pub open_time_ms: u64,
    /// The window's end (game time, ms): the time of the last command the server applied.
    pub close_time_ms: u64,
    /// The price of the first trade in the window; `None`: no trade in it.
    pub open: Option<Decimal>,
    /// The highest trade price in the window.
    pub high: Option<Decimal>,
    /// The lowest trade price in the window.
    pub low: Option<Decimal>,
    /// The last trade price, also from before the window (it carries over); `None`: the
    /// market never traded.
    pub last: Option<Decimal>,
    /// `last` − `open`.
    pub change: Option<Decimal>,
    /// `change` in percent of `open` (`"2.5"`: 2.5 %), to 4 decimal places.
    pub change_percent: Option<Decimal>,
    /// The volume-weighted average price of the window: quote volume / base volume, to 4
    /// decimal places more than the tick has.
    pub vwap: Option<Decimal>,
    /// The quantity of the item traded in the window.
    pub base_volume: Decimal,
    /// The quote currency traded in the window.
    pub quote_volume: Decimal,
    /// How many trades in the window.
    pub trades: u64,
    /// The best bid: (price, quantity resting at it); `None`: no bids.
    pub best_bid: Option<(Decimal, Decimal)>,
    /// The best ask: (price, quantity resting at it); `None`: no asks.
    pub best_ask: Option<(Decimal, Decimal)>,
}

/// What a metric measures. A market's metric (named by its symbol) has the first seven, a
/// currency's (`economy:GOLD`) `Supply` … `Payouts`, and the game's (`economy`)
/// `ActiveAccounts` and `OpenOrders`. Prices and amounts are decimals in the market's or
/// asset's units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Measure {
    /// The last trade price.
    Price,
    /// The quantity traded since the previous sample.
    Volume,
    /// The last price minus the price 24 hours before.
    ChangeAbsolute,
    /// That change in percent of the price 24 hours before.
    ChangePercentage,
    /// The best ask minus the best bid.
    Spread,
    /// The quantity resting on the bid side.
    BidDepth,
    /// The quantity resting on the ask side.
    AskDepth,
    /// Minted minus burned, all time.
    Supply,
    /// Minted since the previous sample.
    Minted,
    /// Burned since the previous sample.
    Burned,
    /// Trading fees paid since the previous sample.
    Fees,
    /// Bet stakes placed or matched since the previous sample.
    Stakes,
    /// Bet payouts since the previous sample.
    Payouts,
    /// Accounts that traded, placed orders or bet since the previous sample.
    ActiveAccounts,
    /// Resting orders at the sample.
    OpenOrders,
}

impl Measure {
    /// Every measure, in declaration order (the order of their wire indices).
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

    /// The measure's name: `"price"`, `"change_percentage"`, `"active_accounts"`, ...
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

    /// The measure of a name (as [`Measure::name`] writes it).
    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A metric and the measures it has samples of in the last 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// The metric's name.
    pub metric: String,
    /// Its measures, in declaration order.
    pub measures: Vec<Measure>,
}

/// How [`Request::MetricRank`] ranks metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RankBy {
    /// The population standard deviation of the last 24 hours' samples.
    StdDev,
    /// The standard deviation divided by the absolute mean (metrics with mean 0 are left
    /// out).
    CoefficientOfVariation,
}

/// One line of a ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankEntry {
    /// 1 for the most variable.
    pub rank: u32,
    /// The metric's name.
    pub metric: String,
    /// The standard deviation (to 4 decimal places more than the metric's unit), or the
    /// coefficient of variation (to 6 decimal places).
    pub value: Decimal,
    /// The mean of the samples.
    pub mean: Decimal,
    /// How many samples (at least 2; at most a day's).
    pub samples: u32,
}

/// When a player's alert's condition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertCondition {
    /// The last trade price is above this.
    PriceAbove(Decimal),
    /// The last trade price is below this.
    PriceBelow(Decimal),
    /// The 24-hour change, in percent, is beyond ± this (10: ten percent).
    ChangeBeyond(Decimal),
    /// The measure's sample is above `factor` × its average over the `window_ms` before
    /// the sample (the sample itself excluded).
    Spike {
        /// A market measure (`Price` … `AskDepth`).
        measure: Measure,
        /// The factor (3: three times the average).
        factor: Decimal,
        /// The averaging window (game ms): one sampling interval (1 minute by default) …
        /// 24 hours.
        window_ms: u64,
    },
}

/// A player's alert on one market, as [`Request::AddAlert`] defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDef {
    /// The market watched.
    pub market: u32,
    /// What must hold.
    pub condition: AlertCondition,
    /// How long (game ms) the condition must hold before the alert fires (0: at once).
    pub for_ms: u64,
    /// How long (game ms) a firing alert keeps firing after the condition stops holding.
    pub keep_firing_for_ms: u64,
}

/// Where an alert is, as in Prometheus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertState {
    /// The condition does not hold (or the alert resolved).
    Inactive,
    /// The condition holds, for less than `for_ms` so far.
    Pending,
    /// The condition held for `for_ms`, or stopped holding less than
    /// `keep_firing_for_ms` ago.
    Firing,
}

/// An alert with its state: a player's, or one of the operator's rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertInfo {
    /// A player's alert: its id; an operator rule: 0.
    pub alert: u64,
    /// The player's account; an operator rule: 0.
    pub owner: u64,
    /// An operator rule: its name in the server's configuration; a player's alert: `""`.
    pub rule: String,
    /// The metric watched (a market's: its symbol).
    pub metric: String,
    /// The measure the condition reads.
    pub measure: Measure,
    /// What must hold.
    pub condition: AlertCondition,
    /// How long (game ms) the condition must hold before the alert fires.
    pub for_ms: u64,
    /// How long (game ms) a firing alert keeps firing after the condition stops holding.
    pub keep_firing_for_ms: u64,
    /// Inactive, pending or firing.
    pub state: AlertState,
    /// When (game time, ms) it entered its current state, if pending or firing.
    pub since_ms: Option<u64>,
    /// The last sampled value of the measure; `None`: no sample yet.
    pub value: Option<Decimal>,
}
