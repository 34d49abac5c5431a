//! The `bet-type` world: validate bet specifications and settle them against a result.
//!
//! Implement [`Guest`] and register it with [`export_bet_type!`](crate::export_bet_type).
//! [`crate::ratio`] builds the exact [`Ratio`]s that [`Outcome::Multiplier`] carries.

wit_bindgen::generate!({
    path: "../wit",
    world: "bet-type",
    pub_export_macro: true,
    // The raw glue; [`crate::export_bet_type!`] wraps it so that native builds skip it.
    export_macro_name: "export_wasm",
    default_bindings_module: "entrepot_sdk::bet_type",
    additional_derives: [PartialEq, Eq],
    with: {
        "entrepot:plugin/types@0.1.0": crate::market_rules::entrepot::plugin::types,
        "entrepot:plugin/host@0.1.0": crate::market_rules::entrepot::plugin::host,
    },
});

pub use self::exports::entrepot::plugin::bet::{
    BetSpec, EventResult, Guest, Outcome, ParticipantScore, Ratio,
};
