//! Single-shot base-mode opening for the default suite, DHKEM(X25519, HKDF-SHA256) /
//! HKDF-SHA256 / AES-256-GCM, with the X25519 function from AWS-LC (ADR 0005).
//!
//! The enclave core opens one sealed request per transaction, so this is on the
//! critical path of every transaction. Two costs of the generic path go away here:
//! the hpke crate recomputes the recipient's public key on every decapsulation (a
//! fixed-base scalar multiplication), and curve25519-dalek's portable Montgomery ladder
//! takes about twice as long as AWS-LC's assembly. Everything else is RFC 9180 as
//! written (sections 4.1, 5.1, 5.2 and 7.1.3), checked by the RFC's test vectors through
//! [`open`](super::open), and by the round trips and tamper tests that run against the
//! generic path.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use aws_lc_rs::agreement::{self, UnparsedPublicKey, X25519};
use hkdf::{Hkdf, HkdfExtract};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::HpkeError;

/// `"KEM" || I2OSP(0x0020, 2)`.
const KEM_SUITE_ID: &[u8] = b"KEM\x00\x20";
/// `"HPKE" || I2OSP(kem 0x0020, 2) || I2OSP(kdf 0x0001, 2) || I2OSP(aead 0x0002, 2)`.
const HPKE_SUITE_ID: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x02";
const VERSION_LABEL: &[u8] = b"HPKE-v1";
const MODE_BASE: u8 = 0x00;
const N_SECRET: usize = 32;
const N_KEY: usize = 32;
const N_NONCE: usize = 12;

/// An X25519 recipient key in AWS-LC's form, with its public key.
pub(super) struct Recipient {
    secret: agreement::PrivateKey,
    public: [u8; 32],
    /// `LabeledExtract("", "psk_id_hash", "")`: the same for every base-mode message of
    /// the suite, so computed once.
    psk_id_hash: [u8; N_SECRET],
}

impl Recipient {
    /// The recipient for a 32-byte X25519 private key and its public key; `None` if
    /// AWS-LC does not take the key (then the generic path serves it).
    pub(super) fn new(secret: &[u8], public: &[u8]) -> Option<Self> {
        Some(Self {
            secret: agreement::PrivateKey::from_private_key(&X25519, secret).ok()?,
            public: public.try_into().ok()?,
            psk_id_hash: *labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", &[]).0,
        })
    }

    /// RFC 9180 `Open` in base mode with sequence number 0: the single-shot
    /// [`open`](super::open) for the default suite. Any failure is
    /// [`HpkeError::Decrypt`].
    pub(super) fn open(
        &self,
        enc: &[u8],
        info: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        let shared_secret = self.decap(enc)?;
        // KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "").
        let info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", &[info]).0;
        let mut context = [0u8; 1 + 2 * N_SECRET];
        context[0] = MODE_BASE;
        context[1..1 + N_SECRET].copy_from_slice(&self.psk_id_hash);
        context[1 + N_SECRET..].copy_from_slice(&info_hash[..]);
        let (_, secret) = labeled_extract(HPKE_SUITE_ID, &shared_secret[..], b"secret", &[]);
        let mut key = Zeroizing::new([0u8; N_KEY]);
        labeled_expand(&secret, HPKE_SUITE_ID, b"key", &context, &mut key[..])?;
        let mut base_nonce = [0u8; N_NONCE];
        labeled_expand(
            &secret,
            HPKE_SUITE_ID,
            b"base_nonce",
            &context,
            &mut base_nonce,
        )?;
        // Sequence number 0: the nonce is the base nonce.
        let cipher = Aes256Gcm::new_from_slice(&key[..]).map_err(|_| HpkeError::Decrypt)?;
        cipher
            .decrypt(
                Nonce::from_slice(&base_nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| HpkeError::Decrypt)
    }

    /// DHKEM `Decap(enc, skR)`: `ExtractAndExpand(DH(skR, pkE), enc || pkR)`.
    fn decap(&self, enc: &[u8]) -> Result<Zeroizing<[u8; N_SECRET]>, HpkeError> {
        if enc.len() != 32 {
            return Err(HpkeError::Decrypt);
        }
        let mut dh = Zeroizing::new([0u8; 32]);
        agreement::agree(
            &self.secret,
            UnparsedPublicKey::new(&X25519, enc),
            HpkeError::Decrypt,
            |shared| {
                if shared.len() != 32 {
                    return Err(HpkeError::Decrypt);
                }
                dh.copy_from_slice(shared);
                Ok(())
            },
        )?;
        // RFC 9180 section 7.1.4: an all-zero X25519 output (a small-order `enc`) is
        // an error.
        if bool::from(dh.ct_eq(&[0u8; 32])) {
            return Err(HpkeError::Decrypt);
        }
        let (_, eae_prk) = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", &[&dh[..]]);
        let mut kem_context = [0u8; 64];
        kem_context[..32].copy_from_slice(enc);
        kem_context[32..].copy_from_slice(&self.public);
        let mut shared_secret = Zeroizing::new([0u8; N_SECRET]);
        labeled_expand(
            &eae_prk,
            KEM_SUITE_ID,
            b"shared_secret",
            &kem_context,
            &mut shared_secret[..],
        )?;
        Ok(shared_secret)
    }
}

/// `LabeledExtract(salt, label, ikm)`: HKDF-Extract over
/// `"HPKE-v1" || suite_id || label || ikm` (`ikm` given in parts). Answers the
/// pseudorandom key and the HKDF state to expand from.
fn labeled_extract(
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[&[u8]],
) -> (Zeroizing<[u8; N_SECRET]>, Hkdf<Sha256>) {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    extract.input_ikm(VERSION_LABEL);
    extract.input_ikm(suite_id);
    extract.input_ikm(label);
    for part in ikm {
        extract.input_ikm(part);
    }
    let (prk, hkdf) = extract.finalize();
    let mut out = Zeroizing::new([0u8; N_SECRET]);
    out.copy_from_slice(&prk);
    (out, hkdf)
}

/// `LabeledExpand(prk, label, info, L)`: HKDF-Expand with the info
/// `I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info`, `L = out.len()`.
fn labeled_expand(
    prk: &Hkdf<Sha256>,
    suite_id: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), HpkeError> {
    let length = u16::try_from(out.len()).map_err(|_| HpkeError::Decrypt)?;
    prk.expand_multi_info(
        &[&length.to_be_bytes(), VERSION_LABEL, suite_id, label, info],
        out,
    )
    .map_err(|_| HpkeError::Decrypt)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{KemId, PrivateKey, Suite, setup_receiver};

    /// `(enc, info, aad, ciphertext)`.
    type Case = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

    /// The fast path and the hpke crate's generic path agree on every input: what one
    /// opens the other opens to the same bytes, and what one refuses the other refuses.
    #[test]
    fn fast_open_matches_the_generic_path() {
        let suite = Suite::default();
        let key = PrivateKey::generate(suite);
        assert!(key.fast.is_some(), "X25519 keys get the fast path");
        let generic = |enc: &[u8], info: &[u8], aad: &[u8], ct: &[u8]| {
            setup_receiver(suite, &key, enc, info, None).and_then(|mut ctx| ctx.open(aad, ct))
        };
        let fast = key.fast.as_ref().unwrap();
        for len in [0usize, 1, 15, 16, 17, 1000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let (enc, ct) =
                super::super::seal(suite, key.public_key(), b"info", b"aad", &plaintext, None)
                    .unwrap();
            let opened = fast.open(&enc, b"info", b"aad", &ct).unwrap();
            assert_eq!(&opened[..], &plaintext[..]);
            assert_eq!(
                &generic(&enc, b"info", b"aad", &ct).unwrap()[..],
                &plaintext[..]
            );
            // Any change anywhere is refused by both.
            let mut cases: Vec<Case> = vec![
                (enc.clone(), b"infO".to_vec(), b"aad".to_vec(), ct.clone()),
                (enc.clone(), b"info".to_vec(), b"aaD".to_vec(), ct.clone()),
                (
                    enc[..31].to_vec(),
                    b"info".to_vec(),
                    b"aad".to_vec(),
                    ct.clone(),
                ),
                (vec![0; 32], b"info".to_vec(), b"aad".to_vec(), ct.clone()),
            ];
            for at in [0, 31] {
                let mut bad = enc.clone();
                bad[at] ^= 1;
                cases.push((bad, b"info".to_vec(), b"aad".to_vec(), ct.clone()));
            }
            for at in [0, ct.len() - 1] {
                let mut bad = ct.clone();
                bad[at] ^= 0x80;
                cases.push((enc.clone(), b"info".to_vec(), b"aad".to_vec(), bad));
            }
            for (enc, info, aad, ct) in cases {
                assert!(fast.open(&enc, &info, &aad, &ct).is_err());
                assert!(generic(&enc, &info, &aad, &ct).is_err());
            }
        }
        // Another recipient's key opens nothing.
        let other = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let (enc, ct) =
            super::super::seal(suite, key.public_key(), b"", b"", b"secret", None).unwrap();
        assert!(
            other
                .fast
                .as_ref()
                .unwrap()
                .open(&enc, b"", b"", &ct)
                .is_err()
        );
        assert!(
            PrivateKey::generate(KemId::DhKemP256HkdfSha256)
                .fast
                .is_none()
        );
    }
}
