//! A deliberately naive reference implementation of `SEMANTICS.md`.
//!
//! Nothing here is clever: resting orders live in one plain `Vec` that is scanned (and
//! sorted) whenever the best order is needed, balances are `BTreeMap`s, and the end-of-command
//! `Balance` / `BookLevel` events come from diffing full snapshots taken before the command.
//! It shares no code with `src/` beyond the public command/event types, so that the
//! differential test (`tests/differential.rs`) compares two independent readings of the rules.
//!
//! Every step is commented with the rule of SEMANTICS.md it implements. Where the page is
//! silent, the chosen interpretation is marked `INTERPRETATION` (also listed in
//! `tests/ENGINE_BUGS.md`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use entrepot_core::*;
use rust_decimal::Decimal;

/// One (available, locked) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bal {
    pub available: u64,
    pub locked: u64,
}

/// An asset and its supply counters (u128 so they can never overflow in the model).
#[derive(Clone, Debug)]
pub struct AssetRec {
    pub spec: AssetSpec,
    pub minted: u128,
    pub burned: u128,
    pub fee_sink: u64,
}

/// A market with its integer units.
#[derive(Clone, Debug)]
pub struct MarketRec {
    pub spec: MarketSpec,
    pub policy: MarketPolicy,
    pub status: MarketStatus,
    /// Quote minor units of one tick on one lot.
    pub tick_value: u64,
    /// Base minor units of one lot.
    pub lot_units: u64,
    /// Number of BookLevel events emitted so far for this market.
    pub book_seq: u64,
}

/// A resting order.
#[derive(Clone, Debug)]
pub struct MOrder {
    pub id: OrderId,
    pub account: AccountId,
    pub market: MarketId,
    pub side: Side,
    pub price: u64,
    /// Lots not yet traded.
    pub left: u64,
    /// Lots traded over the order's life.
    pub filled: u64,
    /// Quote (bid) or base (ask) minor units locked for this order.
    pub escrow: u64,
    pub tif: TimeInForce,
    pub post_only: bool,
    /// Time priority: smaller is older. Renewed whenever the order goes to the back.
    pub prio: u64,
}

/// A buy-limit window of one account in one market.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start: u64,
    pub bought: u64,
}

type R<T> = Result<T, RejectReason>;

/// The reference engine.
#[derive(Clone, Debug)]
pub struct Model {
    pub dedup_window_ms: u64,
    pub now: u64,
    /// (actor, request) -> (time recorded, outcome).
    pub dedup: BTreeMap<(AccountId, RequestId), (u64, Outcome)>,
    pub assets: BTreeMap<AssetId, AssetRec>,
    /// Player balances: account -> asset -> balance.
    pub accounts: BTreeMap<AccountId, BTreeMap<AssetId, Bal>>,
    pub markets: BTreeMap<MarketId, MarketRec>,
    /// Every resting order, in no particular order.
    pub orders: Vec<MOrder>,
    pub windows: BTreeMap<(AccountId, MarketId), Window>,
    pub next_order: u64,
    pub next_trade: u64,
    pub next_prio: u64,
}

/// `floor(n × bps / 10000)`.
pub fn fee(n: u64, bps: u32) -> u64 {
    (u128::from(n) * u128::from(bps) / 10_000) as u64
}

/// u128 -> u64 or `OutOfRange`.
fn fit(x: u128) -> R<u64> {
    u64::try_from(x).map_err(|_| RejectReason::OutOfRange)
}

/// `value × 10^decimals` as a u64 if it is a whole number; `Err(true)` if it is whole but does
/// not fit (or the arithmetic overflows), `Err(false)` if it is not whole.
fn scaled_whole(value: Decimal, decimals: u32) -> Result<u64, bool> {
    let v = value.normalize();
    let mut m: i128 = v.mantissa();
    let s = v.scale();
    if m < 0 {
        return Err(true);
    }
    if decimals >= s {
        for _ in 0..(decimals - s) {
            m = m.checked_mul(10).ok_or(true)?;
        }
    } else {
        let div = 10i128.checked_pow(s - decimals).ok_or(false)?;
        if m % div != 0 {
            return Err(false);
        }
        m /= div;
    }
    u64::try_from(m).map_err(|_| true)
}

/// Merges two key-sorted snapshots: (key, before, after) for every key whose value differs,
/// in key order; a key missing on one side counts as the default (zero).
fn diff_sorted<K: Ord + Copy, V: Copy + Default + PartialEq>(before: &[(K, V)], after: &[(K, V)]) -> Vec<(K, V, V)> {
    let (mut i, mut j) = (0, 0);
    let mut diffs = Vec::new();
    while i < before.len() || j < after.len() {
        let (k, b, a) = if j == after.len() || (i < before.len() && before[i].0 < after[j].0) {
            i += 1;
            (before[i - 1].0, before[i - 1].1, V::default())
        } else if i == before.len() || after[j].0 < before[i].0 {
            j += 1;
            (after[j - 1].0, V::default(), after[j - 1].1)
        } else {
            i += 1;
            j += 1;
            (after[j - 1].0, before[i - 1].1, after[j - 1].1)
        };
        if b != a {
            diffs.push((k, b, a));
        }
    }
    diffs
}

/// The policy checks shared by CreateMarket and SetMarketPolicy, in order.
fn check_policy(p: &MarketPolicy) -> Result<(), InvalidMarket> {
    if p.maker_fee_bps > 10_000 || p.taker_fee_bps > 10_000 {
        return Err(InvalidMarket::FeeTooHigh);
    }
    if p.min_quantity == 0 || p.min_quantity > p.max_quantity {
        return Err(InvalidMarket::BadQuantityRange);
    }
    if p.max_price == 0 {
        return Err(InvalidMarket::ZeroMaxPrice);
    }
    if let Some(bl) = p.buy_limit {
        if bl.quantity == 0 || bl.window_ms == 0 {
            return Err(InvalidMarket::BadBuyLimit);
        }
    }
    Ok(())
}

/// The incoming side of a match: a new order, or a modified one being re-matched.
struct Taker {
    id: OrderId,
    account: AccountId,
    market: MarketId,
    side: Side,
    /// Limit price; None for market orders.
    limit: Option<u64>,
    /// Lots left; None for a budget order.
    left: Option<u64>,
    filled: u64,
    /// What the order still has locked (for a budget order: the budget left).
    escrow: u64,
    /// Buy-limit allowance left (budget orders only).
    allowance: Option<u64>,
}

impl Model {
    pub fn new(dedup_window_ms: u64) -> Model {
        Model {
            dedup_window_ms,
            now: 0,
            dedup: BTreeMap::new(),
            assets: BTreeMap::new(),
            accounts: BTreeMap::new(),
            markets: BTreeMap::new(),
            orders: Vec::new(),
            windows: BTreeMap::new(),
            next_order: 1,
            next_trade: 1,
            next_prio: 1,
        }
    }

    // ------------------------------------------------------------------ queries

    /// (available, locked) like `Engine::balance`: None for an unknown account or asset.
    pub fn balance(&self, account: AccountId, asset: AssetId) -> Option<(u64, u64)> {
        let acc = self.accounts.get(&account)?;
        self.assets.get(&asset)?;
        let b = acc.get(&asset).copied().unwrap_or_default();
        Some((b.available, b.locked))
    }

    pub fn fee_sink(&self, asset: AssetId) -> u64 {
        self.assets.get(&asset).map_or(0, |a| a.fee_sink)
    }

    /// Aggregated levels of one side, best first.
    pub fn depth(&self, market: MarketId, side: Side) -> Vec<(u64, u64)> {
        let mut levels: BTreeMap<u64, u64> = BTreeMap::new();
        for o in self.orders.iter().filter(|o| o.market == market && o.side == side) {
            *levels.entry(o.price).or_default() += o.left;
        }
        let mut v: Vec<(u64, u64)> = levels.into_iter().collect();
        if side == Side::Buy {
            v.reverse();
        }
        v
    }

    /// What the resting orders have locked, per (account, asset).
    pub fn escrow_by_owner(&self) -> BTreeMap<(AccountId, AssetId), u64> {
        let mut m = BTreeMap::new();
        for o in &self.orders {
            let mk = &self.markets[&o.market];
            let asset = if o.side == Side::Buy { mk.spec.quote } else { mk.spec.base };
            *m.entry((o.account, asset)).or_default() += o.escrow;
        }
        m
    }

    pub fn account_ids(&self) -> Vec<AccountId> {
        self.accounts.keys().copied().collect()
    }

    pub fn asset_ids(&self) -> Vec<AssetId> {
        self.assets.keys().copied().collect()
    }

    pub fn market_ids(&self) -> Vec<MarketId> {
        self.markets.keys().copied().collect()
    }

    // ------------------------------------------------------------------ the command

    /// Applies one command and returns its events (SEMANTICS.md "Every command").
    pub fn apply(&mut self, ctx: Ctx, cmd: &Command) -> Vec<Event> {
        let mut out = Vec::new();
        // 1. now never goes back.
        self.now = self.now.max(ctx.time);
        // Snapshots for the end-of-command diffs ("differs from before the command").
        let bal_before = self.balance_snapshot();
        let book_before = self.book_snapshot();
        // 2. expiry sweep.
        self.expiry_sweep(&mut out);
        // 3. idempotency.
        let key = (cmd.actor, cmd.request);
        let dup = self.dedup.get(&key).filter(|(t, _)| u128::from(self.now) <= u128::from(*t) + u128::from(self.dedup_window_ms)).map(|(_, o)| *o);
        if let Some(outcome) = dup {
            out.push(Event::Duplicate { account: cmd.actor, request: cmd.request, outcome });
        } else {
            // 4. the body.
            let outcome = match self.body(cmd, &mut out) {
                Ok(o) => o,
                Err(reason) => {
                    out.push(Event::Rejected { account: cmd.actor, request: cmd.request, reason });
                    Outcome::Rejected(reason)
                }
            };
            self.dedup.insert(key, (self.now, outcome));
        }
        // 5. Balance and BookLevel diffs.
        self.emit_diffs(&bal_before, &book_before, &mut out);
        out
    }

    /// Every player balance, sorted by (account, asset).
    fn balance_snapshot(&self) -> Vec<((AccountId, AssetId), Bal)> {
        let mut v = Vec::new();
        for (acc, assets) in &self.accounts {
            for (asset, b) in assets {
                v.push(((*acc, *asset), *b));
            }
        }
        v
    }

    /// Total lots per level, sorted by (market, side, price).
    fn book_snapshot(&self) -> Vec<((MarketId, Side, u64), u64)> {
        let mut v: Vec<((MarketId, Side, u64), u64)> = self.orders.iter().map(|o| ((o.market, o.side, o.price), o.left)).collect();
        v.sort();
        let mut levels: Vec<((MarketId, Side, u64), u64)> = Vec::new();
        for (k, q) in v {
            match levels.last_mut() {
                Some((last, total)) if *last == k => *total += q,
                _ => levels.push((k, q)),
            }
        }
        levels
    }

    /// The end-of-command events: a `Balance` for every (account, asset) that differs from
    /// before, then a `BookLevel` for every level that differs, each in key order.
    fn emit_diffs(&mut self, bal_before: &[((AccountId, AssetId), Bal)], book_before: &[((MarketId, Side, u64), u64)], out: &mut Vec<Event>) {
        for ((account, asset), _, a) in diff_sorted(bal_before, &self.balance_snapshot()) {
            out.push(Event::Balance { account, asset, available: a.available, locked: a.locked });
        }
        for ((market, side, price), _, quantity) in diff_sorted(book_before, &self.book_snapshot()) {
            let mk = self.markets.get_mut(&market).expect("level of an unknown market");
            mk.book_seq += 1;
            out.push(Event::BookLevel { market, side, price, quantity, seq: mk.book_seq });
        }
    }

    fn expiry_sweep(&mut self, out: &mut Vec<Event>) {
        let mut due: Vec<(u64, OrderId)> = self
            .orders
            .iter()
            .filter_map(|o| match o.tif {
                TimeInForce::Gtd(e) if e <= self.now => Some((e, o.id)),
                _ => None,
            })
            .collect();
        due.sort();
        for (_, id) in due {
            self.remove_order(id, DoneReason::Expired, out);
        }
    }

    fn body(&mut self, cmd: &Command, out: &mut Vec<Event>) -> R<Outcome> {
        let actor = cmd.actor;
        let request = cmd.request;
        match &cmd.body {
            // The model has no plugins: the generators never bind rules.
            Body::BindRules { .. } => unreachable!("the reference model has no rules plugins"),
            Body::Bet(_) => unreachable!("the reference model covers markets; betting has its own tests"),
            Body::CreateAlert(_) | Body::RemoveAlert { .. } => unreachable!("alerts are market data's; they have their own tests"),
            Body::CreateAsset(spec) => {
                if self.assets.contains_key(&spec.id) {
                    return Err(RejectReason::AssetExists);
                }
                if spec.decimals > 18 {
                    return Err(RejectReason::OutOfRange);
                }
                self.assets.insert(spec.id, AssetRec { spec: spec.clone(), minted: 0, burned: 0, fee_sink: 0 });
                out.push(Event::AssetCreated { asset: spec.id });
                Ok(Outcome::Done)
            }
            Body::CreateMarket { spec, policy } => {
                if self.markets.contains_key(&spec.id) {
                    return Err(RejectReason::MarketExists);
                }
                let base = self.assets.get(&spec.base).ok_or(RejectReason::UnknownAsset)?.spec.clone();
                let quote = self.assets.get(&spec.quote).ok_or(RejectReason::UnknownAsset)?.spec.clone();
                let inv = RejectReason::InvalidMarket;
                if spec.base == spec.quote {
                    return Err(inv(InvalidMarket::SameAssets));
                }
                if base.kind != AssetKind::Item || quote.kind != AssetKind::Currency {
                    return Err(inv(InvalidMarket::WrongAssetKinds));
                }
                if spec.tick <= Decimal::ZERO || spec.lot <= Decimal::ZERO {
                    return Err(inv(InvalidMarket::NonPositiveStep));
                }
                // INTERPRETATION: a lot that is whole but too large for u64 is LotNotWhole too.
                let lot_units = scaled_whole(spec.lot, u32::from(base.decimals)).map_err(|_| inv(InvalidMarket::LotNotWhole))?;
                let tick_lot = spec.tick.checked_mul(spec.lot).ok_or(inv(InvalidMarket::TickLotNotWhole))?;
                let tick_value = scaled_whole(tick_lot, u32::from(quote.decimals)).map_err(|_| inv(InvalidMarket::TickLotNotWhole))?;
                check_policy(policy).map_err(inv)?;
                self.markets.insert(spec.id, MarketRec { spec: spec.clone(), policy: *policy, status: MarketStatus::Open, tick_value, lot_units, book_seq: 0 });
                out.push(Event::MarketCreated { market: spec.id });
                Ok(Outcome::Done)
            }
            Body::SetMarketPolicy { market, policy } => {
                let mk = self.markets.get(market).ok_or(RejectReason::UnknownMarket)?;
                let _ = mk;
                check_policy(policy).map_err(RejectReason::InvalidMarket)?;
                self.markets.get_mut(market).unwrap().policy = *policy;
                out.push(Event::Done { account: actor, request });
                self.re_escrow_bids(*market, out);
                Ok(Outcome::Done)
            }
            Body::SetMarketStatus { market, status } => {
                let mk = self.markets.get(market).ok_or(RejectReason::UnknownMarket)?;
                if mk.status == MarketStatus::Closed {
                    return Err(RejectReason::MarketClosed);
                }
                self.markets.get_mut(market).unwrap().status = *status;
                out.push(Event::MarketChanged { market: *market, status: *status });
                if *status == MarketStatus::Closed {
                    self.cancel_where(|o| o.market == *market, DoneReason::Cancelled, out);
                }
                Ok(Outcome::Done)
            }
            Body::OpenAccount { account } => {
                if self.accounts.contains_key(account) {
                    return Err(RejectReason::AccountExists);
                }
                self.accounts.insert(*account, BTreeMap::new());
                out.push(Event::AccountOpened { account: *account });
                Ok(Outcome::Done)
            }
            Body::Mint { account, asset, amount } => {
                if !self.accounts.contains_key(account) {
                    return Err(RejectReason::UnknownAccount);
                }
                let a = self.assets.get(asset).ok_or(RejectReason::UnknownAsset)?;
                if *amount == 0 {
                    return Err(RejectReason::ZeroAmount);
                }
                if a.minted - a.burned + u128::from(*amount) > u128::from(MAX_SUPPLY) {
                    return Err(RejectReason::OutOfRange);
                }
                self.assets.get_mut(asset).unwrap().minted += u128::from(*amount);
                self.bal_mut(*account, *asset).available += *amount;
                out.push(Event::Minted { account: *account, asset: *asset, amount: *amount });
                Ok(Outcome::Done)
            }
            Body::Burn { account, asset, amount } => {
                if !self.accounts.contains_key(account) {
                    return Err(RejectReason::UnknownAccount);
                }
                if !self.assets.contains_key(asset) {
                    return Err(RejectReason::UnknownAsset);
                }
                if *amount == 0 {
                    return Err(RejectReason::ZeroAmount);
                }
                let available = self.bal(*account, *asset).available;
                if available < *amount {
                    return Err(RejectReason::InsufficientFunds { asset: *asset, needed: *amount, available });
                }
                self.assets.get_mut(asset).unwrap().burned += u128::from(*amount);
                self.bal_mut(*account, *asset).available -= *amount;
                out.push(Event::Burned { account: *account, asset: *asset, amount: *amount });
                Ok(Outcome::Done)
            }
            Body::CancelMarket { market } => {
                if !self.markets.contains_key(market) {
                    return Err(RejectReason::UnknownMarket);
                }
                out.push(Event::Done { account: actor, request });
                self.cancel_where(|o| o.market == *market, DoneReason::Cancelled, out);
                Ok(Outcome::Done)
            }
            Body::Tick => {
                out.push(Event::Done { account: actor, request });
                Ok(Outcome::Done)
            }
            Body::Place(req) => self.place(actor, request, req, out),
            Body::Cancel { order } => {
                if !self.accounts.contains_key(&actor) {
                    return Err(RejectReason::UnknownAccount);
                }
                let o = self.order(*order).ok_or(RejectReason::UnknownOrder)?;
                if o.account != actor {
                    return Err(RejectReason::UnknownOrder);
                }
                out.push(Event::Done { account: actor, request });
                self.remove_order(*order, DoneReason::Cancelled, out);
                Ok(Outcome::Done)
            }
            Body::CancelAll { market } => {
                if !self.accounts.contains_key(&actor) {
                    return Err(RejectReason::UnknownAccount);
                }
                if let Some(m) = market {
                    if !self.markets.contains_key(m) {
                        return Err(RejectReason::UnknownMarket);
                    }
                }
                out.push(Event::Done { account: actor, request });
                let market = *market;
                self.cancel_where(|o| o.account == actor && market.is_none_or(|m| m == o.market), DoneReason::Cancelled, out);
                Ok(Outcome::Done)
            }
            Body::Modify { order, price, quantity } => self.modify(actor, *order, *price, *quantity, out),
        }
    }

    // ------------------------------------------------------------------ helpers

    fn bal(&self, account: AccountId, asset: AssetId) -> Bal {
        self.accounts.get(&account).and_then(|m| m.get(&asset)).copied().unwrap_or_default()
    }

    fn bal_mut(&mut self, account: AccountId, asset: AssetId) -> &mut Bal {
        self.accounts.get_mut(&account).expect("unknown account").entry(asset).or_default()
    }

    /// available -> locked.
    fn lock(&mut self, account: AccountId, asset: AssetId, amount: u64) {
        let b = self.bal_mut(account, asset);
        b.available = b.available.checked_sub(amount).expect("lock more than available");
        b.locked = b.locked.checked_add(amount).expect("locked overflow");
    }

    /// locked -> available.
    fn unlock(&mut self, account: AccountId, asset: AssetId, amount: u64) {
        let b = self.bal_mut(account, asset);
        b.locked = b.locked.checked_sub(amount).expect("unlock more than locked");
        b.available = b.available.checked_add(amount).expect("available overflow");
    }

    fn order(&self, id: OrderId) -> Option<&MOrder> {
        self.orders.iter().find(|o| o.id == id)
    }

    fn order_mut(&mut self, id: OrderId) -> &mut MOrder {
        self.orders.iter_mut().find(|o| o.id == id).expect("no such order")
    }

    fn escrow_asset(&self, market: MarketId, side: Side) -> AssetId {
        let mk = &self.markets[&market];
        if side == Side::Buy {
            mk.spec.quote
        } else {
            mk.spec.base
        }
    }

    /// `notional(p, q) = p × q × tick_value`.
    fn notional(&self, market: MarketId, p: u64, q: u64) -> R<u64> {
        fit(u128::from(p) * u128::from(q) * u128::from(self.markets[&market].tick_value))
    }

    /// `required(p, q) = notional + fee(notional, max(maker, taker bps))`.
    fn required(&self, market: MarketId, p: u64, q: u64) -> R<u64> {
        let n = self.notional(market, p, q)?;
        let max_bps = {
            let pol = &self.markets[&market].policy;
            pol.maker_fee_bps.max(pol.taker_fee_bps)
        };
        fit(u128::from(n) + u128::from(fee(n, max_bps)))
    }

    /// Base minor units of q lots.
    fn base_units(&self, market: MarketId, q: u64) -> R<u64> {
        fit(u128::from(q) * u128::from(self.markets[&market].lot_units))
    }

    /// What a budget buy pays for q lots at p: notional + taker fee (u128, never overflows).
    fn budget_cost(&self, market: MarketId, p: u64, q: u64) -> u128 {
        let mk = &self.markets[&market];
        let n = u128::from(p) * u128::from(q) * u128::from(mk.tick_value);
        n + n * u128::from(mk.policy.taker_fee_bps) / 10_000
    }

    /// Removes a resting order, returns its escrow and emits `OrderDone`.
    fn remove_order(&mut self, id: OrderId, reason: DoneReason, out: &mut Vec<Event>) {
        let pos = self.orders.iter().position(|o| o.id == id).expect("remove unknown order");
        let o = self.orders.remove(pos);
        let asset = self.escrow_asset(o.market, o.side);
        self.unlock(o.account, asset, o.escrow);
        out.push(Event::OrderDone { order: o.id, account: o.account, market: o.market, reason, filled: o.filled, released: o.left });
    }

    /// Removes every resting order matching `pred` by ascending order id.
    fn cancel_where(&mut self, pred: impl Fn(&MOrder) -> bool, reason: DoneReason, out: &mut Vec<Event>) {
        let mut ids: Vec<OrderId> = self.orders.iter().filter(|o| pred(o)).map(|o| o.id).collect();
        ids.sort();
        for id in ids {
            self.remove_order(id, reason, out);
        }
    }

    /// Opposite-side resting orders of a market, best price first, then oldest first.
    fn opposite_sorted(&self, market: MarketId, taker_side: Side) -> Vec<MOrder> {
        let mut v: Vec<MOrder> = self.orders.iter().filter(|o| o.market == market && o.side != taker_side).cloned().collect();
        v.sort_by(|a, b| {
            let by_price = if taker_side == Side::Buy { a.price.cmp(&b.price) } else { b.price.cmp(&a.price) };
            by_price.then(a.prio.cmp(&b.prio))
        });
        v
    }

    /// Whether price p of the maker side is acceptable for a taker with this limit.
    fn within(taker_side: Side, limit: Option<u64>, p: u64) -> bool {
        match (limit, taker_side) {
            (None, _) => true,
            (Some(l), Side::Buy) => p <= l,
            (Some(l), Side::Sell) => p >= l,
        }
    }

    /// The FOK / market-buy walk of rule 8: (maker price, maker lots) in the order the taker
    /// would meet them, honouring self-trade prevention, within the limit.
    fn walk(&self, market: MarketId, side: Side, account: AccountId, limit: Option<u64>) -> Vec<(u64, u64)> {
        let stp = self.markets[&market].policy.self_trade;
        let mut v = Vec::new();
        for o in self.opposite_sorted(market, side) {
            if !Self::within(side, limit, o.price) {
                break;
            }
            if o.account == account {
                match stp {
                    SelfTradePrevention::CancelOldest => continue,
                    SelfTradePrevention::CancelNewest | SelfTradePrevention::CancelBoth => break,
                }
            }
            v.push((o.price, o.left));
        }
        v
    }

    /// Lots of the account's resting buys in the market.
    fn resting_buy_lots(&self, account: AccountId, market: MarketId) -> u64 {
        self.orders.iter().filter(|o| o.account == account && o.market == market && o.side == Side::Buy).map(|o| o.left).sum()
    }

    /// Buy-limit allowance (rule 6), or None when the market has no buy limit.
    /// INTERPRETATION: the window length is the *current* policy's `window_ms`, and the
    /// allowance saturates at 0 (a lowered limit can leave it negative).
    fn allowance(&self, account: AccountId, market: MarketId) -> Option<u64> {
        let bl = self.markets[&market].policy.buy_limit?;
        let bought = match self.windows.get(&(account, market)) {
            Some(w) if u128::from(self.now) < u128::from(w.start) + u128::from(bl.window_ms) => w.bought,
            _ => 0,
        };
        Some(bl.quantity.saturating_sub(bought).saturating_sub(self.resting_buy_lots(account, market)))
    }

    /// Counts bought lots in the buyer's window (only while the market has a buy limit).
    fn count_purchase(&mut self, account: AccountId, market: MarketId, q: u64) {
        let Some(bl) = self.markets[&market].policy.buy_limit else { return };
        let now = self.now;
        let w = self.windows.entry((account, market)).or_insert(Window { start: now, bought: 0 });
        if u128::from(now) < u128::from(w.start) + u128::from(bl.window_ms) {
            w.bought += q;
        } else {
            *w = Window { start: now, bought: q };
        }
    }

    fn best(&self, market: MarketId, side: Side) -> Option<u64> {
        let prices = self.orders.iter().filter(|o| o.market == market && o.side == side).map(|o| o.price);
        if side == Side::Buy {
            prices.max()
        } else {
            prices.min()
        }
    }

    /// Whether a post-only order at `price` would cross (own orders included).
    fn would_cross(&self, market: MarketId, side: Side, price: u64) -> bool {
        match side {
            Side::Buy => self.best(market, Side::Sell).is_some_and(|a| price >= a),
            Side::Sell => self.best(market, Side::Buy).is_some_and(|b| price <= b),
        }
    }

    fn resting_count(&self, account: AccountId, market: MarketId) -> usize {
        self.orders.iter().filter(|o| o.account == account && o.market == market).count()
    }

    /// After SetMarketPolicy: every resting bid of the market, by ascending order id, is made
    /// to hold exactly `required(price, left)` under the new fees. A surplus goes back to
    /// available; a shortfall is locked from available, or the bid is cancelled when the
    /// owner cannot cover it. INTERPRETATION: a `required` that overflows u64 cannot be
    /// covered either (cancelled).
    fn re_escrow_bids(&mut self, market: MarketId, out: &mut Vec<Event>) {
        let mut ids: Vec<OrderId> = self.orders.iter().filter(|o| o.market == market && o.side == Side::Buy).map(|o| o.id).collect();
        ids.sort();
        let quote = self.markets[&market].spec.quote;
        for id in ids {
            let o = self.order(id).unwrap().clone();
            let need = self.required(market, o.price, o.left);
            match need {
                Ok(need) if need <= o.escrow => {
                    self.unlock(o.account, quote, o.escrow - need);
                    self.order_mut(id).escrow = need;
                }
                Ok(need) if self.bal(o.account, quote).available >= need - o.escrow => {
                    self.lock(o.account, quote, need - o.escrow);
                    self.order_mut(id).escrow = need;
                }
                _ => self.remove_order(id, DoneReason::Cancelled, out),
            }
        }
    }

    // ------------------------------------------------------------------ Place

    fn place(&mut self, actor: AccountId, request: RequestId, r: &OrderRequest, out: &mut Vec<Event>) -> R<Outcome> {
        // 1-3.
        if !self.accounts.contains_key(&actor) {
            return Err(RejectReason::UnknownAccount);
        }
        let mk = self.markets.get(&r.market).ok_or(RejectReason::UnknownMarket)?.clone();
        match mk.status {
            MarketStatus::Halted => return Err(RejectReason::MarketHalted),
            MarketStatus::Closed => return Err(RejectReason::MarketClosed),
            MarketStatus::Open => {}
        }
        let pol = mk.policy;
        let qrange = RejectReason::QuantityOutOfRange { min: pol.min_quantity, max: pol.max_quantity };
        // 4. shape.
        match r.kind {
            OrderKind::Market(size) => {
                if r.post_only || r.tif.rests() {
                    return Err(RejectReason::InvalidMarketOrder);
                }
                match size {
                    MarketSize::Budget(b) => {
                        if r.side == Side::Sell {
                            return Err(RejectReason::BudgetOnlyForBuys);
                        }
                        if b == 0 {
                            return Err(RejectReason::ZeroAmount);
                        }
                    }
                    MarketSize::Quantity(q) => {
                        if q < pol.min_quantity || q > pol.max_quantity {
                            return Err(qrange);
                        }
                    }
                }
            }
            OrderKind::Limit { price, quantity } => {
                if price < 1 || price > pol.max_price {
                    return Err(RejectReason::PriceOutOfRange { max: pol.max_price });
                }
                if quantity < pol.min_quantity || quantity > pol.max_quantity {
                    return Err(qrange);
                }
                if let TimeInForce::Gtd(e) = r.tif {
                    if e <= self.now {
                        return Err(RejectReason::ExpiryInPast);
                    }
                }
            }
        }
        // 5. order slots.
        if r.tif.rests() && pol.max_open_orders > 0 && self.resting_count(actor, r.market) >= pol.max_open_orders as usize {
            return Err(RejectReason::OrderSlotsFull { max: pol.max_open_orders });
        }
        // 6. buy limit.
        let mut allowance = None;
        if r.side == Side::Buy {
            if let Some(a) = self.allowance(actor, r.market) {
                match r.kind {
                    OrderKind::Limit { quantity, .. } | OrderKind::Market(MarketSize::Quantity(quantity)) => {
                        if quantity > a {
                            return Err(RejectReason::BuyLimitReached { remaining: a });
                        }
                    }
                    OrderKind::Market(MarketSize::Budget(_)) => {
                        if a == 0 {
                            return Err(RejectReason::BuyLimitReached { remaining: 0 });
                        }
                        allowance = Some(a);
                    }
                }
            }
        }
        let limit = match r.kind {
            OrderKind::Limit { price, .. } => Some(price),
            OrderKind::Market(_) => None,
        };
        // 7. post-only.
        if r.post_only {
            if let Some(p) = limit {
                if self.would_cross(r.market, r.side, p) {
                    return Err(RejectReason::PostOnlyWouldTrade);
                }
            }
        }
        // 8. FOK. INTERPRETATION: a FOK budget order has no quantity to check.
        let quantity = match r.kind {
            OrderKind::Limit { quantity, .. } | OrderKind::Market(MarketSize::Quantity(quantity)) => Some(quantity),
            OrderKind::Market(MarketSize::Budget(_)) => None,
        };
        if r.tif == TimeInForce::Fok {
            if let Some(q) = quantity {
                let avail: u128 = self.walk(r.market, r.side, actor, limit).iter().map(|l| u128::from(l.1)).sum();
                if avail < u128::from(q) {
                    return Err(RejectReason::FillOrKillUnfilled);
                }
            }
        }
        // 9. escrow.
        let listing_fee = if r.tif.rests() { pol.listing_fee } else { 0 };
        let (base, quote) = (mk.spec.base, mk.spec.quote);
        let escrow = match r.side {
            Side::Sell => {
                let needed = self.base_units(r.market, quantity.unwrap())?;
                let available = self.bal(actor, base).available;
                if available < needed {
                    return Err(RejectReason::InsufficientFunds { asset: base, needed, available });
                }
                let available = self.bal(actor, quote).available;
                if available < listing_fee {
                    return Err(RejectReason::InsufficientFunds { asset: quote, needed: listing_fee, available });
                }
                needed
            }
            Side::Buy => {
                let escrow = match r.kind {
                    OrderKind::Limit { price, quantity } => self.required(r.market, price, quantity)?,
                    OrderKind::Market(MarketSize::Budget(b)) => b,
                    OrderKind::Market(MarketSize::Quantity(q)) => {
                        // Exact cost of the walk, one term per maker order, up to q lots.
                        let mut left = q;
                        let mut cost: u128 = 0;
                        for (p, lots) in self.walk(r.market, r.side, actor, None) {
                            if left == 0 {
                                break;
                            }
                            let take = left.min(lots);
                            left -= take;
                            let n = self.notional(r.market, p, take)?;
                            cost += u128::from(n) + u128::from(fee(n, pol.taker_fee_bps));
                        }
                        fit(cost)?
                    }
                };
                let needed = fit(u128::from(escrow) + u128::from(listing_fee))?;
                let available = self.bal(actor, quote).available;
                if available < needed {
                    return Err(RejectReason::InsufficientFunds { asset: quote, needed, available });
                }
                escrow
            }
        };

        // Accept.
        let id = OrderId(self.next_order);
        self.next_order += 1;
        let escrow_asset = if r.side == Side::Buy { quote } else { base };
        self.lock(actor, escrow_asset, escrow);
        if listing_fee > 0 {
            self.bal_mut(actor, quote).available -= listing_fee;
            self.assets.get_mut(&quote).unwrap().fee_sink += listing_fee;
        }
        let (ev_price, ev_qty) = match r.kind {
            OrderKind::Limit { price, quantity } => (price, quantity),
            OrderKind::Market(MarketSize::Quantity(q)) => (0, q),
            OrderKind::Market(MarketSize::Budget(_)) => (0, 0),
        };
        out.push(Event::OrderAccepted {
            order: id,
            account: actor,
            request,
            market: r.market,
            side: r.side,
            price: ev_price,
            quantity: ev_qty,
            tif: r.tif,
            escrow,
            listing_fee,
        });
        let mut t = Taker { id, account: actor, market: r.market, side: r.side, limit, left: quantity, filled: 0, escrow, allowance };
        let stp = self.match_taker(&mut t, out);
        self.finish_taker(t, stp, r.tif, r.post_only, out);
        Ok(Outcome::Accepted { order: id })
    }

    /// The matching loop. Returns true when self-trade prevention stopped the taker.
    fn match_taker(&mut self, t: &mut Taker, out: &mut Vec<Event>) -> bool {
        let market = t.market;
        loop {
            // "while the order has lots left (for a budget order: while buy-limit allowance
            // is left)".
            if t.left == Some(0) || t.allowance == Some(0) {
                return false;
            }
            // The best opposite level and its oldest order.
            let opp = self.opposite_sorted(market, t.side);
            let Some(maker) = opp.first().cloned() else { return false };
            let p = maker.price;
            if !Self::within(t.side, t.limit, p) {
                return false;
            }
            // A budget order stops here, before self-trade prevention, when its budget left
            // cannot buy one lot at this price (taker fee included).
            if t.left.is_none() && self.budget_cost(market, p, 1) > u128::from(t.escrow) {
                return false;
            }
            let pol = self.markets[&market].policy;
            if maker.account == t.account {
                match pol.self_trade {
                    SelfTradePrevention::CancelNewest => return true,
                    SelfTradePrevention::CancelOldest => {
                        self.remove_order(maker.id, DoneReason::SelfTrade, out);
                        continue;
                    }
                    SelfTradePrevention::CancelBoth => {
                        self.remove_order(maker.id, DoneReason::SelfTrade, out);
                        return true;
                    }
                }
            }
            let mut q = maker.left;
            if let Some(l) = t.left {
                q = q.min(l);
            } else {
                // Largest affordable q by plain binary search (cost is monotone in q).
                let (mut lo, mut hi) = (0u64, q);
                while lo < hi {
                    let mid = lo + (hi - lo).div_ceil(2);
                    if self.budget_cost(market, p, mid) <= u128::from(t.escrow) {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                q = lo;
            }
            if let Some(a) = t.allowance {
                q = q.min(a);
            }
            if q == 0 {
                return false;
            }
            self.trade(t, &maker, q, out);
        }
    }

    /// One fill between the taker and the maker at the maker's price.
    fn trade(&mut self, t: &mut Taker, maker: &MOrder, q: u64, out: &mut Vec<Event>) {
        let market = t.market;
        let mk = self.markets[&market].clone();
        let (base, quote, lu) = (mk.spec.base, mk.spec.quote, mk.lot_units);
        let p = maker.price;
        let n = self.notional(market, p, q).expect("notional overflow in a trade");
        let maker_fee = fee(n, mk.policy.maker_fee_bps);
        let taker_fee = fee(n, mk.policy.taker_fee_bps);
        let trade = TradeId(self.next_trade);
        self.next_trade += 1;
        let base_amount = q.checked_mul(lu).expect("base overflow");
        let (buyer, seller, buyer_fee, seller_fee) =
            if t.side == Side::Buy { (t.account, maker.account, taker_fee, maker_fee) } else { (maker.account, t.account, maker_fee, taker_fee) };
        let pay = n.checked_add(buyer_fee).expect("pay overflow");
        // The buyer pays out of its order's escrow; the seller's escrow releases the base.
        if t.side == Side::Buy {
            t.escrow = t.escrow.checked_sub(pay).expect("taker bid escrow short");
            t.left = t.left.map(|l| l - q);
            t.allowance = t.allowance.map(|a| a - q);
            let m = self.order_mut(maker.id);
            m.escrow = m.escrow.checked_sub(base_amount).expect("maker ask escrow short");
            m.left -= q;
            m.filled += q;
        } else {
            t.escrow = t.escrow.checked_sub(base_amount).expect("taker ask escrow short");
            t.left = t.left.map(|l| l - q);
            let m = self.order_mut(maker.id);
            // Cannot be short: SetMarketPolicy re-escrows resting bids at the new fees.
            m.escrow = m.escrow.checked_sub(pay).expect("maker bid escrow short of notional + fee");
            m.left -= q;
            m.filled += q;
        }
        t.filled += q;
        {
            let b = self.bal_mut(buyer, quote);
            b.locked = b.locked.checked_sub(pay).expect("buyer locked short");
        }
        {
            let s = self.bal_mut(seller, base);
            s.locked = s.locked.checked_sub(base_amount).expect("seller locked short");
        }
        self.bal_mut(buyer, base).available += base_amount;
        self.bal_mut(seller, quote).available += n - seller_fee;
        self.assets.get_mut(&quote).unwrap().fee_sink += maker_fee + taker_fee;
        // A maker bid's escrow is reset to required(p, left).
        if maker.side == Side::Buy {
            let m = self.order(maker.id).unwrap().clone();
            let req = self.required(market, p, m.left).expect("required overflow");
            let excess = m.escrow.checked_sub(req).expect("maker bid escrow below required after fill");
            self.order_mut(maker.id).escrow = req;
            self.unlock(m.account, quote, excess);
        }
        self.count_purchase(buyer, market, q);
        out.push(Event::Trade {
            trade,
            market,
            price: p,
            quantity: q,
            maker_order: maker.id,
            maker_account: maker.account,
            taker_order: t.id,
            taker_account: t.account,
            taker_side: t.side,
            maker_fee,
            taker_fee,
        });
        if self.order(maker.id).unwrap().left == 0 {
            self.remove_order(maker.id, DoneReason::Filled, out);
        }
    }

    /// End of the incoming order: done (escrow returned) or rests at the back of its level.
    fn finish_taker(&mut self, t: Taker, stp: bool, tif: TimeInForce, post_only: bool, out: &mut Vec<Event>) {
        let asset = self.escrow_asset(t.market, t.side);
        let done =
            |reason: DoneReason, released: u64| Event::OrderDone { order: t.id, account: t.account, market: t.market, reason, filled: t.filled, released };
        let left = t.left.unwrap_or(0);
        let ev = if stp {
            Some(done(DoneReason::SelfTrade, left))
        } else if t.left.is_none() {
            Some(done(if t.filled > 0 { DoneReason::Filled } else { DoneReason::Unfilled }, 0))
        } else if left == 0 {
            Some(done(DoneReason::Filled, 0))
        } else if tif.rests() {
            None
        } else {
            Some(done(DoneReason::Unfilled, left))
        };
        match ev {
            Some(ev) => {
                self.unlock(t.account, asset, t.escrow);
                out.push(ev);
            }
            None => {
                let price = t.limit.unwrap();
                let mut escrow = t.escrow;
                if t.side == Side::Buy {
                    let req = self.required(t.market, price, left).expect("required overflow");
                    let excess = escrow.checked_sub(req).expect("resting bid escrow short");
                    self.unlock(t.account, asset, excess);
                    escrow = req;
                }
                let prio = self.next_prio;
                self.next_prio += 1;
                self.orders.push(MOrder {
                    id: t.id,
                    account: t.account,
                    market: t.market,
                    side: t.side,
                    price,
                    left,
                    filled: t.filled,
                    escrow,
                    tif,
                    post_only,
                    prio,
                });
            }
        }
    }

    // ------------------------------------------------------------------ Modify

    fn modify(&mut self, actor: AccountId, id: OrderId, price: u64, quantity: u64, out: &mut Vec<Event>) -> R<Outcome> {
        if !self.accounts.contains_key(&actor) {
            return Err(RejectReason::UnknownAccount);
        }
        let o = self.order(id).ok_or(RejectReason::UnknownOrder)?.clone();
        if o.account != actor {
            return Err(RejectReason::UnknownOrder);
        }
        let mk = self.markets[&o.market].clone();
        let pol = mk.policy;
        match mk.status {
            MarketStatus::Halted => return Err(RejectReason::MarketHalted),
            // Cannot happen (closing cancels every order), kept for completeness.
            MarketStatus::Closed => return Err(RejectReason::MarketClosed),
            MarketStatus::Open => {}
        }
        if price < 1 || price > pol.max_price {
            return Err(RejectReason::PriceOutOfRange { max: pol.max_price });
        }
        if quantity < pol.min_quantity || quantity > pol.max_quantity {
            return Err(RejectReason::QuantityOutOfRange { min: pol.min_quantity, max: pol.max_quantity });
        }
        // INTERPRETATION: growth = quantity − lots left; the allowance (which counts this
        // order's lots as resting) is what is reported as `remaining`.
        if o.side == Side::Buy && quantity > o.left {
            if let Some(a) = self.allowance(actor, o.market) {
                if quantity - o.left > a {
                    return Err(RejectReason::BuyLimitReached { remaining: a });
                }
            }
        }
        let asset = self.escrow_asset(o.market, o.side);
        if price == o.price && quantity <= o.left {
            // Reduce in place, keeping priority.
            let new_escrow = match o.side {
                Side::Buy => self.required(o.market, price, quantity)?,
                Side::Sell => self.base_units(o.market, quantity)?,
            };
            // Never more than the escrow held: bids always hold required() at the current fees.
            let surplus = o.escrow.checked_sub(new_escrow).expect("keep-priority modify needs more escrow");
            self.unlock(actor, asset, surplus);
            let m = self.order_mut(id);
            m.escrow = new_escrow;
            m.left = quantity;
            out.push(Event::OrderModified { order: id, account: actor, market: o.market, price, quantity, kept_priority: true });
            return Ok(Outcome::Done);
        }
        // Loses priority.
        if o.post_only && self.would_cross(o.market, o.side, price) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        let new_escrow = match o.side {
            Side::Buy => self.required(o.market, price, quantity)?,
            Side::Sell => self.base_units(o.market, quantity)?,
        };
        if new_escrow > o.escrow {
            let needed = new_escrow - o.escrow;
            let available = self.bal(actor, asset).available;
            if available < needed {
                return Err(RejectReason::InsufficientFunds { asset, needed, available });
            }
        }
        // Out of the book, escrow set.
        self.orders.retain(|x| x.id != id);
        if new_escrow > o.escrow {
            self.lock(actor, asset, new_escrow - o.escrow);
        } else {
            self.unlock(actor, asset, o.escrow - new_escrow);
        }
        out.push(Event::OrderModified { order: id, account: actor, market: o.market, price, quantity, kept_priority: false });
        let mut t = Taker {
            id,
            account: actor,
            market: o.market,
            side: o.side,
            limit: Some(price),
            left: Some(quantity),
            filled: o.filled,
            escrow: new_escrow,
            allowance: None,
        };
        let stp = self.match_taker(&mut t, out);
        self.finish_taker(t, stp, o.tif, o.post_only, out);
        Ok(Outcome::Done)
    }
}
