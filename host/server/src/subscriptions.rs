//! Push streams: account, market and topic (fixture, group) subscriptions, all by one
//! pattern (`snapshot_then_forward`): register with the fanout first, then take the
//! snapshot; anything committed in between is in both, and the cursor drops the repeat, so
//! each push arrives exactly once and in order.

use std::sync::Arc;

use entrepot_protocol::*;
use redb::ReadableDatabase;
use tokio::sync::mpsc;

use crate::errors::{err, internal};
use crate::fanout::Item;
use crate::queries::book;
use crate::session::Conn;
use crate::state::Shared;

/// What a subscriber gets before the live pushes: frames to send first (the account
/// stream's history), and the cursor the snapshot covers (live pushes at or below it are
/// already in it).
struct Snapshot {
    frames: Vec<(u64, Vec<u8>)>,
    cursor: u64,
}

/// Open a push stream to the client: the snapshot's frames, then every live frame past the
/// snapshot's cursor, until the subscriber is dropped or the client stops reading.
async fn snapshot_then_forward(conn: &Conn, snapshot: Snapshot, mut live: mpsc::Receiver<Item>) -> Result<(), ApiError> {
    let mut stream = conn.connection.open_uni().await.map_err(internal)?;
    tokio::spawn(async move {
        for (_, frame) in snapshot.frames {
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
        while let Some((cursor, frame)) = live.recv().await {
            if cursor <= snapshot.cursor {
                continue;
            }
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = stream.finish();
    });
    Ok(())
}

/// The account stream from `from` (exclusive): the stored history, then live pushes.
pub async fn account(shared: &Arc<Shared>, conn: &Conn, account: u64, from: u64) -> Result<Response, ApiError> {
    let live = shared.fanout.subscribe_account(account);
    let store = shared.store.clone();
    let frames = tokio::task::spawn_blocking(move || history(&store, account, from)).await.map_err(internal)?.map_err(|e| err(ErrorCode::Internal, e))?;
    let cursor = frames.last().map_or(from, |h| h.0);
    snapshot_then_forward(conn, Snapshot { frames, cursor }, live).await?;
    Ok(Response::Subscribed { cursor })
}

/// An account's stored pushes after `from`.
fn history(store: &entrepot_store::Store, account: u64, from: u64) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let tx = store.db().begin_read().map_err(|e| e.to_string())?;
    let t = tx.open_table(entrepot_store::schema::ACCOUNT_EVENTS).map_err(|e| e.to_string())?;
    // Retention may have deleted part of what was asked for: say so first (publish.rs).
    let mut out: Vec<(u64, Vec<u8>)> = crate::publish::truncation(&t, account, from).map_err(|e| e.to_string())?.into_iter().collect();
    for row in t.range((account, from.saturating_add(1))..=(account, u64::MAX)).map_err(|e| e.to_string())? {
        let (k, v) = row.map_err(|e| e.to_string())?;
        out.push((k.value().1, v.value().to_vec()));
    }
    Ok(out)
}

/// A market's book: the snapshot (taken on the engine thread), then level and trade
/// deltas with a later book sequence number.
pub async fn market(shared: &Arc<Shared>, conn: &Conn, market: u32) -> Result<Response, ApiError> {
    let (id, live) = shared.fanout.subscribe_market(market);
    let snapshot = shared.sequencer.read(move |e| book(e, market, 1000)).await??;
    let Response::Book(info) = &snapshot else { unreachable!("book returns a book") };
    let cursor = info.seq;
    conn.markets.lock().expect("lock").push((market, id));
    snapshot_then_forward(conn, Snapshot { frames: Vec::new(), cursor }, live).await?;
    Ok(snapshot)
}

/// A fixture's or a group's stream: its current state, then changes from later commands.
pub async fn topic(shared: &Arc<Shared>, conn: &Conn, actor: entrepot_core::AccountId, topic: Topic) -> Result<Response, ApiError> {
    let (id, live) = shared.fanout.subscribe_topic(topic);
    let (answer, cursor) = shared
        .sequencer
        .read(move |e| {
            let answer = match topic {
                Topic::Fixture(f) => crate::betting::fixture_info(e, f).map(Response::Fixture),
                Topic::Group(g) if !crate::betting::may_read_group(e, g, actor) => None,
                Topic::Group(g) => crate::betting::leaderboard(e, g),
            };
            (answer, e.seq())
        })
        .await?;
    let Some(answer) = answer else {
        shared.fanout.unsubscribe_topic(topic, id);
        return Err(err(ErrorCode::NotFound, "unknown event or group"));
    };
    conn.topics.lock().expect("lock").push((topic, id));
    snapshot_then_forward(conn, Snapshot { frames: Vec::new(), cursor }, live).await?;
    Ok(answer)
}

pub fn unsubscribe_market(shared: &Shared, conn: &Conn, market: u32) -> Result<Response, ApiError> {
    conn.markets.lock().expect("lock").retain(|&(m, sub)| {
        if m == market {
            shared.fanout.unsubscribe_market(m, sub);
        }
        m != market
    });
    Ok(Response::Done)
}

pub fn unsubscribe_topic(shared: &Shared, conn: &Conn, topic: Topic) -> Result<Response, ApiError> {
    conn.topics.lock().expect("lock").retain(|&(t, sub)| {
        if t == topic {
            shared.fanout.unsubscribe_topic(t, sub);
        }
        t != topic
    });
    Ok(Response::Done)
}

/// A closed connection's market and topic subscriptions end (account streams end when
/// their receiver is dropped).
pub fn drop_all(shared: &Shared, conn: &Conn) {
    for (market, id) in std::mem::take(&mut *conn.markets.lock().expect("lock")) {
        shared.fanout.unsubscribe_market(market, id);
    }
    for (topic, id) in std::mem::take(&mut *conn.topics.lock().expect("lock")) {
        shared.fanout.unsubscribe_topic(topic, id);
    }
}
