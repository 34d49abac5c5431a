//! # entrepot-marketdata
//!
//! Market data derived from the engine's events, never a second source of truth:
//! candles (`candles`), rolling 24-hour tickers (`ticker`), the metric history of every
//! market, currency and the game (`metrics`), rankings by variability (`rank`) and alerts
//! (`alerts`). A book's top and depth are the engine's (`Engine::book_top`), read after
//! each command that moved it.
//!
//! [`MarketData::on_command`] is called after every command with its game time, its events
//! and the engine as the command left it — by the server's engine thread live, and by
//! recovery and `verify` on replay — so the derived state is a function of the journal:
//! replaying it rebuilds [`MarketData::encode`] byte for byte (tested). Metrics are sampled
//! at every multiple of the sampling interval of game time, from the state as the last
//! command before that instant left it (the sample is taken when the first command at or
//! after the instant arrives; the server sends a `Tick` at each instant, so that is on
//! time). Everything stored is an integer in the engine's units (ticks, lots, minor units).

pub mod alerts;
pub mod candles;
pub mod metrics;
pub mod rank;
mod state;
pub mod ticker;

pub use alerts::{AlertRule, AlertState, Change, Phase};
pub use candles::{Candle, Interval};
pub use metrics::{Measure, Subject};
pub use rank::{RankBy, Ranked};
pub use state::{AlertKey, AlertView, Config, MarketData, Output, DAY_MS};
pub use ticker::Ticker;
