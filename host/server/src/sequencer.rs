//! The single writer: one thread owns the engine and applies commands in arrival order
//! (LMAX style). For each command it stamps seq and game time, applies it (plugin
//! decisions recorded), has the events published (`publish.rs`: pushes, cursors, inbox)
//! and the notifiers run (`notify.rs`), and hands everything to the journal's group
//! committer. The client's reply and the live pushes go out only from the commit callback,
//! i.e. once the command is durable. Queries run on the same thread, between commands,
//! against the current state.
//!
//! Fail-stop: once the journal fails to commit (`entrepot_store::Failure`), this thread
//! applies nothing more. Every queued and every new request is answered `StorageFailed`
//! (queries too: memory may hold commands that will never be durable), and so is every
//! command applied after the failed one whose batch had not committed yet: the committer
//! refuses everything after a failure, so none of them is acknowledged.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use entrepot_core::rules::Recorder;
use entrepot_core::{AccountId, Body, Command, Ctx, Engine, Event, Outcome, RejectReason, RequestId};
use entrepot_marketdata::MarketData;
use entrepot_plugins::{Notification, NotifyEvent};
use entrepot_protocol::{ApiError, ErrorCode, PluginInfo};
use entrepot_store::journal::encode as encode_state;
use entrepot_store::{put_marketdata, Committer, Failure, Job, JournalEntry, Write};
use tokio::sync::{mpsc, oneshot};

use crate::clock::now_ms;
use crate::errors::{shutting_down, storage_failed};
use crate::fanout::Fanout;
use crate::notify::{self, Mailer};
use crate::plugins::{self, PluginOp, Plugins};
use crate::publish::Publisher;
use crate::request_ids;
use crate::search::Catalog;

type Reader = Box<dyn FnOnce(&Engine, &MarketData) + Send>;
/// Builds a command body against the current engine (decimal → ticks/lots conversion
/// needs the market's units); a failure is answered at once and changes nothing.
pub type Build = Box<dyn FnOnce(&Engine) -> Result<Body, RejectReason> + Send>;
type Reply = oneshot::Sender<Result<Outcome, ApiError>>;
/// What a plugin operation answers: the plugins, and the durability of the `BindRules`
/// commands it issued (if any) to wait for before answering the admin.
pub type PluginReply = oneshot::Sender<Result<PluginAnswer, ApiError>>;
pub type PluginAnswer = (Vec<PluginInfo>, Option<oneshot::Receiver<Result<Outcome, ApiError>>>);

enum Input {
    Command {
        command: Command,
        reply: Option<Reply>,
    },
    Build {
        actor: AccountId,
        request: RequestId,
        build: Build,
        reply: Reply,
    },
    Read(Reader),
    Plugin(PluginOp, PluginReply),
    Notify(NotifyEvent, oneshot::Sender<Vec<Notification>>),
    /// Writes for the journal's next batch transaction, after everything queued before.
    Write(Write, oneshot::Sender<Result<(), ApiError>>),
    Tick,
    /// Push the tickers of the markets that changed since the last flush (once a second).
    FlushTickers,
    Shutdown,
}

pub struct Sequencer {
    tx: mpsc::Sender<Input>,
    /// Earliest pending GTD expiry (game ms), for the ticker.
    pub next_expiry: Arc<AtomicU64>,
    thread: std::sync::Mutex<Option<JoinHandle<Engine>>>,
    /// Set once the journal failed to commit: the thread then applies nothing more.
    failure: Failure,
}

pub struct SequencerConfig {
    pub snapshot_every: u64,
}

impl Sequencer {
    #[allow(clippy::too_many_arguments)] // the engine thread owns or feeds each of these
    pub fn spawn(
        engine: Engine,
        cursors: HashMap<u64, u64>,
        committer: Committer,
        fanout: Arc<Fanout>,
        catalog: Arc<Catalog>,
        config: SequencerConfig,
        plugins: Plugins,
        mailer: Mailer,
        marketdata: MarketData,
    ) -> Sequencer {
        let (tx, rx) = mpsc::channel(65_536);
        let next_expiry = Arc::new(AtomicU64::new(next_due(&engine, &marketdata)));
        let expiry = next_expiry.clone();
        let failure = committer.failure();
        let thread = std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || {
                catalog.rebuild(&engine);
                let publisher = Publisher::new(cursors);
                let mut state = State {
                    engine,
                    publisher,
                    committer,
                    fanout,
                    catalog,
                    events: Vec::new(),
                    config,
                    next_expiry: expiry,
                    plugins,
                    mailer,
                    marketdata,
                    md_outputs: Vec::new(),
                    tickers_dirty: BTreeSet::new(),
                };
                state.plugins.set_markets(&state.engine);
                state.run(rx)
            })
            .expect("spawn sequencer");
        Sequencer { tx, next_expiry, thread: std::sync::Mutex::new(Some(thread)), failure }
    }

    /// Why the sequencer no longer answers: a storage failure (fail-stop) or a shutdown.
    fn gone(&self) -> ApiError {
        if self.failure.is_failed() {
            storage_failed()
        } else {
            shutting_down()
        }
    }

    /// Whether the journal failed and the server stopped applying commands (fail-stop).
    pub fn storage_failed(&self) -> bool {
        self.failure.is_failed()
    }

    /// Run `write` in the journal's next batch transaction (many small writers share one
    /// durable commit); resolves once it is durable.
    pub async fn write(&self, write: Write) -> Result<(), ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Write(write, reply)).await.map_err(|_| self.gone())?;
        rx.await.unwrap_or_else(|_| Err(self.gone()))
    }

    /// Apply a command; resolves once it is durable.
    pub async fn submit(&self, command: Command) -> Result<Outcome, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.enqueue(command, reply).await?;
        rx.await.unwrap_or_else(|_| Err(self.gone()))
    }

    /// Queue a command and return at once; the receiver resolves once it is durable.
    /// Commands enqueued by one caller are applied in the order they were enqueued.
    pub async fn enqueue(&self, command: Command, reply: Reply) -> Result<(), ApiError> {
        self.tx.send(Input::Command { command, reply: Some(reply) }).await.map_err(|_| self.gone())
    }

    /// Like [`Sequencer::enqueue`], with the body built on the engine thread.
    pub async fn enqueue_built(&self, actor: AccountId, request: RequestId, build: Build, reply: Reply) -> Result<(), ApiError> {
        self.tx.send(Input::Build { actor, request, build, reply }).await.map_err(|_| self.gone())
    }

    /// Run `f` on the engine thread between commands.
    pub async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Engine) -> T + Send + 'static) -> Result<T, ApiError> {
        self.read_marketdata(move |engine, _| f(engine)).await
    }

    /// Run `f` on the engine thread between commands, with the derived market data.
    pub async fn read_marketdata<T: Send + 'static>(&self, f: impl FnOnce(&Engine, &MarketData) -> T + Send + 'static) -> Result<T, ApiError> {
        let (reply, rx) = oneshot::channel();
        let reader: Reader = Box::new(move |engine, marketdata| {
            let _ = reply.send(f(engine, marketdata));
        });
        self.tx.send(Input::Read(reader)).await.map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())
    }

    /// Install, unload, bind or list plugins on the engine thread; resolves once the
    /// bindings it changed are durable.
    pub async fn plugin(&self, op: PluginOp) -> Result<Vec<PluginInfo>, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Plugin(op, reply)).await.map_err(|_| self.gone())?;
        let (infos, durable) = rx.await.map_err(|_| self.gone())??;
        if let Some(durable) = durable {
            durable.await.map_err(|_| self.gone())??;
        }
        Ok(infos)
    }

    /// Ask the notifier plugins what `event` should produce (none loaded or subscribed:
    /// nothing). Runs on the engine thread, between commands; changes no state.
    pub async fn notify(&self, event: NotifyEvent) -> Result<Vec<Notification>, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Notify(event, reply)).await.map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())
    }

    /// Let game time pass (expires due GTD orders, takes due metric samples).
    pub async fn tick(&self) {
        let _ = self.tx.send(Input::Tick).await;
    }

    /// Push the changed tickers (the server calls this once a second: conflation).
    pub async fn flush_tickers(&self) {
        let _ = self.tx.send(Input::FlushTickers).await;
    }

    /// Apply what is queued, snapshot, wait for the journal, and return the engine.
    pub async fn shutdown(&self) -> Option<Engine> {
        let _ = self.tx.send(Input::Shutdown).await;
        let thread = self.thread.lock().expect("lock").take()?;
        tokio::task::spawn_blocking(move || thread.join().ok()).await.ok().flatten()
    }
}

struct State {
    engine: Engine,
    publisher: Publisher,
    committer: Committer,
    fanout: Arc<Fanout>,
    catalog: Arc<Catalog>,
    events: Vec<Event>,
    config: SequencerConfig,
    next_expiry: Arc<AtomicU64>,
    plugins: Plugins,
    mailer: Mailer,
    /// Derived from every command's events (`entrepot-marketdata`).
    marketdata: MarketData,
    md_outputs: Vec<entrepot_marketdata::Output>,
    /// Markets whose ticker changed since the last `FlushTickers`.
    tickers_dirty: BTreeSet<u32>,
}

impl State {
    fn run(&mut self, mut rx: mpsc::Receiver<Input>) -> Engine {
        while let Some(input) = rx.blocking_recv() {
            if self.committer.failure().is_failed() && !matches!(input, Input::Shutdown) {
                refuse(input);
                continue;
            }
            match input {
                Input::Command { command, reply } => self.apply(command, reply),
                Input::Build { actor, request, build, reply } => match build(&self.engine) {
                    Ok(body) => self.apply(Command { actor, request, body }, Some(reply)),
                    Err(reason) => {
                        let _ = reply.send(Ok(Outcome::Rejected(reason)));
                    }
                },
                Input::Read(f) => f(&self.engine, &self.marketdata),
                Input::Plugin(op, reply) => {
                    let _ = reply.send(self.plugin_op(op));
                }
                Input::Notify(event, reply) => {
                    let _ = reply.send(self.plugins.host.notify(&event));
                }
                Input::Write(write, reply) => self.write(write, reply),
                Input::Tick => {
                    let request = request_ids::sequenced(self.engine.seq() + 1);
                    self.apply(Command { actor: AccountId::ADMIN, request, body: Body::Tick }, None);
                }
                Input::FlushTickers => self.flush_tickers(),
                Input::Shutdown => break,
            }
        }
        if self.committer.failure().is_failed() {
            // Memory may hold commands that were never durable: no snapshot of it.
            return std::mem::take(&mut self.engine);
        }
        // Everything applied so far goes into a final snapshot, after the last command.
        let snapshot = encode_state(&self.engine);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        self.committer.submit(Job {
            seq: self.engine.seq(),
            entry: None,
            account_events: Vec::new(),
            inbox: Vec::new(),
            snapshot: Some(snapshot),
            write: Some(self.marketdata_write()),
            done: Box::new(move |r, _| {
                let _ = done_tx.send(r);
            }),
        });
        if let Ok(Err(e)) = done_rx.recv() {
            tracing::error!(error = %e, "final snapshot failed");
        }
        std::mem::take(&mut self.engine)
    }

    /// The derived market data, stored beside the engine snapshot of the same seq.
    fn marketdata_write(&self) -> Write {
        let (seq, bytes) = (self.engine.seq(), self.marketdata.encode());
        Box::new(move |tx| put_marketdata(tx, seq, &bytes))
    }

    /// Push the tickers that changed, after everything applied so far is durable (a
    /// barrier job), so no ticker shows a trade that could still be lost.
    fn flush_tickers(&mut self) {
        if self.tickers_dirty.is_empty() {
            return;
        }
        let dirty = std::mem::take(&mut self.tickers_dirty);
        let seq = self.engine.seq();
        let pushes = crate::marketdata::ticker_pushes(&self.engine, &self.marketdata, &dirty, seq);
        let frames = self.publisher.frames(pushes);
        let fanout = self.fanout.clone();
        self.committer.submit(Job {
            seq,
            entry: None,
            account_events: Vec::new(),
            inbox: Vec::new(),
            snapshot: None,
            write: None,
            done: Box::new(move |result, _| {
                if result.is_ok() {
                    frames.publish(&fanout, Vec::new());
                }
            }),
        });
    }

    /// A barrier job carrying `write`: durable with the batch it lands in.
    fn write(&mut self, write: Write, reply: oneshot::Sender<Result<(), ApiError>>) {
        self.committer.submit(Job {
            seq: self.engine.seq(),
            entry: None,
            account_events: Vec::new(),
            inbox: Vec::new(),
            snapshot: None,
            write: Some(write),
            done: Box::new(move |result, _| {
                let _ = reply.send(result.map_err(|_| storage_failed()));
            }),
        });
    }

    fn plugin_op(&mut self, op: PluginOp) -> Result<PluginAnswer, ApiError> {
        let mut binds = Vec::new();
        match op {
            PluginOp::Install { plugin } => {
                let markets = self.plugins.markets_for(&self.engine, &plugin);
                let binding = plugin.binding();
                self.plugins.install(plugin)?;
                binds.extend(markets.into_iter().filter(|&m| self.engine.rules_binding(m) != Some(&binding)).map(|m| (m, Some(binding.clone()))));
            }
            PluginOp::Unload { name } => {
                self.plugins.unload(&name)?;
                binds.extend(self.engine.rules_bindings().into_iter().filter(|(_, b)| b.name == name).map(|(m, _)| (m, None)));
            }
            PluginOp::Bind { market, name } => {
                if self.engine.market_spec(market).is_none() {
                    return Err(ApiError::new(ErrorCode::NotFound, format!("no market {}", market.0)));
                }
                let binding = match name {
                    None => None,
                    Some(name) => {
                        let plugin = self.plugins.host.get(&name).ok_or_else(|| plugins::not_loaded(&name))?;
                        if plugin.world() != entrepot_plugins::World::MarketRules {
                            return Err(ApiError::new(ErrorCode::InvalidArgument, format!("{name} is not a market-rules plugin")));
                        }
                        Some(plugin.binding())
                    }
                };
                binds.push((market, binding));
            }
            PluginOp::List => {}
        }
        // Journal the new bindings; the admin is answered once the last one is durable.
        let mut durable = None;
        let count = binds.len();
        for (i, (market, binding)) in binds.into_iter().enumerate() {
            let request = request_ids::sequenced(self.engine.seq() + 1);
            let reply = (i + 1 == count).then(|| {
                let (tx, rx) = oneshot::channel();
                durable = Some(rx);
                tx
            });
            self.apply(Command { actor: AccountId::ADMIN, request, body: Body::BindRules { market, binding } }, reply);
        }
        Ok((self.plugins.infos(&self.engine), durable))
    }

    fn apply(&mut self, command: Command, reply: Option<Reply>) {
        let seq = self.engine.seq() + 1;
        let ctx = Ctx { seq, time: now_ms().max(self.engine.now()) };
        self.events.clear();
        let mut decisions = Vec::new();
        let mut rules = Recorder { inner: &mut self.plugins.host, decisions: &mut decisions };
        let outcome = self.engine.apply_with(ctx, &command, &mut self.events, &mut rules);
        let rule_message = rule_message(&self.events);

        self.plugins.observe(&self.engine, &self.events);
        self.md_outputs.clear();
        self.marketdata.on_command(ctx.time, &self.events, &self.engine, &mut self.md_outputs);
        let mut md_pushes = Vec::new();
        let alerts = crate::marketdata::outputs(&self.engine, &self.marketdata, &self.md_outputs, seq, &mut md_pushes, &mut self.tickers_dirty);
        let mut proposed = notify::notifications(&mut self.plugins, &self.engine, &self.events);
        if self.plugins.has_notifiers() {
            proposed.extend(alerts.events.iter().flat_map(|event| self.plugins.host.notify(event)));
        }
        let (notices, mail) = notify::route(proposed);
        self.catalog.update(&self.engine, &self.events);
        let batch = self.publisher.collect(&self.engine, &self.events, seq, ctx.time, notices, md_pushes);
        for m in mail {
            let _ = self.mailer.send(m);
        }
        self.next_expiry.store(next_due(&self.engine, &self.marketdata), Ordering::Relaxed);
        let snapshot = (self.config.snapshot_every > 0 && seq.is_multiple_of(self.config.snapshot_every)).then(|| encode_state(&self.engine));
        let write = snapshot.is_some().then(|| self.marketdata_write());
        let (fanout, frames) = (self.fanout.clone(), batch.frames);
        self.committer.submit(Job {
            seq,
            entry: Some(encode_state(&JournalEntry { ctx, command, decisions })),
            account_events: batch.account_events,
            inbox: batch.inbox,
            snapshot,
            write,
            done: Box::new(move |result, account_events| {
                let durable = result.is_ok();
                if let Some(reply) = reply {
                    let _ = reply.send(answer(result, outcome, rule_message));
                }
                if durable {
                    frames.publish(&fanout, account_events);
                }
            }),
        });
    }
}

/// The text of a plugin's refusal, if the command produced one.
fn rule_message(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::RuleMessage { message, .. } => Some(message.clone()),
        _ => None,
    })
}

/// What the caller hears once the command's commit finished.
fn answer(result: Result<(), String>, outcome: Outcome, rule_message: Option<String>) -> Result<Outcome, ApiError> {
    match (result, outcome) {
        // A plugin's refusal carries the plugin's own words.
        (Ok(()), Outcome::Rejected(reason @ (RejectReason::RuleRejected | RejectReason::BetRefused))) => Err(ApiError {
            code: ErrorCode::Rejected,
            reason: format!("{reason:?}"),
            message: rule_message.unwrap_or_else(|| reason.to_string()),
            retry_after_ms: None,
        }),
        (Ok(()), outcome) => Ok(outcome),
        // The committer logged why; the client hears only that nothing was done.
        (Err(_), _) => Err(storage_failed()),
    }
}

/// Fail-stop: answer an input that arrives after the journal failed, without applying it.
/// Readers and notifier questions are dropped, which their callers see as `StorageFailed`.
fn refuse(input: Input) {
    match input {
        Input::Command { reply: Some(reply), .. } | Input::Build { reply, .. } => {
            let _ = reply.send(Err(storage_failed()));
        }
        Input::Plugin(_, reply) => {
            let _ = reply.send(Err(storage_failed()));
        }
        Input::Write(_, reply) => {
            let _ = reply.send(Err(storage_failed()));
        }
        Input::Command { reply: None, .. } | Input::Read(_) | Input::Notify(..) | Input::Tick | Input::FlushTickers | Input::Shutdown => {}
    }
}

/// When the engine next has clock work (GTD expiry, fixture start, group end, odds window)
/// or a metric sample is due: the server sends a `Tick` then if nothing else arrives.
fn next_due(engine: &Engine, marketdata: &MarketData) -> u64 {
    engine.next_timer().unwrap_or(u64::MAX).min(marketdata.next_sample().unwrap_or(u64::MAX))
}
