//! Trading state as wire answers: assets, markets and their policies, a book's depth,
//! balances and open orders. Pure
//! functions of the engine, run on the engine thread (`Sequencer::read`). The betting
//! counterparts are in `betting.rs`.

use entrepot_core::{self as core, AccountId, Engine, MarketId};
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

/// A market's book to `depth` levels a side (1..=1000), with its book sequence number.
pub fn book(e: &Engine, market: u32, depth: u32) -> Result<Response, ApiError> {
    let id = MarketId(market);
    let units = e.market_units(id).ok_or_else(|| err(ErrorCode::NotFound, "unknown market"))?;
    let side = |s| e.depth(id, s).into_iter().take(depth.clamp(1, 1000) as usize).map(|(p, q)| (units.ticks_to_price(p), units.lots_to_quantity(q))).collect();
    Ok(Response::Book(BookInfo { market, bids: side(core::Side::Buy), asks: side(core::Side::Sell), seq: e.book_seq(id).unwrap_or(0) }))
}

/// Every asset the account has held, available and locked.
pub fn balances(e: &Engine, account: AccountId) -> Vec<BalanceInfo> {
    e.assets()
        .into_iter()
        .filter_map(|a| {
            let (available, locked) = e.balance(account, a.id)?;
            Some(BalanceInfo {
                asset: a.id.0,
                symbol: a.symbol.clone(),
                available: convert::amount_out(e, a.id, available),
                locked: convert::amount_out(e, a.id, locked),
            })
        })
        .collect()
}

pub fn open_orders(e: &Engine, account: AccountId) -> Vec<OrderInfo> {
    e.open_orders(account)
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

/// The answer to `Assets`: every asset with its kind and decimal places, by ascending id.
pub fn assets(engine: &Engine) -> Result<Response, ApiError> {
    Ok(Response::Assets(
        engine
            .assets()
            .into_iter()
            .map(|a| AssetInfo { asset: a.id.0, symbol: a.symbol.clone(), kind: convert::asset_kind_out(a.kind), decimals: a.decimals })
            .collect(),
    ))
}

/// The answer to `MarketPolicies`: every market's native policy in the market's units
/// (prices per tick, quantities per lot, the listing fee in the quote currency), by
/// ascending market id.
pub fn market_policies(engine: &Engine) -> Result<Response, ApiError> {
    Ok(Response::MarketPolicies(
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
            .collect(),
    ))
}
