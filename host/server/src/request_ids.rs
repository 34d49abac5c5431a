//! Every request id the server issues for its own commands, from one constructor each.
//!
//! The engine remembers outcomes per (actor, request id) for its dedup window and ignores a
//! repeat, so two different server commands must never share an id: a collision silently
//! drops the second command (a player would miss their starting cash). The layout:
//!
//! ```text
//! bit 63        1 = server-issued. Clients count up from 1 and never reach it.
//! bit 62        1 = starting cash:  bits 61..32 account (30 bits) | bits 31..0 asset (32 bits)
//!               0 = everything else:
//!   bits 61..59   kind tag (3 bits, `Kind`)
//!   bits 58..0    the kind's fields (59 bits):
//!                   Sequenced     engine seq of the command (ticks, plugin `BindRules`)
//!                   Setup         startup step number (demo economy, demo fixtures)
//!                   OpenAccount   account id
//!                   FixtureImport the import's client request id mod 2^43 | fixture index (16 bits)
//! ```
//!
//! Each constructor is injective over its documented field ranges, and kinds occupy
//! disjoint ranges, so distinct inputs give distinct ids. Inputs outside the ranges are
//! refused (`None`), never truncated into someone else's id. Starting cash is one request
//! per (account, asset): every `u32` asset id fits, and accounts (counted up from 1,000)
//! have a billion ids before the constructor refuses.
//!
//! The one exception is the fixture import: it runs as the admin who sent it, and that
//! client's own request id is a full 63-bit number (the Rust client counts up from the
//! clock in nanoseconds). Its low 43 bits are kept, so two imports get distinct ids when
//! their request ids differ by less than 2^43 — any two imports inside one dedup window
//! (10 minutes is 2^39 ns) from a clock-based or counting client. Only imports use the
//! admin's own actor; every other kind here runs as the system actor (`AccountId::ADMIN`).

use entrepot_core::RequestId;

/// Set on every id the server issues.
pub const SERVER: u64 = 1 << 63;
/// Set (with `SERVER`) on starting-cash ids.
const STARTING_CASH: u64 = 1 << 62;
/// Largest account a starting-cash id can name (30 bits).
pub const MAX_CASH_ACCOUNT: u64 = (1 << 30) - 1;
const TAG_SHIFT: u32 = 59;
/// Fields of the tagged kinds: 59 bits.
const FIELD_MAX: u64 = (1 << TAG_SHIFT) - 1;
/// Fixture index within one import: 16 bits.
const IMPORT_INDEX_BITS: u32 = 16;
/// The part of a client request id an import keeps (43 bits).
const IMPORT_REQUEST_MASK: u64 = (1 << (TAG_SHIFT - IMPORT_INDEX_BITS)) - 1;
/// Most fixtures one import may hold.
pub const MAX_IMPORT_FIXTURES: usize = 1 << IMPORT_INDEX_BITS;

/// The tagged kinds (bit 62 clear).
#[derive(Clone, Copy)]
#[repr(u64)]
enum Kind {
    Sequenced = 0,
    Setup = 1,
    OpenAccount = 2,
    FixtureImport = 3,
}

fn tagged(kind: Kind, field: u64) -> Option<RequestId> {
    (field <= FIELD_MAX).then_some(RequestId(SERVER | ((kind as u64) << TAG_SHIFT) | field))
}

/// A command the engine thread issues itself (a `Tick`, the `BindRules` of a plugin
/// operation), named by the seq it will get: the engine applies one command per seq.
pub fn sequenced(seq: u64) -> RequestId {
    tagged(Kind::Sequenced, seq).expect("engine seq below 2^59")
}

/// Step `n` of the startup setup (demo economy, demo fixtures).
pub fn setup(n: u64) -> RequestId {
    tagged(Kind::Setup, n).expect("setup step below 2^59")
}

/// Opening the engine account of a user.
pub fn open_account(account: u64) -> Option<RequestId> {
    tagged(Kind::OpenAccount, account)
}

/// The starting cash of `asset` minted to `account` when its e-mail is confirmed.
pub fn starting_cash(account: u64, asset: u32) -> Option<RequestId> {
    (account <= MAX_CASH_ACCOUNT).then(|| RequestId(SERVER | STARTING_CASH | (account << 32) | u64::from(asset)))
}

/// Fixture `index` of the fixtures file imported by the client request `request`: a re-sent
/// import gets the same ids, so it is idempotent within the dedup window. `None` past
/// `MAX_IMPORT_FIXTURES`.
pub fn fixture_import(request: u64, index: usize) -> Option<RequestId> {
    if index >= MAX_IMPORT_FIXTURES {
        return None;
    }
    tagged(Kind::FixtureImport, ((request & IMPORT_REQUEST_MASK) << IMPORT_INDEX_BITS) | index as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn starting_cash_is_injective_for_every_asset_id() {
        let accounts = [0, 1, 1_000, 1_001, 1_002, 65_535, 65_536, 65_537, MAX_CASH_ACCOUNT - 1, MAX_CASH_ACCOUNT];
        let assets = [0, 1, 2, 65_535, 65_536, 65_537, 1 << 31, (1 << 31) + 1, u32::MAX - 1, u32::MAX];
        let mut seen = HashSet::new();
        for &account in &accounts {
            for &asset in &assets {
                let id = starting_cash(account, asset).unwrap();
                assert!(seen.insert(id.0), "starting_cash({account}, {asset}) collides");
                assert_eq!((id.0 >> 32) & MAX_CASH_ACCOUNT, account);
                assert_eq!(id.0 as u32, asset);
            }
        }
        // Today's bug: account 1001, assets 1 and 65,537 shared an id.
        assert_ne!(starting_cash(1_001, 1), starting_cash(1_001, 65_537));
        assert_eq!(starting_cash(MAX_CASH_ACCOUNT + 1, 1), None);
    }

    #[test]
    fn kinds_never_share_an_id() {
        // Every (constructor, inputs) over edge values: one id each, and no id twice.
        let edges = [0u64, 1, 2, 1_000, 65_535, 65_536, 65_537, 1 << 31, (1 << 32) + 1, MAX_CASH_ACCOUNT, IMPORT_REQUEST_MASK, FIELD_MAX];
        let mut named: HashMap<u64, String> = HashMap::new();
        let mut add = |name: String, id: Option<RequestId>| {
            let Some(id) = id else { return };
            assert!(id.0 & SERVER != 0, "{name} lacks the server bit");
            if let Some(other) = named.insert(id.0, name.clone()) {
                assert_eq!(other, name, "{other} and {name} share the id {:#x}", id.0);
            }
        };
        for &n in &edges {
            add(format!("sequenced({n})"), Some(sequenced(n)));
            add(format!("setup({n})"), Some(setup(n)));
            add(format!("open_account({n})"), open_account(n));
            for &m in &edges {
                if let Ok(asset) = u32::try_from(m) {
                    add(format!("starting_cash({n}, {asset})"), starting_cash(n, asset));
                }
                if let (true, Ok(index)) = (n <= IMPORT_REQUEST_MASK, usize::try_from(m)) {
                    add(format!("fixture_import({n}, {index})"), fixture_import(n, index));
                }
            }
        }
        assert_ne!(fixture_import(1, 65_535), fixture_import(2, 0));
        // Clock-based client ids ten minutes apart stay apart.
        let now_ns = 1_767_225_600_000_000_000u64;
        assert_ne!(fixture_import(now_ns, 0), fixture_import(now_ns + 600_000_000_000, 0));
        assert_eq!(fixture_import(1, MAX_IMPORT_FIXTURES), None);
        assert_eq!(open_account(FIELD_MAX + 1), None);
    }

    #[test]
    fn sequenced_ids_keep_their_old_values() {
        // Ticks and bindings were `SERVER | seq` before this module: unchanged.
        assert_eq!(sequenced(42).0, (1 << 63) | 42);
    }
}
