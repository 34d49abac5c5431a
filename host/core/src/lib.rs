//! # entrepot-core
//!
//! The sans-IO deterministic engine: `Engine::apply(ctx, &command, &mut events)`.
//! No clock, no randomness, no I/O, no hash-map iteration leaking into results: the same
//! command sequence always produces the same events and the same `state_hash`.
//! The exact rules are in `SEMANTICS.md` beside this crate.

#![warn(missing_docs)]
// Money and counts never narrow silently: convert with `try_from` and say why it fits.
#![deny(clippy::cast_possible_truncation, clippy::cast_possible_wrap, clippy::cast_sign_loss)]

pub mod alerts;
pub mod betting;
mod book;
mod books;
mod command;
mod dedup;
mod engine;
mod event;
mod ids;
mod ledger;
mod market;
pub mod rules;
mod snapshot;
pub mod units;

pub use book::{Book, IdHasher, IdMap, Resting};
pub use command::{Body, Command, Ctx, MarketSize, OrderKind, OrderRequest, Side, TimeInForce};
pub use engine::{BookTop, Engine, EngineConfig, MarketInfo, OrderView};
pub use event::{DoneReason, Event, InvalidFixture, InvalidMarket, Outcome, RejectReason};
pub use ids::{AccountId, AssetId, Lots, MarketId, Minor, OrderId, RequestId, Ticks, TradeId};
pub use ledger::MAX_SUPPLY;
pub use market::{AssetKind, AssetSpec, BuyLimit, MarketPolicy, MarketSpec, MarketStatus, PluginBinding, SelfTradePrevention};
pub use snapshot::Snapshot;
