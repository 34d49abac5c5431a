//! The `notifier` world: turn server events into messages that the host delivers.
//!
//! Implement [`Guest`] and register it with [`export_notifier!`](crate::export_notifier).

// The bindings are generated from `wit/plugin.wit`, whose `///` comments become their docs;
// the generated plumbing (modules, export traits, aliases) has none to give.
#![allow(missing_docs)]

wit_bindgen::generate!({
    path: "../wit",
    world: "notifier",
    pub_export_macro: true,
    // The raw glue; [`crate::export_notifier!`] wraps it so that native builds skip it.
    export_macro_name: "export_wasm",
    default_bindings_module: "entrepot_sdk::notifier",
    additional_derives: [PartialEq, Eq],
    with: {
        "entrepot:plugin/types@0.2.0": crate::market_rules::entrepot::plugin::types,
        "entrepot:plugin/host@0.2.0": crate::market_rules::entrepot::plugin::host,
    },
});

pub use self::exports::entrepot::plugin::notify::{
    AccountConfirmation, AccountCreated, AlertState, BetSettled, BetStatus, Channel, Event, Guest, Notification, OrderFilled, PasswordReset, PriceAlert,
};
pub use crate::types::Side;
