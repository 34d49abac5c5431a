//! Every `ErrorCode`, written once for the tests that need the whole list: `vectors.rs`
//! records each one's encoding, `fuzz.rs` draws from it.
//!
//! `vectors.rs` (`schema_matches_the_rust_types`) fails when a variant is missing here: the
//! recorded indices must be 0..n, and index n must not decode.

use entrepot_protocol::ErrorCode::{self, *};

/// All variants, in declaration order (the order of their wire indices).
pub const ALL: [ErrorCode; 17] = [
    BadFrame,
    FrameTooLarge,
    UnsupportedVersion,
    HelloRequired,
    NotAuthenticated,
    Forbidden,
    RateLimited,
    LockedOut,
    InvalidCredentials,
    EmailTaken,
    EmailNotConfirmed,
    InvalidToken,
    InvalidArgument,
    NotFound,
    Rejected,
    ShuttingDown,
    Internal,
];
