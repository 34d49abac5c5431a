//! End-of-command change events: every balance and book level the command touched and
//! that differs from before it, as `Balance` and `BookLevel` events in sorted order (so
//! the events do not depend on the order things were touched in).

use super::Engine;
use crate::command::Side;
use crate::event::Event;
use crate::ids::{AccountId, AssetId, Lots, MarketId, MarketIx, Minor, Ticks};

/// A balance that changed in this command.
#[derive(Clone, Copy, Debug)]
struct BalanceChange {
    account: AccountId,
    asset: AssetId,
    available: Minor,
    locked: Minor,
}

/// A price level that changed in this command.
#[derive(Clone, Copy, Debug)]
struct LevelChange {
    market: MarketId,
    side: Side,
    price: Ticks,
    quantity: Lots,
    at: MarketIx,
}

/// Scratch for the change events, kept to avoid allocating on every command.
#[derive(Clone, Debug, Default)]
pub(crate) struct Changes {
    balances: Vec<BalanceChange>,
    levels: Vec<LevelChange>,
}

impl Engine {
    pub(super) fn flush_changes(&mut self, out: &mut Vec<Event>) {
        let changes = &mut self.changes;
        self.ledger.drain_touched(|account, asset, before, now| {
            if (now.available, now.locked) != (before.available, before.locked) {
                changes.balances.push(BalanceChange { account, asset, available: now.available, locked: now.locked });
            }
        });
        changes.balances.sort_unstable_by_key(|c| (c.account, c.asset));
        for c in changes.balances.drain(..) {
            out.push(Event::Balance { account: c.account, asset: c.asset, available: c.available, locked: c.locked });
        }

        self.books.drain_touched(|market, t| {
            let quantity = market.book.level_quantity(t.side, t.price);
            if quantity != t.before {
                changes.levels.push(LevelChange { market: market.spec.id, side: t.side, price: t.price, quantity, at: t.market });
            }
        });
        changes.levels.sort_unstable_by_key(|c| (c.market, c.side, c.price));
        for c in changes.levels.drain(..) {
            let market = self.books.market_mut(c.at);
            market.book_seq += 1;
            out.push(Event::BookLevel { market: c.market, side: c.side, price: c.price, quantity: c.quantity, seq: market.book_seq });
        }
    }
}
