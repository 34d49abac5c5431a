//! Trading state as wire answers: assets, markets and their policies, a book's depth,
//! balances and open orders, and the paging every list reply goes through (at most
//! `PAGE_MAX` entries, a cursor to the next page). Pure functions of the engine, run on
//! the engine thread (`Sequencer::read`). The betting counterparts are in `betting.rs`.

use entrepot_core::{self as core, AccountId, AssetId, Engine, MarketId, OrderId};
use entrepot_protocol::*;

use crate::convert;
use crate::errors::err;

pub fn markets(engine: &Engine) -> Vec<MarketInfo> {
    engine
        .markets()
        .into_iter()
        .map(|core::MarketInfo { spec, policy, status }| MarketInfo {
            market: spec.id.0,
            symbol: spec.symbol.clone(),
            base: spec.base.0,
            quote: spec.quote.0,
            tick: spec.tick,
            lot: spec.lot,
            maker_fee_bps: policy.maker_fee_bps,
            taker_fee_bps: policy.taker_fee_bps,
            status: convert::status_out(status),
        })
        .collect()
}

/// A market's book to `depth` levels a side (clamped to 5..=5000), with its book sequence number.
pub fn book(e: &Engine, market: u32, depth: u32) -> Result<Response, ApiError> {
    let id = MarketId(market);
    let units = e.market_units(id).ok_or_else(|| err(ErrorCode::NotFound, "unknown market"))?;
    let side = |s| e.depth(id, s).into_iter().take(depth.clamp(5, 5000) as usize).map(|(p, q)| (units.ticks_to_price(p), units.lots_to_quantity(q))).collect();
    Ok(Response::Book(BookInfo { market, bids: side(core::Side::Buy), asks: side(core::Side::Sell), seq: e.book_seq(id).unwrap_or(0) }))
}

// ---- paging: every list reply carries at most `PAGE_MAX` entries ----

/// A page's entry count: the client's `limit` clamped to 1 ..= `PAGE_MAX`.
pub fn page_limit(limit: u32) -> usize {
    limit.clamp(1, PAGE_MAX) as usize
}

/// Cut `items` (fetched with one more than `limit`, in list order) to a page: the entries
/// and the cursor of the next page, the key of the last entry kept when more follow.
pub fn cut<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> u64) -> (Vec<T>, Option<u64>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(key);
    (items, next)
}

/// A page of a list in ascending key order, taken from the whole list (for the small,
/// operator-made lists: markets, assets, policies).
pub fn page_of<T>(all: Vec<T>, after: Option<u64>, limit: usize, key: impl Fn(&T) -> u64) -> (Vec<T>, Option<u64>) {
    let rest: Vec<T> = all.into_iter().filter(|x| after.is_none_or(|a| key(x) > a)).take(limit + 1).collect();
    cut(rest, limit, key)
}

/// A page of one of the trading lists (`None`: not a trading list).
pub fn page(e: &Engine, actor: AccountId, list: &List, after: Option<u64>, limit: u32) -> Option<Response> {
    let n = page_limit(limit);
    let after32 = |a: Option<u64>| a.map(|x| u32::try_from(x).unwrap_or(u32::MAX));
    let (items, next) = match list {
        List::OpenOrders => {
            let (v, next) = cut(open_orders(e, actor, after.map(OrderId), n + 1), n, |o| o.order);
            (PageItems::OpenOrders(v), next)
        }
        List::Balances => {
            let (v, next) = cut(balances(e, actor, after32(after).map(AssetId), n + 1), n, |b| u64::from(b.asset));
            (PageItems::Balances(v), next)
        }
        List::Markets => {
            let (v, next) = page_of(markets(e), after, n, |m| u64::from(m.market));
            (PageItems::Markets(v), next)
        }
        List::Assets => {
            let (v, next) = page_of(asset_list(e), after, n, |a| u64::from(a.asset));
            (PageItems::Assets(v), next)
        }
        List::MarketPolicies => {
            let (v, next) = page_of(policy_list(e), after, n, |p| u64::from(p.market));
            (PageItems::MarketPolicies(v), next)
        }
        _ => return None,
    };
    Some(Response::Page { items, next })
}

fn balance_out(e: &Engine, asset: AssetId, available: u64, locked: u64) -> BalanceInfo {
    BalanceInfo {
        asset: asset.0,
        symbol: e.asset(asset).map(|a| a.symbol.clone()).unwrap_or_default(),
        available: convert::amount_out(e, asset, available),
        locked: convert::amount_out(e, asset, locked),
    }
}

/// The account's held balances (available or locked not zero) by ascending asset id:
/// at most `limit`, ids above `after`. Assets the account does not hold are left out, so
/// thousands of group currencies cost nothing here.
pub fn balances(e: &Engine, account: AccountId, after: Option<AssetId>, limit: usize) -> Vec<BalanceInfo> {
    e.held_balances(account, after, limit).into_iter().map(|(asset, available, locked)| balance_out(e, asset, available, locked)).collect()
}

/// The account's balances of the assets asked for, held or not, by ascending asset id
/// (unknown assets left out; at most `PAGE_MAX` asked).
pub fn balances_of(e: &Engine, account: AccountId, mut assets: Vec<u32>) -> Result<Response, ApiError> {
    if assets.len() > PAGE_MAX as usize {
        return Err(err(ErrorCode::InvalidArgument, format!("at most {PAGE_MAX} assets per BalancesOf")));
    }
    assets.sort_unstable();
    assets.dedup();
    let rows = assets
        .into_iter()
        .filter_map(|a| {
            let id = AssetId(a);
            e.asset(id)?;
            let (available, locked) = e.balance(account, id).unwrap_or((0, 0));
            Some(balance_out(e, id, available, locked))
        })
        .collect();
    Ok(Response::Balances(rows))
}

/// At most `limit` of the account's resting orders with ids above `after`, ascending.
pub fn open_orders(e: &Engine, account: AccountId, after: Option<OrderId>, limit: usize) -> Vec<OrderInfo> {
    e.open_orders_after(account, after, limit)
        .into_iter()
        .map(|o| {
            let u = e.market_units(o.market).expect("market of an order");
            OrderInfo {
                order: o.order.0,
                market: o.market.0,
                side: convert::side_out(o.side),
                price: u.ticks_to_price(o.price),
                quantity: u.lots_to_quantity(o.quantity),
                filled: u.lots_to_quantity(o.filled),
                tif: convert::tif_out(o.tif),
            }
        })
        .collect()
}

/// The answer to `Assets`: the assets with their kind and decimal places, by ascending id
/// (the first `PAGE_MAX`: `Page(Assets)` has the rest).
pub fn assets(engine: &Engine) -> Result<Response, ApiError> {
    Ok(Response::Assets(asset_list(engine).into_iter().take(PAGE_MAX as usize).collect()))
}

fn asset_list(engine: &Engine) -> Vec<AssetInfo> {
    engine
        .assets()
        .into_iter()
        .map(|a| AssetInfo { asset: a.id.0, symbol: a.symbol.clone(), kind: convert::asset_kind_out(a.kind), decimals: a.decimals })
        .collect()
}

/// The answer to `MarketPolicies`: the markets' native policies in the market's units
/// (prices per tick, quantities per lot, the listing fee in the quote currency), by
/// ascending market id (the first `PAGE_MAX`: `Page(MarketPolicies)` has the rest).
pub fn market_policies(engine: &Engine) -> Result<Response, ApiError> {
    Ok(Response::MarketPolicies(policy_list(engine).into_iter().take(PAGE_MAX as usize).collect()))
}

fn policy_list(engine: &Engine) -> Vec<MarketPolicyInfo> {
    engine
        .markets()
        .into_iter()
        .map(|core::MarketInfo { spec, policy, .. }| MarketPolicyInfo {
            market: spec.id.0,
            maker_fee_bps: policy.maker_fee_bps,
            taker_fee_bps: policy.taker_fee_bps,
            listing_fee: convert::amount_out(engine, spec.quote, policy.listing_fee),
            min_quantity: convert::steps_out(spec.lot, policy.min_quantity),
            max_quantity: convert::steps_out(spec.lot, policy.max_quantity),
            max_price: convert::steps_out(spec.tick, policy.max_price),
            max_open_orders: policy.max_open_orders,
            buy_limit: policy.buy_limit.map(|b| BuyLimitInfo { quantity: convert::steps_out(spec.lot, b.quantity), window_ms: b.window_ms }),
            self_trade: convert::self_trade_out(policy.self_trade),
            rules: engine.rules_binding(spec.id).map(|b| b.name.clone()),
        })
        .collect()
}
