//! The journal and the store's operations on the redb file (tables: `crate::schema`).

use std::path::{Path, PathBuf};

use entrepot_core::rules::Decision;
use entrepot_core::rules::Replay;
use entrepot_core::{Command, Ctx, Engine, EngineConfig, Event};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{decode_row, encode_row_into};
use crate::format::{self, STORE_FORMAT};
use crate::schema::{FORMAT_VERSION, META};
pub use crate::schema::{JOURNAL, MARKETDATA, SNAPSHOTS};
use crate::snapshot::{decode_engine, encode_engine};

/// The journal entry version this build writes. It reads every version up to it:
///
/// * 1: header (`crate::format`), then the row `JournalEntry`.
/// * 0: the layout before versions, a bare row `JournalEntry` (same types as 1).
pub const JOURNAL_VERSION: u8 = 1;

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
    /// A journal entry or snapshot in a format this build does not read.
    #[error("{what} at seq {seq} has format version {found}; this build reads version {reads}")]
    Version { what: &'static str, seq: u64, found: u8, reads: u8 },
    /// The data directory was written by a build with a newer layout.
    #[error("data directory {path} has format version {found}; this build reads version {reads} (written by a newer entrepot?)")]
    DirectoryVersion { path: String, found: u64, reads: u64 },
    /// No readable snapshot, and the journal does not reach back far enough to do without.
    #[error("snapshot at seq {seq} has format version {found}; this build reads version {reads}, and the journal before it is gone (it starts at seq {first}), so the state cannot be rebuilt")]
    SnapshotUnreadable { seq: u64, found: u8, reads: u8, first: u64 },
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

/// Encode a journal entry in the current version.
pub fn encode_entry(entry: &JournalEntry) -> Vec<u8> {
    let mut out = format::header(JOURNAL_VERSION);
    encode_row_into(entry, &mut out);
    out
}

/// Decode the journal entry stored under `seq` (any version up to [`JOURNAL_VERSION`]).
pub fn decode_entry(seq: u64, bytes: &[u8]) -> Result<JournalEntry, StoreError> {
    let (version, body) = format::split("journal entry", seq, bytes)?;
    if version > JOURNAL_VERSION {
        return Err(StoreError::Version { what: "journal entry", seq, found: version, reads: JOURNAL_VERSION });
    }
    decode_row(body).map_err(|e| StoreError::Corrupt { seq, why: format!("journal entry: {e}") })
}

/// A value kept in a versioned record: journal entries and engine snapshots.
pub trait Record: Sized {
    fn encode_record(&self) -> Vec<u8>;
    fn decode_record(seq: u64, bytes: &[u8]) -> Result<Self, StoreError>;
}

impl Record for JournalEntry {
    fn encode_record(&self) -> Vec<u8> {
        encode_entry(self)
    }
    fn decode_record(seq: u64, bytes: &[u8]) -> Result<Self, StoreError> {
        decode_entry(seq, bytes)
    }
}

impl Record for Engine {
    fn encode_record(&self) -> Vec<u8> {
        encode_engine(self)
    }
    fn decode_record(seq: u64, bytes: &[u8]) -> Result<Self, StoreError> {
        decode_engine(seq, bytes)
    }
}

/// Encode a journal entry or a snapshot in its current on-disk format
/// ([`encode_entry`], [`crate::snapshot::encode_engine`]).
pub fn encode<R: Record>(record: &R) -> Vec<u8> {
    record.encode_record()
}

/// Decode a journal entry or a snapshot stored under `seq`.
pub fn decode<R: Record>(seq: u64, bytes: &[u8]) -> Result<R, StoreError> {
    R::decode_record(seq, bytes)
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
    /// Snapshots of an old format, which this build does not read.
    pub snapshots_skipped: usize,
    pub state_hash: String,
}

pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Open (or create) `<dir>/entrepot.redb` and mark its layout (`META[FORMAT_VERSION]`).
    /// A directory written by a newer layout is refused; an older one (layout 0: no marker)
    /// is marked with this build's layout: its records stay as they are (version 0 journal
    /// entries are read as they are, version 0 snapshots are ignored: `recover`).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(format!("{}: {e}", dir.display())))?;
        let path = dir.join("entrepot.redb");
        let db = Database::create(&path)?;
        let tx = db.begin_write()?;
        let journal_len = tx.open_table(JOURNAL)?.len()?;
        tx.open_table(SNAPSHOTS)?;
        tx.open_table(MARKETDATA)?;
        {
            let mut meta = tx.open_table(META)?;
            let found = meta.get(FORMAT_VERSION)?.map(|v| v.value());
            match found {
                Some(found) if found > STORE_FORMAT => {
                    return Err(StoreError::DirectoryVersion { path: path.display().to_string(), found, reads: STORE_FORMAT });
                }
                Some(found) if found == STORE_FORMAT => {}
                _ => {
                    if journal_len > 0 {
                        tracing::info!(
                            from = found.unwrap_or(0),
                            to = STORE_FORMAT,
                            "data directory upgraded to the current layout (old records are kept as they are)"
                        );
                    }
                    meta.insert(FORMAT_VERSION, STORE_FORMAT)?;
                }
            }
        }
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
    pub fn append(&self, entries: &[(u64, Vec<u8>)], extra: impl FnOnce(&WriteTransaction) -> Result<(), StoreError>) -> Result<(), StoreError> {
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
        put_snapshot(&tx, engine.seq(), &encode_engine(engine))?;
        tx.commit()?;
        Ok(())
    }

    /// Newest readable snapshot + replay of the journal after it. `on_replay` sees every replayed
    /// command and its events (the server rebuilds its derived state from them).
    ///
    /// Reading and decoding run on a second thread, in batches, while this one applies:
    /// replay is bound by the engine, not by the disk.
    ///
    /// A snapshot of an older version than this build reads is skipped (recovery starts
    /// from an older snapshot, or from the empty engine and the journal from seq 1); one of
    /// a newer version, or an older one the journal cannot do without, is an error.
    pub fn recover(&self, config: EngineConfig, mut on_replay: impl FnMut(&JournalEntry, &[Event], &Engine)) -> Result<Recovered, StoreError> {
        let (mut engine, snapshot_seq) = self.newest_snapshot(config)?;
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
                        batch.push((k.value(), decode_entry(k.value(), v.value())?));
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
                    on_replay(&entry, &events, &engine);
                    replayed += 1;
                    expected += 1;
                }
            }
            Ok(Recovered { engine, snapshot_seq, replayed })
        })
    }

    /// The newest snapshot this build can read (or the empty engine at seq 0), skipping
    /// older-version snapshots as long as the journal reaches back past them.
    fn newest_snapshot(&self, config: EngineConfig) -> Result<(Engine, u64), StoreError> {
        let tx = self.db.begin_read()?;
        let snaps = tx.open_table(SNAPSHOTS)?;
        let mut skipped = None;
        let mut start = None;
        for row in snaps.iter()?.rev() {
            let (k, v) = row?;
            match decode_engine(k.value(), v.value()) {
                Ok(engine) => {
                    start = Some((engine, k.value()));
                    break;
                }
                Err(StoreError::Version { seq, found, reads, .. }) if found < reads => {
                    tracing::warn!(seq, found, reads, "ignoring a snapshot of an old format; replaying the journal instead");
                    skipped.get_or_insert((seq, found, reads));
                }
                Err(e) => return Err(e),
            }
        }
        let (engine, seq) = start.unwrap_or_else(|| (Engine::new(config), 0));
        if let Some((skipped, found, reads)) = skipped {
            let journal = tx.open_table(JOURNAL)?;
            let first = journal.first()?.map_or(skipped + 1, |(k, _)| k.value());
            if first > seq + 1 {
                return Err(StoreError::SnapshotUnreadable { seq: skipped, found, reads, first });
            }
        }
        Ok((engine, seq))
    }

    /// Replay the journal from seq 1 through `upto` on an empty engine, showing every
    /// command, its events and the engine after it to `on_replay` (rebuilds derived state
    /// the server keeps beside the engine, such as market data).
    pub fn replay(&self, config: EngineConfig, upto: u64, mut on_replay: impl FnMut(&JournalEntry, &[Event], &Engine)) -> Result<(), StoreError> {
        let tx = self.db.begin_read()?;
        let journal = tx.open_table(JOURNAL)?;
        let mut engine = Engine::new(config);
        let mut events = Vec::new();
        for (expected, row) in (1..).zip(journal.range(1..=upto)?) {
            let (k, v) = row?;
            if k.value() != expected {
                return Err(StoreError::Gap { expected, found: k.value() });
            }
            let entry = decode_entry(k.value(), v.value())?;
            events.clear();
            entry.replay(&mut engine, &mut events);
            on_replay(&entry, &events, &engine);
        }
        Ok(())
    }

    /// The derived market data stored with the engine snapshot of `seq`, if any.
    pub fn marketdata(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(MARKETDATA)?;
        Ok(table.get(seq)?.map(|v| v.value().to_vec()))
    }

    /// Every stored market-data snapshot's seq, ascending.
    pub fn marketdata_seqs(&self) -> Result<Vec<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(MARKETDATA)?;
        table.iter()?.map(|r| r.map(|(k, _)| k.value()).map_err(StoreError::from)).collect()
    }

    /// Check the whole journal: contiguous seqs, every record decodes, a replay from
    /// scratch reaches every stored snapshot with the same state hash, and the ledger
    /// invariants hold at the end.
    pub fn verify(&self, config: EngineConfig) -> Result<VerifyReport, String> {
        self.verify_with(config, |_, _, _| {})
    }

    /// [`Store::verify`], showing every replayed command, its events and the engine after it
    /// to `on_replay` (to check derived state in the same single pass over the journal).
    pub fn verify_with(&self, config: EngineConfig, mut on_replay: impl FnMut(&JournalEntry, &[Event], &Engine)) -> Result<VerifyReport, String> {
        let tx = self.db.begin_read().map_err(|e| e.to_string())?;
        let snaps = tx.open_table(SNAPSHOTS).map_err(|e| e.to_string())?;
        let mut snapshots = Vec::new();
        let mut snapshots_skipped = 0;
        for row in snaps.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            match decode_engine(k.value(), v.value()) {
                Ok(engine) => snapshots.push((k.value(), engine.state_hash())),
                // Old snapshots are never read (`recover`); the replay stands in for them.
                Err(StoreError::Version { found, reads, .. }) if found < reads => snapshots_skipped += 1,
                Err(e) => return Err(e.to_string()),
            }
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
            let entry = decode_entry(seq, v.value()).map_err(|e| e.to_string())?;
            events.clear();
            entry.replay(&mut engine, &mut events);
            on_replay(&entry, &events, &engine);
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
            snapshots_skipped,
            state_hash: format!("{:016x}", engine.state_hash()),
        })
    }
}

/// Store the market data derived up to command `seq` (with that seq's engine snapshot),
/// keeping the newest few.
pub fn put_marketdata(tx: &WriteTransaction, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
    let mut table = tx.open_table(MARKETDATA)?;
    table.insert(seq, bytes)?;
    let keys: Vec<u64> = table.iter()?.map(|r| r.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
    for old in keys.iter().rev().skip(KEEP_SNAPSHOTS) {
        table.remove(*old)?;
    }
    Ok(())
}

/// Store an encoded engine snapshot (`snapshot::encode_engine`) taken after command `seq`, keeping the newest few.
pub fn put_snapshot(tx: &WriteTransaction, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
    let mut snaps = tx.open_table(SNAPSHOTS)?;
    snaps.insert(seq, bytes)?;
    let keys: Vec<u64> = snaps.iter()?.map(|r| r.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
    for old in keys.iter().rev().skip(KEEP_SNAPSHOTS) {
        snaps.remove(*old)?;
    }
    Ok(())
}
