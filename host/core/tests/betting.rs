//! The betting half of the engine, driven through commands as the server drives it. A
//! scripted `Rules` stands in for the bet-type plugins (the real WebAssembly plugins are
//! tested against the settlement vectors in `host/plugins`, and end to end in the server).
//! After every command the ledger invariants are checked, conservation included.

use entrepot_core::betting::*;
use entrepot_core::rules::{Decision, Recorder, Replay, Rules};
use entrepot_core::*;
use entrepot_seeded::{Rng, XorShift64};

const GOLD: AssetId = AssetId(1);
const HOUSE_LIMIT: u64 = 1_000_000;
const ALICE: AccountId = AccountId(1);
const BOB: AccountId = AccountId(2);
const CAROL: AccountId = AccountId(3);
const F1: FixtureId = FixtureId(10);
const F2: FixtureId = FixtureId(11);

/// Moneyline (2-way, draw = push), and parlays as the product of their legs.
#[derive(Default)]
struct Scripted {
    unavailable: bool,
    refuse: Option<String>,
    calls: usize,
}

impl Rules for Scripted {
    fn check_order(&mut self, _: &PluginBinding, _: &rules::MarketView, _: &rules::AccountView, _: &rules::OrderCheck) -> Option<Result<(), String>> {
        None
    }
    fn trade_fees(&mut self, _: &PluginBinding, _: &rules::MarketView, _: &rules::TradeFacts) -> Option<rules::Fees> {
        None
    }
    fn listing_fee(&mut self, _: &PluginBinding, _: &rules::MarketView, _: &rules::Listing) -> Option<u64> {
        None
    }
    fn validate_bet(&mut self, _: &str, _: &BetSpec) -> Option<Result<(), String>> {
        self.calls += 1;
        (!self.unavailable).then(|| self.refuse.clone().map_or(Ok(()), Err))
    }
    fn settle_bet(&mut self, bet_type: &str, spec: &BetSpec, result: &EventResult) -> Option<BetOutcome> {
        self.calls += 1;
        if self.unavailable {
            return None;
        }
        if bet_type == PARLAY {
            let mut m = Ratio::ONE;
            for (_, leg) in &spec.params {
                let (word, odds) = leg.split_once('@').unwrap();
                let outcome = match word {
                    "win" => BetOutcome::Win,
                    "lose" => BetOutcome::Lose,
                    "push" => BetOutcome::Push,
                    "void" => BetOutcome::Void,
                    "half-win" => BetOutcome::HalfWin,
                    "half-lose" => BetOutcome::HalfLose,
                    other => panic!("leg {other}"),
                };
                m = m.checked_mul(multiplier(outcome, Odds::parse(odds).unwrap()).unwrap()).unwrap();
            }
            return Some(BetOutcome::Multiplier { numerator: m.numerator as u64, denominator: m.denominator as u64 });
        }
        if !result.completed {
            return Some(BetOutcome::Void);
        }
        let score = |name: &str| result.scores.iter().find(|s| s.participant == name).unwrap().score;
        let (home, away) = (score(&spec.participants[0]), score(&spec.participants[1]));
        let mine = if spec.selection == spec.participants[0] { home - away } else { away - home };
        Some(match mine.signum() {
            1 => BetOutcome::Win,
            -1 => BetOutcome::Lose,
            _ => BetOutcome::Push,
        })
    }
}

struct World {
    engine: Engine,
    rules: Scripted,
    seq: u64,
    time: u64,
    request: u64,
    events: Vec<Event>,
    decisions: Vec<(Ctx, Command, Vec<Decision>)>,
}

fn odds(s: &str) -> Odds {
    Odds::parse(s).unwrap()
}

fn sel(fixture: FixtureId, selection: u16) -> SelectionRef {
    SelectionRef { fixture, market: 0, selection }
}

fn result(home: i64, away: i64) -> EventResult {
    EventResult {
        scores: vec![ParticipantScore { participant: "Reds".into(), score: home }, ParticipantScore { participant: "Blues".into(), score: away }],
        completed: true,
    }
}

fn fixture(id: FixtureId, mode: BetMode, starts_at: u64) -> FixtureSpec {
    let fixed = matches!(mode, BetMode::Fixed { .. });
    FixtureSpec {
        id,
        name: format!("Reds v Blues #{id}"),
        participants: vec!["Reds".into(), "Blues".into()],
        currency: GOLD,
        opens_at: None,
        starts_at,
        markets: vec![BetMarketSpec {
            bet_type: "moneyline".into(),
            line: None,
            params: vec![],
            selections: vec![
                SelectionSpec { name: "Reds".into(), line: None, odds: fixed.then(|| odds("2.5")) },
                SelectionSpec { name: "Blues".into(), line: None, odds: fixed.then(|| odds("1.6")) },
            ],
            mode,
            in_play: false,
        }],
    }
}

impl World {
    fn new() -> World {
        let mut w = World { engine: Engine::default(), rules: Scripted::default(), seq: 0, time: 1_000, request: 0, events: vec![], decisions: vec![] };
        w.admin(Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
        for a in [ALICE, BOB, CAROL] {
            w.admin(Body::OpenAccount { account: a });
            w.admin(Body::Mint { account: a, asset: GOLD, amount: 100_000 });
        }
        w
    }

    fn run(&mut self, actor: AccountId, body: Body) -> Outcome {
        self.seq += 1;
        self.request += 1;
        let ctx = Ctx { seq: self.seq, time: self.time };
        let cmd = Command { actor, request: RequestId(self.request), body };
        self.events.clear();
        let mut decisions = Vec::new();
        self.engine.apply_with(ctx, &cmd, &mut self.events, &mut Recorder { inner: &mut self.rules, decisions: &mut decisions });
        self.engine.check_invariants().unwrap_or_else(|e| panic!("after {cmd:?}: {e}"));
        self.decisions.push((ctx, cmd.clone(), decisions));
        let mut outcome = Outcome::Done;
        for e in &self.events {
            match e {
                Event::Rejected { reason, .. } => outcome = Outcome::Rejected(*reason),
                Event::Bet(BetEvent::BetPlaced { bet, account, .. }) if *account == cmd.actor => outcome = Outcome::BetPlaced { bet: *bet },
                _ => {}
            }
        }
        outcome
    }

    fn admin(&mut self, body: Body) -> Outcome {
        self.run(AccountId::ADMIN, body)
    }

    fn bet(&mut self, actor: AccountId, stake: u64, kind: BetKind) -> Outcome {
        self.bet_in(actor, Wallet::Main, stake, kind)
    }

    fn bet_in(&mut self, actor: AccountId, wallet: Wallet, stake: u64, kind: BetKind) -> Outcome {
        self.run(actor, Body::Bet(BetCommand::Place(BetRequest { wallet, stake, kind })))
    }

    fn gold(&self, a: AccountId) -> u64 {
        self.engine.balance(a, GOLD).unwrap().0
    }

    fn settled(&self) -> Vec<(BetId, BetOutcome, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Bet(BetEvent::BetSettled { bet, outcome, paid, .. }) => Some((*bet, *outcome, *paid)),
                _ => None,
            })
            .collect()
    }
}

fn placed(o: Outcome) -> BetId {
    match o {
        Outcome::BetPlaced { bet } => bet,
        other => panic!("not placed: {other:?}"),
    }
}

fn single(fixture: FixtureId, selection: u16, at: &str) -> BetKind {
    BetKind::Single(Leg { selection: sel(fixture, selection), odds: odds(at) })
}

fn bet_cmd(c: BetCommand) -> Body {
    Body::Bet(c)
}

#[test]
fn fixed_odds_singles_escrow_and_settle_exactly() {
    let mut w = World::new();
    assert_eq!(w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000)))), Outcome::Done);
    let a = placed(w.bet(ALICE, 1_025, single(F1, 0, "2.5")));
    let b = placed(w.bet(BOB, 2_000, single(F1, 1, "1.5")));
    assert_eq!(w.gold(ALICE), 100_000 - 1_025, "stake escrowed at acceptance");
    // Bob asked for 1.5 and got the house's better 1.6.
    assert_eq!(w.engine.bet(b).unwrap().odds, odds("1.6"));
    assert_eq!(w.engine.betting_pnl(ALICE), vec![(GOLD, 1_025, 0, 0)]);
    w.admin(bet_cmd(BetCommand::SetFixtureStatus { fixture: F1, status: FixtureStatus::Closed }));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
    assert_eq!(w.settled(), vec![(a, BetOutcome::Win, 2_562), (b, BetOutcome::Lose, 0)], "10.25 × 2.5 = 25.625 → 25.62 paid");
    assert_eq!(w.gold(ALICE), 100_000 - 1_025 + 2_562);
    assert_eq!(w.gold(BOB), 98_000);
    assert_eq!(w.engine.fixture(F1).unwrap().status, FixtureStatus::Settled);
    assert_eq!(w.engine.betting_pnl(ALICE), vec![(GOLD, 0, 1_537, 0)]);
}

#[test]
fn odds_changes_exposure_and_closed_markets_are_refused_clearly() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: 3_000 }, 60_000))));
    w.admin(bet_cmd(BetCommand::SetOdds { selection: sel(F1, 0), odds: Some(odds("2.2")) }));
    assert_eq!(w.bet(ALICE, 100, single(F1, 0, "2.5")), Outcome::Rejected(RejectReason::OddsChanged { offered: odds("2.2"), requested: odds("2.5") }));
    // The house may lose at most 30.00 on Reds: stake × 1.2 ≤ 3000 → at most 2500.
    assert_eq!(w.bet(ALICE, 2_600, single(F1, 0, "2.2")), Outcome::Rejected(RejectReason::ExposureLimit { max_stake: 2_500 }));
    placed(w.bet(ALICE, 2_500, single(F1, 0, "2.2")));
    assert_eq!(w.bet(BOB, 1, single(F1, 0, "2.2")), Outcome::Rejected(RejectReason::ExposureLimit { max_stake: 0 }));
    // A bet on Blues offsets: the house now wins 10.00 more if Reds win.
    placed(w.bet(BOB, 1_000, single(F1, 1, "1.6")));
    placed(w.bet(CAROL, 833, single(F1, 0, "2.2")));
    w.admin(bet_cmd(BetCommand::SetOdds { selection: sel(F1, 1), odds: None }));
    assert_eq!(w.bet(BOB, 100, single(F1, 1, "1.6")), Outcome::Rejected(RejectReason::OddsNotOffered));
    assert_eq!(w.bet(BOB, 100, single(F1, 2, "1.6")), Outcome::Rejected(RejectReason::UnknownSelection));
    assert_eq!(w.bet(BOB, 100, single(F2, 0, "1.6")), Outcome::Rejected(RejectReason::UnknownFixture));
    assert_eq!(w.bet(BOB, 200_000, single(F1, 0, "2.2")), Outcome::Rejected(RejectReason::ExposureLimit { max_stake: 0 }));
    w.time = 60_000;
    assert_eq!(
        w.bet(BOB, 100, single(F1, 0, "2.2")),
        Outcome::Rejected(RejectReason::BettingClosed(FixtureStatus::InPlay)),
        "no in-play betting on this market"
    );
}

#[test]
fn the_game_clock_opens_and_starts_fixtures() {
    let mut w = World::new();
    let mut spec = fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 20_000);
    spec.opens_at = Some(10_000);
    w.admin(bet_cmd(BetCommand::CreateFixture(spec)));
    assert_eq!(w.engine.fixture(F1).unwrap().status, FixtureStatus::Scheduled);
    assert_eq!(w.bet(ALICE, 100, single(F1, 0, "2.5")), Outcome::Rejected(RejectReason::BettingClosed(FixtureStatus::Scheduled)));
    assert_eq!(w.engine.next_timer(), Some(10_000));
    w.time = 10_000;
    w.admin(Body::Tick);
    assert_eq!(w.engine.fixture(F1).unwrap().status, FixtureStatus::Open);
    placed(w.bet(ALICE, 100, single(F1, 0, "2.5")));
    w.time = 20_000;
    w.admin(Body::Tick);
    assert!(w.events.contains(&Event::Bet(BetEvent::FixtureChanged { fixture: F1, status: FixtureStatus::InPlay })));
    let status = |s| bet_cmd(BetCommand::SetFixtureStatus { fixture: F1, status: s });
    assert_eq!(w.admin(status(FixtureStatus::Suspended)), Outcome::Done, "a material event suspends betting");
    assert_eq!(
        w.admin(status(FixtureStatus::Open)),
        Outcome::Rejected(RejectReason::BadTransition { from: FixtureStatus::Suspended, to: FixtureStatus::Open }),
        "no pre-match betting after the start"
    );
    assert_eq!(w.admin(status(FixtureStatus::InPlay)), Outcome::Done);
    assert_eq!(
        w.admin(status(FixtureStatus::Scheduled)),
        Outcome::Rejected(RejectReason::BadTransition { from: FixtureStatus::InPlay, to: FixtureStatus::Scheduled })
    );
}

#[test]
fn resettlement_and_void_after_settlement_correct_the_ledger_exactly() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    placed(w.bet(ALICE, 1_000, single(F1, 0, "2.5")));
    placed(w.bet(BOB, 1_000, single(F1, 1, "1.6")));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
    assert_eq!((w.gold(ALICE), w.gold(BOB)), (101_500, 99_000));
    // Alice spends most of her winnings, then the result is corrected to a Blues win.
    w.admin(Body::Burn { account: ALICE, asset: GOLD, amount: 101_000 });
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(0, 1) }));
    assert!(w.events.iter().any(|e| matches!(e, Event::Bet(BetEvent::BetReversed { clawed: 500, owed: 2_000, .. }))));
    assert_eq!((w.gold(ALICE), w.gold(BOB)), (0, 100_600));
    assert_eq!(w.engine.betting_pnl(ALICE), vec![(GOLD, 0, -1_000, 2_000)]);
    // Void after settlement: every stake back; Alice's refund first repays her debt.
    w.admin(bet_cmd(BetCommand::VoidFixture { fixture: F1 }));
    assert_eq!(w.engine.fixture(F1).unwrap().status, FixtureStatus::Void);
    assert_eq!((w.gold(ALICE), w.gold(BOB)), (0, 100_000));
    assert_eq!(w.engine.betting_pnl(ALICE), vec![(GOLD, 0, 0, 1_000)]);
    assert_eq!(
        w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(0, 1) })),
        Outcome::Rejected(RejectReason::BadTransition { from: FixtureStatus::Void, to: FixtureStatus::Settled })
    );
}

#[test]
fn settlement_without_a_plugin_changes_nothing_and_can_be_retried() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    placed(w.bet(ALICE, 1_000, single(F1, 0, "2.5")));
    let before = w.engine.state_hash();
    w.rules.unavailable = true;
    assert_eq!(w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) })), Outcome::Rejected(RejectReason::PluginUnavailable));
    assert_eq!(w.engine.state_hash(), before);
    w.rules.unavailable = false;
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
    assert_eq!(w.gold(ALICE), 101_500);
    // A refusing bet type explains itself when the fixture is created.
    w.rules.refuse = Some("pick a participant".into());
    assert_eq!(
        w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F2, BetMode::Fixed { exposure_limit: 1 }, 60_000)))),
        Outcome::Rejected(RejectReason::BetRefused)
    );
    assert!(w.events.iter().any(|e| matches!(e, Event::RuleMessage { message, .. } if message.contains("pick a participant"))));
}

#[test]
fn parlays_drop_pushed_legs_and_wait_for_every_leg() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F2, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    let legs = vec![Leg { selection: sel(F1, 0), odds: odds("2.5") }, Leg { selection: sel(F2, 1), odds: odds("1.6") }];
    let p = placed(w.bet(ALICE, 1_000, BetKind::Parlay(legs.clone())));
    assert_eq!(w.engine.bet(p).unwrap().odds, odds("4"));
    assert_eq!(w.bet(ALICE, 1_000, BetKind::Parlay(legs[..1].to_vec())), Outcome::Rejected(RejectReason::ParlayLegs));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(1, 1) }));
    assert!(w.settled().is_empty(), "the parlay waits for its other leg");
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F2, result: result(0, 3) }));
    assert_eq!(w.settled(), vec![(p, BetOutcome::Multiplier { numerator: 8, denominator: 5 }, 1_600)], "push leg drops: 10 × 1 × 1.6");
    // Re-settling the first leg as a Reds win re-settles the parlay: 10 × 2.5 × 1.6.
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
    assert_eq!(w.settled(), vec![(p, BetOutcome::Multiplier { numerator: 4, denominator: 1 }, 4_000)]);
    assert_eq!(w.gold(ALICE), 103_000);
}

#[test]
fn exchange_backs_meet_lays_and_settle_between_players() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Exchange, 60_000))));
    let ex = |side, at: &str, persist| BetKind::Exchange { leg: Leg { selection: sel(F1, 0), odds: odds(at) }, side, persist };
    assert_eq!(w.bet(ALICE, 1_000, ex(BackLay::Back, "2.01", false)), Outcome::Rejected(RejectReason::OddsNotOnLadder));
    assert_eq!(w.bet(ALICE, 1_050, ex(BackLay::Back, "2.0", false)), Outcome::Rejected(RejectReason::AmountPrecision));
    assert_eq!(w.bet(ALICE, 1_000, single(F1, 0, "2.0")), Outcome::Rejected(RejectReason::WrongMarketMode));
    // Bob lays 20.00 at 3.0 (liability 40.00); Alice backs 10.00 at 2.5 and is matched at 3.0.
    let lay = placed(w.bet(BOB, 2_000, ex(BackLay::Lay, "3.0", true)));
    assert_eq!(w.gold(BOB), 96_000);
    assert_eq!(w.engine.exchange_depth(sel(F1, 0), BackLay::Lay), vec![(odds("3"), 2_000)]);
    let back = placed(w.bet(ALICE, 1_000, ex(BackLay::Back, "2.5", false)));
    let matched: Vec<_> = w
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Bet(BetEvent::BetMatched { order, stake, odds, .. }) => Some((*order, *stake, *odds)),
            _ => None,
        })
        .collect();
    assert_eq!(matched, vec![(lay, 1_000, odds("3")), (back, 1_000, odds("3"))]);
    assert_eq!(w.engine.exchange_depth(sel(F1, 0), BackLay::Lay), vec![(odds("3"), 1_000)]);
    // Carol's back at 3.5 does not cross and rests; it lapses at in-play, Bob's persists.
    placed(w.bet(CAROL, 500, ex(BackLay::Back, "3.5", false)));
    assert_eq!(w.gold(CAROL), 99_500);
    w.time = 60_000;
    w.admin(Body::Tick);
    assert!(w.events.iter().any(|e| matches!(e, Event::Bet(BetEvent::OrderClosed { released: 500, lapsed: true, .. }))));
    assert_eq!(w.gold(CAROL), 100_000);
    assert_eq!(w.engine.exchange_depth(sel(F1, 0), BackLay::Lay), vec![], "the market takes no in-play bets, so persisting orders lapse too");
    assert_eq!(w.gold(BOB), 98_000, "Bob's unmatched 20.00 liability released; 20.00 stays for the match");
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(3, 0) }));
    // Reds won: Alice gets 10 × 3 = 30 (her 10 + Bob's 20 liability).
    assert_eq!((w.gold(ALICE), w.gold(BOB)), (102_000, 98_000));
    assert_eq!(w.engine.supply(GOLD), Some((300_000, 0)));
}

#[test]
fn groups_have_their_own_cash_roles_and_leaderboards() {
    let mut w = World::new();
    let g = GroupId(7);
    let spec = GroupSpec { id: g, name: "Friday league".into(), starting_cash: 50_000, starts_at: 0, ends_at: 100_000, open: false };
    w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec)));
    let cash = AssetId(GROUP_ASSETS + 7);
    assert_eq!(w.engine.balance(ALICE, cash), Some((50_000, 0)));
    assert_eq!(w.run(BOB, bet_cmd(BetCommand::Join { group: g })), Outcome::Rejected(RejectReason::NotInvited));
    assert_eq!(w.run(BOB, bet_cmd(BetCommand::Invite { group: g, account: CAROL })), Outcome::Rejected(RejectReason::NotGroupAdmin));
    w.run(ALICE, bet_cmd(BetCommand::Invite { group: g, account: BOB }));
    w.run(BOB, bet_cmd(BetCommand::Join { group: g }));
    w.run(ALICE, bet_cmd(BetCommand::SetRole { group: g, account: BOB, role: Role::Admin }));
    w.run(BOB, bet_cmd(BetCommand::Invite { group: g, account: CAROL }));
    w.run(CAROL, bet_cmd(BetCommand::Join { group: g }));
    assert_eq!(w.run(ALICE, bet_cmd(BetCommand::Leave { group: g })), Outcome::Rejected(RejectReason::OwnerCannotLeave));
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    placed(w.bet_in(BOB, Wallet::Group(g), 10_000, single(F1, 0, "2.5")));
    placed(w.bet_in(CAROL, Wallet::Group(g), 20_000, single(F1, 1, "1.6")));
    assert_eq!(w.gold(BOB), 100_000, "group bets use group cash");
    let equity: Vec<_> = w.engine.standings(g).unwrap().iter().map(|s| (s.account, s.equity, s.roi_bps)).collect();
    assert_eq!(equity, vec![(ALICE, 50_000, 0), (BOB, 50_000, 0), (CAROL, 50_000, 0)]);
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 0) }));
    let equity: Vec<_> = w.engine.standings(g).unwrap().iter().map(|s| (s.account, s.equity, s.roi_bps)).collect();
    assert_eq!(equity, vec![(BOB, 65_000, 3_000), (ALICE, 50_000, 0), (CAROL, 30_000, -4_000)]);
    w.time = 100_000;
    w.admin(Body::Tick);
    let ended = w
        .events
        .iter()
        .find_map(|e| match e {
            Event::Bet(BetEvent::GroupEnded { standings, .. }) => Some(standings.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(ended[0].account, BOB);
    assert_eq!(w.engine.standings(g).unwrap(), ended, "standings are frozen");
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F2, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 600_000))));
    assert_eq!(w.bet_in(BOB, Wallet::Group(g), 100, single(F2, 0, "2.5")), Outcome::Rejected(RejectReason::GroupNotRunning));
}

#[test]
fn odds_windows_aggregate_five_minutes_of_prices() {
    let mut w = World::new();
    w.time = 0;
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 3_600_000))));
    for (t, price) in [(60_000, "2.4"), (120_000, "2.2"), (299_999, "2.3")] {
        w.time = t;
        w.admin(bet_cmd(BetCommand::SetOdds { selection: sel(F1, 0), odds: Some(odds(price)) }));
    }
    assert!(w.engine.odds_windows(sel(F1, 0)).0.is_empty());
    w.time = 300_000;
    w.admin(bet_cmd(BetCommand::SetOdds { selection: sel(F1, 0), odds: Some(odds("2.6")) }));
    let closed = w
        .events
        .iter()
        .find_map(|e| match e {
            Event::Bet(BetEvent::OddsWindow(x)) if x.selection == sel(F1, 0) => Some(*x),
            _ => None,
        })
        .unwrap();
    assert_eq!((closed.start, closed.end, closed.count), (0, 300_000, 4));
    assert_eq!((closed.average, closed.min, closed.max), (odds("2.35"), odds("2.2"), odds("2.5")));
    let (history, open) = w.engine.odds_windows(sel(F1, 0));
    assert_eq!(history, vec![closed]);
    assert_eq!(open.unwrap().count, 1);
}

#[test]
fn replaying_recorded_decisions_rebuilds_the_same_state() {
    let mut w = World::new();
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
    w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F2, BetMode::Exchange, 60_000))));
    placed(w.bet(ALICE, 1_000, single(F1, 0, "2.5")));
    placed(w.bet(BOB, 2_000, BetKind::Exchange { leg: Leg { selection: sel(F2, 0), odds: odds("2") }, side: BackLay::Lay, persist: true }));
    placed(w.bet(CAROL, 1_000, BetKind::Exchange { leg: Leg { selection: sel(F2, 0), odds: odds("2") }, side: BackLay::Back, persist: true }));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F2, result: result(0, 1) }));
    let mut replayed = Engine::default();
    let mut out = Vec::new();
    for (ctx, cmd, decisions) in &w.decisions {
        let mut replay = Replay::new(decisions);
        replayed.apply_with(*ctx, cmd, &mut out, &mut replay);
        assert!(replay.finished());
    }
    assert_eq!(replayed.state_hash(), w.engine.state_hash());
    assert_eq!(w.gold(BOB), 101_000);
}

/// A deterministic random mix of everything, with the invariants (conservation, escrow =
/// open bets, open stake per account) checked after every command by `World::run`.
#[test]
fn random_mixes_keep_every_invariant() {
    for seed in 1..=20u64 {
        let mut w = World::new();
        let mut rng = XorShift64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut next = |n: u64| rng.below(n);
        let g = GroupId(1);
        w.run(
            ALICE,
            bet_cmd(BetCommand::CreateGroup(GroupSpec { id: g, name: "g".into(), starting_cash: 100_000, starts_at: 0, ends_at: 10_000_000, open: true })),
        );
        for a in [BOB, CAROL] {
            w.run(a, bet_cmd(BetCommand::Join { group: g }));
        }
        for f in [F1, F2] {
            w.admin(bet_cmd(BetCommand::CreateFixture(fixture(f, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 5_000_000))));
        }
        let ex = FixtureId(12);
        w.admin(bet_cmd(BetCommand::CreateFixture(fixture(ex, BetMode::Exchange, 5_000_000))));
        let players = [ALICE, BOB, CAROL];
        let prices = ["1.5", "2", "2.5", "3", "4"];
        for _ in 0..300 {
            let who = players[next(3) as usize];
            let wallet = if next(2) == 0 { Wallet::Main } else { Wallet::Group(g) };
            let stake = (1 + next(20)) * 100;
            let kind = match next(4) {
                0 => single(if next(2) == 0 { F1 } else { F2 }, next(2) as u16, "1.5"),
                1 => BetKind::Parlay(vec![
                    Leg { selection: sel(F1, next(2) as u16), odds: odds("1.5") },
                    Leg { selection: sel(F2, next(2) as u16), odds: odds("1.5") },
                ]),
                _ => BetKind::Exchange {
                    leg: Leg { selection: sel(ex, next(2) as u16), odds: odds(prices[next(5) as usize]) },
                    side: if next(2) == 0 { BackLay::Back } else { BackLay::Lay },
                    persist: next(2) == 0,
                },
            };
            w.bet_in(who, wallet, stake, kind);
            if next(10) == 0 {
                if let Some(v) = w.engine.bets_of(who, true, 100).into_iter().find(|b| b.unmatched > 0) {
                    w.run(who, bet_cmd(BetCommand::CancelOrder { bet: v.bet }));
                }
            }
            w.time += next(20_000);
        }
        w.time = 5_000_000;
        w.admin(Body::Tick);
        for f in [F1, F2, ex] {
            w.admin(bet_cmd(BetCommand::ReportResult { fixture: f, result: result(next(3) as i64, next(3) as i64) }));
        }
        w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(1, 1) }));
        w.admin(bet_cmd(BetCommand::VoidFixture { fixture: ex }));
        assert!(w.players_open_bets_are_settled(), "seed {seed}");
    }
}

impl World {
    fn players_open_bets_are_settled(&self) -> bool {
        [ALICE, BOB, CAROL].iter().all(|a| self.engine.bets_of(*a, true, 10_000).is_empty())
    }
}

/// Snapshots carry the whole betting state (fixtures, open bets, resting exchange orders,
/// groups, debts, timers, odds windows): restoring one mid-season changes nothing.
#[test]
fn a_snapshot_mid_season_restores_every_bet() {
    let season = |restore: bool| {
        let mut w = World::new();
        w.run(
            ALICE,
            bet_cmd(BetCommand::CreateGroup(GroupSpec {
                id: GroupId(1),
                name: "g".into(),
                starting_cash: 100_000,
                starts_at: 0,
                ends_at: 10_000_000,
                open: true,
            })),
        );
        w.run(BOB, bet_cmd(BetCommand::Join { group: GroupId(1) }));
        w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F1, BetMode::Fixed { exposure_limit: HOUSE_LIMIT }, 60_000))));
        w.admin(bet_cmd(BetCommand::CreateFixture(fixture(F2, BetMode::Exchange, 60_000))));
        placed(w.bet(ALICE, 1_000, single(F1, 0, "2.5")));
        placed(w.bet_in(BOB, Wallet::Group(GroupId(1)), 500, single(F1, 1, "1.5")));
        placed(w.bet(BOB, 2_000, BetKind::Exchange { leg: Leg { selection: sel(F2, 0), odds: odds("2") }, side: BackLay::Lay, persist: true }));
        placed(w.bet(CAROL, 1_000, BetKind::Exchange { leg: Leg { selection: sel(F2, 0), odds: odds("2") }, side: BackLay::Back, persist: true }));
        w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(2, 1) }));
        if restore {
            let hash = w.engine.state_hash();
            w.engine = Engine::from_snapshot(w.engine.snapshot());
            assert_eq!(w.engine.state_hash(), hash);
            w.engine.check_invariants().unwrap();
        }
        w.time = 120_000;
        w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(0, 1) }));
        w.admin(bet_cmd(BetCommand::ReportResult { fixture: F2, result: result(0, 1) }));
        (w.events.clone(), w.engine.state_hash(), w.gold(BOB))
    };
    assert_eq!(season(true), season(false));
}

/// A group's currency is bounded like any asset: starting cash past `MAX_SUPPLY` is
/// refused at creation, and a join whose starting cash would take the supply past it is
/// refused (nothing changes), never a panic or a wrap.
#[test]
fn a_join_past_the_group_currency_supply_is_refused() {
    let mut w = World::new();
    let g = GroupId(7);
    let spec = |cash| GroupSpec { id: g, name: "whales".into(), starting_cash: cash, starts_at: 0, ends_at: 10_000_000, open: true };
    assert_eq!(w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec(u64::MAX)))), Outcome::Rejected(RejectReason::InvalidGroup));
    assert_eq!(w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec(MAX_SUPPLY + 1)))), Outcome::Rejected(RejectReason::InvalidGroup));
    assert!(w.engine.group(g).is_none(), "a refused creation leaves nothing behind");
    assert_eq!(w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec(MAX_SUPPLY / 2 + 1)))), Outcome::Done);
    assert_eq!(w.run(BOB, bet_cmd(BetCommand::Join { group: g })), Outcome::Rejected(RejectReason::OutOfRange));
    assert!(w.engine.group(g).unwrap().members.iter().all(|(a, _)| *a != BOB));
}

fn two_fixtures(w: &mut World, limit: u64) {
    for f in [F1, F2] {
        let mut spec = fixture(f, BetMode::Fixed { exposure_limit: limit }, 60_000);
        spec.markets[0].selections[0].odds = Some(odds("2"));
        spec.markets[0].selections[1].odds = Some(odds("2"));
        assert_eq!(w.admin(bet_cmd(BetCommand::CreateFixture(spec))), Outcome::Done);
    }
}

fn parlay(at: &str) -> BetKind {
    BetKind::Parlay(vec![Leg { selection: sel(F1, 0), odds: odds(at) }, Leg { selection: sel(F2, 0), odds: odds(at) }])
}

/// Issue 11 (9): twenty parlays of 3.00 at 2 × 2 = 4 each passed a 10.00 limit and cost the
/// house 180.00. Each parlay now counts in full against both leg markets.
#[test]
fn parlays_count_toward_every_leg_markets_exposure() {
    let mut w = World::new();
    two_fixtures(&mut w, 1_000);
    // Alone, a parlay may lose the house 9.00 ≤ 10.00.
    placed(w.bet(ALICE, 300, parlay("2")));
    // The next one would take both markets to 18.00: refused, with the stake still taken.
    assert_eq!(w.bet(BOB, 300, parlay("2")), Outcome::Rejected(RejectReason::ExposureLimit { max_stake: 33 }));
    placed(w.bet(BOB, 33, parlay("2")));
    // Singles on a leg market see the parlays' exposure too.
    assert_eq!(w.bet(CAROL, 100, single(F1, 0, "2")), Outcome::Rejected(RejectReason::ExposureLimit { max_stake: 1 }));
    // A single on the other selection offsets, as for singles.
    placed(w.bet(CAROL, 500, single(F1, 1, "2")));
    placed(w.bet(CAROL, 100, single(F2, 1, "2")));
    for _ in 0..20 {
        let _ = w.bet(CAROL, 300, parlay("2"));
    }
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F1, result: result(1, 0) }));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: F2, result: result(1, 0) }));
    let paid: u64 = w.settled().iter().map(|(_, _, p)| p).sum::<u64>();
    let staked: u64 =
        w.engine.bets_of(ALICE, false, 100).iter().chain(&w.engine.bets_of(BOB, false, 100)).chain(&w.engine.bets_of(CAROL, false, 100)).map(|b| b.stake).sum();
    let net = i128::from(paid) - i128::from(staked);
    assert!(net <= 1_000 * 2, "the house lost {net} over two markets limited to 10.00 each");
}

/// A bet-type plugin that answers more than the bet's odds is capped at stake × odds.
#[test]
fn a_plugins_multiplier_never_pays_more_than_the_odds() {
    struct Inflating(Scripted);
    impl Rules for Inflating {
        fn check_order(&mut self, b: &PluginBinding, m: &rules::MarketView, a: &rules::AccountView, o: &rules::OrderCheck) -> Option<Result<(), String>> {
            self.0.check_order(b, m, a, o)
        }
        fn trade_fees(&mut self, b: &PluginBinding, m: &rules::MarketView, t: &rules::TradeFacts) -> Option<rules::Fees> {
            self.0.trade_fees(b, m, t)
        }
        fn listing_fee(&mut self, b: &PluginBinding, m: &rules::MarketView, l: &rules::Listing) -> Option<u64> {
            self.0.listing_fee(b, m, l)
        }
        fn validate_bet(&mut self, t: &str, s: &BetSpec) -> Option<Result<(), String>> {
            self.0.validate_bet(t, s)
        }
        fn settle_bet(&mut self, _: &str, _: &BetSpec, _: &EventResult) -> Option<BetOutcome> {
            Some(BetOutcome::Multiplier { numerator: u64::MAX, denominator: 1 })
        }
    }
    let mut w = World::new();
    two_fixtures(&mut w, HOUSE_LIMIT);
    let single_bet = placed(w.bet(ALICE, 1_000, single(F1, 0, "2")));
    let parlay_bet = placed(w.bet(BOB, 1_000, parlay("2")));
    let mut events = Vec::new();
    let mut rules = Inflating(Scripted::default());
    for (i, f) in [F1, F2].into_iter().enumerate() {
        let cmd = Command {
            actor: AccountId::ADMIN,
            request: RequestId(10_000 + i as u64),
            body: bet_cmd(BetCommand::ReportResult { fixture: f, result: result(0, 1) }),
        };
        w.engine.apply_with(Ctx { seq: 1_000 + i as u64, time: w.time }, &cmd, &mut events, &mut rules);
        w.engine.check_invariants().unwrap();
    }
    assert_eq!(w.engine.bet(single_bet).unwrap().paid, 2_000, "stake × odds at most");
    assert_eq!(w.engine.bet(parlay_bet).unwrap().paid, 4_000, "stake × Π odds at most");
}

/// No bet is taken whose worst case could make a balance pass u64::MAX: the whole supply
/// (`MAX_SUPPLY`) plus the house's possible payouts must fit.
#[test]
fn bets_whose_worst_case_could_wrap_a_balance_are_refused() {
    let mut w = World::new();
    two_fixtures(&mut w, u64::MAX);
    w.admin(Body::Mint { account: ALICE, asset: GOLD, amount: MAX_SUPPLY - 300_000 });
    let mut spec = fixture(FixtureId(12), BetMode::Fixed { exposure_limit: u64::MAX }, 60_000);
    spec.markets[0].selections[0].odds = Some(odds("1000"));
    w.admin(bet_cmd(BetCommand::CreateFixture(spec)));
    // u64::MAX ≈ 18.4 × 10^18 = the supply (10^18) + room for about 17.4 × 10^18 of payouts.
    let stake = MAX_SUPPLY / 100;
    placed(w.bet(ALICE, stake, single(FixtureId(12), 0, "1000"))); // worst net 9.99 × 10^18
    assert_eq!(w.bet(ALICE, stake / 4 * 3, single(FixtureId(12), 0, "1000")), Outcome::Rejected(RejectReason::OutOfRange));
    placed(w.bet(ALICE, stake / 2, single(FixtureId(12), 0, "1000"))); // + 4.995 × 10^18
    assert_eq!(w.bet(ALICE, MAX_SUPPLY + 1, single(F1, 0, "2")), Outcome::Rejected(RejectReason::OutOfRange));
    w.admin(bet_cmd(BetCommand::ReportResult { fixture: FixtureId(12), result: result(1, 0) }));
    assert!(w.gold(ALICE) > MAX_SUPPLY, "the house paid out past the supply, and nothing wrapped");
    // The house's payouts (≈ 15 × 10^18) now count in the room: ≈ 2.4 × 10^18 is left.
    placed(w.bet(ALICE, MAX_SUPPLY, single(F1, 0, "2")));
    placed(w.bet(ALICE, MAX_SUPPLY, single(F2, 0, "2")));
    assert_eq!(w.bet(ALICE, MAX_SUPPLY, single(F1, 1, "2")), Outcome::Rejected(RejectReason::OutOfRange));
    let hash = w.engine.state_hash();
    let restored = Engine::from_snapshot(w.engine.snapshot());
    assert_eq!(restored.state_hash(), hash);
}

/// Issue 11 (7): thousands of groups ending at the same time end a batch per command,
/// never all in one; those still waiting are closed by their end date.
#[test]
fn many_groups_ending_at_once_end_in_batches() {
    let mut w = World::new();
    let n = 2 * MAX_GROUP_ENDS_PER_COMMAND as u32 + 10;
    for i in 0..n {
        let spec = GroupSpec { id: GroupId(i), name: format!("g{i}"), starting_cash: 100, starts_at: 0, ends_at: 50_000, open: true };
        assert_eq!(w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec))), Outcome::Done);
    }
    assert_eq!(w.engine.active_groups(ALICE), (n as usize, 0));
    w.time = 60_000;
    let ended = |w: &World| w.events.iter().filter(|e| matches!(e, Event::Bet(BetEvent::GroupEnded { .. }))).count();
    assert_eq!(w.run(BOB, bet_cmd(BetCommand::Join { group: GroupId(n - 1) })), Outcome::Rejected(RejectReason::GroupNotRunning));
    assert_eq!(ended(&w), MAX_GROUP_ENDS_PER_COMMAND);
    assert!(w.engine.next_timer().is_some_and(|t| t <= w.time), "the rest are still due");
    w.admin(Body::Tick);
    assert_eq!(ended(&w), MAX_GROUP_ENDS_PER_COMMAND);
    w.admin(Body::Tick);
    assert_eq!(ended(&w), 10);
    assert_eq!(w.engine.next_timer(), None);
    assert_eq!(w.engine.active_groups(ALICE), (0, 0));
}

#[test]
fn private_groups_are_readable_by_members_invitees_and_the_operator_only() {
    let mut w = World::new();
    let spec = |id, open| GroupSpec { id: GroupId(id), name: "g".into(), starting_cash: 100, starts_at: 0, ends_at: 50_000, open };
    w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec(1, false))));
    w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec(2, true))));
    assert!(w.engine.may_read_group(GroupId(1), ALICE));
    assert!(w.engine.may_read_group(GroupId(1), AccountId::ADMIN));
    assert!(!w.engine.may_read_group(GroupId(1), BOB));
    assert!(w.engine.may_read_group(GroupId(2), BOB), "open groups are public");
    assert!(!w.engine.may_read_group(GroupId(3), ALICE));
    w.run(ALICE, bet_cmd(BetCommand::Invite { group: GroupId(1), account: BOB }));
    assert!(w.engine.may_read_group(GroupId(1), BOB));
    assert!(!w.engine.may_read_group(GroupId(1), CAROL));
    w.run(BOB, bet_cmd(BetCommand::Join { group: GroupId(1) }));
    assert_eq!(w.engine.active_groups(BOB), (0, 1));
    assert_eq!(w.engine.groups_of(BOB), vec![GroupId(1)]);
}

#[test]
fn operators_cannot_create_assets_in_the_group_cash_range() {
    let mut w = World::new();
    let asset = |id| Body::CreateAsset(AssetSpec { id: AssetId(id), symbol: "X".into(), decimals: 2, kind: AssetKind::Currency });
    assert_eq!(w.admin(asset(GROUP_ASSETS)), Outcome::Rejected(RejectReason::OutOfRange));
    assert_eq!(w.admin(asset(GROUP_ASSETS + 7)), Outcome::Rejected(RejectReason::OutOfRange));
    assert_eq!(w.admin(asset(u32::MAX)), Outcome::Rejected(RejectReason::OutOfRange));
    assert_eq!(w.admin(asset(GROUP_ASSETS - 1)), Outcome::Done);
    let spec = GroupSpec { id: GroupId(7), name: "g".into(), starting_cash: 100, starts_at: 0, ends_at: 50_000, open: true };
    assert_eq!(w.run(ALICE, bet_cmd(BetCommand::CreateGroup(spec))), Outcome::Done);
}
