//! The API errors the server answers with, built in one place.

use entrepot_core::RejectReason;
use entrepot_protocol::{ApiError, ErrorCode};

pub fn err(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

/// An unexpected failure (a join error, a storage error) as an `Internal` error.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    err(ErrorCode::Internal, e.to_string())
}

/// An engine rejection: the reason's variant name and its text.
pub fn rejected(reason: RejectReason) -> ApiError {
    let name = format!("{reason:?}");
    let name = name.split([' ', '(', '{']).next().unwrap_or_default().to_string();
    ApiError { code: ErrorCode::Rejected, reason: name, message: reason.to_string(), retry_after_ms: None }
}

/// `RejectReason::ExposureLimit` with the largest stake still taken in the wallet
/// currency's units (the engine's reason carries minor units).
pub fn exposure_refused(max_stake: rust_decimal::Decimal) -> ApiError {
    let message = format!("the house takes at most {max_stake} more on this selection");
    ApiError { code: ErrorCode::Rejected, reason: "ExposureLimit".into(), message, retry_after_ms: None }
}

/// A per-player quota (`max_groups_owned`, `max_groups_joined`) is used up.
pub fn quota_exceeded(what: &str, max: u32) -> ApiError {
    err(ErrorCode::QuotaExceeded, format!("at most {max} {what} at once"))
}

pub fn shutting_down() -> ApiError {
    ApiError::new(ErrorCode::ShuttingDown, "the server is shutting down; reconnect shortly")
}

/// The journal failed to commit and the server stopped applying commands (fail-stop):
/// nothing the request asked for happened, or it is not durable and will not be after a
/// restart. The operator has to fix the storage and restart the server.
pub fn storage_failed() -> ApiError {
    ApiError::new(
        ErrorCode::StorageFailed,
        "the server could not write to its storage and stopped accepting requests; nothing was done. Try again once it is restarted",
    )
}
