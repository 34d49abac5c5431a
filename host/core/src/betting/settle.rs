//! Settlement: a fixture's result (or its voiding) pays every bet on it, through the
//! bet-type plugins' outcomes. Reporting a result again, or voiding after settlement,
//! first reverses every payment made under the old result, so the ledger ends exactly
//! as if only the final result had ever been reported.
//!
//! All plugin answers are gathered before anything moves: if a plugin is unavailable the
//! command is refused and changes nothing, and can simply be sent again.

use super::model::*;
use super::payout::{multiplier, BetOutcome};
use super::place::PARLAY;
use super::spec::{BetSpec, EventResult};
use super::stage::Bets;
use super::state::Bet;
use crate::event::{Event, RejectReason};
use crate::rules::Rules;

type R<T> = Result<T, RejectReason>;

/// The `leg` parameter the parlay plugin reads: `<outcome>@<odds>`.
pub fn leg_param(outcome: BetOutcome, odds: super::odds::Odds) -> String {
    let word = match outcome {
        BetOutcome::Win => "win".to_string(),
        BetOutcome::Lose => "lose".into(),
        BetOutcome::Push => "push".into(),
        BetOutcome::Void => "void".into(),
        BetOutcome::HalfWin => "half-win".into(),
        BetOutcome::HalfLose => "half-lose".into(),
        BetOutcome::Multiplier { numerator, denominator } => format!("multiplier:{numerator}/{denominator}"),
    };
    format!("{word}@{odds}")
}

impl Bets<'_> {
    /// `result: None` voids the fixture (cancelled before a result, void after one).
    pub(crate) fn report_result(&mut self, f: FixtureId, result: Option<&EventResult>, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<()> {
        let from = self.fixture_status(f)?;
        let to = match (result, from) {
            (_, FixtureStatus::Cancelled | FixtureStatus::Void) => {
                return Err(RejectReason::BadTransition { from, to: if result.is_some() { FixtureStatus::Settled } else { FixtureStatus::Void } })
            }
            (Some(_), _) => FixtureStatus::Settled,
            (None, FixtureStatus::Settled) => FixtureStatus::Void,
            (None, _) => FixtureStatus::Cancelled,
        };
        // 1. Every plugin answer first.
        let outcomes = self.selection_outcomes(f, result, rules)?;
        let parlays = self.parlay_outcomes(f, &outcomes, rules)?;
        // 2. Then the money.
        self.change_status(f, to, out);
        let fixture = self.betting.fixtures.get_mut(&f).unwrap();
        fixture.result = result.cloned();
        fixture.outcomes = Some(outcomes.clone());
        let bets = fixture.bets.clone();
        for id in bets {
            let mut bet = self.betting.bets.remove(&id).unwrap();
            let sel = bet.legs[0].selection;
            let outcome = outcomes[sel.market as usize][sel.selection as usize];
            self.settle_one(id, &mut bet, outcome, out);
            self.betting.bets.insert(id, bet);
        }
        for (id, outcome) in parlays {
            let mut bet = self.betting.bets.remove(&id).unwrap();
            self.settle_one(id, &mut bet, outcome, out);
            self.betting.bets.insert(id, bet);
        }
        Ok(())
    }

    /// Outcome of every selection of the fixture under `result` (void: all `Void`).
    fn selection_outcomes(&self, f: FixtureId, result: Option<&EventResult>, rules: &mut dyn Rules) -> R<Vec<Vec<BetOutcome>>> {
        let spec = &self.betting.fixtures[&f].spec;
        let mut all = Vec::with_capacity(spec.markets.len());
        for (m, market) in spec.markets.iter().enumerate() {
            let mut row = Vec::with_capacity(market.selections.len());
            for s in 0..market.selections.len() {
                row.push(match result {
                    None => BetOutcome::Void,
                    Some(result) => {
                        let outcome =
                            rules.settle_bet(&market.bet_type, &super::fixtures::position_spec(spec, m, s), result).ok_or(RejectReason::PluginUnavailable)?;
                        if let BetOutcome::Multiplier { denominator: 0, .. } = outcome {
                            return Err(RejectReason::PluginUnavailable);
                        }
                        outcome
                    }
                });
            }
            all.push(row);
        }
        Ok(all)
    }

    /// Parlays with a leg on `f` whose every leg is now final, with their outcome from the
    /// parlay plugin.
    fn parlay_outcomes(&self, f: FixtureId, outcomes: &[Vec<BetOutcome>], rules: &mut dyn Rules) -> R<Vec<(u64, BetOutcome)>> {
        let mut settled = Vec::new();
        for &id in &self.betting.fixtures[&f].parlays {
            let bet = &self.betting.bets[&id];
            let mut params = Vec::with_capacity(bet.legs.len());
            for leg in &bet.legs {
                let sel = leg.selection;
                let outcome = if sel.fixture == f {
                    outcomes[sel.market as usize][sel.selection as usize]
                } else {
                    match &self.betting.fixtures[&sel.fixture].outcomes {
                        Some(o) => o[sel.market as usize][sel.selection as usize],
                        None => break,
                    }
                };
                params.push(("leg".to_string(), leg_param(outcome, leg.odds)));
            }
            if params.len() < bet.legs.len() {
                continue; // some leg still open
            }
            let spec = BetSpec { participants: Vec::new(), selection: "parlay".into(), line: None, params };
            let outcome = rules.settle_bet(PARLAY, &spec, &EventResult { scores: Vec::new(), completed: true }).ok_or(RejectReason::PluginUnavailable)?;
            if let BetOutcome::Multiplier { denominator: 0, .. } = outcome {
                return Err(RejectReason::PluginUnavailable);
            }
            settled.push((id, outcome));
        }
        Ok(settled)
    }

    /// Pay one bet (reversing an earlier settlement first). Exchange lays get what the
    /// matched backer does not: stake + liability − the backer's return.
    fn settle_one(&mut self, id: u64, bet: &mut Bet, outcome: BetOutcome, out: &mut Vec<Event>) {
        let account = self.ledger.account_id(bet.account);
        let resettled = matches!(bet.state, BetState::Settled(_));
        if resettled {
            let (clawed, owed) = self.reverse_bet(bet);
            out.push(Event::Bet(BetEvent::BetReversed { bet: BetId(id), account, clawed, owed }));
        }
        let m = multiplier(outcome, bet.odds).expect("zero denominators are refused before settling");
        let back_return = m.apply_floor(bet.stake).unwrap_or(u64::MAX);
        // A plugin's answer is capped by what the host declared at placement: a fixed-odds
        // bet never pays more than stake × its odds (Π legs' odds), a back never more than
        // its stake + the layer's liability, a lay never more than both escrows.
        let paid = match bet.exchange.map(|e| e.side) {
            Some(BackLay::Lay) => (bet.stake + bet.escrow).saturating_sub(back_return),
            Some(BackLay::Back) => back_return.min(bet.stake + escrow_cap(bet)),
            None => {
                let most = bet.max_return().expect("checked at placement");
                if bet.state == BetState::Open {
                    // Its worst case is no longer open (a re-settlement moves an already
                    // settled bet, whose room was released at its first settlement).
                    let open = self.betting.liability.get_mut(&bet.asset).expect("an open bet's worst case");
                    *open -= u128::from(most - bet.escrow);
                }
                back_return.min(most)
            }
        };
        self.pay_bet(bet, paid);
        bet.paid = paid;
        // A lay wins when the selection loses: record the result as its owner sees it.
        let outcome = if bet.exchange.is_some_and(|e| e.side == BackLay::Lay) { outcome.for_layer() } else { outcome };
        bet.state = BetState::Settled(outcome);
        out.push(Event::Bet(BetEvent::BetSettled {
            bet: BetId(id),
            account,
            asset: self.ledger.asset_id(bet.asset),
            outcome,
            stake: bet.stake,
            paid,
            resettled,
        }));
    }
}

/// The most a matched back can win: the layer's liability at the matched odds (which the
/// layer escrowed, so it fits in u64).
fn escrow_cap(bet: &Bet) -> u64 {
    super::exchange::escrow_for(BackLay::Lay, bet.stake, bet.odds).expect("the layer escrowed this liability")
}
