//! Versioned on-disk formats.
//!
//! * **The data directory** has a layout version, `META[FORMAT_VERSION]` =
//!   [`STORE_FORMAT`]. `Store::open` refuses a directory with a higher version (written by
//!   a newer build) and marks an older or unmarked one with this build's version.
//!   Layout 0 (no marker) is the layout before versions existed.
//! * **Journal entries and snapshots** each start with a 2-byte header, [`MAGIC`] and a
//!   version byte, then their [`crate::codec`] body. `MAGIC` (0xFF) can never begin a
//!   layout-0 record: those begin with a bincode varint (a `u64` seq for journal
//!   entries, the engine config's `u64` for snapshots), whose first byte is at most 0xFE.
//!   So a record without the header is a layout-0 record, with version 0.
//!
//! What each version means and which ones this build reads is in `journal.rs`
//! (`JOURNAL_VERSION`) and `snapshot.rs` (`SNAPSHOT_VERSION`).

use crate::StoreError;

/// The layout of the data directory written by this build.
///
/// 1: `META[FORMAT_VERSION]` present; journal entries and snapshots carry the header.
pub const STORE_FORMAT: u64 = 1;

/// First byte of every versioned record.
pub const MAGIC: u8 = 0xFF;

/// A new record buffer holding just the header for `version`.
pub fn header(version: u8) -> Vec<u8> {
    vec![MAGIC, version]
}

/// Split a stored record into (version, body); a record without the header is version 0
/// (the whole record is the body).
pub fn split<'a>(what: &'static str, seq: u64, bytes: &'a [u8]) -> Result<(u8, &'a [u8]), StoreError> {
    match bytes {
        [] => Err(StoreError::Corrupt { seq, why: format!("empty {what}") }),
        [MAGIC] => Err(StoreError::Corrupt { seq, why: format!("{what} is a bare header") }),
        [MAGIC, version, body @ ..] => Ok((*version, body)),
        body => Ok((0, body)),
    }
}
