//! Plugins in the running server: loading from the plugins directory and by admin command,
//! hot reload, binding markets to rules plugins, and turning engine events into notifier
//! calls.
//!
//! Compiling a plugin is slow, so it happens off the engine thread (`load`); the swap itself
//! (`PluginOp::Install`) runs on the engine thread between two commands, followed at once by
//! the journaled `BindRules` commands that point the markets at the new hash. No command
//! ever runs half on the old and half on the new version, and the journal says which hash
//! decided what.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::Arc;

use entrepot_core::betting::BetEvent;
use entrepot_core::{Engine, Event, MarketId};
use entrepot_plugins::{BetSettled, BetStatus, Channel, MarketInfo, Notification, NotifyEvent, OrderFilled, Plugin, PluginHost, PluginStatus, Runtime, World};
use entrepot_protocol::{ApiError, ErrorCode, PluginInfo};

/// What an admin asks of the plugins; answered on the engine thread.
pub enum PluginOp {
    /// Install (or replace) a loaded plugin and bind markets to it: those its manifest
    /// lists plus those already bound to its name.
    Install { plugin: Arc<Plugin> },
    Unload { name: String },
    Bind { market: MarketId, name: Option<String> },
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

    /// Run the notifiers over a command's events (and tell rules plugins about market
    /// status changes); returns what to deliver.
    pub fn notifications(&mut self, engine: &Engine, events: &[Event]) -> Vec<Notification> {
        let mut out = Vec::new();
        for e in events {
            match *e {
                // Rules plugins hear about their markets' status whether or not a notifier runs.
                Event::MarketChanged { market, status } => self.host.market_status_changed(market.0, status),
                _ if !self.notifiers => {}
                Event::Trade { market, price, quantity, maker_order, maker_account, taker_order, taker_account, taker_side, .. } => {
                    let (Some(units), Some(spec)) = (engine.market_units(market), engine.market_spec(market)) else { continue };
                    let remaining = |order| engine.order(order).map_or(0, |o| o.quantity);
                    for (account, order, side) in [(maker_account, maker_order, taker_side.opposite()), (taker_account, taker_order, taker_side)] {
                        let event = NotifyEvent::OrderFilled(OrderFilled {
                            account: account.0,
                            order: order.0,
                            market: market.0,
                            symbol: spec.symbol.clone(),
                            side,
                            price: units.ticks_to_price(price).normalize().to_string(),
                            quantity: units.lots_to_quantity(quantity).normalize().to_string(),
                            remaining: remaining(order),
                        });
                        out.extend(self.host.notify(&event));
                    }
                }
                Event::Bet(BetEvent::BetSettled { bet, account, asset, outcome, paid, .. }) => {
                    let Some(view) = engine.bet(bet) else { continue };
                    let (event_name, selection) = bet_names(engine, &view);
                    let payout = crate::convert::amount_out(engine, asset, paid).normalize().to_string();
                    // The settled outcome as the bettor sees it (a lay's is inverted).
                    let result = match view.state {
                        entrepot_core::betting::BetState::Settled(o) => o.word(),
                        _ => outcome.word(),
                    };
                    let status = if result == "void" { "void" } else { "settled" };
                    out.extend(self.host.notify(&bet_status(engine, &view, status, Some(payout.clone()))));
                    let event = NotifyEvent::BetSettled(BetSettled { account: account.0, bet: bet.0, event_name, selection, result: result.into(), payout });
                    out.extend(self.host.notify(&event));
                }
                Event::Bet(BetEvent::BetPlaced { bet, .. }) => {
                    if let Some(view) = engine.bet(bet) {
                        out.extend(self.host.notify(&bet_status(engine, &view, "accepted", None)));
                    }
                }
                Event::Bet(BetEvent::BetMatched { bet, .. }) => {
                    if let Some(view) = engine.bet(bet) {
                        out.extend(self.host.notify(&bet_status(engine, &view, "matched", None)));
                    }
                }
                Event::Bet(BetEvent::OrderClosed { order, lapsed: true, .. }) => {
                    if let Some(view) = engine.bet(order) {
                        out.extend(self.host.notify(&bet_status(engine, &view, "lapsed", None)));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// What players call a bet: the event's name and the selection's (a parlay names its legs).
fn bet_names(engine: &Engine, bet: &entrepot_core::betting::BetView) -> (String, String) {
    let name = |s: &entrepot_core::betting::SelectionRef| {
        engine.fixture(s.fixture).map_or_else(
            || (format!("event {}", s.fixture), String::new()),
            |f| (f.spec.name.clone(), f.spec.markets[s.market as usize].selections[s.selection as usize].name.clone()),
        )
    };
    match bet.legs.as_slice() {
        [one] => name(one),
        legs => (format!("{}-leg parlay", legs.len()), legs.iter().map(|l| name(l).1).collect::<Vec<_>>().join(" + ")),
    }
}

/// A `bet-status` notifier event for a bet in its current state.
fn bet_status(engine: &Engine, bet: &entrepot_core::betting::BetView, status: &str, payout: Option<String>) -> NotifyEvent {
    let (event_name, selection) = bet_names(engine, bet);
    NotifyEvent::BetStatus(BetStatus {
        account: bet.account.0,
        bet: bet.bet.0,
        event_name,
        selection,
        status: status.into(),
        stake: crate::convert::amount_out(engine, bet.asset, bet.stake).normalize().to_string(),
        odds: bet.odds.to_string(),
        payout,
    })
}

/// A message for one account: (account, subject, body).
pub type Message = (u64, String, String);

/// Split notifications by channel: in-game ones become account pushes, e-mails go to the
/// mailer.
pub fn route(notifications: Vec<Notification>) -> (Vec<Message>, Vec<Message>) {
    let (mut in_game, mut mail) = (Vec::new(), Vec::new());
    for n in notifications {
        match n.channel {
            Channel::InGame => in_game.push((n.account, n.subject, n.body)),
            Channel::Email => mail.push((n.account, n.subject, n.body)),
        }
    }
    (in_game, mail)
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

/// Word a held token mail (sign-up confirmation, password reset) with the first e-mail a
/// notifier proposes for `event` and release it; with no notifier for the event, or one
/// that faulted or left the token out (the host dropped that), the built-in text goes.
/// If this fails, the hold expires and the built-in text goes anyway.
pub async fn word_token_mail(shared: &crate::conn::Shared, event: NotifyEvent, mail: u64) {
    let proposed = shared.sequencer.notify(event).await.unwrap_or_default();
    let text = proposed.into_iter().find(|n| n.channel == Channel::Email).map(|n| (n.subject, n.body));
    let outbox = shared.auth.outbox.clone();
    let released = tokio::task::spawn_blocking(move || outbox.release(mail, text)).await;
    if let Err(e) = released.map_err(anyhow::Error::from).and_then(|r| r) {
        tracing::warn!(mail, error = %e, "token mail not released; it goes with the built-in text when its hold ends");
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

/// Load a manifest off the engine thread, then install it and bind its markets.
pub async fn load_and_install(shared: &crate::conn::Shared, manifest: PathBuf) -> Result<(Arc<Plugin>, Vec<PluginInfo>), ApiError> {
    let runtime = shared.runtime.clone();
    let path = manifest.clone();
    let plugin = tokio::task::spawn_blocking(move || load(&runtime, &path))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
    let infos = shared.sequencer.plugin(PluginOp::Install { plugin: plugin.clone() }).await?;
    shared.plugin_paths.set(plugin.name(), manifest);
    Ok((plugin, infos))
}

pub fn not_loaded(name: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no plugin named {name:?} is loaded"))
}
