//! Every `ErrorCode`, for the tests that need the whole list: `vectors.rs` records each
//! one's encoding, `fuzz.rs` draws from it. The list itself is `ErrorCode::ALL`.
//!
//! `vectors.rs` (`schema_matches_the_rust_types`) fails when a variant is missing there: the
//! recorded indices must be 0..n, and index n must not decode.

use entrepot_protocol::ErrorCode;

/// All variants, in declaration order (the order of their wire indices).
pub const ALL: [ErrorCode; 21] = ErrorCode::ALL;
