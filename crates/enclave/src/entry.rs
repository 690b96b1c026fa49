//! Deterministic encryption of ledger entries and snapshots under the ledger secret.
//!
//! Every replica must write byte-identical entries (the ledger is hash-chained and
//! replicated), so the nonce cannot be random. It is synthetic, as in SIV:
//!
//! ```text
//! aad     = "strongroom/enclave/entry/v1" || kind u8 || sequence u64 || timestamp_ms u64 || prev_hash (32)
//! nonce   = HMAC-SHA256(nonce key, aad || SHA-256(plaintext))[..12]
//! payload = 0x01 || nonce || AES-256-GCM(entry key, nonce, aad, plaintext)
//! ```
//!
//! The entry key and the nonce key are derived from the ledger secret with HKDF. A
//! nonce repeats only for the same header and the same plaintext, that is for the same
//! entry; and the sequence number makes every entry's header unique. The whole public
//! header is in the AAD (the design names sequence and previous hash; kind and
//! timestamp are added because replay takes the transaction time from the header), so
//! an entry cannot be moved, re-typed or re-timed without failing to decrypt.
//!
//! Snapshots use the same construction with their own key and the AAD
//! `"strongroom/enclave/snapshot/v1" || sequence of the last applied entry`.

use sha2::{Digest, Sha256};
use strongroom_crypto::provider::{CryptoProvider, HashAlgorithm};
use strongroom_ledger::{EntryKind, Hash};
use zeroize::Zeroizing;

use crate::error::EnclaveError;

const ENTRY_DOMAIN: &[u8] = b"strongroom/enclave/entry/v1";
const SNAPSHOT_DOMAIN: &[u8] = b"strongroom/enclave/snapshot/v1";
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The AAD of an entry with this public header.
pub(crate) fn entry_aad(
    kind: EntryKind,
    sequence: u64,
    timestamp_ms: u64,
    prev_hash: &Hash,
) -> Vec<u8> {
    let mut aad = Vec::with_capacity(ENTRY_DOMAIN.len() + 1 + 8 + 8 + 32);
    aad.extend_from_slice(ENTRY_DOMAIN);
    aad.push(kind.to_byte());
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&timestamp_ms.to_be_bytes());
    aad.extend_from_slice(prev_hash);
    aad
}

/// The AAD of a snapshot taken after `sequence`.
pub(crate) fn snapshot_aad(sequence: u64) -> Vec<u8> {
    let mut aad = SNAPSHOT_DOMAIN.to_vec();
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad
}

/// Encrypts `plaintext` deterministically (see the [module docs](self)).
pub(crate) fn seal(
    provider: &dyn CryptoProvider,
    key: &[u8],
    nonce_key: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnclaveError> {
    let failed = |_| EnclaveError::Crypto("encrypting a ledger entry".into());
    let mut nonce_input = Vec::with_capacity(aad.len() + 32);
    nonce_input.extend_from_slice(aad);
    nonce_input.extend_from_slice(&Sha256::digest(plaintext));
    let tag = provider
        .hmac(HashAlgorithm::Sha256, nonce_key, &nonce_input)
        .map_err(failed)?;
    let nonce = &tag[..NONCE_LEN];
    let ciphertext = provider
        .aes_gcm_seal(key, nonce, aad, plaintext)
        .map_err(failed)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(VERSION);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts what [`seal`] produced under the same key and AAD.
pub(crate) fn open(
    provider: &dyn CryptoProvider,
    key: &[u8],
    aad: &[u8],
    payload: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnclaveError> {
    let rest = payload.strip_prefix(&[VERSION]).ok_or_else(|| {
        EnclaveError::InvalidLedgerData("unknown encrypted payload version".into())
    })?;
    let (nonce, ciphertext) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| EnclaveError::InvalidLedgerData("encrypted payload too short".into()))?;
    provider
        .aes_gcm_open(key, nonce, aad, ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| {
            EnclaveError::InvalidLedgerData(
                "does not decrypt under this service's ledger secret (other service, other position, or altered)"
                    .into(),
            )
        })
}
