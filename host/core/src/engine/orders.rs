//! Placing and modifying orders: validate everything, take the hold, then hand the order
//! to matching (`matching.rs`). Each step is a function; a rejection leaves no trace.

use super::matching::Taker;
use super::{Engine, R};
use crate::command::{MarketSize, OrderKind, OrderRequest, Side, TimeInForce};
use crate::event::{Event, Outcome, RejectReason};
use crate::ids::{AccountId, AccountIx, Lots, MarketIx, Minor, OrderId, RequestId, Ticks};
use crate::ledger::{Fee, Hold, Release};
use crate::market::{MarketPolicy, MarketStatus};
use crate::rules::{Modifies, OrderCheck, Rules};

/// What an order asks for once its kind is read: a limit price (None = market order),
/// lots wanted, or a quote budget (market buy by budget).
#[derive(Clone, Copy, Debug)]
struct Size {
    limit: Option<Ticks>,
    lots: Lots,
    budget: Option<Minor>,
}

impl Engine {
    pub(super) fn place(&mut self, actor: AccountId, request: RequestId, o: &OrderRequest, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<Outcome> {
        let a = self.ledger.account_ix(actor)?;
        let m = self.books.market_ix(o.market)?;
        match self.books.market(m).status {
            MarketStatus::Open => {}
            MarketStatus::Halted => return Err(RejectReason::MarketHalted),
            MarketStatus::Closed => return Err(RejectReason::MarketClosed),
        }
        let size = self.read_size(o, &self.books.market(m).policy)?;
        let cap = self.check_seat(a, m, o, size)?;
        self.check_execution(a, m, o, size)?;
        let held = self.hold_needed(a, m, o.side, size)?;
        let check = OrderCheck { side: o.side, price: size.limit, quantity: size.lots, budget: size.budget, rests: o.tif.rests(), modifies: None };
        self.check_with_rules(m, a, request, &check, out, rules)?;
        let listing_fee = match (o.tif.rests(), size.limit) {
            (true, Some(price)) => self.listing_fee(m, a, o.side, price, size.lots, None, rules)?,
            _ => 0,
        };
        self.ensure_funds(a, m, o.side, held, listing_fee)?;

        // Accepted: nothing below can fail.
        let id = self.books.new_order_id();
        let market = self.books.market(m);
        let (held_asset, quote) = (market.held_asset(o.side), market.quote);
        self.ledger.hold(Hold { account: a, asset: held_asset, amount: held });
        self.ledger.charge(Fee { account: a, asset: quote, amount: listing_fee });
        out.push(Event::OrderAccepted {
            order: id,
            account: actor,
            request,
            market: o.market,
            side: o.side,
            price: size.limit.unwrap_or(0),
            quantity: size.lots,
            tif: o.tif,
            escrow: held,
            listing_fee,
        });
        let mut taker = Taker {
            id,
            account: a,
            owner: actor,
            side: o.side,
            limit: size.limit,
            left: if size.budget.is_some() { cap } else { size.lots },
            budget: size.budget.is_some(),
            held,
            filled: 0,
            tif: o.tif,
            post_only: o.post_only,
            new: true,
        };
        self.take(m, &mut taker, out, rules);
        Ok(Outcome::Accepted { order: id })
    }

    /// The order's price, lots or budget, within the market's policy.
    fn read_size(&self, o: &OrderRequest, policy: &MarketPolicy) -> R<Size> {
        match o.kind {
            OrderKind::Market(size) => {
                if o.post_only || o.tif.rests() {
                    return Err(RejectReason::InvalidMarketOrder);
                }
                match size {
                    MarketSize::Budget(_) if o.side == Side::Sell => Err(RejectReason::BudgetOnlyForBuys),
                    MarketSize::Budget(0) => Err(RejectReason::ZeroAmount),
                    MarketSize::Budget(b) => Ok(Size { limit: None, lots: 0, budget: Some(b) }),
                    MarketSize::Quantity(q) => Ok(Size { limit: None, lots: check_lots(policy, q)?, budget: None }),
                }
            }
            OrderKind::Limit { price, quantity } => {
                check_price(policy, price)?;
                check_lots(policy, quantity)?;
                if matches!(o.tif, TimeInForce::Gtd(at) if at <= self.now) {
                    return Err(RejectReason::ExpiryInPast);
                }
                Ok(Size { limit: Some(price), lots: quantity, budget: None })
            }
        }
    }

    /// Order slots and the buy limit. Returns the lots a budget order may buy at most.
    fn check_seat(&self, a: AccountIx, m: MarketIx, o: &OrderRequest, size: Size) -> R<Lots> {
        let policy = &self.books.market(m).policy;
        let seat = self.books.seat(a, m);
        if o.tif.rests() && policy.max_open_orders > 0 && seat.open >= policy.max_open_orders {
            return Err(RejectReason::OrderSlotsFull { max: policy.max_open_orders });
        }
        let (Side::Buy, Some(limit)) = (o.side, policy.buy_limit) else { return Ok(Lots::MAX) };
        let allowance = seat.allowance(&limit, self.now);
        let over = match size.budget {
            Some(_) => allowance == 0,
            None => size.lots > allowance,
        };
        if over {
            return Err(RejectReason::BuyLimitReached { remaining: allowance });
        }
        Ok(allowance)
    }

    /// Post-only must not trade; fill-or-kill must fill completely.
    fn check_execution(&self, a: AccountIx, m: MarketIx, o: &OrderRequest, size: Size) -> R<()> {
        if o.post_only && self.books.market(m).crosses(o.side, size.limit.expect("post-only orders are limit orders")) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        if o.tif == TimeInForce::Fok && self.walk(m, o.side, a, size.limit, size.lots).lots < size.lots {
            return Err(RejectReason::FillOrKillUnfilled);
        }
        Ok(())
    }

    /// The hold a new order takes: the items of an ask, the notional plus fees of a limit
    /// bid, the budget of a budget buy, or the exact cost of walking the book for a market
    /// buy by quantity (the engine is single-writer, so that is the worst case).
    fn hold_needed(&self, a: AccountIx, m: MarketIx, side: Side, size: Size) -> R<Minor> {
        let market = self.books.market(m);
        match (side, size.limit, size.budget) {
            (Side::Sell, _, _) => market.units.base_units(size.lots),
            (Side::Buy, Some(price), _) => market.required(price, size.lots),
            (Side::Buy, None, Some(budget)) => Some(budget),
            (Side::Buy, None, None) => self.walk(m, Side::Buy, a, None, size.lots).cost,
        }
        .ok_or(RejectReason::OutOfRange)
    }

    /// The hold and a fee (always in quote) are both covered by available funds.
    fn ensure_funds(&self, a: AccountIx, m: MarketIx, side: Side, held: Minor, fee: Minor) -> R<()> {
        let market = self.books.market(m);
        let (held_asset, quote) = (market.held_asset(side), market.quote);
        if held_asset == quote {
            self.ledger.ensure_available(a, quote, held.checked_add(fee).ok_or(RejectReason::OutOfRange)?)
        } else {
            self.ledger.ensure_available(a, held_asset, held)?;
            self.ledger.ensure_available(a, quote, fee)
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn modify(&mut self, actor: AccountId, request: RequestId, order: OrderId, price: Ticks, quantity: Lots, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let m = self.books.owned_order(a, order)?;
        let o = self.books.order(m, order).expect("owned order rests").clone();
        let market = self.books.market(m);
        if market.status == MarketStatus::Halted {
            return Err(RejectReason::MarketHalted);
        }
        let policy = market.policy;
        check_price(&policy, price)?;
        check_lots(&policy, quantity)?;
        if let (Side::Buy, Some(limit)) = (o.side, policy.buy_limit) {
            let allowance = self.books.seat(a, m).allowance(&limit, self.now);
            if quantity > o.quantity && quantity - o.quantity > allowance {
                return Err(RejectReason::BuyLimitReached { remaining: allowance });
            }
        }
        let before = Modifies { price: o.price, quantity: o.quantity };
        let check = OrderCheck { side: o.side, price: Some(price), quantity, budget: None, rests: true, modifies: Some(before) };
        self.check_with_rules(m, a, request, &check, out, rules)?;
        let relist_fee = self.listing_fee(m, a, o.side, price, quantity, Some(before), rules)?;
        let modified = |kept_priority| Event::OrderModified { order, account: actor, market: self.books.market(m).spec.id, price, quantity, kept_priority };
        let held = self.books.market(m).hold_for(o.side, price, quantity);

        if price == o.price && quantity <= o.quantity {
            // Same price, not larger: amended in place, keeping time priority.
            self.ledger.ensure_available(a, self.books.market(m).quote, relist_fee)?;
            let event = modified(true);
            let held = held.expect("smaller than the current hold");
            self.charge_relist(a, m, relist_fee);
            if quantity < o.quantity {
                self.books.reduce(m, order, quantity, held);
                let asset = self.books.market(m).held_asset(o.side);
                self.ledger.release(Release { account: a, asset, amount: o.data.held - held });
            }
            out.push(event);
            return Ok(());
        }

        if o.data.post_only && self.books.market(m).crosses(o.side, price) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        let held = held.ok_or(RejectReason::OutOfRange)?;
        self.ensure_funds(a, m, o.side, held.saturating_sub(o.data.held), relist_fee)?;
        let event = modified(false);
        self.charge_relist(a, m, relist_fee);
        // Re-queued: off the book, hold adjusted, then matched like a new limit order.
        self.books.unrest(m, order);
        let asset = self.books.market(m).held_asset(o.side);
        if held > o.data.held {
            self.ledger.hold(Hold { account: a, asset, amount: held - o.data.held });
        } else {
            self.ledger.release(Release { account: a, asset, amount: o.data.held - held });
        }
        out.push(event);
        let mut taker = Taker {
            id: order,
            account: a,
            owner: actor,
            side: o.side,
            limit: Some(price),
            left: quantity,
            budget: false,
            held,
            filled: o.data.filled,
            tif: o.data.tif,
            post_only: o.data.post_only,
            new: false,
        };
        self.take(m, &mut taker, out, rules);
        Ok(())
    }

    fn charge_relist(&mut self, a: AccountIx, m: MarketIx, fee: Minor) {
        let quote = self.books.market(m).quote;
        self.ledger.charge(Fee { account: a, asset: quote, amount: fee });
    }
}

fn check_price(policy: &MarketPolicy, price: Ticks) -> R<Ticks> {
    if price == 0 || price > policy.max_price {
        return Err(RejectReason::PriceOutOfRange { max: policy.max_price });
    }
    Ok(price)
}

fn check_lots(policy: &MarketPolicy, lots: Lots) -> R<Lots> {
    if lots < policy.min_quantity || lots > policy.max_quantity {
        return Err(RejectReason::QuantityOutOfRange { min: policy.min_quantity, max: policy.max_quantity });
    }
    Ok(lots)
}
