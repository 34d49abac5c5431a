//! Matching and settlement: a taker walks the opposite side of its market's book; every
//! fill is priced (fees through the rules seam), taken off the book, then settled in the
//! ledger out of the two holds. At the end the taker rests or finishes, releasing what its
//! hold no longer needs.

use super::Engine;
use crate::books::{NewResting, OrderData};
use crate::command::{Side, TimeInForce};
use crate::event::{DoneReason, Event};
use crate::ids::{AccountId, AccountIx, Lots, MarketIx, Minor, OrderId, Ticks};
use crate::ledger::{Fill, Release};
use crate::market::SelfTradePrevention;
use crate::rules::{Rules, TradeFacts};
use crate::units::MarketUnits;

/// An order while it takes liquidity (a new order, or a modified one that lost priority).
pub(super) struct Taker {
    pub(super) id: OrderId,
    pub(super) account: AccountIx,
    pub(super) owner: AccountId,
    pub(super) side: Side,
    pub(super) limit: Option<Ticks>,
    /// Lots still wanted (for a budget order: the buy-limit allowance left, or `Lots::MAX`).
    pub(super) left: Lots,
    pub(super) budget: bool,
    /// What the ledger still holds for it (quote for a buy, base for a sell).
    pub(super) held: Minor,
    pub(super) filled: Lots,
    pub(super) tif: TimeInForce,
    pub(super) post_only: bool,
    /// Whether it is a new order (a resting GTD needs its expiry scheduled once).
    pub(super) new: bool,
}

/// What the next step of the matching loop is.
enum Next {
    /// Trade with this maker (the best order on the opposite side).
    Maker { id: OrderId, price: Ticks, lots: Lots, data: OrderData },
    /// Nothing (more) to trade with at an acceptable price or within the budget.
    Stop,
    /// Self-trade prevention ended the taker.
    SelfTrade,
}

/// What walking the book for a prospective taker found.
pub(super) struct Walk {
    /// Lots it could trade.
    pub(super) lots: Lots,
    /// The exact quote cost of buying them with taker fees; None past `u64`.
    pub(super) cost: Option<Minor>,
}

impl Engine {
    /// Match a taker against the book, then rest it or finish it.
    pub(super) fn take(&mut self, m: MarketIx, t: &mut Taker, out: &mut Vec<Event>, rules: &mut dyn Rules) {
        let self_trade = self.match_taker(m, t, out, rules);
        match end_of(t, self_trade) {
            None => self.rest_taker(m, t),
            Some(reason) => self.finish_taker(m, t, reason, out),
        }
    }

    /// Rest what is left of a taker, releasing any hold above what the rest needs (a bid
    /// that traded below its limit).
    fn rest_taker(&mut self, m: MarketIx, t: &Taker) {
        let market = self.books.market(m);
        let price = t.limit.expect("resting orders have a price");
        let mut held = t.held;
        if t.side == Side::Buy {
            held = market.required(price, t.left).expect("within the accepted hold");
            let asset = market.quote;
            self.ledger.release(Release { account: t.account, asset, amount: t.held - held });
        }
        let data = OrderData { account: t.account, held, filled: t.filled, tif: t.tif, post_only: t.post_only };
        self.books.rest(m, NewResting { id: t.id, side: t.side, price, lots: t.left, data, new: t.new });
    }

    /// A taker that will not rest: release its whole remaining hold and report it done.
    fn finish_taker(&mut self, m: MarketIx, t: &Taker, reason: DoneReason, out: &mut Vec<Event>) {
        let market = self.books.market(m);
        let (asset, market_id) = (market.held_asset(t.side), market.spec.id);
        self.ledger.release(Release { account: t.account, asset, amount: t.held });
        out.push(Event::OrderDone { order: t.id, account: t.owner, market: market_id, reason, filled: t.filled, released: if t.budget { 0 } else { t.left } });
    }

    /// The matching loop. Returns true when self-trade prevention stopped the taker.
    fn match_taker(&mut self, m: MarketIx, t: &mut Taker, out: &mut Vec<Event>, rules: &mut dyn Rules) -> bool {
        while t.left > 0 {
            let (maker, price, maker_lots, data) = match self.next_maker(m, t, out) {
                Next::Maker { id, price, lots, data } => (id, price, lots, data),
                Next::Stop => return false,
                Next::SelfTrade => return true,
            };
            let lots = self.fill_lots(m, t, price, maker_lots);
            if lots == 0 {
                return false;
            }
            self.execute_fill(m, t, maker, price, maker_lots, lots, data, out, rules);
        }
        false
    }

    /// The best maker the taker may trade with, after self-trade prevention.
    fn next_maker(&mut self, m: MarketIx, t: &Taker, out: &mut Vec<Event>) -> Next {
        loop {
            let market = self.books.market(m);
            let Some(best) = market.book.best(t.side.opposite()) else { return Next::Stop };
            let (id, price, lots, data) = (OrderId(best.id), best.price, best.quantity, best.data);
            if t.limit.is_some_and(|l| !price_acceptable(t.side, l, price)) {
                return Next::Stop;
            }
            // A budget order that cannot afford one more lot here is done: it neither
            // trades nor triggers self-trade prevention (like one out of allowance).
            if t.budget && affordable(&market.units, price, t.held, market.policy.taker_fee_bps) == 0 {
                return Next::Stop;
            }
            if data.account != t.account {
                return Next::Maker { id, price, lots, data };
            }
            match market.policy.self_trade {
                SelfTradePrevention::CancelNewest => return Next::SelfTrade,
                SelfTradePrevention::CancelOldest => self.cancel_resting(m, id, DoneReason::SelfTrade, out),
                SelfTradePrevention::CancelBoth => {
                    self.cancel_resting(m, id, DoneReason::SelfTrade, out);
                    return Next::SelfTrade;
                }
            }
        }
    }

    /// Lots of this fill: what both sides have, and for a budget what it affords.
    fn fill_lots(&self, m: MarketIx, t: &Taker, price: Ticks, maker_lots: Lots) -> Lots {
        let lots = t.left.min(maker_lots);
        if !t.budget {
            return lots;
        }
        let market = self.books.market(m);
        lots.min(affordable(&market.units, price, t.held, market.policy.taker_fee_bps))
    }

    /// One fill: price its fees, take it off the book, settle it in the ledger, report it.
    #[allow(clippy::too_many_arguments)]
    fn execute_fill(
        &mut self,
        m: MarketIx,
        t: &mut Taker,
        maker: OrderId,
        price: Ticks,
        maker_lots: Lots,
        lots: Lots,
        mut data: OrderData,
        out: &mut Vec<Event>,
        rules: &mut dyn Rules,
    ) {
        let market = self.books.market(m);
        let (units, base, quote, market_id) = (market.units, market.base, market.quote, market.spec.id);
        let notional = units.notional(price, lots).expect("bounded by the hold");
        let items = units.base_units(lots).expect("bounded by the hold");
        let maker_owner = self.ledger.account_id(data.account);
        let facts = TradeFacts { price, quantity: lots, notional, taker_side: t.side, maker_account: maker_owner, taker_account: t.owner };
        let (maker_fee, taker_fee) = self.trade_fees(m, &facts, rules);

        // Both holds shrink by what this fill takes; a resting bid's hold is reset to what
        // its rest needs, and the surplus (fee headroom of the filled part) is released.
        data.filled += lots;
        let mut maker_refund = 0;
        let settlement = match t.side {
            Side::Buy => {
                let paid = notional + taker_fee;
                debug_assert!(t.held >= paid && data.held >= items, "holds cover the fill");
                t.held -= paid;
                data.held -= items;
                Fill { buyer: t.account, seller: data.account, base, quote, items, notional, buyer_fee: taker_fee, seller_fee: maker_fee }
            }
            Side::Sell => {
                let paid = notional + maker_fee;
                let keep = self.books.market(m).required(price, maker_lots - lots).expect("smaller than before");
                debug_assert!(t.held >= items && data.held >= paid + keep, "holds cover the fill");
                t.held -= items;
                maker_refund = data.held - paid - keep;
                data.held = keep;
                Fill { buyer: data.account, seller: t.account, base, quote, items, notional, buyer_fee: maker_fee, seller_fee: taker_fee }
            }
        };
        let maker_done = self.books.fill_maker(m, t.side.opposite(), maker, price, lots, data);
        self.ledger.settle_fill(settlement);
        self.ledger.release(Release { account: data.account, asset: quote, amount: maker_refund });
        self.books.record_buy(settlement.buyer, m, lots, self.now);
        t.left -= lots;
        t.filled += lots;
        let trade = self.books.new_trade_id();
        out.push(Event::Trade {
            trade,
            market: market_id,
            price,
            quantity: lots,
            maker_order: maker,
            maker_account: maker_owner,
            taker_order: t.id,
            taker_account: t.owner,
            taker_side: t.side,
            maker_fee,
            taker_fee,
        });
        if maker_done {
            out.push(Event::OrderDone { order: maker, account: maker_owner, market: market_id, reason: DoneReason::Filled, filled: data.filled, released: 0 });
        }
    }

    /// Walk the side opposite `side` as matching would (price limit and self-trade
    /// prevention included) for up to `quantity` lots.
    pub(super) fn walk(&self, m: MarketIx, side: Side, a: AccountIx, limit: Option<Ticks>, quantity: Lots) -> Walk {
        let market = self.books.market(m);
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
            let n = u128::from(o.price) * u128::from(q) * u128::from(market.units.tick_value);
            cost += n + n * u128::from(market.policy.taker_fee_bps) / 10_000;
            lots += q;
        }
        Walk { lots, cost: u64::try_from(cost).ok() }
    }
}

/// How a taker ends after matching: None when it rests.
fn end_of(t: &Taker, self_trade: bool) -> Option<DoneReason> {
    if self_trade {
        Some(DoneReason::SelfTrade)
    } else if t.budget {
        Some(if t.filled > 0 { DoneReason::Filled } else { DoneReason::Unfilled })
    } else if t.left == 0 {
        Some(DoneReason::Filled)
    } else if t.tif.rests() {
        None
    } else {
        Some(DoneReason::Unfilled)
    }
}

/// Whether a taker on `side` with limit `limit` accepts a resting price.
fn price_acceptable(side: Side, limit: Ticks, price: Ticks) -> bool {
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

/// The most lots a budget buys at `price`, taker fee included.
fn affordable(units: &MarketUnits, price: Ticks, budget: Minor, taker_bps: u32) -> Lots {
    let per_lot = u128::from(price) * u128::from(units.tick_value);
    let cost = |q: u128| {
        let n = per_lot * q;
        n + n * u128::from(taker_bps) / 10_000
    };
    // A lower bound from the fee-inclusive unit cost, then step up over the rounding.
    let mut q = u128::from(budget) * 10_000 / (per_lot * (10_000 + u128::from(taker_bps)));
    while cost(q + 1) <= u128::from(budget) {
        q += 1;
    }
    Lots::try_from(q).unwrap_or(Lots::MAX)
}
