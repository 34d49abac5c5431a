//! E-mail over a real SMTP relay: a Python `aiosmtpd` server on a loopback port that
//! writes what it receives into a maildir. Sign-up confirmation and password-reset mails
//! arrive with their tokens and the tokens work; with the relay down, mail waits in the
//! outbox (across a server restart) and arrives once the relay is up, nothing lost.
//!
//! Needs `python3`; installs `aiosmtpd` with pip (`--user`) when it is missing, and fails
//! with a clear message if that is impossible.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use entrepot_protocol::*;

/// A running aiosmtpd relay that stores every message in `<dir>/new`.
struct Relay {
    child: Child,
    dir: PathBuf,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_has_aiosmtpd() -> bool {
    Command::new("python3").args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn ensure_aiosmtpd() {
    if python_has_aiosmtpd() {
        return;
    }
    // Plain --user first; distributions that mark the system Python as externally managed
    // (PEP 668) need the second form.
    for extra in [&[][..], &["--break-system-packages"][..]] {
        let status = Command::new("python3").args(["-m", "pip", "install", "--quiet", "--user", "aiosmtpd"]).args(extra).status();
        if status.is_ok_and(|s| s.success()) && python_has_aiosmtpd() {
            return;
        }
    }
    panic!("these tests need python3 with aiosmtpd; `python3 -m pip install --user aiosmtpd` failed (is python3 with pip installed and PyPI reachable?)");
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Relay {
    /// Start a relay on `port`, writing into the maildir `dir`; returns once it accepts.
    fn start(port: u16, dir: &Path) -> Relay {
        ensure_aiosmtpd();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("start python3 -m aiosmtpd");
        let relay = Relay { child, dir: dir.to_path_buf() };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        relay
    }
}

fn smtp_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("ENTREPOT_SMTP_RELAY", format!("smtp://127.0.0.1:{port}")),
        ("ENTREPOT_MAIL_FROM", "Copper Coast <game@copper.example>".into()),
        // Retry every 500 ms at most, so the test need not wait minutes for the backoff.
        ("ENTREPOT_MAIL_RETRY_MAX_MS", "500".into()),
    ]
}

fn start(data: &Path, env: &[(&'static str, String)]) -> Server {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_with(data, &env)
}

/// The server's start-up line about mail.
fn mail_banner(server: &Server) -> String {
    server.startup.iter().find(|l| l.starts_with("mail: ")).cloned().expect("a `mail:` line at start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_and_reset_mails_arrive_over_smtp_and_their_tokens_work() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_tcp_port();
    let relay = Relay::start(port, &dir.path().join("relay"));
    let server = start(&dir.path().join("data"), &smtp_env(port));
    assert!(mail_banner(&server).contains("(0 waiting in the outbox)"), "{}", mail_banner(&server));

    let c = server.client().await;
    let email = "zoe@example.com";
    let Response::SignedUp { account: 0 } = c.call(Request::Signup { email: email.into(), password: PASSWORD.into() }).await.unwrap() else { panic!() };
    let token = server.mail_token_in(&relay.dir, email);
    let (_, mail) = mails_to(&relay.dir, email).pop().unwrap();
    let from = mail.lines().find(|l| l.starts_with("From: ")).unwrap_or_default();
    assert!(from.contains("Copper Coast") && from.contains("<game@copper.example>"), "the configured sender: {mail}");
    assert!(mail.contains("Subject: Confirm your Entrepot account"), "{mail}");
    assert!(mail.contains(&format!("X-RcptTo: {email}")), "the relay got it for {email}: {mail}");
    // Over SMTP, not into the local maildir.
    assert!(mails_to(&dir.path().join("data/mail"), email).is_empty());

    c.call(Request::ConfirmEmail { email: email.into(), token }).await.unwrap();
    let (_, logged_in) = c.login(email, PASSWORD).await.unwrap();
    assert!(logged_in >= 1000, "the account id comes with the session");

    // Password reset: the token arrives by SMTP and sets the new password.
    c.call(Request::RequestPasswordReset { email: email.into() }).await.unwrap();
    let reset = server.mail_token_in(&relay.dir, email);
    let newest = mails_to(&relay.dir, email).into_iter().map(|(_, m)| m).find(|m| m.contains(&reset)).unwrap();
    assert!(newest.contains("Subject: Reset your Entrepot password"), "{newest}");
    let new_password = "a brand new password";
    c.call(Request::ResetPassword { email: email.into(), token: reset, new_password: new_password.into() }).await.unwrap();
    server.client().await.login(email, new_password).await.unwrap();
    assert_eq!(mails_to(&relay.dir, email).len(), 2, "one confirmation, one reset");
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_in_the_outbox_while_the_relay_is_down_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let relay_dir = dir.path().join("relay");
    let port = free_tcp_port(); // nothing listens there yet
    let env = smtp_env(port);
    let emails = ["ann@example.com", "bob@example.com"];

    let mut server = start(&data, &env);
    let c = server.client().await;
    for email in emails {
        c.call(Request::Signup { email: email.into(), password: PASSWORD.into() }).await.unwrap();
    }
    // A few failed attempts (connection refused), then a clean stop with both mails queued.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(server.terminate().success());

    let server = start(&data, &env);
    let banner = mail_banner(&server);
    assert!(banner.contains(&format!("SMTP relay smtp://127.0.0.1:{port}")), "{banner}");
    assert!(banner.contains("(2 waiting in the outbox)"), "both mails survived the restart: {banner}");
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    // The relay comes up: the next attempt (at most 500 ms later) delivers both.
    let relay = Relay::start(port, &relay_dir);
    let c = server.client().await;
    for email in emails {
        let token = server.mail_token_in(&relay.dir, email);
        c.call(Request::ConfirmEmail { email: email.into(), token }).await.unwrap();
        server.client().await.login(email, PASSWORD).await.unwrap();
        assert_eq!(mails_to(&relay.dir, email).len(), 1, "{email}: exactly one confirmation");
    }
    assert!(mails_to(&data.join("mail"), emails[0]).is_empty());
}
