//! Requests → pending responses. `route` is the dispatch table: the hello, the requests
//! anyone may send (sign-up, login, markets), then, once authorised, one handler per
//! request in the module of its domain. Handlers answer at once (`Pending::Ready`: queries
//! on the engine thread, subscriptions, store reads) or queue an engine command whose
//! durable outcome answers later (`Pending::Command`).

pub mod accounts;
pub mod admin;
pub mod betting;
pub mod marketdata;
pub mod notifications;
pub mod trading;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use entrepot_core::{AccountId, AssetId, Body, Engine, Outcome, RequestId};
use entrepot_protocol::*;
use rust_decimal::Decimal;
use tokio::sync::oneshot;

use crate::auth::Session;
use crate::errors::{err, internal, rejected, shutting_down};
use crate::sequencer::Build;
use crate::session::{self, Conn};
use crate::state::Shared;
use crate::subscriptions;
use crate::{convert, queries};

/// A response in the making: ready now, or the durable outcome of a queued command.
pub enum Pending {
    Ready(Result<Response, ApiError>),
    Command(oneshot::Receiver<Result<Outcome, ApiError>>),
}

/// Turn one request into a pending response.
pub async fn route(shared: &Arc<Shared>, conn: &Arc<Conn>, id: u64, request: Request) -> Pending {
    if shared.shutting_down.load(Ordering::Relaxed) {
        return Pending::Ready(Err(shutting_down()));
    }
    if let Err(e) = session::limited(conn.limiter.check()) {
        return Pending::Ready(Err(e));
    }
    if !conn.said_hello() {
        return Pending::Ready(session::hello(shared, conn, request));
    }
    let ready = Pending::Ready;
    match request {
        Request::Hello(_) => ready(Err(err(ErrorCode::InvalidArgument, "hello was already received"))),
        Request::Signup { email, password } => ready(accounts::signup(shared, conn, email, password).await),
        Request::ConfirmEmail { email, token } => ready(accounts::confirm(shared, email, token).await),
        Request::Login { email, password } => ready(accounts::login(shared, conn, email, password).await),
        Request::Resume { session } => ready(accounts::resume(shared, conn, session)),
        Request::RequestPasswordReset { email } => ready(accounts::request_reset(shared, conn, email).await),
        Request::ResetPassword { email, token, new_password } => ready(accounts::reset_password(shared, conn, email, token, new_password).await),
        Request::Markets => trading::markets(shared).await,
        Request::Assets => query(shared, queries::assets).await,
        Request::MarketPolicies => query(shared, queries::market_policies).await,
        Request::Page { list, after, limit } if list_is_public(&list) => query(shared, move |e| page(e, AccountId(0), &list, after, limit)).await,
        request => match session::authorised(shared, conn) {
            Err(e) => ready(Err(e)),
            Ok(session) => signed_in(shared, conn, session, id, request).await,
        },
    }
}

/// Requests that need a logged-in player (or admin).
async fn signed_in(shared: &Arc<Shared>, conn: &Arc<Conn>, session: Session, id: u64, request: Request) -> Pending {
    let actor = AccountId(session.account);
    // Reads of private groups: the operator may read every group, so its privacy checks
    // see the system actor (commands still run as the operator's own account).
    let reader = if session.admin { AccountId::ADMIN } else { actor };
    let ready = Pending::Ready;
    match request {
        // Trading.
        Request::Place(order) => trading::place(shared, actor, id, order).await,
        Request::Cancel { order } => trading::cancel(shared, actor, id, order).await,
        Request::Modify { order, price, quantity } => trading::modify(shared, actor, id, order, price, quantity).await,
        Request::CancelAll { market } => trading::cancel_all(shared, actor, id, market).await,
        Request::Balances => trading::balances(shared, actor).await,
        Request::OpenOrders => trading::open_orders(shared, actor).await,
        Request::Book { market, depth } => trading::book(shared, market, depth).await,
        // Push streams.
        Request::SubscribeAccount { from_cursor } => ready(subscriptions::account(shared, conn, session.account, from_cursor).await),
        Request::SubscribeMarket { market } => ready(subscriptions::market(shared, conn, market).await),
        Request::UnsubscribeMarket { market } => ready(subscriptions::unsubscribe_market(shared, conn, market)),
        Request::Subscribe(topic) => ready(subscriptions::topic(shared, conn, reader, topic).await),
        Request::Unsubscribe(topic) => ready(subscriptions::unsubscribe_topic(shared, conn, topic)),
        // The session.
        Request::Logout => ready(accounts::logout(shared, conn)),
        Request::RefreshSession => ready(accounts::refresh(shared, conn)),
        // Betting.
        Request::PlaceBet(p) => betting::place(shared, actor, id, p).await,
        Request::CancelBetOrder { bet } => betting::cancel_order(shared, actor, id, bet).await,
        Request::Bets { open_only, limit } => betting::bets(shared, actor, open_only, limit).await,
        Request::Profile => betting::profile(shared, actor).await,
        Request::Fixtures => betting::fixtures(shared).await,
        Request::Fixture { fixture } => betting::fixture(shared, fixture).await,
        Request::OddsWindows { selection } => betting::odds_windows(shared, selection).await,
        Request::Search { query, limit } => ready(Ok(betting::search(shared, &query, limit))),
        Request::Group(g @ (GroupRequest::Info { .. } | GroupRequest::Leaderboard { .. })) => betting::group(shared, reader, id, g).await,
        Request::Group(g) => betting::group(shared, actor, id, g).await,
        // Market data.
        Request::Candles { market, interval, start_ms, end_ms, limit } => marketdata::candles(shared, market, interval, start_ms, end_ms, limit).await,
        Request::Ticker { market } => marketdata::tickers(shared, market).await,
        Request::Metrics { after, limit } => marketdata::metrics(shared, after, limit).await,
        Request::MetricHistory { metric, measure } => marketdata::history(shared, metric, measure).await,
        Request::MetricRank { measure, by, offset, limit } => marketdata::rank(shared, measure, by, offset, limit).await,
        Request::AddAlert(def) => marketdata::add_alert(shared, actor, id, def).await,
        Request::Alerts => marketdata::alerts(shared, actor).await,
        Request::RemoveAlert { alert } => marketdata::remove_alert(shared, actor, id, alert).await,
        // The inbox.
        Request::Page { list: list @ (List::GroupMembers { .. } | List::Leaderboard { .. }), after, limit } => {
            query(shared, move |e| page(e, reader, &list, after, limit)).await
        }
        Request::Page { list, after, limit } => query(shared, move |e| page(e, actor, &list, after, limit)).await,
        Request::BalancesOf { assets } => trading::balances_of(shared, actor, assets).await,
        Request::Notifications { unread_only, limit } => ready(notifications::list(shared, actor, unread_only, limit).await),
        Request::MarkNotificationsRead { ids } => ready(notifications::mark_read(shared, actor, ids).await),
        // Operators.
        Request::Admin(_) if !session.admin => ready(Err(err(ErrorCode::Forbidden, "admin only"))),
        Request::Admin(admin) => admin::request(shared, actor, id, admin).await,
        Request::Hello(_)
        | Request::Signup { .. }
        | Request::ConfirmEmail { .. }
        | Request::Login { .. }
        | Request::Resume { .. }
        | Request::RequestPasswordReset { .. }
        | Request::ResetPassword { .. }
        | Request::Markets
        | Request::Assets
        | Request::MarketPolicies => {
            unreachable!("routed before authorisation")
        }
    }
}

/// The lists anyone who said `Hello` may page through (the unpaged requests need no
/// session either).
fn list_is_public(list: &List) -> bool {
    matches!(list, List::Markets | List::Fixtures | List::Assets | List::MarketPolicies)
}

/// One page of any list: the trading lists in `queries`, the betting ones in `betting`.
fn page(e: &Engine, actor: AccountId, list: &List, after: Option<u64>, limit: u32) -> Result<Response, ApiError> {
    queries::page(e, actor, list, after, limit)
        .or_else(|| crate::betting::page(e, actor, list, after, limit))
        .ok_or_else(|| err(ErrorCode::NotFound, "unknown group"))
}

/// Answer a query on the engine thread, between commands (so it sees every command this
/// stream sent before it).
async fn query(shared: &Shared, f: impl FnOnce(&Engine) -> Result<Response, ApiError> + Send + 'static) -> Pending {
    Pending::Ready(shared.sequencer.read(f).await.and_then(|r| r))
}

/// Queue a command as `actor` with the client's request id; it answers once durable.
async fn command(shared: &Shared, actor: AccountId, id: u64, body: Body) -> Pending {
    let (reply, rx) = oneshot::channel();
    match shared.sequencer.enqueue(entrepot_core::Command { actor, request: RequestId(id), body }, reply).await {
        Ok(()) => Pending::Command(rx),
        Err(e) => Pending::Ready(Err(e)),
    }
}

/// Like `command`, with the body built on the engine thread (decimals → ticks and lots
/// need the market's units); a refusal to build answers at once and changes nothing.
async fn built(shared: &Shared, actor: AccountId, id: u64, build: Build) -> Pending {
    let (reply, rx) = oneshot::channel();
    match shared.sequencer.enqueue_built(actor, RequestId(id), build, reply).await {
        Ok(()) => Pending::Command(rx),
        Err(e) => Pending::Ready(Err(e)),
    }
}

/// An amount of `asset` in its minor units (on the engine thread, which knows the decimals).
async fn amount_in(shared: &Shared, asset: u32, amount: Decimal) -> Result<u64, ApiError> {
    shared.sequencer.read(move |e| convert::amount_in(e, AssetId(asset), amount)).await?.map_err(rejected)
}

/// Run blocking work (redb) off the async threads (argon2: `accounts::hashing`).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}
