//! Operator commands: assets, markets and their policy, status and rules binding,
//! accounts, mint and burn.

use super::{Engine, R};
use crate::betting::GROUP_ASSETS;
use crate::book::Book;
use crate::books::Market;
use crate::command::Body;
use crate::event::{Event, InvalidMarket, RejectReason};
use crate::ids::{AccountId, RequestId};
use crate::market::{AssetKind, MarketPolicy, MarketSpec, MarketStatus};
use crate::units::MarketUnits;

impl Engine {
    /// Every body that is not trading or betting.
    pub(super) fn run_admin(&mut self, actor: AccountId, request: RequestId, body: &Body, out: &mut Vec<Event>) -> R<()> {
        let done = Event::Done { account: actor, request };
        match body {
            Body::CreateAsset(spec) => {
                if self.ledger.has_asset(spec.id) {
                    return Err(RejectReason::AssetExists);
                }
                // Ids from GROUP_ASSETS up are the cash of groups, created with them: an
                // operator's asset there would take a future group's currency.
                if spec.id.0 >= GROUP_ASSETS {
                    return Err(RejectReason::OutOfRange);
                }
                if spec.decimals > 18 {
                    return Err(RejectReason::OutOfRange);
                }
                self.ledger.create_asset(spec.clone());
                out.push(Event::AssetCreated { asset: spec.id });
            }
            Body::CreateMarket { spec, policy } => self.create_market(spec, policy, out)?,
            Body::SetMarketPolicy { market, policy } => {
                let m = self.books.market_ix(*market)?;
                validate_policy(policy)?;
                self.books.market_mut(m).policy = *policy;
                out.push(done);
                self.re_escrow_bids(m, out);
            }
            Body::BindRules { market, binding } => {
                let m = self.books.market_ix(*market)?;
                self.books.market_mut(m).plugin.clone_from(binding);
                out.push(done);
            }
            Body::SetMarketStatus { market, status } => {
                let m = self.books.market_ix(*market)?;
                if self.books.market(m).status == MarketStatus::Closed {
                    return Err(RejectReason::MarketClosed);
                }
                self.books.market_mut(m).status = *status;
                out.push(Event::MarketChanged { market: *market, status: *status });
                if *status == MarketStatus::Closed {
                    self.cancel_where(Some(m), None, out);
                }
            }
            Body::OpenAccount { account } => {
                if self.ledger.has_account(*account) {
                    return Err(RejectReason::AccountExists);
                }
                self.ledger.open_account(*account);
                out.push(Event::AccountOpened { account: *account });
            }
            Body::Mint { account, asset, amount } => {
                let a = self.ledger.account_ix(*account)?;
                let s = self.ledger.asset_ix(*asset)?;
                self.ledger.mint(a, s, *amount)?;
                out.push(Event::Minted { account: *account, asset: *asset, amount: *amount });
            }
            Body::Burn { account, asset, amount } => {
                let a = self.ledger.account_ix(*account)?;
                let s = self.ledger.asset_ix(*asset)?;
                self.ledger.burn(a, s, *amount)?;
                out.push(Event::Burned { account: *account, asset: *asset, amount: *amount });
            }
            Body::CancelMarket { market } => {
                let m = self.books.market_ix(*market)?;
                out.push(done);
                self.cancel_where(Some(m), None, out);
            }
            Body::Place(_)
            | Body::Cancel { .. }
            | Body::Modify { .. }
            | Body::CancelAll { .. }
            | Body::Bet(_)
            | Body::Tick
            | Body::CreateAlert(_)
            | Body::RemoveAlert { .. } => {
                unreachable!("trading and betting bodies are dispatched by Engine::run")
            }
        }
        Ok(())
    }

    fn create_market(&mut self, spec: &MarketSpec, policy: &MarketPolicy, out: &mut Vec<Event>) -> R<()> {
        if self.books.has_market(spec.id) {
            return Err(RejectReason::MarketExists);
        }
        let base = self.ledger.asset_ix(spec.base)?;
        let quote = self.ledger.asset_ix(spec.quote)?;
        if base == quote {
            return Err(RejectReason::InvalidMarket(InvalidMarket::SameAssets));
        }
        let (b, q) = (&self.ledger.asset(base).spec, &self.ledger.asset(quote).spec);
        if b.kind != AssetKind::Item || q.kind != AssetKind::Currency {
            return Err(RejectReason::InvalidMarket(InvalidMarket::WrongAssetKinds));
        }
        let units = MarketUnits::new(spec, b.decimals, q.decimals)?;
        validate_policy(policy)?;
        self.books.add_market(Market {
            spec: spec.clone(),
            units,
            policy: *policy,
            status: MarketStatus::Open,
            base,
            quote,
            book: Book::with_capacity(1024),
            book_seq: 0,
            last_price: None,
            plugin: None,
        });
        out.push(Event::MarketCreated { market: spec.id });
        Ok(())
    }
}

pub(crate) fn validate_policy(p: &MarketPolicy) -> R<()> {
    let invalid = |why| Err(RejectReason::InvalidMarket(why));
    if p.maker_fee_bps > 10_000 || p.taker_fee_bps > 10_000 {
        return invalid(InvalidMarket::FeeTooHigh);
    }
    if p.min_quantity == 0 || p.min_quantity > p.max_quantity {
        return invalid(InvalidMarket::BadQuantityRange);
    }
    if p.max_price == 0 {
        return invalid(InvalidMarket::ZeroMaxPrice);
    }
    if p.buy_limit.is_some_and(|b| b.quantity == 0 || b.window_ms == 0) {
        return invalid(InvalidMarket::BadBuyLimit);
    }
    Ok(())
}
