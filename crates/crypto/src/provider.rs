//! The crypto-service operations behind a [`CryptoProvider`] trait.
//!
//! These are the operations that a TrustZone crypto service for Hyperledger Fabric
//! moves into the TEE: AES-CBC (PKCS#7) and AES-GCM, SHA-2/SHA-3, HMAC, HKDF, ECDSA
//! P-256/SHA-256 and P-384/SHA-384, X25519 and randomness. Like rustls'
//! `CryptoProvider`, the trait lets a TEE-held implementation stand in for the
//! [`SoftwareProvider`] built on RustCrypto.
//!
//! ```
//! use strongroom_crypto::provider::{
//!     default_provider, EcdsaCurve, HashAlgorithm, SignaturePolicy,
//! };
//!
//! # fn main() -> Result<(), strongroom_crypto::provider::CryptoError> {
//! let provider = default_provider();
//!
//! let key = provider.random_key(32)?;
//! let nonce = [0u8; 12];
//! let sealed = provider.aes_gcm_seal(key.as_bytes(), &nonce, b"header", b"secret")?;
//! let opened = provider.aes_gcm_open(key.as_bytes(), &nonce, b"header", &sealed)?;
//! assert_eq!(opened, b"secret");
//!
//! let signing_key = provider.generate_signing_key(EcdsaCurve::P256)?;
//! let signature = provider.ecdsa_sign(&signing_key, b"proposal")?;
//! provider.ecdsa_verify(
//!     &signing_key.verifying_key(),
//!     b"proposal",
//!     &signature,
//!     SignaturePolicy::LowS,
//! )?;
//!
//! let digest = provider.hash(HashAlgorithm::Sha3_256, b"abc")?;
//! assert_eq!(digest.len(), 32);
//! # Ok(())
//! # }
//! ```
//!
//! # Security properties
//!
//! - Secret keys ([`SigningKey`], [`SymmetricKey`]) and derived secrets (HKDF output,
//!   X25519 shared secrets, exported PKCS#8) are zeroized on drop and never shown by
//!   `Debug`.
//! - Tags and MACs are compared in constant time; CBC padding is checked in constant
//!   time; the errors of decryption and verification carry no detail (see
//!   [`CryptoError`]).
//! - Signatures are always produced low-S ([`CryptoProvider::ecdsa_sign`]), as Fabric
//!   requires; verification takes an explicit [`SignaturePolicy`].
//! - Only strict DER signatures are accepted.
//!
//! Not covered: CBC without a MAC is malleable whatever the error says, so callers must
//! authenticate CBC ciphertexts themselves; keys passed as byte slices are copied by the
//! underlying crates onto the stack, which this module cannot zeroize.

use zeroize::Zeroizing;

pub use error::CryptoError;
pub use keys::{EcdsaCurve, SigningKey, SymmetricKey, VerifyingKey};
pub use software::SoftwareProvider;

mod error;
mod keys;
mod software;

/// A hash function, for [`CryptoProvider::hash`], HMAC and HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-384 (FIPS 180-4).
    Sha384,
    /// SHA3-256 (FIPS 202).
    Sha3_256,
    /// SHA3-384 (FIPS 202).
    Sha3_384,
}

impl HashAlgorithm {
    /// The length of the digest in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Sha3_256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
        }
    }
}

/// A streaming hash over data of any size, for inputs that do not fit in memory.
/// Hashing handles no secret, so this is the software implementation whichever
/// provider is in use.
#[derive(Clone)]
pub struct Hasher(HasherState);

#[derive(Clone)]
enum HasherState {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
}

impl Hasher {
    /// Starts a hash with `algorithm`.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        use sha2::Digest;
        Self(match algorithm {
            HashAlgorithm::Sha256 => HasherState::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha384 => HasherState::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha3_256 => HasherState::Sha3_256(sha3::Sha3_256::new()),
            HashAlgorithm::Sha3_384 => HasherState::Sha3_384(sha3::Sha3_384::new()),
        })
    }

    /// Feeds data.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        match &mut self.0 {
            HasherState::Sha256(h) => h.update(data),
            HasherState::Sha384(h) => h.update(data),
            HasherState::Sha3_256(h) => h.update(data),
            HasherState::Sha3_384(h) => h.update(data),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Vec<u8> {
        use sha2::Digest;
        match self.0 {
            HasherState::Sha256(h) => h.finalize().to_vec(),
            HasherState::Sha384(h) => h.finalize().to_vec(),
            HasherState::Sha3_256(h) => h.finalize().to_vec(),
            HasherState::Sha3_384(h) => h.finalize().to_vec(),
        }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.update(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which valid ECDSA signatures [`CryptoProvider::ecdsa_verify`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignaturePolicy {
    /// Accept only signatures whose `s` is at most `n / 2`, as Hyperledger Fabric does
    /// to rule out signature malleability.
    LowS,
    /// Accept any valid signature, high-S included (plain ECDSA, as Wycheproof expects).
    Standard,
}

/// The operations of a crypto service.
///
/// Keys are passed as bytes (or as [`SigningKey`]/[`VerifyingKey`]); every operation
/// may fail, since a TEE-backed implementation can fail at its boundary.
pub trait CryptoProvider: Send + Sync {
    /// Encrypts `plaintext` with AES-CBC and PKCS#7 padding.
    ///
    /// `key` is 16, 24 or 32 bytes (AES-128/192/256), `iv` is 16 bytes.
    fn aes_cbc_pkcs7_encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Decrypts an AES-CBC ciphertext and removes its PKCS#7 padding.
    ///
    /// Any failure after the key and IV lengths have been checked (ciphertext length,
    /// padding) is [`CryptoError::Decrypt`]; the padding is checked in constant time.
    fn aes_cbc_pkcs7_decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Encrypts with AES-GCM and returns `ciphertext || tag` (128-bit tag).
    ///
    /// `key` is 16, 24 or 32 bytes; `nonce` must be 96 bits, other lengths are
    /// [`CryptoError::Unsupported`].
    fn aes_gcm_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Decrypts `ciphertext || tag` produced by [`CryptoProvider::aes_gcm_seal`].
    fn aes_gcm_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Hashes `data`.
    fn hash(&self, algorithm: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Computes the full-length HMAC of `data` under `key`.
    fn hmac(
        &self,
        algorithm: HashAlgorithm,
        key: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Verifies a full-length HMAC tag in constant time.
    ///
    /// Truncated tags are [`CryptoError::Unsupported`]; a wrong tag is
    /// [`CryptoError::InvalidMac`].
    fn hmac_verify(
        &self,
        algorithm: HashAlgorithm,
        key: &[u8],
        data: &[u8],
        tag: &[u8],
    ) -> Result<(), CryptoError>;

    /// HKDF-Extract (RFC 5869): the pseudorandom key. An empty `salt` means a salt of
    /// zeros, as in the RFC.
    fn hkdf_extract(
        &self,
        algorithm: HashAlgorithm,
        salt: &[u8],
        ikm: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;

    /// HKDF-Expand (RFC 5869) to `len` bytes, at most 255 times the hash length.
    fn hkdf_expand(
        &self,
        algorithm: HashAlgorithm,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;

    /// HKDF extract-then-expand.
    fn hkdf(
        &self,
        algorithm: HashAlgorithm,
        salt: &[u8],
        ikm: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let prk = self.hkdf_extract(algorithm, salt, ikm)?;
        self.hkdf_expand(algorithm, &prk, info, len)
    }

    /// Signs `message` (hashed with the curve's hash) and returns a DER signature that
    /// is always low-S normalized.
    fn ecdsa_sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Verifies a strict-DER ECDSA signature of `message` under `policy`.
    fn ecdsa_verify(
        &self,
        key: &VerifyingKey,
        message: &[u8],
        signature_der: &[u8],
        policy: SignaturePolicy,
    ) -> Result<(), CryptoError>;

    /// X25519 (RFC 7748) of a 32-byte `scalar` and a 32-byte peer `point`.
    ///
    /// An all-zero shared secret (a low-order peer point) is [`CryptoError::InvalidKey`].
    fn x25519(&self, scalar: &[u8], point: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError>;

    /// The X25519 public key of a 32-byte `scalar`.
    fn x25519_public_key(&self, scalar: &[u8]) -> Result<[u8; 32], CryptoError>;

    /// Generates an ECDSA signing key.
    fn generate_signing_key(&self, curve: EcdsaCurve) -> Result<SigningKey, CryptoError>;

    /// Generates a random symmetric key of `len` bytes.
    fn random_key(&self, len: usize) -> Result<SymmetricKey, CryptoError> {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        self.fill_random(&mut bytes)?;
        Ok(SymmetricKey::from_slice(&bytes))
    }

    /// Fills `dest` with cryptographically secure random bytes.
    fn fill_random(&self, dest: &mut [u8]) -> Result<(), CryptoError>;
}

/// The provider used when none is chosen: the [`SoftwareProvider`].
pub fn default_provider() -> &'static dyn CryptoProvider {
    static SOFTWARE: SoftwareProvider = SoftwareProvider;
    &SOFTWARE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_hasher_matches_one_shot_hash() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        for algorithm in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha3_256,
            HashAlgorithm::Sha3_384,
        ] {
            let mut hasher = Hasher::new(algorithm);
            for piece in data.chunks(333) {
                hasher.update(piece);
            }
            let streamed = hasher.finish();
            assert_eq!(streamed.len(), algorithm.output_len());
            assert_eq!(
                streamed,
                default_provider().hash(algorithm, &data).expect("hash")
            );
        }
    }

    #[test]
    fn secrets_are_not_printed_by_debug() {
        let provider = default_provider();
        let key = SymmetricKey::from_slice(&[0xAB; 16]);
        let printed = format!("{key:?}");
        assert!(!printed.to_lowercase().contains("ab"), "{printed}");
        assert!(printed.contains("16"));

        let signing_key = provider
            .generate_signing_key(EcdsaCurve::P256)
            .expect("key generation");
        let scalar = signing_key.to_pkcs8_der().expect("export");
        let printed = format!("{signing_key:?}");
        assert_eq!(printed, "SigningKey { curve: P256, .. }");
        assert!(!scalar.is_empty());
    }

    #[test]
    fn pkcs8_and_public_key_round_trip() {
        let provider = default_provider();
        for curve in [EcdsaCurve::P256, EcdsaCurve::P384] {
            let key = provider
                .generate_signing_key(curve)
                .expect("key generation");
            let imported =
                SigningKey::from_pkcs8_der(&key.to_pkcs8_der().expect("export")).expect("import");
            assert_eq!(imported.curve(), curve);
            let public = key.verifying_key();
            assert_eq!(imported.verifying_key(), public);
            let spki = public.to_spki_der().expect("spki");
            assert_eq!(
                VerifyingKey::from_spki_der(&spki).expect("spki import"),
                public
            );
            let sec1 = public.to_sec1_bytes();
            assert_eq!(sec1.len(), 1 + 2 * curve.scalar_len());
            assert_eq!(
                VerifyingKey::from_sec1_bytes(curve, &sec1).expect("sec1 import"),
                public
            );
        }
    }

    #[test]
    fn random_key_has_requested_length() {
        let key = default_provider().random_key(24).expect("random");
        assert_eq!(key.len(), 24);
    }
}
