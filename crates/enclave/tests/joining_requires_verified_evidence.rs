//! A second core receives the service secrets only if its evidence verifies under the
//! policy and binds the key the secrets are wrapped to: an allowed measurement joins;
//! another measurement, simulated evidence under a policy without `allow_simulated`,
//! tampered evidence, or evidence for another key do not.
#![allow(clippy::unwrap_used)]

mod common;

use common::{code, core, core_with, error, genesis, join, sim_policy, world};
use strongroom_enclave::{
    EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage, JoinCollateral,
};
use strongroom_tee::{CodeIdentity, Policy};

fn prepare(joiner: &mut strongroom_enclave::Enclave) -> (EvidenceMessage, Vec<u8>) {
    match joiner.handle(EnclaveRequest::PrepareJoin) {
        EnclaveResponse::JoinPrepared {
            evidence,
            joiner_key,
        } => (evidence, joiner_key),
        other => panic!("prepare: {other:?}"),
    }
}

fn request(
    member: &mut strongroom_enclave::Enclave,
    evidence: EvidenceMessage,
    joiner_key: Vec<u8>,
) -> EnclaveResponse {
    member.handle(EnclaveRequest::JoinRequest {
        evidence,
        collateral: JoinCollateral::None,
        joiner_key,
    })
}

#[test]
fn allowed_measurement_joins_and_holds_the_same_keys() {
    let w = world();
    let mut a = core();
    let g = genesis(&mut a, &w.constitution);
    let mut b = core();
    // Before joining, the joiner has nothing.
    assert_eq!(
        error(b.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
    join(&mut a, &mut b);
    let EnclaveResponse::PublicKeys { public_keys } = b.handle(EnclaveRequest::PublicKeys) else {
        panic!("public keys")
    };
    assert_eq!(public_keys, g.public_keys);
    // The key-release key comes from the ledger secret: a data key wrapped for one
    // replica's release opens at every replica.
    let key_release_key = |core: &mut strongroom_enclave::Enclave| {
        let EnclaveResponse::Evidence {
            key_release_key, ..
        } = core.handle(EnclaveRequest::Evidence { nonce: vec![7; 16] })
        else {
            panic!("evidence")
        };
        key_release_key
    };
    let released_at_a = key_release_key(&mut a);
    assert_eq!(released_at_a.len(), 32);
    assert_eq!(released_at_a, key_release_key(&mut b));
    // Another consortium's core (another ledger secret) has another one.
    let mut other = core();
    genesis(&mut other, &w.constitution);
    assert_ne!(released_at_a, key_release_key(&mut other));
    // Joining twice is refused.
    assert_eq!(
        error(b.handle(EnclaveRequest::PrepareJoin)),
        EnclaveError::AlreadyInitialized
    );
}

#[test]
fn another_measurement_is_refused() {
    let w = world();
    let mut a = core();
    genesis(&mut a, &w.constitution);
    let mut other = core_with(
        &CodeIdentity::new("strongroom-enclave", "test", "patched"),
        sim_policy(),
    );
    let (evidence, key) = prepare(&mut other);
    let refused = error(request(&mut a, evidence, key));
    assert!(
        matches!(&refused, EnclaveError::Attestation(reason) if reason.contains("no [[allow]] entry")),
        "{refused:?}"
    );
    assert_eq!(
        error(other.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
}

#[test]
fn simulated_evidence_needs_allow_simulated() {
    let w = world();
    // Same allowed measurement, but the member's policy refuses the simulation.
    let strict = sim_policy().with_allow_simulated(false);
    let mut a = core_with(&code(), strict);
    genesis(&mut a, &w.constitution);
    let mut b = core();
    let (evidence, key) = prepare(&mut b);
    let refused = error(request(&mut a, evidence, key));
    assert!(
        matches!(refused, EnclaveError::Attestation(_)),
        "{refused:?}"
    );

    // And the default policy refuses everything.
    let mut c = core_with(&code(), Policy::new());
    genesis(&mut c, &w.constitution);
    let (evidence, key) = prepare(&mut b);
    assert!(matches!(
        error(request(&mut c, evidence, key)),
        EnclaveError::Attestation(_)
    ));
}

#[test]
fn tampered_evidence_is_refused() {
    let w = world();
    let mut a = core();
    genesis(&mut a, &w.constitution);
    let mut b = core();
    let (mut evidence, key) = prepare(&mut b);
    // Flip one hex digit of the report data inside the sim evidence document.
    let text = String::from_utf8(evidence.bytes.clone()).unwrap();
    let start = text.find("\"report_data\": \"").unwrap() + "\"report_data\": \"".len();
    let mut bytes = evidence.bytes.clone();
    bytes[start] = if bytes[start] == b'0' { b'1' } else { b'0' };
    evidence.bytes = bytes;
    let refused = error(request(&mut a, evidence, key));
    assert!(
        matches!(refused, EnclaveError::Attestation(_)),
        "{refused:?}"
    );
}

#[test]
fn evidence_must_bind_the_joiner_key() {
    let w = world();
    let mut a = core();
    genesis(&mut a, &w.constitution);
    let mut b = core();
    let mut mallory = core();
    let (evidence, _) = prepare(&mut b);
    let (_, mallory_key) = prepare(&mut mallory);
    // Valid evidence of an allowed core, presented with someone else's key.
    let refused = error(request(&mut a, evidence, mallory_key));
    assert!(
        matches!(&refused, EnclaveError::Attestation(reason) if reason.contains("joiner key")),
        "{refused:?}"
    );

    // Secrets wrapped for `b` do not open on another core.
    let (evidence, key) = prepare(&mut b);
    let EnclaveResponse::SecretsWrapped { wrapped } = request(&mut a, evidence, key) else {
        panic!("wrap")
    };
    let mut c = core();
    prepare(&mut c);
    assert!(matches!(
        error(c.handle(EnclaveRequest::Join {
            wrapped: wrapped.clone()
        })),
        EnclaveError::InvalidRequest(_)
    ));
    assert!(matches!(
        b.handle(EnclaveRequest::Join { wrapped }),
        EnclaveResponse::Joined { .. }
    ));
}
