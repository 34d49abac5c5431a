//! # entrepot-protocol
//!
//! What travels between a game client and the server, independent of the engine's
//! internal types so that the wire stays stable while the engine evolves. `PROTOCOL.md`
//! documents every byte for client authors in other languages.

pub mod client;
pub mod codec;
pub mod messages;

pub use codec::{decode, encode, encode_into, payload_len, FrameError, FrameReader, MAX_FRAME};
pub use messages::*;

/// Protocol version carried in the hello exchange.
pub const PROTOCOL_VERSION: u32 = 1;
/// The QUIC ALPN identifier.
pub const ALPN: &[u8] = b"entrepot/1";
/// First bytes of every `Hello`, to reject a stray peer early.
pub const MAGIC: [u8; 4] = *b"ENTR";
