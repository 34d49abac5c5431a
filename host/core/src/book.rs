//! One market's order book: price levels of FIFO queues, with no knowledge of accounts or
//! money. The engine drives matching through these primitives (it needs to settle every
//! fill); `match_against` is the plain price-time loop used when only the book is wanted.
//!
//! Layout, chosen for zero allocations once warm: orders live in a slab (`Vec` + free
//! list) and are chained into per-level doubly linked lists by slab index; each side's
//! levels are a `Vec` sorted so that the best price is last (pushing and popping the best
//! level is O(1), and most activity is near it); ids map to slab slots in a hash map with a
//! fixed, deterministic hasher (only ever looked up, never iterated).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::command::Side;

const NIL: u32 = u32::MAX;

/// A resting order. `data` is whatever the owner of the book attaches (the engine keeps
/// the account and escrow there; a bare book uses `()`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resting<T> {
    /// The order's id (an `OrderId`'s value; a bet id on the betting exchange).
    pub id: u64,
    /// Bid or ask.
    pub side: Side,
    /// Price in ticks (on the betting exchange: the odds' ladder position).
    pub price: u64,
    /// Lots still resting (on the betting exchange: backers' stake in `STAKE_UNIT`s).
    pub quantity: u64,
    prev: u32,
    next: u32,
    /// The owner's attachment.
    pub data: T,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Level {
    price: u64,
    quantity: u64,
    head: u32,
    tail: u32,
}

/// One side's levels, sorted so that the best price is the last element, and their total
/// lots (derived: not encoded, recounted on decode, so the snapshot bytes do not change).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "LadderLevels")]
struct Ladder {
    levels: Vec<Level>,
    #[serde(skip)]
    lots: u128,
}

/// What a [`Ladder`] encodes.
#[derive(Deserialize)]
struct LadderLevels {
    levels: Vec<Level>,
}

impl From<LadderLevels> for Ladder {
    fn from(l: LadderLevels) -> Ladder {
        let lots = l.levels.iter().map(|l| u128::from(l.quantity)).sum();
        Ladder { levels: l.levels, lots }
    }
}

impl Ladder {
    fn with_capacity(levels: usize) -> Ladder {
        Ladder { levels: Vec::with_capacity(levels), lots: 0 }
    }

    /// `Ok(index)` of the level at `price`, or `Err(insertion index)`.
    fn find(&self, side: Side, price: u64) -> Result<usize, usize> {
        // Most traffic is at or near the best price, which sits at the end: scan a few
        // levels from there before falling back to binary search.
        let n = self.levels.len();
        let better = |a: u64, b: u64| match side {
            Side::Buy => a > b,
            Side::Sell => a < b,
        };
        let mut i = n;
        while i > 0 && n - i < 8 {
            let l = self.levels[i - 1].price;
            if l == price {
                return Ok(i - 1);
            }
            if better(price, l) {
                return Err(i);
            }
            i -= 1;
        }
        if i == 0 {
            return Err(0);
        }
        self.levels[..i].binary_search_by(|l| match side {
            Side::Buy => l.price.cmp(&price),
            Side::Sell => price.cmp(&l.price),
        })
    }
}

/// A deterministic, fast hasher for integer keys (ids). Never used for iteration.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

/// A hash map keyed by ids with the deterministic [`IdHasher`]. Only for lookups: never
/// iterate one where the order could reach events or the state hash.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// One market's order book: bids and asks as price levels of FIFO queues (price-time
/// priority), with `T` attached to each order. It knows nothing of accounts or money.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Book<T> {
    slots: Vec<Option<Resting<T>>>,
    free: Vec<u32>,
    index: IdMap<u64, u32>,
    bids: Ladder,
    asks: Ladder,
}

impl<T> Default for Book<T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<T> Book<T> {
    /// An empty book with room for `orders` resting orders before it allocates.
    pub fn with_capacity(orders: usize) -> Self {
        Book {
            slots: Vec::with_capacity(orders),
            // Vacated slots, reused before the slab grows; a quarter of the capacity
            // covers the churn of a busy book without reallocating.
            free: Vec::with_capacity(orders / 4),
            index: IdMap::with_capacity_and_hasher(orders, Default::default()),
            bids: Ladder::with_capacity(1024),
            asks: Ladder::with_capacity(1024),
        }
    }

    fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn ladder_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn slot(&self, i: u32) -> &Resting<T> {
        self.slots[i as usize].as_ref().expect("linked slot is occupied")
    }

    fn slot_mut(&mut self, i: u32) -> &mut Resting<T> {
        self.slots[i as usize].as_mut().expect("linked slot is occupied")
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no order rests.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether the order `id` rests here.
    pub fn contains(&self, id: u64) -> bool {
        self.index.contains_key(&id)
    }

    /// The resting order `id`, if any.
    pub fn get(&self, id: u64) -> Option<&Resting<T>> {
        self.index.get(&id).map(|&i| self.slot(i))
    }

    /// Mutable access to the attached data only: price and quantity change through the
    /// book so that level totals stay right.
    pub fn data_mut(&mut self, id: u64) -> Option<&mut T> {
        let i = *self.index.get(&id)?;
        Some(&mut self.slot_mut(i).data)
    }

    /// The best price of `side` (highest bid, lowest ask), if it has orders.
    pub fn best_price(&self, side: Side) -> Option<u64> {
        self.ladder(side).levels.last().map(|l| l.price)
    }

    /// The oldest order at the best price of `side`.
    pub fn best(&self, side: Side) -> Option<&Resting<T>> {
        self.ladder(side).levels.last().map(|l| self.slot(l.head))
    }

    /// Total lots resting at `price` on `side` (0 if there is no such level).
    pub fn level_quantity(&self, side: Side, price: u64) -> u64 {
        let ladder = self.ladder(side);
        match ladder.find(side, price) {
            Ok(i) => ladder.levels[i].quantity,
            Err(_) => 0,
        }
    }

    /// Total lots resting on `side`, in O(1).
    pub fn side_lots(&self, side: Side) -> u128 {
        let ladder = self.ladder(side);
        debug_assert_eq!(ladder.lots, ladder.levels.iter().map(|l| u128::from(l.quantity)).sum::<u128>());
        ladder.lots
    }

    /// Levels of `side` as (price, total lots), best first.
    pub fn depth(&self, side: Side) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ladder(side).levels.iter().rev().map(|l| (l.price, l.quantity))
    }

    /// Orders of `side` in matching order: best level first, oldest first within a level.
    pub fn iter_side(&self, side: Side) -> impl Iterator<Item = &Resting<T>> + '_ {
        self.ladder(side).levels.iter().rev().flat_map(move |l| {
            let mut cur = l.head;
            std::iter::from_fn(move || {
                if cur == NIL {
                    return None;
                }
                let o = self.slot(cur);
                cur = o.next;
                Some(o)
            })
        })
    }

    /// Add an order at the back of its price level. The id must not be resting already.
    pub fn insert(&mut self, id: u64, side: Side, price: u64, quantity: u64, data: T) {
        debug_assert!(quantity > 0 && !self.index.contains_key(&id));
        let order = Resting { id, side, price, quantity, prev: NIL, next: NIL, data };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(order);
                i
            }
            None => {
                self.slots.push(Some(order));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 resting orders")
            }
        };
        self.index.insert(id, i);
        self.ladder_mut(side).lots += u128::from(quantity);
        let pos = self.ladder(side).find(side, price);
        match pos {
            Ok(l) => {
                let tail = self.ladder(side).levels[l].tail;
                self.slot_mut(tail).next = i;
                self.slot_mut(i).prev = tail;
                let level = &mut self.ladder_mut(side).levels[l];
                level.tail = i;
                level.quantity += quantity;
            }
            Err(at) => {
                let level = Level { price, quantity, head: i, tail: i };
                self.ladder_mut(side).levels.insert(at, level);
            }
        }
    }

    /// Unlink slot `i` from its level, free the slot and return the order.
    fn unlink(&mut self, i: u32) -> Resting<T> {
        let order = self.slots[i as usize].take().expect("occupied");
        self.free.push(i);
        self.index.remove(&order.id);
        let side = order.side;
        if order.prev != NIL {
            self.slot_mut(order.prev).next = order.next;
        }
        if order.next != NIL {
            self.slot_mut(order.next).prev = order.prev;
        }
        let ladder = self.ladder_mut(side);
        let l = ladder.find(side, order.price).expect("level of a resting order exists");
        ladder.lots -= u128::from(order.quantity);
        let level = &mut ladder.levels[l];
        level.quantity -= order.quantity;
        if level.head == i {
            level.head = order.next;
        }
        if level.tail == i {
            level.tail = order.prev;
        }
        if level.head == NIL {
            ladder.levels.remove(l);
        }
        order
    }

    /// Take an order out of the book.
    pub fn remove(&mut self, id: u64) -> Option<Resting<T>> {
        let i = *self.index.get(&id)?;
        Some(self.unlink(i))
    }

    /// Lower an order's quantity in place, keeping its time priority. Panics unless the
    /// order rests and `0 < quantity <= its lots`.
    pub fn reduce(&mut self, id: u64, quantity: u64) {
        let i = self.index[&id];
        let o = self.slot_mut(i);
        assert!(quantity > 0 && quantity <= o.quantity, "reduce must keep 0 < quantity <= current");
        let (side, price, cut) = (o.side, o.price, o.quantity - quantity);
        o.quantity = quantity;
        let ladder = self.ladder_mut(side);
        let l = ladder.find(side, price).expect("level exists");
        ladder.levels[l].quantity -= cut;
        ladder.lots -= u128::from(cut);
    }

    /// Trade `quantity` lots off the oldest order at the best price of `side` (at most its
    /// lots: more panics). Returns the order if that emptied it (it is then out of the
    /// book), else `None`; `None` also when `side` is empty.
    pub fn fill_best(&mut self, side: Side, quantity: u64) -> Option<Resting<T>> {
        let ladder = self.ladder_mut(side);
        let level = ladder.levels.last_mut()?;
        level.quantity -= quantity;
        ladder.lots -= u128::from(quantity);
        let head = level.head;
        let o = self.slot_mut(head);
        assert!(quantity <= o.quantity, "cannot fill more than the maker has");
        o.quantity -= quantity;
        if o.quantity > 0 {
            return None;
        }
        // Fully filled: it is the head of the best level, so unlink cheaply.
        let order = self.slots[head as usize].take().expect("occupied");
        self.free.push(head);
        self.index.remove(&order.id);
        let ladder = self.ladder_mut(side);
        let level = ladder.levels.last_mut().expect("best level");
        level.head = order.next;
        if order.next == NIL {
            ladder.levels.pop();
        } else {
            let next = order.next;
            self.slot_mut(next).prev = NIL;
        }
        Some(order)
    }

    /// Plain price-time matching of an incoming order against `side`'s opposite, with no
    /// accounts: trades at resting prices up to `limit` (None = market) and returns the
    /// lots traded. `on_fill(maker_id, price, lots)` sees every fill.
    pub fn match_against(&mut self, taker_side: Side, limit: Option<u64>, mut quantity: u64, mut on_fill: impl FnMut(u64, u64, u64)) -> u64 {
        let maker_side = taker_side.opposite();
        let start = quantity;
        while quantity > 0 {
            let Some(best) = self.best(maker_side) else { break };
            let crosses = match (taker_side, limit) {
                (_, None) => true,
                (Side::Buy, Some(p)) => best.price <= p,
                (Side::Sell, Some(p)) => best.price >= p,
            };
            if !crosses {
                break;
            }
            let (id, price, q) = (best.id, best.price, best.quantity.min(quantity));
            self.fill_best(maker_side, q);
            on_fill(id, price, q);
            quantity -= q;
        }
        start - quantity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> Book<()> {
        let mut b = Book::with_capacity(16);
        b.insert(1, Side::Buy, 99, 5, ());
        b.insert(2, Side::Buy, 100, 3, ());
        b.insert(3, Side::Buy, 100, 4, ());
        b.insert(4, Side::Sell, 102, 2, ());
        b.insert(5, Side::Sell, 101, 6, ());
        b
    }

    #[test]
    fn best_levels_and_depth() {
        let b = book();
        assert_eq!(b.best_price(Side::Buy), Some(100));
        assert_eq!(b.best_price(Side::Sell), Some(101));
        assert_eq!(b.depth(Side::Buy).collect::<Vec<_>>(), vec![(100, 7), (99, 5)]);
        assert_eq!(b.depth(Side::Sell).collect::<Vec<_>>(), vec![(101, 6), (102, 2)]);
        assert_eq!((b.side_lots(Side::Buy), b.side_lots(Side::Sell)), (12, 8));
        let ids: Vec<u64> = b.iter_side(Side::Buy).map(|o| o.id).collect();
        assert_eq!(ids, vec![2, 3, 1]);
    }

    #[test]
    fn side_totals_are_recounted_on_decode_and_not_encoded() {
        let b = book();
        let cfg = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&b, cfg).unwrap();
        let (back, _): (Book<()>, usize) = bincode::serde::decode_from_slice(&bytes, cfg).unwrap();
        assert_eq!((back.side_lots(Side::Buy), back.side_lots(Side::Sell)), (12, 8));
        assert_eq!(bytes, bincode::serde::encode_to_vec(&back, cfg).unwrap());
        // A ladder encodes as its levels alone, as before the totals existed (snapshots
        // keep their bytes).
        #[derive(Serialize)]
        struct Levels<'a> {
            levels: &'a Vec<Level>,
        }
        let old = bincode::serde::encode_to_vec(Levels { levels: &b.bids.levels }, cfg).unwrap();
        assert_eq!(old, bincode::serde::encode_to_vec(&b.bids, cfg).unwrap());
    }

    #[test]
    fn price_time_priority_and_maker_price() {
        let mut b = book();
        let mut fills = vec![];
        let traded = b.match_against(Side::Sell, Some(99), 9, |id, p, q| fills.push((id, p, q)));
        assert_eq!(traded, 9);
        assert_eq!(fills, vec![(2, 100, 3), (3, 100, 4), (1, 99, 2)]);
        assert_eq!(b.depth(Side::Buy).collect::<Vec<_>>(), vec![(99, 3)]);
        assert_eq!(b.side_lots(Side::Buy), 3);
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn remove_and_reduce_keep_levels_consistent() {
        let mut b = book();
        assert_eq!(b.remove(2).map(|o| o.quantity), Some(3));
        b.reduce(3, 1);
        assert_eq!(b.depth(Side::Buy).collect::<Vec<_>>(), vec![(100, 1), (99, 5)]);
        assert_eq!(b.side_lots(Side::Buy), 6);
        b.remove(3);
        assert_eq!(b.best_price(Side::Buy), Some(99));
        assert!(b.remove(3).is_none());
        // slots are reused
        b.insert(7, Side::Buy, 100, 1, ());
        assert_eq!(b.best(Side::Buy).map(|o| o.id), Some(7));
    }
}
