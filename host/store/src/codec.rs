//! The one row codec: bincode 2 with its standard configuration (varint integers), through
//! serde. Every stored value is encoded here, the versioned journal and snapshot records
//! (`crate::format`) included, so the byte layout of rows is decided in one place.
//!
//! Rows carry no header; a row type that changes shape needs a new table or a layout
//! bump (`format::STORE_FORMAT`) with a migration in `Store::open`.

use serde::{de::DeserializeOwned, Serialize};

/// A stored row that does not decode as the expected type.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("undecodable row: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    #[error("row has {extra} trailing bytes after its {used}-byte value")]
    Trailing { used: usize, extra: usize },
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encode a row.
///
/// Panics only if `T`'s `Serialize` impl cannot be encoded by bincode at all (a sequence
/// of unknown length), which is a programming error, not a data error.
pub fn encode_row<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    encode_row_into(value, &mut out);
    out
}

/// Append the encoded row to `out` (after a record header, say).
pub fn encode_row_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    bincode::serde::encode_into_std_write(value, out, config()).expect("bincode cannot encode this type");
}

/// Decode a row that must be exactly one `T`.
pub fn decode_row<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, config())?;
    if used != bytes.len() {
        return Err(CodecError::Trailing { used, extra: bytes.len() - used });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_keep_the_standard_bincode_layout() {
        let row = (7u64, String::from("x"), Some(300u32));
        let bytes = encode_row(&row);
        assert_eq!(bytes, bincode::serde::encode_to_vec(&row, bincode::config::standard()).unwrap());
        assert_eq!(decode_row::<(u64, String, Option<u32>)>(&bytes).unwrap(), row);
    }

    #[test]
    fn trailing_and_truncated_rows_are_refused() {
        let mut bytes = encode_row(&(1u64, 2u64));
        bytes.push(0);
        assert!(matches!(decode_row::<(u64, u64)>(&bytes), Err(CodecError::Trailing { used: 2, extra: 1 })));
        assert!(matches!(decode_row::<(u64, u64)>(&bytes[..1]), Err(CodecError::Decode(_))));
    }
}
