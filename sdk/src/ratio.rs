//! Exact ratios for bet outcomes ([`Ratio`] is the WIT `bet.ratio`).
//!
//! ```
//! use entrepot_sdk::ratio;
//!
//! let odds = ratio::from_decimal_odds("2.5")?;
//! assert_eq!((odds.numerator, odds.denominator), (5, 2));
//! assert_eq!(ratio::apply(100, &odds), Some(250));
//! # Ok::<(), entrepot_sdk::ratio::RatioError>(())
//! ```

use std::fmt;

pub use crate::bet_type::Ratio;
use crate::decimal;

/// The return of a stake that is given back whole.
pub const ONE: Ratio = Ratio { numerator: 1, denominator: 1 };
/// Half the stake back.
pub const HALF: Ratio = Ratio { numerator: 1, denominator: 2 };

/// Why a ratio could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RatioError {
    /// A ratio over 0.
    ZeroDenominator,
    /// Not a plain decimal number.
    Malformed {
        /// The text given.
        input: String,
    },
    /// Below zero.
    Negative {
        /// The text given.
        input: String,
    },
    /// Needs more than 64 bits on either side.
    TooLarge {
        /// The text given.
        input: String,
    },
    /// Decimal odds return at least the stake.
    OddsBelowOne {
        /// The text given.
        input: String,
    },
}

impl fmt::Display for RatioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RatioError::ZeroDenominator => f.write_str("a ratio's denominator cannot be 0"),
            RatioError::Malformed { input } => write!(f, "{input:?} is not a plain decimal number"),
            RatioError::Negative { input } => write!(f, "{input} is negative"),
            RatioError::TooLarge { input } => write!(f, "{input} is too large for a ratio"),
            RatioError::OddsBelowOne { input } => write!(f, "decimal odds {input} are below 1"),
        }
    }
}

impl std::error::Error for RatioError {}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// `numerator / denominator` in lowest terms.
pub fn new(numerator: u64, denominator: u64) -> Result<Ratio, RatioError> {
    if denominator == 0 {
        return Err(RatioError::ZeroDenominator);
    }
    let divisor = gcd(numerator, denominator);
    Ok(Ratio { numerator: numerator / divisor, denominator: denominator / divisor })
}

/// A non-negative exact decimal as a ratio in lowest terms: `"0.75"` → 3 / 4.
pub fn from_decimal(text: &str) -> Result<Ratio, RatioError> {
    let value = decimal::parse(text).map_err(|_| RatioError::Malformed { input: text.to_owned() })?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(RatioError::Negative { input: text.to_owned() });
    }
    let too_large = || RatioError::TooLarge { input: text.to_owned() };
    let numerator = u64::try_from(value.mantissa()).map_err(|_| too_large())?;
    let denominator = 10u64.checked_pow(value.scale()).ok_or_else(too_large)?;
    new(numerator, denominator)
}

/// Decimal (European) odds, the return per unit staked, stake included: `"2.5"` → 5 / 2.
pub fn from_decimal_odds(text: &str) -> Result<Ratio, RatioError> {
    let ratio = from_decimal(text)?;
    if ratio.numerator < ratio.denominator {
        return Err(RatioError::OddsBelowOne { input: text.to_owned() });
    }
    Ok(ratio)
}

/// `amount x ratio`, rounded down; `None` if it does not fit in u64 or the denominator is 0.
pub fn apply(amount: u64, ratio: &Ratio) -> Option<u64> {
    if ratio.denominator == 0 {
        return None;
    }
    let scaled = u128::from(amount) * u128::from(ratio.numerator) / u128::from(ratio.denominator);
    u64::try_from(scaled).ok()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_reduced_ratios() {
        assert_eq!(from_decimal_odds("2.5"), new(5, 2));
        assert_eq!(from_decimal_odds("1.90"), new(19, 10));
        assert_eq!(from_decimal("0"), Ok(Ratio { numerator: 0, denominator: 1 }));
        assert_eq!(from_decimal("3").unwrap().to_string(), "3/1");
        assert_eq!(new(6, 4).unwrap().to_string(), "3/2");
    }

    #[test]
    fn bad_inputs_are_explained() {
        assert_eq!(new(1, 0), Err(RatioError::ZeroDenominator));
        assert_eq!(from_decimal_odds("0.5").unwrap_err().to_string(), "decimal odds 0.5 are below 1");
        assert_eq!(from_decimal("-1"), Err(RatioError::Negative { input: "-1".into() }));
        assert_eq!(from_decimal("2,5"), Err(RatioError::Malformed { input: "2,5".into() }));
        assert!(matches!(from_decimal("0.00000000000000000001"), Err(RatioError::TooLarge { .. })));
    }

    #[test]
    fn apply_rounds_down() {
        assert_eq!(apply(3, &HALF), Some(1));
        assert_eq!(apply(u64::MAX, &ONE), Some(u64::MAX));
        assert_eq!(apply(u64::MAX, &Ratio { numerator: 2, denominator: 1 }), None);
        assert_eq!(apply(1, &Ratio { numerator: 1, denominator: 0 }), None);
    }
}
