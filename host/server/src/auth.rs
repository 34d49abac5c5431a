//! Accounts and sessions, kept in the server's redb tables (not in the engine: they are
//! not part of the economy). Passwords are hashed with argon2id; session, confirmation
//! and reset tokens are random and stored only as SHA-256 hashes. Mails are queued in the
//! outbox (`crate::mail`) in the same transaction as the token they carry.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use entrepot_protocol::{ApiError, ErrorCode};
use entrepot_store::codec::{decode_row, encode_row};
use entrepot_store::schema::{ACCOUNT_EMAIL, META, NEXT_ACCOUNT, SESSIONS, TOKENS, USERS};
use entrepot_store::Store;
use rand::RngCore;
use redb::{Database, ReadableDatabase, ReadableTable};

use crate::clock::now_ms;
use crate::mail::Outbox;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// First player account id; lower ids are reserved (0 = the system actor).
const FIRST_ACCOUNT: u64 = 1_000;
/// A confirmation or reset mail waits this long for a notifier plugin's text before the
/// built-in text goes out anyway (a crash between the two must not lose the token).
const HOLD_MS: u64 = 30_000;

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

/// A token just mailed: the mail is held in the outbox until a notifier plugin has had the
/// chance to word it (`Outbox::release`).
#[derive(Clone, Debug)]
pub struct Mailed {
    pub account: u64,
    pub email: String,
    pub token: String,
    /// The held mail's outbox id.
    pub mail: u64,
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

fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_ascii_lowercase();
    let ok = email.len() <= 254 && email.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.starts_with('.'));
    if !ok {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "not a valid e-mail address"));
    }
    Ok(email)
}

/// Check a new password's length and hash it with argon2id (a fresh salt each time).
fn hash_password(password: &str) -> Result<String, ApiError> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "a password needs 8 to 1024 characters"));
    }
    Ok(Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng)).map_err(internal)?.to_string())
}

/// Change a user record inside a write transaction (after its token was consumed).
fn update_user(tx: &redb::WriteTransaction, email: &str, change: impl FnOnce(&mut User)) -> Result<User, ApiError> {
    let mut users = tx.open_table(USERS).map_err(internal)?;
    let mut user: User = match users.get(email).map_err(internal)? {
        Some(v) => dec(v.value())?,
        None => return Err(ApiError::new(ErrorCode::InvalidToken, "unknown or expired token")),
    };
    change(&mut user);
    users.insert(email, encode_row(&user).as_slice()).map_err(internal)?;
    Ok(user)
}

/// Failed-login counting per account and per address, with lockout.
struct Lockout {
    failures: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Lockout {
    fn check(&self, key: &str, limit: u32) -> Result<(), ApiError> {
        let seen = self.seen.lock().expect("lock");
        if let Some(&(n, since)) = seen.get(key) {
            let elapsed = since.elapsed();
            if n >= limit && elapsed < self.window {
                let mut e = ApiError::new(ErrorCode::LockedOut, "too many failed logins; try again later");
                e.retry_after_ms = Some(self.window.checked_sub(elapsed).unwrap().as_millis() as u64);
                return Err(e);
            }
        }
        Ok(())
    }

    fn fail(&self, key: String) {
        let mut seen = self.seen.lock().expect("lock");
        let entry = seen.entry(key).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    fn clear(&self, key: &str) {
        self.seen.lock().expect("lock").remove(key);
    }
}

pub struct Auth {
    store: Arc<Store>,
    pub outbox: Arc<Outbox>,
    session_ttl_ms: u64,
    lockout: Lockout,
}

impl Auth {
    pub fn new(store: Arc<Store>, outbox: Arc<Outbox>, session_ttl_secs: u64, failures: u32, window_secs: u64) -> anyhow::Result<Auth> {
        let tx = store.db().begin_write()?;
        tx.open_table(USERS)?;
        tx.open_table(ACCOUNT_EMAIL)?;
        tx.open_table(SESSIONS)?;
        tx.open_table(TOKENS)?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(Auth {
            store,
            outbox,
            session_ttl_ms: session_ttl_secs * 1000,
            lockout: Lockout { failures, window: Duration::from_secs(window_secs), seen: Mutex::new(HashMap::new()) },
        })
    }

    fn db(&self) -> &Database {
        self.store.db()
    }

    pub fn user(&self, email: &str) -> Result<Option<User>, ApiError> {
        let email = normalize_email(email)?;
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

    /// Create a user (unconfirmed unless `admin`), allocate its account id and queue the
    /// confirmation mail (held: see [`Mailed`]). The caller opens the engine account.
    pub fn signup(&self, email: &str, password: &str, admin: bool) -> Result<(User, Option<Mailed>), ApiError> {
        let email = normalize_email(email)?;
        let password_hash = hash_password(password)?;
        let tx = self.db().begin_write().map_err(internal)?;
        let user = {
            let mut users = tx.open_table(USERS).map_err(internal)?;
            if users.get(email.as_str()).map_err(internal)?.is_some() {
                return Err(ApiError::new(ErrorCode::EmailTaken, "an account with this e-mail exists"));
            }
            let mut meta = tx.open_table(META).map_err(internal)?;
            let account = meta.get(NEXT_ACCOUNT).map_err(internal)?.map_or(FIRST_ACCOUNT, |v| v.value());
            meta.insert(NEXT_ACCOUNT, account + 1).map_err(internal)?;
            let user = User { account, email: email.clone(), password_hash, confirmed: admin, admin };
            users.insert(email.as_str(), encode_row(&user).as_slice()).map_err(internal)?;
            tx.open_table(ACCOUNT_EMAIL).map_err(internal)?.insert(account, email.as_str()).map_err(internal)?;
            user
        };
        let mailed = if admin {
            None
        } else {
            let token = random_token();
            self.put_token(&tx, &token, &email, Purpose::Confirm, 7 * 24 * 3600 * 1000)?;
            let body = format!(
                "Welcome to Entrepot!\n\nConfirm your account with this token:\n\n    {token}\n\n(entrepot account confirm --email {email} --token {token})\n"
            );
            let mail = self.outbox.queue(&tx, &email, "Confirm your Entrepot account", &body, HOLD_MS).map_err(internal)?;
            Some(Mailed { account: user.account, email: email.clone(), token, mail })
        };
        tx.commit().map_err(internal)?;
        Ok((user, mailed))
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
            _ => Err(ApiError::new(ErrorCode::InvalidToken, "unknown or expired token")),
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

    /// Confirm an e-mail address. Returns the user (now confirmed).
    pub fn confirm(&self, email: &str, token: &str) -> Result<User, ApiError> {
        let email = normalize_email(email)?;
        let tx = self.db().begin_write().map_err(internal)?;
        self.take_token(&tx, token, &email, Purpose::Confirm)?;
        let user = update_user(&tx, &email, |u| u.confirmed = true)?;
        tx.commit().map_err(internal)?;
        Ok(user)
    }

    /// Check a password (with lockout) and open a session; returns (token, session).
    pub fn login(&self, email: &str, password: &str, ip: IpAddr, allow_unconfirmed: bool) -> Result<(String, Session), ApiError> {
        let email = normalize_email(email)?;
        let (account_key, ip_key) = (format!("account:{email}"), format!("ip:{ip}"));
        self.lockout.check(&account_key, self.lockout.failures)?;
        self.lockout.check(&ip_key, self.lockout.failures * 4)?;
        let user = self.user(&email)?;
        let ok = user
            .as_ref()
            .is_some_and(|u| PasswordHash::new(&u.password_hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()));
        let Some(user) = user.filter(|_| ok) else {
            self.lockout.fail(account_key);
            self.lockout.fail(ip_key);
            return Err(ApiError::new(ErrorCode::InvalidCredentials, "wrong e-mail or password"));
        };
        self.lockout.clear(&account_key);
        if !user.confirmed && !allow_unconfirmed {
            return Err(ApiError::new(ErrorCode::EmailNotConfirmed, "confirm your e-mail first (see the mail we sent)"));
        }
        self.new_session(user.account, user.admin)
    }

    fn new_session(&self, account: u64, admin: bool) -> Result<(String, Session), ApiError> {
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

    /// Queue a reset token mail (held: see [`Mailed`]) if the address is known; `None`
    /// otherwise, which the caller must not reveal.
    pub fn request_reset(&self, email: &str) -> Result<Option<Mailed>, ApiError> {
        let email = normalize_email(email)?;
        let Some(user) = self.user(&email)? else {
            return Ok(None);
        };
        let token = random_token();
        let tx = self.db().begin_write().map_err(internal)?;
        self.put_token(&tx, &token, &email, Purpose::Reset, 3600 * 1000)?;
        let body = format!("Reset your Entrepot password with this token (valid for one hour):\n\n    {token}\n");
        let mail = self.outbox.queue(&tx, &email, "Reset your Entrepot password", &body, HOLD_MS).map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(Some(Mailed { account: user.account, email, token, mail }))
    }

    /// Set a new password with a reset token; every session of the account ends.
    pub fn reset(&self, email: &str, token: &str, new_password: &str) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        let password_hash = hash_password(new_password)?;
        let tx = self.db().begin_write().map_err(internal)?;
        self.take_token(&tx, token, &email, Purpose::Reset)?;
        {
            let user = update_user(&tx, &email, |u| u.password_hash = password_hash)?;
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
