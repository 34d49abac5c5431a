//! E-mail: a persisted outbox (`outbox`) and the thread that delivers it (`deliver`), to an
//! SMTP relay or, with none configured, to a maildir under the data directory.
//!
//! The one rule: nothing is lost when the relay is down. A mail is a row of the outbox,
//! written in the same redb transaction as what caused it (a sign-up and its token), and
//! the row goes only once the relay (or the maildir) has accepted the message; a failure
//! reschedules it with exponential backoff, and a restart reads the outbox back; a
//! permanent refusal or too many failures moves it to the dead letters, never drops it.

pub mod deliver;
pub mod outbox;

pub use deliver::Transport;
pub use outbox::{Backoff, Outbox};
