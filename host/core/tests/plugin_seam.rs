//! The engine side of market-rules plugins (`rules.rs`): a scripted `Rules` stands in for
//! a WebAssembly plugin. Checks that verdicts reach the caller, that proposed fees are
//! capped so escrow and conservation hold, that listing and relist fees are charged, that
//! the buy window is kept for plugins, and that replaying recorded decisions reproduces
//! the state exactly.

use entrepot_core::rules::{AccountView, Decision, Fees, Listing, MarketView, NativeOnly, OrderCheck, Recorder, Replay, Rules, TradeFacts};
use entrepot_core::*;
use rust_decimal::Decimal;

const GOLD: AssetId = AssetId(1);
const CU: AssetId = AssetId(2);
const MKT: MarketId = MarketId(1);
const ALICE: AccountId = AccountId(1);
const BOB: AccountId = AccountId(2);

/// Answers like a plugin would, and remembers what it was shown.
#[derive(Default)]
struct Scripted {
    reject_above: Option<u64>,
    fees: Option<Fees>,
    listing: Option<u64>,
    relist: Option<u64>,
    seen_accounts: Vec<AccountView>,
    seen_markets: Vec<MarketView>,
}

impl Rules for Scripted {
    fn check_order(&mut self, _: &PluginBinding, m: &MarketView, a: &AccountView, o: &OrderCheck) -> Option<Result<(), String>> {
        self.seen_accounts.push(*a);
        self.seen_markets.push(*m);
        match (self.reject_above, o.price) {
            (Some(max), Some(p)) if p > max => Some(Err(format!("price {p} is above the band {max}"))),
            _ => Some(Ok(())),
        }
    }
    fn trade_fees(&mut self, _: &PluginBinding, _: &MarketView, _: &TradeFacts) -> Option<Fees> {
        self.fees
    }
    fn listing_fee(&mut self, _: &PluginBinding, _: &MarketView, l: &Listing) -> Option<u64> {
        if l.modifies.is_some() {
            self.relist
        } else {
            self.listing
        }
    }
}

struct World {
    engine: Engine,
    seq: u64,
    time: u64,
    journal: Vec<(Ctx, Command, Vec<Decision>)>,
}

fn binding(buy_window_ms: Option<u64>) -> PluginBinding {
    PluginBinding { name: "scripted".into(), version: "1".into(), hash: [7; 32], buy_window_ms }
}

impl World {
    fn new(policy: MarketPolicy, plugin: Option<PluginBinding>) -> World {
        let mut w = World { engine: Engine::default(), seq: 0, time: 1_000, journal: Vec::new() };
        let mut native = NativeOnly;
        w.run(&mut native, AccountId::ADMIN, Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
        w.run(&mut native, AccountId::ADMIN, Body::CreateAsset(AssetSpec { id: CU, symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }));
        let spec = MarketSpec { id: MKT, symbol: "CU/GOLD".into(), base: CU, quote: GOLD, tick: Decimal::new(1, 2), lot: Decimal::ONE };
        w.run(&mut native, AccountId::ADMIN, Body::CreateMarket { spec, policy });
        for acc in [ALICE, BOB] {
            w.run(&mut native, AccountId::ADMIN, Body::OpenAccount { account: acc });
            w.run(&mut native, AccountId::ADMIN, Body::Mint { account: acc, asset: GOLD, amount: 1_000_000 });
            w.run(&mut native, AccountId::ADMIN, Body::Mint { account: acc, asset: CU, amount: 1_000 });
        }
        w.run(&mut native, AccountId::ADMIN, Body::BindRules { market: MKT, binding: plugin });
        w
    }

    /// Apply through a recorder, keep the journal entry, check the invariants.
    fn run(&mut self, rules: &mut dyn Rules, actor: AccountId, body: Body) -> Vec<Event> {
        self.seq += 1;
        let ctx = Ctx { seq: self.seq, time: self.time };
        let cmd = Command { actor, request: RequestId(self.seq), body };
        let mut out = Vec::new();
        let mut decisions = Vec::new();
        self.engine.apply_with(ctx, &cmd, &mut out, &mut Recorder { inner: rules, decisions: &mut decisions });
        self.engine.check_invariants().unwrap();
        self.journal.push((ctx, cmd, decisions));
        out
    }

    fn limit(&mut self, rules: &mut dyn Rules, actor: AccountId, side: Side, price: u64, quantity: u64) -> Vec<Event> {
        let order = OrderRequest { market: MKT, side, kind: OrderKind::Limit { price, quantity }, tif: TimeInForce::Gtc, post_only: false };
        self.run(rules, actor, Body::Place(order))
    }

    /// Replay the journal from scratch with the recorded decisions only.
    fn replayed(&self) -> Engine {
        let mut engine = Engine::default();
        for (ctx, cmd, decisions) in &self.journal {
            let mut replay = Replay::new(decisions);
            engine.apply_with(*ctx, cmd, &mut Vec::new(), &mut replay);
            assert!(replay.finished());
        }
        engine
    }
}

fn rejection(events: &[Event]) -> Option<(RejectReason, Option<String>)> {
    let message = events.iter().find_map(|e| match e {
        Event::RuleMessage { message, .. } => Some(message.clone()),
        _ => None,
    });
    events.iter().find_map(|e| match e {
        Event::Rejected { reason, .. } => Some((*reason, message.clone())),
        _ => None,
    })
}

fn trades(events: &[Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Trade { maker_fee, taker_fee, .. } => Some((*maker_fee, *taker_fee)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_rule_rejection_carries_the_plugin_text_and_changes_nothing() {
    let mut rules = Scripted { reject_above: Some(150), ..Default::default() };
    let mut w = World::new(MarketPolicy::default(), Some(binding(None)));
    let before = w.engine.state_hash();
    let out = w.limit(&mut rules, ALICE, Side::Buy, 200, 5);
    assert_eq!(rejection(&out), Some((RejectReason::RuleRejected, Some("price 200 is above the band 150".into()))));
    assert_eq!(w.engine.balance(ALICE, GOLD), Some((1_000_000, 0)));
    assert_eq!(w.engine.state_hash(), before, "nothing changed");
    let out = w.limit(&mut rules, ALICE, Side::Buy, 150, 5);
    assert!(rejection(&out).is_none());
}

#[test]
fn the_plugin_sees_the_market_and_the_account() {
    let mut rules = Scripted::default();
    let mut w = World::new(MarketPolicy::default(), Some(binding(None)));
    w.limit(&mut rules, BOB, Side::Sell, 120, 3);
    w.limit(&mut rules, ALICE, Side::Buy, 120, 1);
    w.limit(&mut rules, ALICE, Side::Buy, 100, 2);
    let (m, a) = (rules.seen_markets[2], rules.seen_accounts[2]);
    assert_eq!((m.last_price, m.best_bid, m.best_ask, m.now_ms), (Some(120), None, Some(120), 1_000));
    assert_eq!(a.account, ALICE);
    assert_eq!(a.available_base, 1_001);
    assert_eq!(a.available_quote, 1_000_000 - 120);
    assert_eq!((a.open_orders, a.resting_buy_lots), (0, 0));
}

#[test]
fn seller_fees_and_buyer_fees_are_capped_by_what_escrow_reserved() {
    // Policy reserves 1% for buyers; the plugin asks 5% of both sides.
    let policy = MarketPolicy { maker_fee_bps: 100, taker_fee_bps: 100, ..Default::default() };
    let mut rules = Scripted { fees: Some(Fees { maker: 500, taker: 500 }), ..Default::default() };
    let mut w = World::new(policy, Some(binding(None)));
    w.limit(&mut rules, BOB, Side::Sell, 100, 100); // notional 10_000
    let out = w.limit(&mut rules, ALICE, Side::Buy, 100, 100);
    // Seller (maker) pays the asked 500; buyer (taker) is capped at 1% = 100.
    assert_eq!(trades(&out), vec![(500, 100)]);
    assert_eq!(w.engine.fee_sink(GOLD), 600);
    assert_eq!(w.engine.balance(BOB, GOLD), Some((1_000_000 + 10_000 - 500, 0)));
    assert_eq!(w.engine.balance(ALICE, GOLD), Some((1_000_000 - 10_100, 0)));
}

#[test]
fn listing_and_relist_fees_go_to_the_sink_and_need_funds() {
    let mut rules = Scripted { listing: Some(30), relist: Some(7), ..Default::default() };
    let mut w = World::new(MarketPolicy::default(), Some(binding(None)));
    let out = w.limit(&mut rules, ALICE, Side::Sell, 500, 10);
    let order = out.iter().find_map(|e| match e {
        Event::OrderAccepted { order, listing_fee, .. } => Some((*order, *listing_fee)),
        _ => None,
    });
    let (order, fee) = order.unwrap();
    assert_eq!(fee, 30);
    w.run(&mut rules, ALICE, Body::Modify { order, price: 450, quantity: 10 });
    assert_eq!(w.engine.fee_sink(GOLD), 37);
    assert_eq!(w.engine.balance(ALICE, GOLD), Some((1_000_000 - 37, 0)));
    // A relist fee larger than the available quote refuses the modification.
    rules.relist = Some(2_000_000);
    let out = w.run(&mut rules, ALICE, Body::Modify { order, price: 400, quantity: 10 });
    assert!(matches!(rejection(&out), Some((RejectReason::InsufficientFunds { .. }, _))));
}

#[test]
fn the_buy_window_is_kept_for_plugin_markets() {
    let mut rules = Scripted::default();
    let mut w = World::new(MarketPolicy::default(), Some(binding(Some(4 * 3_600_000))));
    w.limit(&mut rules, BOB, Side::Sell, 100, 50);
    w.limit(&mut rules, ALICE, Side::Buy, 100, 5);
    w.time += 1_000;
    w.limit(&mut rules, ALICE, Side::Buy, 100, 3);
    w.limit(&mut rules, ALICE, Side::Buy, 100, 1);
    let a = *rules.seen_accounts.last().unwrap();
    assert_eq!((a.bought_lots, a.window_start_ms), (8, Some(1_000)));
    w.time += 4 * 3_600_000;
    w.limit(&mut rules, ALICE, Side::Buy, 100, 1);
    let a = *rules.seen_accounts.last().unwrap();
    assert_eq!((a.bought_lots, a.window_start_ms), (0, None), "the window ran out");
}

#[test]
fn unanswered_calls_fall_back_to_the_native_policy() {
    let policy = MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, listing_fee: 3, ..Default::default() };
    let mut w = World::new(policy, Some(binding(None)));
    let mut native = NativeOnly;
    w.limit(&mut native, BOB, Side::Sell, 100, 100);
    let out = w.limit(&mut native, ALICE, Side::Buy, 100, 100);
    assert_eq!(trades(&out), vec![(10, 20)]);
    assert_eq!(w.engine.fee_sink(GOLD), 2 * 3 + 10 + 20, "two listings and one fill");
    assert!(w.journal.last().unwrap().2.iter().all(|d| *d == Decision::Native));
}

#[test]
fn unbound_markets_never_ask_the_rules() {
    let mut rules = Scripted { reject_above: Some(0), ..Default::default() };
    let mut w = World::new(MarketPolicy::default(), None);
    let out = w.limit(&mut rules, ALICE, Side::Buy, 100, 1);
    assert!(rejection(&out).is_none());
    assert!(rules.seen_accounts.is_empty());
    assert!(w.journal.iter().all(|(_, _, d)| d.is_empty()));
}

#[test]
fn replaying_recorded_decisions_reproduces_the_state() {
    let policy = MarketPolicy { maker_fee_bps: 50, taker_fee_bps: 50, ..Default::default() };
    let mut rules = Scripted { reject_above: Some(300), fees: Some(Fees { maker: 9, taker: 4 }), listing: Some(2), relist: Some(1), ..Default::default() };
    let mut w = World::new(policy, Some(binding(Some(60_000))));
    for i in 0..200u64 {
        w.time += 17;
        let side = if i % 3 == 0 { Side::Sell } else { Side::Buy };
        w.limit(&mut rules, if i % 2 == 0 { ALICE } else { BOB }, side, 90 + (i * 37) % 230, 1 + i % 7);
        if i % 50 == 25 {
            // The plugin changes its mind mid-way: replay must not depend on it.
            rules.fees = Some(Fees { maker: 1, taker: 1 });
        }
    }
    let replayed = w.replayed();
    assert_eq!(replayed.state_hash(), w.engine.state_hash());
    replayed.check_invariants().unwrap();
}

#[test]
#[should_panic(expected = "journal replay")]
fn replay_refuses_a_journal_without_the_decisions() {
    let mut rules = Scripted::default();
    let mut w = World::new(MarketPolicy::default(), Some(binding(None)));
    w.limit(&mut rules, ALICE, Side::Buy, 100, 1);
    w.journal.last_mut().unwrap().2.clear();
    let _ = w.replayed();
}
