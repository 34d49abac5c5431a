//! `entrepot-sim run SCENARIO.toml [--seed S] [--set key.path=value ...] [--out DIR]`
//!
//! Runs the scenario through the engine and writes `summary.json`, `series.csv` and
//! `report.html` into DIR (default `sim-out/`). With no arguments at all (`cargo xtask
//! sim`), runs the bundled `copper-wheat` scenario. See `sims/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use entrepot_sim::{report, run, Error, Scenario};

/// The bundled scenario, run when no arguments are given.
const BUNDLED: &str = include_str!("../scenarios/copper-wheat.toml");

const USAGE: &str = "usage: entrepot-sim run SCENARIO.toml [--seed S] [--set key.path=value ...] [--out DIR]";

struct Args {
    /// None: the bundled scenario.
    scenario: Option<PathBuf>,
    overrides: Vec<String>,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        None => return Ok(Args { scenario: None, overrides: Vec::new(), out: PathBuf::from("sim-out") }),
        Some("run") => {}
        Some("-h" | "--help") => return Err(USAGE.into()),
        Some(other) => return Err(format!("unknown command `{other}`\n{USAGE}")),
    }
    let (mut scenario, mut overrides, mut out) = (None, Vec::new(), PathBuf::from("sim-out"));
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--seed" => {
                let seed = value()?;
                seed.parse::<u64>().map_err(|_| format!("--seed takes a number, not `{seed}`"))?;
                overrides.push(format!("run.seed={seed}"));
            }
            "--set" => overrides.push(value()?),
            "--out" => out = PathBuf::from(value()?),
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`\n{USAGE}")),
            path if scenario.is_none() => scenario = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument `{extra}`\n{USAGE}")),
        }
    }
    Ok(Args { scenario: Some(scenario.ok_or_else(|| format!("no scenario file\n{USAGE}"))?), overrides, out })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path, &args.overrides),
        None => {
            println!("no scenario given: running the bundled copper-wheat scenario ({USAGE})");
            Scenario::parse(BUNDLED, &[]).map_err(|message| Error::Scenario { file: "scenarios/copper-wheat.toml (bundled)".into(), message })
        }
    };
    let result = scenario.and_then(|s| run(&s)).and_then(|out| report::write(&out, &args.out).map(|_| out));
    match result {
        Ok(out) => {
            let trades: u64 = out.market_totals.iter().map(|t| t.trades).sum();
            println!(
                "{}: seed {} · {} game minutes · {} agents · {} commands · {trades} trades · state hash {:016x}",
                out.name,
                out.seed,
                out.duration / 60_000,
                out.agents,
                out.commands,
                out.state_hash
            );
            println!("report: {}", args.out.join("report.html").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
