//! # entrepot-store
//!
//! Everything the server keeps on disk lives in one redb file. The engine's input is
//! journaled (command + the context it ran with) before anyone is told it happened;
//! snapshots bound recovery time. Recovery = newest snapshot + replay of the journal after
//! it, and because the engine is deterministic the state hash comes back identical.
//!
//! * [`schema`]: every table of the file (the server's too), key → value, who writes it.
//! * [`codec`]: the one row encoding (bincode, standard config).
//! * [`format`]: versions of the data directory and of journal/snapshot records.
//! * [`journal`]: journal entries, [`Store`] (append, recover, verify).
//! * [`snapshot`]: the one place engine snapshots are encoded and decoded.
//! * [`committer`]: group commit.

pub mod codec;
pub mod committer;
pub mod format;
pub mod journal;
pub mod schema;
pub mod snapshot;

pub use committer::{CommitStats, Committer, CommitterConfig, Failure, Job, Write};
pub use journal::{put_marketdata, JournalEntry, Recovered, Store, StoreError, VerifyReport};
