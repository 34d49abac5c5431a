//! A price band: refuse orders that would trade too far from the market's reference price,
//! the classic guard against fat fingers and book-sweeping.
//!
//! The reference is the last trade; before the first trade, the mid of the best bid and ask;
//! with neither there is no reference.
//! - A limit order (new or modified) is refused if its price is more than `band_bps` away
//!   from the reference; with no reference it is accepted (it is price discovery).
//! - A market order has no price of its own: it is refused if the best opposite price
//!   (the ask for a buy, the bid for a sell) is more than `band_bps` away from the reference,
//!   and refused when there is no reference at all, since nothing bounds what it would pay.
//!   The plugin sees only the top of the book: levels behind the best price are not checked.
//!
//! Config: `band_bps`, the band in basis points (required; 1000 = 10 %).
//! A missing or malformed value makes `check-order` fault (reason in the server log): the
//! host quarantines the plugin and the market's native policy applies.

use entrepot_sdk::bps;
use entrepot_sdk::market_rules::{AccountView, MarketInfo, MarketView, OrderCheck, Side, Verdict};

pub struct PriceBand;

/// Where the reference price comes from, for the player's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    LastTrade(u64),
    Mid(u64),
}

impl Reference {
    pub fn of(market: &MarketView) -> Option<Reference> {
        market.last_price.map(Reference::LastTrade).or_else(|| market.mid().map(Reference::Mid))
    }

    fn ticks(self) -> u64 {
        match self {
            Reference::LastTrade(p) | Reference::Mid(p) => p,
        }
    }

    fn describe(self, prices: &Prices) -> String {
        match self {
            Reference::LastTrade(p) => format!("the last trade {}", prices.show(p)),
            Reference::Mid(p) => format!("the mid price {}", prices.show(p)),
        }
    }
}

/// Renders ticks as decimal prices when the market's facts are known.
struct Prices(Option<MarketInfo>);

impl Prices {
    fn of(market: u32) -> Prices {
        Prices(entrepot_sdk::market::info(market))
    }

    fn show(&self, ticks: u64) -> String {
        self.0.as_ref().map_or_else(|| ticks.to_string(), |info| info.display_price(ticks))
    }
}

/// The admission decision for `order` with a band of `band_bps`.
pub fn check(band_bps: u64, market: &MarketView, order: &OrderCheck) -> Verdict {
    let reference = Reference::of(market);
    match (order.price, reference) {
        (Some(price), Some(reference)) if !bps::within(price, reference.ticks(), band_bps) => {
            let prices = Prices::of(market.market);
            Verdict::reject(format!("price {} is more than {} away from {}", prices.show(price), bps::percent(band_bps), reference.describe(&prices)))
        }
        (Some(_), _) => Verdict::Accept,
        (None, None) => {
            Verdict::reject("market orders are refused until this market has a reference price (a trade, or both a bid and an ask); place a limit order")
        }
        (None, Some(reference)) => {
            let touch = match order.side {
                Side::Buy => market.best_ask,
                Side::Sell => market.best_bid,
            };
            match touch {
                Some(touch) if !bps::within(touch, reference.ticks(), band_bps) => {
                    let prices = Prices::of(market.market);
                    let best = if order.side == Side::Buy { "ask" } else { "bid" };
                    Verdict::reject(format!(
                        "the best {best} {} is more than {} away from {}; place a limit order",
                        prices.show(touch),
                        bps::percent(band_bps),
                        reference.describe(&prices)
                    ))
                }
                _ => Verdict::Accept,
            }
        }
    }
}

/// Parsed once per instance: the config cannot change under it.
static BAND: entrepot_sdk::config::Cached<u64> = entrepot_sdk::config::Cached::new();

fn band_bps() -> u64 {
    entrepot_sdk::config::get("band_bps").unwrap_or_else(|e| {
        entrepot_sdk::log::error(&e.to_string());
        panic!("price-band: {e}")
    })
}

entrepot_sdk::export_admission_rules! {
    impl PriceBand {
        fn check_order(market: MarketView, _: AccountView, order: OrderCheck) -> Verdict {
            check(BAND.get(band_bps), &market, &order)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::market_rules::Guest;
    use entrepot_sdk::testing::{self, Harness};

    fn band() -> Harness {
        Harness::new().config("band_bps", 1000).market(testing::market(1, "IRON/GOLD", "0.01", "1", 2, 0))
    }

    fn view(last: Option<u64>, bid: Option<u64>, ask: Option<u64>) -> MarketView {
        MarketView { market: 1, now_ms: 0, last_price: last, best_bid: bid, best_ask: ask }
    }

    fn check_order(market: MarketView, order: OrderCheck) -> Verdict {
        PriceBand::check_order(market, AccountView::default(), order)
    }

    #[test]
    fn limit_orders_within_the_band_of_the_last_trade_pass() {
        let _host = band();
        let last = view(Some(1200), None, None);
        assert!(check_order(last, testing::limit(Side::Buy, 1320, 1)).is_accept());
        assert!(check_order(last, testing::limit(Side::Sell, 1080, 1)).is_accept());
    }

    #[test]
    fn outliers_get_a_readable_reason_in_decimal_prices() {
        let _host = band();
        assert_eq!(
            check_order(view(Some(1200), None, None), testing::limit(Side::Buy, 1500, 1)),
            Verdict::Reject("price 15.00 is more than 10.00% away from the last trade 12.00".into())
        );
        assert_eq!(
            check_order(view(None, Some(990), Some(1010)), testing::modify(Side::Sell, (1000, 1), 800, 1)),
            Verdict::Reject("price 8.00 is more than 10.00% away from the mid price 10.00".into())
        );
    }

    #[test]
    fn unknown_market_facts_fall_back_to_ticks() {
        let _host = Harness::new().config("band_bps", 500);
        assert_eq!(
            check_order(view(Some(1200), None, None), testing::limit(Side::Buy, 1500, 1)),
            Verdict::Reject("price 1500 is more than 5.00% away from the last trade 1200".into())
        );
    }

    #[test]
    fn without_a_reference_limits_pass_and_market_orders_do_not() {
        let _host = band();
        let empty = view(None, Some(1000), None);
        assert!(check_order(empty, testing::limit(Side::Buy, 1, 1)).is_accept());
        assert!(!check_order(empty, testing::market_order(Side::Sell, 1)).is_accept());
    }

    #[test]
    fn market_orders_are_checked_at_the_touch() {
        let _host = band();
        let thin = view(Some(1000), Some(950), Some(2000));
        assert!(check_order(thin, testing::market_order(Side::Sell, 1)).is_accept());
        assert_eq!(
            check_order(thin, testing::market_buy_with_budget(10_000)),
            Verdict::Reject("the best ask 20.00 is more than 10.00% away from the last trade 10.00; place a limit order".into())
        );
        // Nothing to trade against: the host fills nothing, no reason to refuse.
        assert!(check_order(view(Some(1000), None, None), testing::market_order(Side::Buy, 1)).is_accept());
    }

    #[test]
    #[should_panic(expected = "price-band: config key `band_bps` is missing")]
    fn the_band_is_required() {
        let _host = Harness::new();
        check_order(view(None, None, None), testing::limit(Side::Buy, 1, 1));
    }
}
