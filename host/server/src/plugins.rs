//! Plugins in the running server: loading from the plugins directory and by admin command,
//! hot reload, and binding markets to rules plugins. What notifiers are asked and how their
//! answers are delivered is `notify.rs`.
//!
//! Compiling a plugin is slow, so it happens off the engine thread (`load`); the swap itself
//! (`PluginOp::Install`) runs on the engine thread between two commands, followed at once by
//! the journaled `BindRules` commands that point the markets at the new hash. No command
//! ever runs half on the old and half on the new version, and the journal says which hash
//! decided what.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use entrepot_core::{Engine, Event, MarketId};
use entrepot_plugins::{MarketInfo, Plugin, PluginHost, PluginStatus, Runtime, World};
use entrepot_protocol::{ApiError, ErrorCode, PluginInfo};

/// What an admin asks of the plugins; answered on the engine thread.
pub enum PluginOp {
    /// Install (or replace) a loaded plugin and bind markets to it: those its manifest
    /// lists plus those already bound to its name.
    Install {
        plugin: Arc<Plugin>,
    },
    Unload {
        name: String,
    },
    Bind {
        market: MarketId,
        name: Option<String>,
    },
    List,
}

/// Load a plugin (compile or read the compiled cache). Blocking: call off the engine thread.
pub fn load(runtime: &Runtime, manifest: &Path) -> Result<Arc<Plugin>, ApiError> {
    runtime.load(manifest).map_err(|e| ApiError::new(ErrorCode::InvalidArgument, format!("{}: {e}", manifest.display())))
}

/// Every `*.toml` manifest in the plugins directory, sorted by name.
pub fn manifests_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// The engine thread's plugin state: the host with its stores.
pub struct Plugins {
    pub host: PluginHost,
    /// Whether any notifier is installed (saves building notifier events otherwise).
    notifiers: bool,
}

impl Plugins {
    pub fn new(runtime: Runtime) -> Plugins {
        Plugins { host: PluginHost::new(runtime), notifiers: false }
    }

    pub fn install(&mut self, plugin: Arc<Plugin>) -> Result<(), ApiError> {
        self.host.install(plugin).map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.to_string()))?;
        self.refresh();
        Ok(())
    }

    pub fn unload(&mut self, name: &str) -> Result<Arc<Plugin>, ApiError> {
        let plugin = self.host.remove(name).ok_or_else(|| not_loaded(name))?;
        self.refresh();
        Ok(plugin)
    }

    fn refresh(&mut self) {
        self.notifiers = self.host.status().iter().any(|s| s.world == World::Notifier);
    }

    /// Markets a freshly installed rules plugin should decide: its manifest's, plus those
    /// already bound to its name (a reload keeps them).
    pub fn markets_for(&self, engine: &Engine, plugin: &Plugin) -> Vec<MarketId> {
        if plugin.world() != World::MarketRules {
            return Vec::new();
        }
        let mut markets: Vec<MarketId> = plugin.manifest.applies.markets.iter().map(|&m| MarketId(m)).collect();
        markets.extend(engine.rules_bindings().into_iter().filter(|(_, b)| b.name == plugin.name()).map(|(m, _)| m));
        markets.sort_by_key(|m| m.0);
        markets.dedup();
        markets.retain(|&m| engine.market_spec(m).is_some());
        markets
    }

    /// Static market facts for the `market-info` import.
    pub fn set_markets(&mut self, engine: &Engine) {
        let infos = engine
            .markets()
            .into_iter()
            .filter_map(|entrepot_core::MarketInfo { spec, .. }| {
                let u = engine.market_units(spec.id)?;
                Some(MarketInfo {
                    market: spec.id.0,
                    symbol: spec.symbol.clone(),
                    tick: spec.tick.normalize().to_string(),
                    lot: spec.lot.normalize().to_string(),
                    quote_decimals: u.quote_decimals,
                    base_decimals: u.base_decimals,
                    tick_value: u.tick_value,
                })
            })
            .collect();
        self.host.set_markets(infos);
    }

    /// What the admin sees: every plugin with the markets bound to it.
    pub fn infos(&self, engine: &Engine) -> Vec<PluginInfo> {
        let bindings = engine.rules_bindings();
        self.host.status().into_iter().map(|s| info(s, &bindings)).collect()
    }

    /// Follow one command's events: rules plugins learn new markets' facts and their
    /// markets' status changes.
    pub fn observe(&mut self, engine: &Engine, events: &[Event]) {
        for e in events {
            match *e {
                Event::MarketCreated { .. } => self.set_markets(engine),
                Event::MarketChanged { market, status } => self.host.market_status_changed(market.0, status),
                _ => {}
            }
        }
    }

    /// Whether any notifier is installed (saves building notifier events otherwise).
    pub fn has_notifiers(&self) -> bool {
        self.notifiers
    }
}

fn info(s: PluginStatus, bindings: &[(MarketId, &entrepot_core::PluginBinding)]) -> PluginInfo {
    let world = match s.world {
        World::MarketRules => "market-rules",
        World::BetType => "bet-type",
        World::Notifier => "notifier",
    };
    PluginInfo {
        markets: bindings.iter().filter(|(_, b)| b.name == s.name).map(|(m, _)| m.0).collect(),
        name: s.name,
        version: s.version,
        world: world.into(),
        hash: s.hash,
        quarantined: s.quarantined,
        calls: s.metrics.calls,
        p50_ns: s.metrics.p50_ns,
        p99_ns: s.metrics.p99_ns,
        fuel_used: s.metrics.fuel_used_total,
        faults: s.metrics.faults.total(),
        quarantines: s.metrics.quarantines,
    }
}

/// Where each loaded plugin's manifest is, for reload (shared by connections).
#[derive(Default)]
pub struct Paths(Mutex<HashMap<String, PathBuf>>);

impl Paths {
    pub fn set(&self, name: &str, path: PathBuf) {
        self.0.lock().expect("lock").insert(name.into(), path);
    }
    pub fn get(&self, name: &str) -> Option<PathBuf> {
        self.0.lock().expect("lock").get(name).cloned()
    }
    pub fn remove(&self, name: &str) {
        self.0.lock().expect("lock").remove(name);
    }
}

pub fn not_loaded(name: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no plugin named {name:?} is loaded"))
}
