//! In-game notifications, kept until read: every `Notice` pushed to an account is also a
//! row of the store's `INBOX` table, written by the journal in the same transaction as the
//! push (the sequencer hands both to the committer). The row's id is the notice's cursor
//! on the account stream, so a client can mark a pushed notice read by its cursor.

use entrepot_protocol::{ApiError, ErrorCode, NotificationInfo};
use entrepot_store::codec::{decode_row, encode_row};
use entrepot_store::schema::INBOX;
use entrepot_store::Store;
use redb::{ReadableDatabase, ReadableTable};
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

/// Mark the given notifications of `account` read (all of them for `None`); returns how
/// many were unread. Ids of other accounts or of nothing are ignored.
pub fn mark_read(store: &Store, account: u64, ids: Option<&[u64]>) -> Result<u64, ApiError> {
    let tx = store.db().begin_write().map_err(internal)?;
    let mut changed = 0;
    {
        let mut table = tx.open_table(INBOX).map_err(internal)?;
        let ids: Vec<u64> = match ids {
            Some(ids) => ids.to_vec(),
            None => table.range((account, 0)..=(account, u64::MAX)).map_err(internal)?.filter_map(|r| r.ok().map(|(k, _)| k.value().1)).collect(),
        };
        for id in ids {
            let found = table.get((account, id)).map_err(internal)?.map(|v| decode(v.value())).transpose()?;
            if let Some(mut n) = found.filter(|n| !n.read) {
                n.read = true;
                table.insert((account, id), encode_row(&n).as_slice()).map_err(internal)?;
                changed += 1;
            }
        }
    }
    tx.commit().map_err(internal)?;
    Ok(changed)
}
