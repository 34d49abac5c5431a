//! Harness for end-to-end tests: a real `entrepot serve` process on a loopback port with
//! a temporary data directory, and real QUIC clients.
#![allow(dead_code)]

pub mod relay;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use entrepot_protocol::client::Client;
use entrepot_protocol::*;
use rust_decimal::Decimal;

pub const ADMIN_EMAIL: &str = "admin@entrepot.local";
pub const ADMIN_PASSWORD: &str = "test-admin-password";
pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub fingerprint: String,
    pub data_dir: PathBuf,
    /// Lines the server printed on stdout up to "data directory:", and after.
    pub startup: Vec<String>,
    pub stdout: mpsc::Receiver<String>,
    /// Tokens `mail_token` already returned (each mail's token is handed out once).
    seen_tokens: Mutex<HashSet<String>>,
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `entrepot` binary under test; `ENTREPOT_BIN` points elsewhere (e.g. a private copy
/// when several checkouts share one target directory).
pub fn binary() -> PathBuf {
    std::env::var_os("ENTREPOT_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_entrepot")))
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[])
    }

    pub fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_cmd(data_dir, env, Command::new(binary()))
    }

    /// Like [`Server::start_with`], on a "full disk": the process may not write a file past
    /// `bytes` (RLIMIT_FSIZE, with SIGXFSZ ignored so that the write fails with EFBIG). Its
    /// log (stderr) comes on `stdout` too.
    pub fn start_with_file_limit(data_dir: &Path, env: &[(&str, &str)], bytes: u64) -> Server {
        let mut cmd = Command::new("sh");
        // dash's `ulimit -f` counts 512-byte blocks.
        cmd.args(["-c", "trap '' XFSZ; ulimit -f \"$1\"; shift; exec \"$@\" 2>&1", "sh", &(bytes / 512).to_string()]).arg(binary());
        Self::start_cmd(data_dir, env, cmd)
    }

    fn start_cmd(data_dir: &Path, env: &[(&str, &str)], mut cmd: Command) -> Server {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        cmd.args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", &addr.to_string()])
            .env("ENTREPOT_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start entrepot serve");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut fingerprint = None;
        let mut startup = Vec::new();
        loop {
            let line = rx.recv_timeout(Duration::from_secs(60)).expect("server did not start within 60 s");
            if let Some(fp) = line.strip_prefix("certificate fingerprint (sha256): ") {
                fingerprint = Some(fp.trim().to_string());
            }
            startup.push(line);
            if startup.last().unwrap().starts_with("data directory:") {
                break;
            }
        }
        Server {
            child: Some(child),
            addr,
            fingerprint: fingerprint.expect("fingerprint line"),
            data_dir: data_dir.to_path_buf(),
            startup,
            stdout: rx,
            seen_tokens: Mutex::new(HashSet::new()),
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr, &self.fingerprint).await.expect("connect")
    }

    /// The server process's id (for /proc/<pid>/status).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// A client logged in as `email` (created and confirmed first if needed). A sign-up
    /// answers the same for a taken address (its owner gets a notice, no token), so the
    /// login after it tells: it works for an existing player and answers
    /// `EmailNotConfirmed` for a new one, which is then confirmed.
    pub async fn player(&self, email: &str) -> (Client, u64) {
        let c = self.client().await;
        // Sign-up and login are rate-limited per address: wait out `RateLimited`.
        async fn login(c: &Client, email: &str) -> Result<u64, entrepot_protocol::client::ClientError> {
            match c.call_patiently(c.next_id(), Request::Login { email: email.into(), password: PASSWORD.into() }).await? {
                Response::Session { account, .. } => Ok(account),
                other => panic!("login answered {other:?}"),
            }
        }
        c.call_patiently(c.next_id(), Request::Signup { email: email.into(), password: PASSWORD.into() }).await.expect("signup");
        match login(&c, email).await {
            Ok(account) => return (c, account),
            Err(e) => assert!(e.to_string().contains("EmailNotConfirmed"), "login after sign-up: {e}"),
        }
        let token = self.mail_token(email);
        c.call(Request::ConfirmEmail { email: email.into(), token }).await.expect("confirm");
        let account = login(&c, email).await.expect("login");
        (c, account)
    }

    pub async fn admin(&self) -> Client {
        let c = self.client().await;
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin login");
        c
    }

    /// The token of the next mail to `email` (from the maildir the server writes without a
    /// relay): waits for a mail whose token this harness has not handed out yet, since
    /// delivery runs on the server's mail thread.
    pub fn mail_token(&self, email: &str) -> String {
        self.mail_token_in(&self.data_dir.join("mail"), email)
    }

    /// Like [`Server::mail_token`], for mail delivered to another maildir (an SMTP relay's).
    pub fn mail_token_in(&self, maildir: &Path, email: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            for (_, text) in mails_to(maildir, email).into_iter().rev() {
                if let Some(token) = token_in(&text) {
                    if self.seen_tokens.lock().unwrap().insert(token.clone()) {
                        return token;
                    }
                }
            }
            assert!(Instant::now() < deadline, "no new mail with a token for {email} in {}", maildir.display());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.kill().unwrap();
        panic!("server did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Every mail to `email` in a maildir's `new/`, oldest first: (file name, text).
pub fn mails_to(maildir: &Path, email: &str) -> Vec<(String, String)> {
    let mut mails: Vec<(String, String)> = std::fs::read_dir(maildir.join("new"))
        .map(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
                .filter(|(_, text)| text.lines().any(|l| l.trim_end() == format!("To: {email}")))
                .collect()
        })
        .unwrap_or_default();
    mails.sort();
    mails
}

/// The token in a mail: a word of 48 hex digits (what the server issues).
pub fn token_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric()).find(|w| w.len() == 48 && w.chars().all(|c| c.is_ascii_hexdigit())).map(str::to_string)
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn limit(market: u32, side: Side, price: &str, quantity: &str) -> PlaceOrder {
    PlaceOrder { market, side, order: OrderType::Limit { price: d(price), quantity: d(quantity) }, tif: TimeInForce::Gtc, post_only: false }
}

pub async fn mint(admin: &Client, account: u64, asset: u32, amount: &str) {
    admin.call(Request::Admin(AdminRequest::Mint { account, asset, amount: d(amount) })).await.expect("mint");
}

/// (available, locked) of one asset; zeros when the account does not hold it (`Balances`
/// lists only held assets).
pub async fn balance(c: &Client, asset: u32) -> (Decimal, Decimal) {
    let b = c.balances().await.unwrap();
    b.into_iter().find(|b| b.asset == asset).map_or((Decimal::ZERO, Decimal::ZERO), |b| (b.available, b.locked))
}

/// Run `entrepot verify` on a stopped server's data directory; returns its JSON report.
pub fn verify(data_dir: &Path) -> serde_json::Value {
    let out = Command::new(binary()).arg("verify").arg(data_dir).output().unwrap();
    assert!(out.status.success(), "verify failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

/// Collect pushes for a while.
pub async fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Push>, wait: Duration) -> Vec<Push> {
    let mut v = Vec::new();
    while let Ok(Some(p)) = tokio::time::timeout(wait, rx.recv()).await {
        v.push(p);
    }
    v
}
