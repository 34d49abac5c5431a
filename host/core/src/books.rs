//! The books stage: markets, their order books, the order index, per-account seats
//! (order slots, resting buy lots, the buy-limit window) and GTD expiries. No money moves
//! here: an order carries the size of its ledger hold (`OrderData::held`) so that
//! settlement knows what each fill may take, but only `crate::ledger` changes balances.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use serde::{Deserialize, Serialize};

use crate::book::{Book, IdMap, Resting};
use crate::command::{Side, TimeInForce};
use crate::event::RejectReason;
use crate::ids::{AccountIx, AssetIx, Lots, MarketId, MarketIx, Minor, OrderId, Ticks};
use crate::market::{BuyLimit, MarketPolicy, MarketSpec, MarketStatus, PluginBinding};
use crate::units::MarketUnits;

type R<T> = Result<T, RejectReason>;

/// What the engine keeps on each resting order besides price and quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OrderData {
    pub(crate) account: AccountIx,
    /// What the ledger holds for this order: quote for a bid (`Market::required` of what
    /// is left), base for an ask (`left × lot_units`).
    pub(crate) held: Minor,
    pub(crate) filled: Lots,
    pub(crate) tif: TimeInForce,
    pub(crate) post_only: bool,
}

/// A resting order in a market's book.
pub(crate) type Order = Resting<OrderData>;

#[derive(Clone, Debug)]
pub(crate) struct Market {
    pub(crate) spec: MarketSpec,
    pub(crate) units: MarketUnits,
    pub(crate) policy: MarketPolicy,
    pub(crate) status: MarketStatus,
    pub(crate) base: AssetIx,
    pub(crate) quote: AssetIx,
    pub(crate) book: Book<OrderData>,
    /// Number of `BookLevel` events emitted so far.
    pub(crate) book_seq: u64,
    pub(crate) last_price: Option<Ticks>,
    /// The rules plugin deciding admission and fees here, if any.
    pub(crate) plugin: Option<PluginBinding>,
}

/// A fee in basis points of `n`, rounded down.
pub(crate) fn fee(n: Minor, bps: u32) -> Minor {
    Minor::try_from(u128::from(n) * u128::from(bps) / 10_000).expect("bps ≤ 10,000 (validate_policy): a fee is at most its notional")
}

impl Market {
    /// The hold a bid needs: notional plus the highest fee it could be charged.
    ///
    /// Why a bid's hold always covers its fills (invariant 3 in ARCHITECTURE.md): with
    /// `N(p, q) = p·q·tick_value` and `fee(n, bps) = ⌊n·bps/10⁴⌋`, a bid resting at `P`
    /// for `L` lots holds `N(P, L) + fee(N(P, L), max_bps)`. A fill of `q` lots pays
    /// `N(p, q) + fee(N(p, q), bps)` with `p ≤ P` and `bps ≤ max_bps` (plugin fees are
    /// capped at the policy rate), which is at most `N(P, q) + fee(N(P, q), max_bps)`
    /// because `fee` is monotonic. `N` is linear and `⌊a + b⌋ ≥ ⌊a⌋ + ⌊b⌋`, so
    /// `required(P, L) ≥ [N(P, q) + fee(N(P, q))] + required(P, L − q)`: after paying the
    /// fill, what is held still covers the rest, and the surplus is released.
    pub(crate) fn required(&self, price: Ticks, lots: Lots) -> Option<Minor> {
        let n = self.units.notional(price, lots)?;
        n.checked_add(fee(n, self.policy.max_fee_bps()))
    }

    /// What a new or modified order must hold: `required` for a bid, the items for an ask.
    pub(crate) fn hold_for(&self, side: Side, price: Ticks, lots: Lots) -> Option<Minor> {
        match side {
            Side::Buy => self.required(price, lots),
            Side::Sell => self.units.base_units(lots),
        }
    }

    /// How long a purchase counts in an account's buy window: the native buy limit's
    /// window, else the rules plugin's, else purchases are not tracked.
    pub(crate) fn buy_window_ms(&self) -> Option<u64> {
        self.policy.buy_limit.map(|l| l.window_ms).or_else(|| self.plugin.as_ref().and_then(|p| p.buy_window_ms))
    }

    /// The asset an order on `side` holds: quote for a bid, base for an ask.
    pub(crate) fn held_asset(&self, side: Side) -> AssetIx {
        match side {
            Side::Buy => self.quote,
            Side::Sell => self.base,
        }
    }

    pub(crate) fn crosses(&self, side: Side, price: Ticks) -> bool {
        match side {
            Side::Buy => self.book.best_price(Side::Sell).is_some_and(|a| price >= a),
            Side::Sell => self.book.best_price(Side::Buy).is_some_and(|b| price <= b),
        }
    }
}

/// The current buy-limit window of an (account, market).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BuyWindow {
    pub(crate) start_ms: u64,
    pub(crate) bought: Lots,
}

/// Per (account, market): order slots in use, resting buy lots and the buy-limit window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seat {
    pub(crate) open: u32,
    pub(crate) resting_buy: Lots,
    pub(crate) window: Option<BuyWindow>,
}

impl Seat {
    /// The window if it is still running at `now` for a window length of `window_ms`.
    pub(crate) fn window_at(&self, window_ms: u64, now: u64) -> Option<BuyWindow> {
        self.window.filter(|w| now < w.start_ms.saturating_add(window_ms))
    }

    pub(crate) fn allowance(&self, limit: &BuyLimit, now: u64) -> Lots {
        let bought = self.window_at(limit.window_ms, now).map_or(0, |w| w.bought);
        limit.quantity.saturating_sub(bought).saturating_sub(self.resting_buy)
    }
}

/// An order about to rest (what is left of a taker).
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewResting {
    pub(crate) id: OrderId,
    pub(crate) side: Side,
    pub(crate) price: Ticks,
    pub(crate) lots: Lots,
    pub(crate) data: OrderData,
    /// A new order (a modified one already has its expiry scheduled).
    pub(crate) new: bool,
}

/// A GTD order's due time in the expiry heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Expiry {
    pub(crate) at: u64,
    pub(crate) order: OrderId,
}

/// A price level the current command changed, with its quantity before.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LevelTouch {
    pub(crate) market: MarketIx,
    pub(crate) side: Side,
    pub(crate) price: Ticks,
    pub(crate) before: Lots,
}

/// Markets, books and everything about resting orders except money.
#[derive(Clone, Debug, Default)]
pub(crate) struct Books {
    pub(crate) markets: Vec<Market>,
    market_index: IdMap<u32, MarketIx>,
    /// Resting order id → its market.
    orders: IdMap<u64, MarketIx>,
    /// (owner, order id) of every resting order: an account's orders in id order without
    /// walking the books (open orders, mass cancel). Derived from the books, so not in the
    /// snapshot: `restore` rebuilds it.
    by_account: BTreeSet<(AccountIx, u64)>,
    seats: IdMap<(AccountIx, MarketIx), Seat>,
    expiries: BinaryHeap<Reverse<Expiry>>,
    pub(crate) next_order: u64,
    pub(crate) next_trade: u64,
    /// Levels the current command touched.
    touched: Vec<LevelTouch>,
}

impl Books {
    pub(crate) fn new() -> Books {
        Books { next_order: 1, next_trade: 1, touched: Vec::with_capacity(64), ..Books::default() }
    }

    /// Pre-size the order index and empty books for a known load.
    pub(crate) fn reserve(&mut self, orders: usize) {
        self.orders.reserve(orders);
        for m in &mut self.markets {
            if m.book.is_empty() {
                m.book = Book::with_capacity(orders);
            }
        }
    }

    pub(crate) fn has_market(&self, id: MarketId) -> bool {
        self.market_index.contains_key(&id.0)
    }

    pub(crate) fn add_market(&mut self, market: Market) -> MarketIx {
        debug_assert!(!self.has_market(market.spec.id));
        let m = MarketIx::new(self.markets.len());
        self.market_index.insert(market.spec.id.0, m);
        self.markets.push(market);
        m
    }

    pub(crate) fn market_ix(&self, id: MarketId) -> R<MarketIx> {
        self.market_index.get(&id.0).copied().ok_or(RejectReason::UnknownMarket)
    }

    pub(crate) fn market(&self, m: MarketIx) -> &Market {
        &self.markets[m.at()]
    }

    pub(crate) fn market_mut(&mut self, m: MarketIx) -> &mut Market {
        &mut self.markets[m.at()]
    }

    /// The market a resting order is in.
    pub(crate) fn market_of(&self, order: OrderId) -> Option<MarketIx> {
        self.orders.get(&order.0).copied()
    }

    pub(crate) fn order(&self, m: MarketIx, order: OrderId) -> Option<&Order> {
        self.markets[m.at()].book.get(order.0)
    }

    /// The market of a resting order that belongs to account `a`.
    pub(crate) fn owned_order(&self, a: AccountIx, order: OrderId) -> R<MarketIx> {
        // Another account's order is answered exactly like one that does not exist, so a
        // player cannot probe which order ids are resting.
        let m = self.market_of(order).ok_or(RejectReason::UnknownOrder)?;
        let o = self.order(m, order).expect("indexed order rests");
        if o.data.account != a {
            return Err(RejectReason::UnknownOrder);
        }
        Ok(m)
    }

    pub(crate) fn resting_orders(&self) -> usize {
        self.orders.len()
    }

    pub(crate) fn seat(&self, a: AccountIx, m: MarketIx) -> Seat {
        self.seats.get(&(a, m)).copied().unwrap_or_default()
    }

    fn seat_mut(&mut self, a: AccountIx, m: MarketIx) -> &mut Seat {
        self.seats.entry((a, m)).or_default()
    }

    pub(crate) fn seats(&self) -> impl Iterator<Item = ((AccountIx, MarketIx), Seat)> + '_ {
        self.seats.iter().map(|(&k, &s)| (k, s))
    }

    pub(crate) fn expiries(&self) -> impl Iterator<Item = Expiry> + '_ {
        self.expiries.iter().map(|Reverse(e)| *e)
    }

    /// The earliest pending GTD expiry (possibly of an order already gone).
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.expiries.peek().map(|Reverse(e)| e.at)
    }

    /// Pop the next expiry due at or before `now` that still names a resting GTD order.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(MarketIx, OrderId)> {
        while let Some(&Reverse(e)) = self.expiries.peek() {
            if e.at > now {
                return None;
            }
            self.expiries.pop();
            let Some(m) = self.market_of(e.order) else { continue };
            if self.order(m, e.order).is_some_and(|o| o.data.tif == TimeInForce::Gtd(e.at)) {
                return Some((m, e.order));
            }
        }
        None
    }

    /// Next order id (1, 2, 3, ... in command order).
    pub(crate) fn new_order_id(&mut self) -> OrderId {
        let id = OrderId(self.next_order);
        self.next_order += 1;
        id
    }

    // ---- changes to the book (each records the level it touches) ----

    fn touch_level(&mut self, m: MarketIx, side: Side, price: Ticks) {
        if !self.touched.iter().any(|t| t.market == m && t.side == side && t.price == price) {
            let before = self.markets[m.at()].book.level_quantity(side, price);
            self.touched.push(LevelTouch { market: m, side, price, before });
        }
    }

    /// The levels touched since the last drain, with their quantity before; clears them.
    pub(crate) fn drain_touched(&mut self, mut each: impl FnMut(&Market, LevelTouch)) {
        for t in self.touched.drain(..) {
            each(&self.markets[t.market.at()], t);
        }
    }

    /// Put an order on the book behind its level (and on the expiry heap if it is new GTD).
    pub(crate) fn rest(&mut self, m: MarketIx, order: NewResting) {
        let NewResting { id, side, price, lots, data, new } = order;
        debug_assert!(lots > 0 && self.market_of(id).is_none());
        self.touch_level(m, side, price);
        self.markets[m.at()].book.insert(id.0, side, price, lots, data);
        self.orders.insert(id.0, m);
        self.by_account.insert((data.account, id.0));
        let seat = self.seat_mut(data.account, m);
        seat.open += 1;
        if side == Side::Buy {
            seat.resting_buy += lots;
        }
        if let (true, TimeInForce::Gtd(at)) = (new, data.tif) {
            self.expiries.push(Reverse(Expiry { at, order: id }));
        }
    }

    /// Take a resting order off its book and free its seat.
    pub(crate) fn unrest(&mut self, m: MarketIx, id: OrderId) -> Order {
        let (side, price) = {
            let o = self.order(m, id).expect("resting");
            (o.side, o.price)
        };
        self.touch_level(m, side, price);
        let o = self.markets[m.at()].book.remove(id.0).expect("resting");
        self.orders.remove(&id.0);
        self.by_account.remove(&(o.data.account, id.0));
        let seat = self.seat_mut(o.data.account, m);
        seat.open -= 1;
        if side == Side::Buy {
            seat.resting_buy -= o.quantity;
        }
        o
    }

    /// Lower a resting order's quantity and hold in place, keeping its priority.
    pub(crate) fn reduce(&mut self, m: MarketIx, id: OrderId, lots: Lots, held: Minor) {
        let (side, price, before, account) = {
            let o = self.order(m, id).expect("resting");
            (o.side, o.price, o.quantity, o.data.account)
        };
        debug_assert!(lots < before);
        self.touch_level(m, side, price);
        let book = &mut self.markets[m.at()].book;
        book.reduce(id.0, lots);
        book.data_mut(id.0).expect("rests").held = held;
        if side == Side::Buy {
            self.seat_mut(account, m).resting_buy -= before - lots;
        }
    }

    /// Set what the ledger holds for a resting order.
    pub(crate) fn set_held(&mut self, m: MarketIx, id: OrderId, held: Minor) {
        self.markets[m.at()].book.data_mut(id.0).expect("resting").held = held;
    }

    /// Trade `lots` off the best maker on `side`, which must be `maker`, now holding
    /// `held`. Returns true when that filled it (it is then off the book).
    pub(crate) fn fill_maker(&mut self, m: MarketIx, side: Side, maker: OrderId, price: Ticks, lots: Lots, data: OrderData) -> bool {
        self.touch_level(m, side, price);
        let market = &mut self.markets[m.at()];
        debug_assert_eq!(market.book.best(side).map(|o| o.id), Some(maker.0), "fills take the best maker");
        market.last_price = Some(price);
        let emptied = market.book.fill_best(side, lots).is_some();
        if emptied {
            debug_assert_eq!(data.held, 0, "a filled maker holds nothing");
            self.orders.remove(&maker.0);
            self.by_account.remove(&(data.account, maker.0));
            let seat = self.seat_mut(data.account, m);
            seat.open -= 1;
            if side == Side::Buy {
                seat.resting_buy -= lots;
            }
        } else {
            *market.book.data_mut(maker.0).expect("maker rests") = data;
            if side == Side::Buy {
                self.seat_mut(data.account, m).resting_buy -= lots;
            }
        }
        emptied
    }

    /// Count a purchase in the buyer's buy-limit window, if the market tracks one.
    pub(crate) fn record_buy(&mut self, a: AccountIx, m: MarketIx, lots: Lots, now: u64) {
        let Some(window_ms) = self.markets[m.at()].buy_window_ms() else { return };
        let seat = self.seat_mut(a, m);
        seat.window = Some(match seat.window_at(window_ms, now) {
            Some(w) => BuyWindow { start_ms: w.start_ms, bought: w.bought + lots },
            None => BuyWindow { start_ms: now, bought: lots },
        });
    }

    /// Next trade id (a counter shared by all markets).
    pub(crate) fn new_trade_id(&mut self) -> crate::ids::TradeId {
        let id = crate::ids::TradeId(self.next_trade);
        self.next_trade += 1;
        id
    }

    /// An account's resting orders with ids above `after`, ascending: O(log n + what is
    /// taken), whatever the size of the books.
    pub(crate) fn orders_of(&self, a: AccountIx, after: Option<OrderId>) -> impl Iterator<Item = (OrderId, MarketIx)> + '_ {
        let from = after.map_or(0, |o| o.0.saturating_add(1));
        self.by_account.range((a, from)..=(a, u64::MAX)).filter(move |&&(_, id)| after.is_none_or(|o| id > o.0)).map(|&(_, id)| (OrderId(id), self.orders[&id]))
    }

    /// Whether the per-account index names exactly the resting orders with their owners.
    pub(crate) fn check_account_index(&self) -> Result<(), String> {
        let mut from_books = BTreeSet::new();
        for mk in &self.markets {
            for side in [Side::Buy, Side::Sell] {
                from_books.extend(mk.book.iter_side(side).map(|o| (o.data.account, o.id)));
            }
        }
        if from_books != self.by_account {
            return Err(format!(
                "per-account order index has {} entries, the books {} resting orders (or owners differ)",
                self.by_account.len(),
                from_books.len()
            ));
        }
        Ok(())
    }

    /// Resting order ids matching a market (or all) and an account (or all), ascending.
    /// With an account, only its own orders are visited (the per-account index).
    pub(crate) fn select(&self, market: Option<MarketIx>, account: Option<AccountIx>, ids: &mut Vec<(OrderId, MarketIx)>) {
        ids.clear();
        if let Some(a) = account {
            ids.extend(self.orders_of(a, None).filter(|&(_, m)| market.is_none_or(|x| x == m)));
            return;
        }
        for (m, mk) in self.markets.iter().enumerate() {
            let m = MarketIx::new(m);
            if market.is_some_and(|x| x != m) {
                continue;
            }
            for side in [Side::Buy, Side::Sell] {
                let mine = mk.book.iter_side(side).filter(|o| account.is_none_or(|a| o.data.account == a));
                ids.extend(mine.map(|o| (OrderId(o.id), m)));
            }
        }
        ids.sort_unstable();
    }

    /// Rebuild from a snapshot: markets with their orders inserted in priority order.
    pub(crate) fn restore(markets: Vec<Market>, seats: Vec<((AccountIx, MarketIx), Seat)>, expiries: Vec<Expiry>, next_order: u64, next_trade: u64) -> Books {
        let mut books = Books { next_order, next_trade, touched: Vec::with_capacity(64), ..Books::default() };
        for market in markets {
            let m = books.add_market(market);
            let book = &books.markets[m.at()].book;
            let ids: Vec<u64> = [Side::Buy, Side::Sell].into_iter().flat_map(|s| book.iter_side(s).map(|o| o.id)).collect();
            for id in ids {
                books.orders.insert(id, m);
                let owner = books.markets[m.at()].book.get(id).expect("listed order rests").data.account;
                books.by_account.insert((owner, id));
            }
        }
        books.seats = seats.into_iter().collect();
        books.expiries = expiries.into_iter().map(Reverse).collect();
        books
    }
}
