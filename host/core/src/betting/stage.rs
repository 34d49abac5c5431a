//! The betting stage of one command: betting's own state, the ledger it pays through, and
//! the game time. It never sees orders or books; every movement of money goes through the
//! ledger's bet-escrow interface (`ledger.rs` here keeps the open stake beside it).

use super::state::Betting;
use crate::ledger::Ledger;

/// Borrowed from the engine for one command (`Engine::bets`).
pub(crate) struct Bets<'a> {
    pub(crate) betting: &'a mut Betting,
    pub(crate) ledger: &'a mut Ledger,
    /// Game time of the command.
    pub(crate) now: u64,
}
