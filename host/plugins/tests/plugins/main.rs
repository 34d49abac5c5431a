//! Integration tests of the plugin runtime against real compiled components: the bundled
//! plugins and the hostile ones, as staged by `cargo xtask plugins`, and the exact settlement
//! vectors through the bet-type plugins (`vectors.rs`: `$ENTREPOT_VECTORS_DIR`, else
//! `tests/vectors/`).
//!
//! The plugins are found in `$ENTREPOT_PLUGIN_DIR`, else `<target dir>/plugins` (target
//! dir from `$CARGO_TARGET_DIR`, else `<workspace>/target`).

mod common;

mod bundled;
mod cache;
mod hostile;
mod manifest;
mod reload;
mod vectors;
