//! The engine: one deterministic state machine over assets, accounts, markets and orders.
//! `apply` runs one command; the rules are in `SEMANTICS.md` and every line here should be
//! traceable to it.
//!
//! Double entry: each movement of value is a debit from one account and a credit to
//! another (player available, the order's escrow, the fee sink, the faucet, the burn).
//! A player's `locked` balance is the sum of the escrow of their resting orders, kept next
//! to the orders so that queries and events are O(1); `check_invariants` proves the two agree.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::betting::state::Betting;
use crate::book::{Book, IdMap};
use crate::command::{Body, Command, Ctx, MarketSize, OrderKind, OrderRequest, Side, TimeInForce};
use crate::event::{DoneReason, Event, InvalidMarket, Outcome, RejectReason};
use crate::ids::{AccountId, AssetId, MarketId, OrderId, RequestId, TradeId};
use crate::market::{AssetKind, AssetSpec, BuyLimit, MarketPolicy, MarketSpec, MarketStatus, SelfTradePrevention};
use crate::rules::{self, AccountView, Listing, MarketView, NativeOnly, OrderCheck, PluginBinding, Rules, TradeFacts};
use crate::units::MarketUnits;
use serde::{Deserialize, Serialize};

type R<T> = Result<T, RejectReason>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// How long (game time) a request id is remembered for idempotent retries. The table
    /// costs about 40 bytes per command in the window, so the window bounds memory: ten
    /// minutes covers reconnect-and-retry while staying small at high command rates.
    pub dedup_window_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { dedup_window_ms: 10 * 60 * 1000 }
    }
}

/// A resting order as queries see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub order: OrderId,
    pub account: AccountId,
    pub market: MarketId,
    pub side: Side,
    pub price: u64,
    pub quantity: u64,
    pub filled: u64,
    pub escrow: u64,
    pub tif: TimeInForce,
    pub post_only: bool,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Balance {
    pub(crate) available: u64,
    pub(crate) locked: u64,
    /// The command generation that last touched this balance (for `Balance` events).
    pub(crate) mark: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Account {
    pub(crate) id: AccountId,
    pub(crate) balances: Vec<Balance>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Asset {
    pub(crate) spec: AssetSpec,
    /// Totals over all time (u128: mint/burn cycles may exceed u64 in total; the supply
    /// `minted − burned` never does).
    pub(crate) minted: u128,
    pub(crate) burned: u128,
    pub(crate) fee_sink: u64,
    /// Stakes and lay liabilities of open bets (the bet escrow account).
    pub(crate) bet_escrow: u128,
    /// Net paid out by the house on settled fixed-odds bets (negative: the house is up).
    pub(crate) house: i128,
    /// Winnings taken back by re-settlement that the players could not cover yet.
    pub(crate) debt: u128,
}

impl Asset {
    pub(crate) fn new(spec: AssetSpec) -> Asset {
        Asset { spec, minted: 0, burned: 0, fee_sink: 0, bet_escrow: 0, house: 0, debt: 0 }
    }
}

/// What the engine keeps on each resting order besides price and quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct OrderData {
    /// Index of the owning account (its id is `accounts[account].id`).
    account: u32,
    escrow: u64,
    filled: u64,
    tif: TimeInForce,
    post_only: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Market {
    spec: MarketSpec,
    units: MarketUnits,
    policy: MarketPolicy,
    status: MarketStatus,
    base: u32,
    quote: u32,
    book: Book<OrderData>,
    /// Number of `BookLevel` events emitted so far.
    book_seq: u64,
    last_price: Option<u64>,
    /// The rules plugin deciding admission and fees here, if any.
    plugin: Option<PluginBinding>,
}

impl Market {
    fn fee(n: u64, bps: u32) -> u64 {
        (n as u128 * bps as u128 / 10_000) as u64
    }

    /// Escrow a bid needs: notional plus the highest fee it could be charged.
    fn required(&self, price: u64, lots: u64) -> Option<u64> {
        let n = self.units.notional(price, lots)?;
        n.checked_add(Self::fee(n, self.policy.max_fee_bps()))
    }

    /// How long a purchase counts in an account's buy window: the native buy limit's
    /// window, else the rules plugin's, else purchases are not tracked.
    fn buy_window_ms(&self) -> Option<u64> {
        self.policy.buy_limit.map(|l| l.window_ms).or_else(|| self.plugin.as_ref().and_then(|p| p.buy_window_ms))
    }

    fn escrow_asset(&self, side: Side) -> u32 {
        match side {
            Side::Buy => self.quote,
            Side::Sell => self.base,
        }
    }

    fn crosses(&self, side: Side, price: u64) -> bool {
        match side {
            Side::Buy => self.book.best_price(Side::Sell).is_some_and(|a| price >= a),
            Side::Sell => self.book.best_price(Side::Buy).is_some_and(|b| price <= b),
        }
    }
}

/// Per (account, market): order slots in use, resting buy lots and the buy-limit window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seat {
    open: u32,
    resting_buy: u64,
    window: Option<(u64, u64)>, // (start, lots bought)
}

impl Seat {
    fn bought(&self, limit: &BuyLimit, now: u64) -> u64 {
        match self.window {
            Some((start, bought)) if now < start.saturating_add(limit.window_ms) => bought,
            _ => 0,
        }
    }

    fn allowance(&self, limit: &BuyLimit, now: u64) -> u64 {
        limit.quantity.saturating_sub(self.bought(limit, now)).saturating_sub(self.resting_buy)
    }
}

/// An order while it takes liquidity (a new order, or a modified one that lost priority).
struct Taker {
    id: u64,
    account: u32,
    owner: AccountId,
    side: Side,
    limit: Option<u64>,
    /// Lots still wanted (for a budget order: the buy-limit allowance left, or u64::MAX).
    left: u64,
    budget: bool,
    /// What is still in escrow for it (quote for a buy, base for a sell).
    escrow: u64,
    filled: u64,
    tif: TimeInForce,
    post_only: bool,
    /// Whether it is a new order (a resting GTD needs its expiry scheduled once).
    new: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Engine {
    config: EngineConfig,
    pub(crate) now: u64,
    seq: u64,
    generation: u64,
    pub(crate) assets: Vec<Asset>,
    pub(crate) asset_index: IdMap<u32, u32>,
    markets: Vec<Market>,
    market_index: IdMap<u32, u32>,
    pub(crate) accounts: Vec<Account>,
    account_index: IdMap<u64, u32>,
    /// Resting order id → market index.
    orders: IdMap<u64, u32>,
    seats: IdMap<(u32, u32), Seat>,
    expiries: BinaryHeap<Reverse<(u64, u64)>>,
    dedup: IdMap<(u64, u64), Outcome>,
    dedup_order: VecDeque<(u64, u64, u64)>,
    next_order: u64,
    next_trade: u64,
    // Per-command scratch, kept to avoid allocating on every command.
    touched_balances: Vec<(u32, u32, Balance)>,
    touched_levels: Vec<(u32, Side, u64, u64)>,
    balance_events: Vec<(AccountId, AssetId, u64, u64)>,
    level_events: Vec<(MarketId, Side, u64, u64, u32)>,
    id_scratch: Vec<(u64, u32)>,
    /// Fixtures, bets, exchange ladders, groups and odds windows (`crate::betting`).
    pub(crate) betting: Betting,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineConfig::default())
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            config,
            now: 0,
            seq: 0,
            generation: 0,
            assets: Vec::new(),
            asset_index: IdMap::default(),
            markets: Vec::new(),
            market_index: IdMap::default(),
            accounts: Vec::new(),
            account_index: IdMap::default(),
            orders: IdMap::default(),
            seats: IdMap::default(),
            expiries: BinaryHeap::new(),
            dedup: IdMap::default(),
            dedup_order: VecDeque::new(),
            next_order: 1,
            next_trade: 1,
            touched_balances: Vec::with_capacity(64),
            touched_levels: Vec::with_capacity(64),
            balance_events: Vec::with_capacity(64),
            level_events: Vec::with_capacity(64),
            id_scratch: Vec::new(),
            betting: Betting::default(),
        }
    }

    /// Pre-size the tables for a known load so the hot path does not allocate while
    /// they grow (benchmarks, simulations, recovery).
    pub fn reserve(&mut self, orders: usize, requests: usize) {
        self.orders.reserve(orders);
        self.dedup.reserve(requests);
        self.dedup_order.reserve(requests);
        for m in &mut self.markets {
            if m.book.is_empty() {
                m.book = Book::with_capacity(orders);
            }
        }
    }

    /// Game time of the last command.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Sequence number of the last command.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Run one command and append its events to `out`. Markets bound to a rules plugin
    /// use their native policy (see [`Engine::apply_with`]).
    pub fn apply(&mut self, ctx: Ctx, cmd: &Command, out: &mut Vec<Event>) -> Outcome {
        self.apply_with(ctx, cmd, out, &mut NativeOnly)
    }

    /// Run one command, asking `rules` for the decisions of plugin-bound markets.
    /// Returns the command's outcome (for a duplicate: the original outcome).
    pub fn apply_with(&mut self, ctx: Ctx, cmd: &Command, out: &mut Vec<Event>, rules: &mut dyn Rules) -> Outcome {
        self.now = self.now.max(ctx.time);
        self.seq = ctx.seq;
        self.generation += 1;
        self.expire(out);
        self.run_timers(out);
        self.forget_old_requests();
        let key = (cmd.actor.0, cmd.request.0);
        let outcome = if let Some(&outcome) = self.dedup.get(&key) {
            out.push(Event::Duplicate { account: cmd.actor, request: cmd.request, outcome });
            outcome
        } else {
            let outcome = match self.run(cmd, out, rules) {
                Ok(outcome) => outcome,
                Err(reason) => {
                    out.push(Event::Rejected { account: cmd.actor, request: cmd.request, reason });
                    Outcome::Rejected(reason)
                }
            };
            self.dedup.insert(key, outcome);
            self.dedup_order.push_back((self.now, key.0, key.1));
            outcome
        };
        self.flush_changes(out);
        outcome
    }

    fn forget_old_requests(&mut self) {
        while let Some(&(t, actor, request)) = self.dedup_order.front() {
            if t.saturating_add(self.config.dedup_window_ms) >= self.now {
                break;
            }
            self.dedup_order.pop_front();
            self.dedup.remove(&(actor, request));
        }
    }

    fn expire(&mut self, out: &mut Vec<Event>) {
        while let Some(&Reverse((at, id))) = self.expiries.peek() {
            if at > self.now {
                break;
            }
            self.expiries.pop();
            let Some(&m) = self.orders.get(&id) else { continue };
            let still_due = self.markets[m as usize]
                .book
                .get(id)
                .is_some_and(|o| o.data.tif == TimeInForce::Gtd(at));
            if still_due {
                self.cancel_resting(m, id, DoneReason::Expired, out);
            }
        }
    }

    fn run(&mut self, cmd: &Command, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<Outcome> {
        let (actor, request) = (cmd.actor, cmd.request);
        let done = Event::Done { account: actor, request };
        match &cmd.body {
            Body::CreateAsset(spec) => {
                if self.asset_index.contains_key(&spec.id.0) {
                    return Err(RejectReason::AssetExists);
                }
                if spec.decimals > 18 {
                    return Err(RejectReason::OutOfRange);
                }
                self.asset_index.insert(spec.id.0, self.assets.len() as u32);
                self.assets.push(Asset::new(spec.clone()));
                out.push(Event::AssetCreated { asset: spec.id });
            }
            Body::CreateMarket { spec, policy } => self.create_market(spec, policy, out)?,
            Body::SetMarketPolicy { market, policy } => {
                let m = self.market_idx(*market)?;
                validate_policy(policy)?;
                self.markets[m as usize].policy = *policy;
                out.push(done);
                self.re_escrow_bids(m, out);
            }
            Body::BindRules { market, binding } => {
                let m = self.market_idx(*market)?;
                self.markets[m as usize].plugin = binding.clone();
                out.push(done);
            }
            Body::SetMarketStatus { market, status } => {
                let m = self.market_idx(*market)?;
                if self.markets[m as usize].status == MarketStatus::Closed {
                    return Err(RejectReason::MarketClosed);
                }
                self.markets[m as usize].status = *status;
                out.push(Event::MarketChanged { market: *market, status: *status });
                if *status == MarketStatus::Closed {
                    self.cancel_where(Some(m), None, out);
                }
            }
            Body::OpenAccount { account } => {
                if self.account_index.contains_key(&account.0) {
                    return Err(RejectReason::AccountExists);
                }
                self.account_index.insert(account.0, self.accounts.len() as u32);
                self.accounts.push(Account { id: *account, balances: Vec::new() });
                out.push(Event::AccountOpened { account: *account });
            }
            Body::Mint { account, asset, amount } => {
                let a = self.account_idx(*account)?;
                let s = self.asset_idx(*asset)?;
                if *amount == 0 {
                    return Err(RejectReason::ZeroAmount);
                }
                let supply = &self.assets[s as usize];
                if supply.minted - supply.burned + *amount as u128 > u64::MAX as u128 {
                    return Err(RejectReason::OutOfRange);
                }
                // Faucet → player.
                self.assets[s as usize].minted += *amount as u128;
                self.bal_mut(a, s).available += amount;
                out.push(Event::Minted { account: *account, asset: *asset, amount: *amount });
            }
            Body::Burn { account, asset, amount } => {
                let a = self.account_idx(*account)?;
                let s = self.asset_idx(*asset)?;
                if *amount == 0 {
                    return Err(RejectReason::ZeroAmount);
                }
                self.ensure_available(a, s, *amount)?;
                // Player → burn.
                self.bal_mut(a, s).available -= amount;
                self.assets[s as usize].burned += *amount as u128;
                out.push(Event::Burned { account: *account, asset: *asset, amount: *amount });
            }
            Body::CancelMarket { market } => {
                let m = self.market_idx(*market)?;
                out.push(done);
                self.cancel_where(Some(m), None, out);
            }
            Body::Tick => out.push(done),
            Body::Place(order) => return self.place(actor, request, order, out, rules),
            Body::Cancel { order } => {
                let a = self.account_idx(actor)?;
                let m = self.owned_order(a, *order)?;
                out.push(done);
                self.cancel_resting(m, order.0, DoneReason::Cancelled, out);
            }
            Body::Modify { order, price, quantity } => self.modify(actor, request, *order, *price, *quantity, out, rules)?,
            Body::Bet(command) => return self.run_bet(actor, request, command, out, rules),
            Body::CancelAll { market } => {
                let a = self.account_idx(actor)?;
                let m = market.map(|m| self.market_idx(m)).transpose()?;
                out.push(done);
                self.cancel_where(m, Some(a), out);
            }
        }
        Ok(Outcome::Done)
    }

    fn create_market(&mut self, spec: &MarketSpec, policy: &MarketPolicy, out: &mut Vec<Event>) -> R<()> {
        if self.market_index.contains_key(&spec.id.0) {
            return Err(RejectReason::MarketExists);
        }
        let base = self.asset_idx(spec.base)?;
        let quote = self.asset_idx(spec.quote)?;
        if base == quote {
            return Err(RejectReason::InvalidMarket(InvalidMarket::SameAssets));
        }
        let (b, q) = (&self.assets[base as usize].spec, &self.assets[quote as usize].spec);
        if b.kind != AssetKind::Item || q.kind != AssetKind::Currency {
            return Err(RejectReason::InvalidMarket(InvalidMarket::WrongAssetKinds));
        }
        let units = MarketUnits::new(spec, b.decimals, q.decimals)?;
        validate_policy(policy)?;
        self.market_index.insert(spec.id.0, self.markets.len() as u32);
        self.markets.push(Market {
            spec: spec.clone(),
            units,
            policy: *policy,
            status: MarketStatus::Open,
            base,
            quote,
            book: Book::with_capacity(1024),
            book_seq: 0,
            last_price: None,
            plugin: None,
        });
        out.push(Event::MarketCreated { market: spec.id });
        Ok(())
    }

    // ---- lookups ----

    pub(crate) fn account_idx(&self, id: AccountId) -> R<u32> {
        self.account_index.get(&id.0).copied().ok_or(RejectReason::UnknownAccount)
    }

    pub(crate) fn asset_idx(&self, id: AssetId) -> R<u32> {
        self.asset_index.get(&id.0).copied().ok_or(RejectReason::UnknownAsset)
    }

    fn market_idx(&self, id: MarketId) -> R<u32> {
        self.market_index.get(&id.0).copied().ok_or(RejectReason::UnknownMarket)
    }

    /// The market of a resting order that belongs to account `a`.
    fn owned_order(&self, a: u32, order: OrderId) -> R<u32> {
        let m = *self.orders.get(&order.0).ok_or(RejectReason::UnknownOrder)?;
        let o = self.markets[m as usize].book.get(order.0).expect("indexed order rests");
        if o.data.account != a {
            return Err(RejectReason::NotOrderOwner);
        }
        Ok(m)
    }

    fn seat(&self, a: u32, m: u32) -> Seat {
        self.seats.get(&(a, m)).copied().unwrap_or_default()
    }

    fn seat_mut(&mut self, a: u32, m: u32) -> &mut Seat {
        self.seats.entry((a, m)).or_default()
    }

    // ---- ledger ----

    pub(crate) fn available(&self, a: u32, s: u32) -> u64 {
        self.accounts[a as usize].balances.get(s as usize).map_or(0, |b| b.available)
    }

    pub(crate) fn ensure_available(&self, a: u32, s: u32, needed: u64) -> R<()> {
        let available = self.available(a, s);
        if available < needed {
            return Err(RejectReason::InsufficientFunds { asset: self.assets[s as usize].spec.id, needed, available });
        }
        Ok(())
    }

    /// A player's balance, remembering its value before this command the first time it is touched.
    pub(crate) fn bal_mut(&mut self, a: u32, s: u32) -> &mut Balance {
        let generation = self.generation;
        let balances = &mut self.accounts[a as usize].balances;
        if balances.len() <= s as usize {
            balances.resize(s as usize + 1, Balance::default());
        }
        let b = &mut balances[s as usize];
        if b.mark != generation {
            self.touched_balances.push((a, s, *b));
            b.mark = generation;
        }
        b
    }

    /// Player available → order escrow.
    fn lock(&mut self, a: u32, s: u32, amount: u64) {
        let b = self.bal_mut(a, s);
        b.available -= amount;
        b.locked += amount;
    }

    /// Order escrow → player available.
    fn unlock(&mut self, a: u32, s: u32, amount: u64) {
        if amount > 0 {
            let b = self.bal_mut(a, s);
            b.locked -= amount;
            b.available += amount;
        }
    }

    // ---- orders ----

    fn place(&mut self, actor: AccountId, request: RequestId, o: &OrderRequest, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<Outcome> {
        let a = self.account_idx(actor)?;
        let m = self.market_idx(o.market)?;
        let market = &self.markets[m as usize];
        match market.status {
            MarketStatus::Open => {}
            MarketStatus::Halted => return Err(RejectReason::MarketHalted),
            MarketStatus::Closed => return Err(RejectReason::MarketClosed),
        }
        let policy = market.policy;
        let check_quantity = |q: u64| {
            if q < policy.min_quantity || q > policy.max_quantity {
                return Err(RejectReason::QuantityOutOfRange { min: policy.min_quantity, max: policy.max_quantity });
            }
            Ok(q)
        };
        let (limit, quantity, budget) = match o.kind {
            OrderKind::Market(size) => {
                if o.post_only || o.tif.rests() {
                    return Err(RejectReason::InvalidMarketOrder);
                }
                match size {
                    MarketSize::Budget(_) if o.side == Side::Sell => return Err(RejectReason::BudgetOnlyForBuys),
                    MarketSize::Budget(0) => return Err(RejectReason::ZeroAmount),
                    MarketSize::Budget(b) => (None, 0, Some(b)),
                    MarketSize::Quantity(q) => (None, check_quantity(q)?, None),
                }
            }
            OrderKind::Limit { price, quantity } => {
                if price == 0 || price > policy.max_price {
                    return Err(RejectReason::PriceOutOfRange { max: policy.max_price });
                }
                check_quantity(quantity)?;
                if matches!(o.tif, TimeInForce::Gtd(at) if at <= self.now) {
                    return Err(RejectReason::ExpiryInPast);
                }
                (Some(price), quantity, None)
            }
        };
        let seat = self.seat(a, m);
        if o.tif.rests() && policy.max_open_orders > 0 && seat.open >= policy.max_open_orders {
            return Err(RejectReason::OrderSlotsFull { max: policy.max_open_orders });
        }
        let mut cap = u64::MAX;
        if let (Side::Buy, Some(limit)) = (o.side, policy.buy_limit) {
            let allowance = seat.allowance(&limit, self.now);
            if (budget.is_some() && allowance == 0) || (budget.is_none() && quantity > allowance) {
                return Err(RejectReason::BuyLimitReached { remaining: allowance });
            }
            cap = allowance;
        }
        if o.post_only && market.crosses(o.side, limit.expect("post-only orders are limit orders")) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        if o.tif == TimeInForce::Fok && self.walk(m, o.side, a, limit, quantity).0 < quantity {
            return Err(RejectReason::FillOrKillUnfilled);
        }
        let market = &self.markets[m as usize];
        let escrow = match (o.side, limit, budget) {
            (Side::Sell, _, _) => market.units.base_units(quantity),
            (Side::Buy, Some(price), _) => market.required(price, quantity),
            (Side::Buy, None, Some(b)) => Some(b),
            (Side::Buy, None, None) => self.walk(m, Side::Buy, a, None, quantity).1,
        }
        .ok_or(RejectReason::OutOfRange)?;
        let check = OrderCheck { side: o.side, price: limit, quantity, budget, rests: o.tif.rests(), modifies: None };
        self.check_with_rules(m, a, request, &check, out, rules)?;
        let listing_fee = match (o.tif.rests(), limit) {
            (true, Some(price)) => self.listing_fee(m, a, o.side, price, quantity, None, rules)?,
            _ => 0,
        };
        let market = &self.markets[m as usize];
        let (base, quote) = (market.base, market.quote);
        match o.side {
            Side::Buy => self.ensure_available(a, quote, escrow.checked_add(listing_fee).ok_or(RejectReason::OutOfRange)?)?,
            Side::Sell => {
                self.ensure_available(a, base, escrow)?;
                self.ensure_available(a, quote, listing_fee)?;
            }
        }

        // Accepted: nothing below can fail.
        let id = self.next_order;
        self.next_order += 1;
        let escrow_asset = if o.side == Side::Buy { quote } else { base };
        self.lock(a, escrow_asset, escrow);
        self.charge_fee(a, quote, listing_fee);
        out.push(Event::OrderAccepted {
            order: OrderId(id),
            account: actor,
            request,
            market: o.market,
            side: o.side,
            price: limit.unwrap_or(0),
            quantity,
            tif: o.tif,
            escrow,
            listing_fee,
        });
        let mut taker = Taker {
            id,
            account: a,
            owner: actor,
            side: o.side,
            limit,
            left: if budget.is_some() { cap } else { quantity },
            budget: budget.is_some(),
            escrow,
            filled: 0,
            tif: o.tif,
            post_only: o.post_only,
            new: true,
        };
        self.take(m, &mut taker, out, rules);
        Ok(Outcome::Accepted { order: OrderId(id) })
    }

    /// The market as a rules plugin sees it at this moment.
    fn market_view(&self, m: u32) -> MarketView {
        let market = &self.markets[m as usize];
        MarketView {
            market: market.spec.id,
            now_ms: self.now,
            last_price: market.last_price,
            best_bid: market.book.best_price(Side::Buy),
            best_ask: market.book.best_price(Side::Sell),
        }
    }

    /// The market and the account as a rules plugin sees them.
    fn rule_views(&self, m: u32, a: u32) -> (MarketView, AccountView) {
        let market = &self.markets[m as usize];
        let seat = self.seat(a, m);
        let window_ms = market.buy_window_ms();
        let window = seat.window.filter(|&(start, _)| window_ms.is_some_and(|w| self.now < start.saturating_add(w)));
        let view = self.market_view(m);
        let account = AccountView {
            account: self.accounts[a as usize].id,
            available_quote: self.available(a, market.quote),
            available_base: self.available(a, market.base),
            open_orders: seat.open,
            resting_buy_lots: seat.resting_buy,
            bought_lots: window.map_or(0, |(_, lots)| lots),
            window_start_ms: window.map(|(start, _)| start),
        };
        (view, account)
    }

    /// Ask the market's rules plugin, if it has one, to admit an order or modification.
    fn check_with_rules(&self, m: u32, a: u32, request: RequestId, check: &OrderCheck, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<()> {
        let Some(binding) = &self.markets[m as usize].plugin else { return Ok(()) };
        let (market, account) = self.rule_views(m, a);
        match rules.check_order(binding, &market, &account, check) {
            Some(Err(message)) => {
                out.push(Event::RuleMessage { account: account.account, request, message: rules::clip_reason(message) });
                Err(RejectReason::RuleRejected)
            }
            _ => Ok(()),
        }
    }

    /// The fee for an order that starts resting, or for modifying a resting one: the rules
    /// plugin's if the market has one, else the policy's flat listing fee (none on modify).
    #[allow(clippy::too_many_arguments)]
    fn listing_fee(&self, m: u32, a: u32, side: Side, price: u64, quantity: u64, modifies: Option<(u64, u64)>, rules: &mut dyn Rules) -> R<u64> {
        let market = &self.markets[m as usize];
        let native = if modifies.is_none() { market.policy.listing_fee } else { 0 };
        let Some(binding) = &market.plugin else { return Ok(native) };
        let notional = market.units.notional(price, quantity).ok_or(RejectReason::OutOfRange)?;
        let (view, account) = self.rule_views(m, a);
        let listing = Listing { account: account.account, side, price, quantity, notional, modifies };
        Ok(rules.listing_fee(binding, &view, &listing).unwrap_or(native))
    }

    /// A fill's (maker, taker) fees. A plugin's proposal is capped so escrow always covers
    /// it: a buyer pays at most the policy rate its escrow reserved (taker rate for a taker,
    /// the higher rate for a resting maker), a seller at most the notional.
    fn trade_fees(&self, m: u32, facts: &TradeFacts, rules: &mut dyn Rules) -> (u64, u64) {
        let market = &self.markets[m as usize];
        let policy = market.policy;
        let native = (Market::fee(facts.notional, policy.maker_fee_bps), Market::fee(facts.notional, policy.taker_fee_bps));
        let Some(binding) = &market.plugin else { return native };
        let view = self.market_view(m);
        let Some(fees) = rules.trade_fees(binding, &view, facts) else { return native };
        let (maker_cap, taker_cap) = match facts.taker_side {
            Side::Buy => (facts.notional, Market::fee(facts.notional, policy.taker_fee_bps)),
            Side::Sell => (Market::fee(facts.notional, policy.max_fee_bps()), facts.notional),
        };
        (fees.maker.min(maker_cap), fees.taker.min(taker_cap))
    }

    /// Walk the side opposite `side` as matching would (price limit and self-trade
    /// prevention included) for up to `quantity` lots: (lots available, exact cost of a buy
    /// with taker fees, None on overflow).
    fn walk(&self, m: u32, side: Side, a: u32, limit: Option<u64>, quantity: u64) -> (u64, Option<u64>) {
        let market = &self.markets[m as usize];
        let stp = market.policy.self_trade;
        let (mut lots, mut cost) = (0u64, 0u128);
        for o in market.book.iter_side(side.opposite()) {
            if lots == quantity || limit.is_some_and(|l| !price_acceptable(side, l, o.price)) {
                break;
            }
            if o.data.account == a {
                if stp == SelfTradePrevention::CancelOldest {
                    continue;
                }
                break;
            }
            let q = o.quantity.min(quantity - lots);
            let n = o.price as u128 * q as u128 * market.units.tick_value as u128;
            cost += n + n * market.policy.taker_fee_bps as u128 / 10_000;
            lots += q;
        }
        (lots, u64::try_from(cost).ok())
    }

    /// Match a taker against the book, then rest it or finish it.
    fn take(&mut self, m: u32, t: &mut Taker, out: &mut Vec<Event>, rules: &mut dyn Rules) {
        let self_trade = self.match_taker(m, t, out, rules);
        let reason = if self_trade {
            Some(DoneReason::SelfTrade)
        } else if t.budget {
            Some(if t.filled > 0 { DoneReason::Filled } else { DoneReason::Unfilled })
        } else if t.left == 0 {
            Some(DoneReason::Filled)
        } else if t.tif.rests() {
            None
        } else {
            Some(DoneReason::Unfilled)
        };
        let market = &self.markets[m as usize];
        let asset = market.escrow_asset(t.side);
        let Some(reason) = reason else {
            let price = t.limit.expect("resting orders have a price");
            let mut escrow = t.escrow;
            if t.side == Side::Buy {
                escrow = market.required(price, t.left).expect("within the accepted escrow");
                self.unlock(t.account, asset, t.escrow - escrow);
            }
            self.touch_level(m, t.side, price);
            let data = OrderData { account: t.account, escrow, filled: t.filled, tif: t.tif, post_only: t.post_only };
            self.markets[m as usize].book.insert(t.id, t.side, price, t.left, data);
            self.orders.insert(t.id, m);
            let seat = self.seat_mut(t.account, m);
            seat.open += 1;
            if t.side == Side::Buy {
                seat.resting_buy += t.left;
            }
            if let (true, TimeInForce::Gtd(at)) = (t.new, t.tif) {
                self.expiries.push(Reverse((at, t.id)));
            }
            return;
        };
        self.unlock(t.account, asset, t.escrow);
        let market_id = self.markets[m as usize].spec.id;
        out.push(Event::OrderDone {
            order: OrderId(t.id),
            account: t.owner,
            market: market_id,
            reason,
            filled: t.filled,
            released: if t.budget { 0 } else { t.left },
        });
    }

    /// The matching loop. Returns true when self-trade prevention stopped the taker.
    fn match_taker(&mut self, m: u32, t: &mut Taker, out: &mut Vec<Event>, rules: &mut dyn Rules) -> bool {
        let maker_side = t.side.opposite();
        while t.left > 0 {
            let market = &self.markets[m as usize];
            let Some(best) = market.book.best(maker_side) else { return false };
            let (maker_id, price, maker_qty, mut maker) = (best.id, best.price, best.quantity, best.data);
            if t.limit.is_some_and(|l| !price_acceptable(t.side, l, price)) {
                return false;
            }
            // A budget order that cannot afford one more lot here is done: it neither
            // trades nor triggers self-trade prevention (like one out of allowance).
            if t.budget && affordable(&market.units, price, t.escrow, market.policy.taker_fee_bps) == 0 {
                return false;
            }
            if maker.account == t.account {
                match market.policy.self_trade {
                    SelfTradePrevention::CancelNewest => return true,
                    SelfTradePrevention::CancelOldest => {
                        self.cancel_resting(m, maker_id, DoneReason::SelfTrade, out);
                        continue;
                    }
                    SelfTradePrevention::CancelBoth => {
                        self.cancel_resting(m, maker_id, DoneReason::SelfTrade, out);
                        return true;
                    }
                }
            }
            let (units, policy, base, quote) = (market.units, market.policy, market.base, market.quote);
            let mut q = t.left.min(maker_qty);
            if t.budget {
                q = q.min(affordable(&units, price, t.escrow, policy.taker_fee_bps));
                if q == 0 {
                    return false;
                }
            }
            let notional = units.notional(price, q).expect("bounded by escrow");
            let facts = TradeFacts {
                price,
                quantity: q,
                notional,
                taker_side: t.side,
                maker_account: self.accounts[maker.account as usize].id,
                taker_account: t.owner,
            };
            let (maker_fee, taker_fee) = self.trade_fees(m, &facts, rules);
            let items = q * units.lot_units;

            self.touch_level(m, maker_side, price);
            let emptied = self.markets[m as usize].book.fill_best(maker_side, q);
            maker.filled += q;
            let maker_left = maker_qty - q;
            match t.side {
                Side::Buy => {
                    // Taker buys: pays notional + taker fee from its escrow, gets the items.
                    let paid = notional + taker_fee;
                    t.escrow -= paid;
                    self.bal_mut(t.account, quote).locked -= paid;
                    self.bal_mut(t.account, base).available += items;
                    maker.escrow -= items;
                    self.bal_mut(maker.account, base).locked -= items;
                    self.bal_mut(maker.account, quote).available += notional - maker_fee;
                    self.record_buy(t.account, m, q);
                }
                Side::Sell => {
                    t.escrow -= items;
                    self.bal_mut(t.account, base).locked -= items;
                    self.bal_mut(t.account, quote).available += notional - taker_fee;
                    // Maker buys: pays from escrow, which is then reset to what the rest needs.
                    let paid = notional + maker_fee;
                    let keep = self.markets[m as usize].required(price, maker_left).expect("smaller than before");
                    let refund = maker.escrow - paid - keep;
                    maker.escrow = keep;
                    let b = self.bal_mut(maker.account, quote);
                    b.locked -= paid + refund;
                    b.available += refund;
                    self.bal_mut(maker.account, base).available += items;
                    self.seat_mut(maker.account, m).resting_buy -= q;
                    self.record_buy(maker.account, m, q);
                }
            }
            self.assets[quote as usize].fee_sink += maker_fee + taker_fee;
            self.markets[m as usize].last_price = Some(price);
            t.left -= q;
            t.filled += q;
            let trade = TradeId(self.next_trade);
            self.next_trade += 1;
            let market_id = self.markets[m as usize].spec.id;
            let maker_id_account = self.accounts[maker.account as usize].id;
            out.push(Event::Trade {
                trade,
                market: market_id,
                price,
                quantity: q,
                maker_order: OrderId(maker_id),
                maker_account: maker_id_account,
                taker_order: OrderId(t.id),
                taker_account: t.owner,
                taker_side: t.side,
                maker_fee,
                taker_fee,
            });
            if emptied.is_some() {
                debug_assert_eq!(maker.escrow, 0);
                self.orders.remove(&maker_id);
                self.seat_mut(maker.account, m).open -= 1;
                out.push(Event::OrderDone {
                    order: OrderId(maker_id),
                    account: maker_id_account,
                    market: market_id,
                    reason: DoneReason::Filled,
                    filled: maker.filled,
                    released: 0,
                });
            } else {
                *self.markets[m as usize].book.data_mut(maker_id).expect("maker rests") = maker;
            }
        }
        false
    }

    /// Count a purchase in the buyer's buy-limit window, if the market has a buy limit.
    fn record_buy(&mut self, a: u32, m: u32, lots: u64) {
        let Some(window_ms) = self.markets[m as usize].buy_window_ms() else { return };
        let now = self.now;
        let seat = self.seat_mut(a, m);
        seat.window = match seat.window {
            Some((start, bought)) if now < start.saturating_add(window_ms) => Some((start, bought + lots)),
            _ => Some((now, lots)),
        };
    }

    /// Take a resting order out of its book, release its escrow and report it done.
    fn cancel_resting(&mut self, m: u32, id: u64, reason: DoneReason, out: &mut Vec<Event>) {
        let (side, price) = {
            let o = self.markets[m as usize].book.get(id).expect("resting");
            (o.side, o.price)
        };
        self.touch_level(m, side, price);
        let market = &mut self.markets[m as usize];
        let o = market.book.remove(id).expect("resting");
        let (asset, market_id) = (market.escrow_asset(side), market.spec.id);
        self.orders.remove(&id);
        self.unlock(o.data.account, asset, o.data.escrow);
        let seat = self.seat_mut(o.data.account, m);
        seat.open -= 1;
        if side == Side::Buy {
            seat.resting_buy -= o.quantity;
        }
        out.push(Event::OrderDone {
            order: OrderId(id),
            account: self.accounts[o.data.account as usize].id,
            market: market_id,
            reason,
            filled: o.data.filled,
            released: o.quantity,
        });
    }

    /// After a fee change, make every resting bid hold exactly what it now needs: return a
    /// surplus, lock a shortfall, or cancel the bid when its owner cannot cover it.
    fn re_escrow_bids(&mut self, m: u32, out: &mut Vec<Event>) {
        let mut ids = std::mem::take(&mut self.id_scratch);
        ids.clear();
        ids.extend(self.markets[m as usize].book.iter_side(Side::Buy).map(|o| (o.id, m)));
        ids.sort_unstable();
        let quote = self.markets[m as usize].quote;
        for &(id, _) in &ids {
            let market = &self.markets[m as usize];
            let o = market.book.get(id).expect("resting bid");
            let (a, held) = (o.data.account, o.data.escrow);
            let Some(need) = market.required(o.price, o.quantity) else {
                self.cancel_resting(m, id, DoneReason::Cancelled, out);
                continue;
            };
            if need <= held {
                self.unlock(a, quote, held - need);
            } else if self.available(a, quote) >= need - held {
                self.lock(a, quote, need - held);
            } else {
                self.cancel_resting(m, id, DoneReason::Cancelled, out);
                continue;
            }
            self.markets[m as usize].book.data_mut(id).expect("resting bid").escrow = need;
        }
        self.id_scratch = ids;
    }

    /// Cancel resting orders of one market (or all) and one account (or all), by ascending id.
    fn cancel_where(&mut self, market: Option<u32>, account: Option<u32>, out: &mut Vec<Event>) {
        let mut ids = std::mem::take(&mut self.id_scratch);
        ids.clear();
        for (m, mk) in self.markets.iter().enumerate() {
            if market.is_some_and(|x| x != m as u32) {
                continue;
            }
            for side in [Side::Buy, Side::Sell] {
                let mine = mk.book.iter_side(side).filter(|o| account.is_none_or(|a| o.data.account == a));
                ids.extend(mine.map(|o| (o.id, m as u32)));
            }
        }
        ids.sort_unstable();
        for &(id, m) in &ids {
            self.cancel_resting(m, id, DoneReason::Cancelled, out);
        }
        self.id_scratch = ids;
    }

    #[allow(clippy::too_many_arguments)]
    fn modify(&mut self, actor: AccountId, request: RequestId, order: OrderId, price: u64, quantity: u64, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<()> {
        let a = self.account_idx(actor)?;
        let m = self.owned_order(a, order)?;
        let market = &self.markets[m as usize];
        let o = market.book.get(order.0).expect("owned order rests").clone();
        if market.status == MarketStatus::Halted {
            return Err(RejectReason::MarketHalted);
        }
        let policy = market.policy;
        if price == 0 || price > policy.max_price {
            return Err(RejectReason::PriceOutOfRange { max: policy.max_price });
        }
        if quantity < policy.min_quantity || quantity > policy.max_quantity {
            return Err(RejectReason::QuantityOutOfRange { min: policy.min_quantity, max: policy.max_quantity });
        }
        if let (Side::Buy, Some(limit)) = (o.side, policy.buy_limit) {
            let allowance = self.seat(a, m).allowance(&limit, self.now);
            if quantity > o.quantity && quantity - o.quantity > allowance {
                return Err(RejectReason::BuyLimitReached { remaining: allowance });
            }
        }
        let check = OrderCheck { side: o.side, price: Some(price), quantity, budget: None, rests: true, modifies: Some((o.price, o.quantity)) };
        self.check_with_rules(m, a, request, &check, out, rules)?;
        let relist_fee = self.listing_fee(m, a, o.side, price, quantity, Some((o.price, o.quantity)), rules)?;
        let market = &self.markets[m as usize];
        let quote = market.quote;
        let asset = market.escrow_asset(o.side);
        let new_escrow = match o.side {
            Side::Buy => market.required(price, quantity),
            Side::Sell => market.units.base_units(quantity),
        };
        let modified = |kept_priority| Event::OrderModified {
            order,
            account: actor,
            market: market.spec.id,
            price,
            quantity,
            kept_priority,
        };

        if price == o.price && quantity <= o.quantity {
            self.ensure_available(a, quote, relist_fee)?;
            let event = modified(true);
            let new_escrow = new_escrow.expect("smaller than the current escrow");
            self.charge_fee(a, quote, relist_fee);
            if quantity < o.quantity {
                self.touch_level(m, o.side, price);
                self.markets[m as usize].book.reduce(order.0, quantity);
                self.markets[m as usize].book.data_mut(order.0).expect("rests").escrow = new_escrow;
                self.unlock(a, asset, o.data.escrow - new_escrow);
                if o.side == Side::Buy {
                    self.seat_mut(a, m).resting_buy -= o.quantity - quantity;
                }
            }
            out.push(event);
            return Ok(());
        }

        if o.data.post_only && market.crosses(o.side, price) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        let new_escrow = new_escrow.ok_or(RejectReason::OutOfRange)?;
        let increase = new_escrow.saturating_sub(o.data.escrow);
        if asset == quote {
            self.ensure_available(a, quote, increase.checked_add(relist_fee).ok_or(RejectReason::OutOfRange)?)?;
        } else {
            self.ensure_available(a, asset, increase)?;
            self.ensure_available(a, quote, relist_fee)?;
        }
        let event = modified(false);
        self.charge_fee(a, quote, relist_fee);
        // Re-queue: out of the book, escrow adjusted, then matched like a new limit order.
        self.touch_level(m, o.side, o.price);
        self.markets[m as usize].book.remove(order.0);
        self.orders.remove(&order.0);
        let seat = self.seat_mut(a, m);
        seat.open -= 1;
        if o.side == Side::Buy {
            seat.resting_buy -= o.quantity;
        }
        if new_escrow > o.data.escrow {
            self.lock(a, asset, new_escrow - o.data.escrow);
        } else {
            self.unlock(a, asset, o.data.escrow - new_escrow);
        }
        out.push(event);
        let mut taker = Taker {
            id: order.0,
            account: a,
            owner: actor,
            side: o.side,
            limit: Some(price),
            left: quantity,
            budget: false,
            escrow: new_escrow,
            filled: o.data.filled,
            tif: o.data.tif,
            post_only: o.data.post_only,
            new: false,
        };
        self.take(m, &mut taker, out, rules);
        Ok(())
    }

    /// Move a fee from the account's available balance into the fee sink.
    fn charge_fee(&mut self, a: u32, s: u32, fee: u64) {
        if fee > 0 {
            self.bal_mut(a, s).available -= fee;
            self.assets[s as usize].fee_sink += fee;
        }
    }

    // ---- end-of-command events ----

    fn touch_level(&mut self, m: u32, side: Side, price: u64) {
        if !self.touched_levels.iter().any(|&(tm, ts, tp, _)| tm == m && ts == side && tp == price) {
            let before = self.markets[m as usize].book.level_quantity(side, price);
            self.touched_levels.push((m, side, price, before));
        }
    }

    fn flush_changes(&mut self, out: &mut Vec<Event>) {
        for &(a, s, before) in &self.touched_balances {
            let now = self.accounts[a as usize].balances[s as usize];
            if (now.available, now.locked) != (before.available, before.locked) {
                let ids = (self.accounts[a as usize].id, self.assets[s as usize].spec.id);
                self.balance_events.push((ids.0, ids.1, now.available, now.locked));
            }
        }
        self.touched_balances.clear();
        self.balance_events.sort_unstable_by_key(|&(a, s, _, _)| (a, s));
        for (account, asset, available, locked) in self.balance_events.drain(..) {
            out.push(Event::Balance { account, asset, available, locked });
        }

        for &(m, side, price, before) in &self.touched_levels {
            let market = &self.markets[m as usize];
            let now = market.book.level_quantity(side, price);
            if now != before {
                self.level_events.push((market.spec.id, side, price, now, m));
            }
        }
        self.touched_levels.clear();
        self.level_events.sort_unstable_by_key(|&(market, side, price, _, _)| (market, side, price));
        for (market, side, price, quantity, m) in self.level_events.drain(..) {
            let mk = &mut self.markets[m as usize];
            mk.book_seq += 1;
            out.push(Event::BookLevel { market, side, price, quantity, seq: mk.book_seq });
        }
    }

    // ---- queries ----

    /// (available, locked) of a player's asset; None for an unknown account or asset.
    pub fn balance(&self, account: AccountId, asset: AssetId) -> Option<(u64, u64)> {
        let a = self.account_idx(account).ok()?;
        let s = self.asset_idx(asset).ok()?;
        let b = self.accounts[a as usize].balances.get(s as usize).copied().unwrap_or_default();
        Some((b.available, b.locked))
    }

    pub fn fee_sink(&self, asset: AssetId) -> u64 {
        self.asset_idx(asset).map_or(0, |s| self.assets[s as usize].fee_sink)
    }

    /// (minted, burned) of an asset, over all time.
    pub fn supply(&self, asset: AssetId) -> Option<(u128, u128)> {
        let s = self.asset_idx(asset).ok()?;
        Some((self.assets[s as usize].minted, self.assets[s as usize].burned))
    }

    /// Price levels (ticks, lots) of one side, best first.
    pub fn depth(&self, market: MarketId, side: Side) -> Vec<(u64, u64)> {
        self.market_idx(market).map_or_else(|_| Vec::new(), |m| self.markets[m as usize].book.depth(side).collect())
    }

    pub fn asset(&self, asset: AssetId) -> Option<&AssetSpec> {
        self.asset_idx(asset).ok().map(|s| &self.assets[s as usize].spec)
    }

    pub fn market_spec(&self, market: MarketId) -> Option<&MarketSpec> {
        self.market_idx(market).ok().map(|m| &self.markets[m as usize].spec)
    }

    /// Every asset, by ascending id.
    pub fn assets(&self) -> Vec<&AssetSpec> {
        let mut v: Vec<&AssetSpec> = self.assets.iter().map(|a| &a.spec).collect();
        v.sort_by_key(|a| a.id);
        v
    }

    /// Every market with its policy and status, by ascending id.
    pub fn markets(&self) -> Vec<(&MarketSpec, MarketPolicy, MarketStatus)> {
        let mut v: Vec<_> = self.markets.iter().map(|m| (&m.spec, m.policy, m.status)).collect();
        v.sort_by_key(|m| m.0.id);
        v
    }

    /// The number of `BookLevel` events a market has emitted: the sequence number its
    /// current book corresponds to.
    pub fn book_seq(&self, market: MarketId) -> Option<u64> {
        self.market_idx(market).ok().map(|m| self.markets[m as usize].book_seq)
    }

    /// The earliest game time at which the engine has work of its own (a GTD expiry,
    /// possibly of an order already gone, or a betting timer): when the server should
    /// send a `Tick` if nothing else arrives.
    pub fn next_timer(&self) -> Option<u64> {
        match (self.next_expiry(), self.next_betting_timer()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest pending GTD expiry (possibly of an order already gone).
    fn next_expiry(&self) -> Option<u64> {
        self.expiries.peek().map(|Reverse((at, _))| *at)
    }

    /// Whether an account exists.
    pub fn has_account(&self, account: AccountId) -> bool {
        self.account_index.contains_key(&account.0)
    }

    pub fn market_units(&self, market: MarketId) -> Option<MarketUnits> {
        self.market_idx(market).ok().map(|m| self.markets[m as usize].units)
    }

    pub fn market_policy(&self, market: MarketId) -> Option<MarketPolicy> {
        self.market_idx(market).ok().map(|m| self.markets[m as usize].policy)
    }

    /// Markets bound to a rules plugin, by market id.
    pub fn rules_bindings(&self) -> Vec<(MarketId, &PluginBinding)> {
        let mut out: Vec<_> = self.markets.iter().filter_map(|m| m.plugin.as_ref().map(|p| (m.spec.id, p))).collect();
        out.sort_by_key(|(id, _)| id.0);
        out
    }

    /// The rules plugin a market is bound to.
    pub fn rules_binding(&self, market: MarketId) -> Option<&PluginBinding> {
        self.market_idx(market).ok().and_then(|m| self.markets[m as usize].plugin.as_ref())
    }

    pub fn market_status(&self, market: MarketId) -> Option<MarketStatus> {
        self.market_idx(market).ok().map(|m| self.markets[m as usize].status)
    }

    pub fn order(&self, order: OrderId) -> Option<OrderView> {
        let &m = self.orders.get(&order.0)?;
        let market = &self.markets[m as usize];
        market.book.get(order.0).map(|o| view(market, self.accounts[o.data.account as usize].id, o))
    }

    /// An account's resting orders, by ascending id.
    pub fn open_orders(&self, account: AccountId) -> Vec<OrderView> {
        let Ok(a) = self.account_idx(account) else { return Vec::new() };
        let mut v: Vec<OrderView> = self
            .markets
            .iter()
            .flat_map(|mk| {
                [Side::Buy, Side::Sell].into_iter().flat_map(move |s| mk.book.iter_side(s).map(move |o| (mk, o)))
            })
            .filter(|(_, o)| o.data.account == a)
            .map(|(mk, o)| view(mk, account, o))
            .collect();
        v.sort_by_key(|o| o.order);
        v
    }

    /// Number of resting orders over all markets.
    pub fn resting_orders(&self) -> usize {
        self.orders.len()
    }

    // ---- integrity ----

    /// A hash of balances, orders, books and counters that is equal for equal command
    /// sequences (and independent of hash-map iteration order or slab layout).
    pub fn state_hash(&self) -> u64 {
        let mut h = StableHasher::new();
        h.u64(self.now);
        h.u64(self.next_order);
        h.u64(self.next_trade);
        let mut assets: Vec<&Asset> = self.assets.iter().collect();
        assets.sort_by_key(|x| x.spec.id);
        for x in assets {
            h.u64(x.spec.id.0 as u64);
            h.u64(x.spec.decimals as u64);
            h.bytes(&x.minted.to_le_bytes());
            h.bytes(&x.burned.to_le_bytes());
            h.u64(x.fee_sink);
            h.bytes(&x.bet_escrow.to_le_bytes());
            h.bytes(&x.house.to_le_bytes());
            h.bytes(&x.debt.to_le_bytes());
        }
        let mut markets: Vec<&Market> = self.markets.iter().collect();
        markets.sort_by_key(|x| x.spec.id);
        for mk in markets {
            h.u64(mk.spec.id.0 as u64);
            h.u64(mk.status as u64);
            h.u64(mk.book_seq);
            h.bytes(format!("{:?}", mk.policy).as_bytes());
            h.u64(mk.last_price.map_or(0, |p| p + 1));
            if let Some(p) = &mk.plugin {
                h.bytes(format!("{p:?}").as_bytes());
            }
            for side in [Side::Buy, Side::Sell] {
                for o in mk.book.iter_side(side) {
                    h.u64(o.id);
                    h.u64(o.price);
                    h.u64(o.quantity);
                    h.u64(self.accounts[o.data.account as usize].id.0);
                    h.u64(o.data.escrow);
                    h.u64(o.data.filled);
                    h.bytes(format!("{:?}{}", o.data.tif, o.data.post_only).as_bytes());
                }
                h.u64(u64::MAX);
            }
        }
        let mut accounts: Vec<&Account> = self.accounts.iter().collect();
        accounts.sort_by_key(|x| x.id);
        for acc in accounts {
            h.u64(acc.id.0);
            let mut balances: Vec<(AssetId, Balance)> = acc
                .balances
                .iter()
                .enumerate()
                .map(|(s, b)| (self.assets[s].spec.id, *b))
                .filter(|(_, b)| b.available > 0 || b.locked > 0)
                .collect();
            balances.sort_by_key(|x| x.0);
            for (asset, b) in balances {
                h.u64(asset.0 as u64);
                h.u64(b.available);
                h.u64(b.locked);
            }
        }
        let mut seats: Vec<((AccountId, MarketId), Seat)> = self
            .seats
            .iter()
            .filter(|(_, s)| **s != Seat::default())
            .map(|(&(a, m), s)| ((self.accounts[a as usize].id, self.markets[m as usize].spec.id), *s))
            .collect();
        seats.sort_by_key(|x| x.0);
        h.bytes(format!("{seats:?}").as_bytes());
        self.hash_betting(&mut |bytes| h.bytes(bytes));
        h.finish()
    }

    /// Check every invariant the ledger and books promise; Err describes the first breach.
    pub fn check_invariants(&self) -> Result<(), String> {
        let n = self.assets.len();
        let mut held = vec![0u128; n];
        let mut locked: IdMap<(u32, u32), u64> = IdMap::default();
        for (a, acc) in self.accounts.iter().enumerate() {
            for (s, b) in acc.balances.iter().enumerate() {
                held[s] += b.available as u128 + b.locked as u128;
                if b.locked > 0 {
                    locked.insert((a as u32, s as u32), b.locked);
                }
            }
        }
        let mut escrow: IdMap<(u32, u32), u64> = IdMap::default();
        let mut seats: IdMap<(u32, u32), (u32, u64)> = IdMap::default();
        for (m, mk) in self.markets.iter().enumerate() {
            if let (Some(bid), Some(ask)) = (mk.book.best_price(Side::Buy), mk.book.best_price(Side::Sell)) {
                if bid >= ask {
                    return Err(format!("market {} is crossed: bid {bid} >= ask {ask}", mk.spec.id));
                }
            }
            for side in [Side::Buy, Side::Sell] {
                let mut level_sum: IdMap<u64, u64> = IdMap::default();
                for o in mk.book.iter_side(side) {
                    let need = match side {
                        Side::Buy => mk.required(o.price, o.quantity),
                        Side::Sell => mk.units.base_units(o.quantity),
                    };
                    if need != Some(o.data.escrow) {
                        return Err(format!("order {} escrows {} but needs {need:?}", o.id, o.data.escrow));
                    }
                    if self.orders.get(&o.id) != Some(&(m as u32)) {
                        return Err(format!("order {} is not indexed", o.id));
                    }
                    *escrow.entry((o.data.account, mk.escrow_asset(side))).or_default() += o.data.escrow;
                    *level_sum.entry(o.price).or_default() += o.quantity;
                    let seat = seats.entry((o.data.account, m as u32)).or_default();
                    seat.0 += 1;
                    if side == Side::Buy {
                        seat.1 += o.quantity;
                    }
                }
                for (price, q) in mk.book.depth(side) {
                    if level_sum.get(&price) != Some(&q) {
                        return Err(format!("level {price} of market {} says {q} lots", mk.spec.id));
                    }
                }
            }
        }
        if self.orders.len() != self.markets.iter().map(|m| m.book.len()).sum::<usize>() {
            return Err("order index and books disagree".into());
        }
        self.check_betting()?;
        if locked != escrow {
            return Err(format!("locked balances {locked:?} differ from order escrow {escrow:?}"));
        }
        for (&(a, m), seat) in &self.seats {
            let counted = seats.get(&(a, m)).copied().unwrap_or_default();
            if (seat.open, seat.resting_buy) != counted {
                return Err(format!("slots of account {a} in market {m}: {seat:?} vs counted {counted:?}"));
            }
        }
        for (s, x) in self.assets.iter().enumerate() {
            // Players + fees + burned + bet escrow = minted + house payouts + debts owed.
            let total = (held[s] + x.fee_sink as u128 + x.burned + x.bet_escrow) as i128;
            if total != x.minted as i128 + x.house + x.debt as i128 {
                return Err(format!(
                    "asset {} not conserved: players {} + fees {} + burned {} + bet escrow {} != minted {} + house {} + debt {}",
                    x.spec.id, held[s], x.fee_sink, x.burned, x.bet_escrow, x.minted, x.house, x.debt
                ));
            }
        }
        Ok(())
    }
}

fn view(market: &Market, account: AccountId, o: &crate::book::Resting<OrderData>) -> OrderView {
    OrderView {
        order: OrderId(o.id),
        account,
        market: market.spec.id,
        side: o.side,
        price: o.price,
        quantity: o.quantity,
        filled: o.data.filled,
        escrow: o.data.escrow,
        tif: o.data.tif,
        post_only: o.data.post_only,
    }
}

fn validate_policy(p: &MarketPolicy) -> R<()> {
    let invalid = |why| Err(RejectReason::InvalidMarket(why));
    if p.maker_fee_bps > 10_000 || p.taker_fee_bps > 10_000 {
        return invalid(InvalidMarket::FeeTooHigh);
    }
    if p.min_quantity == 0 || p.min_quantity > p.max_quantity {
        return invalid(InvalidMarket::BadQuantityRange);
    }
    if p.max_price == 0 {
        return invalid(InvalidMarket::ZeroMaxPrice);
    }
    if p.buy_limit.is_some_and(|b| b.quantity == 0 || b.window_ms == 0) {
        return invalid(InvalidMarket::BadBuyLimit);
    }
    Ok(())
}

/// Whether a taker on `side` with limit `limit` accepts a resting price.
fn price_acceptable(side: Side, limit: u64, price: u64) -> bool {
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

/// The most lots a budget buys at `price`, taker fee included.
fn affordable(units: &MarketUnits, price: u64, budget: u64, taker_bps: u32) -> u64 {
    let per_lot = price as u128 * units.tick_value as u128;
    let cost = |q: u128| {
        let n = per_lot * q;
        n + n * taker_bps as u128 / 10_000
    };
    // A lower bound from the fee-inclusive unit cost, then step up over the rounding.
    let mut q = budget as u128 * 10_000 / (per_lot * (10_000 + taker_bps as u128));
    while cost(q + 1) <= budget as u128 {
        q += 1;
    }
    q.min(u64::MAX as u128) as u64
}

/// FNV-1a, 64-bit: stable across platforms and Rust versions (unlike `DefaultHasher`).
struct StableHasher(u64);

impl StableHasher {
    fn new() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
