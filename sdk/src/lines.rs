//! Handicap and total lines in quarters: whole, half and quarter (Asian) lines, exactly.
//!
//! A [`Line`] is an exact decimal that is a multiple of 0.25 (`"-0.75"`, `"2"`, `"+0.5"`),
//! kept as an integer count of quarters, so settling never touches a float. [`settle`]
//! grades an integer `margin` plus the line:
//!
//! - whole and half lines (`x.0`, `x.5`): margin + line > 0 wins, < 0 loses, = 0 pushes
//!   (a half line can never push);
//! - quarter lines (`x.25`, `x.75`) split the stake into two halves, one on line − 0.25 and
//!   one on line + 0.25: both win = win, both lose = lose, win + push = half-win,
//!   lose + push = half-lose (the two halves are 0.5 apart, so one cannot win while the
//!   other loses).
//!
//! A handicap bet grades `own score − opponent's score` with its line; a total bet grades
//! `total` with the negated line for "over" (`total − line`) and `−total` with the line
//! for "under" (`line − total`):
//!
//! ```
//! use entrepot_sdk::bet_type::Outcome;
//! use entrepot_sdk::lines::{self, Line};
//!
//! let line = Line::parse("-0.75")?;
//! assert_eq!(lines::settle(1, line), Outcome::HalfWin);     // wins by exactly one goal
//! assert_eq!(lines::settle(2, line), Outcome::Win);
//! let total = Line::parse("2.25")?;
//! assert_eq!(lines::settle(-2, total), Outcome::HalfWin);   // under 2.25 with 2 goals
//! assert_eq!(lines::settle(2, total.negated()), Outcome::HalfLose); // over 2.25 with 2 goals
//! # Ok::<(), entrepot_sdk::lines::LineError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use crate::bet_type::Outcome;
use crate::decimal::{self, Decimal};

/// A line as a whole number of quarters (`-0.75` = −3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line {
    quarters: i64,
}

/// Why a line was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// Not a plain decimal number (an optional leading `+` or `-` is allowed).
    Malformed {
        /// The text given.
        input: String,
    },
    /// Not a multiple of 0.25.
    NotAQuarter {
        /// The text given.
        input: String,
    },
    /// Too large to count in quarters.
    TooLarge {
        /// The text given.
        input: String,
    },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Malformed { input } => write!(f, "line {input:?} is not a plain decimal number such as \"-0.75\" or \"2.5\""),
            LineError::NotAQuarter { input } => write!(f, "line {input} is not a multiple of 0.25"),
            LineError::TooLarge { input } => write!(f, "line {input} is too large"),
        }
    }
}

impl std::error::Error for LineError {}

impl Line {
    /// The line `0`.
    pub const ZERO: Line = Line { quarters: 0 };

    /// Parse an exact decimal that is a multiple of 0.25: `"-0.75"`, `"2"`, `"+0.5"`,
    /// `"1.250"`. Never rounds.
    pub fn parse(text: &str) -> Result<Line, LineError> {
        let unsigned = text.strip_prefix('+').filter(|rest| !rest.starts_with('-')).unwrap_or(text);
        let value = decimal::parse(unsigned).map_err(|_| LineError::Malformed { input: text.to_owned() })?;
        let quarters = value.checked_mul(Decimal::from(4)).ok_or_else(|| LineError::TooLarge { input: text.to_owned() })?;
        if !quarters.fract().is_zero() {
            return Err(LineError::NotAQuarter { input: text.to_owned() });
        }
        let quarters = i64::try_from(quarters).map_err(|_| LineError::TooLarge { input: text.to_owned() })?;
        Ok(Line { quarters })
    }

    /// The line from a count of quarters.
    /// The line of `quarters` quarters (−3 = `-0.75`).
    pub const fn from_quarters(quarters: i64) -> Line {
        Line { quarters }
    }

    /// The line as a whole number of quarters.
    pub const fn quarters(self) -> i64 {
        self.quarters
    }

    /// x.25 or x.75: the stake is split over two lines.
    pub const fn is_quarter(self) -> bool {
        self.quarters % 2 != 0
    }

    /// Below zero (a handicap given, not received).
    pub const fn is_negative(self) -> bool {
        self.quarters < 0
    }

    /// The same line with the other sign (grading "over" a total: `total − line`).
    pub const fn negated(self) -> Line {
        Line { quarters: -self.quarters }
    }
}

impl fmt::Display for Line {
    /// The exact decimal, without a `+` sign: `-0.75`, `2`, `0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Decimal::from_i128_with_scale(i128::from(self.quarters) * 25, 2).normalize().fmt(f)
    }
}

/// The outcome of a bet graded on `margin + line` (margin in whole points).
///
/// The margin is an `i128` so that sums and differences of two `i64` scores are exact;
/// it must stay within ±2^120 (anything two scores can make).
pub fn settle(margin: i128, line: Line) -> Outcome {
    // In quarters.
    let adjusted = margin * 4 + i128::from(line.quarters);
    if !line.is_quarter() {
        return grade(adjusted);
    }
    match (grade(adjusted - 1), grade(adjusted + 1)) {
        (Outcome::Win, Outcome::Win) => Outcome::Win,
        (Outcome::Lose, Outcome::Lose) => Outcome::Lose,
        (Outcome::Win, Outcome::Push) | (Outcome::Push, Outcome::Win) => Outcome::HalfWin,
        (Outcome::Lose, Outcome::Push) | (Outcome::Push, Outcome::Lose) => Outcome::HalfLose,
        // adjusted is odd on a quarter line, so the halves are two quarters apart.
        (low, high) => unreachable!("halves of a quarter line graded {low:?} and {high:?}"),
    }
}

fn grade(adjusted_quarters: i128) -> Outcome {
    match adjusted_quarters.cmp(&0) {
        Ordering::Greater => Outcome::Win,
        Ordering::Less => Outcome::Lose,
        Ordering::Equal => Outcome::Push,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::{HalfLose, HalfWin, Lose, Push, Win};

    fn line(text: &str) -> Line {
        Line::parse(text).unwrap()
    }

    #[test]
    fn parses_multiples_of_a_quarter_exactly() {
        assert_eq!(line("-0.75").quarters(), -3);
        assert_eq!(line("+0.5").quarters(), 2);
        assert_eq!(line("2").quarters(), 8);
        assert_eq!(line("1.250").quarters(), 5);
        assert_eq!(line("-0").quarters(), 0);
        assert_eq!(line("+2.25").to_string(), "2.25");
        assert_eq!(line("-0.50").to_string(), "-0.5");
        assert!(line("0.25").is_quarter() && line("-1.75").is_quarter() && !line("1.5").is_quarter() && !line("-2").is_quarter());
        assert_eq!(line("2.5").negated(), line("-2.5"));
    }

    #[test]
    fn refuses_what_is_not_a_quarter_line() {
        assert_eq!(Line::parse("0.1"), Err(LineError::NotAQuarter { input: "0.1".into() }));
        assert_eq!(Line::parse("2.125").unwrap_err().to_string(), "line 2.125 is not a multiple of 0.25");
        for bad in ["", "+", "++1", "+-1", "1e2", "1,5", "½", " 1", "0x4", ".5"] {
            assert_eq!(Line::parse(bad), Err(LineError::Malformed { input: bad.into() }), "{bad:?}");
        }
        assert!(matches!(Line::parse("99999999999999999999"), Err(LineError::TooLarge { .. })));
        assert!(matches!(Line::parse("9999999999999999999999999999"), Err(LineError::TooLarge { .. })));
    }

    #[test]
    fn whole_and_half_lines() {
        assert_eq!(settle(1, line("-1")), Push);
        assert_eq!(settle(2, line("-1")), Win);
        assert_eq!(settle(0, line("-1")), Lose);
        assert_eq!(settle(0, line("0")), Push);
        assert_eq!(settle(-1, line("+1.5")), Win);
        assert_eq!(settle(-2, line("+1.5")), Lose);
        assert_eq!(settle(0, line("-0.5")), Lose);
    }

    #[test]
    fn quarter_lines_split_the_stake() {
        // -0.75 = halves on -0.5 and -1.
        assert_eq!(settle(0, line("-0.75")), Lose);
        assert_eq!(settle(1, line("-0.75")), HalfWin);
        assert_eq!(settle(2, line("-0.75")), Win);
        // -0.25 = halves on 0 and -0.5.
        assert_eq!(settle(0, line("-0.25")), HalfLose);
        assert_eq!(settle(1, line("-0.25")), Win);
        // +0.25 = halves on 0 and +0.5.
        assert_eq!(settle(0, line("0.25")), HalfWin);
        assert_eq!(settle(-1, line("0.25")), Lose);
        // +1.75 = halves on +1.5 and +2.
        assert_eq!(settle(-2, line("1.75")), HalfLose);
        assert_eq!(settle(-1, line("1.75")), Win);
        assert_eq!(settle(-3, line("1.75")), Lose);
    }

    #[test]
    fn totals_are_margins_against_the_line() {
        let total = line("2.25");
        // Over 2.25: total - 2.25.
        assert_eq!(settle(2, total.negated()), HalfLose);
        assert_eq!(settle(3, total.negated()), Win);
        // Under 2.25: 2.25 - total.
        assert_eq!(settle(-2, total), HalfWin);
        assert_eq!(settle(-3, total), Lose);
        assert_eq!(settle(-3, line("3")), Push);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let (max, min) = (i128::from(i64::MAX), i128::from(i64::MIN));
        assert_eq!(settle(max - min, Line::from_quarters(i64::MAX)), Win);
        assert_eq!(settle(min - max, Line::from_quarters(i64::MIN)), Lose);
        assert_eq!(settle(min + min, Line::from_quarters(i64::MAX)), Lose);
        assert_eq!(settle(max + max, Line::from_quarters(i64::MIN)), Win);
    }
}
