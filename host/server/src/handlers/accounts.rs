//! Accounts: sign-up (a pending record and the confirmation mail worded by notifier
//! plugins), e-mail confirmation (which creates the user, opens the engine account and
//! mints the starting cash), login, resume, refresh, logout and password reset. Sign-up,
//! login and reset are limited per client address and connection before any work, and
//! argon2 runs under the server-wide hashing permits (`Auth::hashing`).

use std::sync::Arc;

use entrepot_core::{AccountId, AssetId, Body, Command, Outcome, RejectReason};
use entrepot_plugins::{AccountConfirmation, NotifyEvent, PasswordReset};
use entrepot_protocol::*;
use rust_decimal::Decimal;

use super::{amount_in, blocking};
use crate::auth::{self, parse_email, Verified};
use crate::errors::{err, internal, rejected};
use crate::notify;
use crate::request_ids;
use crate::session::{start_session, Conn};
use crate::state::Shared;

/// The per-address and per-connection limits on sign-up, login and reset, checked before
/// anything is parsed or hashed.
fn limit(shared: &Shared, conn: &Conn) -> Result<(), ApiError> {
    shared.auth.limits.request(conn.peer.ip(), conn.connection.stable_id())
}

/// Run argon2 work: wait for one of the server's hashing permits (`hash_concurrency`),
/// then run it on a blocking thread. The permit is taken *before* `spawn_blocking`, so
/// tokio's blocking pool never holds more hashes than permits and the async workers never
/// hash.
async fn hashing<T: Send + 'static>(shared: &Shared, f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    let permit = shared.auth.hashing.clone().acquire_owned().await.map_err(internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(internal)?
}

/// Sign-up: the same answer and the same work (one hash, one transaction) whether or not
/// the address is taken. A fresh (or still pending) address gets a confirmation mail; a
/// taken one changes nothing and its owner is told by mail. `SignedUp.account` is always
/// 0: the id is allocated at confirmation and arrives with the `Session` of the first
/// login (PROTOCOL.md).
pub async fn signup(shared: &Arc<Shared>, conn: &Conn, email: String, password: String) -> Result<Response, ApiError> {
    limit(shared, conn)?;
    let email = parse_email(&email)?;
    auth::check_password(&password)?;
    let hash = hashing(shared, move || auth::hash_password(&password)).await?;
    let s = shared.clone();
    let mailed = blocking(move || s.auth.signup(&email, hash)).await?;
    if let Some(m) = mailed {
        let event = NotifyEvent::AccountConfirmation(AccountConfirmation { account: m.account, email: m.email, token: m.token });
        let shared = shared.clone();
        tokio::spawn(async move {
            word_token_mail(&shared, event, m.mail).await;
        });
    }
    Ok(Response::SignedUp { account: 0 })
}

/// Confirmation: creates the user with the password of the address's latest sign-up,
/// opens its engine account and mints the starting cash (once).
pub async fn confirm(shared: &Arc<Shared>, email: String, token: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let (user, fresh) = blocking(move || s.auth.confirm(&email, &token)).await?;
    open_account(shared, user.account).await?;
    if fresh {
        mint_starting_cash(shared, user.account).await?;
    }
    Ok(Response::Confirmed)
}

/// Login: limits, then a lockout reservation, then exactly one argon2 verification (a
/// dummy hash for an unknown address), then the outcome settles the reservation.
pub async fn login(shared: &Arc<Shared>, conn: &Conn, email: String, password: String) -> Result<Response, ApiError> {
    limit(shared, conn)?;
    let email = parse_email(&email)?;
    let reservation = shared.auth.reserve_login(&email, conn.peer.ip())?;
    let s = shared.clone();
    let address = email.clone();
    let verified = hashing(shared, move || s.auth.verify(&address, &password)).await?;
    let wrong = || ApiError::new(ErrorCode::InvalidCredentials, "wrong e-mail or password");
    let not_confirmed = || ApiError::new(ErrorCode::EmailNotConfirmed, "confirm your e-mail first (see the mail we sent)");
    let allow = shared.config.allow_unconfirmed_login;
    reservation.finish(!matches!(verified, Verified::Wrong));
    let user = match verified {
        Verified::Wrong => return Err(wrong()),
        Verified::User(user) if user.confirmed || allow => user,
        Verified::User(_) => return Err(not_confirmed()),
        Verified::Pending if allow => {
            let s = shared.clone();
            let (user, created) = blocking(move || s.auth.activate_unconfirmed(&email)).await?;
            if created {
                open_account(shared, user.account).await?;
            }
            user
        }
        Verified::Pending => return Err(not_confirmed()),
    };
    let s = shared.clone();
    let (token, session) = blocking(move || s.auth.new_session(user.account, user.admin)).await?;
    Ok(start_session(conn, token, session))
}

pub fn resume(shared: &Shared, conn: &Conn, token: String) -> Result<Response, ApiError> {
    shared.auth.session(&token).map(|s| start_session(conn, token, s))
}

pub fn refresh(shared: &Shared, conn: &Conn) -> Result<Response, ApiError> {
    let token = conn.token().unwrap_or_default();
    shared.auth.refresh(&token).map(|(token, s)| start_session(conn, token, s))
}

pub fn logout(shared: &Shared, conn: &Conn) -> Result<Response, ApiError> {
    let ended = conn.end_session();
    ended.map_or(Ok(()), |token| shared.auth.end_session(&token)).map(|_| Response::LoggedOut)
}

/// Password reset request: answered at once, the same for every well-formed address; the
/// work (looking the address up, replacing the account's reset token, the mail) runs
/// afterwards, so neither the answer nor its timing tells whether the address is known.
pub async fn request_reset(shared: &Arc<Shared>, conn: &Conn, email: String) -> Result<Response, ApiError> {
    limit(shared, conn)?;
    let email = parse_email(&email)?;
    let shared = shared.clone();
    tokio::spawn(async move {
        let s = shared.clone();
        match blocking(move || s.auth.request_reset(&email)).await {
            Ok(Some(m)) => {
                let event = NotifyEvent::PasswordReset(PasswordReset { account: m.account, email: m.email, token: m.token });
                word_token_mail(&shared, event, m.mail).await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, "password reset request failed"),
        }
    });
    Ok(Response::ResetRequested)
}

pub async fn reset_password(shared: &Arc<Shared>, conn: &Conn, email: String, token: String, new_password: String) -> Result<Response, ApiError> {
    limit(shared, conn)?;
    let email = parse_email(&email)?;
    auth::check_password(&new_password)?;
    let hash = hashing(shared, move || auth::hash_password(&new_password)).await?;
    let s = shared.clone();
    blocking(move || s.auth.reset(&email, &token, hash)).await?;
    Ok(Response::PasswordReset)
}

/// Open the engine account for a user (idempotent: an existing account is fine).
pub async fn open_account(shared: &Shared, account: u64) -> Result<(), ApiError> {
    let request = request_ids::open_account(account).ok_or_else(|| err(ErrorCode::Internal, format!("account id {account} out of range")))?;
    let cmd = Command { actor: AccountId::ADMIN, request, body: Body::OpenAccount { account: AccountId(account) } };
    match shared.sequencer.submit(cmd).await? {
        Outcome::Rejected(r) if r != RejectReason::AccountExists => Err(rejected(r)),
        _ => Ok(()),
    }
}

/// The configured starting cash, one mint per (account, asset) (`request_ids::starting_cash`).
/// Entries naming an unknown asset or an amount it cannot hold are skipped.
async fn mint_starting_cash(shared: &Shared, account: u64) -> Result<(), ApiError> {
    for (asset, amount) in &shared.config.starting_cash {
        let Ok(amount) = Decimal::from_str_exact(amount) else { continue };
        let Ok(units) = amount_in(shared, *asset, amount).await else { continue };
        let request = request_ids::starting_cash(account, *asset)
            .ok_or_else(|| err(ErrorCode::Internal, format!("account id {account} out of range for starting cash")))?;
        let cmd = Command { actor: AccountId::ADMIN, request, body: Body::Mint { account: AccountId(account), asset: AssetId(*asset), amount: units } };
        shared.sequencer.submit(cmd).await?;
    }
    Ok(())
}

/// Word a held token mail (sign-up confirmation, password reset) with the first e-mail a
/// notifier proposes for `event` and release it; with no notifier for the event, or one
/// that faulted or left the token out (the host dropped that), the built-in text goes.
/// If this fails, the hold expires and the built-in text goes anyway.
async fn word_token_mail(shared: &Shared, event: NotifyEvent, mail: u64) {
    let proposed = shared.sequencer.notify(event).await.unwrap_or_default();
    let text = notify::first_email(proposed);
    let outbox = shared.auth.outbox.clone();
    let released = tokio::task::spawn_blocking(move || outbox.release(mail, text)).await;
    if let Err(e) = released.map_err(anyhow::Error::from).and_then(|r| r) {
        tracing::warn!(mail, error = %e, "token mail not released; it goes with the built-in text when its hold ends");
    }
}
