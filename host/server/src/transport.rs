//! QUIC transport: one task per connection accepting bidirectional streams, and per stream
//! a reader that decodes requests in order and a writer that answers in the same order. A
//! bad frame ends that connection with a typed error; nobody else notices.
//!
//! The reader turns each request into a pending response at once (engine commands are
//! queued to the sequencer then, so their order is the stream's order); the writer awaits
//! them one by one. Many requests can be in flight per stream, and a client can use many
//! streams.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entrepot_core::Outcome;
use entrepot_protocol::codec::{decode, payload_len, FrameError};
use entrepot_protocol::*;
use tokio::sync::mpsc;

use crate::errors::{err, rejected, shutting_down};
use crate::handlers::{self, Pending};
use crate::session::{close, Conn};
use crate::state::Shared;
use crate::subscriptions;

/// The open connections, in total and per IP address, for `max_connections` and
/// `max_connections_per_address`. A connection attempt takes a [`Slot`] before its
/// handshake (so a flood of attempts costs no crypto once the limits are reached), and the
/// slot is given back when it is dropped, on every way out of the connection's task.
#[derive(Default)]
pub struct Connections {
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: u32,
    per_address: HashMap<IpAddr, u32>,
}

/// One admitted connection's place in [`Connections`].
pub struct Slot {
    connections: Arc<Connections>,
    address: IpAddr,
}

impl Connections {
    /// A slot for a connection from `address`, or `None` when either limit is reached.
    pub fn admit(self: &Arc<Self>, address: IpAddr, max_total: u32, max_per_address: u32) -> Option<Slot> {
        let address = address.to_canonical();
        let mut counts = self.counts.lock().expect("lock");
        let from_address = counts.per_address.get(&address).copied().unwrap_or(0);
        if counts.total >= max_total || from_address >= max_per_address {
            return None;
        }
        counts.total += 1;
        counts.per_address.insert(address, from_address + 1);
        Some(Slot { connections: self.clone(), address })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.connections.counts.lock().expect("lock");
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_address.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// Accept a connection attempt if the connection limits allow it (then serve it in a task
/// of its own), or refuse it (QUIC `CONNECTION_REFUSED`, before any handshake work).
pub fn accept(shared: &Arc<Shared>, connections: &Arc<Connections>, incoming: quinn::Incoming) {
    let address = incoming.remote_address().ip();
    match connections.admit(address, shared.config.max_connections, shared.config.max_connections_per_address) {
        Some(slot) => {
            tokio::spawn(serve_connection(shared.clone(), incoming, slot));
        }
        None => {
            tracing::debug!(%address, "connection refused: connection limit reached");
            incoming.refuse();
        }
    }
}

/// Serve one connection until the peer goes away; then drop its subscriptions. The slot
/// is held until the end.
async fn serve_connection(shared: Arc<Shared>, incoming: quinn::Incoming, _slot: Slot) {
    let peer = incoming.remote_address();
    let connection = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "handshake failed");
            return;
        }
    };
    let conn = Arc::new(Conn::new(&shared, peer, connection.clone()));
    while let Ok((send, recv)) = connection.accept_bi().await {
        tokio::spawn(serve_stream(shared.clone(), conn.clone(), send, recv));
    }
    subscriptions::drop_all(&shared, &conn);
}

async fn serve_stream(shared: Arc<Shared>, conn: Arc<Conn>, send: quinn::SendStream, mut recv: quinn::RecvStream) {
    let (tx, rx) = mpsc::channel::<(u64, Pending)>(1024);
    let writer = tokio::spawn(write_responses(send, rx));
    loop {
        let frame = match read_frame(&mut recv).await {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                let code = if matches!(e, FrameError::TooLarge(_)) { ErrorCode::FrameTooLarge } else { ErrorCode::BadFrame };
                tracing::info!(peer = %conn.peer, error = %e, "closing connection after a bad frame");
                let _ = tx.send((0, Pending::Ready(Err(err(code, e.to_string()))))).await;
                drop(tx);
                let _ = writer.await;
                conn.connection.close(close::BAD_FRAME.into(), b"bad frame");
                return;
            }
        };
        let pending = handlers::route(&shared, &conn, frame.id, frame.request).await;
        if tx.send((frame.id, pending)).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// The next request frame; `None` when the stream ended (or broke mid-frame).
async fn read_frame(recv: &mut quinn::RecvStream) -> Option<Result<RequestFrame, FrameError>> {
    let mut header = [0u8; 4];
    recv.read_exact(&mut header).await.ok()?;
    Some(match payload_len(header) {
        Ok(len) => {
            let mut payload = vec![0u8; len];
            recv.read_exact(&mut payload).await.ok()?;
            decode::<RequestFrame>(&payload)
        }
        Err(e) => Err(e),
    })
}

/// Send each response once it is ready, in request order. This is the one place every
/// answer is encoded, so it is where the frame limit is kept: an answer whose payload
/// would exceed `MAX_FRAME` (which the client could not decode) is replaced by
/// `ReplyTooLarge`, and the client asks for a smaller page.
async fn write_responses(mut send: quinn::SendStream, mut rx: mpsc::Receiver<(u64, Pending)>) {
    let mut buf = Vec::new();
    while let Some((id, pending)) = rx.recv().await {
        let result = resolve(pending).await;
        buf.clear();
        entrepot_protocol::encode_into(&ResponseFrame { id, result }, &mut buf);
        if buf.len() - 4 > MAX_FRAME {
            tracing::warn!(id, bytes = buf.len() - 4, limit = MAX_FRAME, "reply too large for one frame; answered ReplyTooLarge");
            let too_large =
                err(ErrorCode::ReplyTooLarge, format!("the answer is {} bytes, above the {MAX_FRAME}-byte frame limit; ask for a smaller page", buf.len() - 4));
            buf.clear();
            entrepot_protocol::encode_into(&ResponseFrame { id, result: Err(too_large) }, &mut buf);
        }
        if send.write_all(&buf).await.is_err() {
            return;
        }
    }
    let _ = send.finish();
    // Wait until the peer has everything (or gave up), so a close that follows does
    // not discard the last response.
    let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
}

/// A pending response's answer: a queued command's durable outcome on the wire.
async fn resolve(pending: Pending) -> Result<Response, ApiError> {
    match pending {
        Pending::Ready(r) => r,
        Pending::Command(r) => match r.await {
            Ok(Ok(Outcome::Accepted { order })) => Ok(Response::Placed { order: order.0 }),
            Ok(Ok(Outcome::BetPlaced { bet })) => Ok(Response::BetPlaced { bet: bet.0 }),
            Ok(Ok(Outcome::AlertCreated { alert })) => Ok(Response::AlertAdded { alert }),
            Ok(Ok(Outcome::Done)) => Ok(Response::Done),
            Ok(Ok(Outcome::Rejected(reason))) => Err(rejected(reason)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(shutting_down()),
        },
    }
}
