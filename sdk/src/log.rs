//! The server's log, tagged with the plugin's name by the host.
//!
//! Each call is one host call, and the host limits host calls per invocation (64 by
//! default), so log sparingly on hot paths such as `check-order`. Natively the lines are
//! captured by [`crate::testing`].

pub use crate::types::LogLevel;

/// Write one line at `level`.
pub fn log(level: LogLevel, message: &str) {
    crate::host::log(level, message)
}

/// Write one line at level `trace`.
pub fn trace(message: &str) {
    log(LogLevel::Trace, message)
}

/// Write one line at level `debug`.
pub fn debug(message: &str) {
    log(LogLevel::Debug, message)
}

/// Write one line at level `info`.
pub fn info(message: &str) {
    log(LogLevel::Info, message)
}

/// Write one line at level `warn`.
pub fn warn(message: &str) {
    log(LogLevel::Warn, message)
}

/// Write one line at level `error`.
pub fn error(message: &str) {
    log(LogLevel::Error, message)
}
