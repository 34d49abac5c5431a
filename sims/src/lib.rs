//! `entrepot-sim`: run a designer's economy scenario offline through the very engine the
//! server uses, and write a report.
//!
//! - [`scenario`]: the TOML scenario format, `--set` overrides, validation;
//! - [`agents`]: the archetypes (noise, market maker, value, gatherer, consumer);
//! - [`exchange`]: the engine driver that stamps commands and counts events;
//! - [`run`]: set-up, the game-time event queue, samples and ledger checks;
//! - [`report`]: `summary.json`, `series.csv`, `report.html`.
//!
//! Deterministic: a scenario and a seed name one run, down to the report's bytes.

pub mod agents;
pub mod exchange;
pub mod report;
pub mod run;
pub mod scenario;

pub use report::Report;
pub use run::{run, RunOutput};
pub use scenario::Scenario;

/// Anything that stops a simulation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file cannot be read, parsed or validated.
    #[error("{file}: {message}")]
    Scenario {
        /// The file.
        file: String,
        /// What is wrong, naming the field (and line, for errors in the text itself).
        message: String,
    },
    /// The engine refused a set-up command (a market's steps, a starting balance...).
    #[error("setup: {0}")]
    Setup(String),
    /// The ledger or the books broke an invariant: a bug in the engine or the simulator.
    #[error("ledger check failed at game minute {minute}: {message}")]
    Invariant {
        /// Game minute of the failed sample.
        minute: u64,
        /// The first breach.
        message: String,
    },
    /// Writing the report failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
