//! The demo world created on a fresh data directory (`demo_markets`, `demo_fixtures`):
//! GOLD and six raw-material markets, and a few fixtures open for betting once the bet-type
//! plugins they use are loaded. Every step is a system command with its own setup request
//! id (`request_ids::setup`).

use entrepot_core::{AccountId, AssetId, AssetKind, AssetSpec, Body, Command, MarketId, MarketPolicy, MarketSpec, Outcome};
use entrepot_protocol::FixtureDef;
use rust_decimal::Decimal;

use crate::clock::now_ms;
use crate::handlers::admin::create_fixture;
use crate::plugins::PluginOp;
use crate::request_ids;
use crate::state::Shared;

/// The demo economy's raw materials, markets 1..=6 against GOLD (asset 1).
const DEMO_ITEMS: [&str; 6] = ["COPPER", "IRON", "WHEAT", "WOOD", "STONE", "LEATHER"];

/// Setup step numbers: the economy uses 1..=199, fixtures 1000 and up.
const FIXTURE_STEPS: u64 = 1_000;

/// Demo fixture ids start here, out of the way of an operator's own numbering.
pub const FIRST_DEMO_FIXTURE: u64 = 9_001;

/// The bet types the demo fixtures use.
const DEMO_BET_TYPES: [&str; 3] = ["moneyline", "spread", "totals"];

async fn system(shared: &Shared, n: u64, body: Body) -> anyhow::Result<()> {
    let cmd = Command { actor: AccountId::ADMIN, request: request_ids::setup(n), body };
    if let Outcome::Rejected(r) = shared.sequencer.submit(cmd).await? {
        anyhow::bail!("setup command {n} rejected: {r}");
    }
    Ok(())
}

pub async fn create_economy(shared: &Shared) -> anyhow::Result<()> {
    let gold = AssetSpec { id: AssetId(1), symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency };
    system(shared, 1, Body::CreateAsset(gold)).await?;
    for (i, name) in DEMO_ITEMS.iter().enumerate() {
        let id = i as u32 + 2;
        system(shared, 10 + u64::from(id), Body::CreateAsset(AssetSpec { id: AssetId(id), symbol: (*name).into(), decimals: 0, kind: AssetKind::Item }))
            .await?;
        let spec = MarketSpec {
            id: MarketId(i as u32 + 1),
            symbol: format!("{name}/GOLD"),
            base: AssetId(id),
            quote: AssetId(1),
            tick: Decimal::new(1, 2),
            lot: Decimal::ONE,
        };
        let policy = MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, ..Default::default() };
        system(shared, 100 + u64::from(id), Body::CreateMarket { spec, policy }).await?;
    }
    println!("created the demo economy: GOLD and {} markets ({})", DEMO_ITEMS.len(), DEMO_ITEMS.join(", "));
    Ok(())
}

/// The demo fixtures, open for betting at once and starting hours to days from now (game
/// time is wall-clock time). Skipped, with a hint, unless the bet types they use are loaded.
pub async fn create_fixtures(shared: &Shared) -> anyhow::Result<()> {
    let loaded = shared.sequencer.plugin(PluginOp::List).await?;
    let missing: Vec<&str> = DEMO_BET_TYPES.iter().copied().filter(|t| !loaded.iter().any(|p| p.name == *t)).collect();
    if !missing.is_empty() {
        println!("no demo fixtures: the bet-type plugins {} are not loaded (`cargo xtask run` loads them)", missing.join(", "));
        return Ok(());
    }
    let defs: Vec<FixtureDef> = serde_json::from_str(&fixtures_json(now_ms()))?;
    let mut created = Vec::new();
    for (i, def) in defs.into_iter().enumerate() {
        let (id, name) = (def.fixture, def.name.clone());
        match create_fixture(shared, AccountId::ADMIN, request_ids::setup(FIXTURE_STEPS + i as u64), def).await? {
            Outcome::Rejected(r) => println!("demo fixture {id} ({name}) not created: {r}"),
            _ => created.push(format!("{id} {name}")),
        }
    }
    println!("created {} demo fixtures open for betting: {}", created.len(), created.join("; "));
    Ok(())
}

/// A fixtures file (the wire `FixtureDef`s) relative to `now` (ms): fixed-odds moneyline,
/// totals and spread markets, an exchange market that stays open in play.
fn fixtures_json(now: u64) -> String {
    const HOUR: u64 = 3_600_000;
    let (a, b, c) = (FIRST_DEMO_FIXTURE, FIRST_DEMO_FIXTURE + 1, FIRST_DEMO_FIXTURE + 2);
    let (in_2h, in_26h, in_3d) = (now + 2 * HOUR, now + 26 * HOUR, now + 72 * HOUR);
    format!(
        r#"[
  {{"fixture": {a}, "name": "Redcliff Rovers vs Saltmarsh Sailors", "participants": ["Rovers", "Sailors"], "currency": 1,
   "opens_at": null, "starts_at": {in_2h},
   "markets": [
     {{"bet_type": "moneyline", "params": [["way", "3"]], "exposure_limit": "1000",
      "selections": [{{"name": "Rovers", "odds": "2.1"}}, {{"name": "draw", "odds": "3.4"}}, {{"name": "Sailors", "odds": "3.6"}}]}},
     {{"bet_type": "totals", "line": "2.5", "exposure_limit": "1000",
      "selections": [{{"name": "over", "odds": "1.95"}}, {{"name": "under", "odds": "1.85"}}]}},
     {{"bet_type": "spread", "exposure_limit": "1000",
      "selections": [{{"name": "Rovers", "line": "-0.75", "odds": "1.9"}}, {{"name": "Sailors", "line": "0.75", "odds": "1.9"}}]}}
   ]}},
  {{"fixture": {b}, "name": "Highland Stags vs Lowland Bulls", "participants": ["Stags", "Bulls"], "currency": 1,
   "opens_at": null, "starts_at": {in_26h},
   "markets": [
     {{"bet_type": "moneyline", "exchange": true, "in_play": true, "selections": [{{"name": "Stags"}}, {{"name": "Bulls"}}]}},
     {{"bet_type": "totals", "line": "3.5", "exposure_limit": "500",
      "selections": [{{"name": "over", "odds": "2.2"}}, {{"name": "under", "odds": "1.65"}}]}}
   ]}},
  {{"fixture": {c}, "name": "Harvest Festival Joust: Sir Aldric vs Dame Wren", "participants": ["Aldric", "Wren"], "currency": 1,
   "opens_at": null, "starts_at": {in_3d},
   "markets": [
     {{"bet_type": "moneyline", "params": [["way", "2"]], "exposure_limit": "2000",
      "selections": [{{"name": "Aldric", "odds": "1.7"}}, {{"name": "Wren", "odds": "2.15"}}]}}
   ]}}
]"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_fixtures_parse() {
        let defs: Vec<entrepot_protocol::FixtureDef> = serde_json::from_str(&super::fixtures_json(1_767_225_600_000)).unwrap();
        assert_eq!(defs.len(), 3);
        assert!(defs.iter().all(|d| d.starts_at > 1_767_225_600_000 && d.fixture >= super::FIRST_DEMO_FIXTURE));
    }
}
