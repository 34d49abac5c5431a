//! The `market-rules` world: admission, fees and status hooks of a market.
//!
//! Implement [`Guest`] and register it with [`export_market_rules!`](crate::export_market_rules).
//! This module also generates the `types` and `host` interfaces that the other worlds
//! reuse, so every world sees the same [`crate::types`].

// The bindings are generated from `wit/plugin.wit`, whose `///` comments become their docs;
// the generated plumbing (modules, export traits, aliases) has none to give.
#![allow(missing_docs)]

wit_bindgen::generate!({
    path: "../wit",
    world: "market-rules",
    pub_export_macro: true,
    // The raw glue; [`crate::export_market_rules!`] wraps it so that native builds skip it.
    export_macro_name: "export_wasm",
    default_bindings_module: "entrepot_sdk::market_rules",
    additional_derives: [PartialEq, Eq],
    additional_type_attributes: {
        "entrepot:plugin/types@0.2.0/market-view": [#[derive(Default)]],
        "entrepot:plugin/types@0.2.0/account-view": [#[derive(Default)]],
        "entrepot:plugin/types@0.2.0/fees": [#[derive(Default)]],
    },
});

pub use self::exports::entrepot::plugin::rules::Guest;
pub use crate::types::*;
