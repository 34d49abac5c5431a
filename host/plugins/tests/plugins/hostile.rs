//! Hostile plugins are cut off fast, classified right, replaced by a fresh instance, and
//! quarantined on repeat; a reload clears the quarantine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entrepot_core::rules::{Fees, Rules, TradeFacts};
use entrepot_core::{AccountId, Side};
use entrepot_plugins::{FaultKind, Plugin, PluginHost, QUARANTINE_FAULTS};

use crate::common::*;

/// The most a faulting call may take (the default deadline is 50 ms).
const BOUND: Duration = Duration::from_millis(200);

fn trade() -> TradeFacts {
    TradeFacts { price: 10, quantity: 2, notional: 20, taker_side: Side::Buy, maker_account: AccountId(1), taker_account: AccountId(2) }
}

/// One faulting `check-order`: no answer, within the bound, counted as `kind`.
fn faults_once(host: &mut PluginHost, plugin: &Plugin, kind: FaultKind, nth: u64) {
    let start = Instant::now();
    let answer = host.check_order(&plugin.binding(), &market(Some(1_000)), &account(), &limit_buy(1_000));
    let took = start.elapsed();
    assert_eq!(answer, None, "{}: a faulting call has no answer", plugin.name());
    assert!(took < BOUND, "{}: the fault took {took:?}", plugin.name());
    let status = host.status().into_iter().find(|s| s.name == plugin.name()).unwrap();
    assert_eq!(status.metrics.faults.get(kind), nth, "{}: {:?}", plugin.name(), status.metrics.faults);
    assert_eq!(status.metrics.faults.total(), nth, "{}: only {kind:?} faults: {:?}", plugin.name(), status.metrics.faults);
    eprintln!("{}: {kind:?} fault #{nth} in {took:?}", plugin.name());
}

/// The whole policy for one hostile plugin.
fn hostile(plugin: Arc<Plugin>, kind: FaultKind) {
    let mut host = host_with([plugin.clone()]);
    let b = plugin.binding();
    for nth in 1..QUARANTINE_FAULTS as u64 {
        faults_once(&mut host, &plugin, kind, nth);
        // A fresh instance answers the harmless hooks.
        assert_eq!(host.trade_fees(&b, &market(None), &trade()), Some(Fees { maker: 0, taker: 0 }), "{}", plugin.name());
        assert_eq!(host.status()[0].quarantined, None);
    }
    faults_once(&mut host, &plugin, kind, QUARANTINE_FAULTS as u64);
    let status = &host.status()[0];
    let reason = status.quarantined.clone().expect("quarantined after repeated faults");
    assert!(reason.starts_with(&format!("{QUARANTINE_FAULTS} faults within 60 s")), "{reason}");
    assert_eq!(status.metrics.quarantines, 1);
    // Quarantined: refused at once, even the harmless hooks.
    let start = Instant::now();
    assert_eq!(host.trade_fees(&b, &market(None), &trade()), None);
    assert!(start.elapsed() < Duration::from_millis(5));
    // A reload clears it.
    let old = host.install(plugin.clone()).unwrap();
    assert!(old.is_some());
    assert_eq!(host.status()[0].quarantined, None);
    assert_eq!(host.trade_fees(&b, &market(None), &trade()), Some(Fees { maker: 0, taker: 0 }));
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    hostile(load("infinite-loop"), FaultKind::OutOfFuel);
}

#[test]
fn infinite_loop_with_lots_of_fuel_passes_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "infinite-loop", "infinite-loop", |t| t + "\n[limits]\nfuel = 1000000000\ndeadline_ms = 20\n");
    hostile(runtime().load(&path).unwrap(), FaultKind::Deadline);
}

/// With the default fuel the bomb runs out of fuel before it has written 16 MiB (filling
/// memory costs fuel too); with fuel to spare it meets the memory cap.
#[test]
fn memory_bomb_hits_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "memory-bomb", "memory-bomb", |t| t + "\n[limits]\nfuel = 200000000\n");
    hostile(runtime().load(&path).unwrap(), FaultKind::Memory);
}

#[test]
fn memory_bomb_with_default_limits_is_stopped_too() {
    hostile(load("memory-bomb"), FaultKind::OutOfFuel);
}

/// Shadow-stack exhaustion (Rust keeps its stack in linear memory) or the 512 KiB wasm
/// stack limit, whichever comes first: a trap either way.
#[test]
fn deep_recursion_traps() {
    hostile(load("deep-recursion"), FaultKind::Trap);
}

#[test]
fn trap_traps() {
    hostile(load("trap"), FaultKind::Trap);
}

/// With memory growth trapping at the cap, the 64 MiB reason never gets built: a memory
/// fault. (The output limit itself is tested with a small `output_bytes` below.)
#[test]
fn huge_output_hits_the_memory_cap() {
    hostile(load("huge-output"), FaultKind::Memory);
}

/// A reason longer than `output_bytes` is a fault, not a clipped answer.
#[test]
fn an_answer_over_the_output_limit_is_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "price-band", |t| t + "\n[limits]\noutput_bytes = 10\n");
    hostile_call(&path, FaultKind::Output);
}

/// price-band calls `config` and `market-info` on every check: 2 host calls.
#[test]
fn too_many_host_calls_is_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "price-band", "price-band", |t| t + "\n[limits]\nhost_calls = 1\n");
    hostile_call(&path, FaultKind::HostCalls);
}

fn hostile_call(path: &std::path::Path, kind: FaultKind) {
    let plugin = runtime().load(path).unwrap();
    let mut host = host_with([plugin.clone()]);
    let answer = host.check_order(&plugin.binding(), &market(Some(1_000)), &account(), &limit_buy(1_500));
    assert_eq!(answer, None);
    assert_eq!(host.status()[0].metrics.faults.get(kind), 1, "{:?}", host.status()[0].metrics);
}

#[test]
fn escape_cannot_read_files_or_open_sockets() {
    let plugin = load("escape");
    let mut host = host_with([plugin.clone()]);
    let answer = host.check_order(&plugin.binding(), &market(Some(1_000)), &account(), &limit_buy(1_000));
    let report = answer.expect("escape answers").expect_err("escape always rejects with its report");
    assert!(report.starts_with("sandbox held:"), "{report}");
    assert!(report.contains("read /etc/passwd denied") && report.contains("connect 127.0.0.1:80 denied"), "{report}");
    assert!(report.contains("env 0 vars"), "{report}");
    assert!(!std::path::Path::new("/tmp/entrepot-escape").exists());
    assert_eq!(host.status()[0].metrics.faults.total(), 0);
}

/// Faults in one plugin leave the others answering.
#[test]
fn a_faulty_plugin_does_not_disturb_the_others() {
    let good = load("broker-fee");
    let bad = load("trap");
    let mut host = host_with([good.clone(), bad.clone()]);
    for _ in 0..QUARANTINE_FAULTS {
        assert_eq!(host.check_order(&bad.binding(), &market(Some(1_000)), &account(), &limit_buy(1_000)), None);
        assert_eq!(host.check_order(&good.binding(), &market(Some(1_000)), &account(), &limit_buy(1_000)), Some(Ok(())));
    }
    let status = host.status();
    let by_name = |n: &str| status.iter().find(|s| s.name == n).unwrap().clone();
    assert!(by_name("trap").quarantined.is_some());
    assert_eq!(by_name("broker-fee").quarantined, None);
    assert_eq!(by_name("broker-fee").metrics.faults.total(), 0);
}
