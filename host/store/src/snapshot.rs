//! Engine snapshots on disk: the one place a snapshot is encoded or decoded.
//!
//! Version 1 (this build): header (`format`), then the row `(state_hash, engine)` where
//! `engine` is `bincode(Engine)`. The state hash is checked when decoding, so a payload
//! whose layout changed under the same version cannot pass for a valid engine.
//! Version 0: the layout before versions, a bare `bincode(Engine)`; never decoded (the
//! engine's in-memory layout is not a stable format), recovery rebuilds from the journal.
//!
//! Bump [`SNAPSHOT_VERSION`] whenever the payload's layout changes. Plugging in the
//! core's versioned `Snapshot` type is a change to the two functions below only.

use entrepot_core::Engine;

use crate::codec::{decode_row, encode_row_into};
use crate::{format, StoreError};

/// The snapshot version this build writes and the only one it reads.
pub const SNAPSHOT_VERSION: u8 = 1;

/// Encode the engine's state as of its last applied command.
pub fn encode_engine(engine: &Engine) -> Vec<u8> {
    let mut out = format::header(SNAPSHOT_VERSION);
    encode_row_into(&(engine.state_hash(), engine), &mut out);
    out
}

/// Decode the snapshot stored under `seq`. A snapshot of another version is refused
/// with [`StoreError::Version`]; the caller decides whether it can do without it.
pub fn decode_engine(seq: u64, bytes: &[u8]) -> Result<Engine, StoreError> {
    let (version, body) = format::split("snapshot", seq, bytes)?;
    if version != SNAPSHOT_VERSION {
        return Err(StoreError::Version { what: "snapshot", seq, found: version, reads: SNAPSHOT_VERSION });
    }
    let (hash, engine): (u64, Engine) = decode_row(body).map_err(|e| StoreError::Corrupt { seq, why: format!("snapshot: {e}") })?;
    let got = engine.state_hash();
    if got != hash {
        return Err(StoreError::Corrupt {
            seq,
            why: format!("snapshot decodes to state hash {got:016x}, but {hash:016x} was written (payload layout changed without a new SNAPSHOT_VERSION?)"),
        });
    }
    Ok(engine)
}
