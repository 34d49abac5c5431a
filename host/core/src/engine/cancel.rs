//! Orders leaving the book without trading: cancel, cancel-all, market close, expiry,
//! self-trade prevention, and bids that can no longer cover a new fee policy. Each
//! releases the order's whole hold.

use super::{Engine, R};
use crate::command::Side;
use crate::event::{DoneReason, Event};
use crate::ids::{AccountId, AccountIx, MarketId, MarketIx, OrderId, RequestId};
use crate::ledger::{Hold, Release};

impl Engine {
    pub(super) fn cancel(&mut self, actor: AccountId, request: RequestId, order: OrderId, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let m = self.books.owned_order(a, order)?;
        out.push(Event::Done { account: actor, request });
        self.cancel_resting(m, order, DoneReason::Cancelled, out);
        Ok(())
    }

    pub(super) fn cancel_all(&mut self, actor: AccountId, request: RequestId, market: Option<MarketId>, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let m = market.map(|m| self.books.market_ix(m)).transpose()?;
        out.push(Event::Done { account: actor, request });
        self.cancel_where(m, Some(a), out);
        Ok(())
    }

    /// Take a resting order out of its book, release its hold and report it done.
    pub(super) fn cancel_resting(&mut self, m: MarketIx, id: OrderId, reason: DoneReason, out: &mut Vec<Event>) {
        let o = self.books.unrest(m, id);
        let market = self.books.market(m);
        let (asset, market_id) = (market.held_asset(o.side), market.spec.id);
        self.ledger.release(Release { account: o.data.account, asset, amount: o.data.held });
        out.push(Event::OrderDone {
            order: id,
            account: self.ledger.account_id(o.data.account),
            market: market_id,
            reason,
            filled: o.data.filled,
            released: o.quantity,
        });
    }

    /// Cancel resting orders of one market (or all) and one account (or all), by ascending id.
    pub(super) fn cancel_where(&mut self, market: Option<MarketIx>, account: Option<AccountIx>, out: &mut Vec<Event>) {
        let mut ids = std::mem::take(&mut self.id_scratch);
        self.books.select(market, account, &mut ids);
        for &(id, m) in &ids {
            self.cancel_resting(m, id, DoneReason::Cancelled, out);
        }
        self.id_scratch = ids;
    }

    /// After a fee change, make every resting bid hold exactly what it now needs: release
    /// a surplus, hold a shortfall, or cancel the bid when its owner cannot cover it.
    pub(super) fn re_escrow_bids(&mut self, m: MarketIx, out: &mut Vec<Event>) {
        let mut ids = std::mem::take(&mut self.id_scratch);
        ids.clear();
        ids.extend(self.books.market(m).book.iter_side(Side::Buy).map(|o| (OrderId(o.id), m)));
        ids.sort_unstable();
        let quote = self.books.market(m).quote;
        for &(id, _) in &ids {
            let market = self.books.market(m);
            let o = market.book.get(id.0).expect("resting bid");
            let (account, held) = (o.data.account, o.data.held);
            let Some(need) = market.required(o.price, o.quantity) else {
                self.cancel_resting(m, id, DoneReason::Cancelled, out);
                continue;
            };
            if need <= held {
                self.ledger.release(Release { account, asset: quote, amount: held - need });
            } else if self.ledger.available(account, quote) >= need - held {
                self.ledger.hold(Hold { account, asset: quote, amount: need - held });
            } else {
                self.cancel_resting(m, id, DoneReason::Cancelled, out);
                continue;
            }
            self.books.set_held(m, id, need);
        }
        self.id_scratch = ids;
    }
}
