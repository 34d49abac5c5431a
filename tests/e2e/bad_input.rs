//! Hostile and broken clients get a typed error or a clean close; everybody else keeps
//! trading.

mod common;

use std::time::Duration;

use common::*;
use entrepot_protocol::client::{endpoint, read_frame, write_frame};
use entrepot_protocol::*;

/// A bare QUIC connection with no hello.
async fn raw(server: &Server) -> quinn::Connection {
    let ep = endpoint(&server.fingerprint).unwrap();
    ep.connect(server.addr, "entrepot").unwrap().await.unwrap()
}

async fn send_bytes(conn: &quinn::Connection, bytes: &[u8]) -> Option<ResponseFrame> {
    let (mut send, mut recv) = conn.open_bi().await.ok()?;
    send.write_all(bytes).await.ok()?;
    let _ = send.finish();
    tokio::time::timeout(Duration::from_secs(5), read_frame::<ResponseFrame>(&mut recv)).await.ok()?.ok()?
}

async fn request(conn: &quinn::Connection, request: Request) -> Result<Response, ApiError> {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    write_frame(&mut send, &RequestFrame { id: 7, request }).await.unwrap();
    let _ = send.finish();
    read_frame::<ResponseFrame>(&mut recv).await.unwrap().expect("a response").result
}

fn code(r: Result<Response, ApiError>) -> ErrorCode {
    r.expect_err("an error").code
}

fn hello(version: u32) -> Request {
    Request::Hello(Hello { magic: MAGIC, version, client: "test".into() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_typed_errors_and_others_keep_trading() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let admin = server.admin().await;
    let (honest, honest_id) = server.player("honest@example.com").await;
    mint(&admin, honest_id, 2, "1000").await;
    let mut placed = 0;
    let mut trade = async || {
        honest.place(limit(1, Side::Sell, "9.99", "1")).await.expect("the honest player keeps trading");
        placed += 1;
    };
    trade().await;

    // A request before hello.
    let conn = raw(&server).await;
    assert_eq!(code(request(&conn, Request::Balances).await), ErrorCode::HelloRequired);
    // An unknown protocol version: typed error, then the connection is closed.
    assert_eq!(code(request(&conn, hello(99)).await), ErrorCode::UnsupportedVersion);
    let closed = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await.expect("closed after a bad version");
    assert!(matches!(closed, quinn::ConnectionError::ApplicationClosed(ref c) if c.error_code == 2u32.into()), "{closed:?}");
    trade().await;

    // Requests before login.
    let conn = raw(&server).await;
    assert!(request(&conn, hello(PROTOCOL_VERSION)).await.is_ok());
    assert_eq!(code(request(&conn, Request::Balances).await), ErrorCode::NotAuthenticated);
    assert_eq!(code(request(&conn, Request::Place(limit(1, Side::Buy, "1", "1"))).await), ErrorCode::NotAuthenticated);
    // Garbage after the handshake: a typed error, then the connection is closed.
    let reply = send_bytes(&conn, &[5, 0, 0, 0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb]).await.expect("an error frame");
    assert_eq!(reply.result.unwrap_err().code, ErrorCode::BadFrame);
    tokio::time::timeout(Duration::from_secs(5), conn.closed()).await.expect("closed after garbage");
    trade().await;

    // An oversized frame is refused from its length prefix alone.
    let conn = raw(&server).await;
    assert!(request(&conn, hello(PROTOCOL_VERSION)).await.is_ok());
    let reply = send_bytes(&conn, &(64u32 << 20).to_le_bytes()).await.expect("an error frame");
    assert_eq!(reply.result.unwrap_err().code, ErrorCode::FrameTooLarge);
    trade().await;

    // A truncated frame: the stream ends mid-frame; the server drops it quietly.
    let conn = raw(&server).await;
    assert!(request(&conn, hello(PROTOCOL_VERSION)).await.is_ok());
    assert!(send_bytes(&conn, &[100, 0, 0, 0, 1, 2, 3]).await.is_none());
    // ...and the same connection still works on a new stream.
    assert_eq!(code(request(&conn, Request::Balances).await), ErrorCode::NotAuthenticated);
    trade().await;

    // Trailing bytes after a valid message are malformed too.
    let conn = raw(&server).await;
    let mut frame = encode(&RequestFrame { id: 1, request: hello(PROTOCOL_VERSION) });
    frame.push(0);
    let len = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&len.to_le_bytes());
    assert_eq!(send_bytes(&conn, &frame).await.unwrap().result.unwrap_err().code, ErrorCode::BadFrame);
    trade().await;

    // Touching another player's order, and bad numbers.
    let (mallory, _) = server.player("mallory@example.com").await;
    let victim = honest.place(limit(1, Side::Sell, "50", "1")).await.unwrap();
    // (answered like an order that does not exist: nothing to probe)
    let e = mallory.cancel(victim).await.unwrap_err().to_string();
    assert!(e.contains("Rejected") && e.contains("unknown order"), "{e}");
    let e = mallory.call(Request::Modify { order: victim, price: d("1"), quantity: d("1") }).await.unwrap_err().to_string();
    assert!(e.contains("unknown order"), "{e}");
    let off_tick = mallory.place(limit(1, Side::Buy, "1.001", "1")).await.unwrap_err().to_string();
    assert!(off_tick.contains("tick"), "{off_tick}");
    let broke = mallory.place(limit(1, Side::Buy, "1000", "1000")).await.unwrap_err().to_string();
    assert!(broke.contains("insufficient funds"), "{broke}");
    let admin_only = mallory.call(Request::Admin(AdminRequest::Mint { account: 1, asset: 1, amount: d("1") })).await.unwrap_err().to_string();
    assert!(admin_only.contains("Forbidden"), "{admin_only}");
    assert!(honest.open_orders().await.unwrap().iter().any(|o| o.order == victim), "the order is untouched");
    trade().await;
    assert_eq!(honest.open_orders().await.unwrap().len(), placed + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_lock_the_account_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (_, _) = server.player("target@example.com").await;
    let c = server.client().await;
    for _ in 0..5 {
        let e = c.login("target@example.com", "wrong password").await.unwrap_err().to_string();
        assert!(e.contains("InvalidCredentials"), "{e}");
    }
    let e = c.login("target@example.com", PASSWORD).await.unwrap_err();
    let entrepot_protocol::client::ClientError::Api(api) = e else { panic!("{e}") };
    assert_eq!(api.code, ErrorCode::LockedOut);
    assert!(api.retry_after_ms.unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_floods_are_rate_limited_with_a_retry_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("entrepot.toml");
    std::fs::write(&config, "rate_per_connection = 20\n").unwrap();
    let server = Server::start_with(&dir.path().join("data"), &[("ENTREPOT_CONFIG", config.to_str().unwrap())]);
    let c = server.client().await;
    let mut limited = None;
    for _ in 0..200 {
        if let Err(entrepot_protocol::client::ClientError::Api(e)) = c.call(Request::Markets).await {
            limited = Some(e);
            break;
        }
    }
    let e = limited.expect("rate limited within 200 requests");
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.retry_after_ms.is_some());
}
