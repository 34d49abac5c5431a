//! Abuse: money (see main.rs) — issue 11 points 7 (group quotas), 9 (parlays vs exposure
//! limits), 10 (amounts bounded at the edge), 11 (private groups) and 15 (group-cash ids).

use std::path::{Path, PathBuf};

use entrepot_protocol::client::{Client, ClientError};
use entrepot_protocol::*;

use crate::common::*;

fn staged() -> PathBuf {
    std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| binary().parent().and_then(Path::parent).expect("target dir").join("plugins"))
}

fn install_bet_types(data: &Path) {
    let dir = data.join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["moneyline", "spread", "parlay"] {
        for ext in ["wasm", "toml"] {
            let from = staged().join(format!("{name}.{ext}"));
            assert!(from.exists(), "{} is not staged: run `cargo xtask plugins`", from.display());
            std::fs::copy(&from, dir.join(format!("{name}.{ext}"))).unwrap();
        }
    }
}

/// Two fixtures whose markets each let the house lose at most 10 GOLD.
const FIXTURES: &str = r#"[
  {"fixture": 1, "name": "Wolves vs Kings", "participants": ["Wolves", "Kings"], "currency": 1, "starts_at": 4102444800000,
   "markets": [{"bet_type": "moneyline", "params": [["way", "3"]], "exposure_limit": "10",
      "selections": [{"name": "Wolves", "odds": "2.5"}, {"name": "draw", "odds": "3.2"}, {"name": "Kings", "odds": "2.8"}]}]},
  {"fixture": 3, "name": "Drakes vs Golems", "participants": ["Drakes", "Golems"], "currency": 1, "starts_at": 4102444800000,
   "markets": [{"bet_type": "spread", "exposure_limit": "10",
      "selections": [{"name": "Drakes", "line": "-0.75", "odds": "1.9"}, {"name": "Golems", "line": "0.75", "odds": "1.9"}]}]}
]"#;

fn api(e: ClientError) -> ApiError {
    match e {
        ClientError::Api(e) => e,
        other => panic!("expected a refusal, got {other}"),
    }
}

fn sel(fixture: u64, selection: u16) -> SelectionRef {
    SelectionRef { fixture, market: 0, selection }
}

async fn parlay(c: &Client, stake: &str) -> Result<Response, ClientError> {
    let legs = vec![(sel(1, 0), d("2.5")), (sel(3, 0), d("1.9"))];
    c.call(Request::PlaceBet(PlaceBet { group: None, stake: d(stake), kind: BetKind::Parlay { legs } })).await
}

fn group(id: u32, cash: &str, open: bool) -> GroupDef {
    GroupDef { group: id, name: format!("league {id}"), starting_cash: d(cash), starts_at: 0, ends_at: 4102444800000, open }
}

/// Point 9: a parlay of 2 at 2.5 × 1.9 = 4.75 may lose the house 7.50 on both its leg
/// markets (limit 10): a second one would take each to 15.00. Before the fix every parlay
/// passed on its own, so twenty of them cost the house far past its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parlays_count_toward_the_exposure_limit_of_every_leg() {
    let dir = tempfile::tempdir().unwrap();
    install_bet_types(dir.path());
    let server = Server::start(dir.path());
    let a = server.admin().await;
    assert_eq!(a.call(Request::Admin(AdminRequest::ImportFixtures { json: FIXTURES.into() })).await.unwrap(), Response::Imported { fixtures: 2 });
    let (ann, _) = server.player("ann@example.com").await;
    let (bob, _) = server.player("bob@example.com").await;
    assert!(matches!(parlay(&ann, "2").await.unwrap(), Response::BetPlaced { .. }));
    let refused = api(parlay(&bob, "2").await.unwrap_err());
    assert_eq!(refused.reason, "ExposureLimit");
    // Room left: 10 + 2 − 9.50 = 2.50 of net loss at 3.75 per unit staked → 0.66 (GOLD, not minor units).
    assert_eq!(refused.message, "the house takes at most 0.66 more on this selection");
    assert!(matches!(parlay(&bob, "0.66").await.unwrap(), Response::BetPlaced { .. }));
    let mut accepted = 0;
    for _ in 0..20 {
        accepted += usize::from(parlay(&bob, "2").await.is_ok());
    }
    assert_eq!(accepted, 0);
    // A single on a leg market sees the parlays too.
    let single = BetKind::Single { selection: sel(1, 0), odds: d("2.5") };
    let e = api(bob.call(Request::PlaceBet(PlaceBet { group: None, stake: d("1"), kind: single })).await.unwrap_err());
    assert_eq!(e.reason, "ExposureLimit");
}

/// Point 10: group cash of u64::MAX minor units was accepted, and a won bet wrapped the
/// group balance. Every amount is bounded by the per-asset maximum supply (10^18 minor units).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_starting_cash_past_the_maximum_supply_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (ann, _) = server.player("ann@example.com").await;
    let e = api(ann.call(Request::Group(GroupRequest::Create(group(1, "184467440737095516.15", true)))).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (ErrorCode::Rejected, "InvalidGroup"), "{e:?}");
    let e = api(ann.call(Request::Group(GroupRequest::Create(group(2, "10000000000000000.01", true)))).await.unwrap_err());
    assert_eq!(e.reason, "InvalidGroup", "one minor unit past 10^18");
    assert_eq!(ann.call(Request::Group(GroupRequest::Create(group(3, "10000000000000000", true)))).await.unwrap(), Response::Done);
    let (bob, _) = server.player("bob@example.com").await;
    let e = api(bob.call(Request::Group(GroupRequest::Join { group: 3 })).await.unwrap_err());
    assert_eq!(e.reason, "OutOfRange", "a second starting cash would pass the maximum supply");
    drop((ann, bob));
    let mut server = server;
    assert!(server.terminate().success());
    verify(dir.path());
}

/// Point 7: a per-player quota of groups owned and joined (`max_groups_owned`,
/// `max_groups_joined`), answered `QuotaExceeded` and never journaled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_quotas_refuse_the_group_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("ENTREPOT_MAX_GROUPS_OWNED", "3"), ("ENTREPOT_MAX_GROUPS_JOINED", "2")]);
    let (ann, _) = server.player("ann@example.com").await;
    let (bob, _) = server.player("bob@example.com").await;
    for g in 1..=3 {
        assert_eq!(ann.call(Request::Group(GroupRequest::Create(group(g, "100", true)))).await.unwrap(), Response::Done);
    }
    let e = api(ann.call(Request::Group(GroupRequest::Create(group(4, "100", true)))).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::QuotaExceeded, "{e:?}");
    for g in 1..=2 {
        assert_eq!(bob.call(Request::Group(GroupRequest::Join { group: g })).await.unwrap(), Response::Done);
    }
    let e = api(bob.call(Request::Group(GroupRequest::Join { group: 3 })).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::QuotaExceeded, "{e:?}");
    // Leaving frees a place.
    assert_eq!(bob.call(Request::Group(GroupRequest::Leave { group: 1 })).await.unwrap(), Response::Done);
    assert_eq!(bob.call(Request::Group(GroupRequest::Join { group: 3 })).await.unwrap(), Response::Done);
    let Response::Groups(mine) = bob.call(Request::Group(GroupRequest::Mine)).await.unwrap() else { panic!() };
    assert_eq!(mine.iter().map(|g| g.def.group).collect::<Vec<_>>(), vec![2, 3]);
}

/// Point 11: an invitation-only group answers its members (and invitees, and the
/// operator) only; to anyone else it does not exist. Open groups stay public.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_groups_are_not_readable_by_non_members() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let a = server.admin().await;
    let (ann, _) = server.player("ann@example.com").await;
    let (eve, _) = server.player("eve@example.com").await;
    assert_eq!(ann.call(Request::Group(GroupRequest::Create(group(5, "100", false)))).await.unwrap(), Response::Done);
    assert_eq!(ann.call(Request::Group(GroupRequest::Create(group(6, "100", true)))).await.unwrap(), Response::Done);
    for request in [GroupRequest::Info { group: 5 }, GroupRequest::Leaderboard { group: 5 }] {
        let e = api(eve.call(Request::Group(request.clone())).await.unwrap_err());
        assert_eq!(e.code, ErrorCode::NotFound, "{request:?}: {e:?}");
        assert!(ann.call(Request::Group(request.clone())).await.is_ok(), "{request:?} for the owner");
        assert!(a.call(Request::Group(request)).await.is_ok(), "for the operator");
    }
    let e = api(eve.call(Request::Subscribe(Topic::Group(5))).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(matches!(ann.call(Request::Subscribe(Topic::Group(5))).await.unwrap(), Response::Leaderboard { .. }));
    assert!(matches!(eve.call(Request::Group(GroupRequest::Info { group: 6 })).await.unwrap(), Response::Group(_)), "open groups are public");
    assert!(matches!(eve.call(Request::Subscribe(Topic::Group(6))).await.unwrap(), Response::Leaderboard { .. }));
}

/// Point 15: asset ids from 2^31 up are the cash of groups; an operator cannot take them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_asset_refuses_ids_reserved_for_group_cash() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let a = server.admin().await;
    let create = |asset: u32| Request::Admin(AdminRequest::CreateAsset { asset, symbol: "X".into(), decimals: 2, item: false });
    let e = api(a.call(create(0x8000_0007)).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (ErrorCode::Rejected, "OutOfRange"), "{e:?}");
    // The group that owns that id is created as usual.
    let (ann, _) = server.player("ann@example.com").await;
    assert_eq!(ann.call(Request::Group(GroupRequest::Create(group(7, "100", true)))).await.unwrap(), Response::Done);
    assert_eq!(a.call(create(0x7FFF_FFFF)).await.unwrap(), Response::Done);
}
