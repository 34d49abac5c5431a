//! Totals (over / under): back the sum of both participants' scores against a line.
//!
//! - The selection is `over` or `under`.
//! - `line` is required: an exact decimal, a multiple of 0.25, at least 0 (`"2.5"`, `"3"`,
//!   `"2.25"`). Over grades total − line, under grades line − total: > 0 wins, < 0 loses,
//!   = 0 pushes (whole lines only).
//! - Quarter lines (x.25 / x.75) split the stake into two halves on line − 0.25 and
//!   line + 0.25: win + push = half-win, lose + push = half-lose ([`entrepot_sdk::lines`],
//!   exact integer quarters, no floats).
//! - An event that did not complete voids; a completed result without both scores voids
//!   with a warning in the log.
//!
//! The spec must name exactly two distinct participants (the total is theirs); the type
//! takes no params, so any param is refused.

use entrepot_sdk::bet_type::{self, BetSpec, EventResult, Guest, Outcome};
use entrepot_sdk::lines::{self, Line};

pub struct Totals;

/// Which side of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Over,
    Under,
}

/// Check a spec; the side and line it picks.
pub fn validate(spec: &BetSpec) -> Result<(Side, Line), String> {
    if let Some((key, _)) = spec.params.first() {
        return Err(format!("totals has no parameter {key:?} (it takes none)"));
    }
    bet_type::two_participants("totals", spec)?;
    let Some(text) = spec.line.as_deref() else {
        return Err("totals needs a line, a multiple of 0.25 such as \"2.5\", \"3\" or \"2.25\"".into());
    };
    let line = Line::parse(text).map_err(|e| e.to_string())?;
    if line.is_negative() {
        return Err(format!("a total's line cannot be negative, not {text}"));
    }
    match spec.selection.as_str() {
        "over" => Ok((Side::Over, line)),
        "under" => Ok((Side::Under, line)),
        other => Err(format!("pick \"over\" or \"under\", not {other:?}")),
    }
}

/// Settle a spec already known valid.
pub fn settle(side: Side, line: Line, spec: &BetSpec, result: &EventResult) -> Outcome {
    let Some((home, away)) = bet_type::two_sided_scores("totals", [&spec.participants[0], &spec.participants[1]], result) else {
        return Outcome::Void;
    };
    let total = i128::from(home) + i128::from(away);
    match side {
        Side::Over => lines::settle(total, line.negated()),
        Side::Under => lines::settle(-total, line),
    }
}

impl Guest for Totals {
    fn validate(spec: BetSpec) -> Result<(), String> {
        validate(&spec).map(|_| ())
    }

    fn settle(spec: BetSpec, result: EventResult) -> Outcome {
        bet_type::settle_valid("totals", validate(&spec), |(side, line)| settle(side, line, &spec, &result))
    }
}

entrepot_sdk::export_bet_type!(Totals);

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::bet_type::ParticipantScore;
    use entrepot_sdk::testing::{self, Harness};
    use Outcome::{HalfLose, HalfWin, Lose, Push, Void, Win};

    fn spec(selection: &str, line: &str) -> BetSpec {
        testing::bet_spec("Reds", "Blues", selection, Some(line), &[])
    }

    fn result(reds: i64, blues: i64) -> EventResult {
        testing::final_score(("Reds", reds), ("Blues", blues))
    }

    fn settles(selection: &str, line: &str, reds: i64, blues: i64) -> Outcome {
        Totals::settle(spec(selection, line), result(reds, blues))
    }

    #[test]
    fn whole_and_half_lines() {
        assert_eq!(settles("over", "2.5", 2, 1), Win);
        assert_eq!(settles("under", "2.5", 2, 1), Lose);
        assert_eq!(settles("over", "3", 2, 1), Push);
        assert_eq!(settles("under", "3", 2, 1), Push);
        assert_eq!(settles("under", "3", 1, 1), Win);
        assert_eq!(settles("over", "0", 0, 0), Push);
        assert_eq!(settles("over", "0.5", 0, 0), Lose);
    }

    #[test]
    fn quarter_lines_split_the_stake() {
        // 2.25: halves on 2 and 2.5.
        assert_eq!(settles("over", "2.25", 1, 1), HalfLose);
        assert_eq!(settles("under", "2.25", 1, 1), HalfWin);
        assert_eq!(settles("over", "2.25", 2, 1), Win);
        assert_eq!(settles("under", "2.25", 0, 1), Win);
        // 2.75: halves on 2.5 and 3.
        assert_eq!(settles("over", "2.75", 2, 1), HalfWin);
        assert_eq!(settles("under", "2.75", 2, 1), HalfLose);
        assert_eq!(settles("over", "2.75", 1, 1), Lose);
        assert_eq!(settles("under", "2.75", 4, 0), Lose);
        // 0.25: halves on 0 and 0.5.
        assert_eq!(settles("under", "0.25", 0, 0), HalfWin);
    }

    #[test]
    fn negative_scores_and_huge_totals_are_exact() {
        assert_eq!(settles("over", "0", -1, 0), Lose);
        assert_eq!(settles("over", "1000000", i64::MAX, i64::MAX), Win);
        assert_eq!(settles("under", "1000000", i64::MAX, i64::MAX), Lose);
    }

    #[test]
    fn abandoned_events_and_missing_scores_void() {
        let _host = Harness::new();
        let abandoned = EventResult { completed: false, ..result(5, 0) };
        assert_eq!(Totals::settle(spec("over", "2.5"), abandoned), Void);
        assert!(testing::logs().is_empty());
        let partial = EventResult { scores: vec![ParticipantScore { participant: "Blues".into(), score: 4 }], completed: true };
        assert_eq!(Totals::settle(spec("over", "2.5"), partial), Void);
        let logs = testing::take_logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].message, "totals: completed result lacks a participant's score; voiding");
    }

    #[test]
    fn validation_explains_itself() {
        assert_eq!(validate(&spec("over", "2.25")), Ok((Side::Over, Line::from_quarters(9))));
        assert_eq!(validate(&spec("under", "+3")), Ok((Side::Under, Line::from_quarters(12))));
        assert_eq!(Totals::validate(spec("under", "0")), Ok(()));
        let err = |s: BetSpec| Totals::validate(s).unwrap_err();
        assert_eq!(err(spec("Reds", "2.5")), "pick \"over\" or \"under\", not \"Reds\"");
        assert_eq!(err(spec("Over", "2.5")), "pick \"over\" or \"under\", not \"Over\"");
        assert_eq!(err(spec("over", "-0.5")), "a total's line cannot be negative, not -0.5");
        assert_eq!(err(spec("over", "2.2")), "line 2.2 is not a multiple of 0.25");
        assert_eq!(err(BetSpec { line: None, ..spec("over", "0") }), "totals needs a line, a multiple of 0.25 such as \"2.5\", \"3\" or \"2.25\"");
        let with_param = BetSpec { params: vec![("half".into(), "1".into())], ..spec("over", "1.5") };
        assert_eq!(err(with_param), "totals has no parameter \"half\" (it takes none)");
        let one = BetSpec { participants: vec!["Solo".into()], ..spec("over", "1.5") };
        assert_eq!(err(one), "totals needs exactly two participants, not 1");
    }

    #[test]
    fn invalid_specs_are_voided_at_settlement() {
        let _host = Harness::new();
        assert_eq!(Totals::settle(spec("over", "-1"), result(1, 0)), Void);
        assert_eq!(testing::take_logs().len(), 1);
    }
}
