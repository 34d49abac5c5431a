//! Seeded pseudo-random streams: the one copy of the small generators that the tests, the
//! benchmarks, `entrepot-search`'s synthetic names and the simulator draw from.
//!
//! Every generator is a pure function of its seed, so a seed names a stream for good: the
//! differential tests, benchmark streams and simulations are reproducible from their seed,
//! and changing any of these functions would change every one of them. Do not "improve"
//! a generator here; add a new one instead.
//!
//! Nothing here is for cryptography or for anything players can observe: the engine itself
//! uses no randomness at all.
//!
//! | generator          | algorithm                                   | used by |
//! |--------------------|---------------------------------------------|---------|
//! | [`SplitMix64`]     | splitmix64 (Steele, Lea, Flood 2014)        | the core's differential/invariant stream generator, `entrepot-sim` |
//! | [`XorShift64`]     | Marsaglia's xorshift64 (13, 7, 17)          | the bench engine/betting/server streams, core betting mixes, the e2e crash load |
//! | [`XorShift64Star`] | xorshift64* (12, 25, 27, × 0x2545F4914F6CDD1D) | search's synthetic names, the betting search bench |

/// A seeded stream of `u64`s, with the small conveniences every user wrote by hand.
///
/// The conveniences reduce with `%` (the modulo bias is irrelevant at these sizes, and the
/// recorded streams depend on exactly this reduction).
pub trait Rng {
    /// The next number of the stream.
    fn next_u64(&mut self) -> u64;

    /// Uniform-ish in `0..n` (`n > 0`): `next_u64() % n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform-ish in `lo..=hi` (`lo <= hi`, and not the whole `u64` range).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// splitmix64: any seed (zero included) gives a full-period stream of well-mixed numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The stream of `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }
}

impl Rng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xorshift64 with the shifts (13, 7, 17); returns the new state. The seed must not be
/// zero (zero stays zero forever).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// The stream of `seed` (non-zero).
    pub const fn new(seed: u64) -> XorShift64 {
        XorShift64(seed)
    }
}

impl Rng for XorShift64 {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// xorshift64* with the shifts (12, 25, 27) and the multiplier 0x2545F4914F6CDD1D; returns
/// the scrambled state. The seed must not be zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XorShift64Star(u64);

impl XorShift64Star {
    /// The stream of `seed` (non-zero).
    pub const fn new(seed: u64) -> XorShift64Star {
        XorShift64Star(seed)
    }
}

impl Rng for XorShift64Star {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first<R: Rng>(mut r: R, n: usize) -> Vec<u64> {
        (0..n).map(|_| r.next_u64()).collect()
    }

    /// The published first outputs of splitmix64 for seed 0 (and the streams below are
    /// pinned: every seeded test and benchmark depends on them).
    #[test]
    fn splitmix64_matches_the_reference() {
        assert_eq!(first(SplitMix64::new(0), 3), [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]);
    }

    #[test]
    fn xorshift_streams_are_pinned() {
        let mut x = 1u64;
        let mut manual = Vec::new();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            manual.push(x);
        }
        assert_eq!(first(XorShift64::new(1), 3), manual);
        assert_eq!(manual[0], 0x4082_2041);
        assert_eq!(first(XorShift64Star::new(1), 1), [0x0200_0001u64.wrapping_mul(0x2545_F491_4F6C_DD1D)]);
    }

    #[test]
    fn conveniences_reduce_with_modulo() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        assert_eq!(a.below(10), b.next_u64() % 10);
        assert_eq!(a.range(5, 9), 5 + b.next_u64() % 5);
        assert_eq!(a.chance(30), b.next_u64() % 100 < 30);
        assert_eq!(a.pick(&[1, 2, 3]), [1, 2, 3][(b.next_u64() % 3) as usize]);
    }
}
