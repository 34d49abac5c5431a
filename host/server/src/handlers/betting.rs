//! Betting requests: placing and cancelling bets, groups, and the betting queries
//! (bets, profile, fixtures, odds windows), plus type-ahead search over events and markets.
//! Wire ↔ engine conversion is `crate::betting`'s.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use entrepot_core::betting::{BetCommand, BetId};
use entrepot_core::units::from_minor_units;
use entrepot_core::{AccountId, Body, Engine, Outcome, RejectReason};
use entrepot_protocol::*;
use tokio::sync::oneshot;

use super::{built, query, Pending};
use crate::betting as wire;
use crate::errors::{err, exposure_refused, quota_exceeded};
use crate::state::Shared;

pub async fn place(shared: &Arc<Shared>, actor: AccountId, id: u64, bet: PlaceBet) -> Pending {
    // The wallet currency's decimals, read where the bet is built, to show an exposure
    // refusal in the currency's units rather than minor units.
    let decimals = Arc::new(AtomicU32::new(u32::MAX));
    let seen = decimals.clone();
    let pending = built(
        shared,
        actor,
        id,
        Box::new(move |e| {
            if let Some(d) = wire::wallet_decimals(e, &bet) {
                seen.store(u32::from(d), Ordering::Relaxed);
            }
            wire::place_in(e, &bet)
        }),
    )
    .await;
    map_outcome(pending, move |r| match (r, u8::try_from(decimals.load(Ordering::Relaxed))) {
        (Ok(Outcome::Rejected(RejectReason::ExposureLimit { max_stake })), Ok(d)) => Err(exposure_refused(from_minor_units(max_stake, d))),
        (r, _) => r,
    })
}

/// A queued command's answer, rewritten once it is known (the command itself is unchanged).
pub(super) fn map_outcome(pending: Pending, f: impl FnOnce(Result<Outcome, ApiError>) -> Result<Outcome, ApiError> + Send + 'static) -> Pending {
    match pending {
        Pending::Command(rx) => {
            let (tx, out) = oneshot::channel();
            tokio::spawn(async move {
                if let Ok(r) = rx.await {
                    let _ = tx.send(f(r));
                }
            });
            Pending::Command(out)
        }
        ready @ Pending::Ready(_) => ready,
    }
}

pub async fn cancel_order(shared: &Arc<Shared>, actor: AccountId, id: u64, bet: u64) -> Pending {
    built(shared, actor, id, Box::new(move |_| Ok(Body::Bet(BetCommand::CancelOrder { bet: BetId(bet) })))).await
}

pub async fn bets(shared: &Shared, actor: AccountId, open_only: bool, limit: u32) -> Pending {
    query(shared, move |e| Ok(Response::Bets(wire::bets(e, actor, open_only, limit)))).await
}

pub async fn profile(shared: &Shared, actor: AccountId) -> Pending {
    query(shared, move |e| Ok(Response::Profile(wire::profile(e, actor)))).await
}

pub async fn fixtures(shared: &Shared) -> Pending {
    query(shared, move |e| Ok(Response::Fixtures(wire::fixtures(e).into_iter().take(PAGE_MAX as usize).collect()))).await
}

pub async fn fixture(shared: &Shared, fixture: u64) -> Pending {
    query(shared, move |e| wire::fixture_info(e, fixture).map(Response::Fixture).ok_or_else(|| err(ErrorCode::NotFound, "unknown event"))).await
}

pub async fn odds_windows(shared: &Shared, selection: SelectionRef) -> Pending {
    query(shared, move |e| Ok(Response::OddsWindows(wire::windows(e, selection)))).await
}

pub fn search(shared: &Shared, text: &str, limit: u32) -> Response {
    Response::SearchResults(shared.search.search(text, limit))
}

/// A group request: a command (create, invite, join, leave, set role) or a query.
///
/// `Create` and `Join` are refused with `QuotaExceeded` when the player already owns
/// `max_groups_owned` or belongs to `max_groups_joined` groups that have not ended. The
/// count is read on the engine thread where the command is built, so two requests racing
/// cannot both pass, and a refused build is never journaled (replay needs no quota).
pub async fn group(shared: &Arc<Shared>, actor: AccountId, id: u64, request: GroupRequest) -> Pending {
    let quota = match request {
        GroupRequest::Create(_) => Some(("groups owned", shared.config.max_groups_owned, true)),
        GroupRequest::Join { .. } => Some(("groups joined", shared.config.max_groups_joined, false)),
        _ => None,
    };
    match (wire::group_body(&request), quota) {
        (Some(body), Some((what, max, owned))) => {
            let over = Arc::new(AtomicBool::new(false));
            let flag = over.clone();
            let build = Box::new(move |e: &Engine| {
                let (mine, joined) = e.active_groups(actor);
                let count = if owned { mine } else { joined };
                if usize::try_from(max).is_ok_and(|max| count >= max) {
                    flag.store(true, Ordering::Relaxed);
                    return Err(RejectReason::OutOfRange);
                }
                body
            });
            let pending = built(shared, actor, id, build).await;
            map_outcome(pending, move |r| if over.load(Ordering::Relaxed) { Err(quota_exceeded(what, max)) } else { r })
        }
        (Some(body), None) => built(shared, actor, id, Box::new(move |_| body)).await,
        (None, _) => query(shared, move |e| wire::group_query(e, actor, &request).ok_or_else(|| err(ErrorCode::NotFound, "unknown group"))).await,
    }
}
