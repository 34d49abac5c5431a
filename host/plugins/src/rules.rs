//! `entrepot_core::Rules` for [`PluginHost`]: the engine's seam to market-rules plugins.
//!
//! Every hook answers `None` — "apply the native rule" — when the bound plugin is not
//! installed, is quarantined, is another version than the binding names (hash mismatch:
//! the journal must say exactly which code decided), or the call faulted. The engine
//! records whatever is answered, `None` included, so replay does not need the plugin.
//! Bet types answer through the same seam: no answer refuses the bet or the settlement.

use entrepot_core::betting::{BetOutcome, BetSpec, EventResult};
use entrepot_core::rules::{clip_reason, AccountView, Fees, Listing, MarketView, OrderCheck, Rules, TradeFacts};
use entrepot_core::PluginBinding;

use crate::bindings::market_rules::entrepot::plugin::types::Verdict;
use crate::host::PluginHost;
use crate::sandbox::Exports;
use crate::types;

impl Rules for PluginHost {
    fn check_order(&mut self, binding: &PluginBinding, market: &MarketView, account: &AccountView, order: &OrderCheck) -> Option<Result<(), String>> {
        let name = self.rules_plugin(binding)?.to_owned();
        let (m, a, o) = (types::market_view(market), types::account_view(account), types::order_check(order));
        let verdict = self
            .invoke(
                &name,
                |store, exports| match exports {
                    Exports::MarketRules(r) => r.entrepot_plugin_rules().call_check_order(store, m, a, o),
                    _ => unreachable!("rules_plugin checks the world"),
                },
                |verdict, limit| match verdict {
                    Verdict::Reject(reason) if reason.len() as u64 > limit => {
                        Err(format!("rejected with a {} byte reason, over its output limit of {limit}", reason.len()))
                    }
                    _ => Ok(()),
                },
            )
            .ok()?;
        Some(match verdict {
            Verdict::Accept => Ok(()),
            Verdict::Reject(reason) => Err(clip_reason(reason)),
        })
    }

    fn trade_fees(&mut self, binding: &PluginBinding, market: &MarketView, trade: &TradeFacts) -> Option<Fees> {
        let name = self.rules_plugin(binding)?.to_owned();
        let (m, t) = (types::market_view(market), types::trade(trade));
        self.invoke(
            &name,
            |store, exports| match exports {
                Exports::MarketRules(r) => r.entrepot_plugin_rules().call_trade_fees(store, m, t),
                _ => unreachable!("rules_plugin checks the world"),
            },
            |_, _| Ok(()),
        )
        .ok()
        .map(types::fees_back)
    }

    fn listing_fee(&mut self, binding: &PluginBinding, market: &MarketView, listing: &Listing) -> Option<u64> {
        let name = self.rules_plugin(binding)?.to_owned();
        let (m, l) = (types::market_view(market), types::listing(listing));
        self.invoke(
            &name,
            |store, exports| match exports {
                Exports::MarketRules(r) => r.entrepot_plugin_rules().call_listing_fee(store, m, l),
                _ => unreachable!("rules_plugin checks the world"),
            },
            |_, _| Ok(()),
        )
        .ok()
    }

    fn validate_bet(&mut self, bet_type: &str, spec: &BetSpec) -> Option<Result<(), String>> {
        PluginHost::validate_bet(self, bet_type, spec).ok()
    }

    fn settle_bet(&mut self, bet_type: &str, spec: &BetSpec, result: &EventResult) -> Option<BetOutcome> {
        PluginHost::settle_bet(self, bet_type, spec, result).ok()
    }
}
