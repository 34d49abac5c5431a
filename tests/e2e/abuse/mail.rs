//! Issue 11, point 6: addresses that would inject mail headers or recipients are refused
//! at the edge (sign-up, login, reset), so no mail or log line carries them.

use entrepot_protocol::client::ClientError;
use entrepot_protocol::*;

use crate::common::*;

/// Addresses with CR/LF, commas, display names or several mailboxes are `InvalidArgument`
/// for sign-up, login and reset; nothing is mailed for them. The old server accepted them
/// (its maildir mail got injected `Bcc:`/`Subject:` headers and two recipients).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_that_inject_headers_or_recipients_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let c = server.client().await;
    let bad = [
        "eve@example.com\r\nBcc: boss@example.com",
        "eve@example.com\nSubject: you won",
        "eve@example.com,boss@example.com",
        "Eve <eve@example.com>",
        "eve@example.com; boss@example.com",
        "\"eve,boss\"@example.com",
    ];
    for email in bad {
        for request in [
            Request::Signup { email: email.into(), password: PASSWORD.into() },
            Request::Login { email: email.into(), password: PASSWORD.into() },
            Request::RequestPasswordReset { email: email.into() },
        ] {
            match c.call_patiently(c.next_id(), request.clone()).await {
                Err(ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::InvalidArgument, "{request:?}: {e}"),
                other => panic!("{request:?} answered {other:?}"),
            }
        }
    }
    // A good address still signs up, and its mail has exactly one recipient.
    c.call(Request::Signup { email: "eve@example.com".into(), password: PASSWORD.into() }).await.unwrap();
    server.mail_token("eve@example.com");
    let mails: Vec<String> = std::fs::read_dir(dir.path().join("mail/new")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(!mails[0].lines().any(|l| l.starts_with("Bcc:") || l.contains("boss@")), "{}", mails[0]);
}
