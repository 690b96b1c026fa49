//! The error type of [`crate::hpke`].

use super::KemId;

/// What can go wrong in an HPKE operation.
///
/// Every failure to authenticate or decrypt a ciphertext — wrong recipient key, wrong
/// sender key, changed `info` or `aad`, tampered `enc` or ciphertext — is reported as the
/// single opaque [`HpkeError::Decrypt`] so that callers cannot be turned into an oracle.
/// The other variants describe mistakes in public inputs that a caller can fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HpkeError {
    /// The ciphertext could not be decrypted or authenticated. Deliberately carries no
    /// detail.
    #[error("HPKE decryption failed")]
    Decrypt,

    /// The exporter was asked for more bytes than the KDF can produce (255 × hash length).
    #[error("HPKE exporter output length {requested} is too long")]
    ExportTooLong {
        /// The requested output length in bytes.
        requested: usize,
    },

    /// Bytes that were meant to be a key are not a valid key for the given KEM: wrong
    /// length, a scalar out of range, a point not on the curve, or (found when sealing) an
    /// X25519 public key of small order.
    #[error("invalid {kem:?} key")]
    InvalidKey {
        /// The KEM the key was meant for.
        kem: KemId,
    },

    /// Input keying material for key derivation is shorter than the KEM's private key.
    #[error("input keying material is {len} bytes; at least {min} are required")]
    KeyMaterialTooShort {
        /// The length that was given.
        len: usize,
        /// The minimum length for this KEM.
        min: usize,
    },

    /// A [`super::WrappedKey`] encoding is structurally invalid (truncated, bad lengths,
    /// trailing bytes).
    #[error("malformed wrapped key: {reason}")]
    MalformedWrappedKey {
        /// What is wrong with the encoding.
        reason: &'static str,
    },

    /// A sender context has sealed as many messages as its nonce space allows.
    #[error("HPKE message limit reached")]
    MessageLimitReached,

    /// The AEAD refused to seal the plaintext (it is longer than the AEAD allows).
    #[error("HPKE plaintext is too long for the AEAD")]
    PlaintextTooLong,

    /// The (KEM, KDF, AEAD) identifier triple is not one this module supports.
    #[error("unsupported HPKE suite (kem {kem:#06x}, kdf {kdf:#06x}, aead {aead:#06x})")]
    UnsupportedSuite {
        /// The KEM identifier.
        kem: u16,
        /// The KDF identifier.
        kdf: u16,
        /// The AEAD identifier.
        aead: u16,
    },

    /// A [`super::WrappedKey`] encoding has a version byte this code does not understand.
    #[error("unsupported wrapped key version {0}")]
    UnsupportedVersion(u8),

    /// A key was used with a suite (or another key) of a different KEM.
    #[error("key is for {found:?} but the suite uses {expected:?}")]
    WrongSuite {
        /// The KEM the suite (or the operation) requires.
        expected: KemId,
        /// The KEM the key is tagged with.
        found: KemId,
    },
}
