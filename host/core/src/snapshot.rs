//! A versioned snapshot of the engine's logical state: what a recovery needs and nothing
//! of how memory is laid out (no slab free lists, hash-map layout or scratch vectors).
//! Books are lists of resting orders in priority order and maps are sorted lists, so two
//! engines in the same logical state give equal snapshots, and `state_hash` hashes the
//! canonical encoding of one.
//!
//! Change any type reachable from [`Snapshot`] and [`Snapshot::VERSION`] must change too:
//! the store refuses a snapshot whose version it does not know, naming both versions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::betting::state::{Bet, Betting, Fixture, Group, Timer, WindowState};
use crate::betting::{FixtureId, GroupId, OddsWindow, SelectionRef};
use crate::book::Book;
use crate::books::{Books, Expiry, Market, OrderData, Seat};
use crate::command::Side;
use crate::dedup::{Dedup, Remembered};
use crate::engine::{Engine, EngineConfig};
use crate::ids::{AccountIx, AssetIx, Lots, MarketIx, Minor, Ticks};
use crate::ledger::{Account, Asset, Balance, Ledger};
use crate::market::{MarketPolicy, MarketSpec, MarketStatus, PluginBinding};
use crate::units::MarketUnits;

/// The engine's logical state at one sequence number.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    config: EngineConfig,
    now: u64,
    seq: u64,
    next_order: u64,
    next_trade: u64,
    /// In index order (creation order).
    assets: Vec<AssetRow>,
    /// In index order (creation order).
    accounts: Vec<AccountRow>,
    debts: Vec<((AccountIx, AssetIx), Minor)>,
    /// In index order (creation order).
    markets: Vec<MarketRow>,
    /// Non-empty seats, sorted.
    seats: Vec<((AccountIx, MarketIx), Seat)>,
    /// Sorted by (due time, order).
    expiries: Vec<Expiry>,
    /// Oldest first.
    dedup: Vec<RememberedRow>,
    betting: BettingRows,
    /// Players' alert definitions.
    alerts: crate::alerts::Alerts,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct AssetRow {
    spec: crate::market::AssetSpec,
    minted: u128,
    burned: u128,
    fee_sink: Minor,
    bet_escrow: u128,
    house: i128,
    debt: u128,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct AccountRow {
    id: crate::ids::AccountId,
    /// (available, locked) per asset index.
    balances: Vec<(Minor, Minor)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct MarketRow {
    spec: MarketSpec,
    units: MarketUnits,
    policy: MarketPolicy,
    status: MarketStatus,
    base: AssetIx,
    quote: AssetIx,
    book_seq: u64,
    last_price: Option<Ticks>,
    plugin: Option<PluginBinding>,
    /// Bids then asks, each best first and oldest first within a level.
    orders: Vec<OrderRow<OrderData>>,
}

/// One resting order of a book (a market's or an exchange ladder's).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct OrderRow<T> {
    id: u64,
    side: Side,
    price: Ticks,
    quantity: Lots,
    data: T,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct RememberedRow {
    at: u64,
    actor: crate::ids::AccountId,
    request: crate::ids::RequestId,
    outcome: crate::event::Outcome,
}

/// An exchange ladder: its (selection, wallet asset) and its resting orders.
type Ladder = ((SelectionRef, AssetIx), Vec<OrderRow<u64>>);

#[derive(Clone, Debug, Serialize, Deserialize)]
struct BettingRows {
    fixtures: BTreeMap<FixtureId, Fixture>,
    /// Sorted by bet id.
    bets: Vec<(u64, Bet)>,
    next_bet: u64,
    ladders: Vec<Ladder>,
    groups: BTreeMap<GroupId, Group>,
    /// Sorted by account.
    by_account: Vec<(AccountIx, Vec<u64>)>,
    open_stake: BTreeMap<(AccountIx, AssetIx), Minor>,
    timers: BTreeSet<(u64, Timer)>,
    windows: BTreeMap<SelectionRef, WindowState>,
    closed_windows: BTreeMap<SelectionRef, VecDeque<OddsWindow>>,
}

impl Snapshot {
    /// The layout version of this build's snapshots.
    pub const VERSION: u32 = 2;

    /// Sequence number of the last command the snapshot includes.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The state a `state_hash` covers: everything but the command counter and the
    /// remembered request ids (a rejected command changes only those).
    pub(crate) fn without_requests(mut self) -> Snapshot {
        self.seq = 0;
        self.dedup.clear();
        self
    }
}

fn book_rows<T: Copy>(book: &Book<T>) -> Vec<OrderRow<T>> {
    [Side::Buy, Side::Sell]
        .into_iter()
        .flat_map(|side| book.iter_side(side).map(|o| OrderRow { id: o.id, side: o.side, price: o.price, quantity: o.quantity, data: o.data }))
        .collect()
}

fn book_from<T>(rows: Vec<OrderRow<T>>, capacity: usize) -> Book<T> {
    let mut book = Book::with_capacity(capacity.max(rows.len()));
    for o in rows {
        book.insert(o.id, o.side, o.price, o.quantity, o.data);
    }
    book
}

impl Engine {
    /// The engine's logical state, for a snapshot file or a state hash.
    pub fn snapshot(&self) -> Snapshot {
        let ledger = &self.ledger;
        let assets = ledger
            .assets()
            .iter()
            .map(|x| AssetRow {
                spec: x.spec.clone(),
                minted: x.minted,
                burned: x.burned,
                fee_sink: x.fee_sink,
                bet_escrow: x.bet_escrow,
                house: x.house,
                debt: x.debt,
            })
            .collect();
        let accounts =
            ledger.accounts().iter().map(|a| AccountRow { id: a.id, balances: a.balances.iter().map(|b| (b.available, b.locked)).collect() }).collect();
        let markets = self
            .books
            .markets
            .iter()
            .map(|m| MarketRow {
                spec: m.spec.clone(),
                units: m.units,
                policy: m.policy,
                status: m.status,
                base: m.base,
                quote: m.quote,
                book_seq: m.book_seq,
                last_price: m.last_price,
                plugin: m.plugin.clone(),
                orders: book_rows(&m.book),
            })
            .collect();
        let mut seats: Vec<_> = self.books.seats().filter(|(_, s)| *s != Seat::default()).collect();
        seats.sort_unstable_by_key(|(k, _)| *k);
        let mut expiries: Vec<Expiry> = self.books.expiries().collect();
        expiries.sort_unstable();
        let dedup = self.dedup.iter().map(|r| RememberedRow { at: r.at, actor: r.actor, request: r.request, outcome: r.outcome }).collect();
        Snapshot {
            config: self.config,
            now: self.now,
            seq: self.seq,
            next_order: self.books.next_order,
            next_trade: self.books.next_trade,
            assets,
            accounts,
            debts: ledger.debts().iter().map(|(&k, &v)| (k, v)).collect(),
            markets,
            seats,
            expiries,
            dedup,
            betting: betting_rows(&self.betting),
            alerts: self.alerts.clone(),
        }
    }

    /// The engine a snapshot describes.
    pub fn from_snapshot(s: Snapshot) -> Engine {
        let assets = s
            .assets
            .into_iter()
            .map(|x| Asset { spec: x.spec, minted: x.minted, burned: x.burned, fee_sink: x.fee_sink, bet_escrow: x.bet_escrow, house: x.house, debt: x.debt })
            .collect();
        let accounts = s
            .accounts
            .into_iter()
            .map(|a| Account { id: a.id, balances: a.balances.into_iter().map(|(available, locked)| Balance { available, locked, mark: 0 }).collect() })
            .collect();
        let markets = s
            .markets
            .into_iter()
            .map(|m| Market {
                spec: m.spec,
                units: m.units,
                policy: m.policy,
                status: m.status,
                base: m.base,
                quote: m.quote,
                book: book_from(m.orders, 1024),
                book_seq: m.book_seq,
                last_price: m.last_price,
                plugin: m.plugin,
            })
            .collect();
        let mut engine = Engine::new(s.config);
        engine.now = s.now;
        engine.seq = s.seq;
        engine.ledger = Ledger::restore(assets, accounts, s.debts.into_iter().collect());
        engine.books = Books::restore(markets, s.seats, s.expiries, s.next_order, s.next_trade);
        engine.dedup = Dedup::restore(
            s.config.dedup_window_ms,
            s.dedup.into_iter().map(|r| Remembered { at: r.at, actor: r.actor, request: r.request, outcome: r.outcome }),
        );
        engine.betting = betting_from(s.betting);
        engine.alerts = s.alerts;
        engine
    }
}

fn betting_rows(b: &Betting) -> BettingRows {
    let mut bets: Vec<(u64, Bet)> = b.bets.iter().map(|(&id, bet)| (id, bet.clone())).collect();
    bets.sort_unstable_by_key(|(id, _)| *id);
    let mut by_account: Vec<(AccountIx, Vec<u64>)> = b.by_account.iter().map(|(&a, ids)| (a, ids.clone())).collect();
    by_account.sort_unstable_by_key(|(a, _)| *a);
    BettingRows {
        fixtures: b.fixtures.clone(),
        bets,
        next_bet: b.next_bet,
        ladders: b.books.iter().map(|(&k, book)| (k, book_rows(book))).collect(),
        groups: b.groups.clone(),
        by_account,
        open_stake: b.open_stake.clone(),
        timers: b.timers.clone(),
        windows: b.windows.clone(),
        closed_windows: b.closed_windows.clone(),
    }
}

fn betting_from(r: BettingRows) -> Betting {
    let mut betting = Betting {
        fixtures: r.fixtures,
        bets: r.bets.into_iter().collect(),
        next_bet: r.next_bet,
        books: r.ladders.into_iter().map(|(k, rows)| (k, book_from(rows, 0))).collect(),
        groups: r.groups,
        by_account: r.by_account.into_iter().collect(),
        open_stake: r.open_stake,
        timers: r.timers,
        windows: r.windows,
        closed_windows: r.closed_windows,
        liability: Default::default(),
        memberships: Default::default(),
    };
    betting.derive();
    betting
}
