//! The delivery thread: takes due mails from the outbox and hands them to the transport —
//! an SMTP relay (lettre, plain / STARTTLS / TLS with rustls) or, with no relay
//! configured, a maildir under the data directory (`<data>/mail/{tmp,new,cur}`).
//!
//! Both build the message with lettre's builder, so every header value (the recipient,
//! a notifier plugin's subject) is encoded (RFC 2047), never written raw: a CR/LF in a
//! subject cannot start a header of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{Message, SmtpTransport, Transport as _};

use super::outbox::{Failed, Mail, Outbox};
use crate::clock::now_ms;

/// How many due mails one pass takes.
const BATCH: usize = 64;
/// The longest the thread sleeps without looking (new mail wakes it at once anyway).
const IDLE: Duration = Duration::from_secs(30);
/// One SMTP command may take this long before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

pub enum Transport {
    /// Each mail becomes a file in `<dir>/new` (via `<dir>/tmp`), named after its id.
    Maildir {
        dir: PathBuf,
        from: Mailbox,
    },
    Smtp {
        relay: Box<SmtpTransport>,
        from: Mailbox,
    },
}

impl Transport {
    /// SMTP when `relay` is set (`smtp://host:port`, `smtp://host:port?tls=required`,
    /// `smtps://host:port`, with optional `user:password@`), the maildir otherwise.
    pub fn new(relay: Option<&str>, from: &str, maildir: PathBuf) -> anyhow::Result<Transport> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("mail_from {from:?}: {e}"))?;
        let Some(url) = relay else {
            for sub in ["new", "cur", "tmp"] {
                std::fs::create_dir_all(maildir.join(sub))?;
            }
            return Ok(Transport::Maildir { dir: maildir, from });
        };
        let relay = SmtpTransport::from_url(url).map_err(|e| anyhow::anyhow!("smtp_relay {}: {e}", redact(url)))?.timeout(Some(SMTP_TIMEOUT)).build();
        Ok(Transport::Smtp { relay: Box::new(relay), from })
    }

    /// Where mail goes, for the start-up banner (no credentials).
    pub fn describe(&self, relay: Option<&str>) -> String {
        match self {
            Transport::Maildir { dir, .. } => format!("maildir {}", dir.display()),
            Transport::Smtp { .. } => format!("SMTP relay {}", redact(relay.unwrap_or_default())),
        }
    }

    fn send(&self, mail: &Mail) -> Result<(), SendError> {
        match self {
            Transport::Maildir { dir, from } => {
                let text = message(from, mail)?.formatted();
                // The same name for the same mail: a retry after a crash overwrites, never doubles.
                let name = format!("{}.{}.entrepot", mail.created_ms, mail.id);
                let tmp = dir.join("tmp").join(&name);
                std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, dir.join("new").join(&name))).map_err(SendError::transient)
            }
            Transport::Smtp { relay, from } => {
                let message = message(from, mail)?;
                relay.send(&message).map(drop).map_err(|e| SendError { permanent: e.is_permanent(), error: e.to_string() })
            }
        }
    }
}

/// Why a mail was not delivered, and whether trying again can help.
struct SendError {
    error: String,
    /// The relay refused it for good (5xx) or it cannot be built (a bad address).
    permanent: bool,
}

impl SendError {
    fn transient(e: impl std::fmt::Display) -> SendError {
        SendError { error: e.to_string(), permanent: false }
    }

    fn permanent(e: impl std::fmt::Display) -> SendError {
        SendError { error: e.to_string(), permanent: true }
    }
}

/// The message for a mail: one recipient, every header encoded by lettre's builder, a
/// stable Message-ID per mail (so a relay can tell a resend after a crash).
fn message(from: &Mailbox, mail: &Mail) -> Result<Message, SendError> {
    let to: lettre::Address = mail.to.parse().map_err(|e| SendError::permanent(format!("recipient address: {e}")))?;
    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}.{}@{domain}>", mail.created_ms, mail.id)))
        .header(ContentType::TEXT_PLAIN)
        // Plain 7-bit text when it is (readable as written, tokens intact); lettre picks
        // quoted-printable or base64 otherwise.
        .body(Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::SevenBit).unwrap_or_else(|_| Body::new(mail.body.clone())))
        .map_err(SendError::permanent)
}

/// `smtp://user:secret@host` → `smtp://***@host`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

/// Start the delivery thread. It runs for the life of the process; the outbox makes a stop
/// at any point safe (a mail sent but not yet removed is sent again, with the same name or
/// Message-ID).
pub fn spawn(outbox: Arc<Outbox>, transport: Transport) {
    std::thread::Builder::new()
        .name("mail".into())
        .spawn(move || loop {
            let sent = deliver_due(&outbox, &transport);
            if sent > 0 {
                continue;
            }
            let wait = match outbox.next_due() {
                Ok(Some(due)) => Duration::from_millis(due.saturating_sub(now_ms())).min(IDLE),
                Ok(None) => IDLE,
                Err(e) => {
                    tracing::error!(error = %e, "outbox unreadable");
                    IDLE
                }
            };
            // New mail wakes the thread at once; the floor keeps a broken store from spinning.
            outbox.wait(wait.max(Duration::from_millis(50)));
        })
        .expect("spawn mail thread");
}

/// One pass over the due mails; returns how many were delivered.
fn deliver_due(outbox: &Outbox, transport: &Transport) -> usize {
    let due = match outbox.due(now_ms(), BATCH) {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "outbox unreadable");
            return 0;
        }
    };
    let mut sent = 0;
    for mail in due {
        match transport.send(&mail) {
            Ok(()) => {
                tracing::info!(id = mail.id, to = ?mail.to, attempts = mail.attempts + 1, "mail delivered");
                if let Err(e) = outbox.delivered(mail.id) {
                    tracing::error!(id = mail.id, error = %e, "mail delivered but still in the outbox (it will be sent again)");
                }
                sent += 1;
            }
            Err(SendError { error, permanent }) => match outbox.failed(mail.id, &error, now_ms(), permanent) {
                Ok(Failed::Retry(m)) => {
                    let retry_in_ms = m.next_attempt_ms.saturating_sub(now_ms());
                    tracing::warn!(id = m.id, to = ?m.to, attempts = m.attempts, retry_in_ms, error = ?error, "mail not delivered; will retry");
                }
                Ok(Failed::Dead(m)) => {
                    tracing::error!(id = m.id, to = ?m.to, attempts = m.attempts, permanent, error = ?error, "mail not delivered; moved to the dead letters (entrepot dead-letters)");
                }
                Ok(Failed::Gone) => {}
                Err(e) => tracing::error!(id = mail.id, error = %e, "could not reschedule mail"),
            },
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str, subject: &str) -> Mail {
        Mail { id: 7, to: to.into(), subject: subject.into(), body: "Hello\n".into(), created_ms: 1, attempts: 0, next_attempt_ms: 0, last_error: None }
    }

    /// A notifier's subject with CR/LF cannot add headers or recipients to the maildir
    /// file (the old maildir writer put it in raw).
    #[test]
    fn header_values_are_encoded_in_the_maildir_too() {
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::new(None, "Entrepot <noreply@entrepot.local>", dir.path().to_path_buf()).unwrap();
        let m = mail("ann@example.com", "Order filled\r\nBcc: eve@evil.example\r\nSubject: you won");
        transport.send(&m).map_err(|e| e.error).unwrap();
        let text = std::fs::read_to_string(dir.path().join("new").join("1.7.entrepot")).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{text}");
        assert_eq!(headers.lines().filter(|l| l.starts_with("Subject:")).count(), 1, "{text}");
        assert!(headers.lines().any(|l| l == "To: ann@example.com"), "{text}");
        // An address that cannot be sent is a permanent failure, not a retry for ever.
        let bad = transport.send(&mail("ann@example.com,eve@evil.example", "Hi")).err().unwrap();
        assert!(bad.permanent, "{}", bad.error);
    }

    #[test]
    fn credentials_never_reach_the_log() {
        assert_eq!(redact("smtps://ann:secret@mail.example.com:465"), "smtps://***@mail.example.com:465");
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }
}
