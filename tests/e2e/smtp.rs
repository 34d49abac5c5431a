//! E-mail over a real SMTP relay: a Python `aiosmtpd` server on a loopback port that
//! writes what it receives into a maildir. Sign-up confirmation and password-reset mails
//! arrive with their tokens and the tokens work; with the relay down, mail waits in the
//! outbox (across a server restart) and arrives once the relay is up, nothing lost.
//!
//! Needs `python3`; installs `aiosmtpd` with pip (`--user`) when it is missing, and fails
//! with a clear message if that is impossible.

mod common;

use std::path::Path;
use std::time::Duration;

use common::relay::{free_tcp_port, Relay};
use common::*;
use entrepot_protocol::*;

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
    let relay = Relay::start_on(port, &dir.path().join("relay"));
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
    let relay = Relay::start_on(port, &relay_dir);
    let c = server.client().await;
    for email in emails {
        let token = server.mail_token_in(&relay.dir, email);
        c.call(Request::ConfirmEmail { email: email.into(), token }).await.unwrap();
        server.client().await.login(email, PASSWORD).await.unwrap();
        assert_eq!(mails_to(&relay.dir, email).len(), 1, "{email}: exactly one confirmation");
    }
    assert!(mails_to(&data.join("mail"), emails[0]).is_empty());
}
