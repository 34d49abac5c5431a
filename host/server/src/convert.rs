//! Engine values ↔ wire values: integers of ticks, lots and minor units inside, exact
//! decimals outside. Conversions in are checked (off-tick, off-lot and too-precise values
//! are refused); conversions out are exact.

use entrepot_core as core;
use entrepot_core::units::{from_minor_units, to_minor_units};
use entrepot_core::{AssetId, Engine, Event, MarketId, RejectReason};
use entrepot_protocol as wire;
use rust_decimal::Decimal;

pub fn side_in(s: wire::Side) -> core::Side {
    match s {
        wire::Side::Buy => core::Side::Buy,
        wire::Side::Sell => core::Side::Sell,
    }
}

pub fn side_out(s: core::Side) -> wire::Side {
    match s {
        core::Side::Buy => wire::Side::Buy,
        core::Side::Sell => wire::Side::Sell,
    }
}

pub fn tif_in(t: wire::TimeInForce) -> core::TimeInForce {
    match t {
        wire::TimeInForce::Gtc => core::TimeInForce::Gtc,
        wire::TimeInForce::Ioc => core::TimeInForce::Ioc,
        wire::TimeInForce::Fok => core::TimeInForce::Fok,
        wire::TimeInForce::Gtd(at) => core::TimeInForce::Gtd(at),
    }
}

pub fn tif_out(t: core::TimeInForce) -> wire::TimeInForce {
    match t {
        core::TimeInForce::Gtc => wire::TimeInForce::Gtc,
        core::TimeInForce::Ioc => wire::TimeInForce::Ioc,
        core::TimeInForce::Fok => wire::TimeInForce::Fok,
        core::TimeInForce::Gtd(at) => wire::TimeInForce::Gtd(at),
    }
}

pub fn status_out(s: core::MarketStatus) -> wire::MarketStatus {
    match s {
        core::MarketStatus::Open => wire::MarketStatus::Open,
        core::MarketStatus::Halted => wire::MarketStatus::Halted,
        core::MarketStatus::Closed => wire::MarketStatus::Closed,
    }
}

pub fn status_in(s: wire::MarketStatus) -> core::MarketStatus {
    match s {
        wire::MarketStatus::Open => core::MarketStatus::Open,
        wire::MarketStatus::Halted => core::MarketStatus::Halted,
        wire::MarketStatus::Closed => core::MarketStatus::Closed,
    }
}

fn done_out(r: core::DoneReason) -> wire::DoneReason {
    match r {
        core::DoneReason::Filled => wire::DoneReason::Filled,
        core::DoneReason::Cancelled => wire::DoneReason::Cancelled,
        core::DoneReason::Expired => wire::DoneReason::Expired,
        core::DoneReason::Unfilled => wire::DoneReason::Unfilled,
        core::DoneReason::SelfTrade => wire::DoneReason::SelfTrade,
    }
}

/// A wire order → an engine order request (decimals checked against tick and lot).
pub fn order_in(engine: &Engine, o: &wire::PlaceOrder) -> Result<core::OrderRequest, RejectReason> {
    let market = MarketId(o.market);
    let units = engine.market_units(market).ok_or(RejectReason::UnknownMarket)?;
    let kind = match o.order {
        wire::OrderType::Limit { price, quantity } => {
            core::OrderKind::Limit { price: units.price_to_ticks(price)?, quantity: units.quantity_to_lots(quantity)? }
        }
        wire::OrderType::Market { quantity } => core::OrderKind::Market(core::MarketSize::Quantity(units.quantity_to_lots(quantity)?)),
        wire::OrderType::MarketBudget { budget } => core::OrderKind::Market(core::MarketSize::Budget(to_minor_units(budget, units.quote_decimals)?)),
    };
    Ok(core::OrderRequest { market, side: side_in(o.side), kind, tif: tif_in(o.tif), post_only: o.post_only })
}

/// An amount of an asset in minor units.
pub fn amount_in(engine: &Engine, asset: AssetId, amount: Decimal) -> Result<u64, RejectReason> {
    let spec = engine.asset(asset).ok_or(RejectReason::UnknownAsset)?;
    to_minor_units(amount, spec.decimals)
}

pub fn amount_out(engine: &Engine, asset: AssetId, units: u64) -> Decimal {
    engine.asset(asset).map_or(Decimal::from(units), |a| from_minor_units(units, a.decimals))
}

/// Where a pushed event goes. Market pushes carry their cursor: the book sequence number
/// of a level change, and for a trade the book sequence number after its command (a trade
/// always moves the book), so a book snapshot at seq S covers every push with cursor <= S.
pub enum Route {
    Account(u64),
    Market(u32, u64),
    /// A fixture's or a group's live stream; the cursor is the command's sequence number.
    Topic(wire::Topic, u64),
}

/// The pushes an engine event produces (several for a trade: each side's fill and the
/// public trade).
pub fn pushes(engine: &Engine, event: &Event, out: &mut Vec<(Route, wire::PushEvent)>) {
    let price = |m: MarketId, p: u64| engine.market_units(m).map_or(Decimal::ZERO, |u| u.ticks_to_price(p));
    let qty = |m: MarketId, q: u64| engine.market_units(m).map_or(Decimal::ZERO, |u| u.lots_to_quantity(q));
    let quote = |m: MarketId| engine.market_spec(m).map_or(AssetId(0), |x| x.quote);
    match *event {
        Event::OrderAccepted { order, account, market, side, price: p, quantity, .. } => out.push((
            Route::Account(account.0),
            wire::PushEvent::OrderAccepted {
                order: order.0,
                market: market.0,
                side: side_out(side),
                price: (p > 0).then(|| price(market, p)),
                quantity: qty(market, quantity),
            },
        )),
        Event::OrderModified { order, account, market, price: p, quantity, .. } => {
            out.push((Route::Account(account.0), wire::PushEvent::OrderModified { order: order.0, price: price(market, p), quantity: qty(market, quantity) }));
        }
        Event::Trade { trade, market, price: p, quantity, maker_order, maker_account, taker_order, taker_account, taker_side, maker_fee, taker_fee } => {
            let (px, q, quote) = (price(market, p), qty(market, quantity), quote(market));
            let fill = |order: core::OrderId, side, fee, maker| wire::PushEvent::Fill {
                order: order.0,
                trade: trade.0,
                market: market.0,
                side: side_out(side),
                price: px,
                quantity: q,
                fee: amount_out(engine, quote, fee),
                maker,
            };
            out.push((Route::Account(maker_account.0), fill(maker_order, taker_side.opposite(), maker_fee, true)));
            out.push((Route::Account(taker_account.0), fill(taker_order, taker_side, taker_fee, false)));
            out.push((
                Route::Market(market.0, engine.book_seq(market).unwrap_or(0)),
                wire::PushEvent::Trade { market: market.0, trade: trade.0, price: px, quantity: q, taker_side: side_out(taker_side) },
            ));
        }
        Event::OrderDone { order, account, market, reason, filled, .. } => {
            out.push((Route::Account(account.0), wire::PushEvent::OrderDone { order: order.0, reason: done_out(reason), filled: qty(market, filled) }));
        }
        Event::Balance { account, asset, available, locked } => out.push((
            Route::Account(account.0),
            wire::PushEvent::Balance { asset: asset.0, available: amount_out(engine, asset, available), locked: amount_out(engine, asset, locked) },
        )),
        Event::BookLevel { market, side, price: p, quantity, seq } => out.push((
            Route::Market(market.0, seq),
            wire::PushEvent::BookLevel { market: market.0, side: side_out(side), price: price(market, p), quantity: qty(market, quantity) },
        )),
        _ => {}
    }
}

pub fn asset_kind_out(k: core::AssetKind) -> wire::AssetKind {
    match k {
        core::AssetKind::Currency => wire::AssetKind::Currency,
        core::AssetKind::Item => wire::AssetKind::Item,
    }
}

pub fn self_trade_out(s: core::SelfTradePrevention) -> wire::SelfTradePrevention {
    match s {
        core::SelfTradePrevention::CancelNewest => wire::SelfTradePrevention::CancelNewest,
        core::SelfTradePrevention::CancelOldest => wire::SelfTradePrevention::CancelOldest,
        core::SelfTradePrevention::CancelBoth => wire::SelfTradePrevention::CancelBoth,
    }
}

/// `steps` of `step` as a decimal; a product beyond the decimal range (a limit left at
/// "no limit" on a market with a huge step) saturates to the largest decimal.
pub fn steps_out(step: Decimal, steps: u64) -> Decimal {
    step.checked_mul(Decimal::from(steps)).map_or(Decimal::MAX, |d| d.normalize())
}
