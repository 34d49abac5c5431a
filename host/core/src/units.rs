//! Exact conversion between decimals at the API boundary and the engine's integers.
//! A value that is not an exact multiple of its step is rejected, never rounded.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::event::{InvalidMarket, RejectReason};
use crate::market::MarketSpec;

/// `value × 10^decimals` as an integer, or why not: `AmountPrecision` when `value` has
/// more decimals than that, `OutOfRange` when it is negative or does not fit a `u64`.
pub fn to_minor_units(value: Decimal, decimals: u8) -> Result<u64, RejectReason> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(RejectReason::OutOfRange);
    }
    let scaled = value.checked_mul(Decimal::from(10u64.checked_pow(u32::from(decimals)).ok_or(RejectReason::OutOfRange)?)).ok_or(RejectReason::OutOfRange)?;
    if !scaled.fract().is_zero() {
        return Err(RejectReason::AmountPrecision);
    }
    u64::try_from(scaled).map_err(|_| RejectReason::OutOfRange)
}

/// The inverse of [`to_minor_units`].
pub fn from_minor_units(units: u64, decimals: u8) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(units), u32::from(decimals)).normalize()
}

/// A market's steps in both forms: decimals for people, integers for the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketUnits {
    /// Price step in quote per whole base unit (`MarketSpec::tick`).
    pub tick: Decimal,
    /// Quantity step in base units (`MarketSpec::lot`).
    pub lot: Decimal,
    /// Decimal places of the base asset.
    pub base_decimals: u8,
    /// Decimal places of the quote asset.
    pub quote_decimals: u8,
    /// Quote minor units of one tick on one lot: `notional = ticks × lots × tick_value`.
    pub tick_value: u64,
    /// Base minor units in one lot.
    pub lot_units: u64,
}

impl MarketUnits {
    /// Derive the integers of a market from its spec and its assets' decimals, with the
    /// same `InvalidMarket` reasons `Body::CreateMarket` gives (`NonPositiveStep`,
    /// `LotNotWhole`, `TickLotNotWhole`).
    pub fn new(spec: &MarketSpec, base_decimals: u8, quote_decimals: u8) -> Result<Self, RejectReason> {
        let invalid = RejectReason::InvalidMarket;
        if spec.tick <= Decimal::ZERO || spec.lot <= Decimal::ZERO {
            return Err(invalid(InvalidMarket::NonPositiveStep));
        }
        let lot_units = to_minor_units(spec.lot, base_decimals).map_err(|_| invalid(InvalidMarket::LotNotWhole))?;
        let tick_lot = spec.tick.checked_mul(spec.lot).ok_or(invalid(InvalidMarket::TickLotNotWhole))?;
        let tick_value = to_minor_units(tick_lot, quote_decimals).map_err(|_| invalid(InvalidMarket::TickLotNotWhole))?;
        Ok(MarketUnits { tick: spec.tick, lot: spec.lot, base_decimals, quote_decimals, tick_value, lot_units })
    }

    fn steps(value: Decimal, step: Decimal, off_step: RejectReason) -> Result<u64, RejectReason> {
        if value <= Decimal::ZERO {
            return Err(RejectReason::OutOfRange);
        }
        let rem = value.checked_rem(step).ok_or(RejectReason::OutOfRange)?;
        if !rem.is_zero() {
            return Err(off_step);
        }
        let n = value.checked_div(step).ok_or(RejectReason::OutOfRange)?;
        u64::try_from(n).map_err(|_| RejectReason::OutOfRange)
    }

    /// A price in quote per whole base unit → ticks. `PriceNotOnTick` when it is not a
    /// multiple of the tick, `OutOfRange` when it is not positive or too large.
    pub fn price_to_ticks(&self, price: Decimal) -> Result<u64, RejectReason> {
        Self::steps(price, self.tick, RejectReason::PriceNotOnTick)
    }

    /// A quantity in base units → lots. `QuantityNotOnLot` when it is not a multiple of
    /// the lot, `OutOfRange` when it is not positive or too large.
    pub fn quantity_to_lots(&self, quantity: Decimal) -> Result<u64, RejectReason> {
        Self::steps(quantity, self.lot, RejectReason::QuantityNotOnLot)
    }

    /// Ticks → a price in quote per whole base unit (exact, normalized).
    pub fn ticks_to_price(&self, ticks: u64) -> Decimal {
        (self.tick * Decimal::from(ticks)).normalize()
    }

    /// Lots → a quantity in base units (exact, normalized).
    pub fn lots_to_quantity(&self, lots: u64) -> Decimal {
        (self.lot * Decimal::from(lots)).normalize()
    }

    /// Quote minor units of `lots` at `ticks`, or None on overflow.
    pub fn notional(&self, ticks: u64, lots: u64) -> Option<u64> {
        let n = u128::from(ticks) * u128::from(lots) * u128::from(self.tick_value);
        u64::try_from(n).ok()
    }

    /// Base minor units in `lots`, or None on overflow.
    pub fn base_units(&self, lots: u64) -> Option<u64> {
        lots.checked_mul(self.lot_units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AssetId, MarketId};
    use rstest::rstest;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn units(tick: &str, lot: &str) -> Result<MarketUnits, RejectReason> {
        let spec = MarketSpec { id: MarketId(1), symbol: "CU/GOLD".into(), base: AssetId(2), quote: AssetId(1), tick: d(tick), lot: d(lot) };
        MarketUnits::new(&spec, 0, 2)
    }

    #[rstest]
    #[case("0.01", "1", 1, 1)]
    #[case("0.05", "10", 50, 10)]
    #[case("1", "5", 500, 5)]
    fn derived_integers(#[case] tick: &str, #[case] lot: &str, #[case] tick_value: u64, #[case] lot_units: u64) {
        let u = units(tick, lot).unwrap();
        assert_eq!((u.tick_value, u.lot_units), (tick_value, lot_units));
    }

    #[rstest]
    #[case("0.001", "1")] // a tick on a lot is a tenth of a minor unit
    #[case("0.01", "0.5")] // half a copper does not exist (0 decimals)
    #[case("0", "1")]
    #[case("0.01", "-1")]
    fn invalid_markets(#[case] tick: &str, #[case] lot: &str) {
        assert!(matches!(units(tick, lot), Err(RejectReason::InvalidMarket(_))));
    }

    #[rstest]
    #[case("12.34", Ok(1234))]
    #[case("12.345", Err(RejectReason::PriceNotOnTick))]
    #[case("0", Err(RejectReason::OutOfRange))]
    #[case("-1", Err(RejectReason::OutOfRange))]
    fn prices(#[case] price: &str, #[case] expected: Result<u64, RejectReason>) {
        assert_eq!(units("0.01", "1").unwrap().price_to_ticks(d(price)), expected);
    }

    #[rstest]
    #[case("30", Ok(3))]
    #[case("35", Err(RejectReason::QuantityNotOnLot))]
    fn quantities(#[case] q: &str, #[case] expected: Result<u64, RejectReason>) {
        assert_eq!(units("0.01", "10").unwrap().quantity_to_lots(d(q)), expected);
    }

    #[test]
    fn minor_units_round_trip_and_reject_precision() {
        assert_eq!(to_minor_units(d("1.25"), 2), Ok(125));
        assert_eq!(to_minor_units(d("1.255"), 2), Err(RejectReason::AmountPrecision));
        assert_eq!(from_minor_units(125, 2), d("1.25"));
        let u = units("0.01", "1").unwrap();
        assert_eq!(u.ticks_to_price(1234), d("12.34"));
        assert_eq!(u.lots_to_quantity(3), d("3"));
    }
}
