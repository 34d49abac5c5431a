//! A stand-in for the host, so plugin logic runs under a plain `cargo test` (native
//! targets only; this module does not exist on `wasm32`).
//!
//! [`crate::log`], [`crate::config`] and [`crate::market`] read and write a thread-local
//! state here instead of calling the host. Each test runs on its own thread, so tests do not
//! see each other's state; start a test with [`Harness::new`] (which resets the state, and
//! resets it again when dropped) and call your `Guest` methods directly:
//!
//! ```
//! use entrepot_sdk::testing::{self, Harness};
//!
//! let _host = Harness::new()
//!     .config("band_bps", 1000)
//!     .market(testing::market(1, "IRON", "0.01", "1", 2, 0));
//! assert_eq!(entrepot_sdk::config::get::<u64>("band_bps"), Ok(1000));
//! assert_eq!(entrepot_sdk::market::info(1).unwrap().tick_value, 1);
//! entrepot_sdk::log::warn("careful");
//! assert_eq!(testing::logs()[0].message, "careful");
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::bet_type::{BetSpec, EventResult, ParticipantScore};
use crate::decimal::{self, Decimal};
use crate::types::{LogLevel, MarketInfo, OrderCheck, Side};

/// One captured log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The level the plugin logged at.
    pub level: LogLevel,
    /// The text, as the plugin passed it.
    pub message: String,
}

#[derive(Default)]
struct State {
    config: Vec<(String, String)>,
    markets: BTreeMap<u32, MarketInfo>,
    logs: Vec<LogLine>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

/// The native side of [`crate::host`].
pub(crate) mod host {
    use super::{with, LogLine};
    use crate::types::{LogLevel, MarketInfo};

    pub fn log(level: LogLevel, message: &str) {
        with(|s| s.logs.push(LogLine { level, message: message.to_owned() }))
    }

    pub fn config() -> Vec<(String, String)> {
        with(|s| s.config.clone())
    }

    pub fn market_info(market: u32) -> Option<MarketInfo> {
        with(|s| s.markets.get(&market).cloned())
    }
}

/// Resets this thread's host state on creation and on drop; builder methods fill it.
#[must_use = "the state is reset when the harness is dropped"]
pub struct Harness(());

impl Harness {
    /// A fresh host state: empty config, no markets, no log lines.
    pub fn new() -> Harness {
        reset();
        Harness(())
    }

    /// Set a `[config]` entry, as the manifest would (`value` is written as a string).
    pub fn config(self, key: &str, value: impl ToString) -> Harness {
        set_config(key, value);
        self
    }

    /// Register a market for [`crate::market::info`].
    pub fn market(self, info: MarketInfo) -> Harness {
        add_market(info);
        self
    }
}

impl Default for Harness {
    fn default() -> Harness {
        Harness::new()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        reset();
    }
}

/// Forget config, markets and logs on this thread.
pub fn reset() {
    with(|s| *s = State::default())
}

/// Set (or replace) a `[config]` entry.
pub fn set_config(key: &str, value: impl ToString) {
    let value = value.to_string();
    with(|s| match s.config.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => s.config.push((key.to_owned(), value)),
    })
}

/// Remove a `[config]` entry.
pub fn remove_config(key: &str) {
    with(|s| s.config.retain(|(k, _)| k != key))
}

/// Register (or replace) a market.
pub fn add_market(info: MarketInfo) {
    with(|s| s.markets.insert(info.market, info));
}

/// The log lines written so far on this thread.
pub fn logs() -> Vec<LogLine> {
    with(|s| s.logs.clone())
}

/// The log lines written so far, clearing them.
pub fn take_logs() -> Vec<LogLine> {
    with(|s| std::mem::take(&mut s.logs))
}

/// A market's facts as the host would build them, `tick-value` included
/// (`tick x lot x 10^quote_decimals` quote minor units).
///
/// Panics if the facts are inconsistent (a tick-value that is not whole): it is for tests.
pub fn market(market: u32, symbol: &str, tick: &str, lot: &str, quote_decimals: u8, base_decimals: u8) -> MarketInfo {
    let parse = |what: &str, text: &str| -> Decimal { decimal::parse(text).unwrap_or_else(|e| panic!("testing::market: {what}: {e}")) };
    let minor_units = Decimal::from(10u64.pow(u32::from(quote_decimals)));
    let tick_value = parse("tick", tick) * parse("lot", lot) * minor_units;
    assert!(tick_value.fract().is_zero(), "testing::market: tick x lot = {tick_value} quote minor units is not whole");
    MarketInfo {
        market,
        symbol: symbol.to_owned(),
        tick: tick.to_owned(),
        lot: lot.to_owned(),
        quote_decimals,
        base_decimals,
        tick_value: u64::try_from(tick_value.mantissa() / 10i128.pow(tick_value.scale())).expect("testing::market: tick-value does not fit u64"),
    }
}

/// A limit order that may rest (GTC).
pub fn limit(side: Side, price: u64, quantity: u64) -> OrderCheck {
    OrderCheck { side, price: Some(price), quantity, budget: None, rests: true, modifies: None }
}

/// A limit order that does not rest (IOC / FOK).
pub fn immediate(side: Side, price: u64, quantity: u64) -> OrderCheck {
    OrderCheck { rests: false, ..limit(side, price, quantity) }
}

/// A market order for `quantity` lots.
pub fn market_order(side: Side, quantity: u64) -> OrderCheck {
    OrderCheck { side, price: None, quantity, budget: None, rests: false, modifies: None }
}

/// A market buy that spends up to `budget` quote minor units.
pub fn market_buy_with_budget(budget: u64) -> OrderCheck {
    OrderCheck { side: Side::Buy, price: None, quantity: 0, budget: Some(budget), rests: false, modifies: None }
}

/// A modification of a resting order from `(old_price, old_quantity)` to the new values.
pub fn modify(side: Side, old: (u64, u64), price: u64, quantity: u64) -> OrderCheck {
    OrderCheck { modifies: Some(old), ..limit(side, price, quantity) }
}

/// A bet on the two-sided fixture `home` v `away`.
pub fn bet_spec(home: &str, away: &str, selection: &str, line: Option<&str>, params: &[(&str, &str)]) -> BetSpec {
    BetSpec {
        participants: vec![home.to_owned(), away.to_owned()],
        selection: selection.to_owned(),
        line: line.map(str::to_owned),
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// The completed result of `home` v `away`: `final_score(("Reds", 2), ("Blues", 1))`.
pub fn final_score(home: (&str, i64), away: (&str, i64)) -> EventResult {
    let score = |(participant, score): (&str, i64)| ParticipantScore { participant: participant.to_owned(), score };
    EventResult { scores: vec![score(home), score(away)], completed: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bet_builders() {
        let spec = bet_spec("Reds", "Blues", "Reds", Some("-0.5"), &[("way", "2")]);
        assert_eq!((spec.participants.len(), spec.line.as_deref(), spec.params[0].1.as_str()), (2, Some("-0.5"), "2"));
        let result = final_score(("Reds", 2), ("Blues", 1));
        assert!(result.completed && result.scores[1] == ParticipantScore { participant: "Blues".into(), score: 1 });
    }

    #[test]
    fn harness_resets_on_drop() {
        {
            let _h = Harness::new().config("a", 1).config("a", 2);
            assert_eq!(crate::config::raw("a").as_deref(), Some("2"));
            crate::log::info("hello");
            assert_eq!(take_logs(), vec![LogLine { level: LogLevel::Info, message: "hello".into() }]);
            assert!(logs().is_empty());
        }
        assert_eq!(crate::config::raw("a"), None);
    }

    #[test]
    fn market_computes_the_tick_value() {
        assert_eq!(market(1, "IRON", "0.01", "1", 2, 0).tick_value, 1);
        assert_eq!(market(1, "GEM", "0.5", "10", 3, 0).tick_value, 5_000);
        let _h = Harness::new().market(market(4, "GEM", "1", "1", 0, 0));
        assert_eq!(crate::market::info(4).map(|m| m.symbol), Some("GEM".to_owned()));
        assert_eq!(crate::market::info(5), None);
    }

    #[test]
    #[should_panic(expected = "not whole")]
    fn market_refuses_fractional_tick_values() {
        market(1, "X", "0.001", "1", 2, 0);
    }
}
