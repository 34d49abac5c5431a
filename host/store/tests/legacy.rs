//! Data written by the previous (unversioned) storage layout.
//!
//! `write_legacy_fixture` is the generator: run once, at the commit that still wrote the
//! unversioned layout, with `ENTREPOT_WRITE_LEGACY_FIXTURE=1`. It journals a few hundred
//! commands (assets, two markets, accounts, mints, crossing limit orders -> trades, market
//! orders, cancels, modifies, a market bound to a scripted rules "plugin" so entries carry
//! decisions), with a snapshot (`bincode(Engine)`) at seq 300 and one in the committer's
//! batch at seq 350, then records the state hash the old code reported.

use std::sync::Arc;

use entrepot_core::rules::{AccountView, Fees, Listing, MarketView, OrderCheck, PluginBinding, Recorder, TradeFacts};
use entrepot_core::*;
use entrepot_store::journal::encode;
use entrepot_store::*;
use rust_decimal::Decimal;

/// A deterministic stand-in for a rules plugin: refuses orders of more than 4 lots,
/// charges flat fees on every other trade, answers nothing for listing fees.
struct Scripted {
    trades: u64,
}

impl entrepot_core::Rules for Scripted {
    fn check_order(&mut self, _: &PluginBinding, _: &MarketView, _: &AccountView, o: &OrderCheck) -> Option<Result<(), String>> {
        Some(if o.quantity > 4 { Err("at most 4 lots".into()) } else { Ok(()) })
    }
    fn trade_fees(&mut self, _: &PluginBinding, _: &MarketView, _: &TradeFacts) -> Option<Fees> {
        self.trades += 1;
        self.trades.is_multiple_of(2).then_some(Fees { maker: 1, taker: 2 })
    }
    fn listing_fee(&mut self, _: &PluginBinding, _: &MarketView, _: &Listing) -> Option<u64> {
        None
    }
}

pub fn commands() -> Vec<Command> {
    let admin = AccountId::ADMIN;
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        RequestId(n)
    };
    let mut v = vec![
        Command { actor: admin, request: next(), body: Body::CreateAsset(AssetSpec { id: AssetId(1), symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }) },
        Command { actor: admin, request: next(), body: Body::CreateAsset(AssetSpec { id: AssetId(2), symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }) },
        Command { actor: admin, request: next(), body: Body::CreateAsset(AssetSpec { id: AssetId(3), symbol: "IRON".into(), decimals: 0, kind: AssetKind::Item }) },
    ];
    for (m, base) in [(1u32, 2u32), (2, 3)] {
        v.push(Command {
            actor: admin,
            request: next(),
            body: Body::CreateMarket {
                spec: MarketSpec { id: MarketId(m), symbol: format!("M{m}/GOLD"), base: AssetId(base), quote: AssetId(1), tick: Decimal::new(1, 2), lot: Decimal::ONE },
                policy: MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, ..Default::default() },
            },
        });
    }
    v.push(Command {
        actor: admin,
        request: next(),
        body: Body::BindRules { market: MarketId(2), binding: Some(PluginBinding { name: "scripted".into(), version: "0.1.0".into(), hash: [7; 32], buy_window_ms: None }) },
    });
    for a in 1..=4u64 {
        v.push(Command { actor: admin, request: next(), body: Body::OpenAccount { account: AccountId(a) } });
        for asset in 1..=3 {
            v.push(Command { actor: admin, request: next(), body: Body::Mint { account: AccountId(a), asset: AssetId(asset), amount: 1_000_000 } });
        }
    }
    let mut i = 0u64;
    while v.len() < 400 {
        i += 1;
        let actor = AccountId(1 + i % 4);
        let market = MarketId(1 + (i as u32 / 3) % 2);
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let body = match i % 11 {
            0 => Body::Cancel { order: OrderId(i / 2) },
            5 => Body::Place(OrderRequest { market, side, kind: OrderKind::Market(MarketSize::Quantity(1 + i % 3)), tif: TimeInForce::Ioc, post_only: false }),
            7 => Body::Modify { order: OrderId(i / 3), price: 1_000, quantity: 2 },
            _ => {
                let price = 1_000 + (i * 7919 % 21) - 10;
                Body::Place(OrderRequest { market, side, kind: OrderKind::Limit { price, quantity: 1 + i % 6 }, tif: TimeInForce::Gtc, post_only: false })
            }
        };
        v.push(Command { actor, request: next(), body });
    }
    v
}

/// Journal `commands()` through the store (and its committer), as the server does.
/// Returns the live engine.
#[test]
#[ignore = "generator: run once with ENTREPOT_WRITE_LEGACY_FIXTURE=1 at the unversioned layout"]
fn write_legacy_fixture() {
    if std::env::var_os("ENTREPOT_WRITE_LEGACY_FIXTURE").is_none() {
        return;
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-v0");
    let _ = std::fs::remove_dir_all(&out);
    let cmds = commands();
    let mut engine = Engine::default();
    let mut rules = Scripted { trades: 0 };
    let mut events = Vec::new();
    let (mut trades, mut decided) = (0, 0);
    {
        let store = Arc::new(Store::open(&out).unwrap());
        let committer = Committer::spawn(store.clone(), CommitterConfig::default());
        for (i, cmd) in cmds.iter().enumerate() {
            let ctx = Ctx { seq: i as u64 + 1, time: 1_700_000_000_000 + i as u64 * 250 };
            let mut decisions = Vec::new();
            events.clear();
            engine.apply_with(ctx, cmd, &mut events, &mut Recorder { inner: &mut rules, decisions: &mut decisions });
            trades += events.iter().filter(|e| matches!(e, Event::Trade { .. })).count();
            decided += usize::from(!decisions.is_empty());
            committer.submit(Job {
                seq: ctx.seq,
                entry: Some(encode(&JournalEntry { ctx, command: cmd.clone(), decisions })),
                account_events: Vec::new(),
                inbox: Vec::new(),
                snapshot: (ctx.seq == 350).then(|| encode(&engine)),
                done: Box::new(|r, _| r.unwrap()),
            });
            if ctx.seq == 300 {
                committer.submit(Job { seq: 0, entry: None, account_events: Vec::new(), inbox: Vec::new(), snapshot: None, done: Box::new(|r, _| r.unwrap()) });
                store.save_snapshot(&engine).unwrap();
            }
        }
        committer.finish();
        engine.check_invariants().unwrap();
        let report = store.verify(EngineConfig::default()).unwrap();
        assert_eq!(report.state_hash, format!("{:016x}", engine.state_hash()));
        assert_eq!(report.snapshots_checked, 2);
        let rec = store.recover(EngineConfig::default(), |_, _| {}).unwrap();
        assert_eq!(rec.engine.state_hash(), engine.state_hash());
        assert_eq!(rec.snapshot_seq, 350);
    }
    assert!(trades >= 50 && decided >= 50, "trades {trades}, entries with decisions {decided}");
    std::fs::write(
        out.join("EXPECTED"),
        format!(
            "state_hash {:016x}\nlast_seq {}\nsnapshots 300 350\ntrades {trades}\nentries_with_decisions {decided}\n",
            engine.state_hash(),
            cmds.len()
        ),
    )
    .unwrap();
}
