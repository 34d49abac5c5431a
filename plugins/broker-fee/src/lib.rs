//! EVE-style fees: a broker fee when an order starts resting, a relist fee when a resting
//! order is modified, and a sales tax paid by whoever sells. Buyers pay no trade fee.
//! Admission is left to the native checks (every order that reaches the plugin is accepted).
//!
//! Config (basis points of the notional, amounts in quote minor units):
//! - `broker_fee_bps`: broker fee on a new resting order (default 300 = 3 %);
//! - `min_broker_fee`: the least broker or relist fee when its rate is not 0 (default 0);
//! - `relist_fee_bps`: fee on a modification, of the new notional (default 50);
//! - `sales_tax_bps`: tax on each fill, charged to the selling side (default 750).
//!
//! A malformed value makes every hook fault (with the reason in the server log), so the
//! host quarantines the plugin and the market's native fees apply until it is fixed.

use entrepot_sdk::bps;
use entrepot_sdk::config::{Config, ConfigError};
use entrepot_sdk::market_rules::{AccountView, Fees, Guest, Listing, MarketStatus, MarketView, OrderCheck, Side, Trade, Verdict};

pub struct BrokerFee;

/// The fee schedule from the manifest's `[config]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub broker_fee_bps: u64,
    pub min_broker_fee: u64,
    pub relist_fee_bps: u64,
    pub sales_tax_bps: u64,
}

/// Parsed once per instance: the config cannot change under it.
static SCHEDULE: entrepot_sdk::config::Cached<Schedule> = entrepot_sdk::config::Cached::new();

impl Schedule {
    pub fn from_config(config: &Config) -> Result<Schedule, ConfigError> {
        Ok(Schedule {
            broker_fee_bps: config.get_or("broker_fee_bps", 300)?,
            min_broker_fee: config.get_or("min_broker_fee", 0)?,
            relist_fee_bps: config.get_or("relist_fee_bps", 50)?,
            sales_tax_bps: config.get_or("sales_tax_bps", 750)?,
        })
    }

    /// Loads the schedule or faults: a half-configured fee plugin must not guess.
    fn load() -> Schedule {
        Schedule::from_config(&Config::load()).unwrap_or_else(|e| {
            entrepot_sdk::log::error(&e.to_string());
            panic!("broker-fee: {e}")
        })
    }

    /// The fee for a listing: a new order pays the broker fee, a modification the relist fee.
    pub fn listing_fee(&self, listing: &Listing) -> u64 {
        let rate = match listing.modifies {
            None => self.broker_fee_bps,
            Some(_) => self.relist_fee_bps,
        };
        if rate == 0 {
            return 0;
        }
        bps::of(listing.notional, rate).max(self.min_broker_fee)
    }

    /// Sales tax on the seller, whether maker or taker.
    pub fn trade_fees(&self, trade: &Trade) -> Fees {
        let tax = bps::of(trade.notional, self.sales_tax_bps);
        match trade.taker_side {
            Side::Sell => Fees { maker: 0, taker: tax },
            Side::Buy => Fees { maker: tax, taker: 0 },
        }
    }
}

impl Guest for BrokerFee {
    fn check_order(_: MarketView, _: AccountView, _: OrderCheck) -> Verdict {
        Verdict::Accept
    }

    fn trade_fees(_: MarketView, trade: Trade) -> Fees {
        SCHEDULE.get(Schedule::load).trade_fees(&trade)
    }

    fn listing_fee(_: MarketView, listing: Listing) -> u64 {
        SCHEDULE.get(Schedule::load).listing_fee(&listing)
    }

    fn on_market_status(_: u32, _: MarketStatus) {}
}

entrepot_sdk::export_market_rules!(BrokerFee);

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::testing::Harness;

    fn eve() -> Harness {
        Harness::new().config("broker_fee_bps", 300).config("min_broker_fee", 100).config("relist_fee_bps", 50).config("sales_tax_bps", 750)
    }

    fn listing(notional: u64, modifies: Option<(u64, u64)>) -> Listing {
        Listing { account: 1, side: Side::Sell, price: 100, quantity: notional / 100, notional, modifies }
    }

    fn trade(notional: u64, taker_side: Side) -> Trade {
        Trade { price: 100, quantity: notional / 100, notional, taker_side, maker_account: 1, taker_account: 2 }
    }

    #[test]
    fn broker_fee_on_new_resting_orders_with_a_minimum() {
        let _host = eve();
        let view = MarketView::default();
        assert_eq!(BrokerFee::listing_fee(view, listing(1_000_000, None)), 30_000);
        assert_eq!(BrokerFee::listing_fee(view, listing(1_000, None)), 100);
    }

    #[test]
    fn relist_fee_on_modifications_of_the_new_notional() {
        let _host = eve();
        let view = MarketView::default();
        assert_eq!(BrokerFee::listing_fee(view, listing(1_000_000, Some((90, 5)))), 5_000);
        assert_eq!(BrokerFee::listing_fee(view, listing(100, Some((90, 5)))), 100);
    }

    #[test]
    fn the_seller_pays_sales_tax_maker_or_taker() {
        let _host = eve();
        let view = MarketView::default();
        assert_eq!(BrokerFee::trade_fees(view, trade(10_000, Side::Sell)), Fees { maker: 0, taker: 750 });
        assert_eq!(BrokerFee::trade_fees(view, trade(10_000, Side::Buy)), Fees { maker: 750, taker: 0 });
        assert_eq!(BrokerFee::trade_fees(view, trade(13, Side::Buy)), Fees { maker: 0, taker: 0 });
    }

    #[test]
    fn zero_rates_mean_no_fee_despite_the_minimum() {
        let _host = eve().config("broker_fee_bps", 0).config("relist_fee_bps", 0);
        let view = MarketView::default();
        assert_eq!(BrokerFee::listing_fee(view, listing(1_000_000, None)), 0);
        assert_eq!(BrokerFee::listing_fee(view, listing(1_000_000, Some((1, 1)))), 0);
    }

    #[test]
    fn defaults_apply_to_missing_keys() {
        let _host = Harness::new();
        let schedule = Schedule::from_config(&Config::load()).unwrap();
        assert_eq!(schedule, Schedule { broker_fee_bps: 300, min_broker_fee: 0, relist_fee_bps: 50, sales_tax_bps: 750 });
        assert!(BrokerFee::check_order(MarketView::default(), AccountView::default(), entrepot_sdk::testing::limit(Side::Buy, 1, 1)).is_accept());
    }

    #[test]
    #[should_panic(expected = "broker-fee: config key `sales_tax_bps` = \"7.5%\" is not a valid u64")]
    fn a_malformed_value_faults_and_logs() {
        let _host = eve().config("sales_tax_bps", "7.5%");
        BrokerFee::trade_fees(MarketView::default(), trade(10_000, Side::Sell));
    }
}
