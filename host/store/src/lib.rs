//! # entrepot-store
//!
//! Everything the server keeps on disk lives in one redb file. The engine's input is
//! journaled (command + the context it ran with) before anyone is told it happened;
//! snapshots bound recovery time. Recovery = newest snapshot + replay of the journal after
//! it, and because the engine is deterministic the state hash comes back identical.

pub mod committer;
pub mod journal;

pub use committer::{CommitStats, Committer, CommitterConfig, Job, ACCOUNT_CURSORS, ACCOUNT_EVENTS, INBOX};
pub use journal::{JournalEntry, Recovered, Store, StoreError, VerifyReport};
