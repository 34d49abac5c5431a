//! The engine's side of the rules seam: the views a plugin sees, and the three questions
//! it is asked (admit?, listing fee?, trade fees?) with the host's clamps on the answers.

use super::{Engine, R};
use crate::books::fee;
use crate::command::Side;
use crate::event::{Event, RejectReason};
use crate::ids::{AccountIx, Lots, MarketIx, Minor, RequestId, Ticks};
use crate::rules::{self, AccountView, Listing, MarketView, Modifies, OrderCheck, Rules, TradeFacts};

impl Engine {
    /// The market as a rules plugin sees it at this moment.
    pub(crate) fn market_view(&self, m: MarketIx) -> MarketView {
        let market = self.books.market(m);
        MarketView {
            market: market.spec.id,
            now_ms: self.now,
            last_price: market.last_price,
            best_bid: market.book.best_price(Side::Buy),
            best_ask: market.book.best_price(Side::Sell),
        }
    }

    /// The market and the account as a rules plugin sees them.
    fn rule_views(&self, m: MarketIx, a: AccountIx) -> (MarketView, AccountView) {
        let market = self.books.market(m);
        let seat = self.books.seat(a, m);
        let window = market.buy_window_ms().and_then(|ms| seat.window_at(ms, self.now));
        let account = AccountView {
            account: self.ledger.account_id(a),
            available_quote: self.ledger.available(a, market.quote),
            available_base: self.ledger.available(a, market.base),
            open_orders: seat.open,
            resting_buy_lots: seat.resting_buy,
            bought_lots: window.map_or(0, |w| w.bought),
            window_start_ms: window.map(|w| w.start_ms),
        };
        (self.market_view(m), account)
    }

    /// Ask the market's rules plugin, if it has one, to admit an order or modification.
    pub(super) fn check_with_rules(
        &self,
        m: MarketIx,
        a: AccountIx,
        request: RequestId,
        check: &OrderCheck,
        out: &mut Vec<Event>,
        rules: &mut dyn Rules,
    ) -> R<()> {
        let Some(binding) = &self.books.market(m).plugin else { return Ok(()) };
        let (market, account) = self.rule_views(m, a);
        match rules.check_order(binding, &market, &account, check) {
            Some(Err(message)) => {
                out.push(Event::RuleMessage { account: account.account, request, message: rules::clip_reason(message) });
                Err(RejectReason::RuleRejected)
            }
            _ => Ok(()),
        }
    }

    /// The fee for an order that starts resting, or for modifying a resting one: the rules
    /// plugin's if the market has one, else the policy's flat listing fee (none on modify).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn listing_fee(
        &self,
        m: MarketIx,
        a: AccountIx,
        side: Side,
        price: Ticks,
        quantity: Lots,
        modifies: Option<Modifies>,
        rules: &mut dyn Rules,
    ) -> R<Minor> {
        let market = self.books.market(m);
        let native = if modifies.is_none() { market.policy.listing_fee } else { 0 };
        let Some(binding) = &market.plugin else { return Ok(native) };
        let notional = market.units.notional(price, quantity).ok_or(RejectReason::OutOfRange)?;
        let (view, account) = self.rule_views(m, a);
        let listing = Listing { account: account.account, side, price, quantity, notional, modifies };
        Ok(rules.listing_fee(binding, &view, &listing).unwrap_or(native))
    }

    /// A fill's (maker, taker) fees. A plugin's proposal is capped so holds always cover
    /// it: a buyer pays at most the policy rate its hold reserved (taker rate for a taker,
    /// the higher rate for a resting maker), a seller at most the notional.
    pub(super) fn trade_fees(&self, m: MarketIx, facts: &TradeFacts, rules: &mut dyn Rules) -> (Minor, Minor) {
        let market = self.books.market(m);
        let policy = market.policy;
        let native = (fee(facts.notional, policy.maker_fee_bps), fee(facts.notional, policy.taker_fee_bps));
        let Some(binding) = &market.plugin else { return native };
        let view = self.market_view(m);
        let Some(fees) = rules.trade_fees(binding, &view, facts) else { return native };
        let (maker_cap, taker_cap) = match facts.taker_side {
            Side::Buy => (facts.notional, fee(facts.notional, policy.taker_fee_bps)),
            Side::Sell => (fee(facts.notional, policy.max_fee_bps()), facts.notional),
        };
        (fees.maker.min(maker_cap), fees.taker.min(taker_cap))
    }
}
