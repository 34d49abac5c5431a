//! The in-game inbox: a player's notifications (newest first) and marking them read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use entrepot_core::AccountId;
use entrepot_protocol::*;

use super::blocking;
use crate::errors::err;
use crate::inbox;
use crate::state::Shared;

pub async fn list(shared: &Shared, actor: AccountId, unread_only: bool, limit: u32) -> Result<Response, ApiError> {
    let store = shared.store.clone();
    blocking(move || inbox::list(&store, actor.0, unread_only, limit)).await.map(Response::Notifications)
}

/// Marks go to the journal's next batch transaction (one durable commit for every mark
/// and command queued together), not a write transaction of their own each.
pub async fn mark_read(shared: &Shared, actor: AccountId, ids: Option<Vec<u64>>) -> Result<Response, ApiError> {
    if ids.as_ref().is_some_and(|ids| ids.len() > inbox::MAX_LIST as usize) {
        return Err(err(ErrorCode::InvalidArgument, format!("at most {} ids per MarkNotificationsRead", inbox::MAX_LIST)));
    }
    let count = Arc::new(AtomicU64::new(0));
    let counted = count.clone();
    shared
        .sequencer
        .write(Box::new(move |tx| {
            counted.store(inbox::mark_read_in(tx, actor.0, ids.as_deref())?, Ordering::Relaxed);
            Ok(())
        }))
        .await?;
    Ok(Response::MarkedRead { count: count.load(Ordering::Relaxed) })
}
