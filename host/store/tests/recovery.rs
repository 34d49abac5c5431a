//! Journal, snapshot and recovery on a real redb file.

use std::sync::{Arc, Mutex};

use entrepot_core::*;
use entrepot_store::journal::encode;
use entrepot_store::*;
use rust_decimal::Decimal;

fn commands() -> Vec<Command> {
    let admin = AccountId::ADMIN;
    let mut v = vec![
        Command { actor: admin, request: RequestId(1), body: Body::CreateAsset(AssetSpec { id: AssetId(1), symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }) },
        Command { actor: admin, request: RequestId(2), body: Body::CreateAsset(AssetSpec { id: AssetId(2), symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }) },
        Command {
            actor: admin,
            request: RequestId(3),
            body: Body::CreateMarket {
                spec: MarketSpec { id: MarketId(1), symbol: "CU/GOLD".into(), base: AssetId(2), quote: AssetId(1), tick: Decimal::new(1, 2), lot: Decimal::ONE },
                policy: MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 20, ..Default::default() },
            },
        },
    ];
    for a in 1..=4u64 {
        v.push(Command { actor: admin, request: RequestId(10 + a), body: Body::OpenAccount { account: AccountId(a) } });
        v.push(Command { actor: admin, request: RequestId(20 + a), body: Body::Mint { account: AccountId(a), asset: AssetId(1), amount: 10_000_000 } });
        v.push(Command { actor: admin, request: RequestId(30 + a), body: Body::Mint { account: AccountId(a), asset: AssetId(2), amount: 10_000 } });
    }
    for i in 0..2_000u64 {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let price = 1_000 + (i * 7919 % 21) - 10;
        v.push(Command {
            actor: AccountId(1 + i % 4),
            request: RequestId(1_000 + i),
            body: Body::Place(OrderRequest { market: MarketId(1), side, kind: OrderKind::Limit { price, quantity: 1 + i % 5 }, tif: TimeInForce::Gtc, post_only: false }),
        });
    }
    v
}

#[test]
fn recovery_from_snapshot_and_journal_gives_the_same_state_hash() {
    let dir = tempfile::tempdir().unwrap();
    let cmds = commands();
    let mut engine = Engine::default();
    let mut events = Vec::new();
    {
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let committer = Committer::spawn(store.clone(), CommitterConfig::default());
        let acked = Arc::new(Mutex::new(0u64));
        for (i, cmd) in cmds.iter().enumerate() {
            let ctx = Ctx { seq: i as u64 + 1, time: i as u64 * 10 };
            engine.apply(ctx, cmd, &mut events);
            let acked = acked.clone();
            committer.submit(Job {
                seq: ctx.seq,
                entry: Some(encode(&JournalEntry { ctx, command: cmd.clone(), decisions: Vec::new() })),
                account_events: vec![(1, ctx.seq, vec![1, 2, 3])],
                inbox: Vec::new(),
                snapshot: (i == 1_500).then(|| encode(&engine.snapshot())),
                done: Box::new(move |r, _| {
                    r.unwrap();
                    *acked.lock().unwrap() += 1;
                }),
            });
            if i == 1_000 {
                store.save_snapshot(&engine).unwrap();
            }
        }
        let stats = committer.finish();
        assert_eq!(*acked.lock().unwrap(), cmds.len() as u64);
        assert!(stats.commits < stats.commands, "commits are grouped: {stats:?}");
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.last_seq().unwrap(), cmds.len() as u64);
    let mut seen = 0;
    let rec = store.recover(EngineConfig::default(), |_, _| seen += 1).unwrap();
    assert_eq!(rec.snapshot_seq, 1_501, "the snapshot written through the committer is the newest");
    assert_eq!(rec.replayed, cmds.len() as u64 - 1_501);
    assert_eq!(seen, rec.replayed);
    assert_eq!(rec.engine.state_hash(), engine.state_hash());
    rec.engine.check_invariants().unwrap();
    let report = store.verify(EngineConfig::default()).unwrap();
    assert_eq!(report.commands, cmds.len() as u64);
    assert_eq!(report.snapshots_checked, 2);
    assert_eq!(report.state_hash, format!("{:016x}", engine.state_hash()));
}
