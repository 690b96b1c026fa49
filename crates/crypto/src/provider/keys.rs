//! Key types: ECDSA signing and verifying keys and symmetric keys.
//!
//! Secret keys are zeroized on drop and their `Debug` output never shows key
//! material.

use std::fmt;

use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::CryptoError;

/// An ECDSA curve together with the hash it is used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcdsaCurve {
    /// NIST P-256 (secp256r1) with SHA-256.
    P256,
    /// NIST P-384 (secp384r1) with SHA-384.
    P384,
}

impl EcdsaCurve {
    /// The length in bytes of a scalar (and of a private key) on this curve.
    pub const fn scalar_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }
}

/// An ECDSA private key on P-256 or P-384.
///
/// The secret scalar is zeroized on drop; `Debug` shows only the curve.
#[derive(Clone)]
pub struct SigningKey {
    pub(super) inner: SigningKeyInner,
}

#[derive(Clone)]
pub(super) enum SigningKeyInner {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl SigningKey {
    /// Imports a PKCS#8 (RFC 5208 / RFC 5958) DER private key for P-256 or P-384.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Self {
                inner: SigningKeyInner::P256(key),
            });
        }
        p384::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(|key| Self {
                inner: SigningKeyInner::P384(key),
            })
            .map_err(|_| CryptoError::InvalidKey)
    }

    /// Exports the key as PKCS#8 DER; the buffer is zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let document = match &self.inner {
            SigningKeyInner::P256(key) => key.to_pkcs8_der(),
            SigningKeyInner::P384(key) => key.to_pkcs8_der(),
        }
        .map_err(|_| CryptoError::InvalidKey)?;
        Ok(document.to_bytes())
    }

    /// Builds a key from its big-endian scalar, which must be exactly
    /// [`EcdsaCurve::scalar_len`] bytes and in `1..n`.
    pub fn from_scalar_bytes(curve: EcdsaCurve, scalar: &[u8]) -> Result<Self, CryptoError> {
        if scalar.len() != curve.scalar_len() {
            return Err(CryptoError::InvalidKey);
        }
        let inner = match curve {
            EcdsaCurve::P256 => {
                p256::ecdsa::SigningKey::from_slice(scalar).map(SigningKeyInner::P256)
            }
            EcdsaCurve::P384 => {
                p384::ecdsa::SigningKey::from_slice(scalar).map(SigningKeyInner::P384)
            }
        }
        .map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self { inner })
    }

    /// The curve of this key.
    pub fn curve(&self) -> EcdsaCurve {
        match &self.inner {
            SigningKeyInner::P256(_) => EcdsaCurve::P256,
            SigningKeyInner::P384(_) => EcdsaCurve::P384,
        }
    }

    /// The public half of this key.
    pub fn verifying_key(&self) -> VerifyingKey {
        let inner = match &self.inner {
            SigningKeyInner::P256(key) => VerifyingKeyInner::P256(*key.verifying_key()),
            SigningKeyInner::P384(key) => VerifyingKeyInner::P384(*key.verifying_key()),
        };
        VerifyingKey { inner }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("curve", &self.curve())
            .finish_non_exhaustive()
    }
}

/// The inner RustCrypto keys zeroize their scalar when dropped.
impl ZeroizeOnDrop for SigningKey {}

/// An ECDSA public key on P-256 or P-384.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    pub(super) inner: VerifyingKeyInner,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum VerifyingKeyInner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl VerifyingKey {
    /// Imports a SEC1 encoded point (compressed or uncompressed) on `curve`.
    pub fn from_sec1_bytes(curve: EcdsaCurve, bytes: &[u8]) -> Result<Self, CryptoError> {
        let inner = match curve {
            EcdsaCurve::P256 => {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map(VerifyingKeyInner::P256)
            }
            EcdsaCurve::P384 => {
                p384::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map(VerifyingKeyInner::P384)
            }
        }
        .map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self { inner })
    }

    /// Exports the key as an uncompressed SEC1 point (`0x04 || x || y`).
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        match &self.inner {
            VerifyingKeyInner::P256(key) => key.to_encoded_point(false).as_bytes().to_vec(),
            VerifyingKeyInner::P384(key) => key.to_encoded_point(false).as_bytes().to_vec(),
        }
    }

    /// Imports a DER `SubjectPublicKeyInfo` (RFC 5280) for P-256 or P-384.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self {
                inner: VerifyingKeyInner::P256(key),
            });
        }
        p384::ecdsa::VerifyingKey::from_public_key_der(der)
            .map(|key| Self {
                inner: VerifyingKeyInner::P384(key),
            })
            .map_err(|_| CryptoError::InvalidKey)
    }

    /// Exports the key as a DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, CryptoError> {
        let document = match &self.inner {
            VerifyingKeyInner::P256(key) => key.to_public_key_der(),
            VerifyingKeyInner::P384(key) => key.to_public_key_der(),
        }
        .map_err(|_| CryptoError::InvalidKey)?;
        Ok(document.into_vec())
    }

    /// The curve of this key.
    pub fn curve(&self) -> EcdsaCurve {
        match &self.inner {
            VerifyingKeyInner::P256(_) => EcdsaCurve::P256,
            VerifyingKeyInner::P384(_) => EcdsaCurve::P384,
        }
    }
}

/// A symmetric key (AES, HMAC, HKDF input, X25519 scalar), zeroized on drop.
///
/// `Debug` shows only the length.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymmetricKey {
    bytes: Vec<u8>,
}

impl SymmetricKey {
    /// Copies `bytes` into a new key.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
        }
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl AsRef<[u8]> for SymmetricKey {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricKey")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}
