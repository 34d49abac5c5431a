//! Host bindings for the three worlds of `entrepot:plugin@0.1.0`.
//!
//! `market-rules` owns the shared `types` and `host` interfaces; the other two worlds reuse
//! them through `with`, so there is one `host` implementation and one set of shared types.
//! Every import is `trappable`: a host function returns `wasmtime::Result` so that a plugin
//! over its host-call quota is stopped with a trap, not answered.
//!
//! The WIT read here is `host/plugins/wit/plugin.wit`, a copy of the contract
//! `wit/plugin.wit` with two spellings changed, because wasmtime 48's WIT parser
//! (wit-parser 0.254) rejects what the guests' newer parser (0.258) accepts:
//! - `result` as a name (a keyword): written `%result` (the same name on the wire);
//! - the `host` function `market-info` next to the type `market-info` it returns: the
//!   type is imported under a local alias (`market-info as market-facts`), which changes
//!   nothing on the wire either (types are matched by structure, functions by name).
//!
//! A unit test fails if the copy drifts from the contract in anything else. Writing
//! `%result` and a `use ... as` alias in `wit/plugin.wit` itself would let this module
//! read the contract directly.

pub mod market_rules {
    wasmtime::component::bindgen!({
        world: "market-rules",
        path: "wit",
        imports: { default: trappable },
    });
}

pub mod bet_type {
    wasmtime::component::bindgen!({
        world: "bet-type",
        path: "wit",
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
        path: "wit",
        imports: { default: trappable },
        with: {
            "entrepot:plugin/types": crate::bindings::market_rules::entrepot::plugin::types,
            "entrepot:plugin/host": crate::bindings::market_rules::entrepot::plugin::host,
        },
    });
}

#[cfg(test)]
mod tests {
    /// `wit/plugin.wit` here is the contract `../../wit/plugin.wit` with the spellings that
    /// wasmtime 48's WIT parser needs (see the module docs); nothing else may differ.
    #[test]
    fn the_host_copy_of_the_wit_matches_the_contract() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let contract = std::fs::read_to_string(root.join("../../wit/plugin.wit")).unwrap();
        let copy = std::fs::read_to_string(root.join("wit/plugin.wit")).unwrap();
        let normalise = |text: &str| {
            text.replace("%result", "result")
                .replace("market-info as market-facts", "market-info")
                .replace("option<market-facts>", "option<market-info>")
        };
        assert_eq!(normalise(&copy), normalise(&contract), "host/plugins/wit/plugin.wit drifted from wit/plugin.wit");
    }
}
