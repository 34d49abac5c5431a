//! Exchange betting: back and lay orders on a Betfair-style odds ladder, matched by
//! price-time priority with the engine's own [`Book`] (lay = buy side, back = sell side,
//! price = ladder position; a back at odds B meets a lay at odds L ≥ B, at the resting
//! order's odds). One ladder per selection and wallet currency: group cash only meets
//! group cash.
//!
//! Stakes are in units of [`STAKE_UNIT`] minor units so that every liability,
//! stake × (odds − 1) on a two-decimal ladder price, is a whole number: escrow is exact.
//! A match turns into two matched bets (one per side) whose returns add up to exactly what
//! both escrowed, so the exchange never touches the house.

use super::model::*;
use super::odds::{Odds, LADDER};
use super::stage::Bets;
use super::state::{Bet, ExchangeBet};
use crate::command::Side;
use crate::event::{Event, RejectReason};
use crate::ids::AccountIx;
use crate::ids::{AccountId, RequestId};

type R<T> = Result<T, RejectReason>;

/// Exchange stakes are whole multiples of this many minor units.
pub const STAKE_UNIT: u64 = 100;

pub(super) fn book_side(side: BackLay) -> Side {
    match side {
        BackLay::Back => Side::Sell,
        BackLay::Lay => Side::Buy,
    }
}

/// What a side escrows for `stake` (minor units, a multiple of [`STAKE_UNIT`]) at `odds`:
/// the stake for a back, the liability `stake × (odds − 1)` for a lay. None when a lay's
/// liability does not fit in `u64` (refused at placement, never truncated).
pub fn escrow_for(side: BackLay, stake: u64, odds: Odds) -> Option<u64> {
    match side {
        BackLay::Back => Some(stake),
        BackLay::Lay => u64::try_from(u128::from(stake) * u128::from(odds.0 - Odds::SCALE) / u128::from(Odds::SCALE)).ok(),
    }
}

impl Bets<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn place_exchange(
        &mut self,
        (actor, request): (AccountId, RequestId),
        a: AccountIx,
        req: &BetRequest,
        leg: Leg,
        side: BackLay,
        persist: bool,
        out: &mut Vec<Event>,
    ) -> R<BetId> {
        self.check_selection(leg.selection, true)?;
        let tick = u64::from(leg.odds.tick().ok_or(RejectReason::OddsNotOnLadder)?);
        if !req.stake.is_multiple_of(STAKE_UNIT) {
            return Err(RejectReason::AmountPrecision);
        }
        let s = self.wallet_asset(a, req.wallet, leg.selection.fixture)?;
        let escrow = escrow_for(side, req.stake, leg.odds).ok_or(RejectReason::OutOfRange)?;
        self.escrow_bet(a, s, escrow)?;
        let order = ExchangeBet { side, order: 0, unmatched: req.stake, matched: 0, persist, is_order: true };
        let id = self.new_bet(Bet {
            account: a,
            asset: s,
            wallet: req.wallet,
            escrow,
            stake: req.stake,
            odds: leg.odds,
            legs: vec![leg],
            exchange: Some(order),
            state: BetState::Unmatched,
            paid: 0,
            placed_at: self.now,
        });
        self.betting.bets.get_mut(&id).unwrap().exchange.as_mut().unwrap().order = id;
        out.push(Event::Bet(BetEvent::BetPlaced { bet: BetId(id), account: actor, request, asset: self.ledger.asset_id(s), stake: req.stake, odds: leg.odds }));
        self.match_order(id, tick, out);
        let left = self.betting.bets[&id].exchange.unwrap().unmatched;
        if left > 0 {
            self.betting.books.entry((leg.selection, s)).or_default().insert(id, book_side(side), tick, left / STAKE_UNIT, id);
            self.betting.fixtures.get_mut(&leg.selection.fixture).unwrap().orders.insert(id);
        }
        Ok(BetId(id))
    }

    /// Match a new order against the opposite side while prices cross.
    fn match_order(&mut self, taker: u64, tick: u64, out: &mut Vec<Event>) {
        let (sel, side, owner, asset) = {
            let t = &self.betting.bets[&taker];
            (t.legs[0].selection, t.exchange.unwrap().side, t.account, t.asset)
        };
        let key = (sel, asset);
        let maker_side = book_side(side).opposite();
        loop {
            let left = self.betting.bets[&taker].exchange.unwrap().unmatched;
            if left == 0 {
                break;
            }
            let Some(best) = self.betting.books.get(&key).and_then(|b| b.best(maker_side)) else { break };
            let (maker, price, units) = (best.data, best.price, best.quantity);
            let crosses = match side {
                BackLay::Back => price >= tick,
                BackLay::Lay => price <= tick,
            };
            if !crosses {
                break;
            }
            if self.betting.bets[&maker].account == owner {
                // Never match oneself: the older resting order is cancelled.
                self.close_exchange_order(maker, false, out);
                continue;
            }
            let stake = (units * STAKE_UNIT).min(left);
            let odds = Odds(u64::from(LADDER[usize::try_from(price).expect("a ladder tick")]));
            let book = self.betting.books.get_mut(&key).unwrap();
            if stake / STAKE_UNIT == units {
                book.remove(maker);
                self.betting.fixtures.get_mut(&sel.fixture).unwrap().orders.remove(&maker);
            } else {
                book.reduce(maker, units - stake / STAKE_UNIT);
            }
            self.fill(maker, stake, odds, out);
            self.fill(taker, stake, odds, out);
            self.observe_odds(sel, odds, stake);
        }
    }

    /// Move `stake` of an order into a new matched bet at `odds`, releasing any escrow the
    /// better price freed.
    fn fill(&mut self, order: u64, stake: u64, odds: Odds, out: &mut Vec<Event>) {
        let o = self.betting.bets.get_mut(&order).unwrap();
        let mut ex = o.exchange.unwrap();
        let before = o.escrow;
        ex.unmatched -= stake;
        ex.matched += stake;
        // Both are parts of the order's escrow, which fit in u64 at placement (a lay fills
        // at odds no higher than its own).
        let kept = escrow_for(ex.side, ex.unmatched, o.odds).expect("part of an escrow that fit");
        let matched = escrow_for(ex.side, stake, odds).expect("part of an escrow that fit");
        o.escrow = kept;
        o.exchange = Some(ex);
        if ex.unmatched == 0 {
            o.state = BetState::Matched;
        }
        let (a, s, wallet, legs, side) = (o.account, o.asset, o.wallet, o.legs.clone(), ex.side);
        self.release_escrow(a, s, before - kept - matched);
        let leg = Leg { selection: legs[0].selection, odds };
        let exchange = Some(ExchangeBet { side, order, unmatched: 0, matched: stake, persist: ex.persist, is_order: false });
        let bet = self.new_bet(Bet {
            account: a,
            asset: s,
            wallet,
            escrow: matched,
            stake,
            odds,
            legs: vec![leg],
            exchange,
            state: BetState::Open,
            paid: 0,
            placed_at: self.now,
        });
        let account = self.ledger.account_id(a);
        out.push(Event::Bet(BetEvent::BetMatched { bet: BetId(bet), order: BetId(order), account, side, selection: leg.selection, stake, odds }));
    }

    /// Take an order's unmatched stake off the ladder and release its escrow.
    pub(crate) fn close_exchange_order(&mut self, order: u64, lapsed: bool, out: &mut Vec<Event>) {
        let o = self.betting.bets.get_mut(&order).unwrap();
        let mut ex = o.exchange.unwrap();
        let released = o.escrow;
        let sel = o.legs[0].selection;
        ex.unmatched = 0;
        o.exchange = Some(ex);
        o.escrow = 0;
        o.state = if ex.matched > 0 { BetState::Matched } else { BetState::Closed };
        let (a, s) = (o.account, o.asset);
        if let Some(book) = self.betting.books.get_mut(&(sel, s)) {
            book.remove(order);
        }
        self.betting.fixtures.get_mut(&sel.fixture).unwrap().orders.remove(&order);
        self.release_escrow(a, s, released);
        let account = self.ledger.account_id(a);
        out.push(Event::Bet(BetEvent::OrderClosed { order: BetId(order), account, released, lapsed }));
    }

    pub(crate) fn cancel_exchange_order(&mut self, actor: AccountId, bet: BetId, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let b = self.betting.bets.get(&bet.0).ok_or(RejectReason::UnknownBet)?;
        if b.account != a {
            return Err(RejectReason::NotBetOwner);
        }
        if !b.exchange.is_some_and(|e| e.is_order && e.unmatched > 0) {
            return Err(RejectReason::NothingToCancel);
        }
        self.close_exchange_order(bet.0, false, out);
        Ok(())
    }
}
