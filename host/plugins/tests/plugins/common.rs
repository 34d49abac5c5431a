use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use entrepot_core::rules::{AccountView, MarketView, OrderCheck};
use entrepot_core::{AccountId, MarketId, PluginBinding, Side};
use entrepot_plugins::{MarketInfo, Plugin, PluginHost, Runtime, RuntimeConfig};

/// Where `cargo xtask plugins` staged the plugins.
pub fn plugin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = match std::env::var_os("ENTREPOT_PLUGIN_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
                let target = if target.is_relative() { workspace.join(target) } else { target };
                target.join("plugins")
            }
        };
        assert!(
            dir.join("price-band.toml").is_file() && dir.join("price-band.wasm").is_file(),
            "no staged plugins in {}: run `cargo xtask plugins` first (or point ENTREPOT_PLUGIN_DIR at a directory of <name>.wasm + <name>.toml)",
            dir.display()
        );
        dir
    })
    .clone()
}

pub fn manifest(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.toml"))
}

/// Logs to the test output (`RUST_LOG=entrepot_plugins=debug` to see plugin output).
pub fn init_tracing() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

/// One runtime for the whole test binary, with a compile cache so that each plugin is
/// compiled once per run.
pub fn runtime() -> Runtime {
    static RUNTIME: OnceLock<(Runtime, tempfile::TempDir)> = OnceLock::new();
    init_tracing();
    RUNTIME
        .get_or_init(|| {
            let cache = tempfile::tempdir().unwrap();
            let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() }).unwrap();
            (runtime, cache)
        })
        .0
        .clone()
}

/// The staged plugin `name`, loaded once.
pub fn load(name: &str) -> Arc<Plugin> {
    static LOADED: OnceLock<Mutex<HashMap<String, Arc<Plugin>>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(plugin) = loaded.lock().unwrap().get(name) {
        return plugin.clone();
    }
    let plugin = runtime().load(&manifest(name)).unwrap_or_else(|e| panic!("loading {name}: {e}"));
    loaded.lock().unwrap().insert(name.to_owned(), plugin.clone());
    plugin
}

/// A copy of staged plugin `name` as `<dir>/<stem>.{wasm,toml}`, its manifest edited.
pub fn variant(dir: &Path, name: &str, stem: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    std::fs::copy(plugin_dir().join(format!("{name}.wasm")), dir.join(format!("{stem}.wasm"))).unwrap();
    let text = std::fs::read_to_string(manifest(name)).unwrap();
    let path = dir.join(format!("{stem}.toml"));
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// A host with these plugins installed and market 1 described.
pub fn host_with(plugins: impl IntoIterator<Item = Arc<Plugin>>) -> PluginHost {
    let mut host = PluginHost::new(runtime());
    host.set_markets(vec![iron()]);
    for plugin in plugins {
        host.install(plugin).unwrap();
    }
    host
}

pub fn iron() -> MarketInfo {
    MarketInfo { market: 1, symbol: "IRON/GOLD".into(), tick: "0.01".into(), lot: "1".into(), quote_decimals: 2, base_decimals: 0, tick_value: 1 }
}

pub fn binding(plugin: &Plugin) -> PluginBinding {
    plugin.binding()
}

pub fn market(last: Option<u64>) -> MarketView {
    MarketView { market: MarketId(1), now_ms: 1_000, last_price: last, best_bid: None, best_ask: None }
}

pub fn account() -> AccountView {
    AccountView {
        account: AccountId(7),
        available_quote: 1_000_000,
        available_base: 1_000,
        open_orders: 0,
        resting_buy_lots: 0,
        bought_lots: 0,
        window_start_ms: None,
    }
}

pub fn limit_buy(price: u64) -> OrderCheck {
    OrderCheck { side: Side::Buy, price: Some(price), quantity: 5, budget: None, rests: true, modifies: None }
}
