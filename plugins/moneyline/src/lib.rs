//! Moneyline: back one side of a two-participant fixture to win.
//!
//! - 2-way (default, param `way=2`): the selection is one of the two participants; a draw
//!   is a push (stakes returned).
//! - 3-way (param `way=3`, e.g. football 1X2): the selection is a participant or `draw`; a
//!   draw wins for `draw` and loses for both participants.
//! - An event that did not complete (`completed = false`) voids every bet.
//!
//! The spec must name exactly two distinct participants and carry no `line` (that would be
//! a handicap or a total, another bet type); unknown params are refused so that typos do not
//! silently turn a 3-way bet into a 2-way one.

use entrepot_sdk::bet_type::{self, BetSpec, EventResult, Guest, Outcome};

pub struct Moneyline;

/// The two flavours, from the `way` param.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    Two,
    Three,
}

pub const DRAW: &str = "draw";

/// Check a spec; the [`Way`] it asks for.
pub fn validate(spec: &BetSpec) -> Result<Way, String> {
    let mut way = Way::Two;
    for (key, value) in &spec.params {
        match (key.as_str(), value.as_str()) {
            ("way", "2") => way = Way::Two,
            ("way", "3") => way = Way::Three,
            ("way", other) => return Err(format!("way must be 2 or 3, not {other:?}")),
            (other, _) => return Err(format!("moneyline has no parameter {other:?} (only \"way\")")),
        }
    }
    if spec.line.is_some() {
        return Err("moneyline takes no line; use a handicap or totals bet".into());
    }
    let [home, away] = bet_type::two_participants("moneyline", spec)?;
    let selection = spec.selection.as_str();
    match way {
        _ if selection == home || selection == away => Ok(way),
        Way::Three if selection == DRAW => Ok(way),
        Way::Two if selection == DRAW => Err("a draw is a push in 2-way moneyline; bet 3-way (way=3) to back it".into()),
        Way::Two => Err(format!("pick {home:?} or {away:?}, not {selection:?}")),
        Way::Three => Err(format!("pick {home:?}, {away:?} or \"draw\", not {selection:?}")),
    }
}

/// Settle a spec already known valid.
pub fn settle(way: Way, spec: &BetSpec, result: &EventResult) -> Outcome {
    // Abandoned, or (warned) a completed result without both scores: give stakes back.
    let Some((home, away)) = bet_type::two_sided_scores("moneyline", [&spec.participants[0], &spec.participants[1]], result) else {
        return Outcome::Void;
    };
    let winner = match home.cmp(&away) {
        std::cmp::Ordering::Greater => spec.participants[0].as_str(),
        std::cmp::Ordering::Less => spec.participants[1].as_str(),
        std::cmp::Ordering::Equal if way == Way::Two => return Outcome::Push,
        std::cmp::Ordering::Equal => DRAW,
    };
    if spec.selection == winner {
        Outcome::Win
    } else {
        Outcome::Lose
    }
}

impl Guest for Moneyline {
    fn validate(spec: BetSpec) -> Result<(), String> {
        validate(&spec).map(|_| ())
    }

    fn settle(spec: BetSpec, result: EventResult) -> Outcome {
        bet_type::settle_valid("moneyline", validate(&spec), |way| settle(way, &spec, &result))
    }
}

entrepot_sdk::export_bet_type!(Moneyline);

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::testing::{self, Harness};

    fn spec(selection: &str, params: &[(&str, &str)]) -> BetSpec {
        testing::bet_spec("Reds", "Blues", selection, None, params)
    }

    fn result(reds: i64, blues: i64) -> EventResult {
        testing::final_score(("Reds", reds), ("Blues", blues))
    }

    #[test]
    fn two_way_winner_wins_draw_pushes() {
        assert_eq!(Moneyline::settle(spec("Reds", &[]), result(2, 1)), Outcome::Win);
        assert_eq!(Moneyline::settle(spec("Blues", &[]), result(2, 1)), Outcome::Lose);
        assert_eq!(Moneyline::settle(spec("Blues", &[("way", "2")]), result(0, 3)), Outcome::Win);
        assert_eq!(Moneyline::settle(spec("Reds", &[]), result(1, 1)), Outcome::Push);
    }

    #[test]
    fn three_way_draw_is_a_result_of_its_own() {
        let three = [("way", "3")];
        assert_eq!(Moneyline::settle(spec("draw", &three), result(1, 1)), Outcome::Win);
        assert_eq!(Moneyline::settle(spec("Reds", &three), result(1, 1)), Outcome::Lose);
        assert_eq!(Moneyline::settle(spec("draw", &three), result(2, 1)), Outcome::Lose);
        assert_eq!(Moneyline::settle(spec("Reds", &three), result(2, 1)), Outcome::Win);
    }

    #[test]
    fn abandoned_events_and_missing_scores_void() {
        let _host = Harness::new();
        let abandoned = EventResult { completed: false, ..result(5, 0) };
        assert_eq!(Moneyline::settle(spec("Reds", &[]), abandoned), Outcome::Void);
        let partial = EventResult { scores: vec![], completed: true };
        assert_eq!(Moneyline::settle(spec("Reds", &[]), partial), Outcome::Void);
        assert_eq!(testing::take_logs().len(), 1);
    }

    #[test]
    fn validation_explains_itself() {
        assert_eq!(Moneyline::validate(spec("Reds", &[])), Ok(()));
        assert_eq!(Moneyline::validate(spec("draw", &[("way", "3")])), Ok(()));
        let err = |s: BetSpec| Moneyline::validate(s).unwrap_err();
        assert_eq!(err(spec("draw", &[])), "a draw is a push in 2-way moneyline; bet 3-way (way=3) to back it");
        assert_eq!(err(spec("Greens", &[])), "pick \"Reds\" or \"Blues\", not \"Greens\"");
        assert_eq!(err(spec("Greens", &[("way", "3")])), "pick \"Reds\", \"Blues\" or \"draw\", not \"Greens\"");
        assert_eq!(err(spec("Reds", &[("way", "1")])), "way must be 2 or 3, not \"1\"");
        assert_eq!(err(spec("Reds", &[("ways", "3")])), "moneyline has no parameter \"ways\" (only \"way\")");
        assert_eq!(err(BetSpec { line: Some("-0.5".into()), ..spec("Reds", &[]) }), "moneyline takes no line; use a handicap or totals bet");
        let three = BetSpec { participants: vec!["A".into(), "B".into(), "C".into()], ..spec("A", &[]) };
        assert_eq!(err(three), "moneyline needs exactly two participants, not 3");
        let same = BetSpec { participants: vec!["A".into(), "A".into()], ..spec("A", &[]) };
        assert!(err(same).contains("two different names"));
    }

    #[test]
    fn invalid_specs_are_voided_at_settlement() {
        let _host = Harness::new();
        assert_eq!(Moneyline::settle(spec("Greens", &[]), result(1, 0)), Outcome::Void);
    }
}
