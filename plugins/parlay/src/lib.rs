//! Parlay (accumulator): 2 to 12 legs, each a bet of its own type on its own event; the
//! parlay returns the stake times the product of the legs' return multipliers.
//!
//! The host settles every leg with the leg's own bet type, then asks this plugin to
//! combine them. Everything travels in `bet-spec.params`; the spec itself carries
//! `selection = "parlay"`, no participants and no line (each leg has its own).
//!
//! **Validation** (`validate`), before any leg is settled: one `("leg-event", "<event id>")`
//! param per leg, in leg order. 2 to 12 legs are required. Two legs on the same event are
//! refused unless the manifest's `[config] same_event` is `"allow"` (default `"refuse"`;
//! any other value is a configuration fault: logged as an error, and the call traps). A
//! `leg` param is refused here: outcomes only exist at settlement.
//!
//! **Settlement** (`settle`): one `("leg", "<outcome>@<odds>")` param per leg, in leg order,
//! where `<outcome>` is `win`, `lose`, `push`, `void`, `half-win`, `half-lose` or
//! `multiplier:<num>/<den>` (the leg's own bet type's answer, `num` and `den` u64, `den` not
//! 0) and `<odds>` the leg's exact decimal odds (`"1.91"`, at least 1). The spec may still
//! carry its `leg-event` params; if it does there must be one per `leg`. The result's
//! scores are ignored; `completed = false` (the parlay as a whole cancelled) voids.
//!
//! Each leg's return multiplier: win → odds, push / void → 1, half-win → (odds + 1) / 2,
//! half-lose → 1/2, lose → 0, multiplier → num / den. The parlay answers
//! `multiplier(product)`, computed exactly in u128 and reduced by the gcd at every step;
//! a lost leg (a product of 0) answers `lose`. A product whose reduced numerator or
//! denominator does not fit in u64 (the WIT `ratio`) cannot be answered exactly: the
//! plugin logs a warning and answers `void` (stakes back). Malformed settlement params
//! void too, with a warning.

use entrepot_sdk::bet_type::{self, BetSpec, EventResult, Guest, Outcome, Ratio};
use entrepot_sdk::config::{self, Cached};
use entrepot_sdk::ratio;

pub struct Parlay;

pub const MIN_LEGS: usize = 2;
pub const MAX_LEGS: usize = 12;
/// The spec's selection: a parlay has no side of its own.
pub const SELECTION: &str = "parlay";

/// Whether two legs may be on the same event (config `same_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameEvent {
    Refuse,
    Allow,
}

impl SameEvent {
    /// From the `[config]` table; an unknown value is an error naming the key.
    pub fn from_config(config: &config::Config) -> Result<SameEvent, String> {
        match config.raw("same_event") {
            None | Some("refuse") => Ok(SameEvent::Refuse),
            Some("allow") => Ok(SameEvent::Allow),
            Some(other) => Err(format!("config key `same_event` = {other:?} must be \"refuse\" or \"allow\"")),
        }
    }

    /// The configured policy; a misconfigured plugin faults (see the crate docs).
    fn configured() -> SameEvent {
        static POLICY: Cached<SameEvent> = Cached::new();
        POLICY.get(|| {
            SameEvent::from_config(&config::Config::load()).unwrap_or_else(|e| {
                entrepot_sdk::log::error(&format!("parlay: {e}"));
                panic!("parlay: {e}")
            })
        })
    }
}

/// The spec's own fields: a parlay has no participants, line or side.
fn check_shape(spec: &BetSpec) -> Result<(), String> {
    if spec.selection != SELECTION {
        return Err(format!("a parlay's selection is \"parlay\", not {:?} (each leg has its own)", spec.selection));
    }
    if !spec.participants.is_empty() {
        return Err("a parlay names no participants (each leg has its own event)".into());
    }
    if spec.line.is_some() {
        return Err("a parlay takes no line (each leg has its own)".into());
    }
    Ok(())
}

fn check_leg_count(legs: usize) -> Result<(), String> {
    if legs < MIN_LEGS {
        Err(format!("a parlay needs at least {MIN_LEGS} legs, not {legs}"))
    } else if legs > MAX_LEGS {
        Err(format!("a parlay takes at most {MAX_LEGS} legs, not {legs}"))
    } else {
        Ok(())
    }
}

/// Check a spec at placement (one `leg-event` param per leg).
pub fn validate(spec: &BetSpec, same_event: SameEvent) -> Result<(), String> {
    check_shape(spec)?;
    let mut events: Vec<&str> = Vec::new();
    for (key, value) in &spec.params {
        match key.as_str() {
            "leg-event" if value.is_empty() => return Err(format!("leg {} has an empty event id", events.len() + 1)),
            "leg-event" => events.push(value),
            "leg" => return Err("a parlay is placed with one \"leg-event\" param per leg; \"leg\" outcomes come at settlement".into()),
            other => return Err(format!("parlay has no parameter {other:?} (only \"leg-event\", and \"leg\" at settlement)")),
        }
    }
    check_leg_count(events.len())?;
    if same_event == SameEvent::Refuse {
        for (later, event) in events.iter().enumerate() {
            if let Some(earlier) = events[..later].iter().position(|e| e == event) {
                return Err(format!(
                    "legs {} and {} are on the same event {event:?}; this server does not take parlays with two legs on one event",
                    earlier + 1,
                    later + 1
                ));
            }
        }
    }
    Ok(())
}

/// One settled leg's `<outcome>@<odds>`, as its return multiplier (numerator, denominator).
pub fn leg_multiplier(text: &str) -> Result<(u128, u128), String> {
    let Some((outcome, odds)) = text.split_once('@') else {
        return Err(format!("leg {text:?} is not <outcome>@<odds>"));
    };
    let odds = ratio::from_decimal_odds(odds).map_err(|e| format!("leg {text:?}: odds {e}"))?;
    let (n, d) = (u128::from(odds.numerator), u128::from(odds.denominator));
    Ok(match outcome {
        "win" => (n, d),
        "lose" => (0, 1),
        "push" | "void" => (1, 1),
        "half-win" => (n + d, 2 * d),
        "half-lose" => (1, 2),
        _ => {
            let parsed = outcome.strip_prefix("multiplier:").and_then(|r| r.split_once('/')).and_then(|(num, den)| {
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                (digits(num) && digits(den)).then(|| Some((num.parse::<u64>().ok()?, den.parse::<u64>().ok()?))).flatten()
            });
            match parsed {
                Some((_, 0)) => return Err(format!("leg {text:?}: a multiplier's denominator cannot be 0")),
                Some((num, den)) => (u128::from(num), u128::from(den)),
                None => return Err(format!("leg {text:?}: the outcome must be win, lose, push, void, half-win, half-lose or multiplier:<num>/<den>")),
            }
        }
    })
}

/// The settlement params: each leg's multiplier, in order.
pub fn legs(spec: &BetSpec) -> Result<Vec<(u128, u128)>, String> {
    check_shape(spec)?;
    let (mut legs, mut events) = (Vec::new(), 0);
    for (key, value) in &spec.params {
        match key.as_str() {
            "leg" => legs.push(leg_multiplier(value)?),
            "leg-event" => events += 1,
            other => return Err(format!("parlay has no parameter {other:?}")),
        }
    }
    check_leg_count(legs.len())?;
    if events != 0 && events != legs.len() {
        return Err(format!("{} legs settled but {events} leg events placed", legs.len()));
    }
    Ok(legs)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The exact product of the legs' multipliers, in lowest terms; `None` if an intermediate
/// product does not fit in u128 (it never does when one leg is 0: that is 0/1).
pub fn product(legs: &[(u128, u128)]) -> Option<(u128, u128)> {
    if legs.iter().any(|&(n, _)| n == 0) {
        return Some((0, 1));
    }
    legs.iter().try_fold((1u128, 1u128), |(n, d), &(ln, ld)| {
        // Cross-reduce first so that the products stay as small as the result allows.
        let (g1, g2) = (gcd(n, ld), gcd(ln, d));
        let (n, d) = ((n / g1).checked_mul(ln / g2)?, (d / g2).checked_mul(ld / g1)?);
        let g = gcd(n, d);
        Some((n / g, d / g))
    })
}

/// Settle the legs (already parsed).
pub fn settle(legs: &[(u128, u128)]) -> Outcome {
    let exact = product(legs).and_then(|(n, d)| Some(Ratio { numerator: u64::try_from(n).ok()?, denominator: u64::try_from(d).ok()? }));
    match exact {
        Some(Ratio { numerator: 0, .. }) => Outcome::Lose,
        Some(ratio) => Outcome::Multiplier(ratio),
        None => {
            entrepot_sdk::log::warn(&format!("parlay: the exact return multiplier of these {} legs does not fit a u64 ratio; voiding", legs.len()));
            Outcome::Void
        }
    }
}

impl Guest for Parlay {
    fn validate(spec: BetSpec) -> Result<(), String> {
        validate(&spec, SameEvent::configured())
    }

    fn settle(spec: BetSpec, result: EventResult) -> Outcome {
        if !result.completed {
            return Outcome::Void;
        }
        bet_type::settle_valid("parlay", legs(&spec), |legs| settle(&legs))
    }
}

entrepot_sdk::export_bet_type!(Parlay);

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::testing::{self, Harness};
    use entrepot_sdk::types::LogLevel;

    fn spec(params: &[(&str, &str)]) -> BetSpec {
        BetSpec { participants: vec![], selection: SELECTION.into(), line: None, params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    fn events(ids: &[&str]) -> BetSpec {
        spec(&ids.iter().map(|id| ("leg-event", *id)).collect::<Vec<_>>())
    }

    fn settled(legs: &[&str]) -> Outcome {
        let params: Vec<(&str, &str)> = legs.iter().map(|l| ("leg", *l)).collect();
        Parlay::settle(spec(&params), EventResult { scores: vec![], completed: true })
    }

    fn multiplier(numerator: u64, denominator: u64) -> Outcome {
        Outcome::Multiplier(Ratio { numerator, denominator })
    }

    #[test]
    fn validates_leg_counts_and_events() {
        let _host = Harness::new();
        assert_eq!(Parlay::validate(events(&["e1", "e2"])), Ok(()));
        let twelve: Vec<String> = (1..=12).map(|i| format!("e{i}")).collect();
        assert_eq!(Parlay::validate(events(&twelve.iter().map(String::as_str).collect::<Vec<_>>())), Ok(()));
        let thirteen: Vec<String> = (1..=13).map(|i| format!("e{i}")).collect();
        let err = |s: BetSpec| Parlay::validate(s).unwrap_err();
        assert_eq!(err(events(&thirteen.iter().map(String::as_str).collect::<Vec<_>>())), "a parlay takes at most 12 legs, not 13");
        assert_eq!(err(events(&["e1"])), "a parlay needs at least 2 legs, not 1");
        assert_eq!(err(events(&[])), "a parlay needs at least 2 legs, not 0");
        assert_eq!(err(events(&["e1", ""])), "leg 2 has an empty event id");
        assert_eq!(
            err(spec(&[("leg-event", "e1"), ("leg-event", "e2"), ("legs", "2")])),
            "parlay has no parameter \"legs\" (only \"leg-event\", and \"leg\" at settlement)"
        );
        assert!(err(spec(&[("leg-event", "e1"), ("leg", "win@2")])).contains("\"leg\" outcomes come at settlement"));
        assert_eq!(
            err(BetSpec { selection: "Reds".into(), ..events(&["e1", "e2"]) }),
            "a parlay's selection is \"parlay\", not \"Reds\" (each leg has its own)"
        );
        assert_eq!(err(BetSpec { participants: vec!["A".into()], ..events(&["e1", "e2"]) }), "a parlay names no participants (each leg has its own event)");
        assert_eq!(err(BetSpec { line: Some("1".into()), ..events(&["e1", "e2"]) }), "a parlay takes no line (each leg has its own)");
    }

    #[test]
    fn same_event_legs_follow_the_config() {
        let _host = Harness::new();
        let same = events(&["e1", "e2", "e1"]);
        let refused = "legs 1 and 3 are on the same event \"e1\"; this server does not take parlays with two legs on one event";
        assert_eq!(Parlay::validate(same.clone()), Err(refused.into()));
        testing::set_config("same_event", "refuse");
        assert_eq!(Parlay::validate(same.clone()), Err(refused.into()));
        testing::set_config("same_event", "allow");
        assert_eq!(Parlay::validate(same), Ok(()));
    }

    #[test]
    fn a_bad_same_event_config_faults_and_says_why() {
        let table = config::Config::from_entries(vec![("same_event".into(), "sometimes".into())]);
        let reason = "config key `same_event` = \"sometimes\" must be \"refuse\" or \"allow\"";
        assert_eq!(SameEvent::from_config(&table), Err(reason.into()));
        let _host = Harness::new().config("same_event", "sometimes");
        let fault = std::panic::catch_unwind(|| Parlay::validate(events(&["e1", "e2"])));
        assert!(fault.is_err());
        let logs = testing::take_logs();
        assert_eq!((logs[0].level, logs[0].message.as_str()), (LogLevel::Error, &*format!("parlay: {reason}")));
    }

    #[test]
    fn leg_multipliers() {
        assert_eq!(leg_multiplier("win@1.91"), Ok((191, 100)));
        assert_eq!(leg_multiplier("lose@1.91"), Ok((0, 1)));
        assert_eq!(leg_multiplier("push@1.91"), Ok((1, 1)));
        assert_eq!(leg_multiplier("void@3"), Ok((1, 1)));
        assert_eq!(leg_multiplier("half-win@1.9"), Ok((29, 20)));
        assert_eq!(leg_multiplier("half-lose@1.9"), Ok((1, 2)));
        assert_eq!(leg_multiplier("multiplier:3/4@2"), Ok((3, 4)));
        assert_eq!(leg_multiplier("win"), Err("leg \"win\" is not <outcome>@<odds>".into()));
        assert_eq!(leg_multiplier("win@0.5"), Err("leg \"win@0.5\": odds decimal odds 0.5 are below 1".into()));
        assert!(leg_multiplier("win@1,5").unwrap_err().contains("not a plain decimal"));
        assert_eq!(leg_multiplier("multiplier:1/0@2"), Err("leg \"multiplier:1/0@2\": a multiplier's denominator cannot be 0".into()));
        for bad in ["won@2", "multiplier:1@2", "multiplier:-1/2@2", "multiplier:1/+2@2", "multiplier:99999999999999999999/1@2", "@2"] {
            assert!(leg_multiplier(bad).unwrap_err().contains("the outcome must be"), "{bad}");
        }
    }

    #[test]
    fn settles_to_the_exact_product() {
        let _host = Harness::new();
        // The shared vectors' parlay 1: stake 2 returns 25594.152002496.
        let five = ["win@9.76", "win@4.84", "win@6.93", "win@7.65", "win@5.11"];
        assert_eq!(settled(&five), multiplier(399_908_625_039, 31_250_000));
        // 1.9 x (1.9 + 1) / 2 = 2.755 (the core's reference check).
        assert_eq!(settled(&["win@1.9", "half-win@1.9"]), multiplier(551, 200));
        // A push drops out; a half-lose halves; a plugin's multiplier multiplies.
        assert_eq!(settled(&["win@1.91", "push@2.5", "win@1.91"]), multiplier(36_481, 10_000));
        assert_eq!(settled(&["half-lose@3", "win@2"]), multiplier(1, 1));
        assert_eq!(settled(&["multiplier:3/2@9", "void@9", "win@1.5"]), multiplier(9, 4));
        assert!(testing::logs().is_empty());
    }

    #[test]
    fn a_lost_leg_loses_the_parlay() {
        assert_eq!(settled(&["win@2", "lose@2"]), Outcome::Lose);
        assert_eq!(settled(&["multiplier:0/7@2", "win@2"]), Outcome::Lose);
        // Even when the other legs alone would not fit.
        let mut legs = vec!["multiplier:18446744073709551615/1@2"; 11];
        legs.push("lose@2");
        assert_eq!(settled(&legs), Outcome::Lose);
    }

    #[test]
    fn a_product_too_large_for_the_ratio_voids_with_a_warning() {
        let _host = Harness::new();
        // 2^32 x 2^32 = 2^64: one more than a u64 holds.
        assert_eq!(settled(&["multiplier:4294967296/1@2", "multiplier:4294967296/1@2"]), Outcome::Void);
        // Twelve legs of u64::MAX overflow even u128.
        assert_eq!(settled(&["multiplier:18446744073709551615/1@2"; 12]), Outcome::Void);
        let logs = testing::take_logs();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].message, "parlay: the exact return multiplier of these 2 legs does not fit a u64 ratio; voiding");
        // Reduction keeps what fits: 2^40/3 x 3/2^40 = 1.
        assert_eq!(settled(&["multiplier:1099511627776/3@2", "multiplier:3/1099511627776@2"]), multiplier(1, 1));
    }

    #[test]
    fn malformed_settlements_and_abandonment_void() {
        let _host = Harness::new();
        let abandoned = EventResult { scores: vec![], completed: false };
        assert_eq!(Parlay::settle(spec(&[("leg", "win@2"), ("leg", "win@2")]), abandoned), Outcome::Void);
        assert!(testing::logs().is_empty());
        assert_eq!(settled(&["win@2"]), Outcome::Void);
        assert_eq!(settled(&["win@2", "won@2"]), Outcome::Void);
        let mismatch = spec(&[("leg-event", "e1"), ("leg-event", "e2"), ("leg-event", "e3"), ("leg", "win@2"), ("leg", "win@2")]);
        assert_eq!(Parlay::settle(mismatch, EventResult { scores: vec![], completed: true }), Outcome::Void);
        let logs: Vec<String> = testing::take_logs().into_iter().map(|l| l.message).collect();
        assert_eq!(
            logs,
            [
                "parlay: settling an invalid bet (a parlay needs at least 2 legs, not 1); voiding",
                "parlay: settling an invalid bet (leg \"won@2\": the outcome must be win, lose, push, void, half-win, half-lose or multiplier:<num>/<den>); voiding",
                "parlay: settling an invalid bet (2 legs settled but 3 leg events placed); voiding",
            ]
        );
        // With their leg events kept, settlement params are fine.
        let kept = spec(&[("leg-event", "e1"), ("leg-event", "e2"), ("leg", "win@2"), ("leg", "push@3")]);
        assert_eq!(Parlay::settle(kept, EventResult { scores: vec![], completed: true }), multiplier(2, 1));
    }
}
