//! A loaded plugin: its manifest, the hash of its code, and its pre-instantiated component.
//! Immutable and shareable (`Arc<Plugin>`): loading happens on any thread, instantiating
//! on the engine thread.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Engine;

use crate::bindings::bet_type::BetTypePre;
use crate::bindings::market_rules::MarketRulesPre;
use crate::bindings::notifier::NotifierPre;
use crate::manifest::{Manifest, World};
use crate::sandbox::StoreData;

/// The component, linked and checked against its world's exports.
pub(crate) enum WorldPre {
    MarketRules(MarketRulesPre<StoreData>),
    BetType(BetTypePre<StoreData>),
    Notifier(NotifierPre<StoreData>),
}

impl WorldPre {
    pub fn engine(&self) -> &Engine {
        match self {
            WorldPre::MarketRules(p) => p.engine(),
            WorldPre::BetType(p) => p.engine(),
            WorldPre::Notifier(p) => p.engine(),
        }
    }
}

pub struct Plugin {
    pub manifest: Manifest,
    /// SHA-256 of the `.wasm` file: what a market binding names, and the RNG seed.
    pub hash: [u8; 32],
    pub(crate) pre: WorldPre,
    /// `[config]` as `host.config()` hands it out (shared by every instance).
    pub(crate) config: Arc<[(String, String)]>,
    pub(crate) load_time: Duration,
    pub(crate) from_cache: bool,
}

impl Plugin {
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    pub fn world(&self) -> World {
        self.manifest.world
    }

    /// The binding a market governed by this plugin carries in the journal.
    pub fn binding(&self) -> entrepot_core::PluginBinding {
        entrepot_core::PluginBinding {
            name: self.manifest.name.clone(),
            version: self.manifest.version.clone(),
            hash: self.hash,
            buy_window_ms: self.manifest.buy_window_ms,
        }
    }

    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }

    /// Wall time `Runtime::load` took: manifest, read, hash, compile or cache, link, check.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Whether the machine code came from the on-disk compile cache.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    pub(crate) fn engine(&self) -> &Engine {
        self.pre.engine()
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("world", &self.manifest.world)
            .field("hash", &self.hash_hex())
            .field("from_cache", &self.from_cache)
            .finish_non_exhaustive()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
