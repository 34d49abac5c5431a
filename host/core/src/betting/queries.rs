//! Read-only views of the betting state, and its share of the invariant check and the
//! state hash.

use super::exchange::{book_side, STAKE_UNIT};
use super::model::*;
use super::odds::{Odds, LADDER};
use super::state::Bet;
use crate::engine::Engine;
use crate::ids::{AccountId, AssetId};
use crate::ids::{AccountIx, AssetIx};

impl Engine {
    fn bet_view(&self, id: u64, b: &Bet) -> BetView {
        let ex = b.exchange;
        BetView {
            bet: BetId(id),
            account: self.ledger.account_id(b.account),
            asset: self.ledger.asset_id(b.asset),
            wallet: b.wallet,
            stake: b.stake,
            odds: b.odds,
            legs: b.legs.iter().map(|l| l.selection).collect(),
            side: ex.map(|e| e.side),
            order: ex.filter(|e| !e.is_order).map(|e| BetId(e.order)),
            unmatched: ex.map_or(0, |e| e.unmatched),
            state: b.state,
            paid: b.paid,
            placed_at: b.placed_at,
        }
    }

    /// A bet, parlay, exchange order or matched exchange bet by id.
    pub fn bet(&self, bet: BetId) -> Option<BetView> {
        self.betting.bets.get(&bet.0).map(|b| self.bet_view(bet.0, b))
    }

    /// An account's bets and exchange orders, newest first; `open_only` keeps those still
    /// waiting for a result or a match.
    pub fn bets_of(&self, account: AccountId, open_only: bool, limit: usize) -> Vec<BetView> {
        self.bets_of_before(account, open_only, None, limit)
    }

    /// Like `bets_of`, only bets with ids below `before` (the next page of a newest-first
    /// walk). Costs O(the account's own bets), found through the account's bet list (ids
    /// ascending, so the cursor is a binary search).
    pub fn bets_of_before(&self, account: AccountId, open_only: bool, before: Option<BetId>, limit: usize) -> Vec<BetView> {
        let Ok(a) = self.ledger.account_ix(account) else { return Vec::new() };
        let Some(ids) = self.betting.by_account.get(&a) else { return Vec::new() };
        let end = before.map_or(ids.len(), |b| ids.partition_point(|&id| id < b.0));
        ids[..end]
            .iter()
            .rev()
            .map(|id| (id, &self.betting.bets[id]))
            .filter(|(_, b)| !open_only || matches!(b.state, BetState::Open | BetState::Unmatched))
            .take(limit)
            .map(|(&id, b)| self.bet_view(id, b))
            .collect()
    }

    /// Per wallet asset: (open stake, settled profit and loss = returns − stakes, debt).
    pub fn betting_pnl(&self, account: AccountId) -> Vec<(AssetId, u64, i128, u64)> {
        let Ok(a) = self.ledger.account_ix(account) else { return Vec::new() };
        let mut rows: std::collections::BTreeMap<AssetIx, (u64, i128, u64)> = Default::default();
        // Only this account's rows of the (account, asset) maps: O(its own entries).
        let mine = (a, AssetIx(0))..=(a, AssetIx(u32::MAX));
        for (&(_, s), &open) in self.betting.open_stake.range(mine.clone()) {
            rows.entry(s).or_default().0 = open;
        }
        for id in self.betting.by_account.get(&a).into_iter().flatten() {
            let b = &self.betting.bets[id];
            if let (BetState::Settled(_), false) = (b.state, b.exchange.is_some_and(|e| e.is_order)) {
                rows.entry(b.asset).or_default().1 += i128::from(b.paid) - i128::from(b.escrow);
            }
        }
        for (&(_, s), &debt) in self.ledger.debts().range(mine) {
            rows.entry(s).or_default().2 = debt;
        }
        rows.into_iter().map(|(s, (open, pnl, debt))| (self.ledger.asset_id(s), open, pnl, debt)).collect()
    }

    /// A fixture's spec, status, result and current house odds.
    pub fn fixture(&self, f: FixtureId) -> Option<FixtureView> {
        let x = self.betting.fixtures.get(&f)?;
        Some(FixtureView {
            spec: x.spec.clone(),
            status: x.status,
            result: x.result.clone(),
            odds: x.odds.clone(),
            bets: (x.bets.len() + x.parlays.len()) as u64,
        })
    }

    /// Every fixture id and name with its status, by id.
    pub fn fixtures(&self) -> Vec<(FixtureId, &str, FixtureStatus)> {
        self.betting.fixtures.iter().map(|(&id, x)| (id, x.spec.name.as_str(), x.status)).collect()
    }

    /// Bets ever placed on a fixture (its popularity for search ranking).
    pub fn fixture_bets(&self, f: FixtureId) -> u64 {
        self.betting.fixtures.get(&f).map_or(0, |x| (x.bets.len() + x.parlays.len()) as u64)
    }

    pub(crate) fn check_betting(&self) -> Result<(), String> {
        let mut escrow = vec![0u128; self.ledger.assets().len()];
        let mut open: std::collections::BTreeMap<(AccountIx, AssetIx), u64> = Default::default();
        for (id, b) in &self.betting.bets {
            let holds = matches!(b.state, BetState::Open | BetState::Unmatched);
            if holds {
                escrow[b.asset.at()] += u128::from(b.escrow);
                if b.escrow > 0 {
                    *open.entry((b.account, b.asset)).or_default() += b.escrow;
                }
            } else if b.exchange.is_some_and(|e| e.is_order) && b.escrow != 0 {
                return Err(format!("closed exchange order {id} still holds {}", b.escrow));
            }
            if let Some(e) = b.exchange.filter(|e| e.is_order) {
                // Closing an order drops its unmatched part, so only resting orders add up.
                if e.unmatched + e.matched > b.stake || (b.state == BetState::Unmatched && e.unmatched + e.matched != b.stake) {
                    return Err(format!("exchange order {id}: matched {} + unmatched {} != stake {}", e.matched, e.unmatched, b.stake));
                }
            }
        }
        for (s, x) in self.ledger.assets().iter().enumerate() {
            if escrow[s] != x.bet_escrow {
                return Err(format!("asset {}: open bets escrow {} but the bet escrow account holds {}", x.spec.id, escrow[s], x.bet_escrow));
            }
        }
        let recorded: std::collections::BTreeMap<(AccountIx, AssetIx), u64> =
            self.betting.open_stake.iter().filter(|(_, v)| **v > 0).map(|(k, v)| (*k, *v)).collect();
        if recorded != open {
            return Err("open stake per account differs from the open bets".into());
        }
        Ok(())
    }

    /// A group's current members by equity, best first (ties: lower account id first).
    /// After the end date: the frozen standings.
    pub fn standings(&self, g: GroupId) -> Option<Vec<Standing>> {
        super::groups::standings(&self.betting, &self.ledger, g)
    }

    /// The group's terms, members with roles, and whether it has ended.
    pub fn group(&self, g: GroupId) -> Option<GroupView> {
        let group = self.betting.groups.get(&g)?;
        let members = group.members.iter().filter(|(a, _)| !group.left.contains(a)).map(|(&a, &r)| (self.ledger.account_id(a), r)).collect();
        Some(GroupView { spec: group.spec.clone(), asset: self.ledger.asset_id(group.asset), members, ended: group.ended.is_some() })
    }

    /// Groups an account belongs to (not left).
    pub fn groups_of(&self, account: AccountId) -> Vec<GroupId> {
        let Ok(a) = self.ledger.account_ix(account) else { return Vec::new() };
        let mine = self.betting.memberships.get(&a).into_iter().flatten();
        mine.filter(|g| !self.betting.groups[g].left.contains(&a)).copied().collect()
    }

    /// (groups owned, groups joined) by `account` that are still running or yet to start
    /// and that it has not left: what the server's per-player group quotas count.
    pub fn active_groups(&self, account: AccountId) -> (usize, usize) {
        self.ledger.account_ix(account).map_or((0, 0), |a| self.betting.active_groups(a))
    }

    /// Whether `account` may read a group's details, leaderboard and live standings:
    /// anyone for an open group; for an invitation-only one, only its members (current or
    /// past), the accounts invited to it and the operator. `false` for an unknown group.
    pub fn may_read_group(&self, g: GroupId, account: AccountId) -> bool {
        let Some(group) = self.betting.groups.get(&g) else { return false };
        if group.spec.open || account == AccountId::ADMIN {
            return true;
        }
        self.ledger.account_ix(account).is_ok_and(|a| group.members.contains_key(&a) || group.invited.contains(&a))
    }

    /// (odds, unmatched backers' stake) levels of a selection's ladder in the fixture's
    /// currency, best first: backs on offer (lowest odds first), lays (highest first).
    /// Group cash trades on ladders of its own, never against other currencies.
    pub fn exchange_depth(&self, sel: SelectionRef, side: BackLay) -> Vec<(Odds, u64)> {
        let Some(s) = self.betting.fixtures.get(&sel.fixture).and_then(|f| self.ledger.asset_ix(f.spec.currency).ok()) else { return Vec::new() };
        self.betting.books.get(&(sel, s)).map_or_else(Vec::new, |b| {
            b.depth(book_side(side)).map(|(tick, units)| (Odds(u64::from(LADDER[usize::try_from(tick).expect("a ladder tick")])), units * STAKE_UNIT)).collect()
        })
    }

    /// Closed windows of a selection, oldest first, plus the one still open (if any prices
    /// were seen in it) as it stands.
    pub fn odds_windows(&self, sel: SelectionRef) -> (Vec<OddsWindow>, Option<OddsWindow>) {
        let closed = self.betting.closed_windows.get(&sel).map(|d| d.iter().copied().collect()).unwrap_or_default();
        let open = self.betting.windows.get(&sel).filter(|w| w.count > 0).map(|w| w.summary(sel));
        (closed, open)
    }
}
