//! The ledger secret, the service signing key and the transaction key never appear in
//! clear in anything a core answers: they leave only sealed to the platform (which
//! another measurement cannot unseal) or wrapped to an attested joiner. The core's
//! evidence binds the hash of its public keys.
#![allow(clippy::unwrap_used)]

mod common;

use common::{HOST_SECRET, code, commit, core, core_with, error, join, sim_policy, world};
use strongroom_enclave::request::PreparedRequest;
use strongroom_enclave::{EnclaveError, EnclaveRequest, EnclaveResponse, evidence_report_data};
use strongroom_tee::{CodeIdentity, Collateral, Evidence, Platform, SimPlatform, verify};
use time::OffsetDateTime;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_answer_contains_a_secret() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);

    // The test opens the sealed blob with the same sim platform (same measurement and
    // host secret): that is how it learns the secrets to look for.
    let blob = SimPlatform::new(&code(), &HOST_SECRET)
        .unwrap()
        .unseal(&g.sealed, b"strongroom/enclave/sealed-secrets/v1")
        .unwrap();
    let ledger_secret = blob[1..33].to_vec();
    let transaction_key = blob[blob.len() - 32..].to_vec();
    // The P-256 scalar inside the PKCS#8 DER: the 32 bytes after `04 20` in the
    // ECPrivateKey.
    let pkcs8 = &blob[37..blob.len() - 32];
    let at = pkcs8.windows(2).position(|w| w == [0x04, 0x20]).unwrap();
    let signing_scalar = pkcs8[at + 2..at + 34].to_vec();
    let secrets = [&ledger_secret, &transaction_key, &signing_scalar];

    // Exercise every answer kind that exists after genesis.
    let key = g.public_keys.transaction_key.clone();
    let request = PreparedRequest::transaction(&key, &w.alice, "put a=b").unwrap();
    let mut answers: Vec<Vec<u8>> = vec![g.ledger_payload.clone(), g.sealed.clone()];
    let executed = commit(&mut a, &mut ledger, w.now_ms + 1, &request.payload);
    answers.push(executed.ledger_payload);
    answers.push(executed.response);
    let query = PreparedRequest::query(&key, &w.alice, "get a").unwrap();
    for request in [
        EnclaveRequest::Evidence { nonce: vec![1; 32] },
        EnclaveRequest::PublicKeys,
        EnclaveRequest::Query {
            envelope: query.payload,
            host_time_ms: 0,
        },
        EnclaveRequest::SignRoot {
            tree_size: 2,
            root: [3; 32],
        },
        EnclaveRequest::Snapshot,
        EnclaveRequest::StateDigest,
    ] {
        let response = a.handle(request);
        assert!(
            !matches!(response, EnclaveResponse::Error { .. }),
            "{response:?}"
        );
        answers.push(response.to_bytes());
    }
    let mut joiner = core();
    answers.push(join(&mut a, &mut joiner));
    answers.push(format!("{a:?}").into_bytes());

    for answer in &answers {
        for secret in secrets {
            assert!(!contains(answer, secret), "a secret in clear");
            assert!(
                !contains(answer, hex::encode(secret).as_bytes()),
                "a secret in hex"
            );
        }
    }
}

#[test]
fn sealed_secrets_open_only_for_the_same_measurement() {
    let w = world();
    let (_, _, g) = common::started(&w);
    let mut same = core();
    assert!(matches!(
        same.handle(EnclaveRequest::Unseal {
            sealed: g.sealed.clone()
        }),
        EnclaveResponse::PublicKeys { public_keys } if public_keys == g.public_keys
    ));
    let mut patched = core_with(&CodeIdentity::new("strongroom-enclave", "test", "patched"));
    assert!(matches!(
        error(patched.handle(EnclaveRequest::Unseal { sealed: g.sealed })),
        EnclaveError::Platform(_)
    ));
}

#[test]
fn evidence_binds_the_public_keys_the_key_release_key_the_endpoint_and_the_nonce() {
    let w = world();
    let (mut a, _, g) = common::started(&w);
    let nonce = b"verifier nonce 0123456789abcdef".to_vec();
    let endpoint = [0x77; 32];
    assert!(matches!(
        a.handle(EnclaveRequest::BindEndpoint { endpoint }),
        EnclaveResponse::EndpointBound { .. }
    ));
    let EnclaveResponse::Evidence {
        evidence,
        public_keys,
        key_release_key,
        endpoint: bound,
    } = a.handle(EnclaveRequest::Evidence {
        nonce: nonce.clone(),
    })
    else {
        panic!("evidence")
    };
    assert_eq!(public_keys, g.public_keys);
    assert_eq!(bound, endpoint);
    let claims = verify(
        &Evidence::from(&evidence),
        &Collateral::None,
        &sim_policy(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert!(claims.insecure, "sim evidence is labelled insecure");
    assert_eq!(
        claims.report_data,
        evidence_report_data(&public_keys, &key_release_key, &endpoint, &nonce)
    );
    assert_ne!(
        claims.report_data,
        evidence_report_data(&public_keys, &key_release_key, &endpoint, b"another nonce")
    );
    assert_ne!(
        claims.report_data,
        evidence_report_data(&public_keys, &key_release_key, &[0x78; 32], &nonce),
        "another endpoint key"
    );
    assert_ne!(
        claims.report_data,
        evidence_report_data(&public_keys, &[0x55; 32], &endpoint, &nonce),
        "another key-release key"
    );
    // The endpoint is bound once: another key is refused, the same one accepted.
    assert!(matches!(
        error(a.handle(EnclaveRequest::BindEndpoint { endpoint: [1; 32] })),
        EnclaveError::InvalidRequest(_)
    ));
}
