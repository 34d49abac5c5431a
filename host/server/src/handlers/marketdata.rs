//! Market data: candles, tickers, metrics, ranks (queries on the engine thread, where the
//! derived data lives) and players' alerts (journaled commands; the quota is checked where
//! the command is built, like the group quotas).

use std::sync::{Arc, Mutex};

use entrepot_core::{AccountId, Body, Engine, Outcome, RejectReason};
use entrepot_marketdata::MarketData;
use entrepot_protocol::*;

use super::betting::map_outcome;
use super::{built, Pending};
use crate::errors::quota_exceeded;
use crate::marketdata as md;
use crate::state::Shared;

/// Answer from the engine thread with the market data.
async fn read(shared: &Shared, f: impl FnOnce(&Engine, &MarketData) -> Result<Response, ApiError> + Send + 'static) -> Pending {
    Pending::Ready(shared.sequencer.read_marketdata(f).await.and_then(|r| r))
}

pub async fn candles(shared: &Shared, market: u32, interval: Interval, start: Option<u64>, end: Option<u64>, limit: Option<u32>) -> Pending {
    read(shared, move |e, d| md::candles(e, d, market, interval, start, end, limit)).await
}

pub async fn tickers(shared: &Shared, market: Option<u32>) -> Pending {
    read(shared, move |e, d| md::tickers(e, d, market)).await
}

pub async fn metrics(shared: &Shared, after: Option<String>, limit: u32) -> Pending {
    read(shared, move |_, d| md::metrics(d, after, limit)).await
}

pub async fn history(shared: &Shared, metric: String, measure: Measure) -> Pending {
    read(shared, move |e, d| md::history(e, d, metric, measure)).await
}

pub async fn rank(shared: &Shared, measure: Measure, by: RankBy, offset: u32, limit: u32) -> Pending {
    read(shared, move |e, d| md::rank(e, d, measure, by, offset, limit)).await
}

pub async fn alerts(shared: &Shared, actor: AccountId) -> Pending {
    read(shared, move |e, d| Ok(md::alerts_of(e, d, actor))).await
}

/// The operator's view: every pending or firing alert.
pub async fn firing(shared: &Shared) -> Pending {
    read(shared, |e, d| Ok(md::active_alerts(e, d))).await
}

/// `AddAlert`: each field checked (a typed error naming it, nothing journaled) and the quota
/// (`max_alerts_per_account`), both where the command is built on the engine thread, in one
/// trip; then the journaled command.
pub async fn add_alert(shared: &Arc<Shared>, actor: AccountId, id: u64, def: AlertDef) -> Pending {
    let (max, sample_ms) = (shared.config.max_alerts_per_account, shared.config.marketdata_sample_ms);
    // Why the build refused, for the answer (the engine only sees a refusal).
    let refused: Arc<Mutex<Option<ApiError>>> = Arc::default();
    let slot = refused.clone();
    let build = Box::new(move |e: &Engine| {
        let refuse = |err: ApiError| {
            *slot.lock().expect("not poisoned") = Some(err);
            Err(RejectReason::OutOfRange)
        };
        let spec = match md::alert_in(e, sample_ms, &def) {
            Ok(spec) => spec,
            Err(err) => return refuse(err),
        };
        if usize::try_from(max).is_ok_and(|max| e.alerts().count_of(actor) >= max) {
            return refuse(quota_exceeded("price alerts", max));
        }
        Ok(Body::CreateAlert(spec))
    });
    let pending = built(shared, actor, id, build).await;
    map_outcome(pending, move |r| match refused.lock().expect("not poisoned").take() {
        Some(err) => Err(err),
        None => r,
    })
}

/// `RemoveAlert`: the engine refuses an alert that is not the actor's (`UnknownAlert`);
/// the answer is `NotFound` (`reason` `"alert"`), the same for another player's alert and
/// an unknown one, so alert ids cannot be probed.
pub async fn remove_alert(shared: &Shared, actor: AccountId, id: u64, alert: u64) -> Pending {
    let pending = super::command(shared, actor, id, Body::RemoveAlert { alert }).await;
    map_outcome(pending, |r| match r {
        Ok(Outcome::Rejected(RejectReason::UnknownAlert)) => {
            Err(ApiError { code: ErrorCode::NotFound, reason: "alert".into(), message: "no such alert".into(), retry_after_ms: None })
        }
        other => other,
    })
}
