//! The redb tables and the operations on them.

use std::path::{Path, PathBuf};

use entrepot_core::rules::Replay;
use entrepot_core::rules::Decision;
use entrepot_core::{Command, Ctx, Engine, EngineConfig, Event, Snapshot};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// seq → encoded `JournalEntry`.
pub const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
/// seq of the last command included → encoded `Snapshot` of the engine.
pub const SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("snapshots");

/// How many snapshots to keep (older ones are deleted when a new one is written).
const KEEP_SNAPSHOTS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Db(String),
    #[error("corrupt record at seq {seq}: {why}")]
    Corrupt { seq: u64, why: String },
    #[error("journal gap: expected seq {expected}, found {found}")]
    Gap { expected: u64, found: u64 },
}

macro_rules! db_err {
    ($($t:ty),*) => { $(impl From<$t> for StoreError { fn from(e: $t) -> Self { StoreError::Db(e.to_string()) } })* };
}
db_err!(redb::Error, redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError, redb::SetDurabilityError);

/// One journaled command with the context it was applied with, and the answers the
/// rules plugins gave while it ran (empty when it touched no plugin-bound market).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub ctx: Ctx,
    pub command: Command,
    pub decisions: Vec<Decision>,
}

impl JournalEntry {
    /// Apply the entry again exactly as it was applied live: plugin decisions come from
    /// the journal, so recovery needs neither the plugins nor their timing.
    pub fn replay(&self, engine: &mut Engine, events: &mut Vec<Event>) {
        let mut replay = Replay::new(&self.decisions);
        engine.apply_with(self.ctx, &self.command, events, &mut replay);
        assert!(replay.finished(), "journal seq {}: {} plugin decisions were not used", self.ctx.seq, self.decisions.len());
    }
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encoding to a Vec cannot fail")
}

pub fn decode<T: DeserializeOwned>(seq: u64, bytes: &[u8]) -> Result<T, StoreError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| StoreError::Corrupt { seq, why: e.to_string() })
}

/// The engine rebuilt from disk.
pub struct Recovered {
    pub engine: Engine,
    /// Seq of the snapshot recovery started from (0 = none).
    pub snapshot_seq: u64,
    /// Commands replayed after the snapshot.
    pub replayed: u64,
}

/// What `verify` found.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub commands: u64,
    pub last_seq: u64,
    pub snapshots_checked: usize,
    pub state_hash: String,
}

pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Open (or create) `<dir>/entrepot.redb`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(format!("{}: {e}", dir.display())))?;
        let path = dir.join("entrepot.redb");
        let db = Database::create(&path)?;
        let tx = db.begin_write()?;
        tx.open_table(JOURNAL)?;
        tx.open_table(SNAPSHOTS)?;
        tx.commit()?;
        Ok(Store { db, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database, for the server's own tables (accounts, sessions, events, outbox).
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Write journal entries (already encoded, keyed by seq) plus whatever `extra` adds,
    /// in one durable transaction.
    pub fn append(
        &self,
        entries: &[(u64, Vec<u8>)],
        extra: impl FnOnce(&WriteTransaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        {
            let mut journal = tx.open_table(JOURNAL)?;
            for (seq, bytes) in entries {
                journal.insert(*seq, bytes.as_slice())?;
            }
        }
        extra(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Seq of the last journaled command (0 if none).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        let journal = tx.open_table(JOURNAL)?;
        let last = journal.last()?.map_or(0, |(k, _)| k.value());
        Ok(last)
    }

    /// Save the engine's state as of its last applied command; keeps the newest few.
    pub fn save_snapshot(&self, engine: &Engine) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        put_snapshot(&tx, engine.seq(), &encode(&engine.snapshot()))?;
        tx.commit()?;
        Ok(())
    }

    /// Newest snapshot + replay of the journal after it. `on_replay` sees every replayed
    /// command and its events (the server rebuilds its derived state from them).
    ///
    /// Reading and decoding run on a second thread, in batches, while this one applies:
    /// replay is bound by the engine, not by the disk.
    pub fn recover(
        &self,
        config: EngineConfig,
        mut on_replay: impl FnMut(&JournalEntry, &[Event]),
    ) -> Result<Recovered, StoreError> {
        let (mut engine, snapshot_seq) = {
            let tx = self.db.begin_read()?;
            let snaps = tx.open_table(SNAPSHOTS)?;
            let newest = snaps.last()?;
            match newest {
                Some((k, v)) => (Engine::from_snapshot(decode::<Snapshot>(k.value(), v.value())?), k.value()),
                None => (Engine::new(config), 0),
            }
        };
        const BATCH: usize = 4096;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Vec<(u64, JournalEntry)>, StoreError>>(8);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let read = || -> Result<(), StoreError> {
                    let tx = self.db.begin_read()?;
                    let journal = tx.open_table(JOURNAL)?;
                    let mut batch = Vec::with_capacity(BATCH);
                    for row in journal.range(snapshot_seq + 1..)? {
                        let (k, v) = row?;
                        batch.push((k.value(), decode(k.value(), v.value())?));
                        if batch.len() == BATCH && sender.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).is_err() {
                            return Ok(());
                        }
                    }
                    let _ = sender.send(Ok(batch));
                    Ok(())
                };
                if let Err(e) = read() {
                    let _ = sender.send(Err(e));
                }
            });
            let mut events = Vec::new();
            let mut replayed = 0;
            let mut expected = snapshot_seq + 1;
            for batch in receiver {
                for (seq, entry) in batch? {
                    if seq != expected {
                        return Err(StoreError::Gap { expected, found: seq });
                    }
                    events.clear();
                    entry.replay(&mut engine, &mut events);
                    on_replay(&entry, &events);
                    replayed += 1;
                    expected += 1;
                }
            }
            Ok(Recovered { engine, snapshot_seq, replayed })
        })
    }

    /// Check the whole journal: contiguous seqs, every record decodes, a replay from
    /// scratch reaches every stored snapshot with the same state hash, and the ledger
    /// invariants hold at the end.
    pub fn verify(&self, config: EngineConfig) -> Result<VerifyReport, String> {
        let tx = self.db.begin_read().map_err(|e| e.to_string())?;
        let snaps = tx.open_table(SNAPSHOTS).map_err(|e| e.to_string())?;
        let mut snapshots = Vec::new();
        for row in snaps.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            let engine = Engine::from_snapshot(decode::<Snapshot>(k.value(), v.value()).map_err(|e| e.to_string())?);
            snapshots.push((k.value(), engine.state_hash()));
        }
        let journal = tx.open_table(JOURNAL).map_err(|e| e.to_string())?;
        let mut engine = Engine::new(config);
        let mut events = Vec::new();
        let (mut expected, mut checked) = (1u64, 0usize);
        let mut pending = snapshots.iter().peekable();
        // A snapshot of seq 0 (empty engine) would be trivially right.
        while pending.peek().is_some_and(|(s, _)| *s == 0) {
            pending.next();
        }
        for row in journal.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            let seq = k.value();
            if seq != expected {
                return Err(format!("journal gap: expected seq {expected}, found {seq}"));
            }
            let entry: JournalEntry = decode(seq, v.value()).map_err(|e| e.to_string())?;
            events.clear();
            entry.replay(&mut engine, &mut events);
            if let Some(&&(s, hash)) = pending.peek() {
                if s == seq {
                    if engine.state_hash() != hash {
                        return Err(format!("snapshot at seq {s} differs from the replayed state"));
                    }
                    checked += 1;
                    pending.next();
                }
            }
            expected += 1;
        }
        engine.check_invariants().map_err(|e| format!("after replay: {e}"))?;
        Ok(VerifyReport {
            commands: expected - 1,
            last_seq: expected - 1,
            snapshots_checked: checked,
            state_hash: format!("{:016x}", engine.state_hash()),
        })
    }
}

/// Store an encoded engine snapshot taken after command `seq`, keeping the newest few.
pub fn put_snapshot(tx: &WriteTransaction, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
    let mut snaps = tx.open_table(SNAPSHOTS)?;
    snaps.insert(seq, bytes)?;
    let keys: Vec<u64> = snaps.iter()?.map(|r| r.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
    for old in keys.iter().rev().skip(KEEP_SNAPSHOTS) {
        snaps.remove(*old)?;
    }
    Ok(())
}
