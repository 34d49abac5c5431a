//! Alert evaluation with Prometheus' semantics, at every sample: a condition that holds
//! makes an inactive alert pending (or firing at once when `for` is 0); pending for `for`
//! makes it fire; a firing alert whose condition stops holding keeps firing for
//! `keep_firing_for` after the first sample at which it stopped holding, then resolves. Pending alerts whose condition
//! stops holding go back to inactive without a word. Each firing and each resolution is
//! reported once, as the sample that caused it is taken — and samples are taken from the
//! journal's game times, so a replay reproduces them (the server sends nothing on replay).

use serde::{Deserialize, Serialize};

/// Where an alert stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Its condition does not hold.
    #[default]
    Inactive,
    /// It holds, not yet for `for`.
    Pending {
        /// When it started holding.
        since: u64,
    },
    /// It fired.
    Firing {
        /// When it fired.
        since: u64,
        /// The first sample at which it stopped holding, while it keeps firing.
        cleared: Option<u64>,
    },
}

/// A phase change worth telling someone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// pending (or inactive, `for` 0) → firing.
    Fired,
    /// firing → inactive.
    Resolved,
}

/// One alert's evaluation state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// Its phase.
    pub phase: Phase,
}

impl AlertState {
    /// Evaluate at sample time `now`.
    pub fn step(&mut self, now: u64, holds: bool, for_ms: u64, keep_firing_for_ms: u64) -> Option<Change> {
        let (phase, change) = match (self.phase, holds) {
            (Phase::Inactive, true) if for_ms == 0 => (Phase::Firing { since: now, cleared: None }, Some(Change::Fired)),
            (Phase::Inactive, true) => (Phase::Pending { since: now }, None),
            (Phase::Pending { since }, true) if now - since >= for_ms => (Phase::Firing { since: now, cleared: None }, Some(Change::Fired)),
            (Phase::Firing { since, .. }, true) => (Phase::Firing { since, cleared: None }, None),
            // Prometheus: keeps firing while now − (first false) < keep_firing_for.
            (Phase::Firing { since, cleared }, false) => {
                let cleared = cleared.unwrap_or(now);
                if now - cleared >= keep_firing_for_ms {
                    (Phase::Inactive, Some(Change::Resolved))
                } else {
                    (Phase::Firing { since, cleared: Some(cleared) }, None)
                }
            }
            (Phase::Pending { .. }, false) => (Phase::Inactive, None),
            (phase, _) => (phase, None),
        };
        self.phase = phase;
        change
    }
}

/// An operator's rule from the configuration: every metric whose name matches `metrics`
/// (a pattern where `*` matches any run of characters) alerts when its `measure` exceeds
/// `factor` × its average over `window` before the sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    /// The rule's name (in logs and queries).
    pub name: String,
    /// The metric-name pattern, e.g. `*/GOLD` or `economy:*`.
    pub metrics: String,
    /// The measure watched.
    pub measure: entrepot_core::alerts::Measure,
    /// The factor in thousandths (default 3000: three times).
    pub factor_milli: u64,
    /// The averaging window (default one hour).
    pub window_ms: u64,
    /// How long the condition must hold before firing.
    pub for_ms: u64,
    /// How long it keeps firing after the condition stops holding.
    pub keep_firing_for_ms: u64,
}

/// Whether `name` matches `pattern` (`*`: any run of characters, possibly empty).
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else { return false };
            (0..=tail.len()).filter(|&i| tail.is_char_boundary(i)).any(|i| matches(rest, &tail[i..]))
        }
    }
}

/// The spike test, exact: `value > factor_milli/1000 × sum/count`.
pub fn spike(value: i64, factor_milli: u64, sum: i128, count: u32) -> bool {
    count > 0 && i128::from(value) * 1000 * i128::from(count) > i128::from(factor_milli) * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("*", "COPPER/GOLD"));
        assert!(matches("*/GOLD", "COPPER/GOLD"));
        assert!(!matches("*/GOLD", "COPPER/SILVER"));
        assert!(matches("economy:*", "economy:GOLD"));
        assert!(matches("CO*ER/*", "COPPER/GOLD"));
        assert!(!matches("economy", "economy:GOLD"));
    }

    #[test]
    fn prometheus_phases() {
        let mut a = AlertState::default();
        // for = 2 min, keep_firing_for = 3 min; samples every minute.
        let m = 60_000;
        let seq = [
            (1, true, None),
            (2, true, None),
            (3, true, Some(Change::Fired)),
            (4, false, None),
            (5, false, None),
            (6, false, None),
            (7, false, Some(Change::Resolved)),
        ];
        for (t, holds, expected) in seq {
            assert_eq!(a.step(t * m, holds, 2 * m, 3 * m), expected, "minute {t}");
        }
        // Pending that stops holding goes back to inactive silently.
        let mut b = AlertState::default();
        assert_eq!(b.step(m, true, 5 * m, 0), None);
        assert_eq!(b.step(2 * m, false, 5 * m, 0), None);
        assert_eq!(b.phase, Phase::Inactive);
        // for = 0 fires at once; keep_firing_for = 0 resolves at the first miss.
        let mut c = AlertState::default();
        assert_eq!(c.step(m, true, 0, 0), Some(Change::Fired));
        assert_eq!(c.step(2 * m, false, 0, 0), Some(Change::Resolved));
    }

    #[test]
    fn spike_is_exact() {
        assert!(!spike(30, 3000, 100, 10)); // 30 > 3 × 10 is false
        assert!(spike(31, 3000, 100, 10));
        assert!(!spike(5, 3000, 0, 0)); // no history: never
    }
}
