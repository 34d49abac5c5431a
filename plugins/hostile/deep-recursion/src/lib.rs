//! HOSTILE: `check-order` recurses without end until the stack is exhausted (wasm's
//! shadow stack in linear memory, or the host's native stack limit): the instance traps.
//! Used by the host's sandbox tests.

use std::hint::black_box;

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

/// MISBEHAVIOUR: unbounded recursion. Each frame carries a 256-byte buffer and uses the
/// result of the call after it returns, and `black_box` hides the values from the optimiser,
/// so the recursion can be turned neither into a loop nor into nothing.
#[allow(unconditional_recursion)] // the whole point of this plugin
fn dive(depth: u64, frame: [u8; 256]) -> u64 {
    let mut frame = black_box(frame);
    frame[(depth % 256) as usize] = depth as u8;
    let below = dive(black_box(depth + 1), frame);
    below.wrapping_add(u64::from(black_box(frame)[0]))
}

fn misbehave() -> Verdict {
    let depth = dive(0, [0; 256]);
    Verdict::reject(format!("unreachable: returned from depth {depth}"))
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
