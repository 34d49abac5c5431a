//! Placing fixed-odds singles and parlays against the house. Stakes are escrowed at
//! acceptance; the odds given are the house's current price, never worse than asked.

use super::model::*;
use super::odds::{Odds, Ratio};
use super::spec::BetSpec;
use super::stage::Bets;
use super::state::{max_return, Bet, Exposure};
use crate::event::{Event, RejectReason};
use crate::ids::{AccountId, RequestId};
use crate::ids::{AccountIx, AssetIx};
use crate::ledger::MAX_SUPPLY;
use crate::rules::{clip_reason, Rules};

type R<T> = Result<T, RejectReason>;

/// Longest parlay taken: keeps every exact product within u64 ratios for the plugin.
pub const MAX_PARLAY_LEGS: usize = 12;

impl Bets<'_> {
    pub(crate) fn place_bet(&mut self, (actor, request): (AccountId, RequestId), req: &BetRequest, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<BetId> {
        let a = self.ledger.account_ix(actor)?;
        if req.stake == 0 {
            return Err(RejectReason::ZeroAmount);
        }
        if req.stake > MAX_SUPPLY {
            return Err(RejectReason::OutOfRange);
        }
        let (legs, odds, s) = match &req.kind {
            BetKind::Exchange { leg, side, persist } => return self.place_exchange((actor, request), a, req, *leg, *side, *persist, out),
            BetKind::Single(leg) => {
                let offered = self.check_leg(leg)?;
                let s = self.wallet_asset(a, req.wallet, leg.selection.fixture)?;
                (vec![Leg { selection: leg.selection, odds: offered }], offered, s)
            }
            BetKind::Parlay(legs) => {
                let (priced, odds) = self.check_parlay(legs, (actor, request), out, rules)?;
                let s = self.wallet_asset(a, req.wallet, legs[0].selection.fixture)?;
                for leg in &priced[1..] {
                    if self.wallet_asset(a, req.wallet, leg.selection.fixture)? != s {
                        return Err(RejectReason::ParlayLegs);
                    }
                }
                let shown = Odds(Ratio::new(odds.numerator * u128::from(Odds::SCALE), odds.denominator).apply_floor(1).ok_or(RejectReason::OutOfRange)?);
                (priced, shown, s)
            }
        };
        // The house's worst case: the bet wins every leg and pays stake × Π odds (never
        // more: settlement caps any plugin answer at it). It counts against every leg
        // market's exposure limit, and it must be payable without any balance wrapping.
        let worst = max_return(&legs, req.stake).ok_or(RejectReason::OutOfRange)?;
        let exposure = Worst::of(&legs, req.stake, worst);
        for leg in &legs {
            self.check_exposure(leg.selection, s, exposure)?;
        }
        let open = self.betting.liability.get(&s).copied().unwrap_or(0);
        self.ledger.check_bet_room(s, open, worst - req.stake)?;
        self.escrow_bet(a, s, req.stake)?;
        for leg in &legs {
            self.add_exposure(leg.selection, s, exposure);
        }
        *self.betting.liability.entry(s).or_default() += u128::from(worst - req.stake);
        let id = self.new_bet(Bet {
            account: a,
            asset: s,
            wallet: req.wallet,
            escrow: req.stake,
            stake: req.stake,
            odds,
            legs,
            exchange: None,
            state: BetState::Open,
            paid: 0,
            placed_at: self.now,
        });
        out.push(Event::Bet(BetEvent::BetPlaced { bet: BetId(id), account: actor, request, asset: self.ledger.asset_id(s), stake: req.stake, odds }));
        Ok(BetId(id))
    }

    /// Record a new bet and index it by account and fixture.
    pub(crate) fn new_bet(&mut self, bet: Bet) -> u64 {
        self.betting.next_bet += 1;
        let id = self.betting.next_bet;
        self.betting.by_account.entry(bet.account).or_default().push(id);
        let parlay = bet.legs.len() > 1;
        let mut fixtures: Vec<FixtureId> = bet.legs.iter().map(|l| l.selection.fixture).collect();
        fixtures.dedup();
        for f in fixtures {
            let fixture = self.betting.fixtures.get_mut(&f).expect("legs were checked");
            if parlay {
                fixture.parlays.push(id);
            } else if !bet.exchange.is_some_and(|e| e.is_order) {
                fixture.bets.push(id);
            }
        }
        self.betting.bets.insert(id, bet);
        id
    }

    /// The asset a wallet pays in for bets on fixture `f`.
    pub(crate) fn wallet_asset(&self, a: AccountIx, wallet: Wallet, f: FixtureId) -> R<AssetIx> {
        match wallet {
            Wallet::Main => self.ledger.asset_ix(self.betting.fixtures[&f].spec.currency),
            Wallet::Group(g) => {
                let group = self.betting.groups.get(&g).ok_or(RejectReason::UnknownGroup)?;
                if !group.members.contains_key(&a) || group.left.contains(&a) {
                    return Err(RejectReason::NotGroupMember);
                }
                if group.ended.is_some() || self.now < group.spec.starts_at || self.now >= group.spec.ends_at {
                    return Err(RejectReason::GroupNotRunning);
                }
                Ok(group.asset)
            }
        }
    }

    /// The selection must take bets now; the odds it is offered at.
    pub(crate) fn check_selection(&self, sel: SelectionRef, mode_exchange: bool) -> R<&BetMarketSpec> {
        let fixture = self.betting.fixtures.get(&sel.fixture).ok_or(RejectReason::UnknownFixture)?;
        let market = fixture.spec.markets.get(sel.market as usize).ok_or(RejectReason::UnknownSelection)?;
        if sel.selection as usize >= market.selections.len() {
            return Err(RejectReason::UnknownSelection);
        }
        let takes_bets = match fixture.status {
            FixtureStatus::Open => true,
            FixtureStatus::InPlay => market.in_play,
            _ => false,
        };
        if !takes_bets {
            return Err(RejectReason::BettingClosed(fixture.status));
        }
        if (market.mode == BetMode::Exchange) != mode_exchange {
            return Err(RejectReason::WrongMarketMode);
        }
        Ok(market)
    }

    fn check_leg(&self, leg: &Leg) -> R<Odds> {
        self.check_selection(leg.selection, false)?;
        let sel = leg.selection;
        let offered = self.betting.fixtures[&sel.fixture].odds[sel.market as usize][sel.selection as usize].ok_or(RejectReason::OddsNotOffered)?;
        if offered < leg.odds {
            return Err(RejectReason::OddsChanged { offered, requested: leg.odds });
        }
        Ok(offered)
    }

    fn check_parlay(&self, legs: &[Leg], (actor, request): (AccountId, RequestId), out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<(Vec<Leg>, Ratio)> {
        if !(2..=MAX_PARLAY_LEGS).contains(&legs.len()) {
            return Err(RejectReason::ParlayLegs);
        }
        let mut priced = Vec::with_capacity(legs.len());
        let mut odds = Ratio::ONE;
        for (i, leg) in legs.iter().enumerate() {
            if legs[..i].iter().any(|l| (l.selection.fixture, l.selection.market) == (leg.selection.fixture, leg.selection.market)) {
                return Err(RejectReason::ParlayLegs);
            }
            let offered = self.check_leg(leg)?;
            odds = odds.checked_mul(offered.ratio()).ok_or(RejectReason::OutOfRange)?;
            priced.push(Leg { selection: leg.selection, odds: offered });
        }
        if !settles_exactly(&priced) {
            return Err(RejectReason::ParlayLegs);
        }
        // Same-event policy and leg rules belong to the parlay plugin.
        let spec = BetSpec {
            participants: Vec::new(),
            selection: "parlay".into(),
            line: None,
            params: legs.iter().map(|l| ("leg-event".to_string(), l.selection.fixture.to_string())).collect(),
        };
        match rules.validate_bet(PARLAY, &spec) {
            None => Err(RejectReason::PluginUnavailable),
            Some(Ok(())) => Ok((priced, odds)),
            Some(Err(message)) => {
                out.push(Event::RuleMessage { account: actor, request, message: clip_reason(message) });
                Err(RejectReason::BetRefused)
            }
        }
    }

    fn exposure_limit(&self, sel: SelectionRef) -> u64 {
        match self.betting.fixtures[&sel.fixture].spec.markets[sel.market as usize].mode {
            BetMode::Fixed { exposure_limit } => exposure_limit,
            BetMode::Exchange => 0,
        }
    }

    /// The house's net loss if `sel` wins must stay within the market's exposure limit,
    /// counting singles and parlays with a leg on the market alike (see [`Worst`]).
    fn check_exposure(&self, sel: SelectionRef, s: AssetIx, bet: Worst) -> R<()> {
        let limit = i128::from(self.exposure_limit(sel));
        let fixture = &self.betting.fixtures[&sel.fixture];
        let (stakes, returns) = fixture
            .exposure
            .get(&(sel.market, s))
            .map_or((0, 0), |e| (saturating_i128(e.stakes), saturating_i128(e.returns.get(usize::from(sel.selection)).copied().unwrap_or(0))));
        let scale = i128::from(Odds::SCALE);
        // In ten-thousandths: returns·S − stakes·S ≤ limit·S after adding this bet.
        let after = returns + saturating_i128(bet.returns) - (stakes + i128::from(bet.stake)) * scale;
        if after > limit * scale {
            let room = limit * scale + stakes * scale - returns;
            let max_stake = u64::try_from(room.max(0) / (saturating_i128(bet.per_unit) - scale).max(1)).unwrap_or(u64::MAX);
            return Err(RejectReason::ExposureLimit { max_stake });
        }
        Ok(())
    }

    fn add_exposure(&mut self, sel: SelectionRef, s: AssetIx, bet: Worst) {
        let fixture = self.betting.fixtures.get_mut(&sel.fixture).expect("checked");
        let n = fixture.spec.markets[sel.market as usize].selections.len();
        let e = fixture.exposure.entry((sel.market, s)).or_insert_with(|| Exposure { stakes: 0, returns: vec![0; n] });
        e.stakes += u128::from(bet.stake);
        e.returns[sel.selection as usize] += bet.returns;
    }
}

/// What a fixed-odds bet adds to the exposure of each of its legs' markets, in
/// ten-thousandths of a minor unit: its stake, and what it returns if that leg's
/// selection wins. A single returns exactly stake × odds; a parlay is counted as if every
/// other leg won too, stake × Π odds rounded down (what settlement pays at most), so the
/// sum over singles and parlays never understates the house's loss on any one selection.
#[derive(Clone, Copy, Debug)]
struct Worst {
    stake: u64,
    returns: u128,
    /// Return per unit of stake (×10⁴, rounded up): prices the largest stake still taken.
    per_unit: u128,
}

impl Worst {
    fn of(legs: &[Leg], stake: u64, worst: u64) -> Worst {
        let scale = u128::from(Odds::SCALE);
        if let [single] = legs {
            let odds = u128::from(single.odds.0);
            return Worst { stake, returns: u128::from(stake) * odds, per_unit: odds };
        }
        let odds = super::payout::parlay_multiplier(legs.iter().map(|l| l.odds.ratio())).unwrap_or(Ratio::ONE);
        let per_unit = odds.numerator.checked_mul(scale).map_or(u128::MAX, |n| n.div_ceil(odds.denominator));
        Worst { stake, returns: u128::from(worst) * scale, per_unit }
    }
}

/// Whether every possible outcome of these legs has a return multiplier that fits the
/// plugin interface's u64/u64 ratio, so the parlay plugin can always settle it exactly.
/// Bound: each leg's factor has a denominator dividing 2·den(odds) and is at most its odds.
fn settles_exactly(legs: &[Leg]) -> bool {
    let mut den: u128 = 1;
    let mut top = Ratio::ONE;
    for leg in legs {
        let odds = leg.odds.ratio();
        let Some(d) = den.checked_mul(2 * odds.denominator) else { return false };
        den = d;
        let Some(t) = top.checked_mul(odds) else { return false };
        top = t;
    }
    let numerator = top.numerator.checked_mul(den).map(|n| n / top.denominator);
    den <= u128::from(u64::MAX) && numerator.is_some_and(|n| n <= u128::from(u64::MAX))
}

/// The bet type that combines parlay legs.
pub const PARLAY: &str = "parlay";

/// Exposure totals as signed numbers (they stay far below `i128::MAX`; saturate rather than wrap).
fn saturating_i128(v: u128) -> i128 {
    i128::try_from(v).unwrap_or(i128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legs(n: usize, odds: &str) -> Vec<Leg> {
        let selection = SelectionRef { fixture: FixtureId(1), market: 0, selection: 0 };
        vec![Leg { selection, odds: Odds::parse(odds).unwrap() }; n]
    }

    #[test]
    fn parlays_must_be_settleable_exactly_through_the_plugin_interface() {
        assert!(settles_exactly(&legs(5, "9.76")));
        assert!(settles_exactly(&legs(6, "1.91")));
        assert!(!settles_exactly(&legs(10, "1.91")), "den 200^10 does not fit a u64");
        assert!(!settles_exactly(&legs(5, "1.0001")));
    }
}
