//! Accounts and sessions, kept in the server's redb tables (not in the engine: they are
//! not part of the economy). Passwords are hashed with argon2id; session, confirmation
//! and reset tokens are random and stored only as SHA-256 hashes. Mails are queued in the
//! outbox (`crate::mail`) in the same transaction as the token they carry.
//!
//! Sign-up is a *pending* record (address, password hash, confirmation token hash) until
//! confirmed: a later sign-up for the same address replaces it (and so invalidates earlier
//! tokens), and only the confirmation of the latest one creates the user, allocates the
//! account id and (in the handler) opens the engine account. A sign-up for a confirmed
//! address changes nothing and mails its owner instead. Every answer and every amount of
//! work is the same for known and unknown addresses (see `handlers::accounts`).
//!
//! Expensive requests are bounded before any hashing: [`Limits`] (per client address and
//! connection), the [`Lockout`] reservation, and [`Auth::hashing`] (a fixed number of
//! argon2 computations server-wide, each on a blocking thread).

mod address;
mod limits;
mod lockout;

pub use address::parse as parse_email;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use entrepot_protocol::{ApiError, ErrorCode};
use entrepot_store::codec::{decode_row, encode_row};
use entrepot_store::schema::{ACCOUNT_EMAIL, META, NEXT_ACCOUNT, PENDING_SIGNUPS, RESET_TOKENS, SESSIONS, TOKENS, USERS};
use entrepot_store::Store;
use rand::RngCore;
use redb::{Database, ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::clock::now_ms;
use crate::config::Config;
use crate::mail::Outbox;
pub use limits::Limits;
pub use lockout::{Key, Lockout, Reservation};

/// First player account id; lower ids are reserved (0 = the system actor).
const FIRST_ACCOUNT: u64 = 1_000;
/// A confirmation or reset mail waits this long for a notifier plugin's text before the
/// built-in text goes out anyway (a crash between the two must not lose the token).
const HOLD_MS: u64 = 30_000;
/// How long a confirmation token (a pending sign-up) lives.
const CONFIRM_TTL_MS: u64 = 7 * 24 * 3600 * 1000;
/// How long a reset token lives.
const RESET_TTL_MS: u64 = 3600 * 1000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub account: u64,
    pub email: String,
    pub password_hash: String,
    pub confirmed: bool,
    pub admin: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub account: u64,
    pub admin: bool,
    pub expires_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Purpose {
    Confirm,
    Reset,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Token {
    email: String,
    purpose: Purpose,
    expires_ms: u64,
}

/// A sign-up waiting for its confirmation (`PENDING_SIGNUPS`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Pending {
    password_hash: String,
    /// SHA-256 of the one confirmation token that activates this password.
    token: Vec<u8>,
    expires_ms: u64,
}

/// A token just mailed: the mail is held in the outbox until a notifier plugin has had the
/// chance to word it (`Outbox::release`).
#[derive(Clone, Debug)]
pub struct Mailed {
    /// The account id (0 for a sign-up: ids are allocated at confirmation).
    pub account: u64,
    pub email: String,
    pub token: String,
    /// The held mail's outbox id.
    pub mail: u64,
}

/// What a password check found (always after exactly one argon2 verification).
pub enum Verified {
    /// The password of a user.
    User(User),
    /// The password of a sign-up not yet confirmed.
    Pending,
    /// Wrong password, or no such address.
    Wrong,
}

fn dec<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, ApiError> {
    decode_row(b).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "storage error");
    ApiError::new(ErrorCode::Internal, "internal storage error")
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_key(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn invalid_token() -> ApiError {
    ApiError::new(ErrorCode::InvalidToken, "unknown or expired token")
}

/// A new password's length (checked before any hashing).
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "a password needs 8 to 1024 characters"));
    }
    Ok(())
}

/// Hash a password with argon2id (a fresh salt each time). ~19 MiB and tens of ms: call it
/// only under a [`Auth::hashing`] permit, on a blocking thread.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    check_password(password)?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng)).map_err(internal)?.to_string())
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The hash an unknown address's password is checked against, so that it costs what a
/// known one does (same parameters; no password matches it in practice).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).expect("hash a random password"))
}

fn get_user(tx: &redb::WriteTransaction, email: &str) -> Result<Option<User>, ApiError> {
    let users = tx.open_table(USERS).map_err(internal)?;
    let found = users.get(email).map_err(internal)?;
    found.map(|v| dec(v.value())).transpose()
}

fn put_user(tx: &redb::WriteTransaction, user: &User) -> Result<(), ApiError> {
    tx.open_table(USERS).map_err(internal)?.insert(user.email.as_str(), encode_row(user).as_slice()).map_err(internal)?;
    Ok(())
}

/// Allocate the next account id and create a user for it (with its reverse index row).
fn create_user(tx: &redb::WriteTransaction, email: &str, password_hash: String, confirmed: bool, admin: bool) -> Result<User, ApiError> {
    let mut meta = tx.open_table(META).map_err(internal)?;
    let account = meta.get(NEXT_ACCOUNT).map_err(internal)?.map_or(FIRST_ACCOUNT, |v| v.value());
    meta.insert(NEXT_ACCOUNT, account + 1).map_err(internal)?;
    let user = User { account, email: email.into(), password_hash, confirmed, admin };
    put_user(tx, &user)?;
    tx.open_table(ACCOUNT_EMAIL).map_err(internal)?.insert(account, email).map_err(internal)?;
    Ok(user)
}

pub struct Auth {
    store: Arc<Store>,
    pub outbox: Arc<Outbox>,
    session_ttl_ms: u64,
    lockout: Arc<Lockout>,
    lockout_failures: u32,
    lockout_account_failures: u32,
    pub limits: Limits,
    /// Permits for argon2 computations: acquire one before `spawn_blocking` (the number
    /// running at once bounds their memory, ~19 MiB each, and their cores).
    pub hashing: Arc<Semaphore>,
}

impl Auth {
    pub fn new(store: Arc<Store>, outbox: Arc<Outbox>, config: &Config) -> anyhow::Result<Auth> {
        let tx = store.db().begin_write()?;
        tx.open_table(USERS)?;
        tx.open_table(ACCOUNT_EMAIL)?;
        tx.open_table(SESSIONS)?;
        tx.open_table(TOKENS)?;
        tx.open_table(PENDING_SIGNUPS)?;
        tx.open_table(RESET_TOKENS)?;
        tx.open_table(META)?;
        tx.commit()?;
        dummy_hash();
        Ok(Auth {
            store,
            outbox,
            session_ttl_ms: config.session_ttl_secs * 1000,
            lockout: Lockout::new(Duration::from_secs(config.lockout_window_secs)),
            lockout_failures: config.lockout_failures,
            lockout_account_failures: config.lockout_account_failures,
            limits: Limits::new(config.auth_rate_per_address, config.auth_rate_per_connection, Duration::from_secs(config.account_mail_interval_secs)),
            hashing: Arc::new(Semaphore::new(config.hash_permits())),
        })
    }

    fn db(&self) -> &Database {
        self.store.db()
    }

    pub fn user(&self, email: &str) -> Result<Option<User>, ApiError> {
        let email = parse_email(email)?;
        let tx = self.db().begin_read().map_err(internal)?;
        let users = tx.open_table(USERS).map_err(internal)?;
        let found = users.get(email.as_str()).map_err(internal)?;
        found.map(|v| dec(v.value())).transpose()
    }

    /// Every user (for `entrepot export`).
    pub fn users(&self) -> Result<Vec<User>, ApiError> {
        let tx = self.db().begin_read().map_err(internal)?;
        let users = tx.open_table(USERS).map_err(internal)?;
        let mut out = Vec::new();
        for row in users.iter().map_err(internal)? {
            let (_, v) = row.map_err(internal)?;
            out.push(dec(v.value())?);
        }
        Ok(out)
    }

    /// Create the confirmed admin user (server start; the caller opens its engine account).
    pub fn create_admin(&self, email: &str, password: &str) -> Result<User, ApiError> {
        let email = parse_email(email)?;
        let password_hash = hash_password(password)?;
        let tx = self.db().begin_write().map_err(internal)?;
        let user = create_user(&tx, &email, password_hash, true, true)?;
        tx.commit().map_err(internal)?;
        Ok(user)
    }

    /// Record a sign-up of `email` (already parsed) with a hashed password. For an
    /// address with a confirmed user nothing changes and its owner is mailed (at most once
    /// per `account_mail_interval_secs`); `None`. Otherwise the pending sign-up is
    /// (re)placed with a new token, which invalidates any earlier one, and the held
    /// confirmation mail is returned.
    pub fn signup(&self, email: &str, password_hash: String) -> Result<Option<Mailed>, ApiError> {
        let tx = self.db().begin_write().map_err(internal)?;
        if get_user(&tx, email)?.is_some_and(|u| u.confirmed) {
            if self.limits.may_mail(email) {
                let body = "Someone (maybe you) tried to sign up to Entrepot with this address, which already has an account.\n\nNothing was changed. If you forgot your password, request a password reset.\n";
                self.outbox.queue(&tx, email, "Sign-up attempt with your Entrepot address", body, 0).map_err(internal)?;
            }
            tx.commit().map_err(internal)?;
            self.outbox.wake();
            return Ok(None);
        }
        let token = random_token();
        let pending = Pending { password_hash, token: token_key(&token), expires_ms: now_ms() + CONFIRM_TTL_MS };
        tx.open_table(PENDING_SIGNUPS).map_err(internal)?.insert(email, encode_row(&pending).as_slice()).map_err(internal)?;
        let body = format!(
            "Welcome to Entrepot!\n\nConfirm your account with this token:\n\n    {token}\n\n(entrepot account confirm --email {email} --token {token})\n"
        );
        let mail = self.outbox.queue(&tx, email, "Confirm your Entrepot account", &body, HOLD_MS).map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(Some(Mailed { account: 0, email: email.into(), token, mail }))
    }

    fn put_token(&self, tx: &redb::WriteTransaction, token: &str, email: &str, purpose: Purpose, ttl_ms: u64) -> Result<(), ApiError> {
        let t = Token { email: email.into(), purpose, expires_ms: now_ms() + ttl_ms };
        tx.open_table(TOKENS).map_err(internal)?.insert(token_key(token).as_slice(), encode_row(&t).as_slice()).map_err(internal)?;
        Ok(())
    }

    /// Consume a token of the given purpose for `email`.
    fn take_token(&self, tx: &redb::WriteTransaction, token: &str, email: &str, purpose: Purpose) -> Result<(), ApiError> {
        let mut tokens = tx.open_table(TOKENS).map_err(internal)?;
        let key = token_key(token);
        let found: Option<Token> = tokens.get(key.as_slice()).map_err(internal)?.map(|v| dec(v.value())).transpose()?;
        match found {
            Some(t) if t.email == email && t.purpose == purpose && t.expires_ms > now_ms() => {
                tokens.remove(key.as_slice()).map_err(internal)?;
                Ok(())
            }
            _ => Err(invalid_token()),
        }
    }

    /// Mail an account's owner (a notifier's e-mail). Accounts without a login are skipped.
    pub fn mail_account(&self, account: u64, subject: &str, body: &str) -> Result<(), ApiError> {
        let email = {
            let tx = self.db().begin_read().map_err(internal)?;
            let index = tx.open_table(ACCOUNT_EMAIL).map_err(internal)?;
            let found = index.get(account).map_err(internal)?;
            match found {
                Some(v) => v.value().to_string(),
                None => return Ok(()),
            }
        };
        let tx = self.db().begin_write().map_err(internal)?;
        self.outbox.queue(&tx, &email, subject, body, 0).map_err(internal)?;
        tx.commit().map_err(internal)?;
        self.outbox.wake();
        Ok(())
    }

    /// Confirm an e-mail address with the token of its latest sign-up: the user is created
    /// with that sign-up's password (or, if it already exists unconfirmed, gets it).
    /// Returns the user and whether it has just become confirmed (starting cash is due).
    pub fn confirm(&self, email: &str, token: &str) -> Result<(User, bool), ApiError> {
        let email = parse_email(email)?;
        let tx = self.db().begin_write().map_err(internal)?;
        let pending: Option<Pending> = {
            let table = tx.open_table(PENDING_SIGNUPS).map_err(internal)?;
            let found = table.get(email.as_str()).map_err(internal)?;
            found.map(|v| dec(v.value())).transpose()?
        };
        let (user, fresh) = match pending {
            Some(p) => {
                if p.token != token_key(token) || p.expires_ms <= now_ms() {
                    return Err(invalid_token());
                }
                tx.open_table(PENDING_SIGNUPS).map_err(internal)?.remove(email.as_str()).map_err(internal)?;
                match get_user(&tx, &email)? {
                    Some(u) if u.confirmed => (u, false),
                    Some(mut u) => {
                        u.confirmed = true;
                        u.password_hash = p.password_hash;
                        put_user(&tx, &u)?;
                        (u, true)
                    }
                    None => (create_user(&tx, &email, p.password_hash, true, false)?, true),
                }
            }
            // A sign-up made before pending records (its token is in `TOKENS`).
            None => {
                self.take_token(&tx, token, &email, Purpose::Confirm)?;
                let mut user = get_user(&tx, &email)?.ok_or_else(invalid_token)?;
                let fresh = !user.confirmed;
                user.confirmed = true;
                put_user(&tx, &user)?;
                (user, fresh)
            }
        };
        tx.commit().map_err(internal)?;
        Ok((user, fresh))
    }

    /// Testing mode (`allow_unconfirmed_login`): the right password of a pending sign-up
    /// logs in at once. The user is created unconfirmed (no starting cash) and the pending
    /// record stays, so the mailed token still confirms it later.
    pub fn activate_unconfirmed(&self, email: &str) -> Result<(User, bool), ApiError> {
        let tx = self.db().begin_write().map_err(internal)?;
        let pending: Option<Pending> = {
            let table = tx.open_table(PENDING_SIGNUPS).map_err(internal)?;
            let found = table.get(email).map_err(internal)?;
            found.map(|v| dec(v.value())).transpose()?
        };
        let (user, created) = match (get_user(&tx, email)?, pending) {
            (Some(u), _) => (u, false),
            (None, Some(p)) => (create_user(&tx, email, p.password_hash, false, false)?, true),
            (None, None) => return Err(ApiError::new(ErrorCode::InvalidCredentials, "wrong e-mail or password")),
        };
        tx.commit().map_err(internal)?;
        Ok((user, created))
    }

    /// Reserve a login attempt for `email` (parsed) from `ip`, before any hashing.
    pub fn reserve_login(&self, email: &str, ip: IpAddr) -> Result<Reservation, ApiError> {
        let admin = self.user(email)?.is_some_and(|u| u.admin);
        let mut keys = vec![
            Key { key: format!("pair:{ip}|{email}"), limit: self.lockout_failures, cleared_by_success: true },
            Key { key: format!("ip:{ip}"), limit: self.lockout_failures.saturating_mul(4), cleared_by_success: false },
        ];
        if !admin {
            keys.push(Key { key: format!("email:{email}"), limit: self.lockout_account_failures, cleared_by_success: true });
        }
        self.lockout.reserve(keys)
    }

    /// Check a password with exactly one argon2 verification, whether or not the address
    /// is known (an unknown one is checked against a dummy hash). Blocking: call under a
    /// hashing permit.
    pub fn verify(&self, email: &str, password: &str) -> Result<Verified, ApiError> {
        let tx = self.db().begin_read().map_err(internal)?;
        let user: Option<User> = tx.open_table(USERS).map_err(internal)?.get(email).map_err(internal)?.map(|v| dec(v.value())).transpose()?;
        let pending: Option<Pending> = match &user {
            Some(_) => None,
            None => tx.open_table(PENDING_SIGNUPS).map_err(internal)?.get(email).map_err(internal)?.map(|v| dec(v.value())).transpose()?,
        };
        let hash = match (&user, &pending) {
            (Some(u), _) => u.password_hash.as_str(),
            (None, Some(p)) => p.password_hash.as_str(),
            (None, None) => dummy_hash(),
        };
        let right = verify_password(hash, password);
        Ok(match (right, user, pending) {
            (true, Some(u), _) => Verified::User(u),
            (true, None, Some(_)) => Verified::Pending,
            _ => Verified::Wrong,
        })
    }

    /// Open a session for a verified user; returns (token, session).
    pub fn new_session(&self, account: u64, admin: bool) -> Result<(String, Session), ApiError> {
        let token = random_token();
        let session = Session { account, admin, expires_ms: now_ms() + self.session_ttl_ms };
        let tx = self.db().begin_write().map_err(internal)?;
        tx.open_table(SESSIONS).map_err(internal)?.insert(token_key(&token).as_slice(), encode_row(&session).as_slice()).map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok((token, session))
    }

    /// The live session behind a token.
    pub fn session(&self, token: &str) -> Result<Session, ApiError> {
        let tx = self.db().begin_read().map_err(internal)?;
        let t = tx.open_table(SESSIONS).map_err(internal)?;
        let found: Option<Session> = t.get(token_key(token).as_slice()).map_err(internal)?.map(|v| dec(v.value())).transpose()?;
        found.filter(|s| s.expires_ms > now_ms()).ok_or_else(|| ApiError::new(ErrorCode::NotAuthenticated, "unknown or expired session"))
    }

    /// Replace a session token with a fresh one (same account, new expiry).
    pub fn refresh(&self, token: &str) -> Result<(String, Session), ApiError> {
        let s = self.session(token)?;
        self.end_session(token)?;
        self.new_session(s.account, s.admin)
    }

    pub fn end_session(&self, token: &str) -> Result<(), ApiError> {
        let tx = self.db().begin_write().map_err(internal)?;
        tx.open_table(SESSIONS).map_err(internal)?.remove(token_key(token).as_slice()).map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(())
    }

    /// Queue a reset token mail (held: see [`Mailed`]) if `email` (parsed) has a user and
    /// was not mailed within `account_mail_interval_secs`; `None` otherwise, which the
    /// caller must not reveal (it runs after the answer). The new token replaces the
    /// account's previous one: at most one live reset token per account.
    pub fn request_reset(&self, email: &str) -> Result<Option<Mailed>, ApiError> {
        let Some(user) = self.user(email)? else {
            return Ok(None);
        };
        if !self.limits.may_mail(email) {
            return Ok(None);
        }
        let token = random_token();
        let tx = self.db().begin_write().map_err(internal)?;
        {
            let mut live = tx.open_table(RESET_TOKENS).map_err(internal)?;
            let old = live.insert(email, token_key(&token).as_slice()).map_err(internal)?.map(|v| v.value().to_vec());
            if let Some(old) = old {
                tx.open_table(TOKENS).map_err(internal)?.remove(old.as_slice()).map_err(internal)?;
            }
        }
        self.put_token(&tx, &token, email, Purpose::Reset, RESET_TTL_MS)?;
        let body = format!("Reset your Entrepot password with this token (valid for one hour):\n\n    {token}\n");
        let mail = self.outbox.queue(&tx, email, "Reset your Entrepot password", &body, HOLD_MS).map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(Some(Mailed { account: user.account, email: email.into(), token, mail }))
    }

    /// Set a new password (already hashed) with a reset token; every session of the
    /// account ends.
    pub fn reset(&self, email: &str, token: &str, password_hash: String) -> Result<(), ApiError> {
        let tx = self.db().begin_write().map_err(internal)?;
        self.take_token(&tx, token, email, Purpose::Reset)?;
        tx.open_table(RESET_TOKENS).map_err(internal)?.remove(email).map_err(internal)?;
        {
            let mut user = get_user(&tx, email)?.ok_or_else(invalid_token)?;
            user.password_hash = password_hash;
            put_user(&tx, &user)?;
            let mut sessions = tx.open_table(SESSIONS).map_err(internal)?;
            let stale: Vec<Vec<u8>> = sessions
                .iter()
                .map_err(internal)?
                .filter_map(std::result::Result::ok)
                .filter(|(_, v)| dec::<Session>(v.value()).is_ok_and(|s| s.account == user.account))
                .map(|(k, _)| k.value().to_vec())
                .collect();
            for k in stale {
                sessions.remove(k.as_slice()).map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)?;
        Ok(())
    }
}
