//! Symmetric data keys (DEKs): 256-bit AES keys that encrypt one dataset.
//!
//! A [`DataKey`] never prints its bytes, is zeroized on drop and compares in
//! constant time. Its [`KeyId`] is a one-way commitment to the key
//! (HMAC-SHA256 of a fixed label, truncated to 16 bytes): it lets a reader say "wrong
//! key" instead of "corrupt data" without revealing anything about the key.
//!
//! The text form used for key files is one line: `strongroom-data-key-v1:` followed by
//! 64 lowercase hex digits.

use std::fmt;

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of a data key in bytes.
pub const DATA_KEY_LEN: usize = 32;
/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 16;

const TEXT_PREFIX: &str = "strongroom-data-key-v1:";
const KEY_ID_LABEL: &[u8] = b"strongroom/key-id/v1";

/// A 256-bit symmetric data key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; DATA_KEY_LEN]);

impl DataKey {
    /// Generates a fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; DATA_KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Wraps existing key bytes.
    pub fn from_bytes(bytes: [u8; DATA_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Wraps a key given as a slice, which must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; DATA_KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Length {
            expected: DATA_KEY_LEN,
            actual: bytes.len(),
        })?;
        Ok(Self(array))
    }

    /// The raw key bytes. Handle with care: copy them only into zeroizing storage.
    pub fn expose(&self) -> &[u8; DATA_KEY_LEN] {
        &self.0
    }

    /// The key's public identifier.
    pub fn id(&self) -> KeyId {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC-SHA256 accepts a 32-byte key");
        mac.update(KEY_ID_LABEL);
        let tag = mac.finalize().into_bytes();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&tag[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// The one-line text form used in key files (zeroized when dropped).
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(TEXT_PREFIX.len() + 65));
        text.push_str(TEXT_PREFIX);
        for byte in self.0 {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        text.push('\n');
        text
    }

    /// Parses the text form; surrounding whitespace is ignored.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let body = text
            .trim()
            .strip_prefix(TEXT_PREFIX)
            .ok_or(KeyError::NotAKeyFile)?;
        if body.len() != 2 * DATA_KEY_LEN {
            return Err(KeyError::Length {
                expected: DATA_KEY_LEN,
                actual: body.len() / 2,
            });
        }
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        for (i, pair) in body.as_bytes().chunks_exact(2).enumerate() {
            let high = hex_value(pair[0]).ok_or(KeyError::InvalidHex { offset: 2 * i })?;
            let low = hex_value(pair[1]).ok_or(KeyError::InvalidHex { offset: 2 * i + 1 })?;
            bytes[i] = (high << 4) | low;
        }
        Ok(Self(*bytes))
    }
}

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for DataKey {}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

/// The public identifier of a [`DataKey`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// Compares two key ids in constant time.
    pub fn ct_matches(&self, other: &KeyId) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a data key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a strongroom data key (the `strongroom-data-key-v1:` prefix is missing).
    #[error("not a strongroom data key (expected a line starting with `{TEXT_PREFIX}`)")]
    NotAKeyFile,
    /// The key has the wrong length.
    #[error("data key must be {expected} bytes, found {actual}")]
    Length {
        /// Required length in bytes.
        expected: usize,
        /// Length found, in bytes.
        actual: usize,
    },
    /// A character of the hex body is not a lowercase or uppercase hex digit.
    #[error("invalid hex digit at offset {offset} of the key")]
    InvalidHex {
        /// Offset of the bad character within the hex body.
        offset: usize,
    },
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let key = DataKey::generate();
        let text = key.to_text();
        assert_eq!(DataKey::from_text(&text).unwrap(), key);
    }

    #[test]
    fn text_form_rejects_bad_input_with_position() {
        let key = DataKey::generate();
        let mut text = key.to_text().to_string();
        assert_eq!(
            DataKey::from_text("hello"),
            Err(KeyError::NotAKeyFile),
            "missing prefix"
        );
        text.replace_range(TEXT_PREFIX.len() + 5..TEXT_PREFIX.len() + 6, "z");
        assert_eq!(
            DataKey::from_text(&text),
            Err(KeyError::InvalidHex { offset: 5 })
        );
        assert!(matches!(
            DataKey::from_text(&format!("{TEXT_PREFIX}abcd")),
            Err(KeyError::Length { .. })
        ));
    }

    #[test]
    fn key_id_depends_on_the_key_and_debug_hides_it() {
        let a = DataKey::generate();
        let b = DataKey::generate();
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id(), a.clone().id());
        let debug = format!("{a:?}");
        assert!(!debug.contains(&hex_string(a.expose())));
    }

    fn hex_string(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
