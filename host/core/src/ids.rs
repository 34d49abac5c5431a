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
