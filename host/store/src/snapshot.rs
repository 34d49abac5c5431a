//! Engine snapshots on disk: the one place a snapshot is encoded or decoded.
//!
//! Version 2 (this build): as version 1, with the players' alert definitions in the
//! core's snapshot (its `VERSION` 2). A version-1 snapshot is skipped on recovery, which
//! replays the journal instead (it is never truncated).
//! Version 1: header (`format`), then the row `(state_hash, snapshot)` where
//! `snapshot` is the core's versioned logical state (`entrepot_core::Snapshot`, its
//! `VERSION` 1), never the engine's memory layout. The state hash is checked when decoding,
//! so a payload whose layout changed under the same version cannot pass for a valid engine.
//! Version 0: the layout before versions, a bare `bincode(Engine)`; never decoded (the
//! engine's in-memory layout is not a stable format), recovery rebuilds from the journal.
//!
//! [`SNAPSHOT_VERSION`] follows `entrepot_core::Snapshot::VERSION` (checked at compile
//! time): a change to the core's snapshot layout bumps both.

use entrepot_core::{Engine, Snapshot};

use crate::codec::{decode_row, encode_row_into};
use crate::{format, StoreError};

/// The snapshot version this build writes and the only one it reads.
pub const SNAPSHOT_VERSION: u8 = 2;
const _: () = assert!(Snapshot::VERSION == SNAPSHOT_VERSION as u32, "bump SNAPSHOT_VERSION with entrepot_core::Snapshot::VERSION");

/// Encode the engine's state as of its last applied command.
pub fn encode_engine(engine: &Engine) -> Vec<u8> {
    let mut out = format::header(SNAPSHOT_VERSION);
    encode_row_into(&(engine.state_hash(), engine.snapshot()), &mut out);
    out
}

/// Decode the snapshot stored under `seq`. A snapshot of another version is refused
/// with [`StoreError::Version`]; the caller decides whether it can do without it.
pub fn decode_engine(seq: u64, bytes: &[u8]) -> Result<Engine, StoreError> {
    let (version, body) = format::split("snapshot", seq, bytes)?;
    if version != SNAPSHOT_VERSION {
        return Err(StoreError::Version { what: "snapshot", seq, found: version, reads: SNAPSHOT_VERSION });
    }
    let (hash, snapshot): (u64, Snapshot) = decode_row(body).map_err(|e| StoreError::Corrupt { seq, why: format!("snapshot: {e}") })?;
    let engine = Engine::from_snapshot(snapshot);
    let got = engine.state_hash();
    if got != hash {
        return Err(StoreError::Corrupt {
            seq,
            why: format!("snapshot decodes to state hash {got:016x}, but {hash:016x} was written (payload layout changed without a new SNAPSHOT_VERSION?)"),
        });
    }
    Ok(engine)
}
