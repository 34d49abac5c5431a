//! Small scenarios for the engine bugs and SEMANTICS.md gaps found by the differential tests
//! (see `tests/ENGINE_BUGS.md`), asserting the rules as SEMANTICS.md now states them. A new
//! open bug gets its repro here marked `#[ignore = "engine bug Bn ..."]` until it is fixed.

use entrepot_core::*;
use rust_decimal::Decimal;

const GOLD: AssetId = AssetId(1);
const CU: AssetId = AssetId(2);
const MKT: MarketId = MarketId(1);
const ALICE: AccountId = AccountId(1);
const BOB: AccountId = AccountId(2);

struct W {
    e: Engine,
    n: u64,
}

impl W {
    /// GOLD (2 decimals) / CU (0 decimals), tick 0.01 and lot 1: tick_value = lot_units = 1.
    fn new(policy: MarketPolicy) -> W {
        let mut w = W { e: Engine::new(EngineConfig::default()), n: 0 };
        w.ok(AccountId::ADMIN, Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
        w.ok(AccountId::ADMIN, Body::CreateAsset(AssetSpec { id: CU, symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }));
        let spec = MarketSpec { id: MKT, symbol: "CU/GOLD".into(), base: CU, quote: GOLD, tick: Decimal::new(1, 2), lot: Decimal::ONE };
        w.ok(AccountId::ADMIN, Body::CreateMarket { spec, policy });
        for a in [ALICE, BOB] {
            w.ok(AccountId::ADMIN, Body::OpenAccount { account: a });
            w.ok(AccountId::ADMIN, Body::Mint { account: a, asset: GOLD, amount: 1_000_000 });
            w.ok(AccountId::ADMIN, Body::Mint { account: a, asset: CU, amount: 1_000 });
        }
        w
    }

    fn run(&mut self, actor: AccountId, body: Body) -> Vec<Event> {
        self.n += 1;
        let mut out = Vec::new();
        self.e.apply(Ctx { seq: self.n, time: 1_000 + self.n }, &Command { actor, request: RequestId(self.n), body }, &mut out);
        out
    }

    fn ok(&mut self, actor: AccountId, body: Body) -> Vec<Event> {
        let out = self.run(actor, body);
        assert!(!out.iter().any(|e| matches!(e, Event::Rejected { .. })), "rejected: {out:?}");
        out
    }

    fn bid(&mut self, price: u64, quantity: u64) -> OrderId {
        let out = self.ok(
            ALICE,
            Body::Place(OrderRequest { market: MKT, side: Side::Buy, kind: OrderKind::Limit { price, quantity }, tif: TimeInForce::Gtc, post_only: false }),
        );
        out.iter().find_map(|e| if let Event::OrderAccepted { order, .. } = e { Some(*order) } else { None }).unwrap()
    }

    fn set_fees(&mut self, maker: u32, taker: u32) {
        let policy = MarketPolicy { maker_fee_bps: maker, taker_fee_bps: taker, ..Default::default() };
        self.ok(AccountId::ADMIN, Body::SetMarketPolicy { market: MKT, policy });
    }
}

fn fees(maker: u32, taker: u32) -> MarketPolicy {
    MarketPolicy { maker_fee_bps: maker, taker_fee_bps: taker, ..Default::default() }
}

fn ioc_sell(w: &mut W, price: u64, quantity: u64) -> Vec<Event> {
    w.run(BOB, Body::Place(OrderRequest { market: MKT, side: Side::Sell, kind: OrderKind::Limit { price, quantity }, tif: TimeInForce::Ioc, post_only: false }))
}

fn done_of(out: &[Event]) -> Vec<(OrderId, DoneReason)> {
    out.iter().filter_map(|e| if let Event::OrderDone { order, reason, .. } = e { Some((*order, *reason)) } else { None }).collect()
}

/// Sum of gold over both players and the fee sink, in u128 so a wrapped balance shows.
fn gold_total(w: &W) -> u128 {
    let players: u128 = [ALICE, BOB].iter().map(|a| w.e.balance(*a, GOLD).map_or(0, |(x, y)| u128::from(x) + u128::from(y))).sum();
    players + u128::from(w.e.fee_sink(GOLD))
}

/// B1/B2: a fee cut re-escrows resting bids, returning the surplus at once (it used to stay
/// locked, and `check_invariants` rejected it).
#[test]
fn fee_cut_returns_the_bid_surplus() {
    let mut w = W::new(fees(100, 100));
    let id = w.bid(1_000, 10); // escrow 10_000 + 100
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 10_100, 10_100)));
    w.set_fees(0, 0);
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 10_000, 10_000)));
    w.e.check_invariants().unwrap();
    w.ok(ALICE, Body::Modify { order: id, price: 1_000, quantity: 10 });
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 10_000, 10_000)));
}

/// G1: a fee raise locks the bid's shortfall from available...
#[test]
fn fee_raise_locks_the_shortfall() {
    let mut w = W::new(fees(0, 0));
    w.bid(1_000, 10); // escrow exactly 10_000
    w.set_fees(100, 100);
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 10_100, 10_100)));
    let out = ioc_sell(&mut w, 1_000, 10);
    assert_eq!(done_of(&out).len(), 2, "both filled: {out:?}");
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 10_100, 0)), "paid notional + 1% maker fee");
    assert_eq!(gold_total(&w), 2_000_000);
    w.e.check_invariants().unwrap();
}

/// ... and cancels the bid when the owner cannot cover it (the engine used to underflow here
/// and, in release, wrap Alice's available to ~1.8e19).
#[test]
fn fee_raise_cancels_a_bid_its_owner_cannot_cover() {
    let mut w = W::new(fees(0, 0));
    let id = w.bid(1_000, 10);
    w.ok(AccountId::ADMIN, Body::Burn { account: ALICE, asset: GOLD, amount: 990_000 });
    let out = w.ok(AccountId::ADMIN, Body::SetMarketPolicy { market: MKT, policy: fees(100, 100) });
    assert_eq!(done_of(&out), vec![(id, DoneReason::Cancelled)]);
    assert_eq!(w.e.balance(ALICE, GOLD), Some((10_000, 0)));
    assert!(done_of(&ioc_sell(&mut w, 1_000, 10)).iter().all(|d| d.0 != id));
    assert_eq!(gold_total(&w), 1_010_000);
    w.e.check_invariants().unwrap();
}

/// G1, modify flavour: after a fee raise a same-price reduction never needs more escrow.
#[test]
fn fee_raise_then_reduce_in_place() {
    let mut w = W::new(fees(0, 0));
    let id = w.bid(1_000, 10);
    w.set_fees(0, 10_000); // required(1000, 10) = 20_000
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 20_000, 20_000)));
    w.ok(ALICE, Body::Modify { order: id, price: 1_000, quantity: 9 });
    assert_eq!(w.e.balance(ALICE, GOLD), Some((1_000_000 - 18_000, 18_000)));
    w.e.check_invariants().unwrap();
}

fn own_ask_then_budget_buy(stp: SelfTradePrevention, buy_limit: Option<BuyLimit>, budget: u64) -> (OrderId, Vec<Event>) {
    let mut w = W::new(MarketPolicy { buy_limit, self_trade: stp, ..Default::default() });
    let own = w.ok(
        ALICE,
        Body::Place(OrderRequest {
            market: MKT,
            side: Side::Sell,
            kind: OrderKind::Limit { price: 1_010, quantity: 5 },
            tif: TimeInForce::Gtc,
            post_only: false,
        }),
    );
    let own = own.iter().find_map(|e| if let Event::OrderAccepted { order, .. } = e { Some(*order) } else { None }).unwrap();
    w.ok(
        BOB,
        Body::Place(OrderRequest {
            market: MKT,
            side: Side::Sell,
            kind: OrderKind::Limit { price: 1_000, quantity: 10 },
            tif: TimeInForce::Gtc,
            post_only: false,
        }),
    );
    let out = w.ok(
        ALICE,
        Body::Place(OrderRequest {
            market: MKT,
            side: Side::Buy,
            kind: OrderKind::Market(MarketSize::Budget(budget)),
            tif: TimeInForce::Ioc,
            post_only: false,
        }),
    );
    w.e.check_invariants().unwrap();
    (own, out)
}

/// B3: a budget buy out of buy-limit allowance stops before self-trade prevention: Alice's
/// own ask stays and the order ends Filled.
#[test]
fn budget_out_of_allowance_stops_before_self_trade_prevention() {
    for stp in [SelfTradePrevention::CancelNewest, SelfTradePrevention::CancelOldest, SelfTradePrevention::CancelBoth] {
        let (own, out) = own_ask_then_budget_buy(stp, Some(BuyLimit { quantity: 10, window_ms: 60_000 }), 100_000);
        let done = done_of(&out);
        assert!(done.iter().all(|d| d.0 != own), "{stp:?}: own ask untouched: {out:?}");
        assert_eq!(done.last().map(|d| d.1), Some(DoneReason::Filled), "{stp:?}");
    }
}

/// A1: likewise a budget buy that cannot afford one more lot (10 lots at 1000 cost 10_000;
/// 10_500 cannot buy a lot at 1010).
#[test]
fn budget_out_of_money_stops_before_self_trade_prevention() {
    for stp in [SelfTradePrevention::CancelNewest, SelfTradePrevention::CancelOldest, SelfTradePrevention::CancelBoth] {
        let (own, out) = own_ask_then_budget_buy(stp, None, 10_500);
        let done = done_of(&out);
        assert!(done.iter().all(|d| d.0 != own), "{stp:?}: own ask untouched: {out:?}");
        assert_eq!(done.last().map(|d| d.1), Some(DoneReason::Filled), "{stp:?}");
    }
}

/// B4: mint/burn cycles may mint more than u64::MAX in total (only the supply is bounded).
#[test]
fn mint_burn_cycles_beyond_u64() {
    let mut w = W::new(MarketPolicy::default());
    // The supply stays within MAX_SUPPLY; totals over many cycles pass u64::MAX.
    let big = MAX_SUPPLY - 2_000_000;
    w.run(AccountId::ADMIN, Body::Mint { account: BOB, asset: GOLD, amount: u64::MAX - 2_000_000 });
    assert_eq!(w.e.balance(BOB, GOLD), Some((1_000_000, 0)), "past MAX_SUPPLY: refused");
    for _ in 0..40 {
        w.ok(AccountId::ADMIN, Body::Mint { account: BOB, asset: GOLD, amount: big });
        w.ok(AccountId::ADMIN, Body::Burn { account: BOB, asset: GOLD, amount: big });
    }
    assert_eq!(w.e.balance(BOB, GOLD), Some((1_000_000, 0)));
    w.e.check_invariants().unwrap();
}
