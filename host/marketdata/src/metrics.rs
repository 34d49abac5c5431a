//! Metric history: for every (metric, measure) one sample per sampling interval over the
//! last 24 hours, kept as exact integers in a ring, with running exact sums (Σx in i128,
//! Σx² in 256 bits) so a ranking by standard deviation reads each series in O(1).
//! Nothing stored is a float; only a ranking's final division and square root are.

use std::collections::BTreeMap;

pub use entrepot_core::alerts::Measure;
use serde::{Deserialize, Serialize};

/// What a metric describes. Its name is `COPPER/GOLD` (the market's symbol),
/// `economy:GOLD` (a currency) or `economy` (the whole game).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// A market (price, volume, change, spread, depth).
    Market(u32),
    /// A currency (supply, minted, burned, fees, stakes, payouts).
    Currency(u32),
    /// The game (active accounts, open orders).
    Economy,
}

/// An unsigned 256-bit sum (Σx² of up to a day of i64 samples needs ~137 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wide {
    hi: u128,
    lo: u128,
}

impl Wide {
    fn add(&mut self, x: u128) {
        let (lo, carry) = self.lo.overflowing_add(x);
        self.lo = lo;
        self.hi = self.hi.checked_add(u128::from(carry)).expect("fits 256 bits");
    }

    fn sub(&mut self, x: u128) {
        let (lo, borrow) = self.lo.overflowing_sub(x);
        self.lo = lo;
        self.hi = self.hi.checked_sub(u128::from(borrow)).expect("only what was added is taken away");
    }

    /// `a × b` in full.
    fn product(a: u128, b: u128) -> Wide {
        let mask = u128::from(u64::MAX);
        let (a1, a0, b1, b0) = (a >> 64, a & mask, b >> 64, b & mask);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        let mut w = Wide { hi: p11, lo: p00 };
        for cross in [p01, p10] {
            w.add(cross << 64);
            w.hi = w.hi.checked_add(cross >> 64).expect("fits 256 bits");
        }
        w
    }

    /// `self × k`.
    fn times(self, k: u32) -> Wide {
        let mut w = Wide::product(self.lo, u128::from(k));
        w.hi = w.hi.checked_add(self.hi.checked_mul(u128::from(k)).expect("fits 256 bits")).expect("fits 256 bits");
        w
    }

    fn minus(mut self, other: Wide) -> Wide {
        self.sub(other.lo);
        self.hi = self.hi.checked_sub(other.hi).expect("n·Σx² ≥ (Σx)²");
        self
    }

    fn to_f64(self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // the one float step: a ranking's key
        let v = self.hi as f64 * 2f64.powi(128) + self.lo as f64;
        v
    }
}

/// A slot without a value; [`sample`] never produces it.
const NONE: i64 = i64::MIN;

/// One (metric, measure): a ring of samples (`None` = no value that interval) and their
/// exact running sums.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// [`NONE`] where a sample has no value (8 bytes a slot, not an `Option`'s 16).
    values: Vec<i64>,
    /// Sample index (time / sample interval) of the newest write.
    newest: u64,
    sum: i128,
    squares: Wide,
    count: u32,
}

impl Series {
    fn new(slots: usize, index: u64) -> Series {
        Series { values: vec![NONE; slots], newest: index.saturating_sub(1), sum: 0, squares: Wide::default(), count: 0 }
    }

    fn slots(&self) -> u64 {
        self.values.len() as u64
    }

    fn slot(&self, index: u64) -> usize {
        usize::try_from(index % self.slots()).expect("a ring index fits usize")
    }

    fn evict(&mut self, index: u64) {
        let slot = self.slot(index);
        let x = std::mem::replace(&mut self.values[slot], NONE);
        if x != NONE {
            self.sum -= i128::from(x);
            // Squared in u128 like in `write` (a u64 square overflows from |x| ≥ 2^32).
            self.squares.sub(u128::from(x.unsigned_abs()).pow(2));
            self.count -= 1;
        }
    }

    /// Write the sample of `index` (the next one after `newest`, or later: the skipped
    /// ones become `None`).
    fn write(&mut self, index: u64, value: Option<i64>) {
        assert!(index > self.newest || (self.newest == 0 && index == 0), "samples are written in time order");
        let first = (self.newest + 1).max(index.saturating_sub(self.slots() - 1));
        for i in first..=index {
            self.evict(i);
        }
        if let Some(x) = value {
            assert_ne!(x, NONE, "samples come from `sample`, which never makes NONE");
            let slot = self.slot(index);
            self.values[slot] = x;
            self.sum += i128::from(x);
            self.squares.add(u128::from(x.unsigned_abs()).pow(2));
            self.count += 1;
        }
        self.newest = index;
    }

    /// The sample of `index`, if it is within the ring and has a value.
    pub fn get(&self, index: u64) -> Option<i64> {
        (index <= self.newest && index + self.slots() > self.newest).then(|| self.values[self.slot(index)]).filter(|&x| x != NONE)
    }

    /// The last `slots` samples ending at `index`, oldest first.
    pub fn window(&self, index: u64) -> Vec<Option<i64>> {
        (index + 1 - self.slots().min(index + 1)..=index).map(|i| self.get(i)).collect()
    }

    /// The samples before `end`, newest first (`end - 1`, `end - 2`, ...; `None` for a gap),
    /// as far back as the ring reaches: a walk over the ring, no division per sample.
    pub fn before(&self, end: u64) -> impl Iterator<Item = Option<i64>> + '_ {
        // Positions after the newest sample are gaps (the caller takes as many as it needs).
        let unwritten = usize::try_from(end.saturating_sub(self.newest + 1)).unwrap_or(usize::MAX);
        let top = end.min(self.newest + 1);
        let oldest = (self.newest + 1).saturating_sub(self.slots());
        let held = usize::try_from(top.saturating_sub(oldest)).expect("at most a ring");
        let split = if held > 0 { self.slot(top - 1) + 1 } else { 0 };
        let (older, newer) = self.values.split_at(split);
        std::iter::repeat_n(None, unwritten).chain(older.iter().rev().chain(newer.iter().rev()).take(held).map(|&x| (x != NONE).then_some(x)))
    }

    /// (Σ, count) of the samples among the `samples` before `index`.
    pub fn sum_before(&self, index: u64, samples: usize) -> (i128, u32) {
        self.before(index).take(samples).flatten().fold((0, 0), |(s, n), x| (s + i128::from(x), n + 1))
    }

    /// Samples with a value in the ring.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// (mean, population standard deviation) of the samples in the ring, if any.
    pub fn mean_stddev(&self) -> Option<(f64, f64)> {
        if self.count == 0 {
            return None;
        }
        let n = self.count;
        // n·Σx² − (Σx)², exact; then one division and one square root.
        let numerator = self.squares.times(n).minus(Wide::product(self.sum.unsigned_abs(), self.sum.unsigned_abs()));
        let nf = f64::from(n);
        #[allow(clippy::cast_precision_loss)]
        let mean = self.sum as f64 / nf;
        Some((mean, numerator.to_f64().sqrt() / nf))
    }
}

/// Every series, by (subject, measure).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    series: BTreeMap<(Subject, Measure), Series>,
    /// Ring length (samples in 24 hours).
    slots: usize,
}

impl History {
    /// Empty, with `slots` samples per series.
    pub fn new(slots: usize) -> History {
        History { series: BTreeMap::new(), slots }
    }

    /// Record sample `index` of one series.
    pub fn record(&mut self, subject: Subject, measure: Measure, index: u64, value: Option<i64>) {
        let slots = self.slots;
        let series = match self.series.get_mut(&(subject, measure)) {
            Some(s) => s,
            None if value.is_none() => return,
            None => self.series.entry((subject, measure)).or_insert_with(|| Series::new(slots, index)),
        };
        series.write(index, value);
    }

    /// One series.
    pub fn get(&self, subject: Subject, measure: Measure) -> Option<&Series> {
        self.series.get(&(subject, measure))
    }

    /// Every series.
    pub fn iter(&self) -> impl Iterator<Item = (&(Subject, Measure), &Series)> {
        self.series.iter()
    }

    /// Samples per series.
    pub fn slots(&self) -> usize {
        self.slots
    }
}

/// Convert an exact total to a sample, saturating at the i64 range (a stored sample never
/// wraps; totals beyond ±9.2·10^18 units do not occur under `MAX_SUPPLY`).
pub fn sample(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN + 1 } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_sums_match_a_recount_and_evict_in_order() {
        let mut s = Series::new(4, 10);
        for (i, v) in [(10, Some(5)), (11, None), (12, Some(-3)), (13, Some(7)), (14, Some(1)), (17, Some(2))] {
            s.write(i, v);
            let live: Vec<i64> = s.window(i).into_iter().flatten().collect();
            assert_eq!(s.sum, live.iter().map(|&x| i128::from(x)).sum::<i128>());
            assert_eq!(s.count as usize, live.len());
        }
        assert_eq!(s.window(17), vec![Some(1), None, None, Some(2)]);
    }

    #[test]
    fn walking_back_reads_what_get_reads() {
        let mut s = Series::new(5, 3);
        for (i, v) in [(3, Some(1)), (4, None), (5, Some(3)), (6, Some(4)), (9, Some(5)), (10, Some(6)), (11, None), (13, Some(8))] {
            s.write(i, v);
            for end in 0..i + 8 {
                let back: Vec<Option<i64>> = s.before(end).collect();
                let oldest = (s.newest + 1).saturating_sub(s.slots());
                assert!(back.len() as u64 >= end.saturating_sub(oldest).min(s.slots()), "end {end}: {back:?}");
                for (k, x) in back.iter().enumerate() {
                    assert_eq!(*x, s.get(end - 1 - k as u64), "end {end}, {k} back");
                }
                let w = usize::try_from(end % 4 + 1).unwrap();
                let naive = (end.saturating_sub(w as u64)..end).filter_map(|p| s.get(p)).fold((0, 0), |(t, n), x| (t + i128::from(x), n + 1));
                assert_eq!(s.sum_before(end, w), naive, "end {end}, {w} samples");
            }
        }
    }

    #[test]
    fn evicting_large_values_keeps_the_exact_sums() {
        // Samples beyond 2^32 (a currency's supply in minor units) whose squares exceed
        // 2^64: the ring must take them out again exactly once they are a day old.
        let mut s = Series::new(3, 1);
        let big = 1_000_000_000_000i64;
        for i in 1..=7 {
            s.write(i, Some(big + i64::try_from(i).unwrap()));
        }
        let (mean, sd) = s.mean_stddev().unwrap();
        #[allow(clippy::cast_precision_loss)]
        let expected = (big + 6) as f64;
        assert!((mean - expected).abs() < 1e-3, "mean {mean}");
        assert!((sd - (2.0f64 / 3.0).sqrt()).abs() < 1e-9, "sd {sd}");
    }

    #[test]
    fn stddev_is_exact_for_large_values() {
        let mut s = Series::new(1440, 0);
        let big = 1_000_000_000_000_000_000i64;
        for i in 0..1440 {
            s.write(i, Some(if i % 2 == 0 { big } else { big + 2 }));
        }
        let (mean, sd) = s.mean_stddev().unwrap();
        assert!((sd - 1.0).abs() < 1e-9, "sd {sd}");
        #[allow(clippy::cast_precision_loss)]
        let expected = (big + 1) as f64;
        assert!((mean - expected).abs() / expected < 1e-12);
    }
}
