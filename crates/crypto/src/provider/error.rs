//! The one error type of the provider operations.

/// Why a provider operation failed.
///
/// Failures of decryption and of signature or MAC verification are deliberately
/// opaque: they say *that* the operation failed, never *why*. In particular a wrong
/// key, a modified ciphertext, a wrong tag and bad CBC padding are all
/// [`CryptoError::Decrypt`], so the error cannot serve as a padding oracle.
/// Variants that do carry a message (`InvalidInput`, `Unsupported`) describe only
/// public parameters such as lengths, never secret data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Decryption failed: the ciphertext, tag, padding, key or nonce did not match.
    #[error("decryption failed")]
    Decrypt,
    /// A public parameter is malformed, for example an IV or output length.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// A key could not be used: wrong length, bad encoding, not on the curve, or (for
    /// X25519) a peer key of low order that yields the all-zero shared secret.
    #[error("invalid key")]
    InvalidKey,
    /// A message authentication code did not verify.
    #[error("invalid MAC")]
    InvalidMac,
    /// A signature did not verify, was not strict DER, or violated the
    /// [`SignaturePolicy`](super::SignaturePolicy).
    #[error("invalid signature")]
    InvalidSignature,
    /// The random number generator of the operating system (or TEE) failed.
    #[error("random number generator failed")]
    Random,
    /// The parameters are valid in general but not accepted by this API by design, for
    /// example AES-GCM nonces other than 96 bits or truncated HMAC tags.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}
