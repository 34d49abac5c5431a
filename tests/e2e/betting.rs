//! Betting end to end over QUIC with the real compiled bet-type plugins: fixtures imported
//! from a JSON file, fixed-odds singles and a parlay against the house, back and lay on the
//! exchange, a group with its own cash and leaderboard, live pushes (bets, profiles,
//! fixture odds), type-ahead search, settlement, re-settlement, and a restart that replays
//! to the same state.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;

/// Where `cargo xtask plugins` staged the compiled plugins.
fn staged() -> PathBuf {
    std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| binary().parent().and_then(Path::parent).expect("target dir").join("plugins"))
}

/// Install the bundled bet-type plugins as an operator would: copy them into `<data>/plugins`.
fn install_bet_types(data: &Path) {
    let dir = data.join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["moneyline", "spread", "totals", "parlay"] {
        for ext in ["wasm", "toml"] {
            let from = staged().join(format!("{name}.{ext}"));
            assert!(from.exists(), "{} is not staged: run `cargo xtask plugins`", from.display());
            std::fs::copy(&from, dir.join(format!("{name}.{ext}"))).unwrap();
        }
    }
}

const FIXTURES: &str = r#"[
  {"fixture": 1, "name": "Northshire Wolves vs Iron Harbor Kings", "participants": ["Wolves", "Kings"], "currency": 1,
   "starts_at": 4102444800000,
   "markets": [
     {"bet_type": "moneyline", "params": [["way", "3"]], "exposure_limit": "1000",
      "selections": [{"name": "Wolves", "odds": "2.5"}, {"name": "draw", "odds": "3.2"}, {"name": "Kings", "odds": "2.8"}]},
     {"bet_type": "totals", "line": "2.5", "exposure_limit": "1000",
      "selections": [{"name": "over", "odds": "1.9"}, {"name": "under", "odds": "1.9"}]}
   ]},
  {"fixture": 2, "name": "Dragon Cup Final: Ember Drakes vs Frost Giants", "participants": ["Drakes", "Giants"], "currency": 1,
   "starts_at": 4102444800000,
   "markets": [{"bet_type": "moneyline", "exchange": true, "selections": [{"name": "Drakes"}, {"name": "Giants"}]}]},
  {"fixture": 3, "name": "Ember Drakes vs Stone Golems", "participants": ["Drakes", "Golems"], "currency": 1,
   "starts_at": 4102444800000,
   "markets": [{"bet_type": "spread", "exposure_limit": "1000",
      "selections": [{"name": "Drakes", "line": "-0.75", "odds": "1.9"}, {"name": "Golems", "line": "0.75", "odds": "1.9"}]}]}
]"#;

fn sel(fixture: u64, market: u16, selection: u16) -> SelectionRef {
    SelectionRef { fixture, market, selection }
}

async fn place(c: &Client, group: Option<u32>, stake: &str, kind: BetKind) -> Result<u64, ClientError> {
    match c.call(Request::PlaceBet(PlaceBet { group, stake: d(stake), kind })).await? {
        Response::BetPlaced { bet } => Ok(bet),
        other => panic!("{other:?}"),
    }
}

/// "Reason: message" of a refusal.
fn why(e: ClientError) -> String {
    match e {
        ClientError::Api(e) => format!("{}: {}", e.reason, e.message),
        other => panic!("expected a refusal, got {other}"),
    }
}

fn single(s: SelectionRef, odds: &str) -> BetKind {
    BetKind::Single { selection: s, odds: d(odds) }
}

async fn admin(a: &Client, r: AdminRequest) -> Response {
    a.call(Request::Admin(r)).await.unwrap_or_else(|e| panic!("admin request: {e}"))
}

async fn profile(c: &Client) -> ProfileInfo {
    match c.call(Request::Profile).await.unwrap() {
        Response::Profile(p) => p,
        other => panic!("{other:?}"),
    }
}

fn gold(p: &ProfileInfo) -> rust_decimal::Decimal {
    p.balances.iter().find(|b| b.asset == 1).map_or(rust_decimal::Decimal::ZERO, |b| b.available)
}

async fn result(a: &Client, fixture: u64, scores: &[(&str, i64)]) {
    let scores = scores.iter().map(|(p, s)| (p.to_string(), *s)).collect();
    assert_eq!(admin(a, AdminRequest::ReportResult { fixture, scores, completed: true }).await, Response::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bets_groups_pushes_search_and_settlement_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    install_bet_types(dir.path());
    let mut server = Server::start(dir.path());
    let a = server.admin().await;
    let (ann, ann_id) = server.player("ann@example.com").await;
    let (bob, bob_id) = server.player("bob@example.com").await;
    mint(&a, ann_id, 1, "1000").await;
    mint(&a, bob_id, 1, "1000").await;

    let start = gold(&profile(&ann).await);
    assert_eq!(admin(&a, AdminRequest::ImportFixtures { json: FIXTURES.into() }).await, Response::Imported { fixtures: 3 });
    let bad = why(a.call(Request::Admin(AdminRequest::ImportFixtures { json: r#"[{"fixture": 9}]"#.into() })).await.unwrap_err());
    assert!(bad.contains("fixtures file"), "{bad}");

    // Live pushes: Ann's account stream and fixture 1's topic stream.
    let mut pushes = ann.pushes().await.unwrap();
    ann.subscribe_account(0).await.unwrap();
    let snapshot = ann.call(Request::Subscribe(Topic::Fixture(1))).await.unwrap();
    let Response::Fixture(info) = snapshot else { panic!("{snapshot:?}") };
    assert_eq!((info.status, info.odds[0][0]), (FixtureStatus::Open, Some(d("2.5"))));

    // Fixed odds: Ann asks for 2.6 (refused, the price is 2.5), then takes 2.5.
    let refused = why(place(&ann, None, "10", single(sel(1, 0, 0), "2.6")).await.unwrap_err());
    assert_eq!(refused, "OddsChanged: the odds are now 2.5, below the 2.6 asked for");
    let wolves = place(&ann, None, "10", single(sel(1, 0, 0), "2.5")).await.unwrap();
    // A parlay: Wolves to win and over 2.5 goals.
    let parlay = place(&ann, None, "5", BetKind::Parlay { legs: vec![(sel(1, 0, 0), d("2.5")), (sel(3, 0, 0), d("1.9"))] }).await.unwrap();
    // Same-event parlays are refused by the parlay plugin's default policy.
    let same = why(place(&ann, None, "5", BetKind::Parlay { legs: vec![(sel(1, 0, 0), d("2.5")), (sel(1, 1, 0), d("1.9"))] }).await.unwrap_err());
    assert!(same.starts_with("BetRefused: ") && same.contains("same event"), "{same}");

    // Exchange: Bob lays Drakes at 3.0 for 20 backers' stake; Ann backs 10 at 2.5 and is matched at 3.0.
    let lay = place(&bob, None, "20", BetKind::Exchange { selection: sel(2, 0, 0), odds: d("3"), side: BackLay::Lay, persist: true }).await.unwrap();
    let back = place(&ann, None, "10", BetKind::Exchange { selection: sel(2, 0, 0), odds: d("2.5"), side: BackLay::Back, persist: false }).await.unwrap();
    let Response::Fixture(f2) = ann.call(Request::Fixture { fixture: 2 }).await.unwrap() else { panic!() };
    assert_eq!(f2.ladders[0].lays, vec![(d("3"), d("10"))], "half of Bob's lay is still on offer");

    // The house moves its price: subscribers hear it, and the 5-minute window counts it.
    admin(&a, AdminRequest::SetOdds { selection: sel(1, 0, 0), odds: Some(d("2.4")) }).await;
    let Response::OddsWindows(w) = ann.call(Request::OddsWindows { selection: sel(1, 0, 0) }).await.unwrap() else { panic!() };
    assert_eq!((w.last().unwrap().count, w.last().unwrap().min, w.last().unwrap().max), (2, d("2.4"), d("2.5")));

    // A group with its own cash.
    let def = GroupDef { group: 7, name: "Friday league".into(), starting_cash: d("100"), starts_at: 0, ends_at: 4102444800000, open: false };
    assert_eq!(ann.call(Request::Group(GroupRequest::Create(def))).await.unwrap(), Response::Done);
    assert!(why(bob.call(Request::Group(GroupRequest::Join { group: 7 })).await.unwrap_err()).starts_with("NotInvited"));
    ann.call(Request::Group(GroupRequest::Invite { group: 7, account: bob_id })).await.unwrap();
    bob.call(Request::Group(GroupRequest::Join { group: 7 })).await.unwrap();
    let group_bet = place(&bob, Some(7), "40", single(sel(1, 0, 2), "2.8")).await.unwrap();
    let Response::Leaderboard { standings, .. } = ann.call(Request::Group(GroupRequest::Leaderboard { group: 7 })).await.unwrap() else { panic!() };
    assert_eq!(standings.iter().map(|s| (s.account, s.cash, s.equity)).collect::<Vec<_>>(), vec![(ann_id, d("100"), d("100")), (bob_id, d("60"), d("100"))]);

    // Search over events and markets, with a typo.
    let Response::SearchResults(hits) = ann.call(Request::Search { query: "drgon cup".into(), limit: 5 }).await.unwrap() else { panic!() };
    assert_eq!(hits.first().map(|h| (h.kind.as_str(), h.id)), Some(("event", 2)), "{hits:?}");
    let Response::SearchResults(hits) = ann.call(Request::Search { query: "ember".into(), limit: 5 }).await.unwrap() else { panic!() };
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![2, 3], "the busier event first: {hits:?}");

    assert_eq!(gold(&profile(&ann).await), start - d("25"), "10 + 5 + 10 escrowed");

    // Results: Wolves 2–1 Kings (over 2.5), Drakes 1–0 on the exchange, Drakes 2–1 Golems (−0.75: half-win).
    result(&a, 1, &[("Wolves", 2), ("Kings", 1)]).await;
    result(&a, 2, &[("Drakes", 1), ("Giants", 0)]).await;
    result(&a, 3, &[("Drakes", 2), ("Golems", 1)]).await;
    let mine = match ann.call(Request::Bets { open_only: false, limit: 10 }).await.unwrap() {
        Response::Bets(b) => b,
        other => panic!("{other:?}"),
    };
    let state = |id: u64| mine.iter().find(|b| b.bet == id).map(|b| (b.state.clone(), b.paid)).unwrap();
    assert_eq!(state(wolves), ("won".into(), d("25")));
    // Parlay: 5 × 2.5 × (1.9 + 1)/2 = 18.125 → 18.12 paid (sub-cent stays with the house).
    assert_eq!(state(parlay).1, d("18.12"));
    let matched_back = mine.iter().find(|b| b.order == Some(back)).unwrap();
    assert_eq!((matched_back.state.as_str(), matched_back.paid), ("won", d("30")));
    assert_eq!(gold(&profile(&ann).await), start + d("48.12"), "−25 + 25 + 18.12 + 30");
    let Response::Bets(bobs) = bob.call(Request::Bets { open_only: false, limit: 10 }).await.unwrap() else { panic!() };
    assert!(bobs.iter().any(|b| b.order == Some(lay) && b.state == "lost"));
    assert!(bobs.iter().any(|b| b.bet == group_bet && b.state == "lost"));

    // Pushes reached Ann: her winning bet, a fresh profile, and fixture 1's odds change.
    let got = drain(&mut pushes, Duration::from_millis(500)).await;
    assert!(got.iter().any(|p| matches!(&p.event, PushEvent::Bet(b) if b.bet == wolves && b.state == "won")));
    assert!(got.iter().any(|p| matches!(&p.event, PushEvent::BetTotals { pnl } if pnl.iter().any(|t| t.asset == 1))));
    assert!(got.iter().any(|p| matches!(&p.event, PushEvent::OddsChanged { odds: Some(o), .. } if *o == d("2.4"))));
    assert!(got.iter().any(|p| matches!(&p.event, PushEvent::FixtureChanged { fixture: 1, status: FixtureStatus::Settled })));

    // The feed corrects fixture 1 to a draw: Ann's single and parlay are re-settled exactly.
    result(&a, 1, &[("Wolves", 1), ("Kings", 1)]).await;
    assert_eq!(gold(&profile(&ann).await), start + d("5"), "a draw: the Wolves single and the parlay now lose; the exchange win stays");

    // A restart replays the journal to the same balances and bets.
    let before = profile(&ann).await;
    drop((ann, bob, a));
    assert!(server.terminate().success());
    let report = verify(dir.path());
    assert!(report["commands"].as_u64().unwrap() > 20, "{report}");
    let server = Server::start(dir.path());
    let (ann, _) = server.player("ann@example.com").await;
    assert_eq!(profile(&ann).await, before);
}
