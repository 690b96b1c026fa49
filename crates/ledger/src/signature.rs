//! Signature entries: a Merkle root over every earlier entry, signed by the service key.

use strongroom_crypto::provider::{
    CryptoError, CryptoProvider, SignaturePolicy, SigningKey, VerifyingKey,
};

use crate::entry::{DecodeError, Hash, Reader};

/// Domain-separation prefix of the message a [`SignedRoot`] signs.
pub const SIGNED_ROOT_DOMAIN: &[u8] = b"strongroom/ledger/signed-root/v1";

/// Version byte that starts an encoded [`SignedRoot`].
pub const SIGNED_ROOT_VERSION: u8 = 1;

/// The largest signature or signer certificate/key accepted in a [`SignedRoot`].
pub const MAX_SIGNER_LEN: usize = 64 * 1024;

/// When a [`crate::Appender`] emits a signature entry: after `max_entries` unsigned
/// entries or once `max_interval_ms` has passed since the last signature, whichever
/// comes first (and only if something is unsigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureSchedule {
    /// Sign after this many unsigned entries (at least 1).
    pub max_entries: u64,
    /// Sign once this many milliseconds have passed since the last signature.
    pub max_interval_ms: u64,
}

impl Default for SignatureSchedule {
    fn default() -> Self {
        Self {
            max_entries: 100,
            max_interval_ms: 1_000,
        }
    }
}

/// The payload of a [`crate::EntryKind::Signature`] entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRoot {
    /// Number of leaves the root covers: every entry before the signature entry.
    pub tree_size: u64,
    /// The Merkle root of the first `tree_size` entries.
    pub root: Hash,
    /// DER ECDSA signature over [`SignedRoot::message`].
    pub signature: Vec<u8>,
    /// The signer's SubjectPublicKeyInfo DER.
    pub signer: Vec<u8>,
}

/// Why a signed root could not be made, decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedRootError {
    /// The payload is not a valid signed-root encoding.
    #[error("malformed signed root: {0}")]
    Decode(#[from] DecodeError),
    /// The signer bytes are not a usable public key.
    #[error("signer key is not a valid SubjectPublicKeyInfo")]
    InvalidSigner,
    /// The signature or signer field is larger than [`MAX_SIGNER_LEN`].
    #[error("signature or signer field too large ({len} bytes)")]
    FieldTooLarge {
        /// The field length.
        len: usize,
    },
    /// The signature does not verify, or the signer is not the trusted key.
    #[error("signature does not verify")]
    InvalidSignature,
    /// Signing failed in the crypto provider.
    #[error("signing failed: {0}")]
    Sign(CryptoError),
    /// The version byte is not [`SIGNED_ROOT_VERSION`].
    #[error("unknown signed-root version {0}")]
    UnknownVersion(u8),
    /// A [`RootSigner`] could not sign (for example, the enclave holding the key
    /// refused).
    #[error("root signer failed: {0}")]
    Signer(String),
}

impl SignedRoot {
    /// The message that is signed: `SIGNED_ROOT_DOMAIN || tree_size u64 BE || root`.
    pub fn message(tree_size: u64, root: &Hash) -> Vec<u8> {
        let mut m = Vec::with_capacity(SIGNED_ROOT_DOMAIN.len() + 8 + 32);
        m.extend_from_slice(SIGNED_ROOT_DOMAIN);
        m.extend_from_slice(&tree_size.to_be_bytes());
        m.extend_from_slice(root);
        m
    }

    /// Signs `(tree_size, root)` with `key`.
    pub fn sign(
        provider: &dyn CryptoProvider,
        key: &SigningKey,
        tree_size: u64,
        root: Hash,
    ) -> Result<Self, SignedRootError> {
        let signature = provider
            .ecdsa_sign(key, &Self::message(tree_size, &root))
            .map_err(SignedRootError::Sign)?;
        let signer = key
            .verifying_key()
            .to_spki_der()
            .map_err(SignedRootError::Sign)?;
        Ok(Self {
            tree_size,
            root,
            signature,
            signer,
        })
    }

    /// Verifies the signature with the embedded signer key (low-S only) and, if
    /// `trusted` is given, that the signer is that key.
    pub fn verify(
        &self,
        provider: &dyn CryptoProvider,
        trusted: Option<&VerifyingKey>,
    ) -> Result<VerifyingKey, SignedRootError> {
        let key = VerifyingKey::from_spki_der(&self.signer)
            .map_err(|_| SignedRootError::InvalidSigner)?;
        if let Some(trusted) = trusted {
            let trusted_der = trusted
                .to_spki_der()
                .map_err(|_| SignedRootError::InvalidSigner)?;
            if trusted_der != self.signer {
                return Err(SignedRootError::InvalidSignature);
            }
        }
        provider
            .ecdsa_verify(
                &key,
                &Self::message(self.tree_size, &self.root),
                &self.signature,
                SignaturePolicy::LowS,
            )
            .map_err(|_| SignedRootError::InvalidSignature)?;
        Ok(key)
    }

    /// Encodes as `version u8 || tree_size u64 || root [32] || sig_len u32 || signature ||
    /// signer_len u32 || signer`, integers big-endian.
    pub fn encode(&self) -> Result<Vec<u8>, SignedRootError> {
        let mut out = Vec::with_capacity(1 + 8 + 32 + 8 + self.signature.len() + self.signer.len());
        out.push(SIGNED_ROOT_VERSION);
        out.extend_from_slice(&self.tree_size.to_be_bytes());
        out.extend_from_slice(&self.root);
        for field in [&self.signature, &self.signer] {
            let len = field.len();
            if len > MAX_SIGNER_LEN {
                return Err(SignedRootError::FieldTooLarge { len });
            }
            let len32 = u32::try_from(len).map_err(|_| SignedRootError::FieldTooLarge { len })?;
            out.extend_from_slice(&len32.to_be_bytes());
            out.extend_from_slice(field);
        }
        Ok(out)
    }

    /// Decodes exactly one signed root, rejecting trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, SignedRootError> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8()?;
        if version != SIGNED_ROOT_VERSION {
            return Err(SignedRootError::UnknownVersion(version));
        }
        let tree_size = reader.u64()?;
        let root = reader.hash()?;
        let mut field = || -> Result<Vec<u8>, SignedRootError> {
            let len = usize::try_from(reader.u32()?).unwrap_or(usize::MAX);
            if len > MAX_SIGNER_LEN {
                return Err(SignedRootError::FieldTooLarge { len });
            }
            Ok(reader.take(len)?.to_vec())
        };
        let signature = field()?;
        let signer = field()?;
        reader.finish()?;
        Ok(Self {
            tree_size,
            root,
            signature,
            signer,
        })
    }
}

/// Signs Merkle roots for signature entries. The enclave implements it so that the
/// service key never leaves the trusted core; a [`SigningKey`] implements it directly.
pub trait RootSigner: Send + Sync + std::fmt::Debug {
    /// Signs `(tree_size, root)`.
    fn sign_root(&self, tree_size: u64, root: Hash) -> Result<SignedRoot, SignedRootError>;

    /// The public key that verifies the signatures.
    fn verifying_key(&self) -> VerifyingKey;
}

impl RootSigner for SigningKey {
    fn sign_root(&self, tree_size: u64, root: Hash) -> Result<SignedRoot, SignedRootError> {
        SignedRoot::sign(
            strongroom_crypto::provider::default_provider(),
            self,
            tree_size,
            root,
        )
    }

    fn verifying_key(&self) -> VerifyingKey {
        SigningKey::verifying_key(self)
    }
}
