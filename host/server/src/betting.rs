//! Betting over the wire: requests become engine commands or queries, and the engine's
//! betting events become pushes (bets and profiles on the account stream, fixture and
//! leaderboard changes on topic streams). Exact decimals outside, integers inside.

use std::collections::{BTreeMap, BTreeSet};

use entrepot_core as core;
use entrepot_core::betting::{self as bet, BetEvent, BetView, GroupId, Odds, GROUP_ASSETS};
use entrepot_core::units::{from_minor_units, to_minor_units};
use entrepot_core::{AccountId, AssetId, Body, Engine, Event, RejectReason};
use entrepot_protocol as wire;
use rust_decimal::Decimal;

use crate::convert::{amount_out, Route};
use crate::queries::{cut, page_limit, page_of};

fn odds_in(d: Decimal) -> Result<Odds, RejectReason> {
    Odds::from_decimal(d).ok_or(RejectReason::OutOfRange)
}

fn sel_in(s: wire::SelectionRef) -> bet::SelectionRef {
    bet::SelectionRef { fixture: bet::FixtureId(s.fixture), market: s.market, selection: s.selection }
}

fn sel_out(s: bet::SelectionRef) -> wire::SelectionRef {
    wire::SelectionRef { fixture: s.fixture.0, market: s.market, selection: s.selection }
}

fn side_in(s: wire::BackLay) -> bet::BackLay {
    match s {
        wire::BackLay::Back => bet::BackLay::Back,
        wire::BackLay::Lay => bet::BackLay::Lay,
    }
}

fn side_out(s: bet::BackLay) -> wire::BackLay {
    match s {
        bet::BackLay::Back => wire::BackLay::Back,
        bet::BackLay::Lay => wire::BackLay::Lay,
    }
}

pub fn status_in(s: wire::FixtureStatus) -> bet::FixtureStatus {
    use bet::FixtureStatus as C;
    use wire::FixtureStatus as W;
    match s {
        W::Scheduled => C::Scheduled,
        W::Open => C::Open,
        W::Suspended => C::Suspended,
        W::InPlay => C::InPlay,
        W::Closed => C::Closed,
        W::Settled => C::Settled,
        W::Cancelled => C::Cancelled,
        W::Void => C::Void,
    }
}

pub fn status_out(s: bet::FixtureStatus) -> wire::FixtureStatus {
    use bet::FixtureStatus as C;
    use wire::FixtureStatus as W;
    match s {
        C::Scheduled => W::Scheduled,
        C::Open => W::Open,
        C::Suspended => W::Suspended,
        C::InPlay => W::InPlay,
        C::Closed => W::Closed,
        C::Settled => W::Settled,
        C::Cancelled => W::Cancelled,
        C::Void => W::Void,
    }
}

fn role_in(r: wire::Role) -> bet::Role {
    match r {
        wire::Role::Owner => bet::Role::Owner,
        wire::Role::Admin => bet::Role::Admin,
        wire::Role::Member => bet::Role::Member,
    }
}

fn role_out(r: bet::Role) -> wire::Role {
    match r {
        bet::Role::Owner => wire::Role::Owner,
        bet::Role::Admin => wire::Role::Admin,
        bet::Role::Member => wire::Role::Member,
    }
}

/// Group cash has two decimals.
const GROUP_DECIMALS: u8 = 2;

fn group_asset(g: u32) -> AssetId {
    AssetId(GROUP_ASSETS + g)
}

/// The decimals of the currency a bet request pays in (`None`: unknown fixture or group).
pub fn wallet_decimals(e: &Engine, p: &wire::PlaceBet) -> Option<u8> {
    let first = match &p.kind {
        wire::BetKind::Single { selection, .. } | wire::BetKind::Exchange { selection, .. } => *selection,
        wire::BetKind::Parlay { legs } => legs.first()?.0,
    };
    let asset = match p.group {
        Some(g) => group_asset(g),
        None => e.fixture(bet::FixtureId(first.fixture))?.spec.currency,
    };
    Some(e.asset(asset)?.decimals)
}

/// A player's bet request → an engine command (stake in the wallet currency's units).
pub fn place_in(e: &Engine, p: &wire::PlaceBet) -> Result<Body, RejectReason> {
    let first = match &p.kind {
        wire::BetKind::Single { selection, .. } | wire::BetKind::Exchange { selection, .. } => *selection,
        wire::BetKind::Parlay { legs } => legs.first().map(|l| l.0).ok_or(RejectReason::ParlayLegs)?,
    };
    let asset = match p.group {
        Some(g) => group_asset(g),
        None => e.fixture(bet::FixtureId(first.fixture)).ok_or(RejectReason::UnknownFixture)?.spec.currency,
    };
    let decimals = e.asset(asset).ok_or(RejectReason::UnknownGroup)?.decimals;
    let stake = to_minor_units(p.stake, decimals)?;
    let leg = |s: wire::SelectionRef, odds: Decimal| Ok::<_, RejectReason>(bet::Leg { selection: sel_in(s), odds: odds_in(odds)? });
    let kind = match &p.kind {
        wire::BetKind::Single { selection, odds } => bet::BetKind::Single(leg(*selection, *odds)?),
        wire::BetKind::Parlay { legs } => bet::BetKind::Parlay(legs.iter().map(|(s, o)| leg(*s, *o)).collect::<Result<_, _>>()?),
        wire::BetKind::Exchange { selection, odds, side, persist } => {
            bet::BetKind::Exchange { leg: leg(*selection, *odds)?, side: side_in(*side), persist: *persist }
        }
    };
    let wallet = p.group.map_or(bet::Wallet::Main, |g| bet::Wallet::Group(GroupId(g)));
    Ok(Body::Bet(bet::BetCommand::Place(bet::BetRequest { wallet, stake, kind })))
}

/// An admin's or a fixtures file's definition → the engine's.
pub fn fixture_in(e: &Engine, d: &wire::FixtureDef) -> Result<bet::FixtureSpec, RejectReason> {
    let decimals = e.asset(AssetId(d.currency)).ok_or(RejectReason::InvalidFixture(core::InvalidFixture::Currency))?.decimals;
    let markets = d
        .markets
        .iter()
        .map(|m| {
            let selections = m
                .selections
                .iter()
                .map(|s| Ok(bet::SelectionSpec { name: s.name.clone(), line: s.line.clone(), odds: s.odds.map(odds_in).transpose()? }))
                .collect::<Result<_, RejectReason>>()?;
            let mode = if m.exchange { bet::BetMode::Exchange } else { bet::BetMode::Fixed { exposure_limit: to_minor_units(m.exposure_limit, decimals)? } };
            Ok(bet::BetMarketSpec { bet_type: m.bet_type.clone(), line: m.line.clone(), params: m.params.clone(), selections, mode, in_play: m.in_play })
        })
        .collect::<Result<_, RejectReason>>()?;
    Ok(bet::FixtureSpec {
        id: bet::FixtureId(d.fixture),
        name: d.name.clone(),
        participants: d.participants.clone(),
        currency: AssetId(d.currency),
        opens_at: d.opens_at,
        starts_at: d.starts_at,
        markets,
    })
}

fn fixture_def_out(e: &Engine, s: &bet::FixtureSpec) -> wire::FixtureDef {
    let decimals = e.asset(s.currency).map_or(0, |a| a.decimals);
    wire::FixtureDef {
        fixture: s.id.0,
        name: s.name.clone(),
        participants: s.participants.clone(),
        currency: s.currency.0,
        opens_at: s.opens_at,
        starts_at: s.starts_at,
        markets: s
            .markets
            .iter()
            .map(|m| wire::BetMarketDef {
                bet_type: m.bet_type.clone(),
                line: m.line.clone(),
                params: m.params.clone(),
                selections: m
                    .selections
                    .iter()
                    .map(|x| wire::SelectionDef { name: x.name.clone(), line: x.line.clone(), odds: x.odds.map(Odds::to_decimal) })
                    .collect(),
                exchange: m.mode == bet::BetMode::Exchange,
                exposure_limit: match m.mode {
                    bet::BetMode::Fixed { exposure_limit } => from_minor_units(exposure_limit, decimals),
                    bet::BetMode::Exchange => Decimal::ZERO,
                },
                in_play: m.in_play,
            })
            .collect(),
    }
}

pub fn fixture_info(e: &Engine, f: u64) -> Option<wire::FixtureInfo> {
    let v = e.fixture(bet::FixtureId(f))?;
    let currency = v.spec.currency;
    let mut ladders = Vec::new();
    for (m, market) in v.spec.markets.iter().enumerate() {
        if market.mode != bet::BetMode::Exchange {
            continue;
        }
        for s in 0..market.selections.len() {
            let sel = bet::SelectionRef { fixture: v.spec.id, market: m as u16, selection: s as u16 };
            let levels = |side| e.exchange_depth(sel, side).into_iter().map(|(o, stake)| (o.to_decimal(), amount_out(e, currency, stake))).collect();
            ladders.push(wire::LadderInfo { selection: sel_out(sel), backs: levels(bet::BackLay::Back), lays: levels(bet::BackLay::Lay) });
        }
    }
    Some(wire::FixtureInfo {
        def: fixture_def_out(e, &v.spec),
        status: status_out(v.status),
        scores: v.result.as_ref().map_or_else(Vec::new, |r| r.scores.iter().map(|s| (s.participant.clone(), s.score)).collect()),
        odds: v.odds.iter().map(|row| row.iter().map(|o| o.map(Odds::to_decimal)).collect()).collect(),
        ladders,
        bets: v.bets,
    })
}

pub fn fixtures(e: &Engine) -> Vec<wire::FixtureSummary> {
    e.fixtures().into_iter().map(|(id, name, status)| wire::FixtureSummary { fixture: id.0, name: name.into(), status: status_out(status) }).collect()
}

fn state_word(s: bet::BetState) -> String {
    match s {
        bet::BetState::Open => "open".into(),
        bet::BetState::Unmatched => "unmatched".into(),
        bet::BetState::Matched => "matched".into(),
        bet::BetState::Closed => "closed".into(),
        bet::BetState::Settled(o) => o.word().into(),
    }
}

pub fn bet_out(e: &Engine, v: &BetView) -> wire::BetInfo {
    let amount = |x| amount_out(e, v.asset, x);
    wire::BetInfo {
        bet: v.bet.0,
        asset: v.asset.0,
        group: match v.wallet {
            bet::Wallet::Group(g) => Some(g.0),
            bet::Wallet::Main => None,
        },
        stake: amount(v.stake),
        odds: v.odds.to_decimal(),
        legs: v.legs.iter().map(|s| sel_out(*s)).collect(),
        side: v.side.map(side_out),
        order: v.order.map(|o| o.0),
        unmatched: amount(v.unmatched),
        state: state_word(v.state),
        paid: amount(v.paid),
        placed_at: v.placed_at,
    }
}

/// The newest bets, at most `limit` (clamped to 1 ..= `PAGE_MAX`).
pub fn bets(e: &Engine, account: AccountId, open_only: bool, limit: u32) -> Vec<wire::BetInfo> {
    e.bets_of(account, open_only, page_limit(limit)).iter().map(|v| bet_out(e, v)).collect()
}

/// Held balances and open bets (at most `PAGE_MAX` each) and profit and loss: O(the
/// account's own balances and bets).
pub fn profile(e: &Engine, account: AccountId) -> wire::ProfileInfo {
    let balances = crate::queries::balances(e, account, None, wire::PAGE_MAX as usize);
    wire::ProfileInfo { account: account.0, balances, open_bets: bets(e, account, true, wire::PAGE_MAX), pnl: pnl(e, account) }
}

/// An account's betting profit and loss, per currency.
fn pnl(e: &Engine, account: AccountId) -> Vec<wire::PnlInfo> {
    e.betting_pnl(account)
        .into_iter()
        .map(|(asset, open, profit, owed)| wire::PnlInfo {
            asset: asset.0,
            open_stake: amount_out(e, asset, open),
            profit: {
                let decimals = e.asset(asset).map_or(0, |a| a.decimals);
                Decimal::from_i128_with_scale(profit, u32::from(decimals)).normalize()
            },
            owed: amount_out(e, asset, owed),
        })
        .collect()
}

pub fn windows(e: &Engine, sel: wire::SelectionRef) -> Vec<wire::OddsWindowInfo> {
    let (closed, open) = e.odds_windows(sel_in(sel));
    closed.iter().chain(open.iter()).map(|w| window_out(e, w)).collect()
}

fn window_out(e: &Engine, w: &bet::OddsWindow) -> wire::OddsWindowInfo {
    let currency = e.fixture(w.selection.fixture).map_or(AssetId(0), |f| f.spec.currency);
    wire::OddsWindowInfo {
        selection: sel_out(w.selection),
        start: w.start,
        end: w.end,
        average: w.average.to_decimal(),
        min: w.min.to_decimal(),
        max: w.max.to_decimal(),
        count: w.count,
        matched: amount_out(e, currency, w.matched),
    }
}

/// The standings as sent in answers and pushes: the first `PAGE_MAX` (`Page(Leaderboard)`
/// has the rest), so no group's size can make a frame too large.
fn standings_out(e: &Engine, g: u32, rows: &[bet::Standing]) -> Vec<wire::StandingInfo> {
    standings_from(e, g, rows, 0, wire::PAGE_MAX as usize)
}

/// Rows `skip ..` of standings (at most `limit`), ranked from `skip + 1`.
fn standings_from(e: &Engine, g: u32, rows: &[bet::Standing], skip: usize, limit: usize) -> Vec<wire::StandingInfo> {
    let cash = |x| amount_out(e, group_asset(g), x);
    rows.iter()
        .enumerate()
        .skip(skip)
        .take(limit)
        .map(|(i, s)| wire::StandingInfo {
            rank: i as u32 + 1,
            account: s.account.0,
            cash: cash(s.cash),
            open_stake: cash(s.open_stake),
            equity: cash(s.equity),
            roi_bps: s.roi_bps,
        })
        .collect()
}

pub fn leaderboard(e: &Engine, g: u32) -> Option<wire::Response> {
    let rows = e.standings(GroupId(g))?;
    let ended = e.group(GroupId(g)).is_some_and(|x| x.ended);
    Some(wire::Response::Leaderboard { group: g, standings: standings_out(e, g, &rows), ended })
}

pub fn group_info(e: &Engine, g: u32) -> Option<wire::GroupInfo> {
    let entrepot_core::betting::GroupView { spec, asset, members, ended } = e.group(GroupId(g))?;
    Some(wire::GroupInfo {
        def: wire::GroupDef {
            group: g,
            name: spec.name,
            starting_cash: from_minor_units(spec.starting_cash, GROUP_DECIMALS),
            starts_at: spec.starts_at,
            ends_at: spec.ends_at,
            open: spec.open,
        },
        asset: asset.0,
        ended,
        members: members_from(members, None, wire::PAGE_MAX as usize),
    })
}

/// Members by ascending account id after `after`, at most `limit`.
fn members_from(mut members: Vec<(AccountId, bet::Role)>, after: Option<u64>, limit: usize) -> Vec<(u64, wire::Role)> {
    members.sort_unstable_by_key(|(a, _)| *a);
    members.into_iter().filter(|(a, _)| after.is_none_or(|x| a.0 > x)).take(limit).map(|(a, r)| (a.0, role_out(r))).collect()
}

/// A page of one of the betting lists (`None`: not a betting list, or an unknown group).
/// Group lists answer only what `group_query` would show the actor of that group.
pub fn page(e: &Engine, actor: AccountId, list: &wire::List, after: Option<u64>, limit: u32) -> Option<wire::Response> {
    use wire::{List, PageItems};
    let n = page_limit(limit);
    let visible = |g: u32| group_query(e, actor, &wire::GroupRequest::Info { group: g }).is_some();
    let (items, next) = match list {
        List::Bets { open_only } => {
            let rows = e.bets_of_before(actor, *open_only, after.map(bet::BetId), n + 1);
            let (v, next) = cut(rows.iter().map(|v| bet_out(e, v)).collect(), n, |b: &wire::BetInfo| b.bet);
            (PageItems::Bets(v), next)
        }
        List::GroupMembers { group } => {
            if !visible(*group) {
                return None;
            }
            let members = e.group(GroupId(*group))?.members;
            let (v, next) = cut(members_from(members, after, n + 1), n, |m| m.0);
            (PageItems::GroupMembers(v), next)
        }
        List::Leaderboard { group } => {
            if !visible(*group) {
                return None;
            }
            let rows = e.standings(GroupId(*group))?;
            let skip = usize::try_from(after.unwrap_or(0)).unwrap_or(usize::MAX);
            let (v, next) = cut(standings_from(e, *group, &rows, skip, n + 1), n, |s| u64::from(s.rank));
            (PageItems::Leaderboard(v), next)
        }
        List::Groups => {
            let mut ids: Vec<u32> = e.groups_of(actor).into_iter().map(|g| g.0).filter(|g| after.is_none_or(|a| u64::from(*g) > a)).collect();
            ids.sort_unstable();
            ids.truncate(n + 1);
            let (v, next) = cut(ids.into_iter().filter_map(|g| group_info(e, g)).collect(), n, |g: &wire::GroupInfo| u64::from(g.def.group));
            (PageItems::Groups(v), next)
        }
        List::Fixtures => {
            let (v, next) = page_of(fixtures(e), after, n, |f| f.fixture);
            (PageItems::Fixtures(v), next)
        }
        _ => return None,
    };
    Some(wire::Response::Page { items, next })
}

/// A group request that changes state → an engine command (`None`: a query).
pub fn group_body(r: &wire::GroupRequest) -> Option<Result<Body, RejectReason>> {
    let g = |id: u32| GroupId(id);
    let command = match r {
        wire::GroupRequest::Create(d) => {
            let starting_cash = match to_minor_units(d.starting_cash, GROUP_DECIMALS) {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            bet::BetCommand::CreateGroup(bet::GroupSpec {
                id: g(d.group),
                name: d.name.clone(),
                starting_cash,
                starts_at: d.starts_at,
                ends_at: d.ends_at,
                open: d.open,
            })
        }
        wire::GroupRequest::Invite { group, account } => bet::BetCommand::Invite { group: g(*group), account: AccountId(*account) },
        wire::GroupRequest::Join { group } => bet::BetCommand::Join { group: g(*group) },
        wire::GroupRequest::Leave { group } => bet::BetCommand::Leave { group: g(*group) },
        wire::GroupRequest::SetRole { group, account, role } => {
            bet::BetCommand::SetRole { group: g(*group), account: AccountId(*account), role: role_in(*role) }
        }
        wire::GroupRequest::Info { .. } | wire::GroupRequest::Leaderboard { .. } | wire::GroupRequest::Mine => return None,
    };
    Some(Ok(Body::Bet(command)))
}

/// Whether `actor` may read group `g` (details, leaderboard, its topic): open groups are
/// public; an invitation-only group answers only its members, invitees and the operator.
/// A group the actor may not read answers as unknown, so its existence does not leak.
pub fn may_read_group(e: &Engine, g: u32, actor: AccountId) -> bool {
    e.may_read_group(GroupId(g), actor)
}

/// Answer a group query.
pub fn group_query(e: &Engine, actor: AccountId, r: &wire::GroupRequest) -> Option<wire::Response> {
    match r {
        wire::GroupRequest::Info { group } | wire::GroupRequest::Leaderboard { group } if !may_read_group(e, *group, actor) => None,
        wire::GroupRequest::Info { group } => group_info(e, *group).map(wire::Response::Group),
        wire::GroupRequest::Leaderboard { group } => leaderboard(e, *group),
        wire::GroupRequest::Mine => Some(wire::Response::Groups(e.groups_of(actor).into_iter().filter_map(|g| group_info(e, g.0)).collect())),
        _ => None,
    }
}

/// The result an admin reports → the engine's.
pub fn result_in(scores: &[(String, i64)], completed: bool) -> bet::EventResult {
    bet::EventResult { scores: scores.iter().map(|(p, s)| bet::ParticipantScore { participant: p.clone(), score: *s }).collect(), completed }
}

/// Pushes for one betting event. `seq` is the command's position (topic stream cursor).
pub fn pushes(e: &Engine, event: &BetEvent, seq: u64, out: &mut Vec<(Route, wire::PushEvent)>) {
    let bet_push = |id: bet::BetId, out: &mut Vec<(Route, wire::PushEvent)>| {
        if let Some(v) = e.bet(id) {
            out.push((Route::Account(v.account.0), wire::PushEvent::Bet(bet_out(e, &v))));
        }
    };
    match event {
        BetEvent::BetPlaced { bet, .. } | BetEvent::BetSettled { bet, .. } | BetEvent::BetReversed { bet, .. } => bet_push(*bet, out),
        BetEvent::BetMatched { bet, order, .. } => {
            bet_push(*bet, out);
            bet_push(*order, out);
        }
        BetEvent::OrderClosed { order, .. } => bet_push(*order, out),
        BetEvent::FixtureChanged { fixture, status } => {
            out.push((Route::Topic(wire::Topic::Fixture(fixture.0), seq), wire::PushEvent::FixtureChanged { fixture: fixture.0, status: status_out(*status) }));
        }
        BetEvent::OddsChanged { selection, odds } => out.push((
            Route::Topic(wire::Topic::Fixture(selection.fixture.0), seq),
            wire::PushEvent::OddsChanged { selection: sel_out(*selection), odds: odds.map(Odds::to_decimal) },
        )),
        BetEvent::OddsWindow(w) => out.push((Route::Topic(wire::Topic::Fixture(w.selection.fixture.0), seq), wire::PushEvent::OddsWindow(window_out(e, w)))),
        BetEvent::GroupEnded { group, standings } => out.push((
            Route::Topic(wire::Topic::Group(group.0), seq),
            wire::PushEvent::Leaderboard { group: group.0, standings: standings_out(e, group.0, standings), ended: true },
        )),
        BetEvent::FixtureCreated { .. }
        | BetEvent::GroupCreated { .. }
        | BetEvent::GroupInvited { .. }
        | BetEvent::GroupJoined { .. }
        | BetEvent::GroupLeft { .. }
        | BetEvent::GroupRole { .. } => {}
    }
}

/// After a command: for every player whose bets changed, their betting totals in the
/// currencies that changed (`BetTotals`, a delta: the changed bets themselves went out as
/// `Bet` pushes, balances as `Balance`), and a fresh leaderboard for every running group
/// whose members' cash or bets changed. Never the whole profile: a push's size must not
/// grow with the number of open bets (each push is also a row of the account event log).
pub fn summaries(e: &Engine, events: &[Event], seq: u64, out: &mut Vec<(Route, wire::PushEvent)>) {
    let mut players: BTreeMap<u64, BTreeSet<u32>> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let mut changed = |account: AccountId, asset: Option<AssetId>| {
        players.entry(account.0).or_default().extend(asset.map(|a| a.0));
    };
    let asset_of = |bet: bet::BetId| e.bet(bet).map(|v| v.asset);
    for ev in events {
        match ev {
            Event::Bet(BetEvent::BetPlaced { account, asset, .. } | BetEvent::BetSettled { account, asset, .. }) => {
                changed(*account, Some(*asset));
                if asset.0 >= GROUP_ASSETS {
                    groups.insert(asset.0 - GROUP_ASSETS);
                }
            }
            Event::Bet(BetEvent::BetMatched { account, bet, .. } | BetEvent::BetReversed { account, bet, .. }) => changed(*account, asset_of(*bet)),
            Event::Bet(BetEvent::OrderClosed { account, order, .. }) => changed(*account, asset_of(*order)),
            Event::Bet(BetEvent::GroupJoined { group, .. } | BetEvent::GroupLeft { group, .. }) => {
                groups.insert(group.0);
            }
            Event::Balance { asset, .. } if asset.0 >= GROUP_ASSETS => {
                groups.insert(asset.0 - GROUP_ASSETS);
            }
            _ => {}
        }
    }
    for (account, assets) in players {
        let pnl: Vec<wire::PnlInfo> = pnl(e, AccountId(account)).into_iter().filter(|p| assets.contains(&p.asset)).collect();
        if !pnl.is_empty() {
            out.push((Route::Account(account), wire::PushEvent::BetTotals { pnl }));
        }
    }
    for g in groups {
        if let Some(wire::Response::Leaderboard { group, standings, ended: false }) = leaderboard(e, g) {
            out.push((Route::Topic(wire::Topic::Group(group), seq), wire::PushEvent::Leaderboard { group, standings, ended: false }));
        }
    }
}

/// In-game notices for members of groups that ended in this command.
pub fn group_end_notices(e: &Engine, events: &[Event]) -> Vec<(u64, String, String)> {
    let mut out = Vec::new();
    for ev in events {
        if let Event::Bet(BetEvent::GroupEnded { group, standings }) = ev {
            let name = e.group(*group).map_or_else(|| format!("group {group}"), |g| g.spec.name);
            for (i, s) in standings.iter().enumerate() {
                let equity = amount_out(e, group_asset(group.0), s.equity);
                out.push((
                    s.account.0,
                    format!("{name} has ended"),
                    format!("Final standings are in: you finished #{} of {} with {equity} ({:+}% ROI).", i + 1, standings.len(), Decimal::new(s.roi_bps, 2)),
                ));
            }
        }
    }
    out
}
