//! The three host imports, routed to the component's real imports on `wasm32` and to the
//! thread-local [`crate::testing`] harness on other targets, so that plugin logic runs
//! natively under `cargo test` with the same calls.

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::market_rules::entrepot::plugin::host;
    use crate::types::{LogLevel, MarketInfo};

    pub fn log(level: LogLevel, message: &str) {
        host::log(level, message)
    }

    pub fn config() -> Vec<(String, String)> {
        host::config()
    }

    pub fn market_info(market: u32) -> Option<MarketInfo> {
        host::market_info(market)
    }
}

#[cfg(not(target_arch = "wasm32"))]
use crate::testing::host as imp;

pub(crate) use imp::{config, log, market_info};
