//! The in-game inbox: a player's notifications (newest first) and marking them read.

use entrepot_core::AccountId;
use entrepot_protocol::*;

use super::blocking;
use crate::inbox;
use crate::state::Shared;

pub async fn list(shared: &Shared, actor: AccountId, unread_only: bool, limit: u32) -> Result<Response, ApiError> {
    let store = shared.store.clone();
    blocking(move || inbox::list(&store, actor.0, unread_only, limit)).await.map(Response::Notifications)
}

pub async fn mark_read(shared: &Shared, actor: AccountId, ids: Option<Vec<u64>>) -> Result<Response, ApiError> {
    let store = shared.store.clone();
    blocking(move || inbox::mark_read(&store, actor.0, ids.as_deref())).await.map(|count| Response::MarkedRead { count })
}
