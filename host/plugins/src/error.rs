//! Errors: [`PluginError`] when a plugin cannot be loaded or installed (an operator's
//! problem, reported with the file and what to fix), [`PluginFault`] when a call gives no
//! answer (the plugin's problem, counted and survived).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::manifest::{World, SUPPORTED_WIT};

/// A plugin that cannot be loaded or installed.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot read plugin manifest {}: {source}", path.display())]
    ReadManifest { path: PathBuf, source: std::io::Error },

    #[error("invalid plugin manifest {}: {message}", path.display())]
    Manifest { path: PathBuf, message: String },

    #[error(
        "plugin manifest {}: plugin {name:?} targets WIT package {found:?}, but this host supports {SUPPORTED_WIT:?} only; rebuild the plugin against that package",
        path.display()
    )]
    WitVersion { path: PathBuf, name: String, found: String },

    #[error("cannot read the wasm of plugin {name:?} at {} (it must sit beside its manifest, same name with .wasm): {source}", path.display())]
    ReadWasm { path: PathBuf, name: String, source: std::io::Error },

    #[error("plugin {name:?} ({}) is not a valid WebAssembly component: {message}", path.display())]
    Compile { path: PathBuf, name: String, message: String },

    #[error("plugin {name:?} does not fit the `{world}` world of {SUPPORTED_WIT}: {message}")]
    WorldMismatch { name: String, world: World, message: String },

    #[error("plugin {name:?} could not be instantiated: {message}")]
    Instantiate { name: String, message: String },

    #[error("plugin {name:?} claims bet type {bet_type:?}, which plugin {owner:?} already handles; remove that one first")]
    BetTypeTaken { name: String, bet_type: String, owner: String },

    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
}

/// What went wrong in one call, for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FaultKind {
    /// A WebAssembly trap: `unreachable` (a Rust panic), stack overflow, bad memory access,
    /// or a failed instantiation.
    Trap,
    /// The call used up its fuel (`[limits] fuel`).
    OutOfFuel,
    /// The call ran past its wall-clock deadline (`[limits] deadline_ms`).
    Deadline,
    /// The instance tried to grow its memory past `[limits] memory_bytes`.
    Memory,
    /// The call made more than `[limits] host_calls` host calls.
    HostCalls,
    /// The answer was larger than `[limits] output_bytes`, or not a valid answer.
    Output,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [FaultKind::Trap, FaultKind::OutOfFuel, FaultKind::Deadline, FaultKind::Memory, FaultKind::HostCalls, FaultKind::Output];
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FaultKind::Trap => "trapped",
            FaultKind::OutOfFuel => "ran out of fuel",
            FaultKind::Deadline => "passed its deadline",
            FaultKind::Memory => "hit its memory limit",
            FaultKind::HostCalls => "made too many host calls",
            FaultKind::Output => "gave an oversized or invalid answer",
        })
    }
}

/// A call that produced no answer. The caller applies its fallback (the native rule).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PluginFault {
    /// No installed plugin handles this (name, bet type).
    #[error("no plugin is installed for {0:?}")]
    NotInstalled(String),

    /// The plugin is installed but quarantined after repeated faults, until it is reloaded.
    #[error("plugin {plugin:?} is quarantined ({reason}); reload it to try again")]
    Quarantined { plugin: String, reason: String },

    /// The call itself failed; the plugin's instance was thrown away.
    #[error("plugin {plugin:?} {kind}: {detail}")]
    Faulted { plugin: String, kind: FaultKind, detail: String },
}

impl PluginFault {
    /// The kind of fault, for a call that failed (not for an unavailable plugin).
    pub fn kind(&self) -> Option<FaultKind> {
        match self {
            PluginFault::Faulted { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}
