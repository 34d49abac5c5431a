//! The harness both integration tests drive: the real engine, fed one command at a time,
//! with the market data fed after every command exactly as the server does
//! (`MarketData::on_command(time, &events, &engine, ..)`), and the journal kept so a test
//! can rebuild everything from it.

#![allow(dead_code)] // each test uses part of it

use entrepot_core::{AccountId, AssetId, AssetKind, AssetSpec, Body, Command, Ctx, Engine, Event, MarketId, MarketPolicy, MarketSpec, Outcome, RequestId};
use entrepot_marketdata::{Config, MarketData, Output};
use rust_decimal::Decimal;

/// The engine, the market data, and everything that went in and came out.
pub struct World {
    pub engine: Engine,
    pub md: MarketData,
    pub config: Config,
    /// Every command with its context, in order.
    pub journal: Vec<(Ctx, Command)>,
    /// The last command's events.
    pub events: Vec<Event>,
    /// Every output, with the index in `journal` of the command that produced it.
    pub outputs: Vec<(usize, Output)>,
    seq: u64,
    request: u64,
}

impl World {
    pub fn new(config: Config) -> World {
        World {
            engine: Engine::default(),
            md: MarketData::new(&config),
            config,
            journal: Vec::new(),
            events: Vec::new(),
            outputs: Vec::new(),
            seq: 0,
            request: 0,
        }
    }

    /// Apply one command at game time `time` and feed the market data.
    pub fn run(&mut self, time: u64, actor: AccountId, body: Body) -> Outcome {
        self.seq += 1;
        self.request += 1;
        let ctx = Ctx { seq: self.seq, time };
        let cmd = Command { actor, request: RequestId(self.request), body };
        self.events.clear();
        let outcome = self.engine.apply(ctx, &cmd, &mut self.events);
        let mut out = Vec::new();
        self.md.on_command(time, &self.events, &self.engine, &mut out);
        let index = self.journal.len();
        self.outputs.extend(out.into_iter().map(|o| (index, o)));
        self.journal.push((ctx, cmd));
        outcome
    }

    /// An admin command that must succeed.
    pub fn admin(&mut self, time: u64, body: Body) {
        let outcome = self.run(time, AccountId::ADMIN, body.clone());
        assert!(!matches!(outcome, Outcome::Rejected(_)), "{body:?}: {outcome:?}");
    }

    pub fn asset(&mut self, time: u64, id: AssetId, symbol: &str, decimals: u8, kind: AssetKind) {
        self.admin(time, Body::CreateAsset(AssetSpec { id, symbol: symbol.into(), decimals, kind }));
    }

    #[allow(clippy::too_many_arguments)]
    pub fn market(&mut self, time: u64, id: MarketId, symbol: &str, base: AssetId, quote: AssetId, tick: Decimal, lot: Decimal, policy: MarketPolicy) {
        let spec = MarketSpec { id, symbol: symbol.into(), base, quote, tick, lot };
        self.admin(time, Body::CreateMarket { spec, policy });
    }
}

/// Rebuild from a journal: a fresh engine and a fresh market data fed every command.
/// With `cut = Some(k)`, the market data is encoded after the first `k` commands, decoded
/// (with the same configuration) and the decoded copy goes on. Returns the final market
/// data and every output with its command index.
pub fn replay(journal: &[(Ctx, Command)], config: &Config, cut: Option<usize>) -> (MarketData, Vec<(usize, Output)>) {
    let mut engine = Engine::default();
    let mut md = MarketData::new(config);
    let mut events = Vec::new();
    let mut outputs = Vec::new();
    for (i, (ctx, cmd)) in journal.iter().enumerate() {
        if cut == Some(i) {
            md = MarketData::decode(&md.encode(), config).expect("decodes with its own configuration");
        }
        events.clear();
        engine.apply(*ctx, cmd, &mut events);
        let mut out = Vec::new();
        md.on_command(ctx.time, &events, &engine, &mut out);
        outputs.extend(out.into_iter().map(|o| (i, o)));
    }
    if cut == Some(journal.len()) {
        md = MarketData::decode(&md.encode(), config).expect("decodes with its own configuration");
    }
    (md, outputs)
}
