//! # entrepot-protocol
//!
//! What travels between a game client and the server, independent of the engine's
//! internal types so that the wire stays stable while the engine evolves. `PROTOCOL.md`
//! documents every byte for client authors in other languages.
//!
//! - [`messages`]: every request, response and push, with what each field means.
//! - [`codec`]: frames (a 4-byte length, then one bincode-encoded message).
//! - [`client`]: an async QUIC client with certificate pinning.

#![warn(missing_docs)]

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
