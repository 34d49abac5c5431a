//! # entrepot-plugins: the host side of Entrepot's WebAssembly plugins
//!
//! Modders change the rules with components implementing a world of the WIT package
//! `entrepot:plugin@0.2.0` (`wit/plugin.wit`): `market-rules`, `bet-type` or `notifier`.
//! Plugins propose, the host disposes: this crate runs them sandboxed and metered, and
//! turns any misbehaviour into "no answer", on which the caller applies the native rule.
//!
//! - [`Runtime`] (any thread, cheap to clone): the wasmtime engine, the epoch ticker and
//!   the compile cache; [`Runtime::load`] reads `<name>.toml` + `<name>.wasm` into an
//!   immutable [`Plugin`].
//! - [`PluginHost`] (the engine thread): installs plugins (hot reload by name), keeps one
//!   store per plugin, applies per-call limits (fuel, deadline, memory, host calls, output
//!   size) and the fault policy (fresh instance after a fault, quarantine after
//!   repeated faults), and reports [`PluginStatus`] with metrics.
//! - `impl entrepot_core::Rules for PluginHost`: the engine's seam for bound markets.
//!
//! Module map: `manifest` (the TOML), `runtime` (engine, cache, ticker, load), `plugin`
//! (a loaded plugin), `bindings` (the `bindgen!` worlds), `sandbox` (store data, WASI
//! lock-down, limits, call guard), `host` (installs, fault policy), `rules` (the engine
//! seam), `metrics`, `types` (plain mirrors of the WIT records), `error`.

mod bindings;
mod error;
mod host;
mod manifest;
mod metrics;
mod plugin;
mod rules;
mod runtime;
mod sandbox;
mod types;

pub use error::{FaultKind, PluginError, PluginFault};
pub use host::{PluginHost, PluginStatus, QUARANTINE_FAULTS, QUARANTINE_WINDOW};
pub use manifest::{Applies, Limits, Manifest, World, SUPPORTED_WIT};
pub use metrics::{FaultCounts, PluginMetrics};
pub use plugin::Plugin;
pub use runtime::{Runtime, RuntimeConfig, MAX_WASM_STACK};
pub use types::{
    AccountConfirmation, AccountCreated, AlertState, BetOutcome, BetSettled, BetSpec, BetStatus, Channel, EventKind, EventResult, MarketInfo, Notification,
    NotifyEvent, OrderFilled, ParticipantScore, PasswordReset, PriceAlert,
};

#[cfg(test)]
mod tests {
    /// The threading contract: a runtime and its plugins are shared across threads (loads
    /// happen anywhere), a host moves to the engine thread.
    #[test]
    fn thread_bounds() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<crate::Runtime>();
        send_sync::<crate::Plugin>();
        send::<crate::PluginHost>();
    }
}
