//! Exact decimal odds and the exchange's tick ladder.
//!
//! Odds are kept as an integer number of ten-thousandths (`Odds(25_000)` = 2.5), so every
//! price a person can type with up to four decimals is exact and comparisons are integer
//! comparisons. Fixed-odds markets accept any odds from 1.0001 up to [`Odds::MAX`]; exchange
//! markets accept only the 350 prices of the Betfair ladder ([`ladder`]).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Decimal odds × 10 000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Odds(pub u64);

impl Odds {
    /// Units per 1.0 of decimal odds (`Odds(25_000)` = 2.5).
    pub const SCALE: u64 = 10_000;
    /// Even money plus the smallest step: odds of exactly 1 would return only the stake.
    pub const MIN: Odds = Odds(10_001);
    /// 1000.0, the highest odds taken (the top of the exchange ladder).
    pub const MAX: Odds = Odds(1_000 * Odds::SCALE);

    /// Exact conversion; `None` for more than four decimals or outside `MIN..=MAX`.
    pub fn from_decimal(value: Decimal) -> Option<Odds> {
        let scaled = value.checked_mul(Decimal::from(Odds::SCALE))?;
        if !scaled.fract().is_zero() {
            return None;
        }
        let odds = Odds(u64::try_from(scaled).ok()?);
        (Odds::MIN..=Odds::MAX).contains(&odds).then_some(odds)
    }

    /// Parse decimal odds ("2.5", surrounding spaces allowed), exactly as
    /// [`Odds::from_decimal`].
    pub fn parse(text: &str) -> Option<Odds> {
        text.trim().parse::<Decimal>().ok().and_then(Odds::from_decimal)
    }

    /// The decimal odds, without trailing zeros (`Odds(25_000)` → 2.5).
    pub fn to_decimal(self) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(self.0), 4).normalize()
    }

    /// The odds as an exact ratio (return per unit staked on a win).
    pub fn ratio(self) -> Ratio {
        Ratio::new(u128::from(self.0), u128::from(Odds::SCALE))
    }

    /// The ladder position of these odds, if they are on the exchange ladder.
    pub fn tick(self) -> Option<u16> {
        // No narrowing: odds past u32 are simply not on the ladder (a truncated value
        // could land on a ladder price).
        let price = u32::try_from(self.0).ok()?;
        LADDER.binary_search(&price).ok().map(|i| u16::try_from(i).expect("350 ladder prices"))
    }
}

impl fmt::Display for Odds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_decimal().fmt(f)
    }
}

/// Betfair's price ladder: (upper bound, step) per band, in ten-thousandths.
const BANDS: [(u32, u32); 10] = [
    (20_000, 100),
    (30_000, 200),
    (40_000, 500),
    (60_000, 1_000),
    (100_000, 2_000),
    (200_000, 5_000),
    (300_000, 10_000),
    (500_000, 20_000),
    (1_000_000, 50_000),
    (10_000_000, 100_000),
];

const fn build_ladder() -> [u32; 350] {
    let mut ladder = [0u32; 350];
    let mut price = 10_100u32;
    let mut i = 0;
    let mut band = 0;
    while i < 350 {
        ladder[i] = price;
        i += 1;
        while band < BANDS.len() && price >= BANDS[band].0 {
            band += 1;
        }
        if band < BANDS.len() {
            price += BANDS[band].1;
        }
    }
    ladder
}

/// The 350 exchange prices, 1.01 to 1000, ascending.
pub const LADDER: [u32; 350] = build_ladder();

/// A non-negative exact fraction, always in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    /// Top of the fraction.
    pub numerator: u128,
    /// Bottom of the fraction, never 0.
    pub denominator: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    /// 0/1: a lost bet's multiplier.
    pub const ZERO: Ratio = Ratio { numerator: 0, denominator: 1 };
    /// 1/1: a pushed or void bet's multiplier (the stake back).
    pub const ONE: Ratio = Ratio { numerator: 1, denominator: 1 };

    /// `numerator / denominator` in lowest terms. Panics on a zero denominator (a programming error: callers check plugin input).
    pub fn new(numerator: u128, denominator: u128) -> Ratio {
        assert!(denominator != 0, "ratio with a zero denominator");
        let g = gcd(numerator, denominator).max(1);
        Ratio { numerator: numerator / g, denominator: denominator / g }
    }

    /// The exact product, or `None` if it does not fit in `u128` terms.
    pub fn checked_mul(self, other: Ratio) -> Option<Ratio> {
        // Cross-reduce first so that products of many legs stay small.
        let g1 = gcd(self.numerator, other.denominator).max(1);
        let g2 = gcd(other.numerator, self.denominator).max(1);
        let n = (self.numerator / g1).checked_mul(other.numerator / g2)?;
        let d = (self.denominator / g2).checked_mul(other.denominator / g1)?;
        Some(Ratio::new(n, d))
    }

    /// The exact sum, or `None` if it does not fit in `u128` terms.
    pub fn checked_add(self, other: Ratio) -> Option<Ratio> {
        let n = self.numerator.checked_mul(other.denominator)?.checked_add(other.numerator.checked_mul(self.denominator)?)?;
        Some(Ratio::new(n, self.denominator.checked_mul(other.denominator)?))
    }

    /// `amount × self`, rounded down, or `None` if it does not fit in a u64.
    pub fn apply_floor(self, amount: u64) -> Option<u64> {
        let n = u128::from(amount).checked_mul(self.numerator)? / self.denominator;
        u64::try_from(n).ok()
    }

    /// Whether `amount × self` is a whole number (no rounding in [`Ratio::apply_floor`]).
    pub fn applies_exactly(self, amount: u64) -> bool {
        u128::from(amount).checked_mul(self.numerator).is_some_and(|n| n % self.denominator == 0)
    }

    /// Exact decimal value when it has one that fits (denominators of 2s and 5s).
    pub fn to_decimal(self) -> Option<Decimal> {
        let (mut n, mut d, mut scale) = (self.numerator, self.denominator, 0u32);
        while d != 1 {
            if d % 2 == 0 {
                d /= 2;
                n = n.checked_mul(5)?;
            } else if d % 5 == 0 {
                d /= 5;
                n = n.checked_mul(2)?;
            } else {
                return None;
            }
            scale += 1;
        }
        if scale > 28 {
            return None;
        }
        Some(Decimal::from_i128_with_scale(i128::try_from(n).ok()?, scale).normalize())
    }

    /// An exact decimal as a ratio.
    pub fn from_decimal(value: Decimal) -> Option<Ratio> {
        if value.is_sign_negative() {
            return None;
        }
        let n = u128::try_from(value.mantissa()).ok()?;
        Some(Ratio::new(n, 10u128.checked_pow(value.scale())?))
    }

    /// Compare without floating point.
    pub fn cmp_ratio(self, other: Ratio) -> std::cmp::Ordering {
        (self.numerator * other.denominator).cmp(&(other.numerator * self.denominator))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal() {
            Some(d) => d.fmt(f),
            None => write!(f, "{}/{}", self.numerator, self.denominator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_matches_betfair() {
        assert_eq!(LADDER.len(), 350);
        assert_eq!(LADDER[0], 10_100);
        assert_eq!(LADDER[349], 10_000_000);
        assert!(LADDER.windows(2).all(|w| w[0] < w[1]));
        for (price, index) in
            [("2", 99), ("2.02", 100), ("3.05", 150), ("4.1", 170), ("6.2", 190), ("10.5", 210), ("21", 230), ("32", 240), ("55", 250), ("110", 260)]
        {
            assert_eq!(Odds::parse(price).unwrap().tick(), Some(index), "{price}");
        }
        assert_eq!(Odds::parse("2.01").unwrap().tick(), None);
    }

    #[test]
    fn odds_are_exact() {
        assert_eq!(Odds::parse("2.5"), Some(Odds(25_000)));
        assert_eq!(Odds::parse("1.00005"), None);
        assert_eq!(Odds::parse("1"), None);
        assert_eq!(Odds::parse("1001"), None);
        assert_eq!(Odds(97_600).to_string(), "9.76");
        assert_eq!(Odds(25_000).ratio(), Ratio::new(5, 2));
    }

    #[test]
    fn ratios_stay_exact() {
        let r = Ratio::new(976, 100).checked_mul(Ratio::new(1, 2)).unwrap();
        assert_eq!(r, Ratio::new(244, 50));
        assert_eq!(r.to_decimal().unwrap().to_string(), "4.88");
        assert_eq!(Ratio::new(1, 3).to_decimal(), None);
        assert_eq!(Ratio::new(41_7175, 10_000).apply_floor(1), Some(41));
        assert_eq!(Ratio::from_decimal("25594.152002496".parse().unwrap()).unwrap().to_decimal().unwrap().to_string(), "25594.152002496");
    }
}

#[cfg(test)]
mod narrowing {
    use super::*;

    #[test]
    fn odds_past_u32_are_not_on_the_ladder() {
        assert_eq!(Odds(10_100).tick(), Some(0));
        assert_eq!(Odds((1 << 32) + 10_100).tick(), None);
    }
}
