//! HOSTILE: `check-order` allocates memory until the allocator fails. The host's memory
//! cap (16 MiB by default) makes `memory.grow` fail, Rust's allocation-failure handler
//! aborts, and the instance traps. Used by the host's sandbox tests.

use std::hint::black_box;

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

/// MISBEHAVIOUR: keep 1 MiB blocks alive and touched, forever, until allocation fails.
fn misbehave() -> Verdict {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // Non-zero bytes: every page is written, not just reserved.
        hoard.push(vec![0xA5; 1 << 20]);
        black_box(&hoard);
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
