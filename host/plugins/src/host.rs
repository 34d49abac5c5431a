//! [`PluginHost`]: the installed plugins of one engine thread, their live instances, and
//! the fault policy.
//!
//! # Fault policy
//!
//! A call that traps, runs out of fuel, passes its deadline, hits its memory cap, makes
//! too many host calls or answers too much gets no answer (the caller applies the native
//! rule), its store is dropped, and a fresh instance is made at once — so the next call
//! pays nothing and sees a clean plugin. The fault is counted by kind and logged with
//! `tracing::warn!`. After [`QUARANTINE_FAULTS`] faults within [`QUARANTINE_WINDOW`] (wall
//! time) the plugin is quarantined: no instance is kept, every call is refused at once,
//! until the plugin is reloaded ([`PluginHost::install`] with the same name) or removed.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wasmtime::Store;

use crate::error::{FaultKind, PluginError, PluginFault};
use crate::manifest::World;
use crate::metrics::{Metrics, PluginMetrics};
use crate::plugin::Plugin;
use crate::runtime::Runtime;
use crate::sandbox::{Exports, Fault, Live, StoreData};
use crate::types::{self, BetOutcome, BetSpec, Channel, EventResult, MarketInfo, Notification, NotifyEvent};

/// Faults within [`QUARANTINE_WINDOW`] that quarantine a plugin.
pub const QUARANTINE_FAULTS: usize = 3;
pub const QUARANTINE_WINDOW: Duration = Duration::from_secs(60);

/// What `status()` reports for one plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginStatus {
    pub name: String,
    pub version: String,
    pub world: World,
    /// SHA-256 of the wasm, hex.
    pub hash: String,
    /// Why the plugin is quarantined, if it is.
    pub quarantined: Option<String>,
    pub metrics: PluginMetrics,
}

/// The plugins installed on the engine thread, one store each. Send, not shared: every
/// call goes through `&mut self`.
pub struct PluginHost {
    runtime: Runtime,
    slots: BTreeMap<String, Slot>,
    /// Metrics by plugin name, kept across reloads.
    metrics: BTreeMap<String, Metrics>,
    /// Bet type → the plugin that handles it.
    bet_types: BTreeMap<String, String>,
    markets: Arc<BTreeMap<u32, MarketInfo>>,
}

struct Slot {
    plugin: Arc<Plugin>,
    live: Option<Live>,
    quarantine: Option<String>,
    recent_faults: VecDeque<Instant>,
}

impl PluginHost {
    pub fn new(runtime: Runtime) -> PluginHost {
        PluginHost { runtime, slots: BTreeMap::new(), metrics: BTreeMap::new(), bet_types: BTreeMap::new(), markets: Arc::default() }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Install `plugin`, or replace (hot reload) the plugin of the same name; returns the
    /// replaced one. The new instance is made here, so the first call pays nothing and a
    /// plugin that cannot start leaves the old one in place. A reload clears the quarantine.
    pub fn install(&mut self, plugin: Arc<Plugin>) -> Result<Option<Arc<Plugin>>, PluginError> {
        let name = plugin.name().to_owned();
        for bet_type in &plugin.manifest.applies.bet_types {
            if let Some(owner) = self.bet_types.get(bet_type).filter(|owner| **owner != name) {
                return Err(PluginError::BetTypeTaken { name, bet_type: bet_type.clone(), owner: owner.clone() });
            }
        }
        let live = Live::new(&plugin, self.markets.clone(), self.runtime.epoch_tick())
            .map_err(|fault| PluginError::Instantiate { name: name.clone(), message: fault.detail })?;
        let slot = Slot { plugin: plugin.clone(), live: Some(live), quarantine: None, recent_faults: VecDeque::new() };
        let old = self.slots.insert(name.clone(), slot).map(|old| old.plugin);
        self.metrics.entry(name.clone()).or_insert_with(Metrics::new);
        self.index_bet_types();
        match &old {
            Some(old) => tracing::info!(plugin = %name, from = %old.hash_hex(), to = %plugin.hash_hex(), version = %plugin.manifest.version, "plugin reloaded"),
            None => tracing::info!(plugin = %name, hash = %plugin.hash_hex(), version = %plugin.manifest.version, world = %plugin.world(), "plugin installed"),
        }
        Ok(old)
    }

    /// Uninstall; its metrics go too.
    pub fn remove(&mut self, name: &str) -> Option<Arc<Plugin>> {
        let slot = self.slots.remove(name)?;
        self.metrics.remove(name);
        self.index_bet_types();
        tracing::info!(plugin = name, "plugin removed");
        Some(slot.plugin)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.slots.get(name).map(|s| &s.plugin)
    }

    /// Every installed plugin, by name.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.slots.values().map(|s| &s.plugin)
    }

    pub fn status(&self) -> Vec<PluginStatus> {
        self.slots
            .iter()
            .map(|(name, slot)| PluginStatus {
                name: name.clone(),
                version: slot.plugin.manifest.version.clone(),
                world: slot.plugin.world(),
                hash: slot.plugin.hash_hex(),
                quarantined: slot.quarantine.clone(),
                metrics: self.metrics.get(name).map(Metrics::snapshot).unwrap_or_default(),
            })
            .collect()
    }

    /// Static facts for the `host.market-info` import, for every instance from now on.
    pub fn set_markets(&mut self, markets: Vec<MarketInfo>) {
        self.markets = Arc::new(markets.into_iter().map(|m| (m.market, m)).collect());
        for slot in self.slots.values_mut() {
            if let Some(live) = &mut slot.live {
                live.set_markets(self.markets.clone());
            }
        }
    }

    /// Ask the plugin handling `bet_type` whether `spec` is a valid bet: `Ok(Err(why))` is
    /// the plugin's refusal, `Err` means there was no answer.
    pub fn validate_bet(&mut self, bet_type: &str, spec: &BetSpec) -> Result<Result<(), String>, PluginFault> {
        let name = self.bet_types.get(bet_type).cloned().ok_or_else(|| PluginFault::NotInstalled(format!("bet type {bet_type}")))?;
        let spec = types::bet_spec(spec);
        let answer = self.invoke(
            &name,
            |store, exports| match exports {
                Exports::BetType(b) => b.entrepot_plugin_bet().call_validate(store, &spec),
                _ => unreachable!("bet types index bet-type plugins only"),
            },
            |answer, limit| check_size(answer.as_ref().err().map_or(0, String::len), limit),
        )?;
        Ok(answer.map_err(entrepot_core::rules::clip_reason))
    }

    /// Settle a bet of `bet_type` against an event's result.
    pub fn settle_bet(&mut self, bet_type: &str, spec: &BetSpec, result: &EventResult) -> Result<BetOutcome, PluginFault> {
        let name = self.bet_types.get(bet_type).cloned().ok_or_else(|| PluginFault::NotInstalled(format!("bet type {bet_type}")))?;
        let (spec, result) = (types::bet_spec(spec), types::event_result(result));
        let mut outcome = None;
        self.invoke(
            &name,
            |store, exports| match exports {
                Exports::BetType(b) => b.entrepot_plugin_bet().call_settle(store, &spec, &result),
                _ => unreachable!("bet types index bet-type plugins only"),
            },
            |answer, _| {
                outcome = types::outcome_back(*answer);
                outcome.map(drop).ok_or_else(|| "settled with a multiplier whose denominator is 0".to_owned())
            },
        )?;
        Ok(outcome.expect("checked above"))
    }

    /// Hand `event` to every notifier that subscribed to its kind, in name order. A notifier
    /// that faults is counted and skipped; the others still answer. Notifications addressed
    /// to any account but the one the event concerns are dropped (and logged): a notifier
    /// speaks to the player its event is about, never to everyone. For events that carry a
    /// token (confirmation, reset) only e-mails whose body contains the token are kept.
    pub fn notify(&mut self, event: &NotifyEvent) -> Vec<Notification> {
        let kind = event.kind();
        let account = event.account();
        let names: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| s.plugin.world() == World::Notifier && s.plugin.manifest.applies.events.contains(&kind))
            .map(|(name, _)| name.clone())
            .collect();
        if names.is_empty() {
            return Vec::new();
        }
        let secret = event.token();
        let event = types::notify_event(event);
        let mut out = Vec::new();
        for name in names {
            let answer = self.invoke(
                &name,
                |store, exports| match exports {
                    Exports::Notifier(n) => n.entrepot_plugin_notify().call_on_event(store, &event),
                    _ => unreachable!("filtered on the notifier world"),
                },
                |list, limit| check_size(types::notifications_size(list), limit),
            );
            for n in answer.into_iter().flatten() {
                let n = types::notification_back(&name, n);
                if n.account != account {
                    tracing::warn!(plugin = %name, event = %kind, to = n.account, concerns = account, "dropped a notification addressed to another account");
                    continue;
                }
                // A token proves the address: it goes by e-mail only, and an e-mail without
                // it would leave the player stuck (the caller sends its own text instead).
                if let Some(token) = secret {
                    if n.channel != Channel::Email || !n.body.contains(token) {
                        tracing::warn!(plugin = %name, event = %kind, "dropped a notification: tokens go by e-mail, in the body");
                        continue;
                    }
                }
                out.push(n);
            }
        }
        out
    }

    /// Tell every market-rules plugin that a market's status changed (informational; a
    /// plugin filters on the market id). Faults are counted like any other.
    pub fn market_status_changed(&mut self, market: u32, status: entrepot_core::MarketStatus) {
        let names: Vec<String> = self.slots.iter().filter(|(_, s)| s.plugin.world() == World::MarketRules).map(|(name, _)| name.clone()).collect();
        let status = types::market_status(status);
        for name in names {
            let _ = self.invoke(
                &name,
                |store, exports| match exports {
                    Exports::MarketRules(r) => r.entrepot_plugin_rules().call_on_market_status(store, market, status),
                    _ => unreachable!("filtered on the market-rules world"),
                },
                |_, _| Ok(()),
            );
        }
    }

    /// The one way into a plugin: refuse if quarantined, (re)instantiate if needed, run `f`
    /// under the limits, check the answer with `check(answer, output_bytes)`, and apply the
    /// fault policy.
    pub(crate) fn invoke<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Store<StoreData>, &Exports) -> wasmtime::Result<R>,
        check: impl FnOnce(&R, u64) -> Result<(), String>,
    ) -> Result<R, PluginFault> {
        let tick = self.runtime.epoch_tick();
        let slot = self.slots.get_mut(name).ok_or_else(|| PluginFault::NotInstalled(name.to_owned()))?;
        let metrics = self.metrics.get_mut(name).expect("metrics exist for every slot");
        if let Some(reason) = &slot.quarantine {
            return Err(PluginFault::Quarantined { plugin: name.to_owned(), reason: reason.clone() });
        }
        let limits = slot.plugin.manifest.limits;
        if slot.live.is_none() {
            match Live::new(&slot.plugin, self.markets.clone(), tick) {
                Ok(live) => slot.live = Some(live),
                Err(fault) => return Err(slot.fault(fault, metrics)),
            }
        }
        let live = slot.live.as_mut().expect("instantiated above");
        let (result, stats) = live.call(&limits, tick, f);
        metrics.call(u64::try_from(stats.elapsed.as_nanos()).unwrap_or(u64::MAX), stats.fuel_used);
        let result = result.and_then(|answer| match check(&answer, limits.output_bytes) {
            Ok(()) => Ok(answer),
            Err(detail) => Err(Fault { kind: FaultKind::Output, detail }),
        });
        result.map_err(|fault| {
            slot.live = None;
            let fault = slot.fault(fault, metrics);
            if slot.quarantine.is_none() {
                // A fresh instance now, so the next call pays nothing. If even that fails,
                // the next call retries and counts the failure.
                slot.live = Live::new(&slot.plugin, self.markets.clone(), tick).ok();
            }
            fault
        })
    }

    fn index_bet_types(&mut self) {
        self.bet_types =
            self.slots.iter().flat_map(|(name, slot)| slot.plugin.manifest.applies.bet_types.iter().map(move |b| (b.clone(), name.clone()))).collect();
    }

    /// The slot for a rules call: installed, a market-rules plugin, and the very code the
    /// binding names.
    pub(crate) fn rules_plugin(&self, binding: &entrepot_core::PluginBinding) -> Option<&str> {
        let slot = self.slots.get(&binding.name)?;
        if slot.plugin.world() != World::MarketRules {
            return None;
        }
        if slot.plugin.hash != binding.hash {
            tracing::debug!(plugin = %binding.name, installed = %slot.plugin.hash_hex(), "market bound to another version of the plugin; native rule applies");
            return None;
        }
        Some(slot.plugin.name())
    }
}

impl Slot {
    /// Count and log a fault; quarantine the plugin on repeat.
    fn fault(&mut self, fault: Fault, metrics: &mut Metrics) -> PluginFault {
        let name = self.plugin.name().to_owned();
        metrics.fault(fault.kind);
        tracing::warn!(plugin = %name, fault = %fault.kind, detail = %fault.detail, "plugin call failed; its instance was discarded and the native rule applies");
        let now = Instant::now();
        self.recent_faults.push_back(now);
        while self.recent_faults.front().is_some_and(|t| now.duration_since(*t) > QUARANTINE_WINDOW) {
            self.recent_faults.pop_front();
        }
        if self.recent_faults.len() >= QUARANTINE_FAULTS {
            let reason = format!("{} faults within {} s, the last: {} ({})", self.recent_faults.len(), QUARANTINE_WINDOW.as_secs(), fault.kind, fault.detail);
            tracing::warn!(plugin = %name, reason = %reason, "plugin quarantined until it is reloaded or removed");
            metrics.quarantined();
            self.quarantine = Some(reason);
            self.recent_faults.clear();
            self.live = None;
        }
        PluginFault::Faulted { plugin: name, kind: fault.kind, detail: fault.detail }
    }
}

fn check_size(bytes: usize, limit: u64) -> Result<(), String> {
    if bytes as u64 > limit {
        Err(format!("answered {bytes} bytes, over its output limit of {limit}"))
    } else {
        Ok(())
    }
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("plugins", &self.slots.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}
