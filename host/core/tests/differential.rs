//! Differential test: the engine and the naive reference model (`tests/model`) must emit
//! identical events, command by command, for long generated streams (`tests/gen`).
//!
//! On the first mismatch the test prints the seed, the command index, the command and both
//! event lists. Run the long seed in release for speed:
//! `cargo test -p entrepot-core --release --test differential`.

mod gen;
mod model;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::time::Instant;

use entrepot_core::*;

/// Seeds skipped because of a known engine bug (see tests/ENGINE_BUGS.md). Keep it empty.
const KNOWN_BAD: &[u64] = &[];

/// Counts of interesting events, printed to show what a stream exercised.
#[derive(Default, Debug)]
struct Stats {
    commands: usize,
    events: BTreeMap<&'static str, usize>,
    rejects: BTreeMap<String, usize>,
    done: BTreeMap<String, usize>,
    /// Commands that produced at least one trade, by kind of command.
    trading: BTreeMap<&'static str, usize>,
    max_resting: usize,
    /// Accepted limit orders, and how many of them traded on arrival.
    limit_accepted: usize,
    limit_crossed: usize,
}

fn kind(e: &Event) -> &'static str {
    match e {
        Event::AssetCreated { .. } => "AssetCreated",
        Event::MarketCreated { .. } => "MarketCreated",
        Event::MarketChanged { .. } => "MarketChanged",
        Event::AccountOpened { .. } => "AccountOpened",
        Event::Minted { .. } => "Minted",
        Event::Burned { .. } => "Burned",
        Event::Rejected { .. } => "Rejected",
        Event::RuleMessage { .. } => "RuleMessage",
        Event::Duplicate { .. } => "Duplicate",
        Event::Done { .. } => "Done",
        Event::OrderAccepted { .. } => "OrderAccepted",
        Event::OrderModified { .. } => "OrderModified",
        Event::Trade { .. } => "Trade",
        Event::OrderDone { .. } => "OrderDone",
        Event::Balance { .. } => "Balance",
        Event::BookLevel { .. } => "BookLevel",
        Event::Bet(_) => "Bet",
        Event::AlertCreated { .. } => "AlertCreated",
        Event::AlertRemoved { .. } => "AlertRemoved",
    }
}

impl Stats {
    fn record(&mut self, cmd: &Command, events: &[Event]) {
        self.commands += 1;
        if let Body::Place(OrderRequest { kind: OrderKind::Limit { .. }, .. }) = cmd.body {
            if events.iter().any(|e| matches!(e, Event::OrderAccepted { .. })) {
                self.limit_accepted += 1;
                self.limit_crossed += usize::from(events.iter().any(|e| matches!(e, Event::Trade { .. })));
            }
        }
        if events.iter().any(|e| matches!(e, Event::Trade { .. })) {
            let k = match &cmd.body {
                Body::Place(r) => match (r.kind, r.tif) {
                    (OrderKind::Market(MarketSize::Budget(_)), _) => "market-budget",
                    (OrderKind::Market(_), _) => "market-quantity",
                    (_, TimeInForce::Fok) => "limit-fok",
                    (_, TimeInForce::Ioc) => "limit-ioc",
                    _ => "limit-resting",
                },
                Body::Modify { .. } => "modify",
                _ => "other",
            };
            *self.trading.entry(k).or_default() += 1;
        }
        for e in events {
            *self.events.entry(kind(e)).or_default() += 1;
            match e {
                Event::Rejected { reason, .. } => {
                    let name = format!("{reason:?}");
                    let name = name.split([' ', '{', '(']).next().unwrap().to_string();
                    *self.rejects.entry(name).or_default() += 1;
                }
                Event::OrderDone { reason, .. } => *self.done.entry(format!("{reason:?}")).or_default() += 1,
                Event::OrderModified { kept_priority, .. } => {
                    *self.trading.entry(if *kept_priority { "(modify kept)" } else { "(modify requeued)" }).or_default() += 1;
                }
                _ => {}
            }
        }
    }
}

/// Renders both event lists side by side, marking the first difference.
fn describe_mismatch(seed: u64, i: usize, ctx: Ctx, cmd: &Command, engine: &[Event], model: &[Event], previous: &VecDeque<(Ctx, Command)>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "MISMATCH seed={seed} command_index={i} ctx={ctx:?}");
    let _ = writeln!(s, "previous commands:");
    for (c, p) in previous {
        let _ = writeln!(s, "    {c:?} {p:?}");
    }
    let _ = writeln!(s, "command: {cmd:?}");
    let first = engine.iter().zip(model).position(|(a, b)| a != b).unwrap_or(engine.len().min(model.len()));
    let _ = writeln!(s, "first differing event index: {first}");
    let _ = writeln!(s, "--- engine ({} events):", engine.len());
    for (k, e) in engine.iter().enumerate() {
        let _ = writeln!(s, "{} {k:3} {e:?}", if k == first { ">>" } else { "  " });
    }
    let _ = writeln!(s, "--- model ({} events):", model.len());
    for (k, e) in model.iter().enumerate() {
        let _ = writeln!(s, "{} {k:3} {e:?}", if k == first { ">>" } else { "  " });
    }
    s
}

/// Runs `n` generated commands of `seed` through both implementations; panics on a mismatch.
fn run_seed(seed: u64, n: usize) -> Stats {
    run_seed_with(seed, n, gen::FeeChanges::Any)
}

fn run_seed_with(seed: u64, n: usize, fees: gen::FeeChanges) -> Stats {
    try_seed(seed, n, fees).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `n` generated commands of `seed` through both implementations; the first mismatch,
/// broken invariant or final-state difference is returned as a report.
fn try_seed(seed: u64, n: usize, fees: gen::FeeChanges) -> Result<Stats, String> {
    let start = Instant::now();
    let mut g = gen::Generator::with_fee_changes(seed, fees);
    let mut engine = Engine::new(EngineConfig { dedup_window_ms: g.dedup_window_ms });
    let mut model = model::Model::new(g.dedup_window_ms);
    let mut stats = Stats::default();
    let mut out = Vec::new();
    let mut previous = VecDeque::new();
    for i in 0..n {
        let (ctx, cmd) = g.next();
        out.clear();
        engine.apply(ctx, &cmd, &mut out);
        let expected = model.apply(ctx, &cmd);
        if out != expected {
            return Err(describe_mismatch(seed, i, ctx, &cmd, &out, &expected, &previous));
        }
        previous.push_back((ctx, cmd.clone()));
        if previous.len() > 8 {
            previous.pop_front();
        }
        g.observe(&out);
        stats.record(&cmd, &out);
        stats.max_resting = stats.max_resting.max(model.orders.len());
        if i % 500 == 0 || i + 1 == n {
            if let Err(e) = engine.check_invariants() {
                return Err(format!("seed={seed} command_index={i} invariant broken: {e}\ncommand: {cmd:?}"));
            }
        }
    }
    compare_final_state(&engine, &model).map_err(|e| format!("seed={seed}: final state differs: {e}"))?;
    eprintln!(
        "seed {seed}: {n} commands in {:.2?} (window {} ms), max resting {}, limit orders crossing {}/{}\n  events {:?}\n  rejects {:?}\n  done {:?}\n  trading {:?}",
        start.elapsed(),
        g.dedup_window_ms,
        stats.max_resting,
        stats.limit_crossed,
        stats.limit_accepted,
        stats.events,
        stats.rejects,
        stats.done,
        stats.trading
    );
    Ok(stats)
}

/// Every balance, fee sink and book side of the model equals the engine's.
fn compare_final_state(engine: &Engine, model: &model::Model) -> Result<(), String> {
    for acc in model.account_ids() {
        for asset in model.asset_ids() {
            let (e, m) = (engine.balance(acc, asset), model.balance(acc, asset));
            if e != m {
                return Err(format!("balance of account {acc} asset {asset}: engine {e:?}, model {m:?}"));
            }
        }
    }
    for asset in model.asset_ids() {
        let (e, m) = (engine.fee_sink(asset), model.fee_sink(asset));
        if e != m {
            return Err(format!("fee sink of asset {asset}: engine {e}, model {m}"));
        }
    }
    for market in model.market_ids() {
        for side in [Side::Buy, Side::Sell] {
            let (e, m) = (engine.depth(market, side), model.depth(market, side));
            if e != m {
                return Err(format!("depth of market {market} {side:?}: engine {e:?}, model {m:?}"));
            }
        }
    }
    Ok(())
}

fn run(seed: u64, n: usize) {
    if KNOWN_BAD.contains(&seed) {
        eprintln!("seed {seed} skipped: known engine bug (ENGINE_BUGS.md)");
        return;
    }
    let stats = run_seed(seed, n);
    // The stream must actually exercise the engine.
    assert!(stats.events.get("Trade").copied().unwrap_or(0) > n / 50, "too few trades: {stats:?}");
}

/// The long stream: at least 100,000 commands (dedup window 60 s).
#[test]
fn differential_long_stream() {
    run(1, 100_000);
}

/// Two more long streams, with the 24 h and the 10 s dedup windows (seeds 3 and 7 below
/// use the default 10 min).
#[test]
fn differential_long_streams_other_windows() {
    run(20, 100_000);
    run(30, 100_000);
}

#[test]
fn differential_seeds_a() {
    for seed in [2, 3, 4, 5] {
        run(seed, 20_000);
    }
}

#[test]
fn differential_seeds_b() {
    for seed in [6, 7, 8, 9] {
        run(seed, 20_000);
    }
}

/// Many short streams: setup-heavy prefixes and early-life edge cases.
#[test]
fn differential_short_streams() {
    for seed in 100..160 {
        if KNOWN_BAD.contains(&seed) {
            continue;
        }
        run_seed(seed, 1_500);
    }
}

/// A triage tool, not a check: runs many seeds and prints the first problem of each.
/// `DIFF_SEEDS=1..200 DIFF_LEN=20000 [DIFF_FEES=keep] cargo test -p entrepot-core --release --test differential scan -- --ignored --nocapture`
#[test]
#[ignore = "triage tool"]
fn scan() {
    let range = std::env::var("DIFF_SEEDS").unwrap_or_else(|_| "1..50".into());
    let (a, b) = range.split_once("..").expect("DIFF_SEEDS=a..b");
    let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
    let n: usize = std::env::var("DIFF_LEN").map_or(20_000, |v| v.parse().unwrap());
    let fees = match std::env::var("DIFF_FEES").as_deref() {
        Ok("keep") => gen::FeeChanges::Keep,
        _ => gen::FeeChanges::Any,
    };
    let mut bad = Vec::new();
    for seed in a..b {
        let r = std::panic::catch_unwind(|| try_seed(seed, n, fees));
        match r {
            Ok(Ok(_)) => {}
            Ok(Err(report)) => {
                eprintln!("{report}");
                bad.push(seed);
            }
            Err(_) => {
                eprintln!("seed {seed}: model panicked (see above)");
                bad.push(seed);
            }
        }
    }
    eprintln!("problem seeds: {bad:?}");
}
