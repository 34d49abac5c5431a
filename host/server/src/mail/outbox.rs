//! The outbox: e-mails waiting for delivery, in redb (`mail_outbox`: id → [`Mail`]).
//!
//! A mail is queued inside the caller's write transaction, so it exists exactly when what
//! caused it does. The delivery thread takes the due ones ([`Outbox::due`]), removes each
//! once delivered ([`Outbox::delivered`]) and reschedules it on failure
//! ([`Outbox::failed`]: 1 s, 2 s, 4 s, ... up to [`Backoff::max_ms`]). A mail the relay
//! refuses permanently, or that failed [`Backoff::max_attempts`] times, moves to the
//! dead letters (`mail_dead`, [`Outbox::dead_letters`], `entrepot dead-letters`): never
//! dropped, never retried for ever.
//! [`Outbox::wake`] tells the thread about new mail at once.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::Context;
use entrepot_store::codec::{decode_row, encode_row};
use entrepot_store::schema::{LEGACY_OUTBOX, MAIL_DEAD, MAIL_OUTBOX as OUTBOX, META, NEXT_MAIL};
use entrepot_store::Store;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;

/// One e-mail in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: u64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_ms: u64,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// Not tried before this time (wall-clock ms).
    pub next_attempt_ms: u64,
    pub last_error: Option<String>,
}

/// Retry delays: `first_ms`, doubling after each failure, at most `max_ms`; after
/// `max_attempts` failures the mail is a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub first_ms: u64,
    pub max_ms: u64,
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { first_ms: 1_000, max_ms: 300_000, max_attempts: 20 }
    }
}

/// What became of a mail after a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failed {
    /// Rescheduled (the mail as it now stands).
    Retry(Mail),
    /// Moved to the dead letters.
    Dead(Mail),
    /// Not in the outbox any more.
    Gone,
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1, 2, ...).
    pub fn delay_ms(&self, attempts: u32) -> u64 {
        let doublings = attempts.saturating_sub(1).min(32);
        self.first_ms.saturating_mul(1u64 << doublings).min(self.max_ms)
    }
}

fn dec(bytes: &[u8]) -> anyhow::Result<Mail> {
    decode_row(bytes).context("outbox row")
}

pub struct Outbox {
    store: Arc<Store>,
    backoff: Backoff,
    /// Set by `wake`, cleared by the delivery thread when it looks at the outbox.
    signal: Mutex<bool>,
    wakeup: Condvar,
}

impl Outbox {
    pub fn open(store: Arc<Store>, backoff: Backoff) -> anyhow::Result<Arc<Outbox>> {
        let tx = store.db().begin_write()?;
        tx.open_table(OUTBOX)?;
        tx.open_table(MAIL_DEAD)?;
        tx.open_table(META)?;
        if let Ok(legacy) = tx.open_table(LEGACY_OUTBOX) {
            let delivered = legacy.len()?;
            drop(legacy);
            tx.delete_table(LEGACY_OUTBOX)?;
            if delivered > 0 {
                tracing::info!(delivered, "dropped the old outbox table (its mails were written to the maildir)");
            }
        }
        tx.commit()?;
        Ok(Arc::new(Outbox { store, backoff, signal: Mutex::new(false), wakeup: Condvar::new() }))
    }

    /// Queue a mail inside `tx`; it is due `hold_ms` from now. Call [`Outbox::wake`] once
    /// `tx` is committed.
    pub fn queue(&self, tx: &WriteTransaction, to: &str, subject: &str, body: &str, hold_ms: u64) -> anyhow::Result<u64> {
        let mut meta = tx.open_table(META)?;
        let id = meta.get(NEXT_MAIL)?.map_or(1, |v| v.value());
        meta.insert(NEXT_MAIL, id + 1)?;
        let now = now_ms();
        let mail = Mail {
            id,
            to: to.into(),
            subject: subject.into(),
            body: body.into(),
            created_ms: now,
            attempts: 0,
            next_attempt_ms: now + hold_ms,
            last_error: None,
        };
        tx.open_table(OUTBOX)?.insert(id, encode_row(&mail).as_slice())?;
        Ok(id)
    }

    /// Make a held mail due now, with a new subject and body if given (a notifier's text in
    /// place of the built-in one). A mail already gone is fine.
    pub fn release(&self, id: u64, text: Option<(String, String)>) -> anyhow::Result<()> {
        let tx = self.store.db().begin_write()?;
        {
            let mut table = tx.open_table(OUTBOX)?;
            let found = table.get(id)?.map(|v| dec(v.value())).transpose()?;
            if let Some(mut mail) = found {
                if let Some((subject, body)) = text {
                    mail.subject = subject;
                    mail.body = body;
                }
                mail.next_attempt_ms = mail.next_attempt_ms.min(now_ms());
                table.insert(id, encode_row(&mail).as_slice())?;
            }
        }
        tx.commit()?;
        self.wake();
        Ok(())
    }

    /// Up to `limit` mails due at `now`, the longest-waiting first.
    pub fn due(&self, now: u64, limit: usize) -> anyhow::Result<Vec<Mail>> {
        let mut due: Vec<Mail> = self.all()?.into_iter().filter(|m| m.next_attempt_ms <= now).collect();
        due.sort_by_key(|m| (m.next_attempt_ms, m.id));
        due.truncate(limit);
        Ok(due)
    }

    /// Every mail waiting, by id.
    pub fn all(&self) -> anyhow::Result<Vec<Mail>> {
        let tx = self.store.db().begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(dec(row?.1.value())?);
        }
        Ok(out)
    }

    /// When the next mail is due, if any is waiting.
    pub fn next_due(&self) -> anyhow::Result<Option<u64>> {
        Ok(self.all()?.iter().map(|m| m.next_attempt_ms).min())
    }

    /// The mail was accepted by the relay (or written to the maildir): forget it.
    pub fn delivered(&self, id: u64) -> anyhow::Result<()> {
        let tx = self.store.db().begin_write()?;
        tx.open_table(OUTBOX)?.remove(id)?;
        tx.commit()?;
        Ok(())
    }

    /// A delivery attempt failed at `now`: count it and schedule the next one, or, when the
    /// failure is `permanent` or the attempts are used up, move the mail to the dead
    /// letters (one transaction).
    pub fn failed(&self, id: u64, error: &str, now: u64, permanent: bool) -> anyhow::Result<Failed> {
        let tx = self.store.db().begin_write()?;
        let outcome = {
            let mut table = tx.open_table(OUTBOX)?;
            let found = table.get(id)?.map(|v| dec(v.value())).transpose()?;
            let Some(mut mail) = found else { return Ok(Failed::Gone) };
            mail.attempts = mail.attempts.saturating_add(1);
            mail.next_attempt_ms = now + self.backoff.delay_ms(mail.attempts);
            mail.last_error = Some(error.chars().take(500).collect());
            if permanent || mail.attempts >= self.backoff.max_attempts {
                table.remove(id)?;
                tx.open_table(MAIL_DEAD)?.insert(id, encode_row(&mail).as_slice())?;
                Failed::Dead(mail)
            } else {
                table.insert(id, encode_row(&mail).as_slice())?;
                Failed::Retry(mail)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Every dead letter, by id (for the operator: `entrepot dead-letters`).
    pub fn dead_letters(&self) -> anyhow::Result<Vec<Mail>> {
        let tx = self.store.db().begin_read()?;
        let Ok(table) = tx.open_table(MAIL_DEAD) else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(dec(row?.1.value())?);
        }
        Ok(out)
    }

    /// Tell the delivery thread that mail was queued or released.
    pub fn wake(&self) {
        *self.signal.lock().expect("lock") = true;
        self.wakeup.notify_all();
    }

    /// Sleep until woken or `timeout` passes; true when woken.
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.signal.lock().expect("lock");
        let (mut woken, _) = self.wakeup.wait_timeout_while(guard, timeout, |woken| !*woken).expect("lock");
        std::mem::replace(&mut *woken, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &std::path::Path, backoff: Backoff) -> Arc<Outbox> {
        Outbox::open(Arc::new(Store::open(dir).unwrap()), backoff).unwrap()
    }

    fn queue(outbox: &Outbox, to: &str, hold_ms: u64) -> u64 {
        let tx = outbox.store.db().begin_write().unwrap();
        let id = outbox.queue(&tx, to, "Hello", "Body", hold_ms).unwrap();
        tx.commit().unwrap();
        id
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_the_cap() {
        let b = Backoff::default();
        let delays: Vec<u64> = (1..=11).map(|n| b.delay_ms(n)).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
        assert_eq!(b.delay_ms(u32::MAX), 300_000, "no overflow however often it fails");
        assert_eq!(Backoff { first_ms: 1_000, max_ms: 1_500, max_attempts: 20 }.delay_ms(3), 1_500);
    }

    #[test]
    fn failures_reschedule_and_nothing_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = open(dir.path(), Backoff::default());
        let a = queue(&outbox, "a@example.com", 0);
        let b = queue(&outbox, "b@example.com", 0);
        assert_eq!((a, b), (1, 2));
        let now = now_ms() + 10;
        assert_eq!(outbox.due(now, 10).unwrap().len(), 2);

        let mut at = now;
        for (attempt, delay) in [(1, 1_000), (2, 2_000), (3, 4_000)] {
            let Failed::Retry(mail) = outbox.failed(a, "connection refused", at, false).unwrap() else { panic!() };
            assert_eq!((mail.attempts, mail.next_attempt_ms), (attempt, at + delay));
            assert_eq!(mail.last_error.as_deref(), Some("connection refused"));
            // Not due until the delay has passed; the other mail is.
            assert_eq!(outbox.due(at + delay - 1, 10).unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), [b]);
            at += delay;
            assert_eq!(outbox.due(at, 10).unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), [b, a]);
        }
        let b_due = outbox.all().unwrap().iter().find(|m| m.id == b).unwrap().next_attempt_ms;
        assert_eq!(outbox.next_due().unwrap(), Some(b_due));
        outbox.delivered(b).unwrap();
        assert_eq!(outbox.all().unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), [a]);
    }

    #[test]
    fn the_outbox_survives_a_restart_and_ids_keep_counting() {
        let dir = tempfile::tempdir().unwrap();
        let (id, failed) = {
            let outbox = open(dir.path(), Backoff::default());
            let id = queue(&outbox, "a@example.com", 0);
            let Failed::Retry(failed) = outbox.failed(id, "relay down", 1_000, false).unwrap() else { panic!() };
            (id, failed)
        };
        let outbox = open(dir.path(), Backoff::default());
        assert_eq!(outbox.all().unwrap(), std::slice::from_ref(&failed));
        assert_eq!((failed.id, failed.attempts, failed.next_attempt_ms), (id, 1, 2_000));
        assert_eq!(queue(&outbox, "b@example.com", 0), id + 1);
    }

    #[test]
    fn held_mail_waits_until_released_with_its_new_text() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = open(dir.path(), Backoff::default());
        let id = queue(&outbox, "a@example.com", 60_000);
        assert!(outbox.due(now_ms(), 10).unwrap().is_empty());
        outbox.release(id, Some(("Subject".into(), "Text".into()))).unwrap();
        let due = outbox.due(now_ms(), 10).unwrap();
        assert_eq!((due[0].subject.as_str(), due[0].body.as_str()), ("Subject", "Text"));
        // Released wakes the delivery thread (once).
        assert!(outbox.wait(Duration::from_millis(1)));
        assert!(!outbox.wait(Duration::from_millis(1)));
        outbox.release(999, None).unwrap();
    }

    #[test]
    fn permanent_failures_and_used_up_attempts_become_dead_letters() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = open(dir.path(), Backoff { max_attempts: 2, ..Backoff::default() });
        let a = queue(&outbox, "a@example.com", 0);
        let b = queue(&outbox, "b@example.com", 0);
        let Failed::Dead(dead) = outbox.failed(a, "550 no such user", 10, true).unwrap() else { panic!("a 5xx is final") };
        assert_eq!((dead.id, dead.attempts, dead.last_error.as_deref()), (a, 1, Some("550 no such user")));
        assert!(matches!(outbox.failed(b, "timeout", 10, false).unwrap(), Failed::Retry(_)));
        assert!(matches!(outbox.failed(b, "timeout", 20, false).unwrap(), Failed::Dead(_)), "two attempts at most");
        assert!(outbox.all().unwrap().is_empty());
        assert_eq!(outbox.dead_letters().unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), [a, b]);
        assert_eq!(outbox.failed(a, "again", 30, false).unwrap(), Failed::Gone);
    }
}
