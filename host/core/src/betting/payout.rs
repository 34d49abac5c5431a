//! What a settled bet returns, exactly.
//!
//! A bet-type plugin answers with a [`BetOutcome`]; the host turns it into a *return
//! multiplier* (return ÷ stake) with [`multiplier`]: win = odds, push/void = 1, half-win =
//! (odds + 1) / 2, half-lose = 1/2, lose = 0. A parlay's multiplier is the product of its
//! legs' ([`parlay_multiplier`]), so a pushed leg drops out and half results multiply by
//! their exact factors. Money is paid in whole minor units: [`payout`] rounds the exact
//! return down, and the sub-unit remainder stays with the house (or, on the exchange, goes
//! to the layer), so the ledger never creates value.

use serde::{Deserialize, Serialize};

use super::odds::{Odds, Ratio};

/// How a bet ends (the `outcome` of the WIT `bet` interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BetOutcome {
    /// Returns stake × odds.
    Win,
    /// Returns nothing.
    Lose,
    /// A tie on the line: returns the stake.
    Push,
    /// The bet does not stand (fixture cancelled or voided, selection void): returns the
    /// stake.
    Void,
    /// Half the stake wins, half is pushed (quarter lines): returns stake × (odds + 1) / 2.
    HalfWin,
    /// Half the stake loses, half is pushed: returns stake / 2.
    HalfLose,
    /// The return is stake × numerator / denominator, whatever the odds.
    Multiplier {
        /// Top of the return multiplier.
        numerator: u64,
        /// Bottom of the return multiplier; 0 is refused (`PluginUnavailable`).
        denominator: u64,
    },
}

impl BetOutcome {
    /// The word players see ("won", "lost", ...).
    pub fn word(self) -> &'static str {
        match self {
            BetOutcome::Win => "won",
            BetOutcome::Lose => "lost",
            BetOutcome::Push => "push",
            BetOutcome::Void => "void",
            BetOutcome::HalfWin => "half-won",
            BetOutcome::HalfLose => "half-lost",
            BetOutcome::Multiplier { .. } => "settled",
        }
    }
}

impl BetOutcome {
    /// The same result seen from the layer's side of an exchange bet.
    pub fn for_layer(self) -> BetOutcome {
        match self {
            BetOutcome::Win => BetOutcome::Lose,
            BetOutcome::Lose => BetOutcome::Win,
            BetOutcome::HalfWin => BetOutcome::HalfLose,
            BetOutcome::HalfLose => BetOutcome::HalfWin,
            other => other,
        }
    }
}

/// Return ÷ stake for a bet taken at `odds`. `None` for a multiplier with a zero denominator.
pub fn multiplier(outcome: BetOutcome, odds: Odds) -> Option<Ratio> {
    let odds = odds.ratio();
    Some(match outcome {
        BetOutcome::Win => odds,
        BetOutcome::Lose => Ratio::ZERO,
        BetOutcome::Push | BetOutcome::Void => Ratio::ONE,
        BetOutcome::HalfWin => odds.checked_add(Ratio::ONE)?.checked_mul(Ratio::new(1, 2))?,
        BetOutcome::HalfLose => Ratio::new(1, 2),
        BetOutcome::Multiplier { denominator: 0, .. } => return None,
        BetOutcome::Multiplier { numerator, denominator } => Ratio::new(u128::from(numerator), u128::from(denominator)),
    })
}

/// The product of the legs' multipliers; `None` on overflow.
pub fn parlay_multiplier(legs: impl IntoIterator<Item = Ratio>) -> Option<Ratio> {
    legs.into_iter().try_fold(Ratio::ONE, Ratio::checked_mul)
}

/// The whole minor units paid back for `stake` at `multiplier` (rounded down).
pub fn payout(stake: u64, multiplier: Ratio) -> Option<u64> {
    multiplier.apply_floor(stake)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odds(s: &str) -> Odds {
        Odds::parse(s).unwrap()
    }

    #[test]
    fn singles() {
        assert_eq!(multiplier(BetOutcome::Win, odds("4.07")), Some(Ratio::new(407, 100)));
        assert_eq!(multiplier(BetOutcome::HalfWin, odds("1.9")), Some(Ratio::new(29, 20)));
        assert_eq!(multiplier(BetOutcome::HalfLose, odds("1.9")), Some(Ratio::new(1, 2)));
        assert_eq!(multiplier(BetOutcome::Push, odds("1.9")), Some(Ratio::ONE));
        assert_eq!(multiplier(BetOutcome::Multiplier { numerator: 1, denominator: 0 }, odds("2")), None);
    }

    #[test]
    fn parlays_multiply_legs() {
        // Reference check: 10 × 1.90 × 1.45 = 27.55; 3 legs at 1.91 with one push, stake 10 = 36.481.
        let legs = [multiplier(BetOutcome::Win, odds("1.9")).unwrap(), multiplier(BetOutcome::HalfWin, odds("1.9")).unwrap()];
        assert_eq!(payout(1000, parlay_multiplier(legs).unwrap()), Some(2755));
        let w = multiplier(BetOutcome::Win, odds("1.91")).unwrap();
        let m = parlay_multiplier([w, w, Ratio::ONE]).unwrap();
        assert_eq!(m.checked_mul(Ratio::new(10, 1)).unwrap().to_decimal().unwrap().to_string(), "36.481");
        assert_eq!(payout(1000, m), Some(3648));
    }
}
