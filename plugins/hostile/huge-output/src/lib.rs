//! HOSTILE: `check-order` rejects with an enormous reason: 64 MiB, or as much as the
//! instance can allocate under the host's memory cap (it halves the size until allocation
//! succeeds). The host must refuse to copy it out (output limit, 64 KiB by default) rather
//! than balloon. Used by the host's sandbox tests.
//!
//! If the host's memory limiter traps on a refused `memory.grow` instead of failing it,
//! the first attempt traps: that is a memory fault, which the tests should accept as well.

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

/// The reason's target size.
pub const TARGET_BYTES: usize = 64 << 20;

/// The largest string of 'x' up to `target` bytes that can be allocated. Filled with one
/// `memset`, so that building it costs little fuel: the fault must come from its size.
pub fn biggest_string(target: usize) -> String {
    let mut size = target;
    loop {
        let mut bytes = Vec::new();
        if bytes.try_reserve_exact(size).is_ok() {
            bytes.resize(size, b'x');
            return String::from_utf8(bytes).expect("ASCII is UTF-8");
        }
        if size <= 1 {
            return String::new();
        }
        size /= 2;
    }
}

/// MISBEHAVIOUR: a multi-megabyte rejection reason.
fn misbehave() -> Verdict {
    Verdict::Reject(biggest_string(TARGET_BYTES))
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
    fn builds_the_string_it_is_asked_for() {
        assert_eq!(biggest_string(1000).len(), 1000);
        assert!(biggest_string(1000).bytes().all(|b| b == b'x'));
    }
}
