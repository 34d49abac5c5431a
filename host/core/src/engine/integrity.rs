//! Integrity: the state hash that recovery and `verify` compare, and every invariant the
//! ledger, the books and betting promise (checked after every command in the tests).

use super::Engine;
use crate::book::IdMap;
use crate::command::Side;
use crate::ids::{AccountIx, AssetIx, Lots, MarketIx, Minor};

impl Engine {
    /// A hash of the logical state (balances, orders, books, counters, bets), equal for
    /// equal command sequences. It is FNV-1a over the canonical encoding of a
    /// [`crate::Snapshot`] without the command counter and remembered requests: explicit
    /// fields in declared order, independent of hash-map iteration, slab layout or field
    /// names.
    pub fn state_hash(&self) -> u64 {
        let snapshot = self.snapshot().without_requests();
        let bytes = bincode::serde::encode_to_vec(&snapshot, bincode::config::standard()).expect("encoding to a Vec cannot fail");
        fnv1a(&bytes)
    }

    /// Check every invariant the ledger and books promise; Err describes the first breach.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut escrow: IdMap<(AccountIx, AssetIx), Minor> = IdMap::default();
        let mut seats: IdMap<(AccountIx, MarketIx), (u32, Lots)> = IdMap::default();
        for (m, mk) in self.books.markets.iter().enumerate() {
            let m = MarketIx::new(m);
            if let (Some(bid), Some(ask)) = (mk.book.best_price(Side::Buy), mk.book.best_price(Side::Sell)) {
                if bid >= ask {
                    return Err(format!("market {} is crossed: bid {bid} >= ask {ask}", mk.spec.id));
                }
            }
            for side in [Side::Buy, Side::Sell] {
                let mut level_sum: IdMap<u64, Lots> = IdMap::default();
                for o in mk.book.iter_side(side) {
                    let need = mk.hold_for(side, o.price, o.quantity);
                    if need != Some(o.data.held) {
                        return Err(format!("order {} holds {} but needs {need:?}", o.id, o.data.held));
                    }
                    if self.books.market_of(crate::ids::OrderId(o.id)) != Some(m) {
                        return Err(format!("order {} is not indexed", o.id));
                    }
                    *escrow.entry((o.data.account, mk.held_asset(side))).or_default() += o.data.held;
                    *level_sum.entry(o.price).or_default() += o.quantity;
                    let seat = seats.entry((o.data.account, m)).or_default();
                    seat.0 += 1;
                    if side == Side::Buy {
                        seat.1 += o.quantity;
                    }
                }
                for (price, q) in mk.book.depth(side) {
                    if level_sum.get(&price) != Some(&q) {
                        return Err(format!("level {price} of market {} says {q} lots", mk.spec.id));
                    }
                }
            }
        }
        if self.books.resting_orders() != self.books.markets.iter().map(|m| m.book.len()).sum::<usize>() {
            return Err("order index and books disagree".into());
        }
        self.books.check_account_index()?;
        self.check_betting()?;
        let mut locked: IdMap<(AccountIx, AssetIx), Minor> = IdMap::default();
        for (a, acc) in self.ledger.accounts().iter().enumerate() {
            for (s, b) in acc.balances.iter().enumerate() {
                if b.locked > 0 {
                    locked.insert((AccountIx::new(a), AssetIx::new(s)), b.locked);
                }
            }
        }
        if locked != escrow {
            return Err(format!("locked balances {locked:?} differ from order holds {escrow:?}"));
        }
        for ((a, m), seat) in self.books.seats() {
            let counted = seats.get(&(a, m)).copied().unwrap_or_default();
            if (seat.open, seat.resting_buy) != counted {
                return Err(format!("slots of account {a:?} in market {m:?}: {seat:?} vs counted {counted:?}"));
            }
        }
        self.ledger.check_conservation()
    }
}

/// FNV-1a, 64-bit: stable across platforms and Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
