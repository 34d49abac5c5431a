//! The type-ahead catalog: every event (fixture) and item market by name, ranked by
//! popularity (bets placed on an event, trades in a market). Kept current by the engine
//! thread after each command; searched by connections under a read lock.

use std::collections::HashMap;
use std::sync::RwLock;

use entrepot_core::betting::BetEvent;
use entrepot_core::{Engine, Event};
use entrepot_protocol::SearchHit;
use entrepot_search::{DocKey, DocKind, SearchIndex};

#[derive(Default)]
pub struct Catalog {
    index: RwLock<SearchIndex>,
    /// Trades per market since start (markets' popularity).
    trades: RwLock<HashMap<u32, u64>>,
}

/// Longest page of results.
const MAX_HITS: u32 = 50;

impl Catalog {
    /// Index everything the engine holds (at start, after recovery).
    pub fn rebuild(&self, engine: &Engine) {
        let markets = engine
            .markets()
            .into_iter()
            .map(|entrepot_core::MarketInfo { spec, .. }| (DocKey { kind: DocKind::Market, id: u64::from(spec.id.0) }, spec.symbol.clone(), 0));
        let fixtures =
            engine.fixtures().into_iter().map(|(id, name, _)| (DocKey { kind: DocKind::Event, id: id.0 }, name.to_string(), engine.fixture_bets(id)));
        let docs: Vec<(DocKey, String, u64)> = markets.chain(fixtures).collect();
        *self.index.write().expect("catalog lock") = SearchIndex::build_from(docs);
    }

    /// Follow one command's events: new names, and popularity as bets and trades happen.
    pub fn update(&self, engine: &Engine, events: &[Event]) {
        let mut index = None;
        for e in events {
            let (key, name, popularity) = match e {
                Event::MarketCreated { market } => match engine.market_spec(*market) {
                    Some(spec) => (DocKey { kind: DocKind::Market, id: u64::from(market.0) }, Some(spec.symbol.clone()), 0),
                    None => continue,
                },
                Event::Trade { market, .. } => {
                    let mut trades = self.trades.write().expect("catalog lock");
                    let count = trades.entry(market.0).or_default();
                    *count += 1;
                    (DocKey { kind: DocKind::Market, id: u64::from(market.0) }, None, *count)
                }
                Event::Bet(BetEvent::FixtureCreated { fixture }) => match engine.fixture(*fixture) {
                    Some(f) => (DocKey { kind: DocKind::Event, id: fixture.0 }, Some(f.spec.name), 0),
                    None => continue,
                },
                Event::Bet(BetEvent::BetPlaced { bet, .. }) => match engine.bet(*bet).and_then(|b| b.legs.first().copied()) {
                    Some(leg) => (DocKey { kind: DocKind::Event, id: leg.fixture.0 }, None, engine.fixture_bets(leg.fixture)),
                    None => continue,
                },
                _ => continue,
            };
            let index = index.get_or_insert_with(|| self.index.write().expect("catalog lock"));
            match name {
                Some(name) => index.upsert(key, &name, popularity),
                None => {
                    index.set_popularity(key, popularity);
                }
            }
        }
    }

    pub fn search(&self, query: &str, limit: u32) -> Vec<SearchHit> {
        let index = self.index.read().expect("catalog lock");
        index
            .search(query, limit.clamp(1, MAX_HITS) as usize)
            .into_iter()
            .map(|h| SearchHit {
                kind: match h.key.kind {
                    DocKind::Event => "event".into(),
                    DocKind::Market => "market".into(),
                },
                id: h.key.id,
                name: h.name,
            })
            .collect()
    }
}
