//! A seeded generator of realistic command streams for the differential and invariant tests.
//!
//! The stream starts with a setup prefix (assets, markets with assorted policies, accounts,
//! mints, plus a few deliberately invalid admin commands), then mixes player orders of every
//! kind with cancels, modifies, retries, admin actions and invalid commands. The generator is
//! interactive: it reads the events of each command (`observe`) to learn the order ids that
//! were accepted and the balances, so that cancels and modifies target real orders.
//!
//! Randomness comes from SplitMix64 (`entrepot-seeded`); the same seed always yields the
//! same stream given the same events.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};

use entrepot_core::*;
use entrepot_seeded::{Rng, SplitMix64};
use rust_decimal::Decimal;

/// The generator's stream for a test seed (salted, so seed 0 is not splitmix's own 0).
fn seeded(seed: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ 0x5DEE_CE66_D1CE_4E5B)
}

/// What the generator knows about a market.
#[derive(Clone, Debug)]
pub struct GenMarket {
    pub spec: MarketSpec,
    pub policy: MarketPolicy,
    pub closed: bool,
    pub halted: bool,
    /// Centre of the generated prices (ticks); drifts slowly.
    pub mid: u64,
    /// Quote minor units of one tick on one lot.
    pub tick_value: u64,
    /// Base minor units of one lot.
    pub lot_units: u64,
}

/// A resting (or just accepted) order as learned from events.
#[derive(Clone, Copy, Debug)]
pub struct Live {
    pub order: OrderId,
    pub account: AccountId,
    pub market: MarketId,
    pub side: Side,
    pub price: u64,
    pub left: u64,
}

pub const GOLD: AssetId = AssetId(1);
pub const GEM: AssetId = AssetId(2);
pub const ORE: AssetId = AssetId(3);
pub const WOOD: AssetId = AssetId(4);
pub const POTION: AssetId = AssetId(5);

/// Whether policy changes may change the fees of a market (which re-escrows its bids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeChanges {
    /// Policy changes keep the maker and taker fees.
    Keep,
    /// Any new fees, raises and cuts.
    Any,
}

pub struct Generator {
    pub rng: SplitMix64,
    pub fee_changes: FeeChanges,
    pub dedup_window_ms: u64,
    seq: u64,
    /// The generator's clock (the engine's `now` follows it; backwards ctx times are extra).
    time: u64,
    next_request: u64,
    /// Commands to send before generating new ones (setup, follow-ups).
    pending: VecDeque<(AccountId, Body)>,
    pub accounts: Vec<AccountId>,
    next_account: u64,
    pub markets: Vec<GenMarket>,
    next_market: u32,
    /// Asset decimals.
    decimals: BTreeMap<AssetId, u8>,
    pub live: Vec<Live>,
    dead: VecDeque<(OrderId, AccountId)>,
    /// Recent commands with the engine time (`now`) they were applied at.
    recent: VecDeque<(u64, Command)>,
    /// The engine's `now` (the largest ctx time sent so far).
    now: u64,
    /// Buy-limit windows as the engine should see them: (account, market) -> start.
    windows: BTreeMap<(AccountId, MarketId), u64>,
    /// Available balances learned from Balance events.
    available: BTreeMap<(AccountId, AssetId), u64>,
}

/// A market template: base, quote, tick, lot, mid price in ticks.
type Template = (AssetId, AssetId, Decimal, Decimal, u64);

impl Generator {
    /// A generator whose dedup window (to configure the engine with) depends on the seed.
    pub fn new(seed: u64) -> Generator {
        Generator::with_fee_changes(seed, FeeChanges::Any)
    }

    pub fn with_fee_changes(seed: u64, fee_changes: FeeChanges) -> Generator {
        let mut rng = seeded(seed);
        let dedup_window_ms = match seed % 4 {
            0 => 86_400_000,
            1 => 60_000,
            2 => 10_000,
            _ => 600_000, // the engine's default
        };
        let mut g = Generator {
            rng: seeded(0),
            fee_changes,
            dedup_window_ms,
            seq: 0,
            time: 1_000 + rng.below(10_000),
            next_request: 1,
            pending: VecDeque::new(),
            accounts: Vec::new(),
            next_account: 100,
            markets: Vec::new(),
            next_market: 1,
            decimals: BTreeMap::new(),
            live: Vec::new(),
            dead: VecDeque::new(),
            recent: VecDeque::new(),
            now: 0,
            windows: BTreeMap::new(),
            available: BTreeMap::new(),
        };
        g.rng = rng;
        g.setup();
        g
    }

    // ------------------------------------------------------------------ setup

    fn admin(&mut self, body: Body) {
        self.pending.push_back((AccountId::ADMIN, body));
    }

    fn setup(&mut self) {
        let gem_decimals = self.rng.pick(&[2u8, 4, 6]);
        let assets = [
            (GOLD, "GOLD", 2u8, AssetKind::Currency),
            (GEM, "GEM", gem_decimals, AssetKind::Currency),
            (ORE, "ORE", 0, AssetKind::Item),
            (WOOD, "WOOD", 3, AssetKind::Item),
            (POTION, "POTION", 1, AssetKind::Item),
        ];
        for (id, sym, decimals, kind) in assets {
            self.decimals.insert(id, decimals);
            self.admin(Body::CreateAsset(AssetSpec { id, symbol: sym.into(), decimals, kind }));
        }
        // Some invalid asset definitions.
        self.admin(Body::CreateAsset(AssetSpec { id: GOLD, symbol: "DUP".into(), decimals: 2, kind: AssetKind::Currency }));
        self.admin(Body::CreateAsset(AssetSpec { id: AssetId(9), symbol: "X".into(), decimals: 19, kind: AssetKind::Item }));

        let d = Decimal::new;
        let ore_gold = if self.rng.chance(50) { (ORE, GOLD, d(1, 2), d(1, 0), 1_000) } else { (ORE, GOLD, d(5, 2), d(2, 0), 200) };
        let wood_gold = if self.rng.chance(50) { (WOOD, GOLD, d(2, 2), d(5, 1), 500) } else { (WOOD, GOLD, d(4, 2), d(25, 2), 300) };
        let potion_gem = (POTION, GEM, d(1, 0), d(5, 1), 100);
        let ore_gem = (ORE, GEM, d(5, 1), d(10, 0), 50);
        let mut templates: Vec<Template> = vec![ore_gold, wood_gold, potion_gem];
        if self.rng.chance(60) {
            templates.push(ore_gem);
        }
        // Every self-trade mode appears among the first three markets.
        let mut modes = [SelfTradePrevention::CancelNewest, SelfTradePrevention::CancelOldest, SelfTradePrevention::CancelBoth];
        for i in (1..3).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            modes.swap(i, j);
        }
        for (i, t) in templates.iter().enumerate() {
            let mut policy = self.random_policy(t.4);
            policy.self_trade = if i < 3 { modes[i] } else { self.random_stp() };
            self.create_market(*t, policy);
        }
        self.invalid_admin_setup();

        let n_accounts = self.rng.range(8, 20);
        for _ in 0..n_accounts {
            self.open_account();
        }
        self.admin(Body::OpenAccount { account: AccountId(100) }); // AccountExists
    }

    /// Queues CreateMarket for a template under a fresh id.
    fn create_market(&mut self, t: Template, policy: MarketPolicy) {
        let (base, quote, tick, lot, mid) = t;
        let id = MarketId(self.next_market);
        self.next_market += 1;
        let spec = MarketSpec { id, symbol: format!("M{}", id.0), base, quote, tick, lot };
        let bd = u32::from(self.decimals[&base]);
        let qd = u32::from(self.decimals[&quote]);
        let lot_units = (lot * Decimal::from(10u64.pow(bd))).normalize().mantissa() as u64;
        let tick_value = (tick * lot * Decimal::from(10u64.pow(qd))).normalize().mantissa() as u64;
        self.markets.push(GenMarket { spec: spec.clone(), policy, closed: false, halted: false, mid, tick_value, lot_units });
        self.admin(Body::CreateMarket { spec, policy });
    }

    fn random_stp(&mut self) -> SelfTradePrevention {
        self.rng.pick(&[SelfTradePrevention::CancelNewest, SelfTradePrevention::CancelOldest, SelfTradePrevention::CancelBoth])
    }

    /// A valid policy with assorted fees, listing fee, slots, quantity range and buy limit.
    fn random_policy(&mut self, mid: u64) -> MarketPolicy {
        let r = &mut self.rng;
        let min_quantity = r.pick(&[1, 1, 1, 2, 3]);
        MarketPolicy {
            maker_fee_bps: r.pick(&[0, 0, 5, 10, 25, 100]),
            taker_fee_bps: r.pick(&[0, 10, 20, 30, 75, 250]),
            listing_fee: r.pick(&[0, 0, 1, 10, 100]),
            min_quantity,
            max_quantity: r.pick(&[40, 100, 1_000, 1_000_000_000]),
            max_price: r.pick(&[1_000_000_000_000, mid * 2, mid * 4]),
            max_open_orders: r.pick(&[0, 0, 3, 6]),
            buy_limit: if r.chance(35) { Some(BuyLimit { quantity: r.range(5, 80), window_ms: r.range(5_000, 120_000) }) } else { None },
            self_trade: SelfTradePrevention::CancelNewest,
        }
    }

    /// An invalid policy (one of the InvalidMarket policy checks).
    fn invalid_policy(&mut self) -> MarketPolicy {
        let mut p = self.random_policy(100);
        match self.rng.below(5) {
            0 => p.maker_fee_bps = 10_001,
            1 => p.min_quantity = 0,
            2 => p.min_quantity = p.max_quantity + 1,
            3 => p.max_price = 0,
            _ => p.buy_limit = Some(BuyLimit { quantity: self.rng.below(2) * 5, window_ms: 0 }),
        }
        p
    }

    /// Invalid market definitions, one per InvalidMarket step plus the unknown/exists cases.
    fn invalid_admin_setup(&mut self) {
        let d = Decimal::new;
        let ok = MarketPolicy::default();
        let spec =
            |id: u32, base: AssetId, quote: AssetId, tick: Decimal, lot: Decimal| MarketSpec { id: MarketId(id), symbol: "BAD".into(), base, quote, tick, lot };
        let bad = [
            spec(1, ORE, GOLD, d(1, 2), d(1, 0)),          // MarketExists
            spec(90, AssetId(77), GOLD, d(1, 2), d(1, 0)), // UnknownAsset (base)
            spec(90, ORE, AssetId(77), d(1, 2), d(1, 0)),  // UnknownAsset (quote)
            spec(90, GOLD, GOLD, d(1, 2), d(1, 0)),        // SameAssets
            spec(90, GOLD, ORE, d(1, 2), d(1, 0)),         // WrongAssetKinds
            spec(90, ORE, GEM, d(1, 2), d(1, 0)),          // ok kinds, see below
            spec(90, ORE, GOLD, d(0, 0), d(1, 0)),         // NonPositiveStep
            spec(90, ORE, GOLD, d(1, 2), d(-1, 0)),        // NonPositiveStep
            spec(90, ORE, GOLD, d(1, 2), d(5, 1)),         // LotNotWhole
            spec(90, ORE, GOLD, d(1, 3), d(1, 0)),         // TickLotNotWhole
        ];
        for s in bad {
            if s.quote == GEM {
                // Valid spec with an invalid policy.
                let p = self.invalid_policy();
                self.admin(Body::CreateMarket { spec: s, policy: p });
            } else {
                self.admin(Body::CreateMarket { spec: s, policy: ok });
            }
        }
        // Policy/status commands on an unknown market.
        self.admin(Body::SetMarketPolicy { market: MarketId(91), policy: ok });
        self.admin(Body::SetMarketStatus { market: MarketId(91), status: MarketStatus::Halted });
        self.admin(Body::CancelMarket { market: MarketId(91) });
    }

    /// Queues OpenAccount and starting mints for a new account.
    fn open_account(&mut self) {
        let acc = AccountId(self.next_account);
        self.next_account += 1;
        self.admin(Body::OpenAccount { account: acc });
        let poor = self.rng.chance(20);
        for asset in [GOLD, GEM, ORE, WOOD, POTION] {
            if self.rng.chance(10) {
                continue;
            }
            let amount = self.fund_amount(asset, poor);
            self.admin(Body::Mint { account: acc, asset, amount });
        }
    }

    /// A typical mint: enough for some hundreds of lots (a few for a poor account).
    fn fund_amount(&mut self, asset: AssetId, poor: bool) -> u64 {
        let lots = if poor { self.rng.range(1, 20) } else { self.rng.range(100, 3_000) };
        let per_lot = self
            .markets
            .iter()
            .filter_map(|m| {
                if m.spec.quote == asset {
                    Some(m.mid * m.tick_value)
                } else if m.spec.base == asset {
                    Some(m.lot_units)
                } else {
                    None
                }
            })
            .max()
            .unwrap_or(1);
        (lots * per_lot).max(1)
    }

    // ------------------------------------------------------------------ main loop

    /// The next command and its context.
    pub fn next(&mut self) -> (Ctx, Command) {
        self.seq += 1;
        let (actor, body, request) = if let Some((actor, body)) = self.pending.pop_front() {
            self.time += self.rng.range(0, 3);
            (actor, body, None)
        } else {
            self.time += match self.rng.below(10) {
                0 => 0,
                1..=7 => self.rng.range(1, 1_000),
                _ => self.rng.range(1_000, 2_000),
            };
            self.random_command()
        };
        let request = request.unwrap_or_else(|| {
            let r = RequestId(self.next_request);
            self.next_request += 1;
            r
        });
        let cmd = Command { actor, request, body };
        // Now and then a ctx time from the past (the engine keeps its own `now`).
        let time = if self.rng.chance(2) { self.time.saturating_sub(self.rng.range(1, 5_000)) } else { self.time };
        self.now = self.now.max(time);
        self.recent.push_back((self.now, cmd.clone()));
        if self.recent.len() > 400 {
            self.recent.pop_front();
        }
        (Ctx { seq: self.seq, time }, cmd)
    }

    /// Learns accepted/modified/done orders, closed markets and balances from the events.
    pub fn observe(&mut self, events: &[Event]) {
        for e in events {
            match *e {
                // Limit orders only (market orders have price 0 and never rest).
                Event::OrderAccepted { order, account, market, side, price, quantity, .. } if price > 0 => {
                    self.live.push(Live { order, account, market, side, price, left: quantity });
                }
                Event::OrderModified { order, price, quantity, .. } => {
                    if let Some(l) = self.live.iter_mut().find(|l| l.order == order) {
                        l.price = price;
                        l.left = quantity;
                    }
                }
                Event::Trade { maker_order, taker_order, quantity, market, maker_account, taker_account, taker_side, .. } => {
                    let buyer = if taker_side == Side::Buy { taker_account } else { maker_account };
                    if let Some(bl) = self.markets.iter().find(|m| m.spec.id == market).and_then(|m| m.policy.buy_limit) {
                        let start = self.windows.entry((buyer, market)).or_insert(self.now);
                        if self.now >= *start + bl.window_ms {
                            *start = self.now;
                        }
                    }
                    for l in self.live.iter_mut().filter(|l| l.order == maker_order || l.order == taker_order) {
                        l.left = l.left.saturating_sub(quantity);
                    }
                }
                Event::OrderDone { order, account, .. } => {
                    self.live.retain(|l| l.order != order);
                    self.dead.push_back((order, account));
                    if self.dead.len() > 200 {
                        self.dead.pop_front();
                    }
                }
                Event::MarketChanged { market, status } => {
                    if let Some(m) = self.markets.iter_mut().find(|m| m.spec.id == market) {
                        m.closed |= status == MarketStatus::Closed;
                        m.halted = status == MarketStatus::Halted;
                    }
                }
                Event::AccountOpened { account } => self.accounts.push(account),
                Event::Balance { account, asset, available, .. } => {
                    self.available.insert((account, asset), available);
                }
                _ => {}
            }
        }
    }

    fn random_command(&mut self) -> (AccountId, Body, Option<RequestId>) {
        // Slow drift of every market's mid.
        if self.rng.chance(2) {
            let i = self.rng.below(self.markets.len() as u64) as usize;
            let m = &mut self.markets[i];
            let step = self.rng.range(0, 4) as i64 - 2;
            m.mid = ((m.mid as i64 + step).max(10)) as u64;
        }
        let roll = self.rng.below(1_000);
        match roll {
            // Exactly at (or 1 ms before/after) a boundary: dedup expiry, buy-limit window end.
            851..=853 => self.dedup_boundary(),
            854..=856 => self.window_boundary(),
            857..=859 if self.fee_changes == FeeChanges::Any => self.re_escrow_boundary(),
            860..=864 => self.self_budget(),
            0..=419 => self.limit_order(),
            420..=489 => self.market_order(),
            490..=559 => self.cancel(),
            560..=599 => self.limit_order(),
            600..=699 => self.modify(),
            700..=714 => {
                let actor = self.player();
                let market = match self.rng.below(10) {
                    0..=4 => None,
                    5 => Some(MarketId(99)),
                    _ => Some(self.any_market().spec.id),
                };
                (actor, Body::CancelAll { market }, None)
            }
            715..=729 => (self.actor_any(), Body::Tick, None),
            730..=759 => self.retry(),
            760..=789 => self.mint(),
            790..=799 => self.burn(),
            800..=809 => {
                // Halts are short: a halted market is usually reopened next time.
                let halted: Vec<MarketId> = self.markets.iter().filter(|m| m.halted && !m.closed).map(|m| m.spec.id).collect();
                let (m, status) = if !halted.is_empty() && self.rng.chance(80) {
                    (self.rng.pick(&halted), MarketStatus::Open)
                } else {
                    let m = self.any_market().spec.id;
                    (m, if self.rng.chance(50) { MarketStatus::Open } else { MarketStatus::Halted })
                };
                (AccountId::ADMIN, Body::SetMarketStatus { market: m, status }, None)
            }
            810..=814 => self.policy_change(),
            815..=816 => {
                let market = if self.rng.chance(90) { self.any_market().spec.id } else { MarketId(99) };
                (AccountId::ADMIN, Body::CancelMarket { market }, None)
            }
            817 if self.rng.chance(12) => self.close_market(),
            818..=819 if self.accounts.len() < 24 => {
                self.open_account();
                let (actor, body) = self.pending.pop_front().unwrap();
                (actor, body, None)
            }
            820..=849 => self.invalid(),
            850 => {
                self.invalid_admin_setup();
                let (actor, body) = self.pending.pop_front().unwrap();
                (actor, body, None)
            }
            _ => self.limit_order(),
        }
    }

    fn player(&mut self) -> AccountId {
        let i = self.rng.below(self.accounts.len() as u64) as usize;
        self.accounts[i]
    }

    fn actor_any(&mut self) -> AccountId {
        if self.rng.chance(50) {
            AccountId::ADMIN
        } else {
            self.player()
        }
    }

    /// Any market, open ones much more likely.
    fn any_market(&mut self) -> GenMarket {
        let open: Vec<usize> = (0..self.markets.len()).filter(|&i| !self.markets[i].closed).collect();
        let i = if open.is_empty() || self.rng.chance(3) {
            self.rng.below(self.markets.len() as u64) as usize
        } else {
            open[self.rng.below(open.len() as u64) as usize]
        };
        self.markets[i].clone()
    }

    /// A quantity inside the market's range, mostly small.
    fn quantity(&mut self, m: &GenMarket) -> u64 {
        let p = m.policy;
        let q = if self.rng.chance(88) { p.min_quantity + self.rng.range(0, 10) } else { p.min_quantity + self.rng.range(10, 60) };
        q.min(p.max_quantity)
    }

    /// A price around the market's mid: about a third of orders are priced aggressively, so
    /// that roughly a quarter of the accepted limit orders trade on arrival.
    fn price(&mut self, m: &GenMarket, side: Side) -> u64 {
        let aggressive = self.rng.chance(40);
        let off = if aggressive { self.rng.range(0, 4) as i64 } else { -(self.rng.range(1, 6) as i64) };
        let p = match side {
            Side::Buy => m.mid as i64 + off,
            Side::Sell => m.mid as i64 - off,
        };
        (p.max(1) as u64).min(m.policy.max_price.max(1))
    }

    fn side(&mut self) -> Side {
        if self.rng.chance(50) {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn limit_order(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let m = self.any_market();
        let actor = self.player();
        let side = self.side();
        let price = self.price(&m, side);
        let quantity = self.quantity(&m);
        let tif = match self.rng.below(100) {
            0..=44 => TimeInForce::Gtc,
            45..=59 => TimeInForce::Ioc,
            60..=69 => TimeInForce::Fok,
            70..=97 => TimeInForce::Gtd(self.time + self.rng.range(200, 30_000)),
            _ => TimeInForce::Gtd(self.time.saturating_sub(self.rng.range(0, 100))),
        };
        let post_only = self.rng.chance(10);
        let req = OrderRequest { market: m.spec.id, side, kind: OrderKind::Limit { price, quantity }, tif, post_only };
        (actor, Body::Place(req), None)
    }

    fn market_order(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let m = self.any_market();
        let actor = self.player();
        let side = self.side();
        let kind = if side == Side::Buy && self.rng.chance(45) {
            let lots = self.rng.range(1, 15);
            let budget = (m.mid * m.tick_value * lots).max(1) + self.rng.below(m.mid * m.tick_value + 1);
            OrderKind::Market(MarketSize::Budget(budget))
        } else {
            OrderKind::Market(MarketSize::Quantity(self.quantity(&m)))
        };
        let tif = if self.rng.chance(70) { TimeInForce::Ioc } else { TimeInForce::Fok };
        let req = OrderRequest { market: m.spec.id, side, kind, tif, post_only: false };
        (actor, Body::Place(req), None)
    }

    fn random_live(&mut self) -> Option<Live> {
        if self.live.is_empty() {
            return None;
        }
        // Prefer recent orders.
        let n = self.live.len() as u64;
        let window = if self.rng.chance(70) { 30 } else { n };
        let back = self.rng.below(n.min(window));
        Some(self.live[(n - 1 - back) as usize])
    }

    fn cancel(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let roll = self.rng.below(100);
        if roll < 80 {
            if let Some(l) = self.random_live() {
                let actor = if roll < 72 { l.account } else { self.player() };
                return (actor, Body::Cancel { order: l.order }, None);
            }
        }
        if roll < 95 && !self.dead.is_empty() {
            let (order, account) = self.dead[self.rng.below(self.dead.len() as u64) as usize];
            return (account, Body::Cancel { order }, None);
        }
        (self.player(), Body::Cancel { order: OrderId(1_000_000_000 + self.rng.below(10)) }, None)
    }

    fn modify(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let Some(l) = self.random_live() else { return self.limit_order() };
        let m = self.markets.iter().find(|m| m.spec.id == l.market).unwrap().clone();
        let min = m.policy.min_quantity;
        let (mut actor, mut order) = (l.account, l.order);
        let (price, quantity) = match self.rng.below(100) {
            // Same price, smaller (or equal) quantity: keeps priority.
            0..=34 => (l.price, self.rng.range(min.min(l.left.max(1)), l.left.max(1))),
            // New price.
            35..=69 => {
                let p = self.price(&m, l.side);
                (p, self.rng.range(min, min + 12).min(m.policy.max_quantity))
            }
            // Same price, larger quantity.
            70..=89 => (l.price, (l.left + self.rng.range(1, 8)).min(m.policy.max_quantity)),
            // Invalid ones.
            90..=92 => (0, l.left),
            93..=94 => (l.price, 0),
            95..=97 => {
                actor = self.player();
                (l.price, l.left)
            }
            _ => {
                order = self.dead.back().map_or(OrderId(999_999_999), |d| d.0);
                (l.price, l.left)
            }
        };
        (actor, Body::Modify { order, price, quantity }, None)
    }

    /// Retries a recent command exactly when its dedup entry is about to expire.
    fn dedup_boundary(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let candidates: Vec<usize> = (0..self.recent.len()).filter(|&i| self.recent[i].0 + self.dedup_window_ms > self.now).collect();
        if candidates.is_empty() || self.dedup_window_ms > 600_000 {
            return self.retry();
        }
        let (t, c) = self.recent[self.rng.pick(&candidates)].clone();
        self.time = self.time.max(t + self.dedup_window_ms + self.rng.below(2));
        (c.actor, c.body, Some(c.request))
    }

    /// A buy of a whole buy limit by an account exactly when its window ends (or 1 ms before).
    fn window_boundary(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let mut candidates = Vec::new();
        for (&(acc, market), &start) in &self.windows {
            let Some(m) = self.markets.iter().find(|m| m.spec.id == market && !m.closed) else { continue };
            let Some(bl) = m.policy.buy_limit else { continue };
            if start + bl.window_ms > self.now + 1 && bl.window_ms < 200_000 {
                candidates.push((acc, m.clone(), start + bl.window_ms));
            }
        }
        if candidates.is_empty() {
            return self.limit_order();
        }
        let (acc, m, end) = candidates[self.rng.below(candidates.len() as u64) as usize].clone();
        self.time = self.time.max(end - self.rng.below(2));
        let quantity = m.policy.buy_limit.unwrap().quantity.clamp(m.policy.min_quantity, m.policy.max_quantity);
        let price = self.price(&m, Side::Buy);
        let tif = if self.rng.chance(50) { TimeInForce::Gtc } else { TimeInForce::Ioc };
        let req = OrderRequest { market: m.spec.id, side: Side::Buy, kind: OrderKind::Limit { price, quantity }, tif, post_only: false };
        (acc, Body::Place(req), None)
    }

    /// A fee raise timed so that the owner of a resting bid has exactly the shortfall
    /// available (or 1 less): a Burn sets the available balance, then the policy follows.
    fn re_escrow_boundary(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let bids: Vec<Live> = self.live.iter().filter(|l| l.side == Side::Buy).copied().collect();
        if bids.is_empty() {
            return self.policy_change();
        }
        let l = bids[self.rng.below(bids.len() as u64) as usize];
        // The owner's lowest-id bid in the market is re-escrowed first.
        let first = *bids.iter().filter(|x| x.account == l.account && x.market == l.market).min_by_key(|x| x.order).unwrap();
        let i = self.markets.iter().position(|m| m.spec.id == l.market).unwrap();
        let (old, tv, quote) = (self.markets[i].policy, self.markets[i].tick_value, self.markets[i].spec.quote);
        if old.max_fee_bps() >= 10_000 {
            return self.policy_change();
        }
        let mut p = old;
        p.taker_fee_bps = self.rng.range(u64::from(old.max_fee_bps()) + 1, 10_000) as u32;
        self.markets[i].policy = p;
        let n = u128::from(first.price) * u128::from(first.left) * u128::from(tv);
        let shortfall = (n * u128::from(p.max_fee_bps()) / 10_000 - n * u128::from(old.max_fee_bps()) / 10_000) as u64;
        let avail = self.available.get(&(l.account, quote)).copied().unwrap_or(0);
        let set_policy = Body::SetMarketPolicy { market: l.market, policy: p };
        let burn = (avail + self.rng.below(2)).saturating_sub(shortfall);
        if burn == 0 || burn > avail {
            return (AccountId::ADMIN, set_policy, None);
        }
        self.pending.push_back((AccountId::ADMIN, set_policy));
        (AccountId::ADMIN, Body::Burn { account: l.account, asset: quote, amount: burn }, None)
    }

    /// A large budget buy by an account that has a resting ask in a buy-limited market: the
    /// allowance, the budget and self-trade prevention all come into play.
    fn self_budget(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let asks: Vec<(Live, GenMarket)> = self
            .live
            .iter()
            .filter(|l| l.side == Side::Sell)
            .filter_map(|l| {
                let m = self.markets.iter().find(|m| m.spec.id == l.market && !m.closed)?;
                m.policy.buy_limit.map(|_| (*l, m.clone()))
            })
            .collect();
        if asks.is_empty() {
            return self.market_order();
        }
        let (l, m) = asks[self.rng.below(asks.len() as u64) as usize].clone();
        let budget = m.mid * m.tick_value * self.rng.range(5, 200);
        let tif = if self.rng.chance(80) { TimeInForce::Ioc } else { TimeInForce::Fok };
        let req = OrderRequest { market: m.spec.id, side: Side::Buy, kind: OrderKind::Market(MarketSize::Budget(budget)), tif, post_only: false };
        (l.account, Body::Place(req), None)
    }

    fn retry(&mut self) -> (AccountId, Body, Option<RequestId>) {
        if self.recent.is_empty() {
            return (AccountId::ADMIN, Body::Tick, None);
        }
        let i = self.rng.below(self.recent.len() as u64) as usize;
        let c = self.recent[i].1.clone();
        if self.rng.chance(10) {
            // Same request id, different body (a confused client).
            (c.actor, Body::Tick, Some(c.request))
        } else {
            (c.actor, c.body, Some(c.request))
        }
    }

    fn asset(&mut self) -> AssetId {
        self.rng.pick(&[GOLD, GEM, ORE, WOOD, POTION])
    }

    fn mint(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let account = self.player();
        let asset = self.asset();
        let amount = match self.rng.below(100) {
            0..=1 => 0,
            2 => u64::MAX,
            _ => self.fund_amount(asset, false),
        };
        let (account, asset) = match self.rng.below(100) {
            0 => (AccountId(5_555), asset),
            1 => (account, AssetId(77)),
            _ => (account, asset),
        };
        (AccountId::ADMIN, Body::Mint { account, asset, amount }, None)
    }

    fn burn(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let account = self.player();
        let asset = self.asset();
        let avail = self.available.get(&(account, asset)).copied().unwrap_or(0);
        let amount = match self.rng.below(10) {
            0 => 0,
            1 => avail + 1,
            2 => avail,
            _ => self.rng.range(1, avail / 10 + 1),
        };
        (AccountId::ADMIN, Body::Burn { account, asset, amount }, None)
    }

    fn policy_change(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let i = self.rng.below(self.markets.len() as u64) as usize;
        let mid = self.markets[i].mid;
        let id = self.markets[i].spec.id;
        if self.rng.chance(10) {
            let p = self.invalid_policy();
            return (AccountId::ADMIN, Body::SetMarketPolicy { market: id, policy: p }, None);
        }
        let mut p = self.random_policy(mid);
        p.self_trade = self.random_stp();
        if self.rng.chance(15) {
            // A fee shock: resting bids need much more escrow, some get cancelled.
            p.taker_fee_bps = self.rng.pick(&[1_000, 5_000, 10_000]);
        }
        let old = self.markets[i].policy;
        match self.fee_changes {
            FeeChanges::Keep => {
                p.maker_fee_bps = old.maker_fee_bps;
                p.taker_fee_bps = old.taker_fee_bps;
            }
            FeeChanges::Any => {}
        }
        self.markets[i].policy = p;
        (AccountId::ADMIN, Body::SetMarketPolicy { market: id, policy: p }, None)
    }

    /// Closes an open market and queues a replacement over the same assets.
    fn close_market(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let m = self.any_market();
        if !m.closed {
            let t = (m.spec.base, m.spec.quote, m.spec.tick, m.spec.lot, m.mid);
            let mut p = self.random_policy(m.mid);
            p.self_trade = self.random_stp();
            self.create_market(t, p);
        }
        (AccountId::ADMIN, Body::SetMarketStatus { market: m.spec.id, status: MarketStatus::Closed }, None)
    }

    /// Commands that should be rejected (or at least probe an edge).
    fn invalid(&mut self) -> (AccountId, Body, Option<RequestId>) {
        let m = self.any_market();
        let actor = self.player();
        let side = self.side();
        let q = self.quantity(&m);
        let price = self.price(&m, side);
        let lim = |price, quantity| OrderKind::Limit { price, quantity };
        let place = |market, side, kind, tif, post_only| Body::Place(OrderRequest { market, side, kind, tif, post_only });
        let gtc = TimeInForce::Gtc;
        let body = match self.rng.below(12) {
            0 => place(MarketId(99), side, lim(price, q), gtc, false),
            1 => place(m.spec.id, side, lim(0, q), gtc, false),
            2 => place(m.spec.id, side, lim(price, m.policy.max_quantity + 1), gtc, false),
            3 => place(m.spec.id, side, lim(m.policy.max_price + 1, q), gtc, false),
            // Huge notional: OutOfRange (or funds/range rejections under other policies).
            4 => place(m.spec.id, side, lim(m.policy.max_price, m.policy.max_quantity), TimeInForce::Ioc, false),
            5 => place(m.spec.id, Side::Sell, OrderKind::Market(MarketSize::Budget(1_000)), TimeInForce::Ioc, false),
            6 => place(m.spec.id, Side::Buy, OrderKind::Market(MarketSize::Budget(0)), TimeInForce::Ioc, false),
            7 => place(m.spec.id, side, OrderKind::Market(MarketSize::Quantity(q)), gtc, false),
            8 => place(m.spec.id, side, OrderKind::Market(MarketSize::Quantity(q)), TimeInForce::Ioc, true),
            9 => {
                return (AccountId(9_999), place(m.spec.id, side, lim(price, q), gtc, false), None);
            }
            10 => {
                return (AccountId(9_999), Body::Cancel { order: OrderId(1) }, None);
            }
            _ => place(m.spec.id, side, OrderKind::Market(MarketSize::Quantity(0)), TimeInForce::Ioc, false),
        };
        (actor, body, None)
    }
}
