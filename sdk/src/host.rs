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

    /// The `[config]` table never changes during an instance's life (a reload or a fault
    /// brings a fresh instance), so it is fetched once: a host call and a dozen string
    /// copies per hook call would cost more than most rules.
    pub fn config() -> std::borrow::Cow<'static, [(String, String)]> {
        static TABLE: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
        std::borrow::Cow::Borrowed(TABLE.get_or_init(host::config))
    }

    pub fn market_info(market: u32) -> Option<MarketInfo> {
        host::market_info(market)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use crate::testing::host::{log, market_info};

    /// Natively the harness's table may change between tests: read it every time.
    pub fn config() -> std::borrow::Cow<'static, [(String, String)]> {
        std::borrow::Cow::Owned(crate::testing::host::config())
    }
}

pub(crate) use imp::{config, log, market_info};
