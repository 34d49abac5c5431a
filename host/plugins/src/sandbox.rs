//! The sandbox one plugin instance runs in: its store data, its WASI context, its limits,
//! and the guard around every call that turns a failure into a classified fault.
//!
//! # Why WASI is linked at all, and why it is locked down like this
//!
//! Components built for `wasm32-wasip2` with Rust's std import WASI (stdout for panics,
//! the environment, clocks, random) even when the plugin never uses it, so the host links
//! WASI p2 — but a WASI that grants nothing:
//!
//! - no preopened directories, no environment, no arguments, stdin closed;
//! - TCP, UDP and name lookup denied (every socket address is refused too);
//! - stdout and stderr captured in a small per-call buffer and forwarded to `tracing` at
//!   debug level after each call (excess output is dropped, never an error);
//! - wall and monotonic clocks frozen at 0, and sleeping (`subscribe-duration`,
//!   `subscribe-instant`) returns at once: the engine thread never blocks in a plugin;
//! - secure and insecure random replaced by a ChaCha RNG seeded from the plugin's SHA-256.
//!
//! The reason is replay. The engine is a deterministic state machine: the same journal
//! must give the same state on every machine, in recovery and in the offline simulator.
//! A plugin that could read the clock, the entropy pool, a file or the network could
//! answer differently on replay. Game time is handed in as an argument
//! (`market-view.now-ms`); anything else a plugin needs comes through the `host` imports,
//! which answer from the manifest and from facts the server set. (The engine also
//! journals every answer — see `entrepot_core::rules` — because deadline and memory
//! faults cannot be made reproducible; the locked-down WASI makes the answers themselves
//! reproducible, so the simulator can run plugins live.)

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::SeedableRng;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{DynPollable, OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::bet_type::BetType;
use crate::bindings::market_rules::entrepot::plugin::{host as wit_host, types as wit};
use crate::bindings::market_rules::MarketRules;
use crate::bindings::notifier::Notifier;
use crate::error::FaultKind;
use crate::manifest::Limits;
use crate::plugin::{Plugin, WorldPre};
use crate::types::{self, MarketInfo};

/// Bytes of stdout + stderr kept per call; the rest is dropped.
const CAPTURE_BYTES: usize = 8 << 10;
/// Longest `host.log` message forwarded (bytes, cut at a character boundary).
const MAX_LOG_BYTES: usize = 2 << 10;
/// Most bytes a plugin may ask of `wasi:random` in one request.
const MAX_RANDOM_BYTES: u64 = 64 << 10;
/// Most WASI resources (streams, pollables) an instance may hold at once.
const MAX_WASI_HANDLES: usize = 1024;

/// Everything a plugin's store owns.
pub(crate) struct StoreData {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    host_calls: u32,
    host_call_limit: u32,
    host_calls_exceeded: bool,
    config: Arc<[(String, String)]>,
    markets: Arc<BTreeMap<u32, MarketInfo>>,
    stdout: Capture,
    stderr: Capture,
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The store limits of the brief (memory cap, trap on grow failure, instance and table
/// counts), plus a note that the memory cap was hit, so the fault is classified as memory
/// rather than as the generic trap it surfaces as.
///
/// The memory cap is on the sum of the plugin's memories: wasmtime asks per memory, and a
/// component may declare several (several core modules, or multi-memory), each of which
/// would otherwise get the whole cap.
struct Limiter {
    limits: StoreLimits,
    memory_denied: bool,
    /// The cap on all memories together (bytes).
    memory_cap: usize,
    /// Bytes of all the store's memories so far.
    memory_total: usize,
}

impl Limiter {
    fn new(memory_bytes: u64) -> Limiter {
        Limiter {
            limits: StoreLimitsBuilder::new()
                .memory_size(usize::try_from(memory_bytes).unwrap_or(usize::MAX))
                .trap_on_grow_failure(true)
                .instances(32)
                .tables(32)
                .memories(4)
                .table_elements(100_000)
                .build(),
            memory_denied: false,
            memory_cap: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
            memory_total: 0,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.memory_total.saturating_sub(current).saturating_add(desired);
        if total > self.memory_cap {
            // Like `StoreLimits` with `trap_on_grow_failure`: a refused growth traps.
            self.memory_denied = true;
            return Err(wasmtime::Error::msg(format!("all memories together would take {total} bytes, over the cap of {} bytes", self.memory_cap)));
        }
        let answer = self.limits.memory_growing(current, desired, maximum);
        match answer {
            Ok(true) => self.memory_total = total,
            _ => self.memory_denied = true,
        }
        answer
    }
    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_denied = true;
        self.limits.memory_grow_failed(error)
    }
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }
    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.limits.instances()
    }
    fn tables(&self) -> usize {
        self.limits.tables()
    }
    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl StoreData {
    fn count_host_call(&mut self) -> wasmtime::Result<()> {
        self.host_calls += 1;
        if self.host_calls > self.host_call_limit {
            self.host_calls_exceeded = true;
            wasmtime::bail!("more than {} host calls in one call", self.host_call_limit);
        }
        Ok(())
    }
}

impl wit::Host for StoreData {}

impl wit_host::Host for StoreData {
    fn log(&mut self, level: wit::LogLevel, message: String) -> wasmtime::Result<()> {
        self.count_host_call()?;
        let message = clip(&message, MAX_LOG_BYTES);
        let plugin = &*self.plugin;
        match level {
            wit::LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            wit::LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            wit::LogLevel::Info => tracing::info!(plugin, "{message}"),
            wit::LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            wit::LogLevel::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }

    fn config(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        self.count_host_call()?;
        Ok(self.config.to_vec())
    }

    fn market_info(&mut self, market: u32) -> wasmtime::Result<Option<wit::MarketInfo>> {
        self.count_host_call()?;
        Ok(self.markets.get(&market).map(types::market_info))
    }
}

fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// ---- the linker ---------------------------------------------------------------------------

/// The linker every plugin is instantiated with: locked-down WASI p2 and the `host`
/// interface. The three worlds import exactly the same interfaces (WASI + `host`; they
/// differ only in exports, which the typed `*Pre` check), so one linker serves all three.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    // Replace the monotonic clock's timers (which sleep on the host for real) by timers
    // that are due at once; `now` comes from the frozen clock in the ctx either way.
    linker.allow_shadowing(true);
    wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<StoreData, FrozenTimers>(&mut linker, |d| Timers { table: &mut d.table })?;
    linker.allow_shadowing(false);
    MarketRules::add_to_linker::<StoreData, HasSelf<StoreData>>(&mut linker, |d| d)?;
    Ok(linker)
}

/// `wasi:clocks/monotonic-clock` with a clock stopped at 0 whose timers are always due.
pub(crate) struct Timers<'a> {
    table: &'a mut ResourceTable,
}

/// Selects [`Timers`] as the `wasi:clocks/monotonic-clock` implementation.
struct FrozenTimers;

impl wasmtime::component::HasData for FrozenTimers {
    type Data<'a> = Timers<'a>;
}

struct Due;

#[wasmtime_wasi::async_trait]
impl Pollable for Due {
    async fn ready(&mut self) {}
}

impl wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host for Timers<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(0)
    }
    fn resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(1)
    }
    fn subscribe_instant(&mut self, _when: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let due = self.table.push(Due)?;
        wasmtime_wasi::p2::subscribe(self.table, due)
    }
    fn subscribe_duration(&mut self, _duration: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let due = self.table.push(Due)?;
        wasmtime_wasi::p2::subscribe(self.table, due)
    }
}

struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

// ---- captured stdout / stderr -------------------------------------------------------------

/// A capped in-memory stream the host drains after every call. Unlike wasmtime-wasi's
/// `MemoryOutputPipe` it can be emptied, and it never fails a write: a chatty plugin loses
/// its excess output instead of trapping.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn push(&self, bytes: &[u8]) {
        let mut buf = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let room = CAPTURE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(CAPTURE_BYTES)
    }
}

impl tokio::io::AsyncWrite for Capture {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

// ---- one live instance ----------------------------------------------------------------------

/// The typed exports of an instance.
pub(crate) enum Exports {
    MarketRules(MarketRules),
    BetType(BetType),
    Notifier(Notifier),
}

/// A plugin's store and instance. Thrown away after any fault.
pub(crate) struct Live {
    store: Store<StoreData>,
    exports: Exports,
}

/// How one call went, whatever its result.
pub(crate) struct CallStats {
    pub elapsed: Duration,
    pub fuel_used: u64,
}

/// A classified failure.
#[derive(Debug)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    pub detail: String,
}

impl Live {
    /// A fresh store and instance of `plugin` (runs no plugin code beyond the component's
    /// own start-up, which is metered like a call).
    pub fn new(plugin: &Plugin, markets: Arc<BTreeMap<u32, MarketInfo>>, epoch_tick: Duration) -> Result<Live, Fault> {
        let limits = plugin.manifest.limits;
        let stdout = Capture::default();
        let stderr = Capture::default();
        let mut seed = plugin.hash;
        let secure = StdRng::from_seed(seed);
        seed[0] ^= 0xff;
        let insecure = StdRng::from_seed(seed);
        let insecure_seed = u128::from_le_bytes(plugin.hash[16..].try_into().expect("16 bytes"));
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(secure)
            .insecure_random(insecure)
            .insecure_random_seed(insecure_seed)
            .max_random_size(MAX_RANDOM_BYTES)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limiter = Limiter::new(limits.memory_bytes);
        // A plugin needs a handful of WASI handles (stdout, a pollable); leaking them must
        // not grow host memory without bound.
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_WASI_HANDLES);
        let data = StoreData {
            plugin: Arc::from(plugin.name()),
            wasi,
            table,
            limiter,
            host_calls: 0,
            host_call_limit: limits.host_calls,
            host_calls_exceeded: false,
            config: plugin.config.clone(),
            markets,
            stdout,
            stderr,
        };
        let mut store = Store::new(plugin.engine(), data);
        store.limiter(|d| &mut d.limiter);
        store.epoch_deadline_trap();
        arm(&mut store, &limits, epoch_tick);
        let exports = match &plugin.pre {
            WorldPre::MarketRules(pre) => pre.instantiate(&mut store).map(Exports::MarketRules),
            WorldPre::BetType(pre) => pre.instantiate(&mut store).map(Exports::BetType),
            WorldPre::Notifier(pre) => pre.instantiate(&mut store).map(Exports::Notifier),
        };
        forward_output(&store);
        match exports {
            Ok(exports) => Ok(Live { store, exports }),
            Err(e) => {
                let fault = classify(&e, store.data(), &limits);
                Err(Fault { kind: fault.kind, detail: format!("instantiation failed: {}", fault.detail) })
            }
        }
    }

    pub fn set_markets(&mut self, markets: Arc<BTreeMap<u32, MarketInfo>>) {
        self.store.data_mut().markets = markets;
    }

    /// Run one export under the plugin's limits. On `Err` the caller must drop `self`:
    /// the instance may be in any state.
    pub fn call<R>(
        &mut self,
        limits: &Limits,
        epoch_tick: Duration,
        f: impl FnOnce(&mut Store<StoreData>, &Exports) -> wasmtime::Result<R>,
    ) -> (Result<R, Fault>, CallStats) {
        arm(&mut self.store, limits, epoch_tick);
        let start = Instant::now();
        let result = f(&mut self.store, &self.exports);
        let elapsed = start.elapsed();
        let fuel_used = limits.fuel.saturating_sub(self.store.get_fuel().unwrap_or(0));
        forward_output(&self.store);
        let result = result.map_err(|e| classify(&e, self.store.data(), limits));
        (result, CallStats { elapsed, fuel_used })
    }
}

/// Refill the per-call budgets: fuel, deadline, host calls, fault flags.
fn arm(store: &mut Store<StoreData>, limits: &Limits, epoch_tick: Duration) {
    store.set_fuel(limits.fuel).expect("fuel is enabled on the engine");
    store.set_epoch_deadline(deadline_ticks(limits.deadline_ms, epoch_tick));
    let data = store.data_mut();
    data.host_calls = 0;
    data.host_calls_exceeded = false;
    data.limiter.memory_denied = false;
}

/// Epoch ticks for a deadline: rounded up, plus one because the current tick may end at
/// any moment — so a call always gets at least `deadline_ms`.
pub(crate) fn deadline_ticks(deadline_ms: u64, epoch_tick: Duration) -> u64 {
    let tick_ns = epoch_tick.as_nanos().max(1);
    let deadline_ns = u128::from(deadline_ms) * 1_000_000;
    u64::try_from(deadline_ns.div_ceil(tick_ns)).unwrap_or(u64::MAX - 1) + 1
}

/// Name the failure: the host-side flags first (they explain the trap that follows), then
/// wasmtime's trap code.
fn classify(error: &wasmtime::Error, data: &StoreData, limits: &Limits) -> Fault {
    let (kind, detail) = if data.host_calls_exceeded {
        (FaultKind::HostCalls, format!("more than {} host calls in one call", limits.host_calls))
    } else if data.limiter.memory_denied {
        (FaultKind::Memory, format!("tried to grow its memory past {} bytes", limits.memory_bytes))
    } else {
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => (FaultKind::OutOfFuel, format!("used all {} fuel", limits.fuel)),
            Some(Trap::Interrupt) => (FaultKind::Deadline, format!("still running after {} ms", limits.deadline_ms)),
            Some(trap) => (FaultKind::Trap, trap.to_string()),
            None => (FaultKind::Trap, format!("{error:#}")),
        }
    };
    Fault { kind, detail }
}

/// Send what the plugin printed to the log, line by line, tagged with its name.
fn forward_output(store: &Store<StoreData>) {
    let data = store.data();
    for (stream, capture) in [("stdout", &data.stdout), ("stderr", &data.stderr)] {
        let bytes = capture.take();
        if bytes.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            tracing::debug!(plugin = &*data.plugin, stream, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_add_a_tick() {
        assert_eq!(deadline_ticks(50, Duration::from_millis(1)), 51);
        assert_eq!(deadline_ticks(5, Duration::from_millis(2)), 4);
        assert_eq!(deadline_ticks(1, Duration::from_micros(300)), 5);
    }

    #[test]
    fn capture_keeps_a_capped_prefix_and_empties() {
        let capture = Capture::default();
        capture.push(&[b'a'; CAPTURE_BYTES - 1]);
        capture.push(b"bc");
        let taken = capture.take();
        assert_eq!(taken.len(), CAPTURE_BYTES);
        assert_eq!(taken.last(), Some(&b'b'));
        assert!(capture.take().is_empty());
    }

    /// A core module declaring `memories` memories of `pages` 64 KiB pages each (minimum),
    /// hand-assembled: the magic, the version, then a memory section.
    fn module_with_memories(memories: u8, pages: u8) -> Vec<u8> {
        assert!(memories < 0x80 && pages < 0x80, "one-byte LEBs");
        let mut section = vec![memories];
        for _ in 0..memories {
            section.extend([0x00, pages]); // limits: min only
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend([0x05, u8::try_from(section.len()).unwrap()]);
        bytes.extend(section);
        bytes
    }

    fn instantiate_with_cap(wasm: &[u8], cap: u64) -> wasmtime::Result<()> {
        let engine = Engine::default();
        let module = wasmtime::Module::new(&engine, wasm)?;
        let mut store = Store::new(&engine, Limiter::new(cap));
        store.limiter(|l| l);
        wasmtime::Instance::new(&mut store, &module, &[])?;
        Ok(())
    }

    /// The memory cap holds for the plugin's memories together: two memories of 2.5 MiB
    /// each do not fit a 4 MiB cap, though each would alone.
    #[test]
    fn the_memory_cap_is_on_the_sum_of_all_memories() {
        const CAP: u64 = 4 << 20;
        instantiate_with_cap(&module_with_memories(1, 40), CAP).expect("one memory of 2.5 MiB fits");
        let err = instantiate_with_cap(&module_with_memories(2, 40), CAP).expect_err("two memories of 2.5 MiB exceed the 4 MiB cap");
        assert!(format!("{err:#}").contains("over the cap"), "{err:#}");
        instantiate_with_cap(&module_with_memories(3, 20), CAP).expect("three memories of 1.25 MiB fit");
    }

    #[test]
    fn log_lines_are_clipped_at_a_char_boundary() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("abc", 10), "abc");
    }
}
