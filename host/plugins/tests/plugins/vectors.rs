//! The exact settlement vectors through the real compiled bet-type plugins.
//!
//! Every row of `settlement_single.csv` and `settlement_parlay.csv` is placed (validated)
//! and settled by the staged `moneyline`, `spread`, `totals` and `parlay` plugins; the
//! return (stake × the core's exact multiplier of the plugin's outcome) must equal the
//! row's `expected_return` exactly. The vectors are read from `$ENTREPOT_VECTORS_DIR`, else
//! from this crate's `tests/vectors/`, a copy of the shared `../shared/vectors/` kept in the
//! repository so a fresh clone can run it; when the shared directory exists the copy must
//! match it.

use std::path::{Path, PathBuf};

use entrepot_core::betting::{multiplier, parlay_multiplier, Odds, Ratio};
use entrepot_plugins::{BetOutcome, BetSpec, EventResult, ParticipantScore, PluginHost};
use rust_decimal::Decimal;

use crate::common::*;

const HOME: &str = "Home";
const AWAY: &str = "Away";

fn vectors_dir() -> PathBuf {
    match std::env::var_os("ENTREPOT_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors"),
    }
}

/// The rows of a CSV file (no quoting in the vectors), each checked against the header's
/// width, with the number of data lines in the file.
fn read_csv(name: &str, header: &[&str]) -> Vec<Vec<String>> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    assert_eq!(lines.next().map(|h| h.split(',').collect::<Vec<_>>()), Some(header.to_vec()), "{}: header", path.display());
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{}: row {row:?}", path.display());
    }
    assert!(!rows.is_empty(), "{}: no rows", path.display());
    rows
}

fn decimal(text: &str) -> Ratio {
    let value = Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    Ratio::from_decimal(value).unwrap_or_else(|| panic!("{text:?} is not a non-negative exact decimal"))
}

fn show(ratio: Ratio) -> String {
    ratio.to_decimal().map_or_else(|| format!("{}/{}", ratio.numerator, ratio.denominator), |d| d.to_string())
}

/// One bet on one event, as a vector describes it.
struct Leg<'a> {
    kind: &'a str,
    selection: &'a str,
    line: &'a str,
    odds: &'a str,
    home: i64,
    away: i64,
}

impl Leg<'_> {
    /// The bet type and spec the vector's bet is placed as.
    fn bet(&self) -> Result<(&'static str, BetSpec), String> {
        let selection = match self.selection {
            "home" => HOME,
            "away" => AWAY,
            other => other,
        };
        let (bet_type, line, params) = match self.kind {
            "moneyline2" | "moneyline3" if self.line != "0" => return Err(format!("a moneyline row with line {}", self.line)),
            "moneyline2" => ("moneyline", None, vec![]),
            "moneyline3" => ("moneyline", None, vec![("way".to_owned(), "3".to_owned())]),
            "spread" => ("spread", Some(self.line.to_owned()), vec![]),
            "total" => ("totals", Some(self.line.to_owned()), vec![]),
            other => return Err(format!("unknown kind {other:?}")),
        };
        let spec = BetSpec { participants: vec![HOME.into(), AWAY.into()], selection: selection.into(), line, params };
        Ok((bet_type, spec))
    }

    fn odds(&self) -> Result<Odds, String> {
        Odds::parse(self.odds).ok_or_else(|| format!("odds {:?} are not exact odds", self.odds))
    }

    /// Place and settle through the plugin.
    fn settle(&self, host: &mut PluginHost) -> Result<BetOutcome, String> {
        let (bet_type, spec) = self.bet()?;
        match host.validate_bet(bet_type, &spec) {
            Ok(Ok(())) => {}
            other => return Err(format!("{bet_type} refused {spec:?}: {other:?}")),
        }
        let result = EventResult {
            scores: vec![ParticipantScore { participant: HOME.into(), score: self.home }, ParticipantScore { participant: AWAY.into(), score: self.away }],
            completed: true,
        };
        host.settle_bet(bet_type, &spec, &result).map_err(|fault| format!("{bet_type} faulted: {fault}"))
    }

    /// The leg's return multiplier, by the core's rules.
    fn multiplier(&self, outcome: BetOutcome) -> Result<Ratio, String> {
        multiplier(outcome, self.odds()?).ok_or_else(|| format!("no multiplier for {outcome:?}"))
    }
}

/// The parlay plugin's `<outcome>@<odds>` for a settled leg.
fn leg_param(outcome: BetOutcome, odds: &str) -> String {
    let word = match outcome {
        BetOutcome::Win => "win".to_owned(),
        BetOutcome::Lose => "lose".to_owned(),
        BetOutcome::Push => "push".to_owned(),
        BetOutcome::Void => "void".to_owned(),
        BetOutcome::HalfWin => "half-win".to_owned(),
        BetOutcome::HalfLose => "half-lose".to_owned(),
        BetOutcome::Multiplier { numerator, denominator } => format!("multiplier:{numerator}/{denominator}"),
    };
    format!("{word}@{odds}")
}

fn bet_host() -> PluginHost {
    host_with(["moneyline", "spread", "totals", "parlay"].map(load))
}

/// `kind:selection:line@odds home-away`.
fn parse_leg(text: &str) -> Result<Leg<'_>, String> {
    let bad = || format!("leg {text:?} is not kind:selection:line@odds home-away");
    let (bet, score) = text.trim().split_once(' ').ok_or_else(bad)?;
    let (bet, odds) = bet.split_once('@').ok_or_else(bad)?;
    let mut fields = bet.split(':');
    let (Some(kind), Some(selection), Some(line), None) = (fields.next(), fields.next(), fields.next(), fields.next()) else {
        return Err(bad());
    };
    let (home, away) = score.split_once('-').ok_or_else(bad)?;
    let (home, away) = (home.parse().map_err(|_| bad())?, away.parse().map_err(|_| bad())?);
    Ok(Leg { kind, selection, line, odds, home, away })
}

fn check_single(host: &mut PluginHost, row: &[String]) -> Result<(), String> {
    let leg = Leg {
        kind: &row[1],
        selection: &row[2],
        line: &row[3],
        odds: &row[4],
        home: row[5].parse().map_err(|e| format!("home: {e}"))?,
        away: row[6].parse().map_err(|e| format!("away: {e}"))?,
    };
    let outcome = leg.settle(host)?;
    let returned = decimal(&row[7]).checked_mul(leg.multiplier(outcome)?).ok_or("overflow")?;
    let expected = decimal(&row[8]);
    if returned != expected {
        return Err(format!("{outcome:?} returns {} but {} is expected", show(returned), show(expected)));
    }
    Ok(())
}

fn check_parlay(host: &mut PluginHost, row: &[String]) -> Result<(), String> {
    let legs = row[2].split('|').map(parse_leg).collect::<Result<Vec<_>, _>>()?;
    let events: Vec<(String, String)> = (1..=legs.len()).map(|i| ("leg-event".to_owned(), format!("parlay-{}-leg-{i}", row[0]))).collect();
    let mut spec = BetSpec { participants: vec![], selection: "parlay".into(), line: None, params: events };
    match host.validate_bet("parlay", &spec) {
        Ok(Ok(())) => {}
        other => return Err(format!("parlay refused {spec:?}: {other:?}")),
    }
    let mut leg_multipliers = Vec::new();
    for leg in &legs {
        let outcome = leg.settle(host)?;
        leg_multipliers.push(leg.multiplier(outcome)?);
        spec.params.push(("leg".to_owned(), leg_param(outcome, leg.odds)));
    }
    let done = EventResult { scores: vec![], completed: true };
    let combined = match host.settle_bet("parlay", &spec, &done) {
        Ok(BetOutcome::Multiplier { numerator, denominator }) if denominator != 0 => Ratio::new(numerator.into(), denominator.into()),
        Ok(BetOutcome::Lose) => Ratio::ZERO,
        other => return Err(format!("parlay settled {spec:?} as {other:?}")),
    };
    let core = parlay_multiplier(leg_multipliers).ok_or("the core's parlay multiplier overflowed")?;
    if combined != core {
        return Err(format!("the plugin's multiplier {} is not the core's {}", show(combined), show(core)));
    }
    let returned = decimal(&row[1]).checked_mul(combined).ok_or("overflow")?;
    let expected = decimal(&row[3]);
    if returned != expected {
        return Err(format!("returns {} but {} is expected ({:?})", show(returned), show(expected), spec.params));
    }
    Ok(())
}

/// Check every row; the test fails naming each failing row's id.
fn check_all(file: &str, header: &[&str], check: fn(&mut PluginHost, &[String]) -> Result<(), String>) {
    let rows = read_csv(file, header);
    let mut host = bet_host();
    let (mut checked, mut failures) = (0usize, Vec::new());
    for row in &rows {
        match check(&mut host, row) {
            Ok(()) => checked += 1,
            Err(why) => failures.push(format!("{file} row {}: {why}", row[0])),
        }
    }
    assert!(failures.is_empty(), "{} of {} rows failed:\n{}", failures.len(), rows.len(), failures.join("\n"));
    assert_eq!(checked, rows.len(), "{file}: rows checked");
    // No plugin faulted or was quarantined on the way.
    for status in host.status() {
        assert_eq!(status.metrics.faults.total(), 0, "{}: {:?}", status.name, status.metrics.faults);
    }
    eprintln!("{file}: {checked} of {} rows settle exactly", rows.len());
}

#[test]
fn single_bets_settle_to_the_exact_vector_returns() {
    check_all("settlement_single.csv", &["id", "kind", "selection", "line", "odds", "home", "away", "stake", "expected_return"], check_single);
}

#[test]
fn parlays_settle_to_the_exact_vector_returns() {
    check_all("settlement_parlay.csv", &["id", "stake", "legs", "expected_return"], check_parlay);
}

/// The copy in the repository is the shared source, when the source is there to compare.
#[test]
fn the_vectors_copy_matches_its_source() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    if !shared.is_dir() {
        eprintln!("no {}: nothing to compare the vectors copy with", shared.display());
        return;
    }
    let copy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for file in ["settlement_single.csv", "settlement_parlay.csv"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()));
        assert!(read(&copy) == read(&shared), "{file} differs from {}: copy it again", shared.display());
    }
}
