//! Groups (leagues): members bet with the group's own cash, a currency asset created with
//! the group (id `GROUP_ASSETS + group`), minted as starting cash when a member joins.
//! Leaderboards rank by equity (cash + open bets at stake) and by ROI; when the end date
//! passes the standings are frozen and announced.

use std::collections::{BTreeMap, BTreeSet};

use super::model::*;
use super::stage::Bets;
use super::state::{Betting, Group, Timer, GROUP_ASSETS};
use crate::event::{Event, RejectReason};
use crate::ids::AccountIx;
use crate::ids::{AccountId, AssetId};
use crate::ledger::{Ledger, MAX_SUPPLY};
use crate::market::{AssetKind, AssetSpec};

type R<T> = Result<T, RejectReason>;

impl Bets<'_> {
    pub(crate) fn create_group(&mut self, actor: AccountId, spec: &GroupSpec, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        if self.betting.groups.contains_key(&spec.id) || spec.id.0 >= GROUP_ASSETS {
            return Err(RejectReason::GroupExists);
        }
        if spec.starting_cash == 0 || spec.starting_cash > MAX_SUPPLY || spec.starts_at >= spec.ends_at || spec.ends_at <= self.now {
            return Err(RejectReason::InvalidGroup);
        }
        let asset_id = AssetId(GROUP_ASSETS + spec.id.0);
        if self.ledger.has_asset(asset_id) {
            return Err(RejectReason::GroupExists);
        }
        let s = self.ledger.create_asset(AssetSpec { id: asset_id, symbol: format!("G{}", spec.id), decimals: 2, kind: AssetKind::Currency });
        self.betting.groups.insert(
            spec.id,
            Group { spec: spec.clone(), owner: a, asset: s, members: BTreeMap::new(), invited: BTreeSet::new(), left: BTreeSet::new(), ended: None },
        );
        self.betting.timers.insert((spec.ends_at, Timer::GroupEnd(spec.id)));
        out.push(Event::Bet(BetEvent::GroupCreated { group: spec.id, asset: asset_id }));
        // A fresh currency: the owner's starting cash (> 0, ≤ MAX_SUPPLY) always fits.
        self.add_member(spec.id, a, Role::Owner, out)
    }

    /// Faucet → member: the group's starting cash, then the membership. Refused, with
    /// nothing changed, when the group currency's supply would pass `u64::MAX`.
    fn add_member(&mut self, g: GroupId, a: AccountIx, role: Role, out: &mut Vec<Event>) -> R<()> {
        let group = &self.betting.groups[&g];
        let (s, cash) = (group.asset, group.spec.starting_cash);
        self.ledger.mint(a, s, cash)?;
        let group = self.betting.groups.get_mut(&g).expect("checked above");
        group.members.insert(a, role);
        group.invited.remove(&a);
        self.betting.memberships.entry(a).or_default().insert(g);
        let account = self.ledger.account_id(a);
        out.push(Event::Bet(BetEvent::GroupJoined { group: g, account }));
        Ok(())
    }

    fn group_admin(&self, actor: AccountId, g: GroupId) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let group = self.betting.groups.get(&g).ok_or(RejectReason::UnknownGroup)?;
        match group.members.get(&a) {
            Some(Role::Owner | Role::Admin) if !group.left.contains(&a) => Ok(()),
            _ if actor == AccountId::ADMIN => Ok(()),
            _ => Err(RejectReason::NotGroupAdmin),
        }
    }

    fn group_open(&self, g: GroupId) -> R<&Group> {
        let group = self.betting.groups.get(&g).ok_or(RejectReason::UnknownGroup)?;
        // Its end timer may still be waiting its turn (`MAX_GROUP_ENDS_PER_COMMAND`): the
        // end date alone closes it.
        if group.ended.is_some() || self.now >= group.spec.ends_at {
            return Err(RejectReason::GroupNotRunning);
        }
        Ok(group)
    }

    pub(crate) fn invite(&mut self, actor: AccountId, g: GroupId, account: AccountId, out: &mut Vec<Event>) -> R<()> {
        self.group_admin(actor, g)?;
        self.group_open(g)?;
        let a = self.ledger.account_ix(account)?;
        let group = self.betting.groups.get_mut(&g).unwrap();
        if group.members.contains_key(&a) && !group.left.contains(&a) {
            return Err(RejectReason::AlreadyMember);
        }
        group.invited.insert(a);
        out.push(Event::Bet(BetEvent::GroupInvited { group: g, account }));
        Ok(())
    }

    pub(crate) fn join_group(&mut self, actor: AccountId, g: GroupId, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let group = self.group_open(g)?;
        if group.members.contains_key(&a) {
            // Leaving is final for the league: rejoining would mint a second starting cash.
            return Err(RejectReason::AlreadyMember);
        }
        if !group.spec.open && !group.invited.contains(&a) {
            return Err(RejectReason::NotInvited);
        }
        self.add_member(g, a, Role::Member, out)
    }

    pub(crate) fn leave_group(&mut self, actor: AccountId, g: GroupId, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let group = self.betting.groups.get_mut(&g).ok_or(RejectReason::UnknownGroup)?;
        match group.members.get(&a) {
            None => return Err(RejectReason::NotGroupMember),
            Some(_) if group.left.contains(&a) => return Err(RejectReason::NotGroupMember),
            Some(Role::Owner) => return Err(RejectReason::OwnerCannotLeave),
            Some(_) => {}
        }
        // Open bets stay and settle into the wallet; the member just leaves the standings.
        group.left.insert(a);
        out.push(Event::Bet(BetEvent::GroupLeft { group: g, account: actor }));
        Ok(())
    }

    pub(crate) fn set_role(&mut self, actor: AccountId, g: GroupId, account: AccountId, role: Role, out: &mut Vec<Event>) -> R<()> {
        let a = self.ledger.account_ix(actor)?;
        let target = self.ledger.account_ix(account)?;
        let group = self.betting.groups.get_mut(&g).ok_or(RejectReason::UnknownGroup)?;
        // Only the owner promotes and demotes; ownership does not move.
        if group.owner != a && actor != AccountId::ADMIN {
            return Err(RejectReason::NotGroupAdmin);
        }
        if role == Role::Owner || target == group.owner {
            return Err(RejectReason::NotGroupAdmin);
        }
        if !group.members.contains_key(&target) || group.left.contains(&target) {
            return Err(RejectReason::NotGroupMember);
        }
        group.members.insert(target, role);
        out.push(Event::Bet(BetEvent::GroupRole { group: g, account, role }));
        Ok(())
    }

    pub(crate) fn end_group(&mut self, g: GroupId, out: &mut Vec<Event>) {
        if self.betting.groups.get(&g).is_none_or(|x| x.ended.is_some()) {
            return;
        }
        let standings = standings(self.betting, self.ledger, g).unwrap_or_default();
        self.betting.groups.get_mut(&g).unwrap().ended = Some(standings.clone());
        out.push(Event::Bet(BetEvent::GroupEnded { group: g, standings }));
    }
}

/// A group's current members by equity, best first (ties: lower account id first).
/// After the end date: the frozen standings.
pub(crate) fn standings(betting: &Betting, ledger: &Ledger, g: GroupId) -> Option<Vec<Standing>> {
    let group = betting.groups.get(&g)?;
    if let Some(frozen) = &group.ended {
        return Some(frozen.clone());
    }
    let start = i128::from(group.spec.starting_cash);
    let mut rows: Vec<Standing> = group
        .members
        .keys()
        .filter(|a| !group.left.contains(a))
        .map(|&a| {
            let cash = ledger.available(a, group.asset);
            let open_stake = betting.open_stake.get(&(a, group.asset)).copied().unwrap_or(0);
            let equity = cash.checked_add(open_stake).expect("both are within the asset supply");
            let roi = (i128::from(equity) - start) * 10_000 / start;
            let roi_bps = i64::try_from(roi).unwrap_or(if roi > 0 { i64::MAX } else { i64::MIN });
            Standing { account: ledger.account_id(a), cash, open_stake, equity, roi_bps }
        })
        .collect();
    rows.sort_by(|x, y| y.equity.cmp(&x.equity).then(x.account.cmp(&y.account)));
    Some(rows)
}
