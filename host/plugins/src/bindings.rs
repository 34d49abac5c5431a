//! Host bindings for the three worlds of `entrepot:plugin@0.2.0`.
//!
//! `market-rules` owns the shared `types` and `host` interfaces; the other two worlds reuse
//! them through `with`, so there is one `host` implementation and one set of shared types.
//! Every import is `trappable`: a host function returns `wasmtime::Result` so that a plugin
//! over its host-call quota is stopped with a trap, not answered.
//!
//! The WIT is the contract itself, `wit/plugin.wit` at the repository root (one place for
//! the interfaces; the SDK reads the same file). It spells `%result` and imports the
//! `market-info` type under an alias so that wasmtime's WIT parser accepts it too.

pub mod market_rules {
    wasmtime::component::bindgen!({
        world: "market-rules",
        path: "../../wit",
        imports: { default: trappable },
    });
}

pub mod bet_type {
    wasmtime::component::bindgen!({
        world: "bet-type",
        path: "../../wit",
        imports: { default: trappable },
        with: {
            "entrepot:plugin/types": crate::bindings::market_rules::entrepot::plugin::types,
            "entrepot:plugin/host": crate::bindings::market_rules::entrepot::plugin::host,
        },
    });
}

pub mod notifier {
    wasmtime::component::bindgen!({
        world: "notifier",
        path: "../../wit",
        imports: { default: trappable },
        with: {
            "entrepot:plugin/types": crate::bindings::market_rules::entrepot::plugin::types,
            "entrepot:plugin/host": crate::bindings::market_rules::entrepot::plugin::host,
        },
    });
}
