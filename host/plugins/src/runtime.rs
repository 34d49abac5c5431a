//! The shared wasmtime machinery: one [`Engine`], one linker, the epoch ticker, the
//! on-disk compile cache, and [`Runtime::load`].
//!
//! # Engine settings, and why
//!
//! - **Fuel and epoch interruption both on.** Fuel bounds the work of a call exactly and
//!   deterministically (a loop runs out at the same instruction every time); the epoch
//!   deadline bounds wall time when the work is cheap in fuel but slow (a huge
//!   `memory.fill`, host calls). A ticker thread increments the epoch every
//!   [`RuntimeConfig::epoch_tick`].
//! - **A 512 KiB wasm stack** (`max_wasm_stack`), far below the engine thread's own
//!   stack: runaway recursion traps within a millisecond and never threatens the host.
//!   (Rust guests usually exhaust their shadow stack in linear memory first, which traps
//!   as an out-of-bounds access; either way it is a trap.)
//! - **Cranelift at `speed`.** Plugins are compiled once per version (and cached on disk)
//!   and called on every order.
//! - **On-demand instance allocation, not the pooling allocator.** Measured with the
//!   bundled price-band plugin on a 2-core machine (`tests/plugins/reload.rs`, best of 20
//!   installs): instantiation takes ~23 µs on demand against ~15 µs pooled (first install
//!   ~95 µs against ~30 µs), and per-call time is the same (~0.55 µs p50 for a trivial
//!   `check-order`). The pool does help instantiation, but instantiating happens only at
//!   install (hot reload) and after a fault, never per call, so it saves ~10 µs on rare
//!   events. In exchange it would impose engine-wide limits fixed at start-up: a number
//!   of slots shared by every host and every `load` in flight (an exhausted pool makes
//!   instantiation fail, i.e. a healthy plugin faults) and one memory slot size capping
//!   every manifest's `memory_bytes`. Not worth it here; revisit if instances become
//!   per-call.
//!
//! # Compile cache
//!
//! `<cache_dir>/<sha256 of the wasm>-<engine compatibility hash>.cwasm`, written
//! atomically (temp file + rename). The engine hash (wasmtime version and every compile
//! setting) is in the name, so an upgrade or a settings change misses rather than loads
//! incompatible code; wasmtime checks it again when loading. An unreadable or corrupt
//! entry is logged and replaced. Stale entries are never used and may be deleted at any
//! time. Measured: price-band loads in ~220 ms compiled, ~1 ms from the cache.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, OptLevel};

use crate::bindings::bet_type::BetTypePre;
use crate::bindings::market_rules::MarketRulesPre;
use crate::bindings::notifier::NotifierPre;
use crate::error::PluginError;
use crate::manifest::{Manifest, World};
use crate::plugin::{hex, Plugin, WorldPre};
use crate::sandbox::{self, Live, StoreData};

/// The most wasm stack a plugin call may use.
pub const MAX_WASM_STACK: usize = 512 << 10;

#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Where compiled plugins are cached (created if missing). `None`: compile every load.
    ///
    /// The cache holds native code that is loaded without re-verification: it must be
    /// writable by the server only, like the server's own binary.
    pub cache_dir: Option<PathBuf>,
    /// Period of the epoch ticker, the resolution of the per-call deadlines.
    pub epoch_tick: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig { cache_dir: None, epoch_tick: Duration::from_millis(1) }
    }
}

/// The plugin runtime: cheap to clone, shareable across threads. The epoch ticker stops
/// when the last clone is dropped.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<StoreData>,
    cache_dir: Option<PathBuf>,
    /// The engine's precompile compatibility hash, as it appears in cache file names.
    engine_hash: String,
    epoch_tick: Duration,
    /// Held for its `Drop`: stops the thread with the last clone.
    _ticker: Ticker,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Runtime, PluginError> {
        let engine_err = |e: wasmtime::Error| PluginError::Engine(format!("{e:#}"));
        let mut wasm = Config::new();
        wasm.wasm_component_model(true).consume_fuel(true).epoch_interruption(true).max_wasm_stack(MAX_WASM_STACK).cranelift_opt_level(OptLevel::Speed);
        let engine = Engine::new(&wasm).map_err(engine_err)?;
        let linker = sandbox::linker(&engine).map_err(engine_err)?;
        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir).map_err(|e| PluginError::Engine(format!("cannot create the plugin cache directory {}: {e}", dir.display())))?;
        }
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_hash = format!("{:016x}", hasher.finish());
        let epoch_tick = config.epoch_tick.max(Duration::from_micros(100));
        let ticker = Ticker::start(engine.clone(), epoch_tick).map_err(|e| PluginError::Engine(format!("cannot start the epoch ticker: {e}")))?;
        Ok(Runtime { inner: Arc::new(Inner { engine, linker, cache_dir: config.cache_dir, engine_hash, epoch_tick, _ticker: ticker }) })
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn epoch_tick(&self) -> Duration {
        self.inner.epoch_tick
    }

    /// Parse the manifest, read `<stem>.wasm` beside it, check the world and WIT version,
    /// compile (or load from the compile cache), link against the world, and instantiate
    /// once in a throwaway store so that an export of the wrong type or a component that
    /// traps at start-up is refused here rather than at install. Any thread.
    pub fn load(&self, manifest_path: &Path) -> Result<Arc<Plugin>, PluginError> {
        let start = Instant::now();
        let manifest = Manifest::load(manifest_path)?;
        let name = manifest.name.clone();
        let wasm_path = manifest_path.with_extension("wasm");
        let bytes = std::fs::read(&wasm_path).map_err(|source| PluginError::ReadWasm { path: wasm_path.clone(), name: name.clone(), source })?;
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        let (component, from_cache) = self.component(&name, &wasm_path, &bytes, &hash)?;

        let world = manifest.world;
        let mismatch = |e: wasmtime::Error| PluginError::WorldMismatch { name: name.clone(), world, message: format!("{e:#}") };
        let pre = self.inner.linker.instantiate_pre(&component).map_err(mismatch)?;
        let pre = match world {
            World::MarketRules => WorldPre::MarketRules(MarketRulesPre::new(pre).map_err(mismatch)?),
            World::BetType => WorldPre::BetType(BetTypePre::new(pre).map_err(mismatch)?),
            World::Notifier => WorldPre::Notifier(NotifierPre::new(pre).map_err(mismatch)?),
        };
        let config = manifest.config.clone().into();
        let mut plugin = Plugin { manifest, hash, pre, config, load_time: Duration::ZERO, from_cache };
        Live::new(&plugin, Arc::default(), self.inner.epoch_tick).map_err(|fault| PluginError::Instantiate { name: name.clone(), message: fault.detail })?;
        plugin.load_time = start.elapsed();
        tracing::info!(
            plugin = %name,
            version = %plugin.manifest.version,
            world = %world,
            hash = %plugin.hash_hex(),
            from_cache,
            load_ms = plugin.load_time.as_secs_f64() * 1e3,
            "plugin loaded"
        );
        Ok(Arc::new(plugin))
    }

    /// The compiled component, from the cache when possible.
    fn component(&self, name: &str, wasm_path: &Path, bytes: &[u8], hash: &[u8; 32]) -> Result<(Component, bool), PluginError> {
        let compile = || {
            Component::from_binary(&self.inner.engine, bytes).map_err(|e| PluginError::Compile {
                path: wasm_path.to_owned(),
                name: name.to_owned(),
                // Without the bytes the parser may quote ("bad magic number - expected=… actual=…"):
                // the error goes back to the admin client, and the file could be anything.
                message: format!(
                    "{} (a plugin must be a component built for wasm32-wasip2, not a core module)",
                    format!("{e:#}").split(" - expected=").next().unwrap_or_default()
                ),
            })
        };
        let Some(dir) = &self.inner.cache_dir else { return Ok((compile()?, false)) };
        let cached = dir.join(format!("{}-{}.cwasm", hex(hash), self.inner.engine_hash));
        // Read into memory rather than `Component::deserialize_file`, which maps the file:
        // a cache file truncated or rewritten in place while mapped would kill the server
        // with SIGBUS. The copy costs well under a millisecond.
        if let Ok(bytes) = std::fs::read(&cached) {
            // SAFETY: the file was written by `Component::serialize` of an engine with the
            // same compatibility hash (it is in the name; wasmtime checks it again), under
            // the wasm's SHA-256, in a directory only the server writes (see RuntimeConfig).
            match unsafe { Component::deserialize(&self.inner.engine, &bytes) } {
                Ok(component) => return Ok((component, true)),
                Err(e) => tracing::warn!(plugin = name, path = %cached.display(), error = %format!("{e:#}"), "unusable compile cache entry; recompiling"),
            }
        }
        let component = compile()?;
        if let Err(e) = write_atomically(&cached, &component) {
            tracing::warn!(plugin = name, path = %cached.display(), error = %e, "cannot write the compile cache");
        }
        Ok((component, false))
    }
}

fn write_atomically(path: &Path, component: &Component) -> Result<(), String> {
    let bytes = component.serialize().map_err(|e| format!("{e:#}"))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_extension(format!("tmp{}-{nanos}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        e.to_string()
    })
}

/// Increments the engine's epoch every tick; stopped and joined when dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine, tick: Duration) -> std::io::Result<Ticker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name("entrepot-epoch".into()).spawn(move || {
            while !flag.load(Ordering::Acquire) {
                std::thread::park_timeout(tick);
                engine.increment_epoch();
            }
        })?;
        Ok(Ticker { stop, thread: Some(thread) })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("cache_dir", &self.inner.cache_dir).field("epoch_tick", &self.inner.epoch_tick).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| tasks.flatten().filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "entrepot-epoch")).count())
            .unwrap_or(0)
    }

    /// Polls: a new thread names itself after `spawn` returns.
    fn wait_for_epoch_threads(n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let count = epoch_threads();
            if count == n || Instant::now() > deadline {
                return count;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_ticker_stops_with_the_last_clone() {
        let before = epoch_threads();
        let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
        let clone = runtime.clone();
        assert_eq!(wait_for_epoch_threads(before + 1), before + 1);
        drop(runtime);
        assert_eq!(epoch_threads(), before + 1, "a clone still holds the runtime");
        drop(clone);
        assert_eq!(epoch_threads(), before, "dropping the last clone joins the ticker");
    }
}
