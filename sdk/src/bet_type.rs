//! The `bet-type` world: validate bet specifications and settle them against a result.
//!
//! Implement [`Guest`] and register it with [`export_bet_type!`](crate::export_bet_type).
//! [`crate::ratio`] builds the exact [`Ratio`]s that [`Outcome::Multiplier`] carries.

// The bindings are generated from `wit/plugin.wit`, whose `///` comments become their docs;
// the generated plumbing (modules, export traits, aliases) has none to give.
#![allow(missing_docs)]

wit_bindgen::generate!({
    path: "../wit",
    world: "bet-type",
    pub_export_macro: true,
    // The raw glue; [`crate::export_bet_type!`] wraps it so that native builds skip it.
    export_macro_name: "export_wasm",
    default_bindings_module: "entrepot_sdk::bet_type",
    additional_derives: [PartialEq, Eq],
    with: {
        "entrepot:plugin/types@0.2.0": crate::market_rules::entrepot::plugin::types,
        "entrepot:plugin/host@0.2.0": crate::market_rules::entrepot::plugin::host,
    },
});

pub use self::exports::entrepot::plugin::bet::{BetSpec, EventResult, Guest, Outcome, ParticipantScore, Ratio};

/// The two participants of a two-sided fixture (home first), for bet types that need one:
/// exactly two distinct, non-empty names, neither of them `"draw"`. The error names
/// `bet_type` and reaches the bettor.
pub fn two_participants<'a>(bet_type: &str, spec: &'a BetSpec) -> Result<[&'a str; 2], String> {
    let [home, away] = spec.participants.as_slice() else {
        return Err(format!("{bet_type} needs exactly two participants, not {}", spec.participants.len()));
    };
    if home == away || home.is_empty() || away.is_empty() || home == "draw" || away == "draw" {
        return Err(format!("the participants {home:?} and {away:?} must be two different names other than \"draw\""));
    }
    Ok([home, away])
}

/// The scores of `participants` (home, away) in a result, or `None` when the bet voids:
/// the event did not complete, or a completed result lacks one of the two scores (logged
/// as a warning tagged with `bet_type`, since the host should never send that).
pub fn two_sided_scores(bet_type: &str, participants: [&str; 2], result: &EventResult) -> Option<(i64, i64)> {
    if !result.completed {
        return None;
    }
    let score = |name: &str| result.scores.iter().find(|s| s.participant == name).map(|s| s.score);
    match (score(participants[0]), score(participants[1])) {
        (Some(home), Some(away)) => Some((home, away)),
        _ => {
            crate::log::warn(&format!("{bet_type}: completed result lacks a participant's score; voiding"));
            None
        }
    }
}

/// Settle with what validation found, or void a bet that does not validate. The host only
/// settles validated bets; if an invalid one slips through, its stake goes back and the
/// reason is logged as a warning tagged with `bet_type`.
pub fn settle_valid<T>(bet_type: &str, validated: Result<T, String>, settle: impl FnOnce(T) -> Outcome) -> Outcome {
    match validated {
        Ok(valid) => settle(valid),
        Err(reason) => {
            crate::log::warn(&format!("{bet_type}: settling an invalid bet ({reason}); voiding"));
            Outcome::Void
        }
    }
}
