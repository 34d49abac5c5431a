//! # entrepot-sdk: write Entrepot plugins in Rust
//!
//! An Entrepot plugin is a WebAssembly component (`wasm32-wasip2`) that implements one of
//! the worlds of the WIT package `entrepot:plugin@0.2.0` (`wit/plugin.wit`). Plugins
//! propose, the host disposes: whatever a plugin answers is checked and clamped by the
//! server, and a plugin that traps, loops or bloats is cut off and replaced by the native
//! rule. `sdk/README.md` is the modder's guide from zero to a loaded plugin.
//!
//! | world          | implement                 | export with                    |
//! |----------------|---------------------------|--------------------------------|
//! | `market-rules` | [`market_rules::Guest`]   | [`export_market_rules!`]       |
//! | `bet-type`     | [`bet_type::Guest`]       | [`export_bet_type!`]           |
//! | `notifier`     | [`notifier::Guest`]       | [`export_notifier!`]           |
//!
//! A `market-rules` plugin that only admits or refuses orders writes `check_order` alone
//! and exports with [`export_admission_rules!`], which answers the other hooks with no fees.
//!
//! Helpers, all exact integer arithmetic (money never goes through a float):
//! - [`log`], [`config`], [`market`]: the host's imports. On `wasm32` they call the host;
//!   on any other target they talk to the thread-local [`testing`] harness, so plugin logic
//!   runs under a plain `cargo test`.
//! - [`units`]: decimal ↔ ticks / lots / minor units with a market's [`types::MarketInfo`];
//!   [`decimal`] parses exact decimals strictly.
//! - [`bps`]: basis-point fees (floored) and price-band checks.
//! - [`ratio`]: exact [`bet_type::Ratio`]s, e.g. decimal odds `"2.5"` → 5 / 2.
//! - [`lines`]: handicap / total lines in quarters, whole, half and quarter (Asian) lines
//!   settled exactly.
//!
//! ```
//! use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};
//!
//! struct MaxOrder;
//!
//! entrepot_sdk::export_admission_rules! {
//!     impl MaxOrder {
//!         fn check_order(_: MarketView, _: AccountView, order: OrderCheck) -> Verdict {
//!             match entrepot_sdk::config::get_or::<u64>("max_lots", 1_000) {
//!                 Ok(max) if order.quantity > max => Verdict::reject(format!("at most {max} lots per order")),
//!                 Ok(_) => Verdict::Accept,
//!                 Err(e) => Verdict::reject(e.to_string()),
//!             }
//!         }
//!     }
//! }
//! ```
//!
//! Plugins are deterministic: no clock, randomness, files or network (the host grants
//! none; game time arrives in [`types::MarketView::now_ms`]). Iterate over ordered
//! collections (`BTreeMap`, `Vec`), never `HashMap`, when the order reaches an answer.

#![warn(missing_docs)]

pub mod bet_type;
pub mod bps;
pub mod config;
pub mod decimal;
mod host;
pub mod lines;
pub mod log;
pub mod market;
pub mod market_rules;
pub mod notifier;
pub mod ratio;
// Native only (it stands in for the host); documented on every target.
#[cfg(any(not(target_arch = "wasm32"), doc))]
pub mod testing;
pub mod types;
pub mod units;

pub use decimal::Decimal;

/// Export a [`market_rules::Guest`] implementation as the component's `rules` interface.
///
/// Call it once, at the crate root of a `cdylib` plugin. On `wasm32` it expands to the
/// wit-bindgen export glue; on other targets it only checks that the type implements the
/// trait, because the glue's symbol names (`entrepot:plugin/rules@0.2.0#check-order`) do
/// not link into a native shared library — the native build is for `cargo test`.
#[macro_export]
macro_rules! export_market_rules {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::market_rules::export_wasm!($ty with_types_in $crate::market_rules);
        const _: () = {
            fn implements_guest<T: $crate::market_rules::Guest>() {}
            let _ = implements_guest::<$ty>;
        };
    };
}

/// Export a `market-rules` plugin that only decides admission: write `check-order`, and
/// every other hook gives the neutral answer (no trading fees, no listing fee, market
/// status changes ignored).
///
/// It implements [`market_rules::Guest`] for the type and calls [`export_market_rules!`],
/// so call it once, at the crate root, instead of both. The hook is written exactly as it
/// would be inside `impl Guest for T`; the types it names must be in scope:
///
/// ```
/// use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};
///
/// pub struct NoMarketOrders;
///
/// entrepot_sdk::export_admission_rules! {
///     impl NoMarketOrders {
///         fn check_order(_: MarketView, _: AccountView, order: OrderCheck) -> Verdict {
///             if order.price.is_some() { Verdict::Accept } else { Verdict::reject("limit orders only") }
///         }
///     }
/// }
/// ```
///
/// A bound market's fees come from its plugin, so a market under an admission-only plugin
/// charges no trading or listing fees (the host still applies the native checks before
/// `check-order`). A plugin that charges fees implements the whole [`market_rules::Guest`].
#[macro_export]
macro_rules! export_admission_rules {
    (
        impl $ty:ident {
            $(#[$attr:meta])*
            fn check_order $params:tt -> $ret:ty $body:block
        }
    ) => {
        impl $crate::market_rules::Guest for $ty {
            $(#[$attr])*
            fn check_order $params -> $ret $body

            fn trade_fees(_: $crate::market_rules::MarketView, _: $crate::market_rules::Trade) -> $crate::market_rules::Fees {
                $crate::market_rules::Fees::ZERO
            }

            fn listing_fee(_: $crate::market_rules::MarketView, _: $crate::market_rules::Listing) -> u64 {
                0
            }

            fn on_market_status(_: u32, _: $crate::market_rules::MarketStatus) {}
        }

        $crate::export_market_rules!($ty);
    };
}

/// Export a [`bet_type::Guest`] implementation as the component's `bet` interface.
///
/// Same expansion rules as [`export_market_rules!`].
#[macro_export]
macro_rules! export_bet_type {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bet_type::export_wasm!($ty with_types_in $crate::bet_type);
        const _: () = {
            fn implements_guest<T: $crate::bet_type::Guest>() {}
            let _ = implements_guest::<$ty>;
        };
    };
}

/// Export a [`notifier::Guest`] implementation as the component's `notify` interface.
///
/// Same expansion rules as [`export_market_rules!`].
#[macro_export]
macro_rules! export_notifier {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::notifier::export_wasm!($ty with_types_in $crate::notifier);
        const _: () = {
            fn implements_guest<T: $crate::notifier::Guest>() {}
            let _ = implements_guest::<$ty>;
        };
    };
}
