//! One QUIC connection: the hello exchange, authentication, rate limits, request routing,
//! and the push streams. A bad frame ends that connection with a typed error; nobody
//! else notices.
//!
//! On each bidirectional stream a reader decodes requests in order and turns each into a
//! pending response (engine commands are queued to the sequencer at once, so their order
//! is the stream's order); a writer sends the responses back in the same order. Many
//! requests can be in flight per stream, and a client can use many streams.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use entrepot_core::{self as core, AccountId, AssetId, Body, Command, MarketId, OrderId, Outcome, RejectReason, RequestId};
use entrepot_protocol::codec::{decode, payload_len, FrameError};
use entrepot_protocol::*;
use governor::{clock::Clock, DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use redb::ReadableDatabase;
use rust_decimal::Decimal;
use tokio::sync::{mpsc, oneshot};

use crate::auth::{Auth, Session};
use crate::config::Config;
use crate::convert;
use crate::fanout::Fanout;
use crate::plugins::{self, PluginOp};
use crate::betting;
use entrepot_plugins::{AccountConfirmation, NotifyEvent, PasswordReset};
use crate::sequencer::{shutting_down, Sequencer};
use entrepot_core::betting::{BetCommand, BetId, FixtureId, Odds};

/// Application error codes used when the server closes a connection.
pub mod close {
    pub const BAD_FRAME: u32 = 1;
    pub const UNSUPPORTED_VERSION: u32 = 2;
    pub const SHUTDOWN: u32 = 3;
}

/// How long a connection trusts its cached session before asking the store again.
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

pub struct Shared {
    pub config: Config,
    pub auth: Arc<Auth>,
    pub runtime: entrepot_plugins::Runtime,
    pub plugin_paths: crate::plugins::Paths,
    pub sequencer: Sequencer,
    pub fanout: Arc<Fanout>,
    pub search: Arc<crate::search::Catalog>,
    pub store: Arc<entrepot_store::Store>,
    pub account_limiter: DefaultKeyedRateLimiter<u64>,
    pub shutting_down: AtomicBool,
    pub server_name: String,
}

struct Conn {
    peer: SocketAddr,
    connection: quinn::Connection,
    hello: AtomicBool,
    /// The session token and what it grants, and when the store last confirmed it.
    session: Mutex<Option<(String, Session, std::time::Instant)>>,
    limiter: DefaultDirectRateLimiter,
    /// Market subscriptions of this connection: (market, fanout id).
    markets: Mutex<Vec<(u32, u64)>>,
    /// Fixture and group subscriptions: (topic, fanout id).
    topics: Mutex<Vec<(Topic, u64)>>,
}

/// Requests/second → a quota allowing bursts of two seconds' worth.
pub fn quota(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).expect("positive");
    Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::new(2).expect("2")))
}

fn err(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

fn rejected(reason: RejectReason) -> ApiError {
    let name = format!("{reason:?}");
    let name = name.split([' ', '(', '{']).next().unwrap_or_default().to_string();
    ApiError { code: ErrorCode::Rejected, reason: name, message: reason.to_string(), retry_after_ms: None }
}

pub async fn serve_connection(shared: Arc<Shared>, incoming: quinn::Incoming) {
    let peer = incoming.remote_address();
    let connection = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "handshake failed");
            return;
        }
    };
    let conn = Arc::new(Conn {
        peer,
        connection: connection.clone(),
        hello: AtomicBool::new(false),
        session: Mutex::new(None),
        limiter: DefaultDirectRateLimiter::direct(quota(shared.config.rate_per_connection)),
        markets: Mutex::new(Vec::new()),
        topics: Mutex::new(Vec::new()),
    });
    while let Ok((send, recv)) = connection.accept_bi().await {
        tokio::spawn(serve_stream(shared.clone(), conn.clone(), send, recv));
    }
    let markets = std::mem::take(&mut *conn.markets.lock().expect("lock"));
    for (market, id) in markets {
        shared.fanout.unsubscribe_market(market, id);
    }
    for (topic, id) in std::mem::take(&mut *conn.topics.lock().expect("lock")) {
        shared.fanout.unsubscribe_topic(topic, id);
    }
}

/// A response in the making: ready now, or the durable outcome of a queued command.
enum Pending {
    Ready(Result<Response, ApiError>),
    Command(oneshot::Receiver<Result<Outcome, ApiError>>),
}

async fn serve_stream(shared: Arc<Shared>, conn: Arc<Conn>, mut send: quinn::SendStream, mut recv: quinn::RecvStream) {
    let (tx, mut rx) = mpsc::channel::<(u64, Pending)>(1024);
    let writer = tokio::spawn(async move {
        let mut buf = Vec::new();
        while let Some((id, pending)) = rx.recv().await {
            let result = match pending {
                Pending::Ready(r) => r,
                Pending::Command(r) => match r.await {
                    Ok(Ok(Outcome::Accepted { order })) => Ok(Response::Placed { order: order.0 }),
                    Ok(Ok(Outcome::BetPlaced { bet })) => Ok(Response::BetPlaced { bet: bet.0 }),
                    Ok(Ok(Outcome::Done)) => Ok(Response::Done),
                    Ok(Ok(Outcome::Rejected(reason))) => Err(rejected(reason)),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(shutting_down()),
                },
            };
            buf.clear();
            entrepot_protocol::encode_into(&ResponseFrame { id, result }, &mut buf);
            if send.write_all(&buf).await.is_err() {
                return;
            }
        }
        let _ = send.finish();
        // Wait until the peer has everything (or gave up), so a close that follows does
        // not discard the last response.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), send.stopped()).await;
    });
    loop {
        let mut header = [0u8; 4];
        match recv.read_exact(&mut header).await {
            Ok(()) => {}
            Err(quinn::ReadExactError::FinishedEarly(0)) => break,
            Err(_) => break,
        }
        let frame = match payload_len(header) {
            Ok(len) => {
                let mut payload = vec![0u8; len];
                if recv.read_exact(&mut payload).await.is_err() {
                    break;
                }
                decode::<RequestFrame>(&payload)
            }
            Err(e) => Err(e),
        };
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                let code = if matches!(e, FrameError::TooLarge(_)) { ErrorCode::FrameTooLarge } else { ErrorCode::BadFrame };
                tracing::info!(peer = %conn.peer, error = %e, "closing connection after a bad frame");
                let _ = tx.send((0, Pending::Ready(Err(err(code, e.to_string()))))).await;
                drop(tx);
                let _ = writer.await;
                conn.connection.close(close::BAD_FRAME.into(), b"bad frame");
                return;
            }
        };
        let pending = route(&shared, &conn, frame.id, frame.request).await;
        if tx.send((frame.id, pending)).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

fn limited(limiter_result: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>) -> Result<(), ApiError> {
    limiter_result.map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        let mut e = err(ErrorCode::RateLimited, "too many requests");
        e.retry_after_ms = Some(wait.as_millis().max(1) as u64);
        e
    })
}

/// Turn one request into a pending response.
async fn route(shared: &Arc<Shared>, conn: &Arc<Conn>, id: u64, request: Request) -> Pending {
    if shared.shutting_down.load(Ordering::Relaxed) {
        return Pending::Ready(Err(shutting_down()));
    }
    if let Err(e) = limited(conn.limiter.check()) {
        return Pending::Ready(Err(e));
    }
    if !conn.hello.load(Ordering::Acquire) {
        return Pending::Ready(hello(shared, conn, request));
    }
    match request {
        Request::Hello(_) => Pending::Ready(Err(err(ErrorCode::InvalidArgument, "hello was already received"))),
        Request::Signup { email, password } => Pending::Ready(signup(shared, email, password).await),
        Request::ConfirmEmail { email, token } => Pending::Ready(confirm(shared, email, token).await),
        Request::Login { email, password } => {
            let auth = shared.clone();
            let ip = conn.peer.ip();
            let allow = shared.config.allow_unconfirmed_login;
            let result = tokio::task::spawn_blocking(move || auth.auth.login(&email, &password, ip, allow))
                .await
                .unwrap_or_else(|e| Err(err(ErrorCode::Internal, e.to_string())));
            Pending::Ready(result.map(|(token, s)| start_session(conn, token, s)))
        }
        Request::Resume { session } => {
            Pending::Ready(shared.auth.session(&session).map(|s| start_session(conn, session, s)))
        }
        Request::RequestPasswordReset { email } => Pending::Ready(request_reset(shared, email).await),
        Request::ResetPassword { email, token, new_password } => {
            let auth = shared.clone();
            let result = tokio::task::spawn_blocking(move || auth.auth.reset(&email, &token, &new_password))
                .await
                .unwrap_or_else(|e| Err(err(ErrorCode::Internal, e.to_string())));
            Pending::Ready(result.map(|_| Response::PasswordReset))
        }
        Request::Markets => query(shared, markets).await,
        request => match authorised(shared, conn) {
            Err(e) => Pending::Ready(Err(e)),
            Ok(session) => account_request(shared, conn, session, id, request).await,
        },
    }
}

fn hello(shared: &Shared, conn: &Conn, request: Request) -> Result<Response, ApiError> {
    let Request::Hello(h) = request else {
        return Err(err(ErrorCode::HelloRequired, "the first request on a connection must be Hello"));
    };
    if h.magic != MAGIC || h.version != PROTOCOL_VERSION {
        let e = err(ErrorCode::UnsupportedVersion, format!("this server speaks protocol version {PROTOCOL_VERSION}"));
        let connection = conn.connection.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            connection.close(close::UNSUPPORTED_VERSION.into(), b"unsupported protocol version");
        });
        return Err(e);
    }
    conn.hello.store(true, Ordering::Release);
    Ok(Response::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        server: shared.server_name.clone(),
        capabilities: vec!["orders".into(), "market-data".into(), "account-stream".into(), "pipelining".into()],
        max_frame: MAX_FRAME as u32,
    }))
}

fn start_session(conn: &Conn, token: String, s: Session) -> Response {
    let response = Response::Session { token: token.clone(), account: s.account, admin: s.admin, expires_at_ms: s.expires_ms };
    *conn.session.lock().expect("lock") = Some((token, s, std::time::Instant::now()));
    response
}

fn authorised(shared: &Shared, conn: &Conn) -> Result<Session, ApiError> {
    let mut guard = conn.session.lock().expect("lock");
    let Some((token, session, checked)) = guard.as_mut() else {
        return Err(err(ErrorCode::NotAuthenticated, "log in first"));
    };
    // A logout or password reset elsewhere ends this session too: re-check it now and then.
    if checked.elapsed() > SESSION_RECHECK {
        match shared.auth.session(token) {
            Ok(fresh) => {
                *session = fresh;
                *checked = std::time::Instant::now();
            }
            Err(e) => {
                *guard = None;
                return Err(e);
            }
        }
    }
    let session = session.clone();
    drop(guard);
    if session.expires_ms <= crate::auth::now_ms() {
        return Err(err(ErrorCode::NotAuthenticated, "the session expired; log in again"));
    }
    limited(shared.account_limiter.check_key(&session.account))?;
    Ok(session)
}

async fn signup(shared: &Arc<Shared>, email: String, password: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let (user, mailed) = tokio::task::spawn_blocking(move || s.auth.signup(&email, &password, false))
        .await
        .map_err(|e| err(ErrorCode::Internal, e.to_string()))??;
    if let Some(m) = mailed {
        let event = NotifyEvent::AccountConfirmation(AccountConfirmation { account: m.account, email: m.email, token: m.token });
        plugins::word_token_mail(shared, event, m.mail).await;
    }
    open_account(shared, user.account).await?;
    Ok(Response::SignedUp { account: user.account })
}

/// Mail a reset token to a known address; the same answer either way (no enumeration).
async fn request_reset(shared: &Arc<Shared>, email: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let mailed = tokio::task::spawn_blocking(move || s.auth.request_reset(&email))
        .await
        .map_err(|e| err(ErrorCode::Internal, e.to_string()))??;
    if let Some(m) = mailed {
        let event = NotifyEvent::PasswordReset(PasswordReset { account: m.account, email: m.email, token: m.token });
        plugins::word_token_mail(shared, event, m.mail).await;
    }
    Ok(Response::ResetRequested)
}

/// Open the engine account for a user (idempotent: an existing account is fine).
pub async fn open_account(shared: &Shared, account: u64) -> Result<(), ApiError> {
    let request = crate::request_ids::open_account(account).ok_or_else(|| err(ErrorCode::Internal, format!("account id {account} out of range")))?;
    let cmd = Command { actor: AccountId::ADMIN, request, body: Body::OpenAccount { account: AccountId(account) } };
    match shared.sequencer.submit(cmd).await? {
        Outcome::Rejected(r) if r != RejectReason::AccountExists => Err(rejected(r)),
        _ => Ok(()),
    }
}

async fn confirm(shared: &Arc<Shared>, email: String, token: String) -> Result<Response, ApiError> {
    let user = shared.auth.confirm(&email, &token)?;
    open_account(shared, user.account).await?;
    // Starting cash, once per (account, asset): the request id names both (`request_ids`).
    for (asset, amount) in &shared.config.starting_cash {
        let asset = AssetId(*asset);
        let Ok(amount) = Decimal::from_str_exact(amount) else { continue };
        let Ok(units) = admin_amount(shared, asset.0, amount).await else { continue };
        let request = crate::request_ids::starting_cash(user.account, asset.0).ok_or_else(|| err(ErrorCode::Internal, format!("account id {} out of range for starting cash", user.account)))?;
        let cmd = Command { actor: AccountId::ADMIN, request, body: Body::Mint { account: AccountId(user.account), asset, amount: units } };
        shared.sequencer.submit(cmd).await?;
    }
    Ok(Response::Confirmed)
}


/// Answer a query on the engine thread, between commands (so it sees every command this
/// stream sent before it).
async fn query(shared: &Shared, f: impl FnOnce(&core::Engine) -> Result<Response, ApiError> + Send + 'static) -> Pending {
    Pending::Ready(shared.sequencer.read(f).await.and_then(|r| r))
}

fn markets(engine: &core::Engine) -> Result<Response, ApiError> {
    Ok(Response::Markets(
        engine
            .markets()
            .into_iter()
            .map(|(spec, policy, status)| MarketInfo {
                market: spec.id.0,
                symbol: spec.symbol.clone(),
                base: spec.base.0,
                quote: spec.quote.0,
                tick: spec.tick,
                lot: spec.lot,
                maker_fee_bps: policy.maker_fee_bps,
                taker_fee_bps: policy.taker_fee_bps,
                status: convert::status_out(status),
            })
            .collect(),
    ))
}

/// Requests that need a logged-in player (or admin).
async fn account_request(shared: &Arc<Shared>, conn: &Arc<Conn>, session: Session, id: u64, request: Request) -> Pending {
    let actor = AccountId(session.account);
    let build: crate::sequencer::Build = match request {
        Request::Place(order) => Box::new(move |e| Ok(Body::Place(convert::order_in(e, &order)?))),
        Request::Cancel { order } => Box::new(move |_| Ok(Body::Cancel { order: OrderId(order) })),
        Request::Modify { order, price, quantity } => Box::new(move |e| {
            let market = e.order(OrderId(order)).map(|o| o.market).ok_or(RejectReason::UnknownOrder)?;
            let units = e.market_units(market).ok_or(RejectReason::UnknownMarket)?;
            Ok(Body::Modify { order: OrderId(order), price: units.price_to_ticks(price)?, quantity: units.quantity_to_lots(quantity)? })
        }),
        Request::CancelAll { market } => Box::new(move |_| Ok(Body::CancelAll { market: market.map(MarketId) })),
        Request::Balances => {
            return query(shared, move |e| {
                let balances = e
                    .assets()
                    .into_iter()
                    .filter_map(|a| {
                        let (available, locked) = e.balance(actor, a.id)?;
                        Some(BalanceInfo {
                            asset: a.id.0,
                            symbol: a.symbol.clone(),
                            available: convert::amount_out(e, a.id, available),
                            locked: convert::amount_out(e, a.id, locked),
                        })
                    })
                    .collect();
                Ok(Response::Balances(balances))
            })
            .await;
        }
        Request::OpenOrders => {
            return query(shared, move |e| {
                let orders = e
                    .open_orders(actor)
                    .into_iter()
                    .map(|o| {
                        let u = e.market_units(o.market).expect("market of an order");
                        OrderInfo {
                            order: o.order.0,
                            market: o.market.0,
                            side: convert::side_out(o.side),
                            price: u.ticks_to_price(o.price),
                            quantity: u.lots_to_quantity(o.quantity),
                            filled: u.lots_to_quantity(o.filled),
                            tif: convert::tif_out(o.tif),
                        }
                    })
                    .collect();
                Ok(Response::OpenOrders(orders))
            })
            .await;
        }
        Request::Book { market, depth } => return query(shared, move |e| book(e, market, depth)).await,
        Request::SubscribeAccount { from_cursor } => {
            return Pending::Ready(subscribe_account(shared, conn, session.account, from_cursor).await);
        }
        Request::SubscribeMarket { market } => return Pending::Ready(subscribe_market(shared, conn, market).await),
        Request::UnsubscribeMarket { market } => {
            let mut subs = conn.markets.lock().expect("lock");
            subs.retain(|&(m, sub)| {
                if m == market {
                    shared.fanout.unsubscribe_market(m, sub);
                }
                m != market
            });
            return Pending::Ready(Ok(Response::Done));
        }
        Request::Logout => {
            let ended = conn.session.lock().expect("lock").take();
            let result = ended.map_or(Ok(()), |(token, _, _)| shared.auth.end_session(&token));
            return Pending::Ready(result.map(|_| Response::LoggedOut));
        }
        Request::RefreshSession => {
            let token = conn.session.lock().expect("lock").as_ref().map(|(t, _, _)| t.clone()).unwrap_or_default();
            return Pending::Ready(shared.auth.refresh(&token).map(|(token, s)| start_session(conn, token, s)));
        }
        Request::PlaceBet(p) => Box::new(move |e| betting::place_in(e, &p)),
        Request::CancelBetOrder { bet } => Box::new(move |_| Ok(Body::Bet(BetCommand::CancelOrder { bet: BetId(bet) }))),
        Request::Bets { open_only, limit } => return query(shared, move |e| Ok(Response::Bets(betting::bets(e, actor, open_only, limit)))).await,
        Request::Profile => return query(shared, move |e| Ok(Response::Profile(betting::profile(e, actor)))).await,
        Request::Fixtures => return query(shared, move |e| Ok(Response::Fixtures(betting::fixtures(e)))).await,
        Request::Fixture { fixture } => {
            return query(shared, move |e| betting::fixture_info(e, fixture).map(Response::Fixture).ok_or_else(|| err(ErrorCode::NotFound, "unknown event"))).await
        }
        Request::OddsWindows { selection } => return query(shared, move |e| Ok(Response::OddsWindows(betting::windows(e, selection)))).await,
        Request::Subscribe(topic) => return Pending::Ready(subscribe_topic(shared, conn, topic).await),
        Request::Unsubscribe(topic) => {
            let mut subs = conn.topics.lock().expect("lock");
            subs.retain(|&(t, sub)| {
                if t == topic {
                    shared.fanout.unsubscribe_topic(t, sub);
                }
                t != topic
            });
            return Pending::Ready(Ok(Response::Done));
        }
        Request::Search { query: text, limit } => return Pending::Ready(Ok(Response::SearchResults(shared.search.search(&text, limit)))),
        Request::Group(g) => match betting::group_body(&g) {
            Some(body) => Box::new(move |_| body),
            None => {
                return query(shared, move |e| betting::group_query(e, actor, &g).ok_or_else(|| err(ErrorCode::NotFound, "unknown group"))).await;
            }
        },
        Request::Notifications { unread_only, limit } => {
            let store = shared.store.clone();
            let listed = tokio::task::spawn_blocking(move || crate::inbox::list(&store, actor.0, unread_only, limit)).await;
            return Pending::Ready(listed.unwrap_or_else(|e| Err(err(ErrorCode::Internal, e.to_string()))).map(Response::Notifications));
        }
        Request::MarkNotificationsRead { ids } => {
            let store = shared.store.clone();
            let marked = tokio::task::spawn_blocking(move || crate::inbox::mark_read(&store, actor.0, ids.as_deref())).await;
            return Pending::Ready(marked.unwrap_or_else(|e| Err(err(ErrorCode::Internal, e.to_string()))).map(|count| Response::MarkedRead { count }));
        }
        Request::Admin(admin) => {
            if !session.admin {
                return Pending::Ready(Err(err(ErrorCode::Forbidden, "admin only")));
            }
            return admin_request(shared, actor, id, admin).await;
        }
        Request::Hello(_) | Request::Signup { .. } | Request::ConfirmEmail { .. } | Request::Login { .. } | Request::Resume { .. }
        | Request::RequestPasswordReset { .. } | Request::ResetPassword { .. } | Request::Markets => {
            unreachable!("routed before authorisation")
        }
    };
    let (reply, rx) = oneshot::channel();
    match shared.sequencer.enqueue_built(actor, RequestId(id), build, reply).await {
        Ok(()) => Pending::Command(rx),
        Err(e) => Pending::Ready(Err(e)),
    }
}

fn book(e: &core::Engine, market: u32, depth: u32) -> Result<Response, ApiError> {
    let id = MarketId(market);
    let units = e.market_units(id).ok_or_else(|| err(ErrorCode::NotFound, "unknown market"))?;
    let side = |s| {
        e.depth(id, s)
            .into_iter()
            .take(depth.clamp(1, 1000) as usize)
            .map(|(p, q)| (units.ticks_to_price(p), units.lots_to_quantity(q)))
            .collect()
    };
    Ok(Response::Book(BookInfo { market, bids: side(core::Side::Buy), asks: side(core::Side::Sell), seq: e.book_seq(id).unwrap_or(0) }))
}

async fn admin_request(shared: &Arc<Shared>, actor: AccountId, id: u64, request: AdminRequest) -> Pending {
    let command = |body| Command { actor, request: RequestId(id), body };
    let body = match request {
        AdminRequest::CreateAsset { asset, symbol, decimals, item } => Body::CreateAsset(core::AssetSpec {
            id: AssetId(asset),
            symbol,
            decimals,
            kind: if item { core::AssetKind::Item } else { core::AssetKind::Currency },
        }),
        AdminRequest::CreateMarket(m) => Body::CreateMarket {
            spec: core::MarketSpec { id: MarketId(m.market), symbol: m.symbol, base: AssetId(m.base), quote: AssetId(m.quote), tick: m.tick, lot: m.lot },
            policy: core::MarketPolicy { maker_fee_bps: m.maker_fee_bps, taker_fee_bps: m.taker_fee_bps, ..Default::default() },
        },
        AdminRequest::SetMarketStatus { market, status } => Body::SetMarketStatus { market: MarketId(market), status: convert::status_in(status) },
        AdminRequest::Mint { account, asset, amount } => match admin_amount(shared, asset, amount).await {
            Ok(amount) => Body::Mint { account: AccountId(account), asset: AssetId(asset), amount },
            Err(e) => return Pending::Ready(Err(e)),
        },
        AdminRequest::Burn { account, asset, amount } => match admin_amount(shared, asset, amount).await {
            Ok(amount) => Body::Burn { account: AccountId(account), asset: AssetId(asset), amount },
            Err(e) => return Pending::Ready(Err(e)),
        },
        AdminRequest::PluginLoad { manifest } => {
            return Pending::Ready(plugins::load_and_install(shared, manifest.into()).await.map(|(p, infos)| plugin_answer(infos, p.name())))
        }
        AdminRequest::PluginReload { name } => {
            let Some(path) = shared.plugin_paths.get(&name) else { return Pending::Ready(Err(plugins::not_loaded(&name))) };
            return Pending::Ready(plugins::load_and_install(shared, path).await.map(|(p, infos)| plugin_answer(infos, p.name())));
        }
        AdminRequest::PluginUnload { name } => {
            let result = shared.sequencer.plugin(PluginOp::Unload { name: name.clone() }).await;
            shared.plugin_paths.remove(&name);
            return Pending::Ready(result.map(|_| Response::Done));
        }
        AdminRequest::PluginList => return Pending::Ready(shared.sequencer.plugin(PluginOp::List).await.map(Response::Plugins)),
        AdminRequest::BindRules { market, plugin } => {
            let op = PluginOp::Bind { market: MarketId(market), name: plugin };
            return Pending::Ready(shared.sequencer.plugin(op).await.map(|_| Response::Done));
        }
        AdminRequest::CreateFixture(def) => {
            let build: crate::sequencer::Build = Box::new(move |e| Ok(Body::Bet(BetCommand::CreateFixture(betting::fixture_in(e, &def)?))));
            return enqueue_built(shared, actor, id, build).await;
        }
        AdminRequest::ImportFixtures { json } => return Pending::Ready(import_fixtures(shared, actor, id, &json).await),
        AdminRequest::SetFixtureStatus { fixture, status } => {
            Body::Bet(BetCommand::SetFixtureStatus { fixture: FixtureId(fixture), status: betting::status_in(status) })
        }
        AdminRequest::SetOdds { selection, odds } => {
            let build: crate::sequencer::Build = Box::new(move |_| {
                let odds = odds.map(|o| Odds::from_decimal(o).ok_or(RejectReason::OutOfRange)).transpose()?;
                let selection = entrepot_core::betting::SelectionRef { fixture: FixtureId(selection.fixture), market: selection.market, selection: selection.selection };
                Ok(Body::Bet(BetCommand::SetOdds { selection, odds }))
            });
            return enqueue_built(shared, actor, id, build).await;
        }
        AdminRequest::ReportResult { fixture, scores, completed } => {
            Body::Bet(BetCommand::ReportResult { fixture: FixtureId(fixture), result: betting::result_in(&scores, completed) })
        }
        AdminRequest::VoidFixture { fixture } => Body::Bet(BetCommand::VoidFixture { fixture: FixtureId(fixture) }),
        AdminRequest::FindAccount { email } => {
            return Pending::Ready(match shared.auth.user(&email) {
                Ok(Some(u)) => Ok(Response::Account { account: u.account }),
                Ok(None) => Err(err(ErrorCode::NotFound, "no such account")),
                Err(e) => Err(e),
            })
        }
    };
    let (reply, rx) = oneshot::channel();
    match shared.sequencer.enqueue(command(body), reply).await {
        Ok(()) => Pending::Command(rx),
        Err(e) => Pending::Ready(Err(e)),
    }
}

async fn enqueue_built(shared: &Arc<Shared>, actor: AccountId, id: u64, build: crate::sequencer::Build) -> Pending {
    let (reply, rx) = oneshot::channel();
    match shared.sequencer.enqueue_built(actor, RequestId(id), build, reply).await {
        Ok(()) => Pending::Command(rx),
        Err(e) => Pending::Ready(Err(e)),
    }
}

/// A fixtures file: every fixture is its own command, with a request id derived from the
/// import's (`request_ids::fixture_import`) so a re-sent import is idempotent; the first
/// refusal stops the import and is returned.
async fn import_fixtures(shared: &Arc<Shared>, actor: AccountId, id: u64, json: &str) -> Result<Response, ApiError> {
    let defs: Vec<entrepot_protocol::FixtureDef> =
        serde_json::from_str(json).map_err(|e| err(ErrorCode::InvalidArgument, format!("fixtures file: {e}")))?;
    if defs.len() > crate::request_ids::MAX_IMPORT_FIXTURES {
        return Err(err(ErrorCode::InvalidArgument, format!("fixtures file: at most {} fixtures per import", crate::request_ids::MAX_IMPORT_FIXTURES)));
    }
    for (i, def) in defs.iter().enumerate() {
        let def = def.clone();
        let name = def.name.clone();
        let build: crate::sequencer::Build = Box::new(move |e| Ok(Body::Bet(BetCommand::CreateFixture(betting::fixture_in(e, &def)?))));
        let (reply, rx) = oneshot::channel();
        let request = crate::request_ids::fixture_import(id, i).expect("fixture count checked");
        shared.sequencer.enqueue_built(actor, request, build, reply).await?;
        match rx.await.map_err(|_| shutting_down())?? {
            Outcome::Rejected(reason) => {
                let mut e = rejected(reason);
                e.message = format!("fixture {} ({name}): {}", i + 1, e.message);
                return Err(e);
            }
            _ => {}
        }
    }
    Ok(Response::Imported { fixtures: defs.len() as u32 })
}

async fn subscribe_topic(shared: &Arc<Shared>, conn: &Arc<Conn>, topic: Topic) -> Result<Response, ApiError> {
    let (id, mut live) = shared.fanout.subscribe_topic(topic);
    // Snapshot after subscribing, on the engine thread: pushes with a later sequence apply on top.
    let snapshot = shared
        .sequencer
        .read(move |e| {
            let answer = match topic {
                Topic::Fixture(f) => betting::fixture_info(e, f).map(Response::Fixture),
                Topic::Group(g) => betting::leaderboard(e, g),
            };
            (answer, e.seq())
        })
        .await?;
    let (Some(answer), since) = snapshot else {
        shared.fanout.unsubscribe_topic(topic, id);
        return Err(err(ErrorCode::NotFound, "unknown event or group"));
    };
    conn.topics.lock().expect("lock").push((topic, id));
    let mut stream = conn.connection.open_uni().await.map_err(|e| err(ErrorCode::Internal, e.to_string()))?;
    tokio::spawn(async move {
        while let Some((cursor, frame)) = live.recv().await {
            if cursor <= since {
                continue;
            }
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = stream.finish();
    });
    Ok(answer)
}

/// A load or reload answers with the plugin it loaded.
fn plugin_answer(infos: Vec<entrepot_protocol::PluginInfo>, name: &str) -> Response {
    Response::Plugins(infos.into_iter().filter(|i| i.name == name).collect())
}

async fn subscribe_account(shared: &Arc<Shared>, conn: &Arc<Conn>, account: u64, from: u64) -> Result<Response, ApiError> {
    // Register for live events first, then read the history: an event committed in between
    // shows up in both and is skipped by its cursor, so each arrives exactly once.
    let mut live = shared.fanout.subscribe_account(account);
    let history: Vec<(u64, Vec<u8>)> = {
        let store = shared.store.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<(u64, Vec<u8>)>, String> {
            let tx = store.db().begin_read().map_err(|e| e.to_string())?;
            let t = tx.open_table(entrepot_store::ACCOUNT_EVENTS).map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for row in t.range((account, from.saturating_add(1))..=(account, u64::MAX)).map_err(|e| e.to_string())? {
                let (k, v) = row.map_err(|e| e.to_string())?;
                out.push((k.value().1, v.value().to_vec()));
            }
            Ok(out)
        })
        .await
        .map_err(|e| err(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| err(ErrorCode::Internal, e))?
    };
    let mut stream = conn.connection.open_uni().await.map_err(|e| err(ErrorCode::Internal, e.to_string()))?;
    let last_history = history.last().map_or(from, |h| h.0);
    tokio::spawn(async move {
        let mut last = from;
        for (cursor, frame) in history {
            if stream.write_all(&frame).await.is_err() {
                return;
            }
            last = cursor;
        }
        while let Some((cursor, frame)) = live.recv().await {
            if cursor <= last {
                continue;
            }
            if stream.write_all(&frame).await.is_err() {
                return;
            }
            last = cursor;
        }
        let _ = stream.finish();
    });
    Ok(Response::Subscribed { cursor: last_history })
}

async fn subscribe_market(shared: &Arc<Shared>, conn: &Arc<Conn>, market: u32) -> Result<Response, ApiError> {
    let (id, mut live) = shared.fanout.subscribe_market(market);
    // The snapshot is taken on the engine thread after subscribing: deltas with a book
    // sequence number above the snapshot's apply on top of it.
    let snapshot = shared.sequencer.read(move |e| book(e, market, 1000)).await??;
    let Response::Book(info) = &snapshot else { unreachable!("book returns a book") };
    let since = info.seq;
    conn.markets.lock().expect("lock").push((market, id));
    let mut stream = conn.connection.open_uni().await.map_err(|e| err(ErrorCode::Internal, e.to_string()))?;
    tokio::spawn(async move {
        while let Some((cursor, frame)) = live.recv().await {
            if cursor <= since {
                continue;
            }
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = stream.finish();
    });
    Ok(snapshot)
}

async fn admin_amount(shared: &Shared, asset: u32, amount: Decimal) -> Result<u64, ApiError> {
    shared.sequencer.read(move |e| convert::amount_in(e, AssetId(asset), amount)).await?.map_err(rejected)
}
