//! Framing and encoding. A frame is a 4-byte little-endian payload length followed by the
//! payload: one message encoded with bincode 2's standard configuration (little endian,
//! variable-length integers). Decoding never panics and never allocates more than the
//! frame limit, whatever the bytes.

use serde::{de::DeserializeOwned, Serialize};

/// Largest payload accepted, in bytes (announced in `Welcome`).
pub const MAX_FRAME: usize = 1 << 20;

const CONFIG: bincode::config::Configuration<bincode::config::LittleEndian, bincode::config::Varint, bincode::config::Limit<MAX_FRAME>> =
    bincode::config::standard().with_limit::<MAX_FRAME>();

/// Why bytes are not a valid frame.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The length prefix (or payload) is above [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    /// The payload does not decode as the expected message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The message decoded but bytes were left over.
    #[error("{0} bytes left over after the message")]
    TrailingBytes(usize),
}

/// Encode a message as a complete frame (length prefix included).
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut frame = Vec::new();
    encode_into(message, &mut frame);
    frame
}

/// Append a complete frame to `out` (reuses the buffer's capacity).
pub fn encode_into<T: Serialize>(message: &T, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    bincode::serde::encode_into_std_write(message, out, CONFIG).expect("writing to a Vec cannot fail");
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Decode one message from a payload (without the length prefix). The whole payload
/// must be consumed.
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    if payload.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(payload.len()));
    }
    let (message, used) = bincode::serde::decode_from_slice(payload, CONFIG).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if used != payload.len() {
        return Err(FrameError::TrailingBytes(payload.len() - used));
    }
    Ok(message)
}

/// The payload length announced by a 4-byte header, checked against the limit.
pub fn payload_len(header: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_le_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    Ok(len)
}

/// Splits a byte stream into frames: push what arrives, pop complete payloads.
#[derive(Default)]
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    /// Append bytes as they arrive.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete payload, `Ok(None)` if more bytes are needed.
    pub fn next_payload(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = payload_len(self.buf[..4].try_into().expect("4 bytes"))?;
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let payload = self.buf[4..4 + len].to_vec();
        self.buf.drain(..4 + len);
        Ok(Some(payload))
    }

    /// The next complete message.
    pub fn next_message<T: DeserializeOwned>(&mut self) -> Result<Option<T>, FrameError> {
        self.next_payload()?.map(|p| decode(&p)).transpose()
    }
}
