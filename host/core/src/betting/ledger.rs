//! Money movements of bets: thin wrappers over the ledger's bet-escrow moves that also keep
//! betting's "open stake" per (account, asset) for leaderboards. The ledger keeps the
//! identity players + fees + burned + bet escrow = minted + house + debt.

use super::stage::Bets;
use super::state::Bet;
use crate::event::RejectReason;
use crate::ids::{AccountIx, AssetIx};

impl Bets<'_> {
    /// Player available → bet escrow.
    pub(crate) fn escrow_bet(&mut self, a: AccountIx, s: AssetIx, amount: u64) -> Result<(), RejectReason> {
        self.ledger.escrow_bet(a, s, amount)?;
        *self.betting.open_stake.entry((a, s)).or_default() += amount;
        Ok(())
    }

    /// Bet escrow → player available, with no settlement (cancel, lapse, better price).
    pub(crate) fn release_escrow(&mut self, a: AccountIx, s: AssetIx, amount: u64) {
        if amount == 0 {
            return;
        }
        self.take_open_stake(a, s, amount);
        self.ledger.release_bet(a, s, amount);
    }

    fn take_open_stake(&mut self, a: AccountIx, s: AssetIx, amount: u64) {
        let open = self.betting.open_stake.get_mut(&(a, s)).expect("open stake of an escrowed bet");
        assert!(*open >= amount, "open stake {open} below the escrow {amount} it releases");
        *open -= amount;
        if *open == 0 {
            self.betting.open_stake.remove(&(a, s));
        }
    }

    /// Settle a bet's escrow, paying `paid` to its owner: whatever differs from the escrow
    /// is the house's (exchange bets net to zero across the two sides of a match).
    pub(crate) fn pay_bet(&mut self, bet: &Bet, paid: u64) {
        self.take_open_stake(bet.account, bet.asset, bet.escrow);
        self.ledger.pay_bet(bet.account, bet.asset, bet.escrow, paid);
    }

    /// Undo [`Engine::pay_bet`]: the escrow is back in place and the payment taken back as
    /// far as the owner's available balance goes; the rest becomes a debt. Returns (taken
    /// back, owed).
    pub(crate) fn reverse_bet(&mut self, bet: &Bet) -> (u64, u64) {
        *self.betting.open_stake.entry((bet.account, bet.asset)).or_default() += bet.escrow;
        self.ledger.reverse_bet(bet.account, bet.asset, bet.escrow, bet.paid)
    }
}
