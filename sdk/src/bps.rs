//! Basis points (1 bps = 0.01 %): fees and price bands in exact integer arithmetic.
//!
//! ```
//! use entrepot_sdk::bps;
//!
//! assert_eq!(bps::of(12_345, 250), 308);          // 2.5 % of 123.45, floored
//! assert!(bps::within(1_100, 1_000, 1_000));      // 10 % away: inside a 10 % band
//! assert!(!bps::within(1_101, 1_000, 1_000));
//! assert_eq!(bps::percent(1_000), "10.00%");
//! ```

/// Basis points in a whole.
pub const ONE: u64 = 10_000;

/// `bps` of `amount`, rounded down (a fee never exceeds its rate). Saturates at
/// `u64::MAX` for rates above 100 % on huge amounts.
pub fn of(amount: u64, bps: u64) -> u64 {
    let fee = u128::from(amount) * u128::from(bps) / u128::from(ONE);
    u64::try_from(fee).unwrap_or(u64::MAX)
}

/// Whether `value` is at most `band_bps` away from `reference`, relative to the reference:
/// `|value - reference| / reference <= band_bps / 10 000`, compared exactly. A zero
/// reference admits only zero.
pub fn within(value: u64, reference: u64, band_bps: u64) -> bool {
    let distance = u128::from(value.abs_diff(reference));
    distance * u128::from(ONE) <= u128::from(band_bps) * u128::from(reference)
}

/// How far `value` is from `reference`, in basis points of the reference, rounded up (so a
/// reported deviation is never smaller than the real one); `None` for a zero reference.
pub fn deviation(value: u64, reference: u64) -> Option<u64> {
    if reference == 0 {
        return None;
    }
    let scaled = u128::from(value.abs_diff(reference)) * u128::from(ONE);
    Some(u64::try_from(scaled.div_ceil(u128::from(reference))).unwrap_or(u64::MAX))
}

/// `bps` as a percentage with two decimals, for messages: 1000 → `"10.00%"`.
pub fn percent(bps: u64) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_down_and_never_overflow() {
        assert_eq!(of(9_999, 1), 0);
        assert_eq!(of(10_000, 1), 1);
        assert_eq!(of(u64::MAX, ONE), u64::MAX);
        assert_eq!(of(u64::MAX, 2 * ONE), u64::MAX);
        assert_eq!(of(0, 500), 0);
    }

    #[test]
    fn bands_are_inclusive_and_symmetric() {
        assert!(within(900, 1_000, 1_000));
        assert!(!within(899, 1_000, 1_000));
        assert!(within(0, 0, 0));
        assert!(!within(1, 0, u64::MAX));
        assert!(within(u64::MAX, u64::MAX, 0));
    }

    #[test]
    fn deviation_and_percent() {
        assert_eq!(deviation(1_500, 1_200), Some(2_500));
        assert_eq!(deviation(1_001, 3), Some(3_326_667));
        assert_eq!(deviation(1, 0), None);
        assert_eq!(percent(5), "0.05%");
        assert_eq!(percent(12_345), "123.45%");
    }
}
