//! Accounts: sign-up (with the confirmation mail worded by notifier plugins), e-mail
//! confirmation (which opens the engine account and mints the starting cash), login,
//! resume, refresh, logout and password reset.

use std::sync::Arc;

use entrepot_core::{AccountId, AssetId, Body, Command, Outcome, RejectReason};
use entrepot_plugins::{AccountConfirmation, NotifyEvent, PasswordReset};
use entrepot_protocol::*;
use rust_decimal::Decimal;

use super::{amount_in, blocking};
use crate::errors::{err, rejected};
use crate::notify;
use crate::request_ids;
use crate::session::{start_session, Conn};
use crate::state::Shared;

pub async fn signup(shared: &Arc<Shared>, email: String, password: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let (user, mailed) = blocking(move || s.auth.signup(&email, &password, false)).await?;
    if let Some(m) = mailed {
        let event = NotifyEvent::AccountConfirmation(AccountConfirmation { account: m.account, email: m.email, token: m.token });
        word_token_mail(shared, event, m.mail).await;
    }
    open_account(shared, user.account).await?;
    Ok(Response::SignedUp { account: user.account })
}

pub async fn confirm(shared: &Arc<Shared>, email: String, token: String) -> Result<Response, ApiError> {
    let user = shared.auth.confirm(&email, &token)?;
    open_account(shared, user.account).await?;
    mint_starting_cash(shared, user.account).await?;
    Ok(Response::Confirmed)
}

pub async fn login(shared: &Arc<Shared>, conn: &Conn, email: String, password: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let ip = conn.peer.ip();
    let allow = shared.config.allow_unconfirmed_login;
    let (token, session) = blocking(move || s.auth.login(&email, &password, ip, allow)).await?;
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

/// Mail a reset token to a known address; the same answer either way (no enumeration).
pub async fn request_reset(shared: &Arc<Shared>, email: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    let mailed = blocking(move || s.auth.request_reset(&email)).await?;
    if let Some(m) = mailed {
        let event = NotifyEvent::PasswordReset(PasswordReset { account: m.account, email: m.email, token: m.token });
        word_token_mail(shared, event, m.mail).await;
    }
    Ok(Response::ResetRequested)
}

pub async fn reset_password(shared: &Arc<Shared>, email: String, token: String, new_password: String) -> Result<Response, ApiError> {
    let s = shared.clone();
    blocking(move || s.auth.reset(&email, &token, &new_password)).await?;
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
