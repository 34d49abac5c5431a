//! Money movements of bets, all double entry against the asset's bet escrow, the house and
//! the debt account (see `Engine::check_invariants`):
//! players + fees + burned + bet escrow = minted + house + debt.

use super::state::Bet;
use crate::engine::Engine;
use crate::event::RejectReason;

impl Engine {
    /// Player available → bet escrow.
    pub(crate) fn escrow_bet(&mut self, a: u32, s: u32, amount: u64) -> Result<(), RejectReason> {
        self.ensure_available(a, s, amount)?;
        self.bal_mut(a, s).available -= amount;
        self.assets[s as usize].bet_escrow += amount as u128;
        *self.betting.open_stake.entry((a, s)).or_default() += amount;
        Ok(())
    }

    /// Bet escrow → player available, with no settlement (cancel, lapse, better price).
    pub(crate) fn release_escrow(&mut self, a: u32, s: u32, amount: u64) {
        if amount == 0 {
            return;
        }
        self.take_open_stake(a, s, amount);
        self.assets[s as usize].bet_escrow -= amount as u128;
        self.bal_mut(a, s).available += amount;
    }

    fn take_open_stake(&mut self, a: u32, s: u32, amount: u64) {
        let open = self.betting.open_stake.get_mut(&(a, s)).expect("open stake of an escrowed bet");
        *open -= amount;
        if *open == 0 {
            self.betting.open_stake.remove(&(a, s));
        }
    }

    /// Settle a bet's escrow, paying `paid` to its owner: whatever differs from the escrow
    /// is the house's (exchange bets net to zero across the two sides of a match).
    pub(crate) fn pay_bet(&mut self, bet: &Bet, paid: u64) {
        let (a, s, escrow) = (bet.account, bet.asset, bet.escrow);
        self.take_open_stake(a, s, escrow);
        let asset = &mut self.assets[s as usize];
        asset.bet_escrow -= escrow as u128;
        asset.house += paid as i128 - escrow as i128;
        self.credit(a, s, paid);
    }

    /// Undo [`Engine::pay_bet`]: the escrow is back in place and `paid` is taken back from
    /// the owner, as far as their available balance goes; the rest becomes a debt, repaid
    /// first from their next betting credit. Returns (taken back, owed).
    pub(crate) fn reverse_bet(&mut self, bet: &Bet) -> (u64, u64) {
        let (a, s) = (bet.account, bet.asset);
        let clawed = bet.paid.min(self.available(a, s));
        let owed = bet.paid - clawed;
        if clawed > 0 {
            self.bal_mut(a, s).available -= clawed;
        }
        if owed > 0 {
            *self.betting.debts.entry((a, s)).or_default() += owed;
        }
        let asset = &mut self.assets[s as usize];
        asset.debt += owed as u128;
        asset.house -= bet.paid as i128 - bet.escrow as i128;
        asset.bet_escrow += bet.escrow as u128;
        *self.betting.open_stake.entry((a, s)).or_default() += bet.escrow;
        (clawed, owed)
    }

    /// Credit a betting return, repaying any debt first.
    fn credit(&mut self, a: u32, s: u32, amount: u64) {
        let mut amount = amount;
        if let Some(debt) = self.betting.debts.get_mut(&(a, s)) {
            let repaid = amount.min(*debt);
            *debt -= repaid;
            amount -= repaid;
            self.assets[s as usize].debt -= repaid as u128;
            if *debt == 0 {
                self.betting.debts.remove(&(a, s));
            }
        }
        if amount > 0 {
            self.bal_mut(a, s).available += amount;
        }
    }
}
