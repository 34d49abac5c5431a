//! Read-only answers for the server, the tests and the simulator. Everything iterated is
//! sorted by id first, so answers never depend on table layout.

use super::Engine;
use crate::book::Resting;
use crate::books::{Market, OrderData};
use crate::command::{Side, TimeInForce};
use crate::ids::{AccountId, AssetId, AssetIx, Lots, MarketId, Minor, OrderId, Ticks};
use crate::market::{AssetSpec, MarketPolicy, MarketSpec, MarketStatus, PluginBinding};
use crate::units::MarketUnits;

/// A resting order as queries see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderView {
    /// The order's id.
    pub order: OrderId,
    /// Its owner.
    pub account: AccountId,
    /// Its market.
    pub market: MarketId,
    /// Bid or ask.
    pub side: Side,
    /// Limit price in ticks.
    pub price: Ticks,
    /// Lots still resting.
    pub quantity: Lots,
    /// Lots filled so far.
    pub filled: Lots,
    /// What the ledger holds for it, in minor units of the held asset.
    pub escrow: Minor,
    /// GTC or GTD (only those rest).
    pub tif: TimeInForce,
    /// Whether it was placed post-only (a re-pricing Modify must not cross either).
    pub post_only: bool,
}

/// The top of a market's book as `Engine::book_top` reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookTop {
    /// Best bid (ticks, lots).
    pub best_bid: Option<(Ticks, Lots)>,
    /// Best ask (ticks, lots).
    pub best_ask: Option<(Ticks, Lots)>,
    /// Lots resting on the bid side.
    pub bid_lots: u128,
    /// Lots resting on the ask side.
    pub ask_lots: u128,
}

/// A market as `Engine::markets` lists it.
#[derive(Clone, Copy, Debug)]
pub struct MarketInfo<'a> {
    /// Assets and steps, as created.
    pub spec: &'a MarketSpec,
    /// The current native policy.
    pub policy: MarketPolicy,
    /// Open, Halted or Closed.
    pub status: MarketStatus,
}

impl Engine {
    /// (available, locked) of a player's asset, in minor units; None for an unknown
    /// account or asset. Locked is order escrow; bet escrow is in neither.
    pub fn balance(&self, account: AccountId, asset: AssetId) -> Option<(Minor, Minor)> {
        let a = self.ledger.account_ix(account).ok()?;
        let s = self.ledger.asset_ix(asset).ok()?;
        let b = self.ledger.balance(a, s);
        Some((b.available, b.locked))
    }

    /// Minor units of an asset collected as trading and listing fees so far (0 for an
    /// unknown asset).
    pub fn fee_sink(&self, asset: AssetId) -> Minor {
        self.ledger.asset_ix(asset).map_or(0, |s| self.ledger.asset(s).fee_sink)
    }

    /// (minted, burned) of an asset, over all time.
    pub fn supply(&self, asset: AssetId) -> Option<(u128, u128)> {
        let s = self.ledger.asset_ix(asset).ok()?;
        let x = self.ledger.asset(s);
        Some((x.minted, x.burned))
    }

    /// The top of a market's book: best bid and ask levels and the lots resting on each
    /// side (one lookup, no allocation; an unknown market has an empty top).
    pub fn book_top(&self, market: MarketId) -> BookTop {
        let Ok(m) = self.books.market_ix(market) else { return BookTop::default() };
        let book = &self.books.market(m).book;
        BookTop {
            best_bid: book.depth(Side::Buy).next(),
            best_ask: book.depth(Side::Sell).next(),
            bid_lots: book.side_lots(Side::Buy),
            ask_lots: book.side_lots(Side::Sell),
        }
    }

    /// (minted, burned, fee sink) of an asset, in one lookup.
    pub fn asset_totals(&self, asset: AssetId) -> Option<(u128, u128, Minor)> {
        let x = self.ledger.asset(self.ledger.asset_ix(asset).ok()?);
        Some((x.minted, x.burned, x.fee_sink))
    }

    /// Price levels (ticks, lots) of one side, best first.
    pub fn depth(&self, market: MarketId, side: Side) -> Vec<(Ticks, Lots)> {
        self.books.market_ix(market).map_or_else(|_| Vec::new(), |m| self.books.market(m).book.depth(side).collect())
    }

    /// An asset's spec; None if it does not exist.
    pub fn asset(&self, asset: AssetId) -> Option<&AssetSpec> {
        self.ledger.asset_ix(asset).ok().map(|s| &self.ledger.asset(s).spec)
    }

    /// A market's spec; None if it does not exist.
    pub fn market_spec(&self, market: MarketId) -> Option<&MarketSpec> {
        self.market(market).map(|m| &m.spec)
    }

    /// Every asset, by ascending id.
    pub fn assets(&self) -> Vec<&AssetSpec> {
        let mut v: Vec<&AssetSpec> = self.ledger.assets().iter().map(|a| &a.spec).collect();
        v.sort_by_key(|a| a.id);
        v
    }

    /// Every market with its policy and status, by ascending id.
    pub fn markets(&self) -> Vec<MarketInfo<'_>> {
        let mut v: Vec<_> = self.books.markets.iter().map(|m| MarketInfo { spec: &m.spec, policy: m.policy, status: m.status }).collect();
        v.sort_by_key(|m| m.spec.id);
        v
    }

    /// The number of `BookLevel` events a market has emitted: the sequence number its
    /// current book corresponds to.
    pub fn book_seq(&self, market: MarketId) -> Option<u64> {
        self.market(market).map(|m| m.book_seq)
    }

    /// Whether an account exists.
    pub fn has_account(&self, account: AccountId) -> bool {
        self.ledger.has_account(account)
    }

    /// A market's steps and derived integers, for converting decimals at the API boundary.
    pub fn market_units(&self, market: MarketId) -> Option<MarketUnits> {
        self.market(market).map(|m| m.units)
    }

    /// A market's current native policy.
    pub fn market_policy(&self, market: MarketId) -> Option<MarketPolicy> {
        self.market(market).map(|m| m.policy)
    }

    /// Markets bound to a rules plugin, by market id.
    pub fn rules_bindings(&self) -> Vec<(MarketId, &PluginBinding)> {
        let mut out: Vec<_> = self.books.markets.iter().filter_map(|m| m.plugin.as_ref().map(|p| (m.spec.id, p))).collect();
        out.sort_by_key(|(id, _)| id.0);
        out
    }

    /// The rules plugin a market is bound to.
    pub fn rules_binding(&self, market: MarketId) -> Option<&PluginBinding> {
        self.market(market).and_then(|m| m.plugin.as_ref())
    }

    /// A market's status; None if it does not exist.
    pub fn market_status(&self, market: MarketId) -> Option<MarketStatus> {
        self.market(market).map(|m| m.status)
    }

    /// A resting order.
    pub fn order(&self, order: OrderId) -> Option<OrderView> {
        let m = self.books.market_of(order)?;
        let market = self.books.market(m);
        market.book.get(order.0).map(|o| view(market, self.ledger.account_id(o.data.account), o))
    }

    /// An account's resting orders, by ascending id.
    pub fn open_orders(&self, account: AccountId) -> Vec<OrderView> {
        self.open_orders_after(account, None, usize::MAX)
    }

    /// At most `limit` of an account's resting orders with ids above `after`, by ascending
    /// id. Costs O(log n + limit) through the per-account index, whatever else rests.
    pub fn open_orders_after(&self, account: AccountId, after: Option<OrderId>, limit: usize) -> Vec<OrderView> {
        let Ok(a) = self.ledger.account_ix(account) else { return Vec::new() };
        self.books
            .orders_of(a, after)
            .take(limit)
            .map(|(id, m)| {
                let mk = self.books.market(m);
                view(mk, account, mk.book.get(id.0).expect("indexed order rests"))
            })
            .collect()
    }

    /// An account's held balances (available or locked not zero) as (asset, available,
    /// locked) in minor units, by ascending asset id, only assets with ids above `after`,
    /// at most `limit`. Costs O(the account's balance slots), not O(every asset's name).
    pub fn held_balances(&self, account: AccountId, after: Option<AssetId>, limit: usize) -> Vec<(AssetId, Minor, Minor)> {
        let Ok(a) = self.ledger.account_ix(account) else { return Vec::new() };
        let mut held: Vec<(AssetId, Minor, Minor)> = self.ledger.accounts()[a.at()]
            .balances
            .iter()
            .enumerate()
            .filter(|(_, b)| b.available > 0 || b.locked > 0)
            .map(|(s, b)| (self.ledger.asset_id(AssetIx::new(s)), b.available, b.locked))
            .filter(|(id, _, _)| after.is_none_or(|x| *id > x))
            .collect();
        held.sort_unstable_by_key(|(id, _, _)| *id);
        held.truncate(limit);
        held
    }

    /// Number of resting orders over all markets.
    pub fn resting_orders(&self) -> usize {
        self.books.resting_orders()
    }

    fn market(&self, market: MarketId) -> Option<&Market> {
        self.books.market_ix(market).ok().map(|m| self.books.market(m))
    }
}

fn view(market: &Market, account: AccountId, o: &Resting<OrderData>) -> OrderView {
    OrderView {
        order: OrderId(o.id),
        account,
        market: market.spec.id,
        side: o.side,
        price: o.price,
        quantity: o.quantity,
        filled: o.data.filled,
        escrow: o.data.held,
        tif: o.data.tif,
        post_only: o.data.post_only,
    }
}
