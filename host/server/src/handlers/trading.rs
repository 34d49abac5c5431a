//! Trading requests: orders (placed, modified, cancelled as engine commands built on the
//! engine thread) and the trading queries (markets, book, balances, open orders).

use std::sync::Arc;

use entrepot_core::{AccountId, Body, MarketId, OrderId, RejectReason};
use entrepot_protocol::*;
use rust_decimal::Decimal;

use super::{built, query, Pending};
use crate::convert;
use crate::queries;
use crate::state::Shared;

pub async fn markets(shared: &Shared) -> Pending {
    query(shared, |e| Ok(Response::Markets(queries::markets(e).into_iter().take(PAGE_MAX as usize).collect()))).await
}

pub async fn place(shared: &Arc<Shared>, actor: AccountId, id: u64, order: PlaceOrder) -> Pending {
    built(shared, actor, id, Box::new(move |e| Ok(Body::Place(convert::order_in(e, &order)?)))).await
}

pub async fn cancel(shared: &Arc<Shared>, actor: AccountId, id: u64, order: u64) -> Pending {
    built(shared, actor, id, Box::new(move |_| Ok(Body::Cancel { order: OrderId(order) }))).await
}

pub async fn modify(shared: &Arc<Shared>, actor: AccountId, id: u64, order: u64, price: Decimal, quantity: Decimal) -> Pending {
    let build = Box::new(move |e: &entrepot_core::Engine| {
        // Another account's order is refused exactly like an unknown one (and before its
        // market's steps could tell them apart).
        let market = e.order(OrderId(order)).filter(|o| o.account == actor).map(|o| o.market).ok_or(RejectReason::UnknownOrder)?;
        let units = e.market_units(market).ok_or(RejectReason::UnknownMarket)?;
        Ok(Body::Modify { order: OrderId(order), price: units.price_to_ticks(price)?, quantity: units.quantity_to_lots(quantity)? })
    });
    built(shared, actor, id, build).await
}

pub async fn cancel_all(shared: &Arc<Shared>, actor: AccountId, id: u64, market: Option<u32>) -> Pending {
    built(shared, actor, id, Box::new(move |_| Ok(Body::CancelAll { market: market.map(MarketId) }))).await
}

/// The held balances, the first `PAGE_MAX` (`Page(Balances)` walks them all).
pub async fn balances(shared: &Shared, actor: AccountId) -> Pending {
    query(shared, move |e| Ok(Response::Balances(queries::balances(e, actor, None, PAGE_MAX as usize)))).await
}

pub async fn balances_of(shared: &Shared, actor: AccountId, assets: Vec<u32>) -> Pending {
    query(shared, move |e| queries::balances_of(e, actor, assets)).await
}

/// The first `PAGE_MAX` resting orders (`Page(OpenOrders)` walks them all).
pub async fn open_orders(shared: &Shared, actor: AccountId) -> Pending {
    query(shared, move |e| Ok(Response::OpenOrders(queries::open_orders(e, actor, None, PAGE_MAX as usize)))).await
}

pub async fn book(shared: &Shared, market: u32, depth: u32) -> Pending {
    query(shared, move |e| queries::book(e, market, depth)).await
}
