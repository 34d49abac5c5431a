//! Grand-Exchange-style admission: each account may buy at most `limit` lots per window of
//! game time (4 hours by default), and may have at most `slots` resting orders. This plugin
//! only gates admission: its fee hooks return zero, so fees stay at nothing (a plugin's
//! answer replaces the native fees; bind a fee plugin elsewhere if you need both).
//!
//! The window: the host counts an account's purchases in `account-view.bought-lots` since
//! `window-start-ms` (the first purchase of the window) and restarts it after the manifest's
//! `[rules] buy_window_ms`. A window is running while `now - start < window_ms`; otherwise
//! earlier purchases no longer count. What counts against the limit: lots bought in the
//! running window + lots the account is bidding for + this order's lots.
//!
//! Config:
//! - `limit`: lots per window and account (required);
//! - `window_ms`: the window, equal to `[rules] buy_window_ms` (default 14 400 000 = 4 h);
//! - `slots`: most resting orders per account in the market, 0 = no limit (default 8).
//!
//! A missing or malformed value makes `check-order` fault (reason in the server log): the
//! host quarantines the plugin and the market's native policy applies.

use entrepot_sdk::config::{Config, ConfigError};
use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Side, Verdict};

pub struct BuyLimit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub limit: u64,
    pub window_ms: u64,
    pub slots: u32,
}

/// Parsed once per instance: the config cannot change under it.
static LIMITS: entrepot_sdk::config::Cached<Limits> = entrepot_sdk::config::Cached::new();

impl Limits {
    pub fn from_config(config: &Config) -> Result<Limits, ConfigError> {
        Ok(Limits { limit: config.get("limit")?, window_ms: config.get_or("window_ms", 4 * 60 * 60 * 1000)?, slots: config.get_or("slots", 8)? })
    }

    fn load() -> Limits {
        Limits::from_config(&Config::load()).unwrap_or_else(|e| {
            entrepot_sdk::log::error(&e.to_string());
            panic!("buy-limit: {e}")
        })
    }

    /// The admission decision for one order.
    pub fn check(&self, market: &MarketView, account: &AccountView, order: &OrderCheck) -> Verdict {
        let new_resting_order = order.rests && order.modifies.is_none();
        if self.slots > 0 && new_resting_order && account.open_orders >= self.slots {
            return Verdict::reject(format!("all {} of your order slots in this market are in use; cancel an order to free one", self.slots));
        }
        if order.side == Side::Buy {
            return self.check_buy(market, account, order);
        }
        Verdict::Accept
    }

    fn check_buy(&self, market: &MarketView, account: &AccountView, order: &OrderCheck) -> Verdict {
        let window = self.running_window(market.now_ms, account.window_start_ms);
        let bought = if window.is_some() { account.bought_lots } else { 0 };
        // A modification replaces the order's old quantity, already in resting-buy-lots.
        let resting = match order.modifies {
            Some((_, old_quantity)) => account.resting_buy_lots.saturating_sub(old_quantity),
            None => account.resting_buy_lots,
        };
        let committed = bought.saturating_add(resting);
        let left = self.limit.saturating_sub(committed);
        let resets = window.map_or_else(String::new, |ms| format!("; the window resets in {}", duration(ms)));
        let wanted = match (order.quantity, order.budget) {
            (0, Some(budget)) => match market_buy_bound(market, budget) {
                Some(lots) => lots,
                None => return Verdict::Accept, // nothing on offer: it cannot buy anything
            },
            (quantity, _) => quantity,
        };
        if wanted <= left {
            return Verdict::Accept;
        }
        let what = if order.quantity == 0 { "this market buy could take" } else { "this order asks for" };
        Verdict::reject(format!("buy limit: {what} {wanted} lots but only {left} of your {} are left ({bought} bought, {resting} bidding){resets}", self.limit))
    }

    /// Milliseconds until the account's window ends, if one is running.
    pub fn running_window(&self, now_ms: u64, start_ms: Option<u64>) -> Option<u64> {
        let elapsed = now_ms.saturating_sub(start_ms?);
        (elapsed < self.window_ms).then(|| self.window_ms - elapsed)
    }
}

/// The most lots a market buy with `budget` can take: every lot costs at least the best ask.
/// `None` when nothing is on offer (or the market's facts are unknown, which the host
/// never sends: then the budget counts as unbounded).
fn market_buy_bound(market: &MarketView, budget: u64) -> Option<u64> {
    let ask = market.best_ask?;
    let per_lot = entrepot_sdk::market::info(market.market).and_then(|info| info.notional(ask, 1)).filter(|cost| *cost > 0);
    Some(per_lot.map_or(u64::MAX, |cost| budget / cost))
}

/// `1h 20m`, `5m`, `under a minute`.
fn duration(ms: u64) -> String {
    let minutes = ms.div_ceil(60_000);
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".to_owned(),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

entrepot_sdk::export_admission_rules! {
    impl BuyLimit {
        fn check_order(market: MarketView, account: AccountView, order: OrderCheck) -> Verdict {
            LIMITS.get(Limits::load).check(&market, &account, &order)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::market_rules::{Fees, Guest, Trade};
    use entrepot_sdk::testing::{self, Harness};

    const HOUR: u64 = 60 * 60 * 1000;

    fn ge() -> Harness {
        Harness::new().config("limit", 100).config("window_ms", 4 * HOUR).config("slots", 2).market(testing::market(1, "ORE/GP", "1", "1", 0, 0))
    }

    fn view(now_ms: u64) -> MarketView {
        MarketView { market: 1, now_ms, ..Default::default() }
    }

    fn account(bought: u64, start: Option<u64>, resting: u64, open_orders: u32) -> AccountView {
        AccountView { account: 7, bought_lots: bought, window_start_ms: start, resting_buy_lots: resting, open_orders, ..Default::default() }
    }

    fn check(now: u64, acct: AccountView, order: OrderCheck) -> Verdict {
        BuyLimit::check_order(view(now), acct, order)
    }

    #[test]
    fn counts_bought_resting_and_the_order_itself() {
        let _host = ge();
        let acct = account(60, Some(0), 30, 1);
        assert!(check(HOUR, acct, testing::limit(Side::Buy, 10, 10)).is_accept());
        assert_eq!(
            check(HOUR, acct, testing::limit(Side::Buy, 10, 11)),
            Verdict::Reject("buy limit: this order asks for 11 lots but only 10 of your 100 are left (60 bought, 30 bidding); the window resets in 3h".into())
        );
    }

    #[test]
    fn purchases_stop_counting_when_the_window_ends() {
        let _host = ge();
        let acct = account(100, Some(0), 0, 0);
        assert!(!check(4 * HOUR - 1, acct, testing::limit(Side::Buy, 10, 1)).is_accept());
        assert!(check(4 * HOUR, acct, testing::limit(Side::Buy, 10, 100)).is_accept());
        assert!(check(5 * HOUR, acct, testing::limit(Side::Buy, 10, 100)).is_accept());
    }

    #[test]
    fn a_modification_replaces_its_old_quantity() {
        let _host = ge();
        let acct = account(0, None, 100, 1);
        assert!(check(0, acct, testing::modify(Side::Buy, (10, 40), 11, 40)).is_accept());
        assert!(!check(0, acct, testing::modify(Side::Buy, (10, 40), 11, 41)).is_accept());
    }

    #[test]
    fn sells_are_never_limited_but_use_slots() {
        let _host = ge();
        assert!(check(0, account(100, Some(0), 0, 1), testing::limit(Side::Sell, 10, 1_000)).is_accept());
        assert_eq!(
            check(0, account(0, None, 0, 2), testing::limit(Side::Sell, 10, 1)),
            Verdict::Reject("all 2 of your order slots in this market are in use; cancel an order to free one".into())
        );
        // Orders that do not rest, and modifications, take no new slot.
        assert!(check(0, account(0, None, 0, 2), testing::immediate(Side::Sell, 10, 1)).is_accept());
        assert!(check(0, account(0, None, 0, 2), testing::modify(Side::Sell, (10, 1), 9, 1)).is_accept());
    }

    #[test]
    fn market_buys_are_bounded_by_budget_over_best_ask() {
        let _host = ge();
        let acct = account(90, Some(0), 0, 0);
        let with_ask = |ask| MarketView { best_ask: Some(ask), ..view(0) };
        assert!(BuyLimit::check_order(with_ask(100), acct, testing::market_buy_with_budget(1_000)).is_accept());
        let refused = BuyLimit::check_order(with_ask(100), acct, testing::market_buy_with_budget(1_100));
        assert!(matches!(refused, Verdict::Reject(r) if r.starts_with("buy limit: this market buy could take 11 lots")));
        assert!(BuyLimit::check_order(view(0), acct, testing::market_buy_with_budget(u64::MAX)).is_accept());
    }

    #[test]
    fn zero_slots_means_unlimited_and_fees_are_zero() {
        let _host = ge().config("slots", 0);
        assert!(check(0, account(0, None, 0, 500), testing::limit(Side::Sell, 1, 1)).is_accept());
        assert_eq!(
            BuyLimit::trade_fees(view(0), Trade { price: 1, quantity: 1, notional: 1, taker_side: Side::Buy, maker_account: 1, taker_account: 2 }),
            Fees::ZERO
        );
    }

    #[test]
    #[should_panic(expected = "buy-limit: config key `limit` is missing")]
    fn the_limit_is_required() {
        let _host = Harness::new();
        check(0, account(0, None, 0, 0), testing::limit(Side::Buy, 1, 1));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(1), "1m");
        assert_eq!(duration(0), "under a minute");
        assert_eq!(duration(80 * 60_000), "1h 20m");
        assert_eq!(duration(2 * HOUR), "2h");
    }
}
