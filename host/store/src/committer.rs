//! Group commit: one thread owns the write side of the journal. Jobs arrive in command
//! order; it takes everything queued (up to `max_batch`, waiting at most `max_wait` after
//! the first job for more), writes them in one durable redb transaction, and only then
//! runs each job's `done` callback, which is where the server acknowledges the client.
//!
//! **Fail-stop.** The first batch that fails to commit (a full disk, an I/O error) sets the
//! committer's [`Failure`]: that batch and every job after it get `Err` without anything
//! more being written, so nothing applied after the failed command is ever acknowledged
//! (commands are applied before their batch commits). The server checks the same
//! [`Failure`] before applying anything; a restart recovers to the last durable batch.
//!
//! **Retention.** The account event log keeps the newest `keep_account_events` events of
//! each account: older ones are deleted in the batch transaction that writes newer ones,
//! at most `prune_per_batch` rows per batch, so the log stays bounded without a stall.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{ReadableTable, WriteTransaction};

use crate::journal::{put_snapshot, Store, StoreError};
use crate::schema::{ACCOUNT_CURSORS, ACCOUNT_EVENTS, INBOX};

/// Runs after the job's batch is durable (or failed), getting back its account events.
pub type Done = Box<dyn FnOnce(Result<(), String>, Vec<(u64, u64, Vec<u8>)>) + Send>;

/// Extra writes made inside the batch transaction (e.g. inbox read flags), so that many
/// small writers share one durable commit. An error fails the whole batch (fail-stop):
/// return only storage errors, handle anything else inside.
pub type Write = Box<dyn FnOnce(&WriteTransaction) -> Result<(), StoreError> + Send>;

/// Whether the journal has failed to commit, and why (set once, never cleared: only a
/// restart recovers). Shared by the committer and whoever feeds it.
#[derive(Clone, Debug, Default)]
pub struct Failure(Arc<OnceLock<String>>);

impl Failure {
    /// Why the journal stopped, if it did.
    pub fn reason(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    pub fn is_failed(&self) -> bool {
        self.0.get().is_some()
    }

    fn set(&self, why: String) {
        let _ = self.0.set(why);
    }
}

/// One command to make durable, with the account events it produced. A job without an
/// entry is a barrier: its `done` runs once everything queued before it is durable. A job
/// may carry an engine snapshot taken right after its command.
pub struct Job {
    pub seq: u64,
    /// The journal entry, as `journal::encode_entry` made it.
    pub entry: Option<Vec<u8>>,
    /// (account, cursor, encoded event)
    pub account_events: Vec<(u64, u64, Vec<u8>)>,
    /// (account, id, encoded notification) for `INBOX`, durable with the events.
    pub inbox: Vec<(u64, u64, Vec<u8>)>,
    /// The engine as `snapshot::encode_engine` made it, after this job's command.
    pub snapshot: Option<Vec<u8>>,
    /// Extra writes for the batch transaction (see [`Write`]).
    pub write: Option<Write>,
    pub done: Done,
}

#[derive(Clone, Copy, Debug)]
pub struct CommitterConfig {
    pub max_batch: usize,
    pub max_wait: Duration,
    pub queue: usize,
    /// Account events kept per account (the newest ones); 0 keeps all.
    pub keep_account_events: u64,
    /// The most old account events deleted in one batch transaction.
    pub prune_per_batch: usize,
}

impl Default for CommitterConfig {
    fn default() -> Self {
        CommitterConfig { max_batch: 8192, max_wait: Duration::from_micros(500), queue: 65_536, keep_account_events: 0, prune_per_batch: 4096 }
    }
}

/// Counters for operators and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommitStats {
    pub commits: u64,
    pub commands: u64,
}

pub struct Committer {
    sender: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<CommitStats>>,
    failure: Failure,
}

impl Committer {
    pub fn spawn(store: Arc<Store>, config: CommitterConfig) -> Committer {
        let (sender, receiver) = sync_channel(config.queue);
        let failure = Failure::default();
        let failed = failure.clone();
        let thread = std::thread::Builder::new().name("journal".into()).spawn(move || run(&store, config, receiver, &failed)).expect("spawn journal thread");
        Committer { sender: Some(sender), thread: Some(thread), failure }
    }

    /// The journal's fail-stop flag (set by the first failed commit).
    pub fn failure(&self) -> Failure {
        self.failure.clone()
    }

    /// Queue a job; blocks when the queue is full (back-pressure on the sequencer).
    pub fn submit(&self, job: Job) {
        if let Err(e) = self.sender.as_ref().expect("running").send(job) {
            (e.0.done)(Err("journal is shut down".into()), e.0.account_events);
        }
    }

    /// Commit what is queued and stop.
    pub fn finish(mut self) -> CommitStats {
        self.sender.take();
        self.thread.take().map(|t| t.join().expect("journal thread")).unwrap_or_default()
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &Store, config: CommitterConfig, receiver: Receiver<Job>, failure: &Failure) -> CommitStats {
    let mut stats = CommitStats::default();
    let mut batch: Vec<Job> = Vec::with_capacity(config.max_batch);
    let mut entries = Vec::with_capacity(config.max_batch);
    let mut last_cursor: std::collections::BTreeMap<u64, u64> = Default::default();
    while let Ok(first) = receiver.recv() {
        let deadline = Instant::now() + config.max_wait;
        batch.push(first);
        while batch.len() < config.max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    match receiver.recv_timeout(left) {
                        Ok(job) => batch.push(job),
                        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                    }
                }
            }
        }
        // Fail-stop: after a failed commit nothing more is written, and nothing is acknowledged.
        if let Some(why) = failure.reason() {
            let result = Err(format!("the journal stopped after a failed commit: {why}"));
            for job in batch.drain(..) {
                (job.done)(result.clone(), job.account_events);
            }
            continue;
        }
        entries.clear();
        entries.extend(batch.iter_mut().filter_map(|j| j.entry.take().map(|e| (j.seq, e))));
        let writes: Vec<Write> = batch.iter_mut().filter_map(|j| j.write.take()).collect();
        let result = store.append(&entries, |tx| {
            let mut events = tx.open_table(ACCOUNT_EVENTS)?;
            last_cursor.clear();
            for job in &batch {
                for (account, cursor, bytes) in &job.account_events {
                    events.insert((*account, *cursor), bytes.as_slice())?;
                    last_cursor.insert(*account, *cursor);
                }
            }
            prune(&mut events, &last_cursor, &config)?;
            drop(events);
            // One cursor update per account per batch, not per event.
            let mut cursors = tx.open_table(ACCOUNT_CURSORS)?;
            for (account, cursor) in &last_cursor {
                cursors.insert(*account, *cursor)?;
            }
            drop(cursors);
            if batch.iter().any(|job| !job.inbox.is_empty()) {
                let mut inbox = tx.open_table(INBOX)?;
                for (account, id, bytes) in batch.iter().flat_map(|job| &job.inbox) {
                    inbox.insert((*account, *id), bytes.as_slice())?;
                }
            }
            for write in writes {
                write(tx)?;
            }
            for job in &batch {
                if let Some(snapshot) = &job.snapshot {
                    put_snapshot(tx, job.seq, snapshot)?;
                }
            }
            Ok::<(), StoreError>(())
        });
        if let Err(e) = &result {
            // Set before any `done` runs, so that nobody hears of the failure while the
            // sequencer could still apply another command.
            failure.set(e.to_string());
            let first = batch.iter().map(|j| j.seq).min().unwrap_or_default();
            let last = batch.iter().map(|j| j.seq).max().unwrap_or_default();
            tracing::error!(
                error = %e,
                first_seq = first,
                last_seq = last,
                jobs = batch.len(),
                "journal commit failed: the server stops applying commands (fail-stop) and answers StorageFailed; \
                 fix the storage and restart it to recover to the last durable state"
            );
        }
        stats.commits += 1;
        stats.commands += entries.len() as u64;
        let result = result.map_err(|e| e.to_string());
        for job in batch.drain(..) {
            (job.done)(result.clone(), job.account_events);
        }
    }
    stats
}

/// Retention of the account event log: for each account written in this batch, delete its
/// events older than the newest `keep_account_events`, oldest first, at most
/// `prune_per_batch` rows in all (a backlog, e.g. after lowering the setting, shrinks over
/// the next batches instead of stalling this one).
fn prune(events: &mut redb::Table<(u64, u64), &[u8]>, last_cursor: &std::collections::BTreeMap<u64, u64>, config: &CommitterConfig) -> Result<(), StoreError> {
    let keep = config.keep_account_events;
    if keep == 0 {
        return Ok(());
    }
    let mut budget = config.prune_per_batch;
    for (&account, &last) in last_cursor {
        if budget == 0 {
            break;
        }
        let Some(newest_gone) = last.checked_sub(keep) else { continue };
        let old: Vec<(u64, u64)> =
            events.range((account, 0)..=(account, newest_gone))?.take(budget).map(|row| row.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
        budget -= old.len();
        for key in old {
            events.remove(key)?;
        }
    }
    Ok(())
}
