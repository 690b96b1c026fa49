//! Properties of the provider API that known-answer vectors do not pin down: low-S
//! signing, the `SignaturePolicy` split, opaque CBC errors, constant-time MAC
//! rejection, AEAD tamper detection and X25519 agreement.

use proptest::prelude::*;
use strongroom_crypto::provider::{
    CryptoError, CryptoProvider, EcdsaCurve, HashAlgorithm, SignaturePolicy, default_provider,
};

fn provider() -> &'static dyn CryptoProvider {
    default_provider()
}

fn curves() -> impl Strategy<Value = EcdsaCurve> {
    prop_oneof![Just(EcdsaCurve::P256), Just(EcdsaCurve::P384)]
}

fn hash_algorithms() -> impl Strategy<Value = HashAlgorithm> {
    prop_oneof![
        Just(HashAlgorithm::Sha256),
        Just(HashAlgorithm::Sha384),
        Just(HashAlgorithm::Sha3_256),
        Just(HashAlgorithm::Sha3_384),
    ]
}

fn aes_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(16usize), Just(24), Just(32)]
        .prop_flat_map(|len| proptest::collection::vec(any::<u8>(), len))
}

/// Whether a DER signature is low-S, and its high-S twin `(r, n - s)` in DER.
///
/// Uses the RustCrypto types only to build test inputs; the checks go through the
/// provider.
fn low_s_and_twin(curve: EcdsaCurve, der: &[u8]) -> (bool, Vec<u8>) {
    match curve {
        EcdsaCurve::P256 => {
            let signature = p256::ecdsa::Signature::from_der(der).expect("DER");
            let (r, s) = signature.split_scalars();
            let negated = -*s.as_ref();
            let twin = p256::ecdsa::Signature::from_scalars(r.to_bytes(), negated.to_bytes())
                .expect("twin");
            (
                signature.normalize_s().is_none(),
                twin.to_der().as_bytes().to_vec(),
            )
        }
        EcdsaCurve::P384 => {
            let signature = p384::ecdsa::Signature::from_der(der).expect("DER");
            let (r, s) = signature.split_scalars();
            let negated = -*s.as_ref();
            let twin = p384::ecdsa::Signature::from_scalars(r.to_bytes(), negated.to_bytes())
                .expect("twin");
            (
                signature.normalize_s().is_none(),
                twin.to_der().as_bytes().to_vec(),
            )
        }
        _ => unreachable!("curve not covered by this test"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ecdsa_signatures_are_low_s_and_their_high_s_twins_only_pass_standard(
        curve in curves(),
        message in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let key = provider().generate_signing_key(curve).expect("key generation");
        let public = key.verifying_key();
        let signature = provider().ecdsa_sign(&key, &message).expect("sign");

        let (low_s, twin) = low_s_and_twin(curve, &signature);
        prop_assert!(low_s, "produced a high-S signature");
        prop_assert_eq!(
            provider().ecdsa_verify(&public, &message, &signature, SignaturePolicy::LowS),
            Ok(())
        );
        prop_assert_eq!(
            provider().ecdsa_verify(&public, &message, &signature, SignaturePolicy::Standard),
            Ok(())
        );

        prop_assert_ne!(&twin, &signature);
        prop_assert_eq!(
            provider().ecdsa_verify(&public, &message, &twin, SignaturePolicy::Standard),
            Ok(())
        );
        prop_assert_eq!(
            provider().ecdsa_verify(&public, &message, &twin, SignaturePolicy::LowS),
            Err(CryptoError::InvalidSignature)
        );

        let mut other = message.clone();
        other.push(0);
        prop_assert_eq!(
            provider().ecdsa_verify(&public, &other, &signature, SignaturePolicy::Standard),
            Err(CryptoError::InvalidSignature)
        );
    }

    #[test]
    fn aes_cbc_round_trips_and_wrong_keys_never_yield_the_plaintext(
        key in aes_key(),
        iv in any::<[u8; 16]>(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let ciphertext = provider().aes_cbc_pkcs7_encrypt(&key, &iv, &plaintext).expect("encrypt");
        prop_assert_eq!(ciphertext.len(), (plaintext.len() / 16 + 1) * 16);
        prop_assert_eq!(
            provider().aes_cbc_pkcs7_decrypt(&key, &iv, &ciphertext),
            Ok(plaintext.clone())
        );

        let mut wrong_key = key.clone();
        wrong_key[0] ^= 1;
        // A wrong key yields valid-looking padding about once in 256 tries; otherwise
        // the error is the opaque `Decrypt`, the same as for bad padding.
        match provider().aes_cbc_pkcs7_decrypt(&wrong_key, &iv, &ciphertext) {
            Ok(garbage) => prop_assert_ne!(garbage, plaintext),
            Err(error) => prop_assert_eq!(error, CryptoError::Decrypt),
        }
    }

    #[test]
    fn hmac_verify_rejects_any_one_bit_change(
        algorithm in hash_algorithms(),
        key in proptest::collection::vec(any::<u8>(), 0..200),
        data in proptest::collection::vec(any::<u8>(), 1..200),
        bit in any::<prop::sample::Index>(),
    ) {
        let tag = provider().hmac(algorithm, &key, &data).expect("hmac");
        prop_assert_eq!(provider().hmac_verify(algorithm, &key, &data, &tag), Ok(()));

        let mut flipped_tag = tag.clone();
        let tag_bit = bit.index(tag.len() * 8);
        flipped_tag[tag_bit / 8] ^= 1 << (tag_bit % 8);
        prop_assert_eq!(
            provider().hmac_verify(algorithm, &key, &data, &flipped_tag),
            Err(CryptoError::InvalidMac)
        );

        let mut flipped_data = data.clone();
        let data_bit = bit.index(data.len() * 8);
        flipped_data[data_bit / 8] ^= 1 << (data_bit % 8);
        prop_assert_eq!(
            provider().hmac_verify(algorithm, &key, &flipped_data, &tag),
            Err(CryptoError::InvalidMac)
        );
    }

    #[test]
    fn aes_gcm_round_trips_and_rejects_any_one_bit_change(
        key in aes_key(),
        nonce in any::<[u8; 12]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..40),
        plaintext in proptest::collection::vec(any::<u8>(), 0..100),
        bit in any::<prop::sample::Index>(),
    ) {
        let sealed = provider().aes_gcm_seal(&key, &nonce, &aad, &plaintext).expect("seal");
        prop_assert_eq!(sealed.len(), plaintext.len() + 16);
        prop_assert_eq!(provider().aes_gcm_open(&key, &nonce, &aad, &sealed), Ok(plaintext));

        let mut tampered = sealed.clone();
        let index = bit.index(sealed.len() * 8);
        tampered[index / 8] ^= 1 << (index % 8);
        prop_assert_eq!(
            provider().aes_gcm_open(&key, &nonce, &aad, &tampered),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn x25519_parties_agree(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
        let public_a = provider().x25519_public_key(&a).expect("public key");
        let public_b = provider().x25519_public_key(&b).expect("public key");
        let shared_a = provider().x25519(&a, &public_b).expect("agreement");
        let shared_b = provider().x25519(&b, &public_a).expect("agreement");
        prop_assert_eq!(*shared_a, *shared_b);
    }
}

/// Bad padding, a truncated ciphertext and a wrong key give one and the same error.
#[test]
fn aes_cbc_failures_are_indistinguishable() {
    let key = [0x42u8; 32];
    let iv = [0x24u8; 16];
    // 32 bytes ending in 0x00: encryption appends a full padding block.
    let plaintext = [0u8; 32];
    let ciphertext = provider()
        .aes_cbc_pkcs7_encrypt(&key, &iv, &plaintext)
        .expect("encrypt");
    assert_eq!(ciphertext.len(), 48);

    // Dropping the padding block leaves a last byte of 0x00: bad padding.
    let bad_padding = provider().aes_cbc_pkcs7_decrypt(&key, &iv, &ciphertext[..32]);
    // Flipping a bit of the padding (via the previous block) makes it 0x11: bad padding.
    let mut flipped = ciphertext.clone();
    flipped[31] ^= 0x01;
    let flipped_padding = provider().aes_cbc_pkcs7_decrypt(&key, &iv, &flipped);
    let truncated = provider().aes_cbc_pkcs7_decrypt(&key, &iv, &ciphertext[..47]);
    let empty = provider().aes_cbc_pkcs7_decrypt(&key, &iv, &[]);

    // Find a wrong key whose decryption fails (about 255 in 256 do).
    let wrong_key = (0u8..=255)
        .map(|i| [i; 32])
        .find(|k| {
            k != &key
                && provider()
                    .aes_cbc_pkcs7_decrypt(k, &iv, &ciphertext)
                    .is_err()
        })
        .expect("some wrong key fails");
    let wrong = provider().aes_cbc_pkcs7_decrypt(&wrong_key, &iv, &ciphertext);

    for result in [bad_padding, flipped_padding, truncated, empty, wrong] {
        assert_eq!(result, Err(CryptoError::Decrypt));
    }
    let message = CryptoError::Decrypt.to_string();
    assert_eq!(message, "decryption failed");
}

/// Parameters the API refuses by design.
#[test]
fn unsupported_and_invalid_parameters() {
    let key = [7u8; 16];
    assert!(matches!(
        provider().aes_gcm_seal(&key, &[0u8; 16], b"", b"x"),
        Err(CryptoError::Unsupported(_))
    ));
    assert_eq!(
        provider().aes_gcm_seal(&[0u8; 20], &[0u8; 12], b"", b"x"),
        Err(CryptoError::InvalidKey)
    );
    assert!(matches!(
        provider().aes_cbc_pkcs7_encrypt(&key, &[0u8; 12], b"x"),
        Err(CryptoError::InvalidInput(_))
    ));
    let tag = provider()
        .hmac(HashAlgorithm::Sha256, &key, b"data")
        .expect("hmac");
    assert!(matches!(
        provider().hmac_verify(HashAlgorithm::Sha256, &key, b"data", &tag[..16]),
        Err(CryptoError::Unsupported(_))
    ));
    // A low-order point (here 0) gives the all-zero shared secret.
    assert_eq!(
        provider().x25519(&[1u8; 32], &[0u8; 32]).map(|s| *s),
        Err(CryptoError::InvalidKey)
    );
}
