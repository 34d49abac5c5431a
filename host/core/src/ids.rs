//! Identifiers. All are plain integers so that commands and events stay `Copy` and cheap
//! to journal; the engine never invents an id from randomness.

use serde::{Deserialize, Serialize};

/// An integer id newtype (also used by `betting::model`).
macro_rules! id {
    ($(#[$m:meta])* $name:ident($t:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        pub struct $name(pub $t);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    };
}
pub(crate) use id;

id!(
    /// A player account, chosen by the server (issue 3 maps logins onto it).
    AccountId(u64)
);
id!(
    /// An asset: a currency (gold) or an item (copper). Chosen by the admin who creates it.
    AssetId(u32)
);
id!(
    /// A market (base item against quote currency). Chosen by the admin who creates it.
    MarketId(u32)
);
id!(
    /// An order, assigned by the engine from a counter: 1, 2, 3, ... in command order.
    OrderId(u64)
);
id!(
    /// A trade, assigned by the engine from a counter shared by all markets.
    TradeId(u64)
);
id!(
    /// The client-chosen request id that makes a command idempotent per actor.
    RequestId(u64)
);

impl AccountId {
    /// The operator/system actor used for admin commands.
    pub const ADMIN: AccountId = AccountId(0);
}

/// A dense index into one of the engine's tables (`Vec` position, assigned in creation
/// order and never reused). Indices are engine-internal: they never reach events, the
/// wire or the state hash, which speak in ids.
macro_rules! index {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        pub(crate) struct $name(pub(crate) u32);
        impl $name {
            /// The position in the table this index points into.
            #[inline]
            pub(crate) fn at(self) -> usize {
                self.0 as usize
            }

            /// The index of table position `position` (tables stay below 2^32 entries:
            /// ids are counted in `u32` positions).
            #[inline]
            pub(crate) fn new(position: usize) -> Self {
                $name(u32::try_from(position).expect("a table of fewer than 2^32 entries"))
            }
        }
    };
}

index!(
    /// An account's position in the ledger's account table.
    AccountIx
);
index!(
    /// An asset's position in the ledger's asset table.
    AssetIx
);
index!(
    /// A market's position in the books' market table.
    MarketIx
);

/// A price in ticks of its market (`MarketSpec::tick`).
pub type Ticks = u64;
/// A quantity in lots of its market (`MarketSpec::lot`).
pub type Lots = u64;
/// An amount of one asset in its minor units (10^-decimals).
pub type Minor = u64;
