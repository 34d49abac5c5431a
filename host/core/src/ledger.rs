//! The ledger: assets, accounts and their balances, and the only code that moves value.
//!
//! Double entry: every movement is a debit from one account and a credit to another.
//! The accounts are, per asset: each player's `available` and `locked` (held for resting
//! orders), the fee sink, the faucet (`minted`), the burn (`burned`), the bet escrow, the
//! house (net paid out on fixed-odds bets) and the players' debts (re-settled winnings not
//! yet repaid). The identity every command keeps, per asset:
//!
//! ```text
//! Σ players (available + locked) + fee sink + burned + bet escrow = minted + house + debt
//! ```
//!
//! The order stages talk to the ledger in plain data ([`Hold`], [`Release`], [`Fill`],
//! [`Fee`]) so that the books could run in another process: an order first takes a hold,
//! matching emits fills, each fill moves held value, and every terminal event releases
//! what is left. Each move asserts its preconditions (a hold is covered by `available`, a
//! fill or release never exceeds what is held): a breach is a bug, and the engine stops
//! rather than let a balance wrap.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::book::IdMap;
use crate::event::RejectReason;
use crate::ids::{AccountId, AccountIx, AssetId, AssetIx, Minor};
use crate::market::AssetSpec;

type R<T> = Result<T, RejectReason>;

/// The most of any one asset that may exist, in minor units: the supply `minted − burned`
/// never passes it (mint, group starting cash). It is far below `u64::MAX` (about 18.4 ×
/// 10^18) so that the house's bet payouts have room on top of the whole supply: a bet is
/// taken only while `MAX_SUPPLY` + everything the house has paid out net + the debts +
/// the worst case of every open fixed-odds bet fits in a `u64` ([`Ledger::check_bet_room`]),
/// so no balance can ever wrap, whoever holds the money.
pub const MAX_SUPPLY: u64 = 1_000_000_000_000_000_000;

/// One player's holding of one asset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Balance {
    pub(crate) available: Minor,
    /// Held for resting orders: the sum of their holds (`check_invariants` proves it).
    pub(crate) locked: Minor,
    /// The command generation that last touched this balance (for `Balance` events).
    pub(crate) mark: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Account {
    pub(crate) id: AccountId,
    /// Indexed by `AssetIx`; grown on first touch.
    pub(crate) balances: Vec<Balance>,
}

/// An asset and its system accounts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Asset {
    pub(crate) spec: AssetSpec,
    /// Totals over all time (u128: mint/burn cycles may exceed u64 in total; the supply
    /// `minted − burned` never does).
    pub(crate) minted: u128,
    pub(crate) burned: u128,
    pub(crate) fee_sink: Minor,
    /// Stakes and lay liabilities of open bets (the bet escrow account).
    pub(crate) bet_escrow: u128,
    /// Net paid out by the house on settled fixed-odds bets (negative: the house is up).
    pub(crate) house: i128,
    /// Winnings taken back by re-settlement that the players could not cover yet.
    pub(crate) debt: u128,
}

impl Asset {
    pub(crate) fn new(spec: AssetSpec) -> Asset {
        Asset { spec, minted: 0, burned: 0, fee_sink: 0, bet_escrow: 0, house: 0, debt: 0 }
    }
}

/// Funds set aside for an order when it is accepted: `available → locked`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    pub(crate) account: AccountIx,
    pub(crate) asset: AssetIx,
    pub(crate) amount: Minor,
}

/// Held funds an order no longer needs (cancel, expiry, fill at a better price, a smaller
/// or cheaper order): `locked → available`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    pub(crate) account: AccountIx,
    pub(crate) asset: AssetIx,
    pub(crate) amount: Minor,
}

/// The money side of one fill, as matching reports it. The buyer pays `notional +
/// buyer_fee` out of its quote hold and receives `items` base units; the seller delivers
/// `items` out of its base hold and receives `notional − seller_fee`; both fees go to the
/// quote asset's fee sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub(crate) buyer: AccountIx,
    pub(crate) seller: AccountIx,
    pub(crate) base: AssetIx,
    pub(crate) quote: AssetIx,
    /// Base units delivered (`lots × lot_units`).
    pub(crate) items: Minor,
    /// Quote units paid before fees (`price × lots × tick_value`).
    pub(crate) notional: Minor,
    pub(crate) buyer_fee: Minor,
    pub(crate) seller_fee: Minor,
}

/// A flat fee (listing, relisting) paid from available funds: `available → fee sink`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fee {
    pub(crate) account: AccountIx,
    pub(crate) asset: AssetIx,
    pub(crate) amount: Minor,
}

/// A balance as it was before the current command first touched it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Touched {
    pub(crate) account: AccountIx,
    pub(crate) asset: AssetIx,
    pub(crate) before: Balance,
}

/// Assets, accounts, balances and the system accounts; see the module doc.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    assets: Vec<Asset>,
    asset_index: IdMap<u32, AssetIx>,
    accounts: Vec<Account>,
    account_index: IdMap<u64, AccountIx>,
    /// What each (account, asset) owes after a re-settlement took back more than it held.
    debts: BTreeMap<(AccountIx, AssetIx), Minor>,
    /// The current command's generation: a balance marked with it was touched already.
    generation: u64,
    /// Balances the current command touched, with their value before it.
    touched: Vec<Touched>,
}

impl Ledger {
    pub(crate) fn with_capacity(touched: usize) -> Ledger {
        Ledger { touched: Vec::with_capacity(touched), ..Ledger::default() }
    }

    // ---- tables ----

    pub(crate) fn has_asset(&self, id: AssetId) -> bool {
        self.asset_index.contains_key(&id.0)
    }

    /// Add an asset (the caller checked the id is free).
    pub(crate) fn create_asset(&mut self, spec: AssetSpec) -> AssetIx {
        debug_assert!(!self.has_asset(spec.id));
        let s = AssetIx::new(self.assets.len());
        self.asset_index.insert(spec.id.0, s);
        self.assets.push(Asset::new(spec));
        s
    }

    pub(crate) fn has_account(&self, id: AccountId) -> bool {
        self.account_index.contains_key(&id.0)
    }

    /// Add an account (the caller checked the id is free).
    pub(crate) fn open_account(&mut self, id: AccountId) -> AccountIx {
        debug_assert!(!self.has_account(id));
        let a = AccountIx::new(self.accounts.len());
        self.account_index.insert(id.0, a);
        self.accounts.push(Account { id, balances: Vec::new() });
        a
    }

    pub(crate) fn account_ix(&self, id: AccountId) -> R<AccountIx> {
        self.account_index.get(&id.0).copied().ok_or(RejectReason::UnknownAccount)
    }

    pub(crate) fn asset_ix(&self, id: AssetId) -> R<AssetIx> {
        self.asset_index.get(&id.0).copied().ok_or(RejectReason::UnknownAsset)
    }

    pub(crate) fn account_id(&self, a: AccountIx) -> AccountId {
        self.accounts[a.at()].id
    }

    pub(crate) fn asset(&self, s: AssetIx) -> &Asset {
        &self.assets[s.at()]
    }

    pub(crate) fn asset_id(&self, s: AssetIx) -> AssetId {
        self.assets[s.at()].spec.id
    }

    pub(crate) fn assets(&self) -> &[Asset] {
        &self.assets
    }

    pub(crate) fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub(crate) fn debts(&self) -> &BTreeMap<(AccountIx, AssetIx), Minor> {
        &self.debts
    }

    /// A player's balance (zero if never touched).
    pub(crate) fn balance(&self, a: AccountIx, s: AssetIx) -> Balance {
        self.accounts[a.at()].balances.get(s.at()).copied().unwrap_or_default()
    }

    pub(crate) fn available(&self, a: AccountIx, s: AssetIx) -> Minor {
        self.balance(a, s).available
    }

    pub(crate) fn ensure_available(&self, a: AccountIx, s: AssetIx, needed: Minor) -> R<()> {
        let available = self.available(a, s);
        if available < needed {
            return Err(RejectReason::InsufficientFunds { asset: self.asset_id(s), needed, available });
        }
        Ok(())
    }

    // ---- change tracking ----

    /// Start a command: balances touched from now on are reported at its end.
    pub(crate) fn begin_command(&mut self) {
        debug_assert!(self.touched.is_empty(), "the previous command's changes were flushed");
        self.generation += 1;
    }

    /// The balances touched since `begin_command`, each with its value before; clears them.
    pub(crate) fn drain_touched(&mut self, mut each: impl FnMut(AccountId, AssetId, Balance, Balance)) {
        for t in &self.touched {
            let now = self.accounts[t.account.at()].balances[t.asset.at()];
            each(self.accounts[t.account.at()].id, self.assets[t.asset.at()].spec.id, t.before, now);
        }
        self.touched.clear();
    }

    /// A player's balance for a move, remembering its value before this command the first
    /// time it is touched.
    fn bal_mut(&mut self, a: AccountIx, s: AssetIx) -> &mut Balance {
        let generation = self.generation;
        let balances = &mut self.accounts[a.at()].balances;
        if balances.len() <= s.at() {
            balances.resize(s.at() + 1, Balance::default());
        }
        let b = &mut balances[s.at()];
        if b.mark != generation {
            self.touched.push(Touched { account: a, asset: s, before: *b });
            b.mark = generation;
        }
        b
    }

    fn credit_available(&mut self, a: AccountIx, s: AssetIx, amount: Minor) {
        if amount > 0 {
            let b = self.bal_mut(a, s);
            b.available = b.available.checked_add(amount).expect("a balance never exceeds the asset's supply");
        }
    }

    fn debit_available(&mut self, a: AccountIx, s: AssetIx, amount: Minor) {
        if amount > 0 {
            let b = self.bal_mut(a, s);
            assert!(b.available >= amount, "debit of {amount} exceeds available {}", b.available);
            b.available -= amount;
        }
    }

    fn debit_locked(&mut self, a: AccountIx, s: AssetIx, amount: Minor) {
        if amount > 0 {
            let b = self.bal_mut(a, s);
            assert!(b.locked >= amount, "taking {amount} from a hold of {}", b.locked);
            b.locked -= amount;
        }
    }

    // ---- faucet and burn ----

    /// Faucet → player. Refused when the asset's supply would pass [`MAX_SUPPLY`].
    pub(crate) fn mint(&mut self, a: AccountIx, s: AssetIx, amount: Minor) -> R<()> {
        if amount == 0 {
            return Err(RejectReason::ZeroAmount);
        }
        // Burns may exceed mints (players burn what the house paid them): signed.
        if self.supply(s).saturating_add(i128::from(amount)) > i128::from(MAX_SUPPLY) {
            return Err(RejectReason::OutOfRange);
        }
        self.assets[s.at()].minted += u128::from(amount);
        self.credit_available(a, s, amount);
        Ok(())
    }

    /// `minted − burned` of an asset (negative once players burned house winnings).
    pub(crate) fn supply(&self, s: AssetIx) -> i128 {
        let x = &self.assets[s.at()];
        let signed = |v: u128| i128::try_from(v).unwrap_or(i128::MAX);
        signed(x.minted) - signed(x.burned)
    }

    /// Player → burn.
    pub(crate) fn burn(&mut self, a: AccountIx, s: AssetIx, amount: Minor) -> R<()> {
        if amount == 0 {
            return Err(RejectReason::ZeroAmount);
        }
        self.ensure_available(a, s, amount)?;
        self.debit_available(a, s, amount);
        self.assets[s.at()].burned += u128::from(amount);
        Ok(())
    }

    // ---- orders: hold → fill → release ----

    /// Player available → held. Precondition: the caller checked `ensure_available`.
    pub(crate) fn hold(&mut self, h: Hold) {
        if h.amount == 0 {
            return;
        }
        let b = self.bal_mut(h.account, h.asset);
        assert!(b.available >= h.amount, "hold of {} exceeds available {}", h.amount, b.available);
        b.available -= h.amount;
        b.locked = b.locked.checked_add(h.amount).expect("a balance never exceeds the asset's supply");
    }

    /// Held → player available. Precondition: the player holds at least that much.
    pub(crate) fn release(&mut self, r: Release) {
        if r.amount == 0 {
            return;
        }
        let b = self.bal_mut(r.account, r.asset);
        assert!(b.locked >= r.amount, "release of {} exceeds the hold of {}", r.amount, b.locked);
        b.locked -= r.amount;
        b.available = b.available.checked_add(r.amount).expect("a balance never exceeds the asset's supply");
    }

    /// Move one fill's value out of the two holds (see [`Fill`]).
    pub(crate) fn settle_fill(&mut self, f: Fill) {
        debug_assert!(f.seller_fee <= f.notional, "a seller's fee comes out of its proceeds");
        let paid = f.notional.checked_add(f.buyer_fee).expect("the buyer's hold covered it");
        self.debit_locked(f.buyer, f.quote, paid);
        self.credit_available(f.buyer, f.base, f.items);
        self.debit_locked(f.seller, f.base, f.items);
        self.credit_available(f.seller, f.quote, f.notional - f.seller_fee);
        let fees = f.buyer_fee.checked_add(f.seller_fee).expect("fees are bounded by the supply");
        let sink = &mut self.assets[f.quote.at()].fee_sink;
        *sink = sink.checked_add(fees).expect("fees are bounded by the supply");
    }

    /// Player available → fee sink. Precondition: the caller checked `ensure_available`.
    pub(crate) fn charge(&mut self, fee: Fee) {
        if fee.amount == 0 {
            return;
        }
        self.debit_available(fee.account, fee.asset, fee.amount);
        let sink = &mut self.assets[fee.asset.at()].fee_sink;
        *sink = sink.checked_add(fee.amount).expect("fees are bounded by the supply");
    }

    // ---- bets ----

    /// Player available → bet escrow.
    pub(crate) fn escrow_bet(&mut self, a: AccountIx, s: AssetIx, amount: Minor) -> R<()> {
        self.ensure_available(a, s, amount)?;
        self.debit_available(a, s, amount);
        self.assets[s.at()].bet_escrow += u128::from(amount);
        Ok(())
    }

    /// Bet escrow → player available, with no settlement (cancel, lapse, better price).
    pub(crate) fn release_bet(&mut self, a: AccountIx, s: AssetIx, amount: Minor) {
        let asset = &mut self.assets[s.at()];
        assert!(asset.bet_escrow >= u128::from(amount), "bet escrow release exceeds the escrow");
        asset.bet_escrow -= u128::from(amount);
        self.credit_available(a, s, amount);
    }

    /// Settle a bet's `escrow`, paying `paid` to its owner (debt first): whatever differs
    /// from the escrow is the house's (exchange bets net to zero across a match).
    pub(crate) fn pay_bet(&mut self, a: AccountIx, s: AssetIx, escrow: Minor, paid: Minor) {
        let asset = &mut self.assets[s.at()];
        assert!(asset.bet_escrow >= u128::from(escrow), "bet settlement exceeds the escrow");
        asset.bet_escrow -= u128::from(escrow);
        asset.house += i128::from(paid) - i128::from(escrow);
        self.credit_repaying_debt(a, s, paid);
    }

    /// Undo [`Ledger::pay_bet`]: the escrow is back in place and `paid` is taken back from
    /// the owner as far as their available balance goes; the rest becomes a debt, repaid
    /// first from their next betting credit. Returns (taken back, owed).
    pub(crate) fn reverse_bet(&mut self, a: AccountIx, s: AssetIx, escrow: Minor, paid: Minor) -> (Minor, Minor) {
        let clawed = paid.min(self.available(a, s));
        let owed = paid - clawed;
        self.debit_available(a, s, clawed);
        if owed > 0 {
            let debt = self.debts.entry((a, s)).or_default();
            *debt = debt.checked_add(owed).expect("a debt is bounded by the payouts the bet room allowed");
        }
        let asset = &mut self.assets[s.at()];
        asset.debt += u128::from(owed);
        asset.house -= i128::from(paid) - i128::from(escrow);
        asset.bet_escrow += u128::from(escrow);
        (clawed, owed)
    }

    /// Whether the house can take on a bet whose worst case pays `net` more than it holds
    /// in escrow, on top of `open` (the worst-case net of every open fixed-odds bet in
    /// `s`): the most any player could then hold, [`MAX_SUPPLY`] + the house's net payouts
    /// + the debts + all of that, must fit in a `u64`. Refused with `OutOfRange`.
    pub(crate) fn check_bet_room(&self, s: AssetIx, open: u128, net: u64) -> R<()> {
        let x = &self.assets[s.at()];
        let paid_out = u128::try_from(x.house.max(0)).unwrap_or(u128::MAX);
        let worst = [paid_out, x.debt, open, u128::from(net)].into_iter().try_fold(u128::from(MAX_SUPPLY), u128::checked_add);
        match worst {
            Some(w) if w <= u128::from(u64::MAX) => Ok(()),
            _ => Err(RejectReason::OutOfRange),
        }
    }

    /// Credit a betting return, repaying any debt of that (account, asset) first.
    fn credit_repaying_debt(&mut self, a: AccountIx, s: AssetIx, amount: Minor) {
        let mut amount = amount;
        if let Some(debt) = self.debts.get_mut(&(a, s)) {
            let repaid = amount.min(*debt);
            *debt -= repaid;
            amount -= repaid;
            self.assets[s.at()].debt -= u128::from(repaid);
            if *debt == 0 {
                self.debts.remove(&(a, s));
            }
        }
        self.credit_available(a, s, amount);
    }

    /// Whether the ledger's own books balance: per asset, the conservation identity of the
    /// module doc, and the per-account debts summing to each asset's debt account.
    pub(crate) fn check_conservation(&self) -> Result<(), String> {
        let mut held = vec![0u128; self.assets.len()];
        for acc in &self.accounts {
            for (s, b) in acc.balances.iter().enumerate() {
                held[s] += u128::from(b.available) + u128::from(b.locked);
            }
        }
        let mut debts = vec![0u128; self.assets.len()];
        for (&(_, s), &d) in &self.debts {
            debts[s.at()] += u128::from(d);
        }
        for (s, x) in self.assets.iter().enumerate() {
            let signed = |v: u128| i128::try_from(v).map_err(|_| format!("asset {}: a total past i128", x.spec.id));
            let total = signed(held[s] + u128::from(x.fee_sink) + x.burned + x.bet_escrow)?;
            if total != signed(x.minted)? + x.house + signed(x.debt)? {
                return Err(format!(
                    "asset {} not conserved: players {} + fees {} + burned {} + bet escrow {} != minted {} + house {} + debt {}",
                    x.spec.id, held[s], x.fee_sink, x.burned, x.bet_escrow, x.minted, x.house, x.debt
                ));
            }
            if debts[s] != x.debt {
                return Err(format!("asset {}: debts of accounts sum to {} but the debt account says {}", x.spec.id, debts[s], x.debt));
            }
        }
        Ok(())
    }

    /// Rebuild from a snapshot's tables (in index order).
    pub(crate) fn restore(assets: Vec<Asset>, accounts: Vec<Account>, debts: BTreeMap<(AccountIx, AssetIx), Minor>) -> Ledger {
        let mut ledger = Ledger::with_capacity(64);
        for (s, asset) in assets.iter().enumerate() {
            ledger.asset_index.insert(asset.spec.id.0, AssetIx::new(s));
        }
        for (a, account) in accounts.iter().enumerate() {
            ledger.account_index.insert(account.id.0, AccountIx::new(a));
        }
        ledger.assets = assets;
        ledger.accounts = accounts;
        ledger.debts = debts;
        ledger
    }
}

#[cfg(test)]
mod tests {
    //! The ledger with amounts near every limit (u64::MAX, `MAX_SUPPLY`, 18 decimals): a move
    //! is either refused with nothing changed or applied with the identity intact; nothing
    //! wraps and nothing panics when the callers check what the engine checks.
    use proptest::prelude::*;

    use super::*;
    use crate::market::AssetKind;

    #[derive(Clone, Debug)]
    enum Op {
        Mint(usize, u64),
        Burn(usize, u64),
        Hold(usize, u64),
        Release(usize, u64),
        Fee(usize, u64),
        /// Place a fixed-odds bet: stake, worst-case net on top of it.
        Bet(usize, u64, u64),
        /// Settle the open bet at this position, paying this share (‰) of its worst case.
        Settle(usize, u16),
        /// Re-settle a settled bet as lost.
        Reverse(usize),
    }

    fn amount() -> impl Strategy<Value = u64> {
        prop_oneof![0..1_000u64, (MAX_SUPPLY - 1_000)..=MAX_SUPPLY, (u64::MAX - 1_000)..=u64::MAX, any::<u64>(), Just(10u64.pow(18) / 3),]
    }

    fn op() -> impl Strategy<Value = Op> {
        let who = 0..3usize;
        prop_oneof![
            (who.clone(), amount()).prop_map(|(a, x)| Op::Mint(a, x)),
            (who.clone(), amount()).prop_map(|(a, x)| Op::Burn(a, x)),
            (who.clone(), amount()).prop_map(|(a, x)| Op::Hold(a, x)),
            (who.clone(), amount()).prop_map(|(a, x)| Op::Release(a, x)),
            (who.clone(), amount()).prop_map(|(a, x)| Op::Fee(a, x)),
            (who, amount(), amount()).prop_map(|(a, x, n)| Op::Bet(a, x, n)),
            (0..8usize, 0..=1_000u16).prop_map(|(i, p)| Op::Settle(i, p)),
            (0..8usize).prop_map(Op::Reverse),
        ]
    }

    /// (account, stake, most it pays, paid: None while open)
    type Bet = (AccountIx, u64, u64, Option<u64>);

    fn step(l: &mut Ledger, bets: &mut Vec<Bet>, s: AssetIx, op: &Op) {
        let ix = AccountIx::new;
        let open = |bets: &Vec<Bet>| bets.iter().filter(|b| b.3.is_none()).map(|b| u128::from(b.2 - b.1)).sum::<u128>();
        match *op {
            Op::Mint(a, x) => {
                let supply = l.supply(s);
                let r = l.mint(ix(a), s, x);
                assert_eq!(r.is_ok(), x > 0 && supply + i128::from(x) <= i128::from(MAX_SUPPLY), "{r:?}");
            }
            Op::Burn(a, x) => {
                let _ = l.burn(ix(a), s, x);
            }
            Op::Hold(a, x) => {
                if l.ensure_available(ix(a), s, x).is_ok() {
                    l.hold(Hold { account: ix(a), asset: s, amount: x });
                }
            }
            Op::Release(a, x) => {
                let x = x.min(l.balance(ix(a), s).locked);
                l.release(Release { account: ix(a), asset: s, amount: x });
            }
            Op::Fee(a, x) => {
                if l.ensure_available(ix(a), s, x).is_ok() {
                    l.charge(Fee { account: ix(a), asset: s, amount: x });
                }
            }
            Op::Bet(a, stake, net) => {
                let Some(most) = stake.checked_add(net) else { return };
                if l.check_bet_room(s, open(bets), net).is_ok() && l.escrow_bet(ix(a), s, stake).is_ok() {
                    bets.push((ix(a), stake, most, None));
                }
            }
            Op::Settle(i, share) => {
                if let Some(b) = bets.iter_mut().filter(|b| b.3.is_none()).nth(i) {
                    let paid = u64::try_from(u128::from(b.2) * u128::from(share) / 1_000).unwrap();
                    l.pay_bet(b.0, s, b.1, paid);
                    b.3 = Some(paid);
                }
            }
            Op::Reverse(i) => {
                if let Some(b) = bets.iter_mut().filter(|b| b.3.is_some()).nth(i) {
                    l.reverse_bet(b.0, s, b.1, b.3.unwrap());
                    // Re-settled as lost: the escrow goes to the house.
                    l.pay_bet(b.0, s, b.1, 0);
                    b.3 = Some(0);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn nothing_wraps_and_value_is_conserved_near_the_limits(ops in proptest::collection::vec(op(), 1..60), decimals in 0u8..=18) {
            let mut l = Ledger::with_capacity(8);
            let s = l.create_asset(AssetSpec { id: AssetId(1), symbol: "X".into(), decimals, kind: AssetKind::Currency });
            for a in 1..=3 {
                l.open_account(AccountId(a));
            }
            let mut bets = Vec::new();
            for op in &ops {
                l.begin_command();
                step(&mut l, &mut bets, s, op);
                l.drain_touched(|_, _, _, _| {});
                prop_assert!(l.check_conservation().is_ok(), "{:?} after {op:?}", l.check_conservation());
                prop_assert!(l.supply(s) <= i128::from(MAX_SUPPLY));
                let held: u128 = l.accounts().iter().flat_map(|acc| acc.balances.iter()).map(|b| u128::from(b.available) + u128::from(b.locked)).sum();
                prop_assert!(held <= u128::from(u64::MAX), "players hold {held}");
            }
        }
    }
}
