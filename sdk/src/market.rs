//! Static facts about markets (tick, lot, decimals) from the host.

pub use crate::types::MarketInfo;

/// The market's facts, or `None` if it does not exist. One host call; natively the
/// markets registered with [`crate::testing::add_market`].
pub fn info(market: u32) -> Option<MarketInfo> {
    crate::host::market_info(market)
}
