//! Every redb table of the data directory (`<data>/entrepot.redb`), in one place.
//!
//! Each table says what its key and value are, who writes it and in which transaction.
//! Values marked "row" are [`crate::codec`] rows (bincode, standard config, no header);
//! journal entries and snapshots are versioned records (`crate::format`). The layout of
//! the directory as a whole is `META[FORMAT_VERSION]` (see `crate::format`).

use redb::TableDefinition;

// ---- the store (engine input and state) ----

/// seq → versioned `JournalEntry {ctx, command, decisions}` (`journal::encode_entry`).
/// Written by the committer (`Store::append`), one durable transaction per batch, together
/// with that batch's `ACCOUNT_EVENTS`, `ACCOUNT_CURSORS`, `INBOX` rows and any snapshot.
/// Never truncated: it runs contiguously from seq 1, which is what lets recovery ignore
/// a snapshot it cannot read.
pub const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");

/// seq of the last command included → versioned engine snapshot
/// (`snapshot::encode_engine`). Written by the committer in the batch transaction of the
/// job that carries it, or by `Store::save_snapshot` in its own; the newest two are kept.
pub const SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("snapshots");

/// seq of the last command included → the server's derived market data at that command
/// (`entrepot_marketdata::MarketData::encode`), written in the same transaction as the
/// engine snapshot of that seq, so recovery resumes both from one point; the newest two
/// are kept. Derived, never a source of truth: a missing or unreadable one is rebuilt by
/// replaying the journal (`Store::replay`).
pub const MARKETDATA: TableDefinition<u64, &[u8]> = TableDefinition::new("marketdata");

/// (account, cursor) → one pushed event, encoded as a protocol `Push` frame: the durable
/// per-player stream a reconnecting client resumes from. Written by the committer in the
/// batch transaction of the command that produced it; the committer also deletes an
/// account's events older than its newest `keep_account_events` there (retention).
pub const ACCOUNT_EVENTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("account_events");

/// account → the last cursor written to [`ACCOUNT_EVENTS`]. Written by the committer in
/// the same batch transaction (one update per account per batch); read at server start.
pub const ACCOUNT_CURSORS: TableDefinition<u64, u64> = TableDefinition::new("account_cursors");

/// (account, cursor of the `Notice`) → inbox row (subject, body, created, read flag): an
/// in-game notification kept until read. Inserted by the committer in the batch
/// transaction of the push; the read flag is set by the server's `inbox::mark_read_in`,
/// also in a committer batch transaction (a `Job::write`).
pub const INBOX: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("inbox");

// ---- the server (accounts, sessions, mail) ----

/// normalized e-mail → `auth::User` row (account, password hash, confirmed, admin).
/// Written by `auth` at sign-up (with `ACCOUNT_EMAIL`, `META[NEXT_ACCOUNT]`, `TOKENS` and
/// the confirmation mail in `MAIL_OUTBOX`, one transaction), confirmation and password
/// reset.
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");

/// account → normalized e-mail (the login address), the reverse index of [`USERS`];
/// written in the sign-up transaction.
pub const ACCOUNT_EMAIL: TableDefinition<u64, &str> = TableDefinition::new("account_email");

/// SHA-256 of a session token → `auth::Session` row (account, admin, expiry). Written by
/// `auth` at login and removed at logout or password reset, each in its own transaction.
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");

/// SHA-256 of a confirmation or reset token → `auth::Token` row (e-mail, purpose,
/// expiry). Written by `auth` in the transaction that queues the mail carrying it;
/// removed when used.
pub const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tokens");

/// normalized e-mail → `auth::Pending` row (password hash, SHA-256 of the confirmation
/// token, expiry): a sign-up not yet confirmed. Written by `auth` at sign-up (replacing
/// any earlier one for the address, with its confirmation mail in `MAIL_OUTBOX`, one
/// transaction); removed at confirmation, which creates the `USERS` row.
pub const PENDING_SIGNUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("pending_signups");

/// normalized e-mail → SHA-256 of the account's one live reset token (also in
/// [`TOKENS`]). Written by `auth` with the reset mail (the previous token is removed from
/// `TOKENS` in the same transaction); removed when the token is used.
pub const RESET_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("reset_tokens");

/// mail id → `mail::Mail` row: dead letters, mails the relay refused permanently (5xx,
/// an address that cannot be sent) or that failed `mail_max_attempts` times. Moved here
/// from [`MAIL_OUTBOX`] by `Outbox::failed`, in one transaction; read by
/// `entrepot dead-letters`.
pub const MAIL_DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("mail_dead");

/// mail id → `mail::Mail` row (to, subject, body, created, attempts, next attempt, last
/// error). Queued inside the caller's transaction (`Outbox::queue`); updated by
/// `release`/`failed` and removed by `delivered`, each in its own transaction.
pub const MAIL_OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("mail_outbox");

/// The outbox of versions before `MAIL_OUTBOX`, which kept every mail here after writing
/// it to the maildir (so its mails were delivered). Deleted by `Outbox::open`; never
/// written.
pub const LEGACY_OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// name → u64: counters and markers shared by the store and the server. Keys:
/// [`FORMAT_VERSION`] (`Store::open`), [`NEXT_ACCOUNT`] (the sign-up transaction),
/// [`NEXT_MAIL`] (`Outbox::queue`, inside the caller's transaction).
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// `META` key: the storage layout of the data directory (`format::STORE_FORMAT`); absent
/// in directories written before layouts were versioned (layout 0).
pub const FORMAT_VERSION: &str = "format_version";
/// `META` key: the next player account id (from 1000).
pub const NEXT_ACCOUNT: &str = "next_account";
/// `META` key: the next outbox mail id (from 1).
pub const NEXT_MAIL: &str = "next_mail";
