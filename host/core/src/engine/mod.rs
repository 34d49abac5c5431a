//! The engine: one deterministic state machine over assets, accounts, markets, orders and
//! bets. `apply` runs one command; the rules are in `SEMANTICS.md` and every line here
//! should be traceable to it.
//!
//! The engine owns its stages and runs each command through them:
//! - [`crate::ledger`]: assets, accounts, balances, holds, fee sink, mint/burn — the only
//!   place that moves value;
//! - [`crate::books`]: markets, books, the order index, seats and expiries — no money;
//! - [`crate::dedup`]: request ids remembered for idempotent retries;
//! - `crate::betting`: fixtures, bets, ladders and groups, which use the ledger through
//!   its interface and never see orders.
//!
//! An order goes reserve → match → settle (`orders.rs`, `matching.rs`): it first takes a
//! [`crate::ledger::Hold`], matching works on the books and emits fills, each fill moves
//! held value ([`crate::ledger::Fill`]), and every terminal event releases the rest
//! ([`crate::ledger::Release`]). `changes.rs` turns what a command touched into `Balance`
//! and `BookLevel` events; `queries.rs` answers reads; `integrity.rs` holds `state_hash`
//! and `check_invariants`.

mod admin;
mod alerts;
mod cancel;
mod changes;
mod integrity;
mod matching;
mod orders;
mod plugin_calls;
mod queries;

pub use queries::{BookTop, MarketInfo, OrderView};

use serde::{Deserialize, Serialize};

use crate::betting::state::Betting;
use crate::betting::Bets;
use crate::books::Books;
use crate::command::{Body, Command, Ctx};
use crate::dedup::Dedup;
use crate::event::{DoneReason, Event, Outcome, RejectReason};
use crate::ledger::Ledger;
use crate::rules::{NativeOnly, Rules};

type R<T> = Result<T, RejectReason>;

/// Engine-wide settings that are not per market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// How long (game time) a request id is remembered for idempotent retries. The table
    /// costs about 40 bytes per command in the window, so the window bounds memory: ten
    /// minutes covers reconnect-and-retry while staying small at high command rates.
    pub dedup_window_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { dedup_window_ms: 10 * 60 * 1000 }
    }
}

/// The deterministic engine (see the module doc for its stages).
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    /// Game time of the last command (never goes back).
    pub(crate) now: u64,
    /// Sequence number of the last command.
    pub(crate) seq: u64,
    pub(crate) ledger: Ledger,
    pub(crate) books: Books,
    pub(crate) dedup: Dedup,
    /// Fixtures, bets, exchange ladders, groups and odds windows (`crate::betting`).
    pub(crate) betting: Betting,
    /// Players' price alerts (definitions only; their state is derived market data).
    pub(crate) alerts: crate::alerts::Alerts,
    /// Scratch for order ids a command walks (cancel-all, re-escrow), kept to avoid
    /// allocating on every command.
    pub(crate) id_scratch: Vec<(crate::ids::OrderId, crate::ids::MarketIx)>,
    /// Scratch for the end-of-command change events.
    pub(crate) changes: changes::Changes,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineConfig::default())
    }
}

impl Engine {
    /// An empty engine: no assets, accounts or markets.
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            config,
            now: 0,
            seq: 0,
            ledger: Ledger::with_capacity(64),
            books: Books::new(),
            dedup: Dedup::new(config.dedup_window_ms),
            betting: Betting::default(),
            alerts: Default::default(),
            id_scratch: Vec::new(),
            changes: changes::Changes::default(),
        }
    }

    /// Pre-size the tables for a known load so the hot path does not allocate while
    /// they grow (benchmarks, simulations, recovery).
    pub fn reserve(&mut self, orders: usize, requests: usize) {
        self.books.reserve(orders);
        self.dedup.reserve(requests);
    }

    /// Game time of the last command.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Sequence number of the last command.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Run one command and append its events to `out`. Markets bound to a rules plugin
    /// use their native policy (see [`Engine::apply_with`]).
    pub fn apply(&mut self, ctx: Ctx, cmd: &Command, out: &mut Vec<Event>) -> Outcome {
        self.apply_with(ctx, cmd, out, &mut NativeOnly)
    }

    /// Run one command, asking `rules` for the decisions of plugin-bound markets.
    /// Returns the command's outcome (for a duplicate: the original outcome).
    pub fn apply_with(&mut self, ctx: Ctx, cmd: &Command, out: &mut Vec<Event>, rules: &mut dyn Rules) -> Outcome {
        self.now = self.now.max(ctx.time);
        self.seq = ctx.seq;
        self.ledger.begin_command();
        self.expire(out);
        self.bets().run_timers(out);
        self.dedup.forget_before(self.now);
        let outcome = match self.dedup.outcome(cmd.actor, cmd.request) {
            Some(outcome) => {
                out.push(Event::Duplicate { account: cmd.actor, request: cmd.request, outcome });
                outcome
            }
            None => {
                let outcome = self.run(cmd, out, rules).unwrap_or_else(|reason| {
                    out.push(Event::Rejected { account: cmd.actor, request: cmd.request, reason });
                    Outcome::Rejected(reason)
                });
                self.dedup.remember(cmd.actor, cmd.request, outcome, self.now);
                outcome
            }
        };
        self.flush_changes(out);
        outcome
    }

    /// The earliest game time at which the engine has work of its own (a GTD expiry,
    /// possibly of an order already gone, or a betting timer): when the server should
    /// send a `Tick` if nothing else arrives.
    pub fn next_timer(&self) -> Option<u64> {
        match (self.books.next_expiry(), self.betting.next_timer()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The betting stage for this command.
    fn bets(&mut self) -> Bets<'_> {
        Bets { betting: &mut self.betting, ledger: &mut self.ledger, now: self.now }
    }

    /// Cancel every GTD order due by now.
    fn expire(&mut self, out: &mut Vec<Event>) {
        while let Some((m, order)) = self.books.pop_due(self.now) {
            self.cancel_resting(m, order, DoneReason::Expired, out);
        }
    }

    /// Validate, then mutate: a rejection never leaves a trace.
    fn run(&mut self, cmd: &Command, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<Outcome> {
        let (actor, request) = (cmd.actor, cmd.request);
        match &cmd.body {
            Body::Place(order) => return self.place(actor, request, order, out, rules),
            Body::Cancel { order } => self.cancel(actor, request, *order, out)?,
            Body::Modify { order, price, quantity } => self.modify(actor, request, *order, *price, *quantity, out, rules)?,
            Body::CancelAll { market } => self.cancel_all(actor, request, *market, out)?,
            Body::Bet(command) => return self.bets().run_bet(actor, request, command, out, rules),
            Body::Tick => out.push(Event::Done { account: actor, request }),
            Body::CreateAlert(spec) => return self.create_alert(actor, *spec, out),
            Body::RemoveAlert { alert } => self.remove_alert(actor, *alert, out)?,
            admin => self.run_admin(actor, request, admin, out)?,
        }
        Ok(Outcome::Done)
    }
}
