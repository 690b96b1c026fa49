//! The sealed-data format shared by the platforms that seal in software over a
//! platform key: `magic "SRS1" || nonce (12) || AES-256-GCM ciphertext || tag (16)`,
//! with `magic || aad` as the associated data.
//!
//! The key is derived with HKDF-SHA256 from the platform's secret and the
//! measurement, so another measurement (or another host) derives another key.

use strongroom_crypto::provider::{HashAlgorithm, default_provider};
use zeroize::Zeroizing;

use crate::error::PlatformError;

const MAGIC: &[u8; 4] = b"SRS1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Derives the 32-byte sealing key from `secret`, bound to `measurement`.
pub(crate) fn derive_key(
    salt: &[u8],
    secret: &[u8],
    measurement: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PlatformError> {
    default_provider()
        .hkdf(HashAlgorithm::Sha256, salt, secret, measurement, 32)
        .map_err(|error| PlatformError::Crypto {
            operation: "deriving the sealing key",
            error,
        })
}

/// Encrypts under `key` with a fresh random nonce.
pub(crate) fn seal(key: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
    let provider = default_provider();
    let mut nonce = [0u8; NONCE_LEN];
    provider
        .fill_random(&mut nonce)
        .map_err(|error| PlatformError::Crypto {
            operation: "drawing a sealing nonce",
            error,
        })?;
    let ciphertext = provider
        .aes_gcm_seal(key, &nonce, &associated_data(aad), plaintext)
        .map_err(|error| PlatformError::Crypto {
            operation: "sealing",
            error,
        })?;
    let mut sealed = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(MAGIC);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Decrypts what [`seal`] produced.
pub(crate) fn unseal(key: &[u8], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
    if sealed.len() < MAGIC.len() + NONCE_LEN + TAG_LEN {
        return Err(PlatformError::Unseal("sealed data is too short"));
    }
    let (magic, rest) = sealed.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(PlatformError::Unseal(
            "not strongroom sealed data (bad magic)",
        ));
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    default_provider()
        .aes_gcm_open(key, nonce, &associated_data(aad), ciphertext)
        .map_err(|_| {
            PlatformError::Unseal(
                "authentication failed (other measurement or host, other aad, or altered data)",
            )
        })
}

fn associated_data(aad: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(MAGIC.len() + aad.len());
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(aad);
    data
}
