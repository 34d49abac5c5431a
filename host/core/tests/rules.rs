//! Rule-by-rule tests of the engine: one small scenario per order type, time in force,
//! modify rule, fee and limit (see SEMANTICS.md). Every command also checks the invariants.

use entrepot_core::*;
use rstest::rstest;
use rust_decimal::Decimal;

const GOLD: AssetId = AssetId(1);
const CU: AssetId = AssetId(2);
const MKT: MarketId = MarketId(1);
const ALICE: AccountId = AccountId(1);
const BOB: AccountId = AccountId(2);
const CAROL: AccountId = AccountId(3);

struct World {
    engine: Engine,
    seq: u64,
    time: u64,
    request: u64,
}

impl World {
    /// Gold (2 decimals) and copper (0 decimals); CU/GOLD with tick 0.01 and lot 1, so a
    /// price in ticks is a price in gold cents and one lot is one copper.
    fn new(policy: MarketPolicy) -> World {
        let mut w = World { engine: Engine::default(), seq: 0, time: 1_000, request: 0 };
        w.admin(Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
        w.admin(Body::CreateAsset(AssetSpec { id: CU, symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }));
        let spec = MarketSpec { id: MKT, symbol: "CU/GOLD".into(), base: CU, quote: GOLD, tick: Decimal::new(1, 2), lot: Decimal::ONE };
        w.admin(Body::CreateMarket { spec, policy });
        for acc in [ALICE, BOB, CAROL] {
            w.admin(Body::OpenAccount { account: acc });
            w.admin(Body::Mint { account: acc, asset: GOLD, amount: 1_000_000 });
            w.admin(Body::Mint { account: acc, asset: CU, amount: 1_000 });
        }
        w
    }

    fn run(&mut self, actor: AccountId, body: Body) -> Vec<Event> {
        self.request += 1;
        self.seq += 1;
        let cmd = Command { actor, request: RequestId(self.request), body };
        let mut out = Vec::new();
        self.engine.apply(Ctx { seq: self.seq, time: self.time }, &cmd, &mut out);
        self.engine.check_invariants().unwrap();
        out
    }

    fn admin(&mut self, body: Body) -> Vec<Event> {
        let out = self.run(AccountId::ADMIN, body);
        assert!(rejection(&out).is_none(), "admin command rejected: {out:?}");
        out
    }

    fn order(&mut self, actor: AccountId, side: Side, kind: OrderKind, tif: TimeInForce) -> Vec<Event> {
        self.run(actor, Body::Place(OrderRequest { market: MKT, side, kind, tif, post_only: false }))
    }

    fn limit(&mut self, actor: AccountId, side: Side, price: u64, quantity: u64) -> OrderId {
        let out = self.order(actor, side, OrderKind::Limit { price, quantity }, TimeInForce::Gtc);
        accepted(&out).unwrap_or_else(|| panic!("not accepted: {out:?}"))
    }

    fn gold(&self, acc: AccountId) -> (u64, u64) {
        self.engine.balance(acc, GOLD).unwrap()
    }

    fn cu(&self, acc: AccountId) -> (u64, u64) {
        self.engine.balance(acc, CU).unwrap()
    }
}

fn accepted(out: &[Event]) -> Option<OrderId> {
    out.iter().find_map(|e| match e {
        Event::OrderAccepted { order, .. } => Some(*order),
        _ => None,
    })
}

fn rejection(out: &[Event]) -> Option<RejectReason> {
    out.iter().find_map(|e| match e {
        Event::Rejected { reason, .. } => Some(*reason),
        _ => None,
    })
}

fn trades(out: &[Event]) -> Vec<(u64, u64, u64, u64)> {
    out.iter()
        .filter_map(|e| match e {
            Event::Trade { price, quantity, maker_fee, taker_fee, .. } => Some((*price, *quantity, *maker_fee, *taker_fee)),
            _ => None,
        })
        .collect()
}

fn done(out: &[Event]) -> Vec<(OrderId, DoneReason, u64, u64)> {
    out.iter()
        .filter_map(|e| match e {
            Event::OrderDone { order, reason, filled, released, .. } => Some((*order, *reason, *filled, *released)),
            _ => None,
        })
        .collect()
}

fn fees(maker: u32, taker: u32) -> MarketPolicy {
    MarketPolicy { maker_fee_bps: maker, taker_fee_bps: taker, ..Default::default() }
}

#[test]
fn resting_orders_escrow_funds_and_items() {
    let mut w = World::new(fees(10, 20));
    w.limit(ALICE, Side::Buy, 1_000, 10); // 10 copper at 10.00 gold
                                          // 10 × 1000 cents = 10000, plus the higher fee rate (20 bps) = 20.
    assert_eq!(w.gold(ALICE), (1_000_000 - 10_020, 10_020));
    w.limit(BOB, Side::Sell, 1_100, 7);
    assert_eq!(w.cu(BOB), (993, 7));
    assert_eq!(w.engine.depth(MKT, Side::Buy), vec![(1_000, 10)]);
    assert_eq!(w.engine.depth(MKT, Side::Sell), vec![(1_100, 7)]);
}

#[test]
fn trades_execute_at_the_resting_price_and_refund_the_improvement() {
    let mut w = World::new(fees(10, 20));
    w.limit(BOB, Side::Sell, 1_000, 5);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_200, quantity: 5 }, TimeInForce::Gtc);
    // notional 5000: maker fee 5 (10 bps), taker fee 10 (20 bps)
    assert_eq!(trades(&out), vec![(1_000, 5, 5, 10)]);
    assert_eq!(w.gold(ALICE), (1_000_000 - 5_010, 0));
    assert_eq!(w.cu(ALICE), (1_005, 0));
    assert_eq!(w.gold(BOB), (1_000_000 + 4_995, 0));
    assert_eq!(w.cu(BOB), (995, 0));
    assert_eq!(w.engine.fee_sink(GOLD), 15);
    assert!(matches!(done(&out)[..], [(_, DoneReason::Filled, 5, 0), (_, DoneReason::Filled, 5, 0)]));
}

#[test]
fn price_time_priority() {
    let mut w = World::new(MarketPolicy::default());
    let first = w.limit(BOB, Side::Sell, 1_000, 2);
    let second = w.limit(CAROL, Side::Sell, 1_000, 2);
    let better = w.limit(CAROL, Side::Sell, 990, 1);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 4 }, TimeInForce::Ioc);
    let makers: Vec<OrderId> = out
        .iter()
        .filter_map(|e| match e {
            Event::Trade { maker_order, .. } => Some(*maker_order),
            _ => None,
        })
        .collect();
    assert_eq!(makers, vec![better, first, second]);
    assert_eq!(w.engine.depth(MKT, Side::Sell), vec![(1_000, 1)]);
}

#[rstest]
#[case::gtc(TimeInForce::Gtc, None, Some(2))]
#[case::ioc(TimeInForce::Ioc, Some(DoneReason::Unfilled), None)]
#[case::gtd(TimeInForce::Gtd(60_000), None, Some(2))]
fn time_in_force_of_a_partly_filled_bid(#[case] tif: TimeInForce, #[case] taker_done: Option<DoneReason>, #[case] rests: Option<u64>) {
    let mut w = World::new(MarketPolicy::default());
    w.limit(BOB, Side::Sell, 1_000, 3);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 5 }, tif);
    assert_eq!(trades(&out).len(), 1);
    let taker = accepted(&out).unwrap();
    assert_eq!(done(&out).iter().find(|d| d.0 == taker).map(|d| d.1), taker_done);
    assert_eq!(w.engine.depth(MKT, Side::Buy).first().map(|l| l.1), rests);
    let locked = rests.map_or(0, |q| q * 1_000);
    assert_eq!(w.gold(ALICE).1, locked);
}

#[test]
fn fill_or_kill_is_all_or_nothing() {
    let mut w = World::new(MarketPolicy::default());
    w.limit(BOB, Side::Sell, 1_000, 3);
    w.limit(BOB, Side::Sell, 1_100, 3);
    let before = w.engine.state_hash();
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 4 }, TimeInForce::Fok);
    assert_eq!(rejection(&out), Some(RejectReason::FillOrKillUnfilled));
    let w_hash = w.engine.state_hash();
    assert_eq!(before, w_hash, "a rejected FOK changes nothing");
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_100, quantity: 4 }, TimeInForce::Fok);
    assert_eq!(trades(&out), vec![(1_000, 3, 0, 0), (1_100, 1, 0, 0)]);
}

#[test]
fn good_till_date_expires_when_time_passes() {
    let mut w = World::new(MarketPolicy::default());
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 900, quantity: 4 }, TimeInForce::Gtd(5_000));
    let id = accepted(&out).unwrap();
    w.time = 4_999;
    assert!(done(&w.run(ALICE, Body::Tick)).is_empty());
    w.time = 5_000;
    let out = w.run(ALICE, Body::Tick);
    assert_eq!(done(&out), vec![(id, DoneReason::Expired, 0, 4)]);
    assert_eq!(w.gold(ALICE), (1_000_000, 0));
    assert!(w.engine.depth(MKT, Side::Buy).is_empty());
    let past = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 900, quantity: 1 }, TimeInForce::Gtd(5_000));
    assert_eq!(rejection(&past), Some(RejectReason::ExpiryInPast));
}

#[test]
fn post_only_never_takes() {
    let mut w = World::new(MarketPolicy::default());
    w.limit(BOB, Side::Sell, 1_000, 3);
    let req = |price| OrderRequest { market: MKT, side: Side::Buy, kind: OrderKind::Limit { price, quantity: 1 }, tif: TimeInForce::Gtc, post_only: true };
    assert_eq!(rejection(&w.run(ALICE, Body::Place(req(1_000)))), Some(RejectReason::PostOnlyWouldTrade));
    assert!(accepted(&w.run(ALICE, Body::Place(req(999)))).is_some());
}

#[test]
fn market_buy_by_quantity_escrows_the_walk_and_cancels_the_rest() {
    let mut w = World::new(fees(0, 100)); // 1% taker
    w.limit(BOB, Side::Sell, 1_000, 2);
    w.limit(BOB, Side::Sell, 1_500, 2);
    let out = w.order(ALICE, Side::Buy, OrderKind::Market(MarketSize::Quantity(5)), TimeInForce::Ioc);
    // Walk: 2 × 1000 + 20 fee, 2 × 1500 + 30 fee = 5050 escrowed.
    assert!(matches!(out[0], Event::OrderAccepted { escrow: 5_050, .. }));
    assert_eq!(trades(&out), vec![(1_000, 2, 0, 20), (1_500, 2, 0, 30)]);
    let taker = accepted(&out).unwrap();
    assert_eq!(done(&out).last(), Some(&(taker, DoneReason::Unfilled, 4, 1)));
    assert_eq!(w.gold(ALICE), (1_000_000 - 5_050, 0));
}

#[test]
fn market_buy_by_budget_spends_at_most_the_budget() {
    let mut w = World::new(fees(0, 100));
    w.limit(BOB, Side::Sell, 1_000, 2);
    w.limit(BOB, Side::Sell, 1_500, 5);
    let out = w.order(ALICE, Side::Buy, OrderKind::Market(MarketSize::Budget(4_000)), TimeInForce::Ioc);
    // 2 at 10.00 cost 2020; one more at 15.00 costs 1515 (3535); a second would exceed.
    assert_eq!(trades(&out), vec![(1_000, 2, 0, 20), (1_500, 1, 0, 15)]);
    assert_eq!(w.gold(ALICE), (1_000_000 - 3_535, 0));
    let sell_budget = w.order(ALICE, Side::Sell, OrderKind::Market(MarketSize::Budget(10)), TimeInForce::Ioc);
    assert_eq!(rejection(&sell_budget), Some(RejectReason::BudgetOnlyForBuys));
}

#[test]
fn market_sell_takes_the_best_bids() {
    let mut w = World::new(MarketPolicy::default());
    w.limit(ALICE, Side::Buy, 1_000, 2);
    w.limit(ALICE, Side::Buy, 900, 2);
    let out = w.order(BOB, Side::Sell, OrderKind::Market(MarketSize::Quantity(3)), TimeInForce::Ioc);
    assert_eq!(trades(&out), vec![(1_000, 2, 0, 0), (900, 1, 0, 0)]);
    assert_eq!(w.gold(BOB).0, 1_000_000 + 2_900);
    let gtc = w.order(BOB, Side::Sell, OrderKind::Market(MarketSize::Quantity(1)), TimeInForce::Gtc);
    assert_eq!(rejection(&gtc), Some(RejectReason::InvalidMarketOrder));
}

#[rstest]
#[case::reduce_keeps_priority(1_000, 1, true)]
#[case::same_quantity_keeps_priority(1_000, 3, true)]
#[case::larger_quantity_loses_it(1_000, 4, false)]
#[case::new_price_loses_it(1_001, 3, false)]
fn modify_and_time_priority(#[case] price: u64, #[case] quantity: u64, #[case] kept: bool) {
    let mut w = World::new(MarketPolicy::default());
    let first = w.limit(ALICE, Side::Sell, 1_000, 3);
    let second = w.limit(CAROL, Side::Sell, 1_000, 3);
    let out = w.run(ALICE, Body::Modify { order: first, price, quantity });
    assert!(matches!(out[0], Event::OrderModified { kept_priority, .. } if kept_priority == kept), "{out:?}");
    assert_eq!(w.cu(ALICE), (1_000 - quantity, quantity), "ask escrow follows the quantity");
    // Lift the best-priced lot: who is first in line?
    let out = w.order(BOB, Side::Buy, OrderKind::Limit { price: 1_001, quantity: 1 }, TimeInForce::Ioc);
    let maker = out.iter().find_map(|e| match e {
        Event::Trade { maker_order, .. } => Some(*maker_order),
        _ => None,
    });
    assert_eq!(maker, Some(if kept { first } else { second }));
}

#[test]
fn modify_of_a_bid_re_escrows_and_can_trade() {
    let mut w = World::new(fees(0, 0));
    let bid = w.limit(ALICE, Side::Buy, 900, 5);
    w.limit(BOB, Side::Sell, 1_000, 2);
    let out = w.run(ALICE, Body::Modify { order: bid, price: 1_000, quantity: 5 });
    assert_eq!(trades(&out), vec![(1_000, 2, 0, 0)]);
    assert_eq!(w.gold(ALICE), (1_000_000 - 5_000, 3_000));
    let other = w.run(BOB, Body::Modify { order: bid, price: 1, quantity: 1 });
    // Another account's order is answered like one that does not exist.
    assert_eq!(rejection(&other), Some(RejectReason::UnknownOrder));
    let cancel = w.run(BOB, Body::Cancel { order: bid });
    let unknown = w.run(BOB, Body::Cancel { order: OrderId(999_999) });
    assert_eq!(rejection(&cancel), Some(RejectReason::UnknownOrder));
    assert_eq!(rejection(&cancel), rejection(&unknown));
}

#[test]
fn cancels_release_everything() {
    let mut w = World::new(fees(10, 10));
    let a = w.limit(ALICE, Side::Buy, 1_000, 5);
    w.limit(ALICE, Side::Sell, 2_000, 5);
    w.limit(BOB, Side::Sell, 2_100, 5);
    let out = w.run(ALICE, Body::Cancel { order: a });
    assert_eq!(done(&out), vec![(a, DoneReason::Cancelled, 0, 5)]);
    assert_eq!(w.gold(ALICE), (1_000_000, 0));
    let out = w.run(BOB, Body::Cancel { order: a });
    assert_eq!(rejection(&out), Some(RejectReason::UnknownOrder));
    // mass cancel by account
    let out = w.run(ALICE, Body::CancelAll { market: None });
    assert_eq!(done(&out).len(), 1);
    assert_eq!(w.cu(ALICE), (1_000, 0));
    // mass cancel by market
    w.limit(CAROL, Side::Buy, 1_000, 1);
    let out = w.run(AccountId::ADMIN, Body::CancelMarket { market: MKT });
    assert_eq!(done(&out).len(), 2);
    assert_eq!(w.engine.resting_orders(), 0);
}

#[rstest]
#[case::cancel_newest(SelfTradePrevention::CancelNewest, vec![(1_000, 2)], 1, false)]
#[case::cancel_oldest(SelfTradePrevention::CancelOldest, vec![], 1, true)]
#[case::cancel_both(SelfTradePrevention::CancelBoth, vec![(1_000, 1)], 2, false)]
fn self_trade_prevention(#[case] mode: SelfTradePrevention, #[case] asks_left: Vec<(u64, u64)>, #[case] self_trade_dones: usize, #[case] traded: bool) {
    let mut w = World::new(MarketPolicy { self_trade: mode, ..Default::default() });
    w.limit(ALICE, Side::Sell, 1_000, 1); // Alice's own ask is first in line
    w.limit(CAROL, Side::Sell, 1_000, 1);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 1 }, TimeInForce::Ioc);
    assert_eq!(done(&out).iter().filter(|d| d.1 == DoneReason::SelfTrade).count(), self_trade_dones);
    assert_eq!(!trades(&out).is_empty(), traded);
    assert_eq!(w.engine.depth(MKT, Side::Sell), asks_left);
}

#[test]
fn listing_fee_goes_to_the_sink_for_resting_orders_only() {
    let mut w = World::new(MarketPolicy { listing_fee: 50, ..Default::default() });
    let out = w.order(ALICE, Side::Sell, OrderKind::Limit { price: 1_000, quantity: 1 }, TimeInForce::Gtc);
    assert!(matches!(out[0], Event::OrderAccepted { listing_fee: 50, .. }));
    let ioc = w.order(BOB, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 1 }, TimeInForce::Ioc);
    assert!(matches!(ioc[0], Event::OrderAccepted { listing_fee: 0, .. }));
    assert_eq!(w.engine.fee_sink(GOLD), 50);
}

#[rstest]
#[case::maker_only(25, 0, 25, 0)]
#[case::taker_only(0, 25, 0, 25)]
#[case::both(10, 30, 10, 30)]
#[case::rounding_down(3, 7, 3, 7)]
fn fees_in_basis_points(#[case] maker: u32, #[case] taker: u32, #[case] maker_fee: u64, #[case] taker_fee: u64) {
    let mut w = World::new(fees(maker, taker));
    w.limit(BOB, Side::Sell, 1_000, 10); // notional 10000 → fee = bps exactly
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 10 }, TimeInForce::Ioc);
    assert_eq!(trades(&out), vec![(1_000, 10, maker_fee, taker_fee)]);
    assert_eq!(w.engine.fee_sink(GOLD), maker_fee + taker_fee);
    assert_eq!(w.gold(BOB).0, 1_000_000 + 10_000 - maker_fee);
    // A one-cent trade rounds both fees down to zero.
    w.limit(BOB, Side::Sell, 1, 1);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1, quantity: 1 }, TimeInForce::Ioc);
    assert_eq!(trades(&out), vec![(1, 1, 0, 0)]);
}

#[test]
fn order_slots_limit_resting_orders() {
    let mut w = World::new(MarketPolicy { max_open_orders: 2, ..Default::default() });
    let a = w.limit(ALICE, Side::Buy, 900, 1);
    w.limit(ALICE, Side::Buy, 901, 1);
    let full = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 902, quantity: 1 }, TimeInForce::Gtc);
    assert_eq!(rejection(&full), Some(RejectReason::OrderSlotsFull { max: 2 }));
    // IOC orders never rest, so they need no slot.
    let ioc = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 902, quantity: 1 }, TimeInForce::Ioc);
    assert!(accepted(&ioc).is_some());
    w.run(ALICE, Body::Cancel { order: a });
    w.limit(ALICE, Side::Buy, 902, 1);
}

#[test]
fn buy_limit_over_a_game_time_window() {
    let policy = MarketPolicy { buy_limit: Some(BuyLimit { quantity: 10, window_ms: 4 * 3600 * 1000 }), ..Default::default() };
    let mut w = World::new(policy);
    w.limit(BOB, Side::Sell, 1_000, 100);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 8 }, TimeInForce::Ioc);
    assert_eq!(trades(&out).len(), 1);
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 3 }, TimeInForce::Ioc);
    assert_eq!(rejection(&out), Some(RejectReason::BuyLimitReached { remaining: 2 }));
    // Resting bids count against the allowance too.
    w.limit(ALICE, Side::Buy, 900, 2);
    let out = w.order(ALICE, Side::Buy, OrderKind::Market(MarketSize::Budget(100_000)), TimeInForce::Ioc);
    assert_eq!(rejection(&out), Some(RejectReason::BuyLimitReached { remaining: 0 }));
    // Four hours after the first purchase the window is over.
    w.time += 4 * 3600 * 1000;
    let out = w.order(ALICE, Side::Buy, OrderKind::Market(MarketSize::Budget(100_000)), TimeInForce::Ioc);
    assert_eq!(trades(&out), vec![(1_000, 8, 0, 0)], "budget capped by the allowance (10 - 2 resting)");
}

#[test]
fn repeated_request_ids_return_the_first_outcome() {
    let mut w = World::new(MarketPolicy::default());
    let cmd = Command {
        actor: ALICE,
        request: RequestId(777),
        body: Body::Place(OrderRequest {
            market: MKT,
            side: Side::Buy,
            kind: OrderKind::Limit { price: 1_000, quantity: 1 },
            tif: TimeInForce::Gtc,
            post_only: false,
        }),
    };
    let mut first = Vec::new();
    w.engine.apply(Ctx { seq: 100, time: 2_000 }, &cmd, &mut first);
    let id = accepted(&first).unwrap();
    let hash = w.engine.state_hash();
    let mut again = Vec::new();
    w.engine.apply(Ctx { seq: 101, time: 2_000 }, &cmd, &mut again);
    assert_eq!(again, vec![Event::Duplicate { account: ALICE, request: RequestId(777), outcome: Outcome::Accepted { order: id } }]);
    assert_eq!(w.engine.state_hash(), hash);
    // The same id from another account is a different request.
    let mut other = Vec::new();
    w.engine.apply(Ctx { seq: 102, time: 2_000 }, &Command { actor: BOB, ..cmd.clone() }, &mut other);
    assert!(accepted(&other).is_some());
}

#[rstest]
#[case::unknown_market(Body::Place(OrderRequest { market: MarketId(9), side: Side::Buy, kind: OrderKind::Limit { price: 1, quantity: 1 }, tif: TimeInForce::Gtc, post_only: false }), RejectReason::UnknownMarket)]
#[case::insufficient_funds(Body::Place(OrderRequest { market: MKT, side: Side::Buy, kind: OrderKind::Limit { price: 100_000, quantity: 11 }, tif: TimeInForce::Gtc, post_only: false }), RejectReason::InsufficientFunds { asset: GOLD, needed: 1_100_000, available: 1_000_000 })]
#[case::insufficient_items(Body::Place(OrderRequest { market: MKT, side: Side::Sell, kind: OrderKind::Limit { price: 1, quantity: 1_001 }, tif: TimeInForce::Gtc, post_only: false }), RejectReason::InsufficientFunds { asset: CU, needed: 1_001, available: 1_000 })]
#[case::zero_price(Body::Place(OrderRequest { market: MKT, side: Side::Buy, kind: OrderKind::Limit { price: 0, quantity: 1 }, tif: TimeInForce::Gtc, post_only: false }), RejectReason::PriceOutOfRange { max: MarketPolicy::default().max_price })]
#[case::too_small(Body::Place(OrderRequest { market: MKT, side: Side::Buy, kind: OrderKind::Limit { price: 1, quantity: 0 }, tif: TimeInForce::Gtc, post_only: false }), RejectReason::QuantityOutOfRange { min: 1, max: MarketPolicy::default().max_quantity })]
#[case::unknown_order(Body::Cancel { order: OrderId(12345) }, RejectReason::UnknownOrder)]
fn bad_commands_are_rejected_and_change_nothing(#[case] body: Body, #[case] reason: RejectReason) {
    let mut w = World::new(MarketPolicy::default());
    let hash = w.engine.state_hash();
    let out = w.run(ALICE, body);
    assert_eq!(rejection(&out), Some(reason));
    assert_eq!(out.len(), 1, "a rejection is the only event");
    assert_eq!(w.engine.state_hash(), hash);
}

#[test]
fn halted_markets_refuse_orders_but_allow_cancels_and_closing_cancels_everything() {
    let mut w = World::new(MarketPolicy::default());
    let id = w.limit(ALICE, Side::Buy, 1_000, 1);
    w.limit(BOB, Side::Sell, 1_100, 1);
    w.admin(Body::SetMarketStatus { market: MKT, status: MarketStatus::Halted });
    let out = w.order(CAROL, Side::Buy, OrderKind::Limit { price: 1_100, quantity: 1 }, TimeInForce::Gtc);
    assert_eq!(rejection(&out), Some(RejectReason::MarketHalted));
    assert_eq!(done(&w.run(ALICE, Body::Cancel { order: id })).len(), 1);
    let out = w.admin(Body::SetMarketStatus { market: MKT, status: MarketStatus::Closed });
    assert_eq!(done(&out).len(), 1);
    assert_eq!(w.cu(BOB), (1_000, 0));
    let out = w.run(AccountId::ADMIN, Body::SetMarketStatus { market: MKT, status: MarketStatus::Open });
    assert_eq!(rejection(&out), Some(RejectReason::MarketClosed));
}

#[test]
fn decimals_off_the_tick_or_lot_are_rejected_not_rounded() {
    let w = World::new(MarketPolicy::default());
    let units = w.engine.market_units(MKT).unwrap();
    assert_eq!(units.price_to_ticks("12.34".parse().unwrap()), Ok(1_234));
    assert_eq!(units.price_to_ticks("12.345".parse().unwrap()), Err(RejectReason::PriceNotOnTick));
    assert_eq!(units.quantity_to_lots("1.5".parse().unwrap()), Err(RejectReason::QuantityNotOnLot));
}

#[test]
fn events_report_balances_and_book_levels_with_sequence_numbers() {
    let mut w = World::new(MarketPolicy::default());
    let out = w.order(ALICE, Side::Buy, OrderKind::Limit { price: 1_000, quantity: 2 }, TimeInForce::Gtc);
    assert!(out.contains(&Event::Balance { account: ALICE, asset: GOLD, available: 998_000, locked: 2_000 }));
    let level = |out: &[Event]| {
        out.iter().find_map(|e| match e {
            Event::BookLevel { quantity, seq, .. } => Some((*quantity, *seq)),
            _ => None,
        })
    };
    assert_eq!(level(&out), Some((2, 1)));
    let out = w.order(BOB, Side::Sell, OrderKind::Limit { price: 1_000, quantity: 2 }, TimeInForce::Gtc);
    assert_eq!(level(&out), Some((0, 2)));
}

#[test]
fn the_same_commands_give_the_same_state_hash() {
    let play = || {
        let mut w = World::new(fees(5, 10));
        w.limit(ALICE, Side::Buy, 1_000, 5);
        w.limit(BOB, Side::Sell, 990, 3);
        w.limit(CAROL, Side::Sell, 1_010, 4);
        w.engine.state_hash()
    };
    assert_eq!(play(), play());
    let mut w = World::new(fees(5, 10));
    w.limit(ALICE, Side::Buy, 1_000, 6);
    assert_ne!(play(), w.engine.state_hash());
}

#[test]
fn fee_changes_re_escrow_resting_bids() {
    let mut w = World::new(fees(100, 100));
    w.limit(ALICE, Side::Buy, 1_000, 10); // 10_000 + 1% = 10_100 locked
    let poor = w.limit(BOB, Side::Buy, 1_000, 10);
    w.admin(Body::Burn { account: BOB, asset: GOLD, amount: 1_000_000 - 10_100 });
    // A fee cut returns the surplus...
    w.admin(Body::SetMarketPolicy { market: MKT, policy: fees(0, 0) });
    assert_eq!(w.gold(ALICE), (1_000_000 - 10_000, 10_000));
    assert_eq!(w.gold(BOB), (100, 10_000));
    // ...a raise locks more, and cancels the bid of whoever cannot cover it.
    let out = w.admin(Body::SetMarketPolicy { market: MKT, policy: fees(0, 500) });
    assert_eq!(w.gold(ALICE), (1_000_000 - 10_500, 10_500));
    assert_eq!(done(&out), vec![(poor, DoneReason::Cancelled, 0, 10)]);
    assert_eq!(w.gold(BOB), (10_100, 0));
}

/// The per-account order index: an account's open orders come in id order, page by page,
/// without the other accounts' orders, through fills, cancels and a snapshot round trip
/// (the index is rebuilt, not stored); `check_invariants` (run after every command) checks
/// it against the books.
#[test]
fn open_orders_come_from_the_per_account_index_in_pages() {
    let mut w = World::new(fees(0, 0));
    let mut alice = Vec::new();
    for i in 0..40 {
        alice.push(w.limit(ALICE, Side::Buy, 100 + i, 2));
        w.limit(BOB, Side::Buy, 100 + i, 1);
        w.limit(CAROL, Side::Sell, 1_000 + i, 1);
    }
    // A sell at 139 fills the best bids by price then time: alice's 2 lots at 139 first.
    w.order(CAROL, Side::Sell, OrderKind::Limit { price: 139, quantity: 2 }, TimeInForce::Ioc);
    let filled = alice.pop().unwrap();
    assert!(w.engine.order(filled).is_none(), "a filled maker leaves the index");
    // Cancel every third of alice's orders.
    for id in alice.iter().step_by(3) {
        let out = w.run(ALICE, Body::Cancel { order: *id });
        assert!(rejection(&out).is_none(), "{out:?}");
    }
    let expected: Vec<OrderId> = alice.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, id)| *id).collect();

    let walk = |e: &Engine| {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = e.open_orders_after(ALICE, after, 7);
            assert!(page.len() <= 7);
            assert!(page.iter().all(|o| o.account == ALICE));
            let Some(last) = page.last() else { break };
            after = Some(last.order);
            seen.extend(page.iter().map(|o| o.order));
        }
        seen
    };
    assert_eq!(walk(&w.engine), expected);
    assert_eq!(w.engine.open_orders(ALICE).iter().map(|o| o.order).collect::<Vec<_>>(), expected);
    assert_eq!(w.engine.open_orders(BOB).len(), 40);

    let restored = Engine::from_snapshot(w.engine.snapshot());
    restored.check_invariants().unwrap();
    assert_eq!(walk(&restored), expected);
    assert_eq!(restored.state_hash(), w.engine.state_hash());

    // Mass cancel of one account goes through the same index and leaves the others alone.
    w.run(ALICE, Body::CancelAll { market: None });
    assert!(w.engine.open_orders(ALICE).is_empty());
    assert_eq!(w.engine.open_orders(BOB).len(), 40);
    assert_eq!(w.engine.open_orders(CAROL).len(), 40);
}
