//! The async Rust client: connect with a pinned certificate, say hello, then call.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use entrepot_protocol::{client::Client, Request};
//! let client = Client::connect("127.0.0.1:4433".parse()?, "ab12…sha256 hex…").await?;
//! client.login("ann@example.com", "correct horse").await?;
//! let balances = client.call(Request::Balances).await?;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use quinn::crypto::rustls::QuicClientConfig;
use rust_decimal::Decimal;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, Mutex};

use crate::codec::{decode, encode, payload_len, FrameError};
use crate::messages::*;
use crate::{ALPN, MAGIC, PROTOCOL_VERSION};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection or stream failed (or could not be set up).
    #[error("connection: {0}")]
    Connection(String),
    /// The server sent bytes that are not a valid frame.
    #[error("frame: {0}")]
    Frame(#[from] FrameError),
    /// The server answered with an error.
    #[error("server said: {0}")]
    Api(#[from] ApiError),
    /// The server answered with a response of another kind than the call expects.
    #[error("unexpected response: {0:?}")]
    Unexpected(Box<Response>),
}

fn conn_err(e: impl std::fmt::Display) -> ClientError {
    ClientError::Connection(e.to_string())
}

/// SHA-256 of a DER certificate as lowercase hex: what clients pin.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// Accepts exactly one certificate, identified by its SHA-256 fingerprint; the TLS 1.3
/// handshake signature is still verified against that certificate's key.
#[derive(Debug)]
struct PinnedCert {
    fingerprint: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if fingerprint(end_entity) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("server certificate does not match the pinned fingerprint".into()))
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A QUIC client endpoint configured to trust one pinned certificate.
pub fn endpoint(fingerprint: &str) -> Result<quinn::Endpoint, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedCert { fingerprint: fingerprint.to_ascii_lowercase(), provider: provider.clone() };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(conn_err)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let mut config = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls).map_err(conn_err)?));
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(std::time::Duration::from_secs(5)));
    config.transport_config(Arc::new(transport));
    let socket = udp_socket("0.0.0.0:0".parse().expect("address")).map_err(conn_err)?;
    let mut endpoint = quinn::Endpoint::new(quinn::EndpointConfig::default(), None, socket, Arc::new(quinn::TokioRuntime)).map_err(conn_err)?;
    endpoint.set_default_client_config(config);
    Ok(endpoint)
}

/// A UDP socket with large kernel buffers: with many connections on one socket, the
/// default (about 200 KiB) overflows under bursts and every dropped datagram costs a
/// retransmission timeout. The kernel caps the request at `net.core.{r,w}mem_max`.
pub fn udp_socket(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    for size in [16 << 20, 4 << 20, 1 << 20] {
        if socket.set_recv_buffer_size(size).is_ok() && socket.set_send_buffer_size(size).is_ok() {
            break;
        }
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Write one frame.
pub async fn write_frame<T: serde::Serialize>(send: &mut quinn::SendStream, message: &T) -> Result<(), ClientError> {
    send.write_all(&encode(message)).await.map_err(conn_err)
}

/// Read one frame; `Ok(None)` at a clean end of stream.
pub async fn read_frame<T: serde::de::DeserializeOwned>(recv: &mut quinn::RecvStream) -> Result<Option<T>, ClientError> {
    let mut header = [0u8; 4];
    match recv.read_exact(&mut header).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(conn_err(e)),
    }
    let len = payload_len(header)?;
    let mut payload = vec![0u8; len];
    recv.read_exact(&mut payload).await.map_err(conn_err)?;
    Ok(Some(decode(&payload)?))
}

/// A connected, hello'd client. Cheap to share (`Arc<Client>`); calls run concurrently,
/// each on its own QUIC stream.
pub struct Client {
    endpoint: quinn::Endpoint,
    connection: quinn::Connection,
    next_id: AtomicU64,
    welcome: Welcome,
    pushes: Mutex<Option<mpsc::UnboundedReceiver<Push>>>,
}

impl Client {
    /// Connect to `addr`, trusting only the certificate with this SHA-256 fingerprint.
    pub async fn connect(addr: SocketAddr, fingerprint: &str) -> Result<Client, ClientError> {
        let endpoint = endpoint(fingerprint)?;
        Self::connect_with(endpoint, addr).await
    }

    /// Connect through an existing endpoint (many connections can share one).
    pub async fn connect_with(endpoint: quinn::Endpoint, addr: SocketAddr) -> Result<Client, ClientError> {
        let connection = endpoint.connect(addr, "entrepot").map_err(conn_err)?.await.map_err(conn_err)?;
        // Request ids must not repeat for an account within the server's dedup window, even
        // across client restarts: start from the clock.
        let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(read_pushes(connection.clone(), tx));
        let mut client = Client {
            endpoint,
            connection,
            next_id: AtomicU64::new(base),
            welcome: Welcome { version: 0, server: String::new(), capabilities: vec![], max_frame: 0 },
            pushes: Mutex::new(Some(rx)),
        };
        let hello = Hello { magic: MAGIC, version: PROTOCOL_VERSION, client: format!("entrepot-rust/{}", env!("CARGO_PKG_VERSION")) };
        match client.call(Request::Hello(hello)).await? {
            Response::Welcome(w) => client.welcome = w,
            other => return Err(ClientError::Unexpected(Box::new(other))),
        }
        Ok(client)
    }

    /// The server's answer to the hello exchange (its version and capabilities).
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// The underlying QUIC connection.
    pub fn connection(&self) -> &quinn::Connection {
        &self.connection
    }

    /// A fresh request id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Send a request with a new id and wait for its response.
    pub async fn call(&self, request: Request) -> Result<Response, ClientError> {
        self.call_with_id(self.next_id(), request).await
    }

    /// Send a request with a chosen id: retrying with the same id is safe, the server
    /// returns the first outcome.
    pub async fn call_with_id(&self, id: u64, request: Request) -> Result<Response, ClientError> {
        let (mut send, mut recv) = self.connection.open_bi().await.map_err(conn_err)?;
        write_frame(&mut send, &RequestFrame { id, request }).await?;
        let _ = send.finish();
        let frame: ResponseFrame = read_frame(&mut recv).await?.ok_or_else(|| conn_err("stream closed without a response"))?;
        Ok(frame.result?)
    }

    /// Like [`Client::call_with_id`], but waits out `RateLimited` answers (as long as the
    /// server asks) and tries again with the same id, which is always safe.
    pub async fn call_patiently(&self, id: u64, request: Request) -> Result<Response, ClientError> {
        loop {
            match self.call_with_id(id, request.clone()).await {
                Err(ClientError::Api(e)) if e.code == ErrorCode::RateLimited => {
                    let wait = e.retry_after_ms.unwrap_or(10).clamp(1, 5_000);
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                }
                other => return other,
            }
        }
    }

    /// Log in and authenticate this connection; returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> Result<(String, u64), ClientError> {
        match self.call(Request::Login { email: email.into(), password: password.into() }).await? {
            Response::Session { token, account, .. } => Ok((token, account)),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Authenticate this connection with an existing session token.
    pub async fn resume(&self, session: &str) -> Result<u64, ClientError> {
        match self.call(Request::Resume { session: session.into() }).await? {
            Response::Session { account, .. } => Ok(account),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Place an order (with a fresh id); returns the order's id.
    pub async fn place(&self, order: PlaceOrder) -> Result<u64, ClientError> {
        match self.call(Request::Place(order)).await? {
            Response::Placed { order } => Ok(order),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Cancel a resting order (with a fresh id).
    pub async fn cancel(&self, order: u64) -> Result<(), ClientError> {
        self.call(Request::Cancel { order }).await.map(|_| ())
    }

    /// The account's balances, one per asset.
    pub async fn balances(&self) -> Result<Vec<BalanceInfo>, ClientError> {
        match self.call(Request::Balances).await? {
            Response::Balances(b) => Ok(b),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// The account's resting orders.
    pub async fn open_orders(&self) -> Result<Vec<OrderInfo>, ClientError> {
        match self.call(Request::OpenOrders).await? {
            Response::OpenOrders(o) => Ok(o),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Every market with its units, fees and status (needs no login).
    pub async fn markets(&self) -> Result<Vec<MarketInfo>, ClientError> {
        match self.call(Request::Markets).await? {
            Response::Markets(m) => Ok(m),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Every asset with its kind and decimal places (needs no login). Only servers whose
    /// [`Welcome`] lists the `"assets"` capability understand it.
    pub async fn assets(&self) -> Result<Vec<AssetInfo>, ClientError> {
        match self.call(Request::Assets).await? {
            Response::Assets(a) => Ok(a),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Every market's full native policy (needs no login). Only servers whose [`Welcome`]
    /// lists the `"market-policies"` capability understand it.
    pub async fn market_policies(&self) -> Result<Vec<MarketPolicyInfo>, ClientError> {
        match self.call(Request::MarketPolicies).await? {
            Response::MarketPolicies(p) => Ok(p),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// One page of a list: its entries and the cursor of the next page (`None`: the last).
    /// Only servers whose [`Welcome`] lists the `"paging"` capability understand it.
    pub async fn page(&self, list: List, after: Option<u64>, limit: u32) -> Result<(PageItems, Option<u64>), ClientError> {
        match self.call(Request::Page { list, after, limit }).await? {
            Response::Page { items, next } => Ok((items, next)),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Every resting order of the account, walking `Page(OpenOrders)` page by page.
    pub async fn all_open_orders(&self) -> Result<Vec<OrderInfo>, ClientError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            match self.page(List::OpenOrders, after, PAGE_MAX).await? {
                (PageItems::OpenOrders(orders), next) => {
                    all.extend(orders);
                    match next {
                        Some(n) => after = Some(n),
                        None => return Ok(all),
                    }
                }
                (other, _) => return Err(ClientError::Unexpected(Box::new(Response::Page { items: other, next: None }))),
            }
        }
    }

    /// The account's balances of these assets, held or not (`"paging"` servers).
    pub async fn balances_of(&self, assets: Vec<u32>) -> Result<Vec<BalanceInfo>, ClientError> {
        match self.call(Request::BalancesOf { assets }).await? {
            Response::Balances(b) => Ok(b),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// The account's in-game notifications, newest first (at most `limit`).
    pub async fn notifications(&self, unread_only: bool, limit: u32) -> Result<Vec<NotificationInfo>, ClientError> {
        match self.call(Request::Notifications { unread_only, limit }).await? {
            Response::Notifications(n) => Ok(n),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Mark notifications read (all of them for `None`); returns how many were unread.
    pub async fn mark_notifications_read(&self, ids: Option<Vec<u64>>) -> Result<u64, ClientError> {
        match self.call(Request::MarkNotificationsRead { ids }).await? {
            Response::MarkedRead { count } => Ok(count),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    // ---- market data (servers whose [`Welcome`] lists `"marketdata"`) ----

    /// A market's candles of one interval, oldest first, the open candle (if any) last:
    /// those opening in `start_ms ..= end_ms`, at most `limit` (1 … 1,000; `None`: 500) —
    /// the first from `start_ms` if given, else the newest.
    pub async fn candles(
        &self,
        market: u32,
        interval: Interval,
        start_ms: Option<u64>,
        end_ms: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Vec<CandleInfo>, ClientError> {
        match self.call(Request::Candles { market, interval, start_ms, end_ms, limit }).await? {
            Response::Candles { candles, .. } => Ok(candles),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// The rolling 24-hour ticker of one market, or of every market (`None`).
    pub async fn tickers(&self, market: Option<u32>) -> Result<Vec<TickerInfo>, ClientError> {
        match self.call(Request::Ticker { market }).await? {
            Response::Tickers(t) => Ok(t),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// One page of the metrics with samples in the last 24 hours, by name after `after`,
    /// and the `after` of the next page (`None`: the last).
    pub async fn metrics(&self, after: Option<String>, limit: u32) -> Result<(Vec<MetricInfo>, Option<String>), ClientError> {
        match self.call(Request::Metrics { after, limit }).await? {
            Response::Metrics { metrics, next } => Ok((metrics, next)),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Every metric, walking [`Client::metrics`] page by page.
    pub async fn all_metrics(&self) -> Result<Vec<MetricInfo>, ClientError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let (metrics, next) = self.metrics(after, PAGE_MAX).await?;
            all.extend(metrics);
            match next {
                Some(n) => after = Some(n),
                None => return Ok(all),
            }
        }
    }

    /// One measure of a metric over the last 24 hours: `(start_ms, step_ms, points)`, one
    /// point per sample from `start_ms`, `step_ms` apart (a minute by default), `None` where
    /// there was no sample.
    pub async fn metric_history(&self, metric: &str, measure: Measure) -> Result<(u64, u64, Vec<Option<Decimal>>), ClientError> {
        match self.call(Request::MetricHistory { metric: metric.into(), measure }).await? {
            Response::MetricHistory { start_ms, step_ms, points, .. } => Ok((start_ms, step_ms, points)),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Metrics ranked by the variability of one measure over the last 24 hours: how many
    /// were ranked, and the ranks `offset + 1 ..= offset + limit`.
    pub async fn metric_rank(&self, measure: Measure, by: RankBy, offset: u32, limit: u32) -> Result<(u32, Vec<RankEntry>), ClientError> {
        match self.call(Request::MetricRank { measure, by, offset, limit }).await? {
            Response::MetricRank { total, entries, .. } => Ok((total, entries)),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Create an alert (with a fresh id); returns the alert's id.
    pub async fn add_alert(&self, alert: AlertDef) -> Result<u64, ClientError> {
        match self.call(Request::AddAlert(alert)).await? {
            Response::AlertAdded { alert } => Ok(alert),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// The player's alerts with their state, by id.
    pub async fn alerts(&self) -> Result<Vec<AlertInfo>, ClientError> {
        match self.call(Request::Alerts).await? {
            Response::Alerts(a) => Ok(a),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Remove one of the player's alerts (with a fresh id).
    pub async fn remove_alert(&self, alert: u64) -> Result<(), ClientError> {
        self.call(Request::RemoveAlert { alert }).await.map(|_| ())
    }

    /// Every pending or firing alert, operator rules and players' (admin session).
    pub async fn firing_alerts(&self) -> Result<Vec<AlertInfo>, ClientError> {
        match self.call(Request::Admin(AdminRequest::FiringAlerts)).await? {
            Response::Alerts(a) => Ok(a),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    // ---- push streams ----

    /// Subscribe to a topic (a fixture, a group, a market's candles, tickers); returns its
    /// snapshot: `Fixture`, `Leaderboard`, `Candles` or `Tickers`. The pushes arrive on
    /// [`Client::pushes`].
    pub async fn subscribe(&self, topic: Topic) -> Result<Response, ClientError> {
        self.call(Request::Subscribe(topic)).await
    }

    /// End this connection's stream of a topic.
    pub async fn unsubscribe(&self, topic: Topic) -> Result<(), ClientError> {
        self.call(Request::Unsubscribe(topic)).await.map(|_| ())
    }

    /// Follow a market's candles of one interval (`Candle` pushes); returns the last ≤ 500
    /// candles, the open one last.
    pub async fn subscribe_candles(&self, market: u32, interval: Interval) -> Result<Vec<CandleInfo>, ClientError> {
        match self.subscribe(Topic::Candles { market, interval }).await? {
            Response::Candles { candles, .. } => Ok(candles),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Follow the ticker of one market, or of every market (`None`) (`Ticker` pushes);
    /// returns the tickers now.
    pub async fn subscribe_ticker(&self, market: Option<u32>) -> Result<Vec<TickerInfo>, ClientError> {
        match self.subscribe(Topic::Ticker(market)).await? {
            Response::Tickers(t) => Ok(t),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// Start the account's event stream after `cursor` (0 = from the start).
    pub async fn subscribe_account(&self, cursor: u64) -> Result<u64, ClientError> {
        match self.call(Request::SubscribeAccount { from_cursor: cursor }).await? {
            Response::Subscribed { cursor } => Ok(cursor),
            other => Err(ClientError::Unexpected(Box::new(other))),
        }
    }

    /// The pushed events of every subscription (account, markets, topics), merged into one
    /// channel; can be taken once. The client accepts the server's push streams in a task of
    /// its own from the moment it connects (a push stream only shows up with its first push),
    /// so there is nothing to wait for after subscribing.
    pub async fn pushes(&self) -> Option<mpsc::UnboundedReceiver<Push>> {
        self.pushes.lock().await.take()
    }

    /// A stream for pipelining: many requests in flight on one QUIC stream, responses in
    /// request order.
    pub async fn pipeline(&self) -> Result<Pipeline, ClientError> {
        let (send, recv) = self.connection.open_bi().await.map_err(conn_err)?;
        Ok(Pipeline { send, recv })
    }

    /// Close the connection (code 0, `bye`) and wait until the peer has been told.
    pub async fn close(self) {
        self.connection.close(0u32.into(), b"bye");
        self.endpoint.wait_idle().await;
    }
}

/// One bidirectional stream carrying many requests.
pub struct Pipeline {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
}

impl Pipeline {
    /// Send one request without waiting for its response.
    pub async fn send(&mut self, id: u64, request: Request) -> Result<(), ClientError> {
        write_frame(&mut self.send, &RequestFrame { id, request }).await
    }

    /// Write raw bytes (tests use this to send garbage).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.send.write_all(bytes).await.map_err(conn_err)
    }

    /// The next response (in request order); `None` when the server ended the stream.
    pub async fn recv(&mut self) -> Result<Option<ResponseFrame>, ClientError> {
        read_frame(&mut self.recv).await
    }
}

/// Accept push streams for the connection's whole life, one reader task per stream: a push
/// stream becomes visible only with its first push, and streams show up in any order.
async fn read_pushes(connection: quinn::Connection, tx: mpsc::UnboundedSender<Push>) {
    while let Ok(mut recv) = connection.accept_uni().await {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok(Some(push)) = read_frame::<Push>(&mut recv).await {
                if tx.send(push).is_err() {
                    break;
                }
            }
        });
    }
}
