//! Players' alert commands: create and remove definitions (`crate::alerts`).

use super::{Engine, R};
use crate::alerts::{AlertSpec, Alerts};
use crate::event::{Event, Outcome, RejectReason};
use crate::ids::AccountId;

impl Engine {
    /// `Body::CreateAlert`: the actor watches an existing market. The per-account quota is
    /// the server's (a configuration key), checked before the command is issued.
    pub(super) fn create_alert(&mut self, actor: AccountId, spec: AlertSpec, out: &mut Vec<Event>) -> R<Outcome> {
        self.ledger.account_ix(actor)?;
        self.books.market_ix(spec.market)?;
        if !spec.is_valid() {
            return Err(RejectReason::OutOfRange);
        }
        let alert = self.alerts.add(actor, spec);
        out.push(Event::AlertCreated { alert, account: actor, spec });
        Ok(Outcome::AlertCreated { alert })
    }

    /// `Body::RemoveAlert`: only the owner's own alert.
    pub(super) fn remove_alert(&mut self, actor: AccountId, alert: u64, out: &mut Vec<Event>) -> R<()> {
        self.alerts.owned(actor, alert).ok_or(RejectReason::UnknownAlert)?;
        self.alerts.remove(alert);
        out.push(Event::AlertRemoved { alert, account: actor });
        Ok(())
    }

    /// The players' alert definitions.
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }
}
