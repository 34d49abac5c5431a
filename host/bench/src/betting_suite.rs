//! `cargo xtask bench betting` (issue 5): the betting engine at scale, with the real compiled
//! `moneyline` plugin (and `parlay` when it is staged) behind [`PluginHost`], wrapped in the
//! [`Recorder`] the server journals plugin decisions with.
//!
//! Scenario (seeded): M fixtures, each with a fixed-odds 3-way moneyline market (home /
//! draw / away) and every fourth also with an exchange moneyline market; K groups whose
//! members bet with group cash; N placement commands through `Engine::apply_with`:
//! fixed-odds singles from main and group wallets, exchange lays followed by the backs that
//! match them, and ~2% parlays when the `parlay` plugin is staged. Then every fixture is
//! closed (untimed) and settled with `BetCommand::ReportResult` (timed).
//!
//! - `bets_per_sec`: placement commands / s.
//! - `settles_per_sec`: `BetSettled` events / wall time of the settle phase. The engine asks
//!   the plugin once per selection (the outcome is a function of selection and result).
//! - `settle_vs_naive`: against one `PluginHost::settle_bet` call per single-selection bet,
//!   measured in the same run on the same bets (BetterSquared-style per-bet settlement).
//!   The naive side does only the plugin calls, no ledger work, so the ratio is conservative.
//! - search: `betting_search::run` (type-ahead over fixture and participant names).
//!
//! After the timed sections: `check_invariants`, every bet settled, and the naive outcomes
//! equal the engine's.

use std::time::Instant;

use entrepot_core::betting::*;
use entrepot_core::rules::{Decision, Recorder};
use entrepot_core::*;
use entrepot_plugins::{PluginHost, Runtime, RuntimeConfig};
use entrepot_seeded::{Rng, XorShift64};

use crate::betting_search;
use crate::plugins_suite::{load, staged};
use crate::report::{self, Table};

const GOLD: AssetId = AssetId(1);
const FIRST_PLAYER: u64 = 1_000;
const GROUPS: u64 = 50;
/// Every this many fixtures also has an exchange market (market 1).
const EXCHANGE_EVERY: usize = 4;
/// Far enough that no fixture goes in-play and no group ends during the run.
const FAR: u64 = 1 << 40;
const TARGET_SETTLES: f64 = 200_000.0;
const TARGET_P50_US: f64 = 1_000.0;
const TARGET_P99_US: f64 = 5_000.0;
const TARGET_NAMES: usize = 300_000;
const MONEYLINE: &str = "moneyline";
/// House odds triples (home, draw, away) the fixtures cycle through.
const PRICES: [[&str; 3]; 4] = [["2.1", "3.4", "3.6"], ["1.8", "3.6", "4.5"], ["2.5", "3.2", "2.9"], ["3.1", "3.3", "2.3"]];
/// Exchange lay prices (on the ladder); the matching back asks for the same odds.
const LAY_ODDS: [&str; 4] = ["2.5", "3", "3.5", "4"];

struct Sizes {
    fixtures: usize,
    bets: usize,
    players: u64,
}

/// The engine with the real plugins behind a `Recorder`, driven as the sequencer drives it.
struct Driver {
    engine: Engine,
    host: PluginHost,
    seq: u64,
    time: u64,
    request: u64,
    events: Vec<Event>,
    decisions: Vec<Decision>,
}

impl Driver {
    /// Apply one command at the current game time; its events are in `self.events`.
    fn apply_cmd(&mut self, cmd: &Command) {
        self.seq += 1;
        self.events.clear();
        self.decisions.clear();
        let ctx = Ctx { seq: self.seq, time: self.time };
        self.engine.apply_with(ctx, cmd, &mut self.events, &mut Recorder { inner: &mut self.host, decisions: &mut self.decisions });
    }

    fn command(&mut self, actor: AccountId, body: Body) -> Command {
        self.request += 1;
        Command { actor, request: RequestId(self.request), body }
    }

    /// Setup: apply and insist it was accepted.
    fn must(&mut self, actor: AccountId, body: Body) {
        let cmd = self.command(actor, body);
        self.apply_cmd(&cmd);
        if let Some(Event::Rejected { reason, .. }) = self.events.iter().find(|e| matches!(e, Event::Rejected { .. })) {
            panic!("setup command refused ({reason:?}): {cmd:?}");
        }
    }
}

fn player(p: u64) -> AccountId {
    AccountId(FIRST_PLAYER + p)
}

fn odds(text: &str) -> Odds {
    Odds::parse(text).expect("odds")
}

fn fixture_spec(f: usize) -> FixtureSpec {
    let (home, away) = (format!("Club {} Athletic", 2 * f), format!("Club {} Rovers", 2 * f + 1));
    let prices = PRICES[f % PRICES.len()];
    let market = |mode| BetMarketSpec {
        bet_type: MONEYLINE.into(),
        line: None,
        params: vec![("way".into(), "3".into())],
        selections: [home.as_str(), "draw", away.as_str()]
            .iter()
            .zip(prices)
            .map(|(name, price)| SelectionSpec { name: name.to_string(), line: None, odds: matches!(mode, BetMode::Fixed { .. }).then(|| odds(price)) })
            .collect(),
        mode,
        in_play: false,
    };
    let mut markets = vec![market(BetMode::Fixed { exposure_limit: 1 << 50 })];
    if f.is_multiple_of(EXCHANGE_EVERY) {
        markets.push(market(BetMode::Exchange));
    }
    FixtureSpec {
        id: FixtureId(f as u64 + 1),
        name: format!("{home} v {away}"),
        participants: vec![home, away],
        currency: GOLD,
        opens_at: None,
        starts_at: FAR,
        markets,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Group,
    Exchange,
    Parlay,
}

/// The placement commands (actor, body, kind), seeded.
fn placements(d: &mut Driver, specs: &[FixtureSpec], sizes: &Sizes, parlays: bool) -> Vec<(Command, Kind)> {
    let mut r = XorShift64::new(0x0BE7_5EED);
    let mut out = Vec::with_capacity(sizes.bets + 1);
    let exchange_fixtures: Vec<usize> = (0..specs.len()).step_by(EXCHANGE_EVERY).collect();
    let leg = |r: &mut XorShift64, f: usize| {
        let s = r.range(0, 2) as u16;
        Leg {
            selection: SelectionRef { fixture: specs[f].id, market: 0, selection: s },
            odds: specs[f].markets[0].selections[s as usize].odds.expect("fixed odds"),
        }
    };
    while out.len() < sizes.bets {
        let who = r.range(0, sizes.players - 1);
        let roll = r.range(0, 99);
        let (actor, req, kind) = if parlays && roll < 2 {
            let n = r.range(2, 3) as usize;
            let mut fixtures: Vec<usize> = Vec::with_capacity(n);
            while fixtures.len() < n {
                let f = r.range(0, specs.len() as u64 - 1) as usize;
                if !fixtures.contains(&f) {
                    fixtures.push(f);
                }
            }
            let legs = fixtures.into_iter().map(|f| leg(&mut r, f)).collect();
            (who, BetRequest { wallet: Wallet::Main, stake: r.range(1, 10) * 100, kind: BetKind::Parlay(legs) }, Kind::Parlay)
        } else if roll < 20 {
            // A lay, then a back by someone else at the same odds: they match (a back half the
            // size, one time in eight, leaves the lay partly resting until the fixture closes).
            let f = exchange_fixtures[r.range(0, exchange_fixtures.len() as u64 - 1) as usize];
            let selection = SelectionRef { fixture: specs[f].id, market: 1, selection: r.range(0, 2) as u16 };
            let leg = Leg { selection, odds: odds(LAY_ODDS[r.range(0, LAY_ODDS.len() as u64 - 1) as usize]) };
            let stake = r.range(1, 20) * 100;
            let lay = BetRequest { wallet: Wallet::Main, stake, kind: BetKind::Exchange { leg, side: BackLay::Lay, persist: false } };
            let cmd = d.command(player(who), Body::Bet(BetCommand::Place(lay)));
            out.push((cmd, Kind::Exchange));
            let backer = (who + 1 + r.range(0, sizes.players - 2)) % sizes.players;
            let back_stake = if r.range(0, 7) == 0 { (stake / 200).max(1) * 100 } else { stake };
            let back = BetRequest { wallet: Wallet::Main, stake: back_stake, kind: BetKind::Exchange { leg, side: BackLay::Back, persist: false } };
            (backer, back, Kind::Exchange)
        } else if roll < 40 {
            let f = r.range(0, specs.len() as u64 - 1) as usize;
            let group = GroupId((who % GROUPS) as u32 + 1);
            (who, BetRequest { wallet: Wallet::Group(group), stake: r.range(1, 10) * 100, kind: BetKind::Single(leg(&mut r, f)) }, Kind::Group)
        } else {
            let f = r.range(0, specs.len() as u64 - 1) as usize;
            (who, BetRequest { wallet: Wallet::Main, stake: r.range(1, 50) * 100, kind: BetKind::Single(leg(&mut r, f)) }, Kind::Main)
        };
        let cmd = d.command(player(actor), Body::Bet(BetCommand::Place(req)));
        out.push((cmd, kind));
    }
    out.truncate(sizes.bets);
    out
}

fn result_for(r: &mut XorShift64, spec: &FixtureSpec) -> EventResult {
    let scores = spec.participants.iter().map(|p| ParticipantScore { participant: p.clone(), score: r.range(0, 3) as i64 }).collect();
    EventResult { scores, completed: true }
}

/// The spec one bet on `sel` hands its bet-type plugin (what the engine builds per selection).
fn bet_spec(spec: &FixtureSpec, sel: SelectionRef) -> BetSpec {
    let market = &spec.markets[sel.market as usize];
    BetSpec {
        participants: spec.participants.clone(),
        selection: market.selections[sel.selection as usize].name.clone(),
        line: None,
        params: market.params.clone(),
    }
}

pub fn run(quick: bool) {
    let sizes = if quick { Sizes { fixtures: 200, bets: 100_000, players: 1_000 } } else { Sizes { fixtures: 2_000, bets: 1_000_000, players: 10_000 } };
    let dir = staged(MONEYLINE);
    let cache = tempfile::tempdir().expect("cache dir");
    let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() }).expect("runtime");
    let mut host = PluginHost::new(runtime.clone());
    host.install(load(&runtime, MONEYLINE)).expect("install moneyline");
    let parlays = dir.join(format!("{PARLAY}.toml")).exists();
    if parlays {
        host.install(load(&runtime, PARLAY)).expect("install parlay");
    }

    // Setup (untimed): the currency, players with cash, groups, fixtures.
    let mut d = Driver { engine: Engine::default(), host, seq: 0, time: 1_000, request: 0, events: Vec::new(), decisions: Vec::new() };
    d.must(AccountId::ADMIN, Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
    for p in 0..sizes.players {
        d.must(AccountId::ADMIN, Body::OpenAccount { account: player(p) });
        d.must(AccountId::ADMIN, Body::Mint { account: player(p), asset: GOLD, amount: 1 << 40 });
    }
    for p in 0..sizes.players {
        let group = GroupId((p % GROUPS) as u32 + 1);
        let body = if p < GROUPS {
            BetCommand::CreateGroup(GroupSpec {
                id: group,
                name: format!("League {}", group.0),
                starting_cash: 1_000_000_000,
                starts_at: 0,
                ends_at: FAR,
                open: true,
            })
        } else {
            BetCommand::Join { group }
        };
        d.must(player(p), Body::Bet(body));
    }
    let specs: Vec<FixtureSpec> = (0..sizes.fixtures).map(fixture_spec).collect();
    for spec in &specs {
        d.must(AccountId::ADMIN, Body::Bet(BetCommand::CreateFixture(spec.clone())));
    }
    let cmds = placements(&mut d, &specs, &sizes, parlays);

    // Placement (timed): one command per millisecond of game time, so the dedup window and
    // the odds windows turn over as they do on a live server.
    let (mut accepted, mut refused_parlays, mut refused, mut matched, mut placing_decisions) = ([0usize; 4], 0usize, 0usize, 0usize, 0usize);
    let started = Instant::now();
    for (cmd, kind) in &cmds {
        d.time += 1;
        d.apply_cmd(cmd);
        placing_decisions += d.decisions.len();
        let mut ok = true;
        for e in &d.events {
            match e {
                Event::Rejected { .. } => ok = false,
                Event::Bet(BetEvent::BetMatched { .. }) => matched += 1,
                _ => {}
            }
        }
        match (ok, kind) {
            (true, _) => accepted[*kind as usize] += 1,
            (false, Kind::Parlay) => refused_parlays += 1,
            (false, _) => refused += 1,
        }
    }
    let place_secs = started.elapsed().as_secs_f64();
    let bets_per_sec = cmds.len() as f64 / place_secs;
    assert_eq!(refused, 0, "singles and exchange orders must all be accepted");

    // Close every fixture (untimed: unmatched exchange stake lapses here), then settle.
    for spec in &specs {
        d.must(AccountId::ADMIN, Body::Bet(BetCommand::SetFixtureStatus { fixture: spec.id, status: FixtureStatus::Closed }));
    }
    let mut r = XorShift64::new(0x05E7_71E5);
    let settles: Vec<Command> = specs
        .iter()
        .map(|spec| {
            let result = result_for(&mut r, spec);
            d.command(AccountId::ADMIN, Body::Bet(BetCommand::ReportResult { fixture: spec.id, result }))
        })
        .collect();
    let expected = accepted[Kind::Main as usize] + accepted[Kind::Group as usize] + accepted[Kind::Parlay as usize] + matched;
    let mut settled: Vec<(BetId, BetOutcome)> = Vec::with_capacity(expected);
    let mut settling_decisions = 0usize;
    let started = Instant::now();
    for cmd in &settles {
        d.time += 1;
        d.apply_cmd(cmd);
        settling_decisions += d.decisions.len();
        for e in &d.events {
            match e {
                Event::Bet(BetEvent::BetSettled { bet, outcome, .. }) => settled.push((*bet, *outcome)),
                Event::Rejected { reason, .. } => panic!("settlement refused: {reason:?}"),
                _ => {}
            }
        }
    }
    let settle_secs = started.elapsed().as_secs_f64();
    let settles_per_sec = settled.len() as f64 / settle_secs;

    // Checks (untimed).
    d.engine.check_invariants().unwrap_or_else(|e| panic!("invariants after settlement: {e}"));
    assert_eq!(settled.len(), expected, "every single, matched exchange bet and parlay settles exactly once");
    for p in 0..sizes.players {
        assert!(d.engine.bets_of(player(p), true, 1).is_empty(), "player {p} still has an open bet");
    }

    // The naive baseline: one plugin call per single-selection bet, same bets, same results.
    let results: Vec<EventResult> = settles
        .iter()
        .map(|c| match &c.body {
            Body::Bet(BetCommand::ReportResult { result, .. }) => result.clone(),
            _ => unreachable!(),
        })
        .collect();
    let singles: Vec<(SelectionRef, BetOutcome)> = settled
        .iter()
        .filter_map(|(bet, outcome)| {
            let view = d.engine.bet(*bet).expect("settled bet");
            // A lay records the selection's outcome from the layer's side.
            let outcome = if view.side == Some(BackLay::Lay) { outcome.for_layer() } else { *outcome };
            (view.legs.len() == 1).then(|| (view.legs[0], outcome))
        })
        .collect();
    let mut naive = Vec::with_capacity(singles.len());
    let started = Instant::now();
    for (sel, _) in &singles {
        let f = sel.fixture.0 as usize - 1;
        naive.push(d.host.settle_bet(MONEYLINE, &bet_spec(&specs[f], *sel), &results[f]).expect("moneyline answers"));
    }
    let naive_secs = started.elapsed().as_secs_f64();
    let naive_per_sec = singles.len() as f64 / naive_secs;
    assert!(singles.iter().zip(&naive).all(|((_, ours), theirs)| ours == theirs), "per-bet plugin outcomes must equal the engine's");
    let ratio = settles_per_sec / naive_per_sec;

    let search = betting_search::run(quick);

    println!(
        "suite betting: {} fixtures ({} with an exchange market), {} players in {GROUPS} groups, moneyline plugin{}",
        sizes.fixtures,
        sizes.fixtures.div_ceil(EXCHANGE_EVERY),
        sizes.players,
        if parlays { " + parlay plugin" } else { " (parlay plugin not staged: no parlays)" }
    );
    println!(
        "placed: {} main-wallet singles, {} group-wallet singles, {} exchange orders ({matched} matched bets), {} parlays ({refused_parlays} refused)",
        accepted[Kind::Main as usize],
        accepted[Kind::Group as usize],
        accepted[Kind::Exchange as usize],
        accepted[Kind::Parlay as usize]
    );
    println!(
        "plugin decisions journaled: {placing_decisions} while placing, {settling_decisions} while settling {} bets (one per selection{})",
        settled.len(),
        if parlays { " + one per parlay" } else { "" }
    );
    println!();
    let mut table = Table::new(&["measure", "value", "target"]);
    table.row(vec!["placement (commands/s)".into(), format!("{bets_per_sec:.0}"), String::new()]);
    table.row(vec!["settlement (bets settled/s)".into(), format!("{settles_per_sec:.0}"), format!("≥ {TARGET_SETTLES:.0}")]);
    table.row(vec!["naive: one plugin call per bet (bets/s)".into(), format!("{naive_per_sec:.0}"), String::new()]);
    table.row(vec!["settlement vs naive".into(), format!("{ratio:.1}×"), String::new()]);
    table.row(vec![format!("search names (build {:.0} ms)", search.build_ms), search.names.to_string(), format!("{TARGET_NAMES}")]);
    table.row(vec![format!("search p50 µs ({} queries)", search.queries), format!("{:.1}", search.p50_us), format!("≤ {TARGET_P50_US:.0}")]);
    table.row(vec!["search p99 µs".into(), format!("{:.1}", search.p99_us), format!("≤ {TARGET_P99_US:.0}")]);
    table.print();
    println!();
    report::result(
        "betting",
        &[
            ("bets_per_sec", format!("{bets_per_sec:.0}")),
            ("settles_per_sec", format!("{settles_per_sec:.0}")),
            ("search_p50_us", format!("{:.1}", search.p50_us)),
            ("search_p99_us", format!("{:.1}", search.p99_us)),
            ("settle_vs_naive", format!("{ratio:.1}")),
            ("search_names", search.names.to_string()),
            ("naive_settles_per_sec", format!("{naive_per_sec:.0}")),
            ("bets_settled", settled.len().to_string()),
            ("fixtures", sizes.fixtures.to_string()),
        ],
    );
}
