//! Group commit: one thread owns the write side of the journal. Jobs arrive in command
//! order; it takes everything queued (up to `max_batch`, waiting at most `max_wait` after
//! the first job for more), writes them in one durable redb transaction, and only then
//! runs each job's `done` callback, which is where the server acknowledges the client.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::journal::{put_snapshot, Store, StoreError};
use crate::schema::{ACCOUNT_CURSORS, ACCOUNT_EVENTS, INBOX};

/// Runs after the job's batch is durable (or failed), getting back its account events.
pub type Done = Box<dyn FnOnce(Result<(), String>, Vec<(u64, u64, Vec<u8>)>) + Send>;

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
    pub done: Done,
}

#[derive(Clone, Copy, Debug)]
pub struct CommitterConfig {
    pub max_batch: usize,
    pub max_wait: Duration,
    pub queue: usize,
}

impl Default for CommitterConfig {
    fn default() -> Self {
        CommitterConfig { max_batch: 8192, max_wait: Duration::from_micros(500), queue: 65_536 }
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
}

impl Committer {
    pub fn spawn(store: Arc<Store>, config: CommitterConfig) -> Committer {
        let (sender, receiver) = sync_channel(config.queue);
        let thread = std::thread::Builder::new().name("journal".into()).spawn(move || run(&store, config, receiver)).expect("spawn journal thread");
        Committer { sender: Some(sender), thread: Some(thread) }
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

fn run(store: &Store, config: CommitterConfig, receiver: Receiver<Job>) -> CommitStats {
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
        entries.clear();
        entries.extend(batch.iter_mut().filter_map(|j| j.entry.take().map(|e| (j.seq, e))));
        let result = store.append(&entries, |tx| {
            let mut events = tx.open_table(ACCOUNT_EVENTS)?;
            last_cursor.clear();
            for job in &batch {
                for (account, cursor, bytes) in &job.account_events {
                    events.insert((*account, *cursor), bytes.as_slice())?;
                    last_cursor.insert(*account, *cursor);
                }
            }
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
            for job in &batch {
                if let Some(snapshot) = &job.snapshot {
                    put_snapshot(tx, job.seq, snapshot)?;
                }
            }
            Ok::<(), StoreError>(())
        });
        if let Err(e) = &result {
            tracing::error!(error = %e, "journal commit failed");
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
