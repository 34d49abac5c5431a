//! Operator requests: assets and markets, mint and burn, market status, plugins (load,
//! reload, unload, list, bind), fixtures (create, import, status, odds, result, void) and
//! account lookup. Authorisation (`session.admin`) is checked by the router.

use std::path::PathBuf;
use std::sync::Arc;

use entrepot_core::betting::{BetCommand, FixtureId, Odds, SelectionRef};
use entrepot_core::{self as core, AccountId, AssetId, Body, MarketId, Outcome, RejectReason};
use entrepot_plugins::Plugin;
use entrepot_protocol::*;
use tokio::sync::oneshot;

use super::{amount_in, built, command, Pending};
use crate::betting;
use crate::convert;
use crate::errors::{err, internal, rejected, shutting_down};
use crate::plugins::{self, PluginOp};
use crate::request_ids;
use crate::sequencer::Build;
use crate::state::Shared;

pub async fn request(shared: &Arc<Shared>, actor: AccountId, id: u64, request: AdminRequest) -> Pending {
    let ready = Pending::Ready;
    let body = match request {
        AdminRequest::CreateAsset { asset, symbol, decimals, item } => Body::CreateAsset(core::AssetSpec {
            id: AssetId(asset),
            symbol,
            decimals,
            kind: if item { core::AssetKind::Item } else { core::AssetKind::Currency },
        }),
        AdminRequest::CreateMarket(m) => create_market(m),
        AdminRequest::SetMarketStatus { market, status } => Body::SetMarketStatus { market: MarketId(market), status: convert::status_in(status) },
        AdminRequest::Mint { account, asset, amount } => match amount_in(shared, asset, amount).await {
            Ok(amount) => Body::Mint { account: AccountId(account), asset: AssetId(asset), amount },
            Err(e) => return ready(Err(e)),
        },
        AdminRequest::Burn { account, asset, amount } => match amount_in(shared, asset, amount).await {
            Ok(amount) => Body::Burn { account: AccountId(account), asset: AssetId(asset), amount },
            Err(e) => return ready(Err(e)),
        },
        AdminRequest::PluginLoad { manifest } => return ready(load_plugin(shared, manifest.into()).await),
        AdminRequest::PluginReload { name } => return ready(reload_plugin(shared, &name).await),
        AdminRequest::PluginUnload { name } => return ready(unload_plugin(shared, name).await),
        AdminRequest::PluginList => return ready(shared.sequencer.plugin(PluginOp::List).await.map(Response::Plugins)),
        AdminRequest::BindRules { market, plugin } => {
            let op = PluginOp::Bind { market: MarketId(market), name: plugin };
            return ready(shared.sequencer.plugin(op).await.map(|_| Response::Done));
        }
        AdminRequest::CreateFixture(def) => {
            return built(shared, actor, id, Box::new(move |e| Ok(Body::Bet(BetCommand::CreateFixture(betting::fixture_in(e, &def)?))))).await
        }
        AdminRequest::ImportFixtures { json } => return ready(import_fixtures(shared, actor, id, &json).await),
        AdminRequest::SetFixtureStatus { fixture, status } => {
            Body::Bet(BetCommand::SetFixtureStatus { fixture: FixtureId(fixture), status: betting::status_in(status) })
        }
        AdminRequest::SetOdds { selection, odds } => return built(shared, actor, id, set_odds(selection, odds)).await,
        AdminRequest::ReportResult { fixture, scores, completed } => {
            Body::Bet(BetCommand::ReportResult { fixture: FixtureId(fixture), result: betting::result_in(&scores, completed) })
        }
        AdminRequest::VoidFixture { fixture } => Body::Bet(BetCommand::VoidFixture { fixture: FixtureId(fixture) }),
        AdminRequest::FindAccount { email } => return ready(find_account(shared, &email)),
        AdminRequest::FiringAlerts => return super::marketdata::firing(shared).await,
    };
    command(shared, actor, id, body).await
}

fn create_market(m: MarketInfo) -> Body {
    Body::CreateMarket {
        spec: core::MarketSpec { id: MarketId(m.market), symbol: m.symbol, base: AssetId(m.base), quote: AssetId(m.quote), tick: m.tick, lot: m.lot },
        policy: core::MarketPolicy { maker_fee_bps: m.maker_fee_bps, taker_fee_bps: m.taker_fee_bps, ..Default::default() },
    }
}

fn set_odds(selection: entrepot_protocol::SelectionRef, odds: Option<rust_decimal::Decimal>) -> Build {
    Box::new(move |_| {
        let odds = odds.map(|o| Odds::from_decimal(o).ok_or(RejectReason::OutOfRange)).transpose()?;
        let selection = SelectionRef { fixture: FixtureId(selection.fixture), market: selection.market, selection: selection.selection };
        Ok(Body::Bet(BetCommand::SetOdds { selection, odds }))
    })
}

fn find_account(shared: &Shared, email: &str) -> Result<Response, ApiError> {
    match shared.auth.user(email)? {
        Some(u) => Ok(Response::Account { account: u.account }),
        None => Err(err(ErrorCode::NotFound, "no such account")),
    }
}

/// Load a manifest off the engine thread, then install it and bind its markets (the admin
/// `plugin load`, and every manifest of the plugins directory at start).
pub async fn load_and_install(shared: &Shared, manifest: PathBuf) -> Result<(Arc<Plugin>, Vec<PluginInfo>), ApiError> {
    let runtime = shared.runtime.clone();
    let path = manifest.clone();
    let plugin = tokio::task::spawn_blocking(move || plugins::load(&runtime, &path)).await.map_err(internal)??;
    let infos = shared.sequencer.plugin(PluginOp::Install { plugin: plugin.clone() }).await?;
    shared.plugin_paths.set(plugin.name(), manifest);
    Ok((plugin, infos))
}

/// A load or reload answers with the plugin it loaded.
async fn load_plugin(shared: &Shared, manifest: PathBuf) -> Result<Response, ApiError> {
    let (plugin, infos) = load_and_install(shared, manifest).await?;
    Ok(Response::Plugins(infos.into_iter().filter(|i| i.name == plugin.name()).collect()))
}

async fn reload_plugin(shared: &Shared, name: &str) -> Result<Response, ApiError> {
    let path = shared.plugin_paths.get(name).ok_or_else(|| plugins::not_loaded(name))?;
    load_plugin(shared, path).await
}

async fn unload_plugin(shared: &Shared, name: String) -> Result<Response, ApiError> {
    let result = shared.sequencer.plugin(PluginOp::Unload { name: name.clone() }).await;
    shared.plugin_paths.remove(&name);
    result.map(|_| Response::Done)
}

/// A fixtures file: every fixture is its own command, with a request id derived from the
/// import's (`request_ids::fixture_import`) so a re-sent import is idempotent; the first
/// refusal stops the import and is returned.
async fn import_fixtures(shared: &Shared, actor: AccountId, id: u64, json: &str) -> Result<Response, ApiError> {
    let defs: Vec<FixtureDef> = serde_json::from_str(json).map_err(|e| err(ErrorCode::InvalidArgument, format!("fixtures file: {e}")))?;
    if defs.len() > request_ids::MAX_IMPORT_FIXTURES {
        return Err(err(ErrorCode::InvalidArgument, format!("fixtures file: at most {} fixtures per import", request_ids::MAX_IMPORT_FIXTURES)));
    }
    for (i, def) in defs.iter().enumerate() {
        let request = request_ids::fixture_import(id, i).expect("fixture count checked");
        if let Outcome::Rejected(reason) = create_fixture(shared, actor, request, def.clone()).await? {
            let mut e = rejected(reason);
            e.message = format!("fixture {} ({}): {}", i + 1, def.name, e.message);
            return Err(e);
        }
    }
    Ok(Response::Imported { fixtures: defs.len() as u32 })
}

/// Create one fixture as `actor` with a server-issued request id; resolves once durable.
pub async fn create_fixture(shared: &Shared, actor: AccountId, request: entrepot_core::RequestId, def: FixtureDef) -> Result<Outcome, ApiError> {
    let build: Build = Box::new(move |e| Ok(Body::Bet(BetCommand::CreateFixture(betting::fixture_in(e, &def)?))));
    let (reply, rx) = oneshot::channel();
    shared.sequencer.enqueue_built(actor, request, build, reply).await?;
    rx.await.map_err(|_| shutting_down())?
}
