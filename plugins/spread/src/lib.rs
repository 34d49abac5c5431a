//! Spread (Asian handicap): back one side of a two-participant fixture with a line added to
//! its margin.
//!
//! - The selection is a participant (home = `participants[0]`, away = `participants[1]`).
//! - `line` is required: an exact decimal that is a multiple of 0.25, signed (`"-0.75"`,
//!   `"2"`, `"+0.5"`). It is the selection's handicap: adjusted margin = own score −
//!   opponent's score + line; > 0 wins, < 0 loses, = 0 pushes.
//! - Quarter lines (x.25 / x.75) split the stake into two halves on line − 0.25 and
//!   line + 0.25: win + push = half-win, lose + push = half-lose, both win = win, both
//!   lose = lose ([`entrepot_sdk::lines`], exact integer quarters, no floats).
//! - An event that did not complete voids; a completed result without both scores voids
//!   with a warning in the log.
//!
//! The spec must name exactly two distinct participants; the type takes no params, so any
//! param is refused (a typo must not change the bet silently).

use entrepot_sdk::bet_type::{self, BetSpec, EventResult, Guest, Outcome};
use entrepot_sdk::lines::{self, Line};

pub struct Spread;

/// A valid spread bet: which side, on which line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// True for the home side (`participants[0]`).
    pub home: bool,
    pub line: Line,
}

/// Check a spec; the [`Pick`] it makes.
pub fn validate(spec: &BetSpec) -> Result<Pick, String> {
    if let Some((key, _)) = spec.params.first() {
        return Err(format!("spread has no parameter {key:?} (it takes none)"));
    }
    let [home, away] = bet_type::two_participants("spread", spec)?;
    let Some(text) = spec.line.as_deref() else {
        return Err("spread needs a line, a multiple of 0.25 such as \"-0.75\", \"0\" or \"+1.5\"".into());
    };
    let line = Line::parse(text).map_err(|e| e.to_string())?;
    let selection = spec.selection.as_str();
    if selection == home {
        Ok(Pick { home: true, line })
    } else if selection == away {
        Ok(Pick { home: false, line })
    } else {
        Err(format!("pick {home:?} or {away:?}, not {selection:?}"))
    }
}

/// Settle a spec already known valid.
pub fn settle(pick: Pick, spec: &BetSpec, result: &EventResult) -> Outcome {
    let Some((home, away)) = bet_type::two_sided_scores("spread", [&spec.participants[0], &spec.participants[1]], result) else {
        return Outcome::Void;
    };
    let margin = i128::from(home) - i128::from(away);
    lines::settle(if pick.home { margin } else { -margin }, pick.line)
}

impl Guest for Spread {
    fn validate(spec: BetSpec) -> Result<(), String> {
        validate(&spec).map(|_| ())
    }

    fn settle(spec: BetSpec, result: EventResult) -> Outcome {
        bet_type::settle_valid("spread", validate(&spec), |pick| settle(pick, &spec, &result))
    }
}

entrepot_sdk::export_bet_type!(Spread);

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
        Spread::settle(spec(selection, line), result(reds, blues))
    }

    #[test]
    fn whole_lines_win_lose_and_push() {
        assert_eq!(settles("Reds", "-1", 2, 0), Win);
        assert_eq!(settles("Reds", "-1", 2, 1), Push);
        assert_eq!(settles("Reds", "-1", 1, 1), Lose);
        assert_eq!(settles("Blues", "+1", 2, 1), Push);
        assert_eq!(settles("Blues", "1", 1, 1), Win);
        assert_eq!(settles("Blues", "0", 1, 1), Push);
        assert_eq!(settles("Blues", "-2", 0, 3), Win);
    }

    #[test]
    fn half_lines_never_push() {
        assert_eq!(settles("Reds", "-0.5", 1, 0), Win);
        assert_eq!(settles("Reds", "-0.5", 1, 1), Lose);
        assert_eq!(settles("Blues", "+1.5", 2, 1), Win);
        assert_eq!(settles("Blues", "+1.5", 3, 1), Lose);
    }

    #[test]
    fn quarter_lines_split_the_stake() {
        // -0.75: halves on -0.5 and -1.
        assert_eq!(settles("Reds", "-0.75", 1, 0), HalfWin);
        assert_eq!(settles("Reds", "-0.75", 2, 0), Win);
        assert_eq!(settles("Reds", "-0.75", 0, 0), Lose);
        // -0.25: halves on 0 and -0.5.
        assert_eq!(settles("Reds", "-0.25", 0, 0), HalfLose);
        // +0.25 for the away side: halves on 0 and +0.5.
        assert_eq!(settles("Blues", "+0.25", 1, 1), HalfWin);
        assert_eq!(settles("Blues", "0.25", 2, 1), Lose);
        // +1.75: halves on +1.5 and +2.
        assert_eq!(settles("Blues", "1.75", 3, 1), HalfLose);
        assert_eq!(settles("Blues", "1.75", 2, 1), Win);
        // -1.25: halves on -1 and -1.5.
        assert_eq!(settles("Reds", "-1.25", 2, 1), HalfLose);
        assert_eq!(settles("Reds", "-1.25", 3, 1), Win);
    }

    #[test]
    fn scores_are_found_by_name_not_position() {
        let mut reversed = result(2, 0);
        reversed.scores.reverse();
        assert_eq!(Spread::settle(spec("Reds", "-1.5"), reversed.clone()), Win);
        assert_eq!(Spread::settle(spec("Blues", "+1.5"), reversed), Lose);
    }

    #[test]
    fn huge_scores_do_not_overflow() {
        assert_eq!(settles("Reds", "-0.5", i64::MAX, i64::MIN), Win);
        assert_eq!(settles("Blues", "+0.5", i64::MAX, i64::MIN), Lose);
    }

    #[test]
    fn abandoned_events_and_missing_scores_void() {
        let _host = Harness::new();
        let abandoned = EventResult { completed: false, ..result(5, 0) };
        assert_eq!(Spread::settle(spec("Reds", "-1"), abandoned), Void);
        assert!(testing::logs().is_empty());
        let partial = EventResult { scores: vec![ParticipantScore { participant: "Reds".into(), score: 1 }], completed: true };
        assert_eq!(Spread::settle(spec("Reds", "-1"), partial), Void);
        let logs = testing::take_logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].message, "spread: completed result lacks a participant's score; voiding");
    }

    #[test]
    fn validation_explains_itself() {
        assert_eq!(validate(&spec("Reds", "-0.75")), Ok(Pick { home: true, line: Line::from_quarters(-3) }));
        assert_eq!(validate(&spec("Blues", "+2")), Ok(Pick { home: false, line: Line::from_quarters(8) }));
        assert_eq!(Spread::validate(spec("Blues", "0")), Ok(()));
        let err = |s: BetSpec| Spread::validate(s).unwrap_err();
        assert_eq!(err(spec("Greens", "-1")), "pick \"Reds\" or \"Blues\", not \"Greens\"");
        assert_eq!(err(spec("draw", "0")), "pick \"Reds\" or \"Blues\", not \"draw\"");
        assert_eq!(err(spec("Reds", "-0.3")), "line -0.3 is not a multiple of 0.25");
        assert_eq!(err(spec("Reds", "minus one")), "line \"minus one\" is not a plain decimal number such as \"-0.75\" or \"2.5\"");
        assert_eq!(err(BetSpec { line: None, ..spec("Reds", "0") }), "spread needs a line, a multiple of 0.25 such as \"-0.75\", \"0\" or \"+1.5\"");
        let with_param = BetSpec { params: vec![("way".into(), "3".into())], ..spec("Reds", "-1") };
        assert_eq!(err(with_param), "spread has no parameter \"way\" (it takes none)");
        let three = BetSpec { participants: vec!["A".into(), "B".into(), "C".into()], ..spec("A", "0") };
        assert_eq!(err(three), "spread needs exactly two participants, not 3");
        let same = BetSpec { participants: vec!["A".into(), "A".into()], ..spec("A", "0") };
        assert!(err(same).contains("two different names"));
    }

    #[test]
    fn invalid_specs_are_voided_at_settlement() {
        let _host = Harness::new();
        assert_eq!(Spread::settle(spec("Greens", "-1"), result(1, 0)), Void);
        let logs = testing::take_logs();
        assert_eq!(logs[0].message, "spread: settling an invalid bet (pick \"Reds\" or \"Blues\", not \"Greens\"); voiding");
    }
}
