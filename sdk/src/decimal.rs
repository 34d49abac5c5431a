//! Exact decimals at the edges of a plugin (config values, odds, messages).
//!
//! [`Decimal`] is `rust_decimal`'s (96-bit mantissa, up to 28 decimal places), the type the
//! server uses at its API. [`parse`] is stricter than `Decimal::from_str`: it accepts only
//! plain notation and never rounds, so `"1e3"`, `"1_000"` or 30 decimal places are errors
//! instead of surprises.

pub use rust_decimal::Decimal;

use crate::units::UnitError;

/// Parse `-?digits(.digits)?` exactly.
pub fn parse(text: &str) -> Result<Decimal, UnitError> {
    let malformed = || UnitError::Malformed { input: text.to_owned() };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return Err(malformed());
    }
    Decimal::from_str_exact(text).map_err(|_| UnitError::TooLarge { what: "number", value: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_notation_and_keeps_the_scale() {
        assert_eq!(parse("12.50").unwrap().to_string(), "12.50");
        assert_eq!(parse("-0.25").unwrap().to_string(), "-0.25");
        assert_eq!(parse("7").unwrap(), Decimal::from(7));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in ["", "-", ".5", "5.", "1e3", "1_000", "+1", " 1", "1.2.3", "0x10", "1,5"] {
            assert_eq!(parse(bad), Err(UnitError::Malformed { input: bad.to_owned() }), "{bad:?}");
        }
        assert!(matches!(parse("0.00000000000000000000000000001"), Err(UnitError::TooLarge { .. })));
    }
}
