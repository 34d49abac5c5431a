//! Push streams: account, market and topic (fixture, group) subscriptions, all by one
//! pattern: register with the fanout first, then take the snapshot; anything committed in
//! between is in both, and the cursor drops the repeat, so each push arrives exactly once
//! and in order.
//!
//! **Bounded per connection.** A connection holds at most one account stream,
//! `max_market_subscriptions` market streams and `max_topic_subscriptions` topic streams
//! (`TooManySubscriptions` beyond). Subscribing again to a market or topic the connection
//! already follows answers a fresh snapshot and keeps the one stream. Each stream is owned
//! by one forwarding task holding a [`Subscription`] guard: when the stream ends for any
//! reason (unsubscribe, slow reader, connection closed, failed snapshot), the guard takes it
//! out of the fanout and out of the connection's list at once.
//!
//! **Account history in pages.** The account stream replays its stored history
//! [`PAGE`] rows per read transaction, each page written to the stream before the next is
//! read, so a replay holds one page in memory whatever the history's length. The live
//! queue is registered first and may fill during a long replay: the fanout then drops it,
//! and once the stream has sent the history and what the queue held, it ends (FIN); the
//! client resumes from its last processed cursor, nothing lost or repeated.

use std::sync::{Arc, Mutex};

use entrepot_protocol::*;
use redb::ReadableDatabase;
use tokio::sync::mpsc;

use crate::errors::{err, internal};
use crate::fanout::{Fanout, Item, Key};
use crate::queries::book;
use crate::session::Conn;
use crate::state::Shared;

/// Account events read per read transaction while replaying history.
pub const PAGE: usize = 256;

/// One connection's subscriptions: (what, fanout id).
#[derive(Default)]
pub struct Registry {
    entries: Vec<(Key, u64)>,
}

/// A live subscription: while it exists, it is in the fanout and in its connection's
/// registry; dropping it removes it from both.
struct Subscription {
    fanout: Arc<Fanout>,
    registry: Arc<Mutex<Registry>>,
    key: Key,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.registry.lock().expect("lock").entries.retain(|&e| e != (self.key, self.id));
        self.fanout.unsubscribe(self.key, self.id);
    }
}

/// The outcome of asking for a stream of `key` on a connection.
enum Admission {
    /// A new stream: its guard and its live receiver.
    New(Subscription, mpsc::Receiver<Item>),
    /// The connection already has this stream; it goes on.
    Existing,
}

fn same_kind(a: Key, b: Key) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

/// Admit a subscription of `key` under the connection's caps, registered with the fanout.
fn admit(shared: &Shared, conn: &Conn, key: Key) -> Result<Admission, ApiError> {
    let mut registry = conn.subscriptions.lock().expect("lock");
    let (cap, what) = match key {
        Key::Account(_) => (1, "account stream"),
        Key::Market(_) => (shared.config.max_market_subscriptions, "market streams"),
        Key::Topic(_) => (shared.config.max_topic_subscriptions, "topic streams"),
    };
    let held = registry.entries.iter().filter(|(k, _)| same_kind(*k, key)).count();
    if !matches!(key, Key::Account(_)) && registry.entries.iter().any(|(k, _)| *k == key) {
        return Ok(Admission::Existing);
    }
    if held >= cap as usize {
        return Err(err(ErrorCode::TooManySubscriptions, format!("this connection already has {held} {what} (limit {cap})")));
    }
    let (id, live) = shared.fanout.subscribe(key);
    registry.entries.push((key, id));
    Ok(Admission::New(Subscription { fanout: shared.fanout.clone(), registry: conn.subscriptions.clone(), key, id }, live))
}

/// Where an account stream's stored history lies: rows `(account, from+1 ..= last)`.
struct History {
    store: Arc<entrepot_store::Store>,
    account: u64,
    from: u64,
    last: u64,
}

/// Open the push stream and run it: the history (if any), then every live frame past
/// `cursor`, until the subscription ends, the client stops reading or the connection
/// closes. The guard leaves the fanout and the registry before the stream is finished, so a
/// client that sees the end can subscribe again at once.
fn forward(conn: &Conn, sub: Subscription, history: Option<History>, cursor: u64, live: mpsc::Receiver<Item>) {
    let connection = conn.connection.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = connection.closed() => {}
            _ = run_stream(&connection, sub, history, cursor, live) => {}
        }
    });
}

async fn run_stream(connection: &quinn::Connection, sub: Subscription, history: Option<History>, cursor: u64, mut live: mpsc::Receiver<Item>) {
    let Ok(mut stream) = connection.open_uni().await else { return };
    if let Some(history) = history {
        if replay(history, &mut stream).await.is_err() {
            return;
        }
    }
    while let Some((c, frame)) = live.recv().await {
        if c <= cursor {
            continue;
        }
        if stream.write_all(&frame).await.is_err() {
            return;
        }
    }
    drop(sub);
    let _ = stream.finish();
}

/// Write the stored history to the stream, one page per read transaction.
async fn replay(h: History, stream: &mut quinn::SendStream) -> Result<(), ()> {
    let mut next = h.from.saturating_add(1);
    while next <= h.last {
        let (store, account, from, last) = (h.store.clone(), h.account, h.from, h.last);
        let page = match tokio::task::spawn_blocking(move || page(&store, account, from, next, last)).await {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                tracing::warn!(account, error = %e, "account history replay failed; ending the stream");
                return Err(());
            }
            Err(_) => return Err(()),
        };
        let Some(&(end, _)) = page.last() else { break };
        for (_, frame) in page {
            stream.write_all(&frame).await.map_err(|_| ())?;
        }
        next = end.saturating_add(1);
    }
    Ok(())
}

/// Up to [`PAGE`] of an account's stored pushes with cursors in `next..=last` (the first page,
/// `next = from + 1`, starts with the `HistoryTruncated` marker if retention passed `from`).
fn page(store: &entrepot_store::Store, account: u64, from: u64, next: u64, last: u64) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let tx = store.db().begin_read().map_err(|e| e.to_string())?;
    let t = tx.open_table(entrepot_store::schema::ACCOUNT_EVENTS).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(PAGE + 1);
    // Retention may have deleted part of what was asked for: the first page says so first (publish.rs).
    if next == from.saturating_add(1) {
        out.extend(crate::publish::truncation(&t, account, from).map_err(|e| e.to_string())?);
    }
    for row in t.range((account, next)..=(account, last)).map_err(|e| e.to_string())?.take(PAGE) {
        let (k, v) = row.map_err(|e| e.to_string())?;
        out.push((k.value().1, v.value().to_vec()));
    }
    Ok(out)
}

/// The account's last stored cursor after `from` (`from` if there is none).
fn last_cursor(store: &entrepot_store::Store, account: u64, from: u64) -> Result<u64, String> {
    let tx = store.db().begin_read().map_err(|e| e.to_string())?;
    let t = match tx.open_table(entrepot_store::schema::ACCOUNT_EVENTS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(from),
        Err(e) => return Err(e.to_string()),
    };
    let last = t.range((account, from.saturating_add(1))..=(account, u64::MAX)).map_err(|e| e.to_string())?.next_back();
    match last {
        Some(row) => Ok(row.map_err(|e| e.to_string())?.0.value().1),
        None => Ok(from),
    }
}

/// The account stream from `from` (exclusive): the stored history up to the cursor it
/// answers, then live pushes. One per connection.
pub async fn account(shared: &Arc<Shared>, conn: &Conn, account: u64, from: u64) -> Result<Response, ApiError> {
    let Admission::New(sub, live) = admit(shared, conn, Key::Account(account))? else { unreachable!("an account stream is never shared") };
    let store = shared.store.clone();
    let cursor = tokio::task::spawn_blocking(move || last_cursor(&store, account, from)).await.map_err(internal)?.map_err(|e| err(ErrorCode::Internal, e))?;
    let history = History { store: shared.store.clone(), account, from, last: cursor };
    forward(conn, sub, Some(history), cursor, live);
    Ok(Response::Subscribed { cursor })
}

/// A market's book: the snapshot (taken on the engine thread), then level and trade
/// deltas with a later book sequence number. An unknown market leaves nothing behind.
pub async fn market(shared: &Arc<Shared>, conn: &Conn, market: u32) -> Result<Response, ApiError> {
    let admission = admit(shared, conn, Key::Market(market))?;
    let snapshot = shared.sequencer.read(move |e| book(e, market, 1000)).await??;
    let Response::Book(info) = &snapshot else { unreachable!("book returns a book") };
    if let Admission::New(sub, live) = admission {
        forward(conn, sub, None, info.seq, live);
    }
    Ok(snapshot)
}

fn unknown() -> ApiError {
    err(ErrorCode::NotFound, "unknown event or group")
}

/// A topic stream (a fixture, a group, a market's candles of one interval, one market's
/// or every market's ticker): its current state, then changes from later commands.
pub async fn topic(shared: &Arc<Shared>, conn: &Conn, actor: entrepot_core::AccountId, topic: Topic) -> Result<Response, ApiError> {
    let admission = admit(shared, conn, Key::Topic(topic))?;
    let (answer, cursor) = shared
        .sequencer
        .read_marketdata(move |e, d| {
            let answer = match topic {
                Topic::Fixture(f) => crate::betting::fixture_info(e, f).map(Response::Fixture).ok_or_else(unknown),
                Topic::Group(g) if !crate::betting::may_read_group(e, g, actor) => Err(unknown()),
                Topic::Group(g) => crate::betting::leaderboard(e, g).ok_or_else(unknown),
                Topic::Candles { market, interval } => crate::marketdata::candles(e, d, market, interval, None, None, None),
                Topic::Ticker(market) => crate::marketdata::tickers(e, d, market),
            };
            (answer, e.seq())
        })
        .await?;
    let answer = answer?;
    if let Admission::New(sub, live) = admission {
        forward(conn, sub, None, cursor, live);
    }
    Ok(answer)
}

/// End this connection's streams of `key` (its forwarding task then finishes the stream).
fn unsubscribe(shared: &Shared, conn: &Conn, key: Key) -> Result<Response, ApiError> {
    conn.subscriptions.lock().expect("lock").entries.retain(|&(k, id)| {
        if k == key {
            shared.fanout.unsubscribe(k, id);
        }
        k != key
    });
    Ok(Response::Done)
}

pub fn unsubscribe_market(shared: &Shared, conn: &Conn, market: u32) -> Result<Response, ApiError> {
    unsubscribe(shared, conn, Key::Market(market))
}

pub fn unsubscribe_topic(shared: &Shared, conn: &Conn, topic: Topic) -> Result<Response, ApiError> {
    unsubscribe(shared, conn, Key::Topic(topic))
}

/// A closed connection's subscriptions end at once, account stream included (their
/// forwarding tasks also stop on the close).
pub fn drop_all(shared: &Shared, conn: &Conn) {
    for (key, id) in std::mem::take(&mut conn.subscriptions.lock().expect("lock").entries) {
        shared.fanout.unsubscribe(key, id);
    }
}
