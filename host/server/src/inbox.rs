//! In-game notifications, kept until read: every `Notice` pushed to an account is also a
//! row of the store's `INBOX` table, written by the journal in the same transaction as the
//! push (the sequencer hands both to the committer). The row's id is the notice's cursor
//! on the account stream, so a client can mark a pushed notice read by its cursor.

use entrepot_protocol::{ApiError, ErrorCode, NotificationInfo};
use entrepot_store::codec::{decode_row, encode_row};
use entrepot_store::schema::INBOX;
use entrepot_store::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

/// The most notifications one list answers with.
pub const MAX_LIST: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    subject: String,
    body: String,
    created_ms: u64,
    read: bool,
}

/// The inbox row of a new notice.
pub fn encode(subject: &str, body: &str, created_ms: u64) -> Vec<u8> {
    let row = Stored { subject: subject.into(), body: body.into(), created_ms, read: false };
    encode_row(&row)
}

fn decode(bytes: &[u8]) -> Result<Stored, ApiError> {
    decode_row(bytes).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "inbox storage error");
    ApiError::new(ErrorCode::Internal, "internal storage error")
}

/// The account's notifications, newest first: at most `limit` (capped at [`MAX_LIST`]),
/// only the unread ones if asked.
pub fn list(store: &Store, account: u64, unread_only: bool, limit: u32) -> Result<Vec<NotificationInfo>, ApiError> {
    let tx = store.db().begin_read().map_err(internal)?;
    let table = match tx.open_table(INBOX) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(internal(e)),
    };
    let mut out = Vec::new();
    for row in table.range((account, 0)..=(account, u64::MAX)).map_err(internal)?.rev() {
        if out.len() >= limit.min(MAX_LIST) as usize {
            break;
        }
        let (key, value) = row.map_err(internal)?;
        let n = decode(value.value())?;
        if unread_only && n.read {
            continue;
        }
        out.push(NotificationInfo { id: key.value().1, subject: n.subject, body: n.body, created_ms: n.created_ms, read: n.read });
    }
    Ok(out)
}

/// Mark the given notifications of `account` read (all of them for `None`) inside `tx`;
/// returns how many were unread. Ids of other accounts or of nothing are ignored.
///
/// Runs in the journal's batch transaction (`Sequencer::write`), so a flood of marks
/// shares one durable commit with everything else queued; only a storage error is an
/// error (it fails the batch: fail-stop), an undecodable row is logged and left alone.
pub fn mark_read_in(tx: &WriteTransaction, account: u64, ids: Option<&[u64]>) -> Result<u64, StoreError> {
    let mut changed = 0;
    let mut table = tx.open_table(INBOX)?;
    let ids: Vec<u64> = match ids {
        Some(ids) => ids.to_vec(),
        None => table.range((account, 0)..=(account, u64::MAX))?.map(|r| r.map(|(k, _)| k.value().1)).collect::<Result<_, _>>()?,
    };
    for id in ids {
        let Some(row) = table.get((account, id))?.map(|v| decode_row::<Stored>(v.value())) else { continue };
        match row {
            Ok(mut n) if !n.read => {
                n.read = true;
                table.insert((account, id), encode_row(&n).as_slice())?;
                changed += 1;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(account, id, error = %e, "undecodable inbox row left as it is"),
        }
    }
    Ok(changed)
}
