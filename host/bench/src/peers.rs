//! The contenders of the engine suite behind one trait: our book alone, our full engine,
//! and the crates.io peer order books `lobster` and `rust-order-book`.

use entrepot_core::{
    self as core, AccountId, AssetId, AssetKind, AssetSpec, Body, Command, Ctx, Engine, Event, MarketId, MarketPolicy, MarketSpec, OrderId, RejectReason,
    RequestId,
};
use rust_decimal::Decimal;

use crate::stream::{Op, Side};

pub trait Contender {
    fn name(&self) -> &'static str;
    /// Run one operation; returns the lots it traded.
    fn apply(&mut self, op: &Op) -> u64;
}

fn core_side(s: Side) -> core::Side {
    match s {
        Side::Buy => core::Side::Buy,
        Side::Sell => core::Side::Sell,
    }
}

/// Our `Book` with plain price-time matching and nothing else.
pub struct OurBook(core::Book<()>);

impl OurBook {
    pub fn new(capacity: usize) -> Self {
        OurBook(core::Book::with_capacity(capacity))
    }
}

impl Contender for OurBook {
    fn name(&self) -> &'static str {
        "entrepot book"
    }
    fn apply(&mut self, op: &Op) -> u64 {
        match *op {
            Op::Limit { id, side, price, qty } => {
                let side = core_side(side);
                let traded = self.0.match_against(side, Some(price), qty, |_, _, _| {});
                if traded < qty {
                    self.0.insert(id, side, price, qty - traded, ());
                }
                traded
            }
            Op::Cancel { id } => {
                self.0.remove(id);
                0
            }
            Op::Market { side, qty } => self.0.match_against(core_side(side), None, qty, |_, _, _| {}),
        }
    }
}

/// The full engine: accounts, escrow, fees (10 / 20 bps), idempotency, events. Buyers
/// (accounts 1–500) and sellers (501–1000) are disjoint so that self-trade prevention never
/// fires and the traded quantity stays comparable with the peers.
pub struct OurEngine {
    engine: Engine,
    events: Vec<Event>,
    seq: u64,
    request: u64,
    /// Stream limit id → (engine order id, owner).
    orders: Vec<(u64, AccountId)>,
    /// Answers for a plugin-bound market (the plugins suite); None: the native path.
    rules: Option<Box<dyn core::rules::Rules>>,
}

const GOLD: AssetId = AssetId(1);
const COPPER: AssetId = AssetId(2);
const MARKET: MarketId = MarketId(1);

impl OurEngine {
    pub fn new(expected_ops: usize) -> Self {
        let mut e = OurEngine { engine: Engine::default(), events: Vec::with_capacity(256), seq: 0, request: 0, orders: vec![(0, AccountId(0))], rules: None };
        let admin = AccountId::ADMIN;
        e.run(admin, Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
        e.run(admin, Body::CreateAsset(AssetSpec { id: COPPER, symbol: "COPPER".into(), decimals: 0, kind: AssetKind::Item }));
        let spec = MarketSpec { id: MARKET, symbol: "COPPER/GOLD".into(), base: COPPER, quote: GOLD, tick: Decimal::new(1, 2), lot: Decimal::ONE };
        e.run(admin, Body::CreateMarket { spec, policy: MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, ..Default::default() } });
        for a in 1..=1_000 {
            e.run(admin, Body::OpenAccount { account: AccountId(a) });
            e.run(admin, Body::Mint { account: AccountId(a), asset: GOLD, amount: 1 << 50 });
            e.run(admin, Body::Mint { account: AccountId(a), asset: COPPER, amount: 1 << 40 });
        }
        if expected_ops > 0 {
            e.engine.reserve(expected_ops, expected_ops + 4_000);
            e.orders.reserve(expected_ops);
        }
        e
    }

    /// Bind the market to a rules plugin whose answers come from `rules`.
    pub fn with_rules(mut self, binding: core::PluginBinding, rules: Box<dyn core::rules::Rules>) -> Self {
        self.run(AccountId::ADMIN, Body::BindRules { market: MARKET, binding: Some(binding) });
        self.rules = Some(rules);
        self
    }

    fn run(&mut self, actor: AccountId, body: Body) -> u64 {
        self.seq += 1;
        self.request += 1;
        self.events.clear();
        let cmd = Command { actor, request: RequestId(self.request), body };
        let ctx = Ctx { seq: self.seq, time: self.seq };
        match &mut self.rules {
            Some(rules) => self.engine.apply_with(ctx, &cmd, &mut self.events, rules.as_mut()),
            None => self.engine.apply(ctx, &cmd, &mut self.events),
        };
        let mut traded = 0;
        for e in &self.events {
            match *e {
                Event::Trade { quantity, .. } => traded += quantity,
                Event::Rejected { reason, .. } if reason != RejectReason::UnknownOrder => panic!("engine rejected {:?}: {reason}", cmd.body),
                _ => {}
            }
        }
        traded
    }
}

impl Contender for OurEngine {
    fn name(&self) -> &'static str {
        "entrepot engine (escrow, fees)"
    }
    fn apply(&mut self, op: &Op) -> u64 {
        let (actor, body) = engine_command(op, self.request, &self.orders, |_| MARKET);
        let traded = self.run(actor, body);
        if let Op::Limit { id, .. } = *op {
            debug_assert_eq!(self.orders.len() as u64, id);
            self.orders.push((accepted(&self.events), actor));
        }
        traded
    }
}

/// The account that sends stream operation `n` of `side`: buyers 1..=500, sellers 501..=1000.
fn account(side: Side, n: u64) -> AccountId {
    AccountId(match side {
        Side::Buy => 1 + n % 500,
        Side::Sell => 501 + n % 500,
    })
}

/// The engine command for a stream operation, as the engine benchmarks send it: a limit
/// order from the account of its id, a market order from the account of `request` (the
/// number of commands sent before it), a cancel from the owner of the engine order recorded for
/// the limit (`orders[id]`); `market` picks the market from the same number.
pub fn engine_command(op: &Op, request: u64, orders: &[(u64, AccountId)], market: impl Fn(u64) -> MarketId) -> (AccountId, Body) {
    let place = |n: u64, side: Side, kind: core::OrderKind, tif: core::TimeInForce| {
        Body::Place(core::OrderRequest { market: market(n), side: core_side(side), kind, tif, post_only: false })
    };
    match *op {
        Op::Limit { id, side, price, qty } => (account(side, id), place(id, side, core::OrderKind::Limit { price, quantity: qty }, core::TimeInForce::Gtc)),
        Op::Cancel { id } => {
            let (order, owner) = orders[usize::try_from(id).expect("an order index")];
            (owner, Body::Cancel { order: OrderId(order) })
        }
        Op::Market { side, qty } => {
            (account(side, request), place(request, side, core::OrderKind::Market(core::MarketSize::Quantity(qty)), core::TimeInForce::Ioc))
        }
    }
}

/// The engine order id a limit order's events announce.
pub fn accepted(events: &[Event]) -> u64 {
    match events.first() {
        Some(Event::OrderAccepted { order, .. }) => order.0,
        other => panic!("limit order not accepted: {other:?}"),
    }
}

pub struct Lobster(lobster::OrderBook);

impl Lobster {
    pub fn new() -> Self {
        Lobster(lobster::OrderBook::default())
    }
}

fn lobster_side(s: Side) -> lobster::Side {
    match s {
        Side::Buy => lobster::Side::Bid,
        Side::Sell => lobster::Side::Ask,
    }
}

fn lobster_traded(e: lobster::OrderEvent) -> u64 {
    match e {
        lobster::OrderEvent::Filled { filled_qty, .. } | lobster::OrderEvent::PartiallyFilled { filled_qty, .. } => filled_qty,
        _ => 0,
    }
}

impl Contender for Lobster {
    fn name(&self) -> &'static str {
        "lobster 0.7"
    }
    fn apply(&mut self, op: &Op) -> u64 {
        match *op {
            Op::Limit { id, side, price, qty } => {
                lobster_traded(self.0.execute(lobster::OrderType::Limit { id: u128::from(id), side: lobster_side(side), qty, price }))
            }
            Op::Cancel { id } => {
                self.0.execute(lobster::OrderType::Cancel { id: u128::from(id) });
                0
            }
            Op::Market { side, qty } => {
                // Market orders need ids too; keep them out of the limit id range.
                lobster_traded(self.0.execute(lobster::OrderType::Market { id: u128::from(u64::MAX) + 1, side: lobster_side(side), qty }))
            }
        }
    }
}

/// rust-order-book assigns its own ids: keep the stream id → book id map.
pub struct RustOrderBook {
    book: rust_order_book::OrderBook,
    ids: Vec<u64>,
}

impl RustOrderBook {
    pub fn new() -> Self {
        RustOrderBook { book: rust_order_book::OrderBookBuilder::new("COPPER").build(), ids: vec![u64::MAX] }
    }
}

fn rob_side(s: Side) -> rust_order_book::Side {
    match s {
        Side::Buy => rust_order_book::Side::Buy,
        Side::Sell => rust_order_book::Side::Sell,
    }
}

impl Contender for RustOrderBook {
    fn name(&self) -> &'static str {
        "rust-order-book 0.0.2"
    }
    fn apply(&mut self, op: &Op) -> u64 {
        match *op {
            Op::Limit { side, price, qty, .. } => {
                let report = self.book.limit_raw(rob_side(side), qty, price, Some(rust_order_book::TimeInForce::GTC), None).expect("limit");
                self.ids.push(report.order_id.0);
                report.executed_qty.0
            }
            Op::Cancel { id } => {
                let _ = self.book.cancel_raw(self.ids[id as usize]);
                0
            }
            Op::Market { side, qty } => self.book.market_raw(rob_side(side), qty).map_or(0, |r| r.executed_qty.0),
        }
    }
}
