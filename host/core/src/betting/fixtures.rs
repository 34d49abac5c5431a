//! Fixtures: creation (every selection validated by its bet-type plugin), the status
//! lifecycle, and house odds.

use std::collections::BTreeSet;

use super::model::*;
use super::odds::Odds;
use super::spec::BetSpec;
use super::stage::Bets;
use super::state::{Fixture, Timer};
use crate::event::{Event, InvalidFixture, RejectReason};
use crate::ids::{AccountId, RequestId};
use crate::market::AssetKind;
use crate::rules::{clip_reason, Rules};

type R<T> = Result<T, RejectReason>;

/// The spec a bet-type plugin sees for one selection.
/// A market or selection position as the `u16` a `SelectionRef` carries (fixtures have at
/// most 64 markets of at most 64 selections: `validate`).
pub(crate) fn position(i: usize) -> u16 {
    u16::try_from(i).expect("at most 64 markets and selections")
}

/// [`selection_spec`] by table positions.
pub(crate) fn position_spec(spec: &FixtureSpec, market: usize, selection: usize) -> BetSpec {
    selection_spec(spec, position(market), position(selection))
}

pub(crate) fn selection_spec(spec: &FixtureSpec, market: u16, selection: u16) -> BetSpec {
    let m = &spec.markets[market as usize];
    let s = &m.selections[selection as usize];
    BetSpec { participants: spec.participants.clone(), selection: s.name.clone(), line: s.line.clone().or_else(|| m.line.clone()), params: m.params.clone() }
}

fn check_shape(spec: &FixtureSpec) -> Result<(), InvalidFixture> {
    let names: BTreeSet<&str> = spec.participants.iter().map(String::as_str).collect();
    if spec.participants.len() < 2 || names.len() != spec.participants.len() || names.contains("") {
        return Err(InvalidFixture::Participants);
    }
    if spec.markets.is_empty() {
        return Err(InvalidFixture::NoMarkets);
    }
    if spec.markets.len() > 64 || spec.markets.iter().any(|m| m.selections.len() > 64) {
        return Err(InvalidFixture::TooBig);
    }
    for (i, m) in spec.markets.iter().enumerate() {
        let names: BTreeSet<&str> = m.selections.iter().map(|s| s.name.as_str()).collect();
        if m.selections.is_empty() || names.len() != m.selections.len() {
            return Err(InvalidFixture::Selections(u16::try_from(i).expect("at most 64 markets")));
        }
    }
    if spec.opens_at.is_some_and(|at| at > spec.starts_at) {
        return Err(InvalidFixture::Times);
    }
    Ok(())
}

impl Bets<'_> {
    pub(crate) fn fixture_status(&self, f: FixtureId) -> R<FixtureStatus> {
        self.betting.fixtures.get(&f).map(|x| x.status).ok_or(RejectReason::UnknownFixture)
    }

    pub(crate) fn create_fixture(
        &mut self,
        (actor, request): (AccountId, RequestId),
        spec: &FixtureSpec,
        out: &mut Vec<Event>,
        rules: &mut dyn Rules,
    ) -> R<()> {
        if self.betting.fixtures.contains_key(&spec.id) {
            return Err(RejectReason::FixtureExists);
        }
        check_shape(spec).map_err(RejectReason::InvalidFixture)?;
        let currency = self.ledger.asset_ix(spec.currency).map_err(|_| RejectReason::InvalidFixture(InvalidFixture::Currency))?;
        if self.ledger.asset(currency).spec.kind != AssetKind::Currency {
            return Err(RejectReason::InvalidFixture(InvalidFixture::Currency));
        }
        // The plugins own the meaning of selections and lines: ask them once, here, so
        // that placing a single never needs a plugin call.
        for (m, market) in spec.markets.iter().enumerate() {
            for s in 0..market.selections.len() {
                match rules.validate_bet(&market.bet_type, &selection_spec(spec, position(m), position(s))) {
                    None => return Err(RejectReason::PluginUnavailable),
                    Some(Ok(())) => {}
                    Some(Err(message)) => {
                        let message = clip_reason(format!("market {m} ({}), selection {:?}: {message}", market.bet_type, market.selections[s].name));
                        out.push(Event::RuleMessage { account: actor, request, message });
                        return Err(RejectReason::BetRefused);
                    }
                }
            }
        }
        let odds = spec.markets.iter().map(|m| m.selections.iter().map(|s| s.odds.filter(|_| matches!(m.mode, BetMode::Fixed { .. }))).collect()).collect();
        let status = if spec.opens_at.is_some_and(|at| at > self.now) { FixtureStatus::Scheduled } else { FixtureStatus::Open };
        self.betting.fixtures.insert(
            spec.id,
            Fixture {
                spec: spec.clone(),
                status,
                result: None,
                odds,
                outcomes: None,
                bets: Vec::new(),
                parlays: Vec::new(),
                orders: BTreeSet::new(),
                exposure: Default::default(),
            },
        );
        if let (FixtureStatus::Scheduled, Some(at)) = (status, spec.opens_at) {
            self.betting.timers.insert((at, Timer::Open(spec.id)));
        }
        self.betting.timers.insert((spec.starts_at.max(self.now), Timer::Start(spec.id)));
        out.push(Event::Bet(BetEvent::FixtureCreated { fixture: spec.id }));
        out.push(Event::Bet(BetEvent::FixtureChanged { fixture: spec.id, status }));
        for (m, market) in spec.markets.iter().enumerate() {
            for (s, sel) in market.selections.iter().enumerate() {
                if let (Some(odds), BetMode::Fixed { .. }) = (sel.odds, market.mode) {
                    self.observe_odds(SelectionRef { fixture: spec.id, market: position(m), selection: position(s) }, odds, 0);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn set_fixture_status(&mut self, f: FixtureId, to: FixtureStatus, out: &mut Vec<Event>) -> R<()> {
        use FixtureStatus::*;
        let from = self.fixture_status(f)?;
        let allowed = match (from, to) {
            (Scheduled, Open | InPlay) => true,
            (Open, Suspended | InPlay | Closed) => true,
            // Back to pre-match betting only before the start.
            (Suspended, Open) => self.now < self.betting.fixtures[&f].spec.starts_at,
            (Suspended, InPlay | Closed) => true,
            (InPlay, Suspended | Closed) => true,
            _ => false,
        };
        if !allowed {
            return Err(RejectReason::BadTransition { from, to });
        }
        self.change_status(f, to, out);
        Ok(())
    }

    /// Move a fixture to `to` and do what that status implies for resting exchange orders.
    pub(crate) fn change_status(&mut self, f: FixtureId, to: FixtureStatus, out: &mut Vec<Event>) {
        let fixture = self.betting.fixtures.get_mut(&f).expect("known fixture");
        fixture.status = to;
        out.push(Event::Bet(BetEvent::FixtureChanged { fixture: f, status: to }));
        let orders: Vec<u64> = fixture.orders.iter().copied().collect();
        for order in orders {
            let bet = &self.betting.bets[&order];
            let ex = bet.exchange.expect("resting orders are exchange orders");
            let market = &self.betting.fixtures[&f].spec.markets[bet.legs[0].selection.market as usize];
            let lapse = match to {
                FixtureStatus::InPlay => !(ex.persist && market.in_play),
                FixtureStatus::Closed | FixtureStatus::Settled | FixtureStatus::Cancelled | FixtureStatus::Void => true,
                _ => false,
            };
            if lapse {
                self.close_exchange_order(order, to == FixtureStatus::InPlay, out);
            }
        }
    }

    pub(crate) fn set_odds(&mut self, selection: SelectionRef, odds: Option<Odds>, out: &mut Vec<Event>) -> R<()> {
        let fixture = self.betting.fixtures.get_mut(&selection.fixture).ok_or(RejectReason::UnknownFixture)?;
        let market = fixture.spec.markets.get(selection.market as usize).ok_or(RejectReason::UnknownSelection)?;
        if selection.selection as usize >= market.selections.len() {
            return Err(RejectReason::UnknownSelection);
        }
        if market.mode == BetMode::Exchange {
            return Err(RejectReason::WrongMarketMode);
        }
        if fixture.status.is_final() {
            return Err(RejectReason::BettingClosed(fixture.status));
        }
        fixture.odds[selection.market as usize][selection.selection as usize] = odds;
        out.push(Event::Bet(BetEvent::OddsChanged { selection, odds }));
        if let Some(odds) = odds {
            self.observe_odds(selection, odds, 0);
        }
        Ok(())
    }
}
