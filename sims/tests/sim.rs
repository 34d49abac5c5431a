//! The simulator end to end on the real engine: determinism, conservation, faucets and
//! sinks, bad input, and the bundled scenario. Durations are short so each test stays fast
//! in debug builds.

use std::path::{Path, PathBuf};

use entrepot_sim::{report, run, Error, RunOutput, Scenario};

const ASSETS_AND_MARKETS: &str = r#"
[[asset]]
symbol = "GOLD"
decimals = 2
kind = "currency"

[[asset]]
symbol = "COPPER"
decimals = 0
kind = "item"

[[market]]
symbol = "COPPER/GOLD"
tick = "0.01"
lot = "1"
maker_fee_bps = 10
taker_fee_bps = 30
"#;

const TRADERS: &str = r#"
[[agents]]
archetype = "market_maker"
count = 3
market = "COPPER/GOLD"
every_minutes = 5
fair_value = "2.50"
order_size = 10
[agents.start]
GOLD = "2000"
COPPER = "500"

[[agents]]
archetype = "noise"
count = 10
market = "COPPER/GOLD"
every_minutes = 7
fair_value = "2.50"
[agents.start]
GOLD = "300"
COPPER = "100"

[[agents]]
archetype = "value"
count = 4
market = "COPPER/GOLD"
fair_value = "2.50"
[agents.start]
GOLD = "300"
COPPER = "100"
"#;

const FAUCETS_AND_SINKS: &str = r#"
[[agents]]
archetype = "gatherer"
count = 5
market = "COPPER/GOLD"
every_minutes = 15
fair_value = "2.50"

[[agents]]
archetype = "consumer"
count = 8
market = "COPPER/GOLD"
every_minutes = 15
fair_value = "2.50"
income = "3.25"
[agents.start]
GOLD = "50"
"#;

fn scenario(run: &str, agents: &str) -> String {
    format!("name = \"test\"\n[run]\n{run}\n{ASSETS_AND_MARKETS}{agents}")
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/copper-wheat.toml")
}

fn short(extra: &[&str]) -> Vec<String> {
    let mut o: Vec<String> = ["run.days=0", "run.hours=4", "run.sample_minutes=30"].iter().map(ToString::to_string).collect();
    o.extend(extra.iter().map(ToString::to_string));
    o
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("entrepot-sim-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run_text(text: &str, overrides: &[String]) -> RunOutput {
    let s = Scenario::parse(text, overrides).expect("valid scenario");
    run(&s).expect("runs")
}

#[test]
fn same_seed_same_bytes_other_seed_other_hash() {
    let files = |seed: &str, name: &str| {
        let s = Scenario::load(&bundled(), &short(&[&format!("run.seed={seed}")])).unwrap();
        let out = run(&s).unwrap();
        let dir = out_dir(name);
        report::write(&out, &dir).unwrap();
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        (out.state_hash, read("summary.json"), read("series.csv"), read("report.html"))
    };
    let a = files("7", "det-a");
    let b = files("7", "det-b");
    assert_eq!(a, b, "same scenario and seed must give identical files");
    let c = files("8", "det-c");
    assert_ne!(a.0, c.0, "another seed should give another run");
    assert!(String::from_utf8(a.1).unwrap().contains(&format!("{:016x}", a.0)));
}

#[test]
fn trading_alone_keeps_the_money_supply_constant() {
    let out = run_text(&scenario("hours = 6\nsample_minutes = 20", TRADERS), &[]);
    let trades: u64 = out.market_totals.iter().map(|t| t.trades).sum();
    assert!(trades > 50, "the traders should trade ({trades})");
    let first = &out.samples[0].assets;
    for s in &out.samples {
        for (now, start) in s.assets.iter().zip(first) {
            assert_eq!(now.supply, start.supply, "supply changed at {} ms", s.time);
        }
    }
    assert!(out.asset_totals[0].fees > 0, "fees are collected (and stay in the supply)");
}

#[test]
fn faucets_and_sinks_account_exactly() {
    let out = run_text(&scenario("hours = 8", FAUCETS_AND_SINKS), &[]);
    let gold = &out.asset_totals[0];
    let copper = &out.asset_totals[1];
    assert!(copper.faucet > 0 && copper.burned > 0, "gatherers mint and consumers burn: {copper:?}");
    assert!(gold.faucet > 0, "wages are minted");
    for (a, t) in out.assets.iter().zip(&out.asset_totals) {
        assert_eq!(t.supply, t.start + t.faucet - t.burned, "{}: end supply != start + minted - burned", a.symbol);
    }
    // Wages: 8 consumers × 3.25 gold × decisions; every mint is a whole number of 325 minor units.
    assert_eq!(gold.faucet % 325, 0);
    let last = out.samples.last().unwrap();
    assert_eq!(last.assets[1].supply, copper.supply);
}

fn load_err(text: &str, overrides: &[&str]) -> String {
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = out_dir(&format!("bad-{}", CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let o: Vec<String> = overrides.iter().map(ToString::to_string).collect();
    match Scenario::load(&path, &o) {
        Err(e @ Error::Scenario { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("bad.toml"), "the error names the file: {msg}");
            msg
        }
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

#[test]
fn bad_input_names_the_field() {
    let good = scenario("hours = 1", TRADERS);
    let unknown_key = good.replace("every_minutes = 5", "every_minutes = 5\nspreed_bps = 10");
    let msg = load_err(&unknown_key, &[]);
    assert!(msg.contains("spreed_bps") && msg.contains("line"), "{msg}");

    let msg = load_err(&good.replace("market = \"COPPER/GOLD\"\nevery_minutes = 7", "market = \"TIN/GOLD\"\nevery_minutes = 7"), &[]);
    assert!(msg.contains("agents[1].market") && msg.contains("TIN/GOLD"), "{msg}");

    let msg = load_err(&good, &["agents.9.count=3"]);
    assert!(msg.contains("agents.9"), "{msg}");
    let msg = load_err(&good, &["run.nonsense=3"]);
    assert!(msg.contains("nonsense"), "{msg}");
    let msg = load_err(&good, &["agents.1.count=many"]);
    assert!(msg.contains("count") && msg.contains("many"), "{msg}");
    let msg = load_err(&good, &["agents.0.count=0"]);
    assert!(msg.contains("agents[0].count"), "{msg}");
    let msg = load_err(&good.replace("symbol = \"COPPER/GOLD\"", "symbol = \"COPPER/SILVER\""), &[]);
    assert!(msg.contains("market[0].symbol") && msg.contains("SILVER"), "{msg}");
}

#[test]
fn overrides_reach_any_field() {
    let s = Scenario::load(&bundled(), &short(&["agents.0.count=3", "agents.2.income=0.5", "market.1.tick=0.05"])).unwrap();
    assert_eq!(s.agents[0].count, 3);
    assert_eq!(s.agents[2].income, Some("0.5".parse().unwrap()));
    assert_eq!(s.markets[1].tick, "0.05".parse().unwrap());
    assert_eq!(s.run.duration_ms(), 4 * 3_600_000);
}

#[test]
fn bundled_scenario_runs() {
    let s = Scenario::load(&bundled(), &short(&[])).unwrap();
    let out = run(&s).unwrap();
    assert_eq!(out.name, "copper-wheat");
    assert!(out.market_totals.iter().all(|t| t.trades > 0), "both markets trade");
    assert_eq!(out.samples.len(), 9, "samples at 0, every 30 minutes for 4 hours");
    let r = report::render(&out);
    assert!(r.report_html.contains("<svg") && !r.report_html.contains("<script"));
    assert!(r.series_csv.starts_with("minute,metric,value\n"));
}

#[test]
fn the_binary_writes_the_report() {
    let dir = out_dir("cli");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_entrepot-sim"))
        .args(["run", bundled().to_str().unwrap(), "--seed", "3", "--set", "run.days=0", "--set", "run.hours=1", "--out", dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    for f in ["summary.json", "series.csv", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_entrepot-sim")).args(["run", "nope.toml"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope.toml"));
}
