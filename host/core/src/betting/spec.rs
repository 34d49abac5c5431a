//! What bet-type plugins see: a bet specification and an event's result. These mirror the
//! WIT `bet` interface records; the plugin host converts them at the boundary.

use serde::{Deserialize, Serialize};

/// What a bettor picked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BetSpec {
    /// The event's participants in order (home first for two-sided fixtures).
    pub participants: Vec<String>,
    /// A participant's name, or "draw", "over", "under", or the bet type's own word.
    pub selection: String,
    /// A handicap or total line as an exact decimal ("-0.25", "2.5"), if the type has one.
    pub line: Option<String>,
    /// Further parameters the bet type defines.
    pub params: Vec<(String, String)>,
}

/// One participant's final score.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParticipantScore {
    /// The participant's name, as in the fixture's `participants`.
    pub participant: String,
    /// Goals, points, runs: whatever the bet types compare.
    pub score: i64,
}

/// An event's final result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventResult {
    /// Every participant's score (bet-type plugins read them by name).
    pub scores: Vec<ParticipantScore>,
    /// False when the event was abandoned before a result.
    pub completed: bool,
}
