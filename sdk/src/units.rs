//! Exact conversions between decimals and a market's integer units, as methods on
//! [`MarketInfo`].
//!
//! Inside the engine a price is a count of ticks, a quantity a count of lots and money a
//! count of quote minor units (`notional = ticks x lots x tick-value`). A decimal that is
//! not a whole number of the step is an error, never rounded: the same rule the server
//! applies to orders.
//!
//! ```
//! use entrepot_sdk::{decimal, testing};
//!
//! let iron = testing::market(1, "IRON", "0.01", "1", 2, 0); // tick-value 1 minor unit
//! let ticks = iron.price_to_ticks(decimal::parse("12.50")?)?;
//! assert_eq!(ticks, 1250);
//! assert_eq!(iron.ticks_to_price(ticks)?.to_string(), "12.50");
//! assert_eq!(iron.notional(ticks, 4), Some(5000));
//! assert_eq!(iron.display_quote(5000), "50.00");
//! assert!(iron.price_to_ticks(decimal::parse("12.345")?).is_err());
//! # Ok::<(), entrepot_sdk::units::UnitError>(())
//! ```

use std::fmt;

use crate::decimal::{self, Decimal};
use crate::types::MarketInfo;

/// Why a conversion was refused. The messages are fit for a player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitError {
    /// Not plain decimal notation.
    Malformed {
        /// The text given.
        input: String,
    },
    /// A negative price, quantity or amount.
    Negative {
        /// What was converted: "price", "quantity", "amount".
        what: &'static str,
        /// The value given.
        value: Decimal,
    },
    /// Not a whole number of the step (tick, lot, minor unit).
    NotMultiple {
        /// What was converted: "price", "quantity", "amount".
        what: &'static str,
        /// The value given.
        value: Decimal,
        /// The step's name: "tick", "lot", "minor unit".
        step_name: &'static str,
        /// The step it must be a whole number of.
        step: Decimal,
    },
    /// Does not fit the integer (u64) or the decimal (96-bit mantissa, 28 places).
    TooLarge {
        /// What was converted: "price", "quantity", "amount".
        what: &'static str,
        /// The value given, as text.
        value: String,
    },
    /// The market's own facts are unusable (a tick of "0", say); a host bug.
    BadMarket {
        /// The market id.
        market: u32,
        /// The `market-info` field at fault.
        field: &'static str,
        /// Its value.
        value: String,
    },
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitError::Malformed { input } => write!(f, "{input:?} is not a plain decimal number"),
            UnitError::Negative { what, value } => write!(f, "{what} {value} is negative"),
            UnitError::NotMultiple { what, value, step_name, step } => {
                write!(f, "{what} {value} is not a multiple of the {step_name} {step}")
            }
            UnitError::TooLarge { what, value } => write!(f, "{what} {value} is too large"),
            UnitError::BadMarket { market, field, value } => {
                write!(f, "market {market} has an invalid {field} {value:?}")
            }
        }
    }
}

impl std::error::Error for UnitError {}

impl MarketInfo {
    /// The tick as a decimal (quote per whole base unit), checked to be positive.
    pub fn tick_size(&self) -> Result<Decimal, UnitError> {
        self.step("tick", &self.tick)
    }

    /// The lot as a decimal (base units), checked to be positive.
    pub fn lot_size(&self) -> Result<Decimal, UnitError> {
        self.step("lot", &self.lot)
    }

    /// A price in quote per base unit → ticks. Errors unless a whole number of ticks.
    pub fn price_to_ticks(&self, price: Decimal) -> Result<u64, UnitError> {
        whole_steps("price", price, "tick", self.tick_size()?)
    }

    /// Ticks → the price, with the tick's decimal places ("12.50" for a tick of "0.01").
    pub fn ticks_to_price(&self, ticks: u64) -> Result<Decimal, UnitError> {
        times("price", ticks, self.tick_size()?)
    }

    /// A quantity in base units → lots. Errors unless a whole number of lots.
    pub fn quantity_to_lots(&self, quantity: Decimal) -> Result<u64, UnitError> {
        whole_steps("quantity", quantity, "lot", self.lot_size()?)
    }

    /// Lots → the quantity in base units, with the lot's decimal places.
    pub fn lots_to_quantity(&self, lots: u64) -> Result<Decimal, UnitError> {
        times("quantity", lots, self.lot_size()?)
    }

    /// Quote minor units of `lots` at `ticks`: `ticks x lots x tick-value`, or `None` on
    /// overflow.
    pub fn notional(&self, ticks: u64, lots: u64) -> Option<u64> {
        ticks.checked_mul(lots)?.checked_mul(self.tick_value)
    }

    /// An amount of the quote currency → its minor units. Errors on excess decimals.
    pub fn quote_to_minor(&self, amount: Decimal) -> Result<u64, UnitError> {
        to_minor(amount, self.quote_decimals)
    }

    /// Quote minor units → the amount, with the currency's decimal places ("50.00").
    pub fn minor_to_quote(&self, minor: u64) -> Result<Decimal, UnitError> {
        from_minor(minor, self.quote_decimals)
    }

    /// An amount of the base item → its minor units. Errors on excess decimals.
    pub fn base_to_minor(&self, amount: Decimal) -> Result<u64, UnitError> {
        to_minor(amount, self.base_decimals)
    }

    /// Base minor units → the amount of the item.
    pub fn minor_to_base(&self, minor: u64) -> Result<Decimal, UnitError> {
        from_minor(minor, self.base_decimals)
    }

    /// Base minor units in `lots` (compare with `account-view.available-base`).
    pub fn lots_to_base_minor(&self, lots: u64) -> Result<u64, UnitError> {
        self.base_to_minor(self.lots_to_quantity(lots)?)
    }

    /// `ticks` as a price for messages; `"<n> ticks"` if the market's facts are unusable.
    pub fn display_price(&self, ticks: u64) -> String {
        self.ticks_to_price(ticks).map_or_else(|_| format!("{ticks} ticks"), |p| p.to_string())
    }

    /// `lots` as a quantity for messages; `"<n> lots"` if the market's facts are unusable.
    pub fn display_quantity(&self, lots: u64) -> String {
        self.lots_to_quantity(lots).map_or_else(|_| format!("{lots} lots"), |q| q.to_string())
    }

    /// Quote minor units as an amount for messages.
    pub fn display_quote(&self, minor: u64) -> String {
        self.minor_to_quote(minor).map_or_else(|_| format!("{minor} minor units"), |a| a.to_string())
    }

    fn step(&self, field: &'static str, text: &str) -> Result<Decimal, UnitError> {
        match decimal::parse(text) {
            Ok(step) if step > Decimal::ZERO => Ok(step),
            _ => Err(UnitError::BadMarket { market: self.market, field, value: text.to_owned() }),
        }
    }
}

/// `value / step` when it is a whole non-negative number; exact integer arithmetic on the
/// mantissas brought to a common scale.
fn whole_steps(what: &'static str, value: Decimal, step_name: &'static str, step: Decimal) -> Result<u64, UnitError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(UnitError::Negative { what, value });
    }
    let too_large = || UnitError::TooLarge { what, value: value.to_string() };
    let (v, s) = (value.normalize(), step.normalize());
    let scale = v.scale().max(s.scale());
    let v_units = rescale(v.mantissa(), scale - v.scale()).ok_or_else(too_large)?;
    let s_units = rescale(s.mantissa(), scale - s.scale()).ok_or_else(too_large)?;
    if v_units % s_units != 0 {
        return Err(UnitError::NotMultiple { what, value, step_name, step });
    }
    u64::try_from(v_units / s_units).map_err(|_| too_large())
}

/// `count x step`, exactly, keeping the step's scale.
fn times(what: &'static str, count: u64, step: Decimal) -> Result<Decimal, UnitError> {
    let too_large = || UnitError::TooLarge { what, value: format!("{count} x {step}") };
    let mantissa = step.mantissa().checked_mul(i128::from(count)).ok_or_else(too_large)?;
    Decimal::try_from_i128_with_scale(mantissa, step.scale()).map_err(|_| too_large())
}

fn to_minor(amount: Decimal, decimals: u8) -> Result<u64, UnitError> {
    let step = minor_unit(decimals).ok_or_else(|| UnitError::TooLarge { what: "currency decimals", value: decimals.to_string() })?;
    whole_steps("amount", amount, "minor unit", step)
}

fn from_minor(minor: u64, decimals: u8) -> Result<Decimal, UnitError> {
    Decimal::try_from_i128_with_scale(i128::from(minor), u32::from(decimals))
        .map_err(|_| UnitError::TooLarge { what: "currency decimals", value: decimals.to_string() })
}

/// One minor unit with `decimals` places: 10^-decimals.
fn minor_unit(decimals: u8) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(1, u32::from(decimals)).ok()
}

fn rescale(mantissa: i128, extra_places: u32) -> Option<i128> {
    10i128.checked_pow(extra_places)?.checked_mul(mantissa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn d(text: &str) -> Decimal {
        decimal::parse(text).unwrap()
    }

    #[test]
    fn prices_and_quantities_round_trip_exactly() {
        let wheat = testing::market(2, "WHEAT", "0.5", "0.5", 2, 1);
        assert_eq!(wheat.tick_value, 25);
        assert_eq!(wheat.price_to_ticks(d("3.5")), Ok(7));
        assert_eq!(wheat.ticks_to_price(7).unwrap().to_string(), "3.5");
        assert_eq!(wheat.quantity_to_lots(d("2.5")), Ok(5));
        assert_eq!(wheat.lots_to_quantity(5).unwrap().to_string(), "2.5");
        assert_eq!(wheat.lots_to_base_minor(5), Ok(25));
        assert_eq!(wheat.price_to_ticks(d("0")), Ok(0));
        assert_eq!(wheat.price_to_ticks(d("3.5000000")), Ok(7));
    }

    #[test]
    fn off_step_values_are_refused_not_rounded() {
        let iron = testing::market(1, "IRON", "0.01", "1", 2, 0);
        assert_eq!(iron.price_to_ticks(d("12.345")).unwrap_err().to_string(), "price 12.345 is not a multiple of the tick 0.01");
        assert_eq!(iron.quantity_to_lots(d("1.5")).unwrap_err().to_string(), "quantity 1.5 is not a multiple of the lot 1");
        assert_eq!(iron.quote_to_minor(d("1.234")).unwrap_err().to_string(), "amount 1.234 is not a multiple of the minor unit 0.01");
        assert_eq!(iron.price_to_ticks(d("-1")).unwrap_err().to_string(), "price -1 is negative");
        assert!(matches!(iron.price_to_ticks(d("1000000000000000000000")), Err(UnitError::TooLarge { .. })));
    }

    #[test]
    fn money_in_minor_units() {
        let iron = testing::market(1, "IRON", "0.01", "1", 2, 0);
        assert_eq!(iron.quote_to_minor(d("50")), Ok(5000));
        assert_eq!(iron.display_quote(5005), "50.05");
        assert_eq!(iron.notional(u64::MAX, 2), None);
        assert_eq!(iron.display_price(1250), "12.50");
        assert_eq!(iron.display_quantity(3), "3");
    }

    #[test]
    fn broken_market_facts_are_reported() {
        let mut broken = testing::market(9, "X", "1", "1", 0, 0);
        broken.tick = "0".into();
        assert_eq!(broken.price_to_ticks(d("1")).unwrap_err().to_string(), "market 9 has an invalid tick \"0\"");
        assert_eq!(broken.display_price(5), "5 ticks");
    }
}
