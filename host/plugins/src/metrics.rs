//! Per-plugin call metrics: count, latency percentiles, fuel, faults by kind, quarantines.
//! Kept per plugin name across hot reloads, so an operator sees a plugin's history.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::error::FaultKind;

/// Faults by kind since the plugin name was first installed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    pub traps: u64,
    pub out_of_fuel: u64,
    pub deadline: u64,
    pub memory: u64,
    pub host_calls: u64,
    pub output: u64,
}

impl FaultCounts {
    pub fn get(&self, kind: FaultKind) -> u64 {
        match kind {
            FaultKind::Trap => self.traps,
            FaultKind::OutOfFuel => self.out_of_fuel,
            FaultKind::Deadline => self.deadline,
            FaultKind::Memory => self.memory,
            FaultKind::HostCalls => self.host_calls,
            FaultKind::Output => self.output,
        }
    }

    fn slot(&mut self, kind: FaultKind) -> &mut u64 {
        match kind {
            FaultKind::Trap => &mut self.traps,
            FaultKind::OutOfFuel => &mut self.out_of_fuel,
            FaultKind::Deadline => &mut self.deadline,
            FaultKind::Memory => &mut self.memory,
            FaultKind::HostCalls => &mut self.host_calls,
            FaultKind::Output => &mut self.output,
        }
    }

    pub fn total(&self) -> u64 {
        FaultKind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// A snapshot of one plugin's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginMetrics {
    /// Calls that ran wasm (faulted ones included; quarantined refusals not).
    pub calls: u64,
    /// Median and 99th percentile wall time of a call, in nanoseconds.
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub fuel_used_total: u64,
    pub faults: FaultCounts,
    /// Times the plugin was quarantined.
    pub quarantines: u64,
}

pub(crate) struct Metrics {
    latency: Histogram<u64>,
    snapshot: PluginMetrics,
}

impl Metrics {
    pub fn new() -> Metrics {
        // 1 ns to 100 s at 3 significant digits (~200 KiB per plugin).
        let latency = Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds");
        Metrics { latency, snapshot: PluginMetrics::default() }
    }

    pub fn call(&mut self, nanos: u64, fuel: u64) {
        self.snapshot.calls += 1;
        self.snapshot.fuel_used_total = self.snapshot.fuel_used_total.saturating_add(fuel);
        self.latency.saturating_record(nanos.max(1));
    }

    pub fn fault(&mut self, kind: FaultKind) {
        *self.snapshot.faults.slot(kind) += 1;
    }

    pub fn quarantined(&mut self) {
        self.snapshot.quarantines += 1;
    }

    pub fn snapshot(&self) -> PluginMetrics {
        PluginMetrics { p50_ns: self.latency.value_at_quantile(0.5), p99_ns: self.latency.value_at_quantile(0.99), ..self.snapshot }
    }
}
