//! Placing and modifying orders: validate everything, take the hold, then hand the order
//! to matching (`matching.rs`). Each step is a function; a rejection leaves no trace.

use super::matching::Taker;
use super::{Engine, R};
use crate::books::Order;
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

    /// Modify a resting order's price and quantity: in place (keeping time priority) when
    /// the price stays and the quantity does not grow, else re-queued like a new order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn modify(
        &mut self,
        actor: AccountId,
        request: RequestId,
        order: OrderId,
        price: Ticks,
        quantity: Lots,
        out: &mut Vec<Event>,
        rules: &mut dyn Rules,
    ) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let m = self.books.owned_order(a, order)?;
        let o = self.books.order(m, order).expect("owned order rests").clone();
        self.check_modify(a, m, &o, price, quantity)?;
        let before = Modifies { price: o.price, quantity: o.quantity };
        let check = OrderCheck { side: o.side, price: Some(price), quantity, budget: None, rests: true, modifies: Some(before) };
        self.check_with_rules(m, a, request, &check, out, rules)?;
        let relist_fee = self.listing_fee(m, a, o.side, price, quantity, Some(before), rules)?;
        let change = Change { order, owner: actor, account: a, market: m, price, quantity, relist_fee };
        if price == o.price && quantity <= o.quantity {
            self.amend_in_place(&o, &change, out)
        } else {
            self.requeue(&o, &change, out, rules)
        }
    }

    /// A modification within the market's status, price and quantity range and buy limit.
    fn check_modify(&self, a: AccountIx, m: MarketIx, o: &Order, price: Ticks, quantity: Lots) -> R<()> {
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
        Ok(())
    }

    /// Same price, not larger: the order keeps its place; a smaller one releases the hold
    /// its cut lots no longer need.
    fn amend_in_place(&mut self, o: &Order, c: &Change, out: &mut Vec<Event>) -> R<()> {
        let market = self.books.market(c.market);
        self.ledger.ensure_available(c.account, market.quote, c.relist_fee)?;
        let held = market.hold_for(o.side, c.price, c.quantity).expect("smaller than the current hold");
        let asset = market.held_asset(o.side);
        let event = c.event(market.spec.id, true);
        self.charge_relist(c.account, c.market, c.relist_fee);
        if c.quantity < o.quantity {
            self.books.reduce(c.market, c.order, c.quantity, held);
            self.ledger.release(Release { account: c.account, asset, amount: o.data.held - held });
        }
        out.push(event);
        Ok(())
    }

    /// A new price or a larger quantity: off the book, hold adjusted, then matched like a
    /// new limit order (it loses its time priority).
    fn requeue(&mut self, o: &Order, c: &Change, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<()> {
        let market = self.books.market(c.market);
        if o.data.post_only && market.crosses(o.side, c.price) {
            return Err(RejectReason::PostOnlyWouldTrade);
        }
        let held = market.hold_for(o.side, c.price, c.quantity).ok_or(RejectReason::OutOfRange)?;
        self.ensure_funds(c.account, c.market, o.side, held.saturating_sub(o.data.held), c.relist_fee)?;
        let (asset, event) = (market.held_asset(o.side), c.event(market.spec.id, false));
        self.charge_relist(c.account, c.market, c.relist_fee);
        self.books.unrest(c.market, c.order);
        if held > o.data.held {
            self.ledger.hold(Hold { account: c.account, asset, amount: held - o.data.held });
        } else {
            self.ledger.release(Release { account: c.account, asset, amount: o.data.held - held });
        }
        out.push(event);
        let mut taker = Taker {
            id: c.order,
            account: c.account,
            owner: c.owner,
            side: o.side,
            limit: Some(c.price),
            left: c.quantity,
            budget: false,
            held,
            filled: o.data.filled,
            tif: o.data.tif,
            post_only: o.data.post_only,
            new: false,
        };
        self.take(c.market, &mut taker, out, rules);
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

/// A validated modification.
struct Change {
    order: OrderId,
    owner: AccountId,
    account: AccountIx,
    market: MarketIx,
    price: Ticks,
    quantity: Lots,
    relist_fee: Minor,
}

impl Change {
    fn event(&self, market: crate::ids::MarketId, kept_priority: bool) -> Event {
        Event::OrderModified { order: self.order, account: self.owner, market, price: self.price, quantity: self.quantity, kept_priority }
    }
}
