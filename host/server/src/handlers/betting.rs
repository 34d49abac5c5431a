//! Betting requests: placing and cancelling bets, groups, and the betting queries
//! (bets, profile, fixtures, odds windows), plus type-ahead search over events and markets.
//! Wire ↔ engine conversion is `crate::betting`'s.

use std::sync::Arc;

use entrepot_core::betting::{BetCommand, BetId};
use entrepot_core::{AccountId, Body};
use entrepot_protocol::*;

use super::{built, query, Pending};
use crate::betting as wire;
use crate::errors::err;
use crate::state::Shared;

pub async fn place(shared: &Arc<Shared>, actor: AccountId, id: u64, bet: PlaceBet) -> Pending {
    built(shared, actor, id, Box::new(move |e| wire::place_in(e, &bet))).await
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
pub async fn group(shared: &Arc<Shared>, actor: AccountId, id: u64, request: GroupRequest) -> Pending {
    match wire::group_body(&request) {
        Some(body) => built(shared, actor, id, Box::new(move |_| body)).await,
        None => query(shared, move |e| wire::group_query(e, actor, &request).ok_or_else(|| err(ErrorCode::NotFound, "unknown group"))).await,
    }
}
