//! HOSTILE: `check-order` panics. On wasm32-wasip2 a panic aborts: the message goes to the
//! guest's stderr and the instance executes `unreachable`, which traps. Used by the host's
//! sandbox tests.

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

/// MISBEHAVIOUR: a deliberate panic, i.e. a trap through `unreachable`.
fn misbehave() -> Verdict {
    panic!("trap plugin: deliberate panic in check-order")
}

// Only check-order misbehaves: every other hook answers harmlessly (no fees, status
// ignored), and the host tests check that they still answer.
entrepot_sdk::export_admission_rules! {
    impl Hostile {
        fn check_order(_: MarketView, _: AccountView, _: OrderCheck) -> Verdict {
            misbehave()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::market_rules::{Fees, Guest, Listing, MarketStatus, Side, Trade};

    #[test]
    fn only_check_order_misbehaves() {
        let trade = Trade { price: 10, quantity: 2, notional: 20, taker_side: Side::Buy, maker_account: 1, taker_account: 2 };
        assert_eq!(Hostile::trade_fees(MarketView::default(), trade), Fees::ZERO);
        let listing = Listing { account: 1, side: Side::Sell, price: 10, quantity: 2, notional: 20, modifies: None };
        assert_eq!(Hostile::listing_fee(MarketView::default(), listing), 0);
        Hostile::on_market_status(1, MarketStatus::Halted);
    }

    #[test]
    #[should_panic(expected = "deliberate panic")]
    fn check_order_panics() {
        Hostile::check_order(MarketView::default(), AccountView::default(), entrepot_sdk::testing::limit(Side::Buy, 1, 1));
    }
}
