//! Journal, snapshot and recovery on a real redb file.

use std::sync::{Arc, Mutex};

use entrepot_core::*;
use entrepot_store::journal::encode;
use entrepot_store::*;
use entrepot_store::{codec, format, journal, schema, snapshot};
use rust_decimal::Decimal;

fn commands() -> Vec<Command> {
    let admin = AccountId::ADMIN;
    let mut v = vec![
        Command {
            actor: admin,
            request: RequestId(1),
            body: Body::CreateAsset(AssetSpec { id: AssetId(1), symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }),
        },
        Command {
            actor: admin,
            request: RequestId(2),
            body: Body::CreateAsset(AssetSpec { id: AssetId(2), symbol: "CU".into(), decimals: 0, kind: AssetKind::Item }),
        },
        Command {
            actor: admin,
            request: RequestId(3),
            body: Body::CreateMarket {
                spec: MarketSpec {
                    id: MarketId(1),
                    symbol: "CU/GOLD".into(),
                    base: AssetId(2),
                    quote: AssetId(1),
                    tick: Decimal::new(1, 2),
                    lot: Decimal::ONE,
                },
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
            body: Body::Place(OrderRequest {
                market: MarketId(1),
                side,
                kind: OrderKind::Limit { price, quantity: 1 + i % 5 },
                tif: TimeInForce::Gtc,
                post_only: false,
            }),
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
                snapshot: (i == 1_500).then(|| encode(&engine)),
                write: None,
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
    let rec = store.recover(EngineConfig::default(), |_, _, _| seen += 1).unwrap();
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

/// A small journal (and a snapshot at `snapshot_at`) through the committer; returns the engine.
fn write(dir: &std::path::Path, n: usize, snapshot_at: u64) -> Engine {
    let store = Arc::new(Store::open(dir).unwrap());
    let committer = Committer::spawn(store, CommitterConfig::default());
    let mut engine = Engine::default();
    let mut events = Vec::new();
    for (i, cmd) in commands().into_iter().take(n).enumerate() {
        let ctx = Ctx { seq: i as u64 + 1, time: i as u64 };
        engine.apply(ctx, &cmd, &mut events);
        committer.submit(Job {
            seq: ctx.seq,
            entry: Some(journal::encode_entry(&JournalEntry { ctx, command: cmd, decisions: Vec::new() })),
            account_events: Vec::new(),
            inbox: Vec::new(),
            snapshot: (ctx.seq == snapshot_at).then(|| snapshot::encode_engine(&engine)),
            write: None,
            done: Box::new(|r, _| r.unwrap()),
        });
    }
    committer.finish();
    engine
}

/// Overwrite one raw record of `table`.
fn poke(dir: &std::path::Path, table: redb::TableDefinition<u64, &[u8]>, seq: u64, bytes: &[u8]) {
    let db = redb::Database::open(dir.join("entrepot.redb")).unwrap();
    let tx = db.begin_write().unwrap();
    tx.open_table(table).unwrap().insert(seq, bytes).unwrap();
    tx.commit().unwrap();
}

fn raw(dir: &std::path::Path, table: redb::TableDefinition<u64, &[u8]>, seq: u64) -> Vec<u8> {
    use redb::ReadableDatabase;
    let db = redb::Database::open(dir.join("entrepot.redb")).unwrap();
    let tx = db.begin_read().unwrap();
    let t = tx.open_table(table).unwrap();
    let v = t.get(seq).unwrap().unwrap().value().to_vec();
    v
}

#[test]
fn records_carry_their_format_version() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 50, 40);
    assert_eq!(raw(dir.path(), schema::JOURNAL, 7)[..2], [format::MAGIC, journal::JOURNAL_VERSION]);
    assert_eq!(raw(dir.path(), schema::SNAPSHOTS, 40)[..2], [format::MAGIC, snapshot::SNAPSHOT_VERSION]);
}

#[test]
fn a_journal_entry_of_a_newer_version_is_refused_by_recover_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 50, 0);
    let mut bytes = raw(dir.path(), schema::JOURNAL, 30);
    bytes[1] = journal::JOURNAL_VERSION + 1;
    poke(dir.path(), schema::JOURNAL, 30, &bytes);
    let store = Store::open(dir.path()).unwrap();
    let want = format!("journal entry at seq 30 has format version {}; this build reads version {}", journal::JOURNAL_VERSION + 1, journal::JOURNAL_VERSION);
    let err = store.recover(EngineConfig::default(), |_, _, _| {}).err().expect("refused").to_string();
    assert_eq!(err, want);
    assert_eq!(store.verify(EngineConfig::default()).unwrap_err(), want);
}

#[test]
fn a_snapshot_of_a_newer_version_is_refused_by_recover_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 50, 40);
    let mut bytes = raw(dir.path(), schema::SNAPSHOTS, 40);
    bytes[1] = snapshot::SNAPSHOT_VERSION + 1;
    poke(dir.path(), schema::SNAPSHOTS, 40, &bytes);
    let store = Store::open(dir.path()).unwrap();
    let want = format!("snapshot at seq 40 has format version {}; this build reads version {}", snapshot::SNAPSHOT_VERSION + 1, snapshot::SNAPSHOT_VERSION);
    let err = store.recover(EngineConfig::default(), |_, _, _| {}).err().expect("refused").to_string();
    assert_eq!(err, want);
    assert_eq!(store.verify(EngineConfig::default()).unwrap_err(), want);
}

#[test]
fn a_snapshot_that_decodes_to_another_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = write(dir.path(), 50, 0);
    let mut bytes = format::header(snapshot::SNAPSHOT_VERSION);
    codec::encode_row_into(&(engine.state_hash() ^ 1, engine.snapshot()), &mut bytes);
    poke(dir.path(), schema::SNAPSHOTS, 50, &bytes);
    let err = Store::open(dir.path()).unwrap().recover(EngineConfig::default(), |_, _, _| {}).err().expect("refused").to_string();
    assert!(err.contains("corrupt record at seq 50") && err.contains("state hash"), "{err}");
}

#[test]
fn a_data_directory_of_a_newer_layout_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 5, 0);
    {
        let db = redb::Database::open(dir.path().join("entrepot.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(schema::META).unwrap().insert(schema::FORMAT_VERSION, format::STORE_FORMAT + 1).unwrap();
        tx.commit().unwrap();
    }
    let err = Store::open(dir.path()).err().expect("refused").to_string();
    assert!(err.contains(&format!("has format version {}; this build reads version {}", format::STORE_FORMAT + 1, format::STORE_FORMAT)), "{err}");
}
