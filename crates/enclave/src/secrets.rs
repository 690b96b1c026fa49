//! The service secrets: the ledger secret, the service signing key and the transaction
//! key, the keys derived from the ledger secret, and their encoding for sealing and
//! for wrapping to a joining core.
//!
//! Encoding (never leaves the core except sealed or HPKE-wrapped):
//! `version 0x01 || ledger secret (32) || signing key PKCS#8 (u32 length + DER) ||
//! transaction key (32, X25519)`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_crypto::provider::{CryptoProvider, EcdsaCurve, HashAlgorithm, SigningKey};
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer, hex_bytes};
use crate::error::EnclaveError;

const VERSION: u8 = 1;
const KDF_SALT: &[u8] = b"strongroom/enclave/ledger-secret/v1";
const ENTRY_KEY_INFO: &[u8] = b"strongroom/enclave/entry-key/v1";
const NONCE_KEY_INFO: &[u8] = b"strongroom/enclave/entry-nonce-key/v1";
const SNAPSHOT_KEY_INFO: &[u8] = b"strongroom/enclave/snapshot-key/v1";
const ENTROPY_KEY_INFO: &[u8] = b"strongroom/enclave/transaction-entropy-key/v1";
const KEY_RELEASE_KEY_INFO: &[u8] = b"strongroom/enclave/key-release-key/v1";
const RECOVERY_KEY_INFO: &[u8] = b"strongroom/enclave/recovery-key/v1";

/// The public halves of the service keys: what clients encrypt to and verify with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeys {
    /// The service signing key (ECDSA P-256), SubjectPublicKeyInfo DER: it signs the
    /// ledger's Merkle roots.
    #[serde(with = "hex_bytes")]
    pub signing_key: Vec<u8>,
    /// The service transaction key (HPKE DHKEM(X25519, HKDF-SHA256)), 32 bytes:
    /// clients encrypt transactions and queries to it.
    #[serde(with = "hex_bytes")]
    pub transaction_key: Vec<u8>,
}

/// The secrets a core holds. Every field zeroizes on drop.
pub(crate) struct Secrets {
    ledger_secret: Zeroizing<[u8; 32]>,
    pub(crate) signing_key: SigningKey,
    pub(crate) transaction_key: Arc<PrivateKey>,
    pub(crate) entry_key: Zeroizing<Vec<u8>>,
    pub(crate) nonce_key: Zeroizing<Vec<u8>>,
    pub(crate) snapshot_key: Zeroizing<Vec<u8>>,
    /// Keys the per-transaction entropy given to the contract
    /// ([`strongroom_contract::TxContext::entropy`]).
    pub(crate) entropy_key: Zeroizing<Vec<u8>>,
    /// The key-release key (HPKE X25519): owners wrap data keys to it for attested
    /// workers; derived from the ledger secret, so every replica holds it and it
    /// changes with the secret. Not in [`PublicKeys`], whose encoding the genesis
    /// record fixes; its public half is in the evidence
    /// ([`crate::evidence_report_data`]).
    pub(crate) key_release_key: Arc<PrivateKey>,
    /// Keys the seeds of the recovery shares ([`crate::recovery`]): every replica
    /// computes the same shares, so nothing random is replicated.
    pub(crate) recovery_key: Zeroizing<Vec<u8>>,
    pub(crate) public: PublicKeys,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Fresh secrets, at genesis.
    pub(crate) fn generate(provider: &dyn CryptoProvider) -> Result<Self, EnclaveError> {
        let mut ledger_secret = Zeroizing::new([0u8; 32]);
        provider
            .fill_random(ledger_secret.as_mut())
            .map_err(|_| EnclaveError::Crypto("drawing the ledger secret".into()))?;
        let signing_key = provider
            .generate_signing_key(EcdsaCurve::P256)
            .map_err(|_| EnclaveError::Crypto("generating the service signing key".into()))?;
        let transaction_key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        Self::assemble(provider, ledger_secret, signing_key, transaction_key)
    }

    fn assemble(
        provider: &dyn CryptoProvider,
        ledger_secret: Zeroizing<[u8; 32]>,
        signing_key: SigningKey,
        transaction_key: PrivateKey,
    ) -> Result<Self, EnclaveError> {
        let derive = |info: &[u8]| {
            provider
                .hkdf(
                    HashAlgorithm::Sha256,
                    KDF_SALT,
                    ledger_secret.as_ref(),
                    info,
                    32,
                )
                .map_err(|_| EnclaveError::Crypto("deriving keys from the ledger secret".into()))
        };
        let public = PublicKeys {
            signing_key: signing_key
                .verifying_key()
                .to_spki_der()
                .map_err(|_| EnclaveError::Crypto("encoding the service signing key".into()))?,
            transaction_key: transaction_key.public_key().to_bytes(),
        };
        let key_release_seed = derive(KEY_RELEASE_KEY_INFO)?;
        let key_release_key =
            PrivateKey::from_bytes(KemId::DhKemX25519HkdfSha256, &key_release_seed)
                .map_err(|_| EnclaveError::Crypto("deriving the key-release key".into()))?;
        Ok(Self {
            key_release_key: Arc::new(key_release_key),
            entry_key: derive(ENTRY_KEY_INFO)?,
            nonce_key: derive(NONCE_KEY_INFO)?,
            snapshot_key: derive(SNAPSHOT_KEY_INFO)?,
            entropy_key: derive(ENTROPY_KEY_INFO)?,
            recovery_key: derive(RECOVERY_KEY_INFO)?,
            ledger_secret,
            signing_key,
            transaction_key: Arc::new(transaction_key),
            public,
        })
    }

    /// The encoding described in the [module docs](self), zeroized on drop.
    pub(crate) fn encode(&self) -> Result<Zeroizing<Vec<u8>>, EnclaveError> {
        let pkcs8 = self
            .signing_key
            .to_pkcs8_der()
            .map_err(|_| EnclaveError::Crypto("exporting the service signing key".into()))?;
        let transaction_key = self.transaction_key.to_bytes();
        let mut writer = Writer::with_capacity(1 + 32 + 4 + pkcs8.len() + 32);
        writer
            .u8(VERSION)
            .raw(self.ledger_secret.as_ref())
            .bytes(&pkcs8)
            .raw(&transaction_key);
        Ok(Zeroizing::new(writer.0))
    }

    /// Decodes [`Secrets::encode`]'s output.
    pub(crate) fn decode(
        provider: &dyn CryptoProvider,
        bytes: &[u8],
    ) -> Result<Self, EnclaveError> {
        let bad = |_| EnclaveError::InvalidRequest("malformed secrets".into());
        let mut reader = Reader::new(bytes, "secrets");
        if reader.u8().map_err(bad)? != VERSION {
            return Err(EnclaveError::InvalidRequest(
                "unknown version of the secrets encoding".into(),
            ));
        }
        let mut ledger_secret = Zeroizing::new([0u8; 32]);
        ledger_secret.copy_from_slice(reader.raw(32).map_err(bad)?);
        let signing_key = SigningKey::from_pkcs8_der(reader.bytes().map_err(bad)?)
            .map_err(|_| EnclaveError::InvalidRequest("malformed service signing key".into()))?;
        if signing_key.curve() != EcdsaCurve::P256 {
            return Err(EnclaveError::InvalidRequest(
                "service signing key is not P-256".into(),
            ));
        }
        let transaction_key =
            PrivateKey::from_bytes(KemId::DhKemX25519HkdfSha256, reader.raw(32).map_err(bad)?)
                .map_err(|_| EnclaveError::InvalidRequest("malformed transaction key".into()))?;
        reader.finish().map_err(bad)?;
        Self::assemble(provider, ledger_secret, signing_key, transaction_key)
    }
}
