//! # entrepot-core
//!
//! The sans-IO deterministic engine: `Engine::apply(ctx, &command, &mut events)`.
//! No clock, no randomness, no I/O, no hash-map iteration leaking into results: the same
//! command sequence always produces the same events and the same `state_hash`.
//! The exact rules are in `SEMANTICS.md` beside this crate.

pub mod betting;
pub mod book;
mod books;
pub mod command;
mod dedup;
mod engine;
pub mod event;
pub mod ids;
mod ledger;
pub mod market;
pub mod rules;
mod snapshot;
pub mod units;

pub use book::Book;
pub use command::{Body, Command, Ctx, MarketSize, OrderKind, OrderRequest, Side, TimeInForce};
pub use engine::{Engine, EngineConfig, MarketInfo, OrderView};
pub use snapshot::Snapshot;
pub use event::{DoneReason, Event, InvalidFixture, InvalidMarket, Outcome, RejectReason};
pub use ids::{AccountId, AssetId, MarketId, OrderId, RequestId, TradeId};
pub use market::{AssetKind, AssetSpec, BuyLimit, MarketPolicy, MarketSpec, MarketStatus, SelfTradePrevention};
pub use rules::{Decision, PluginBinding, Rules};
pub use units::MarketUnits;
