//! `cargo xtask bench plugins`: what a WebAssembly plugin costs, measured against the
//! native path in the same run, with the real compiled plugins staged by `cargo xtask
//! plugins`.
//!
//! - call overhead: one `check-order` into the `price-band` plugin (a trivial rule), timed
//!   per call, and `trade-fees` into `broker-fee`;
//! - throughput: the engine suite's seeded stream through the full engine with the market
//!   bound to `broker-fee` (admission + listing fee + per-fill fees on every order) versus
//!   the same stream on the native policy;
//! - load time of a plugin from the compiled cache (fresh runtime, warm cache directory);
//! - reload pause: what the engine thread spends swapping in a new version.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use entrepot_core::rules::Rules;
use entrepot_core::rules::{AccountView, MarketView, OrderCheck, TradeFacts};
use entrepot_core::{AccountId, MarketId, Side};
use entrepot_plugins::{Plugin, PluginHost, Runtime, RuntimeConfig};
use hdrhistogram::Histogram;

use crate::peers::{Contender, OurEngine};
use crate::report::{self, Table};
use crate::stream::{self, PREFILL};

/// Where `cargo xtask plugins` staged the compiled plugins (`ENTREPOT_PLUGIN_DIR`, or
/// `<target>/plugins` beside the bench binary); panics if `required` is not there.
pub(crate) fn staged(required: &str) -> PathBuf {
    let dir = std::env::var_os("ENTREPOT_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        exe.parent().and_then(|p| p.parent()).expect("target dir").join("plugins")
    });
    assert!(dir.join(format!("{required}.toml")).exists(), "no staged {required} plugin in {}: run `cargo xtask plugins`", dir.display());
    dir
}

pub(crate) fn load(runtime: &Runtime, name: &str) -> Arc<Plugin> {
    runtime.load(&staged(name).join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("load {name}: {e}"))
}

fn views() -> (MarketView, AccountView, OrderCheck) {
    let market = MarketView { market: MarketId(1), now_ms: 1_000, last_price: Some(10_000), best_bid: Some(9_990), best_ask: Some(10_010) };
    let account = AccountView {
        account: AccountId(1),
        available_quote: 1 << 40,
        available_base: 1 << 30,
        open_orders: 3,
        resting_buy_lots: 10,
        bought_lots: 0,
        window_start_ms: None,
    };
    let order = OrderCheck { side: Side::Buy, price: Some(10_005), quantity: 5, budget: None, rests: true, modifies: None };
    (market, account, order)
}

/// Per-call time of `f` over `n` calls, after a warm-up.
fn per_call(n: usize, mut f: impl FnMut()) -> Histogram<u64> {
    for _ in 0..n / 10 {
        f();
    }
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    for _ in 0..n {
        let t = Instant::now();
        f();
        hist.record(t.elapsed().as_nanos() as u64).expect("record");
    }
    hist
}

/// Best-of-three ops/s of the stream through the engine, with or without the plugin.
fn throughput(ops: usize, plugin: Option<(&Runtime, &Arc<Plugin>)>) -> f64 {
    let (prefill, measured) = stream::generate(ops, 42);
    let mut best = 0f64;
    for _ in 0..3 {
        let mut engine = OurEngine::new(ops + PREFILL);
        if let Some((runtime, plugin)) = plugin {
            let mut host = PluginHost::new(runtime.clone());
            host.install(plugin.clone()).expect("install");
            engine = engine.with_rules(plugin.binding(), Box::new(host));
        }
        for op in &prefill {
            engine.apply(op);
        }
        let started = Instant::now();
        for op in &measured {
            engine.apply(op);
        }
        best = best.max(measured.len() as f64 / started.elapsed().as_secs_f64());
    }
    best
}

pub fn run(quick: bool) {
    let calls = if quick { 20_000 } else { 200_000 };
    let ops = if quick { 100_000 } else { 1_000_000 };
    let cache = tempfile::tempdir().expect("cache dir");
    let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() }).expect("runtime");

    // Cold load compiles and fills the cache; then fresh runtimes load from it.
    let started = Instant::now();
    let band = load(&runtime, "price-band");
    let cold_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut cached = Vec::new();
    for _ in 0..5 {
        let fresh = Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() }).expect("runtime");
        let started = Instant::now();
        let p = load(&fresh, "price-band");
        cached.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(p.from_cache(), "second load must come from the cache");
    }
    cached.sort_by(f64::total_cmp);
    let cached_ms = cached[cached.len() / 2];

    // Call overhead.
    let broker = load(&runtime, "broker-fee");
    let mut host = PluginHost::new(runtime.clone());
    host.install(band.clone()).expect("install");
    host.install(broker.clone()).expect("install");
    let (market, account, order) = views();
    let band_binding = band.binding();
    let check = per_call(calls, || {
        let verdict = host.check_order(&band_binding, &market, &account, &order);
        assert!(matches!(verdict, Some(Ok(()))), "{verdict:?}");
    });
    let broker_binding = broker.binding();
    let trade = TradeFacts { price: 10_000, quantity: 5, notional: 50_000, taker_side: Side::Buy, maker_account: AccountId(2), taker_account: AccountId(1) };
    let fees = per_call(calls, || {
        assert!(host.trade_fees(&broker_binding, &market, &trade).is_some());
    });

    // Reload pause: swapping versions on the engine thread.
    let other = {
        let fresh = Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() }).expect("runtime");
        load(&fresh, "price-band")
    };
    let mut pauses = Histogram::<u64>::new(3).expect("histogram");
    for i in 0..50 {
        let next = if i % 2 == 0 { other.clone() } else { band.clone() };
        let started = Instant::now();
        host.install(next).expect("install");
        pauses.record(started.elapsed().as_nanos() as u64).expect("record");
    }

    let native = throughput(ops, None);
    let plugin = throughput(ops, Some((&runtime, &broker)));
    let ratio = plugin / native;

    let us = |ns: u64| format!("{:.2}", ns as f64 / 1e3);
    let mut table = Table::new(&["measure", "p50 µs", "p99 µs", "max µs"]);
    table.row(vec!["check-order call (price-band)".into(), us(check.value_at_quantile(0.5)), us(check.value_at_quantile(0.99)), us(check.max())]);
    table.row(vec!["trade-fees call (broker-fee)".into(), us(fees.value_at_quantile(0.5)), us(fees.value_at_quantile(0.99)), us(fees.max())]);
    table.row(vec!["reload swap (engine thread)".into(), us(pauses.value_at_quantile(0.5)), us(pauses.value_at_quantile(0.99)), us(pauses.max())]);
    table.print();
    println!();
    let mut table = Table::new(&["engine stream", "ops/s", "vs native"]);
    table.row(vec!["native policy".into(), format!("{native:.0}"), "1.00".into()]);
    table.row(vec!["broker-fee plugin on every order".into(), format!("{plugin:.0}"), format!("{ratio:.2}")]);
    table.print();
    println!();
    println!("plugin load: cold compile {cold_ms:.1} ms, from the compiled cache {cached_ms:.2} ms (median of 5)");
    let status = host.status();
    for s in &status {
        println!("{}: {} calls, fuel used {}", s.name, s.metrics.calls, s.metrics.fuel_used_total);
    }
    report::result(
        "plugins",
        &[
            ("call_p50_ns", check.value_at_quantile(0.5).to_string()),
            ("call_p99_ns", check.value_at_quantile(0.99).to_string()),
            ("plugin_vs_native", format!("{ratio:.2}")),
            ("cached_load_ms", format!("{cached_ms:.2}")),
            ("reload_pause_us", format!("{:.1}", pauses.value_at_quantile(0.5) as f64 / 1e3)),
        ],
    );
}
