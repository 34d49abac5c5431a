//! The seeded operation stream every contender of the engine suite runs.
//!
//! Prefill: 10,000 resting limit orders, bids at 9,900–9,999 and asks at 10,001–10,100.
//! Then the measured operations: 60% limit (buys 9,940–10,019, sells 9,981–10,060, so about
//! a quarter cross), 25% cancel of a random earlier order id (often already filled), 15%
//! market orders of 1–50 lots. Limit orders are 1–100 lots. Sides alternate at random.
//! The generator is `entrepot_seeded::XorShift64` (also the betting suite's).

use entrepot_seeded::{Rng, XorShift64};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// `id` counts limit orders from 1.
    Limit {
        id: u64,
        side: Side,
        price: u64,
        qty: u64,
    },
    Cancel {
        id: u64,
    },
    Market {
        side: Side,
        qty: u64,
    },
}

pub const PREFILL: usize = 10_000;

/// (prefill, measured operations).
pub fn generate(ops: usize, seed: u64) -> (Vec<Op>, Vec<Op>) {
    let mut r = XorShift64::new(seed);
    let mut next_id = 0u64;
    let mut limit = |r: &mut XorShift64, side: Side, lo: u64, hi: u64| {
        next_id += 1;
        Op::Limit { id: next_id, side, price: r.range(lo, hi), qty: r.range(1, 100) }
    };
    let mut prefill = Vec::with_capacity(PREFILL);
    for i in 0..PREFILL {
        prefill.push(if i % 2 == 0 { limit(&mut r, Side::Buy, 9_900, 9_999) } else { limit(&mut r, Side::Sell, 10_001, 10_100) });
    }
    let mut measured = Vec::with_capacity(ops);
    for _ in 0..ops {
        let side = if r.next_u64().is_multiple_of(2) { Side::Buy } else { Side::Sell };
        let roll = r.next_u64() % 100;
        let op = if roll < 60 {
            match side {
                Side::Buy => limit(&mut r, side, 9_940, 10_019),
                Side::Sell => limit(&mut r, side, 9_981, 10_060),
            }
        } else if roll < 85 {
            Op::Cancel { id: 0 } // patched below, once the id range is known
        } else {
            Op::Market { side, qty: r.range(1, 50) }
        };
        measured.push(op);
    }
    // A cancel targets a random id issued before it.
    let mut issued = PREFILL as u64;
    for op in &mut measured {
        match op {
            Op::Limit { id, .. } => issued = *id,
            Op::Cancel { id } => *id = r.range(1, issued),
            Op::Market { .. } => {}
        }
    }
    (prefill, measured)
}
