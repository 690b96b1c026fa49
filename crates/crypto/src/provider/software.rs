//! [`SoftwareProvider`]: the provider operations implemented with RustCrypto.

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm};
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, BlockSizeUser, KeyIvInit};
use hkdf::SimpleHkdf;
use hmac::{Mac, SimpleHmac};
use p256::ecdsa::signature::Signer;
use rand_core::{OsRng, RngCore};
use sha2::digest::Digest;
use sha2::{Sha256, Sha384};
use sha3::{Sha3_256, Sha3_384};
use subtle::{ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess};
use zeroize::Zeroizing;

use super::keys::{SigningKeyInner, VerifyingKeyInner};
use super::{
    CryptoError, CryptoProvider, EcdsaCurve, HashAlgorithm, SignaturePolicy, SigningKey,
    VerifyingKey,
};

/// The software implementation of [`CryptoProvider`], built on RustCrypto crates.
///
/// Keys live in ordinary process memory: this is the stand-in for a TEE-held provider,
/// not a replacement for one.
#[derive(Debug, Default, Clone, Copy)]
pub struct SoftwareProvider;

impl CryptoProvider for SoftwareProvider {
    fn aes_cbc_pkcs7_encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        check_cbc_iv(iv)?;
        match key.len() {
            16 => cbc_encrypt::<Aes128>(key, iv, plaintext),
            24 => cbc_encrypt::<Aes192>(key, iv, plaintext),
            32 => cbc_encrypt::<Aes256>(key, iv, plaintext),
            _ => Err(CryptoError::InvalidKey),
        }
    }

    fn aes_cbc_pkcs7_decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        check_cbc_iv(iv)?;
        match key.len() {
            16 => cbc_decrypt::<Aes128>(key, iv, ciphertext),
            24 => cbc_decrypt::<Aes192>(key, iv, ciphertext),
            32 => cbc_decrypt::<Aes256>(key, iv, ciphertext),
            _ => Err(CryptoError::InvalidKey),
        }
    }

    fn aes_gcm_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce = gcm_nonce(nonce)?;
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let sealed = match key.len() {
            16 => gcm_cipher::<Aes128Gcm>(key)?.encrypt((&nonce).into(), payload),
            24 => gcm_cipher::<Aes192Gcm>(key)?.encrypt((&nonce).into(), payload),
            32 => gcm_cipher::<Aes256Gcm>(key)?.encrypt((&nonce).into(), payload),
            _ => return Err(CryptoError::InvalidKey),
        };
        // Encryption fails only for plaintexts beyond GCM's 2^36 - 32 byte limit.
        sealed.map_err(|_| CryptoError::InvalidInput("AES-GCM plaintext too long"))
    }

    fn aes_gcm_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce = gcm_nonce(nonce)?;
        let payload = Payload {
            msg: ciphertext_and_tag,
            aad,
        };
        let opened = match key.len() {
            16 => gcm_cipher::<Aes128Gcm>(key)?.decrypt((&nonce).into(), payload),
            24 => gcm_cipher::<Aes192Gcm>(key)?.decrypt((&nonce).into(), payload),
            32 => gcm_cipher::<Aes256Gcm>(key)?.decrypt((&nonce).into(), payload),
            _ => return Err(CryptoError::InvalidKey),
        };
        opened.map_err(|_| CryptoError::Decrypt)
    }

    fn hash(&self, algorithm: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(match algorithm {
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha3_256 => Sha3_256::digest(data).to_vec(),
            HashAlgorithm::Sha3_384 => Sha3_384::digest(data).to_vec(),
        })
    }

    fn hmac(
        &self,
        algorithm: HashAlgorithm,
        key: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match algorithm {
            HashAlgorithm::Sha256 => hmac_with::<Sha256>(key, data),
            HashAlgorithm::Sha384 => hmac_with::<Sha384>(key, data),
            HashAlgorithm::Sha3_256 => hmac_with::<Sha3_256>(key, data),
            HashAlgorithm::Sha3_384 => hmac_with::<Sha3_384>(key, data),
        }
    }

    fn hmac_verify(
        &self,
        algorithm: HashAlgorithm,
        key: &[u8],
        data: &[u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != algorithm.output_len() {
            return Err(CryptoError::Unsupported("HMAC tags shorter than the hash"));
        }
        let expected = self.hmac(algorithm, key, data)?;
        if bool::from(expected.ct_eq(tag)) {
            Ok(())
        } else {
            Err(CryptoError::InvalidMac)
        }
    }

    fn hkdf_extract(
        &self,
        algorithm: HashAlgorithm,
        salt: &[u8],
        ikm: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(match algorithm {
            HashAlgorithm::Sha256 => hkdf_extract_with::<Sha256>(salt, ikm),
            HashAlgorithm::Sha384 => hkdf_extract_with::<Sha384>(salt, ikm),
            HashAlgorithm::Sha3_256 => hkdf_extract_with::<Sha3_256>(salt, ikm),
            HashAlgorithm::Sha3_384 => hkdf_extract_with::<Sha3_384>(salt, ikm),
        })
    }

    fn hkdf_expand(
        &self,
        algorithm: HashAlgorithm,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match algorithm {
            HashAlgorithm::Sha256 => hkdf_expand_with::<Sha256>(prk, info, len),
            HashAlgorithm::Sha384 => hkdf_expand_with::<Sha384>(prk, info, len),
            HashAlgorithm::Sha3_256 => hkdf_expand_with::<Sha3_256>(prk, info, len),
            HashAlgorithm::Sha3_384 => hkdf_expand_with::<Sha3_384>(prk, info, len),
        }
    }

    fn ecdsa_sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &key.inner {
            SigningKeyInner::P256(key) => {
                let signature: p256::ecdsa::Signature =
                    key.try_sign(message).map_err(|_| CryptoError::InvalidKey)?;
                let signature = signature.normalize_s().unwrap_or(signature);
                Ok(signature.to_der().as_bytes().to_vec())
            }
            SigningKeyInner::P384(key) => {
                let signature: p384::ecdsa::Signature =
                    key.try_sign(message).map_err(|_| CryptoError::InvalidKey)?;
                let signature = signature.normalize_s().unwrap_or(signature);
                Ok(signature.to_der().as_bytes().to_vec())
            }
        }
    }

    fn ecdsa_verify(
        &self,
        key: &VerifyingKey,
        message: &[u8],
        signature_der: &[u8],
        policy: SignaturePolicy,
    ) -> Result<(), CryptoError> {
        let reject_high_s = match policy {
            SignaturePolicy::LowS => true,
            SignaturePolicy::Standard => false,
        };
        // Both arms: parse, insist on strict DER by re-encoding, apply the policy, verify.
        let valid = match &key.inner {
            VerifyingKeyInner::P256(key) => {
                let Ok(signature) = p256::ecdsa::Signature::from_der(signature_der) else {
                    return Err(CryptoError::InvalidSignature);
                };
                signature.to_der().as_bytes() == signature_der
                    && !(reject_high_s && signature.normalize_s().is_some())
                    && ring_verify(
                        &ring::signature::ECDSA_P256_SHA256_ASN1,
                        key.to_encoded_point(false).as_bytes(),
                        message,
                        signature_der,
                    )
            }
            VerifyingKeyInner::P384(key) => {
                let Ok(signature) = p384::ecdsa::Signature::from_der(signature_der) else {
                    return Err(CryptoError::InvalidSignature);
                };
                signature.to_der().as_bytes() == signature_der
                    && !(reject_high_s && signature.normalize_s().is_some())
                    && ring_verify(
                        &ring::signature::ECDSA_P384_SHA384_ASN1,
                        key.to_encoded_point(false).as_bytes(),
                        message,
                        signature_der,
                    )
            }
        };
        if valid {
            Ok(())
        } else {
            Err(CryptoError::InvalidSignature)
        }
    }

    fn x25519(&self, scalar: &[u8], point: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let scalar = x25519_scalar(scalar)?;
        let point: [u8; 32] = point.try_into().map_err(|_| CryptoError::InvalidKey)?;
        let shared = Zeroizing::new(x25519_dalek::x25519(*scalar, point));
        if bool::from(shared[..].ct_eq(&[0u8; 32][..])) {
            return Err(CryptoError::InvalidKey);
        }
        Ok(shared)
    }

    fn x25519_public_key(&self, scalar: &[u8]) -> Result<[u8; 32], CryptoError> {
        let scalar = x25519_scalar(scalar)?;
        Ok(x25519_dalek::x25519(
            *scalar,
            x25519_dalek::X25519_BASEPOINT_BYTES,
        ))
    }

    fn generate_signing_key(&self, curve: EcdsaCurve) -> Result<SigningKey, CryptoError> {
        // Rejection sampling: a random string is out of range (zero or >= n) with
        // probability below 2^-32 for P-256, so the bound is never reached in practice.
        for _ in 0..KEY_GENERATION_ATTEMPTS {
            let mut scalar = Zeroizing::new(vec![0u8; curve.scalar_len()]);
            self.fill_random(&mut scalar)?;
            if let Ok(key) = SigningKey::from_scalar_bytes(curve, &scalar) {
                return Ok(key);
            }
        }
        Err(CryptoError::Random)
    }

    fn fill_random(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        OsRng.try_fill_bytes(dest).map_err(|_| CryptoError::Random)
    }
}

/// How many random scalars [`SoftwareProvider::generate_signing_key`] tries.
const KEY_GENERATION_ATTEMPTS: usize = 16;

/// The AES block size, which is also the CBC IV size.
const AES_BLOCK_LEN: usize = 16;

/// AES-192-GCM with a 96-bit nonce (aes-gcm has no alias for it).
type Aes192Gcm = AesGcm<Aes192, U12>;

fn check_cbc_iv(iv: &[u8]) -> Result<(), CryptoError> {
    if iv.len() == AES_BLOCK_LEN {
        Ok(())
    } else {
        Err(CryptoError::InvalidInput("AES-CBC IVs are 16 bytes"))
    }
}

fn cbc_encrypt<C>(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    C: BlockCipher + BlockEncryptMut + KeyInit,
{
    let encryptor =
        cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::InvalidKey)?;
    Ok(encryptor.encrypt_padded_vec_mut::<Pkcs7>(plaintext))
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    let decryptor =
        cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::InvalidKey)?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(C::block_size()) {
        return Err(CryptoError::Decrypt);
    }
    // Decrypt without unpadding, then check the padding in constant time so that
    // neither the error nor the timing says which padding byte was wrong.
    let mut padded = Zeroizing::new(
        decryptor
            .decrypt_padded_vec_mut::<NoPadding>(ciphertext)
            .map_err(|_| CryptoError::Decrypt)?,
    );
    let len = pkcs7_unpadded_len(&padded)?;
    padded.truncate(len);
    Ok(std::mem::take(&mut *padded))
}

/// The length of `padded` without its PKCS#7 padding, checked in constant time over
/// the last block.
fn pkcs7_unpadded_len(padded: &[u8]) -> Result<usize, CryptoError> {
    let Some(last_block) = padded
        .len()
        .checked_sub(AES_BLOCK_LEN)
        .and_then(|start| padded.get(start..))
    else {
        return Err(CryptoError::Decrypt);
    };
    let Some(&pad) = last_block.last() else {
        return Err(CryptoError::Decrypt);
    };
    let mut valid = !pad.ct_eq(&0) & !pad.ct_gt(&(AES_BLOCK_LEN as u8));
    for (distance, byte) in (0u8..).zip(last_block.iter().rev()) {
        let in_padding = distance.ct_lt(&pad);
        valid &= !in_padding | byte.ct_eq(&pad);
    }
    if bool::from(valid) {
        Ok(padded.len() - usize::from(pad))
    } else {
        Err(CryptoError::Decrypt)
    }
}

fn gcm_nonce(nonce: &[u8]) -> Result<[u8; 12], CryptoError> {
    nonce
        .try_into()
        .map_err(|_| CryptoError::Unsupported("AES-GCM nonces other than 96 bits"))
}

fn gcm_cipher<A: KeyInit>(key: &[u8]) -> Result<A, CryptoError> {
    A::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)
}

fn hmac_with<D>(key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    D: Digest + BlockSizeUser,
{
    let mut mac =
        <SimpleHmac<D> as Mac>::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

fn hkdf_extract_with<D>(salt: &[u8], ikm: &[u8]) -> Zeroizing<Vec<u8>>
where
    D: Digest + BlockSizeUser + Clone,
{
    let (prk, _) = SimpleHkdf::<D>::extract(Some(salt), ikm);
    Zeroizing::new(prk.to_vec())
}

fn hkdf_expand_with<D>(
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    D: Digest + BlockSizeUser + Clone,
{
    let hkdf = SimpleHkdf::<D>::from_prk(prk).map_err(|_| CryptoError::InvalidKey)?;
    let mut okm = Zeroizing::new(vec![0u8; len]);
    hkdf.expand(info, &mut okm)
        .map_err(|_| CryptoError::InvalidInput("HKDF output longer than 255 hash lengths"))?;
    Ok(okm)
}

fn x25519_scalar(scalar: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let scalar: [u8; 32] = scalar.try_into().map_err(|_| CryptoError::InvalidKey)?;
    Ok(Zeroizing::new(scalar))
}

/// ECDSA verification by ring (BoringSSL's assembly; ADR 0004), after the strict DER
/// and low-S checks above.
fn ring_verify(
    algorithm: &'static ring::signature::EcdsaVerificationAlgorithm,
    sec1_point: &[u8],
    message: &[u8],
    signature_der: &[u8],
) -> bool {
    ring::signature::UnparsedPublicKey::new(algorithm, sec1_point)
        .verify(message, signature_der)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs7_unpadding_accepts_every_valid_pad_length() {
        for pad in 1..=16u8 {
            let mut block = [0xEEu8; 32];
            for byte in &mut block[32 - usize::from(pad)..] {
                *byte = pad;
            }
            assert_eq!(pkcs7_unpadded_len(&block), Ok(32 - usize::from(pad)));
        }
    }

    #[test]
    fn pkcs7_unpadding_rejects_malformed_padding() {
        let mut block = [3u8; 16];
        assert_eq!(pkcs7_unpadded_len(&block), Ok(13));
        block[13] = 2;
        assert_eq!(pkcs7_unpadded_len(&block), Err(CryptoError::Decrypt));
        assert_eq!(pkcs7_unpadded_len(&[0u8; 16]), Err(CryptoError::Decrypt));
        assert_eq!(pkcs7_unpadded_len(&[17u8; 16]), Err(CryptoError::Decrypt));
        assert_eq!(pkcs7_unpadded_len(&[1u8; 15]), Err(CryptoError::Decrypt));
    }
}
