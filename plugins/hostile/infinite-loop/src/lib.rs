//! HOSTILE: `check-order` never returns. It spins forever, burning fuel, until the host's
//! fuel meter or epoch deadline cuts it off. Used by the host's sandbox tests.

use std::hint::black_box;

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

/// MISBEHAVIOUR: an endless loop. `black_box` keeps the optimiser from proving the loop
/// has no effect (an effect-free infinite loop could otherwise be folded into a trap).
fn misbehave() -> Verdict {
    let mut spins = 0u64;
    loop {
        spins = black_box(spins.wrapping_add(1));
    }
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
}
