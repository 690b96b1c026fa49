//! A signed envelope verifies only for the exact payload bytes, the exact (low-S)
//! signature, and a signer certificate that chains to a trusted organization.

mod common;

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use strongroom_identity::{
    CertificatePosition, ChainError, ENVELOPE_CONTEXT, EncodingError, EnvelopeError, Member, OrgCa,
    Role, SignedEnvelope, TrustStore, fingerprint,
};
use time::{Duration, OffsetDateTime};

use common::{org, validity, year};

struct World {
    now: OffsetDateTime,
    org1: OrgCa,
    alice: Member,
    bob: Member,
    trust: TrustStore,
}

#[allow(clippy::unwrap_used)] // test helper
fn world() -> World {
    let now = OffsetDateTime::now_utc();
    let org1 = org("Org1MSP", now);
    let org2 = org("Org2MSP", now);
    let alice = org1
        .enroll_member("alice", Role::Analyst, year(now))
        .unwrap();
    let bob = org1.enroll_member("bob", Role::Owner, year(now)).unwrap();
    let mut trust = TrustStore::new();
    trust.insert("Org1MSP", org1.cert_der().to_vec());
    trust.insert("Org2MSP", org2.cert_der().to_vec());
    World {
        now,
        org1,
        alice,
        bob,
        trust,
    }
}

const PAYLOAD: &[u8] = b"{\"op\":\"request_permission\",\"dataset\":\"genomes-2024\"}";

#[test]
fn round_trip_returns_the_signer() {
    let w = world();
    let envelope = w.alice.sign(PAYLOAD).unwrap();
    assert_eq!(envelope.payload, PAYLOAD);
    let decoded = SignedEnvelope::from_bytes(&envelope.to_bytes().unwrap()).unwrap();
    assert_eq!(decoded, envelope);

    let signer = decoded.verify(&w.trust, w.now).unwrap();
    assert_eq!(signer.msp_id, "Org1MSP");
    assert_eq!(signer.name, "alice");
    assert_eq!(signer.role, Role::Analyst);
    assert_eq!(signer.cert_fingerprint, fingerprint(w.alice.cert_der()));
}

#[test]
fn any_flipped_payload_byte_is_rejected() {
    let w = world();
    let envelope = w.alice.sign(PAYLOAD).unwrap();
    for i in 0..PAYLOAD.len() {
        let mut tampered = envelope.clone();
        tampered.payload[i] ^= 0x01;
        assert_eq!(
            tampered.verify(&w.trust, w.now),
            Err(EnvelopeError::BadSignature),
            "byte {i}"
        );
    }
    let mut longer = envelope.clone();
    longer.payload.push(b' ');
    assert_eq!(
        longer.verify(&w.trust, w.now),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn any_flipped_signature_byte_is_rejected() {
    let w = world();
    let envelope = w.alice.sign(PAYLOAD).unwrap();
    for i in 0..envelope.signature_der.len() {
        let mut tampered = envelope.clone();
        tampered.signature_der[i] ^= 0x01;
        assert!(tampered.verify(&w.trust, w.now).is_err(), "byte {i}");
    }
    // A flip inside r leaves well-formed DER, so the rejection is the signature check.
    let mut tampered = envelope.clone();
    tampered.signature_der[10] ^= 0x01;
    assert_eq!(
        tampered.verify(&w.trust, w.now),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn signature_from_another_member_is_rejected() {
    let w = world();
    let by_alice = w.alice.sign(PAYLOAD).unwrap();
    let by_bob = w.bob.sign(PAYLOAD).unwrap();
    by_bob.verify(&w.trust, w.now).unwrap();

    // Bob's signature presented with Alice's certificate.
    let mut swapped = by_alice.clone();
    swapped.signature_der = by_bob.signature_der.clone();
    assert_eq!(
        swapped.verify(&w.trust, w.now),
        Err(EnvelopeError::BadSignature)
    );
    // Alice's signature presented with Bob's certificate.
    let mut swapped = by_alice.clone();
    swapped.signer_cert_der = w.bob.cert_der().to_vec();
    assert_eq!(
        swapped.verify(&w.trust, w.now),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn high_s_twin_of_a_valid_signature_is_rejected() {
    let w = world();
    let envelope = w.alice.sign(PAYLOAD).unwrap();
    let low = Signature::from_der(&envelope.signature_der).unwrap();
    assert!(low.normalize_s().is_none(), "signer must emit low-S");

    let (r, s) = low.split_scalars();
    let high = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    assert!(high.normalize_s().is_some(), "twin must be high-S");
    // The twin is a mathematically valid ECDSA signature over the same message...
    let message = [ENVELOPE_CONTEXT, PAYLOAD].concat();
    VerifyingKey::from(&w.alice.public_key())
        .verify(&message, &high)
        .unwrap();
    // ...and the envelope still refuses it.
    let mut malleated = envelope.clone();
    malleated.signature_der = high.to_der().as_bytes().to_vec();
    assert_eq!(malleated.verify(&w.trust, w.now), Err(EnvelopeError::HighS));
}

#[test]
fn signatures_are_low_s_across_many_payloads() {
    let w = world();
    for i in 0..64u32 {
        let envelope = w.alice.sign(i.to_be_bytes()).unwrap();
        let signature = Signature::from_der(&envelope.signature_der).unwrap();
        assert!(signature.normalize_s().is_none(), "payload {i}");
    }
}

#[test]
fn signature_without_the_context_prefix_is_rejected() {
    let w = world();
    let key = SigningKey::from_pkcs8_der(&w.alice.private_key_pkcs8_der().unwrap()).unwrap();
    let raw: Signature = key.sign(PAYLOAD);
    let raw = raw.normalize_s().unwrap_or(raw);
    let envelope = SignedEnvelope {
        payload: PAYLOAD.to_vec(),
        signer_cert_der: w.alice.cert_der().to_vec(),
        signature_der: raw.to_der().as_bytes().to_vec(),
    };
    assert_eq!(
        envelope.verify(&w.trust, w.now),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn unknown_msp_is_rejected() {
    let w = world();
    let envelope = w.alice.sign(PAYLOAD).unwrap();
    let mut only_org2 = w.trust.clone();
    only_org2.remove("Org1MSP");
    assert_eq!(
        envelope.verify(&only_org2, w.now),
        Err(EnvelopeError::UnknownMsp {
            msp_id: "Org1MSP".to_owned()
        })
    );
    // Trusting Org2's root under the name Org1MSP does not help.
    let mut misfiled = TrustStore::new();
    misfiled.insert("Org1MSP", only_org2.root("Org2MSP").unwrap().to_vec());
    assert!(matches!(
        envelope.verify(&misfiled, w.now),
        Err(EnvelopeError::SignerCertificate(_))
    ));
}

#[test]
fn expired_signer_is_rejected() {
    let w = world();
    let short = w
        .org1
        .enroll_member(
            "temp",
            Role::Executor,
            validity(w.now, Duration::days(-2), Duration::days(1)),
        )
        .unwrap();
    let envelope = short.sign(PAYLOAD).unwrap();
    envelope.verify(&w.trust, w.now).unwrap();
    assert!(matches!(
        envelope.verify(&w.trust, w.now + Duration::days(2)),
        Err(EnvelopeError::SignerCertificate(ChainError::Expired {
            position: CertificatePosition::Leaf,
            ..
        }))
    ));
}

#[test]
fn encoding_rejects_trailing_bytes_and_oversize_fields() {
    let w = world();
    let bytes = w.alice.sign(PAYLOAD).unwrap().to_bytes().unwrap();

    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        SignedEnvelope::from_bytes(&trailing),
        Err(EncodingError::TrailingBytes { count: 1 })
    );
    assert!(matches!(
        SignedEnvelope::from_bytes(&bytes[..bytes.len() - 1]),
        Err(EncodingError::Truncated { .. })
    ));
    // Claim a payload one byte over the limit.
    let mut oversize = bytes[..5].to_vec();
    let claimed = u32::try_from(strongroom_identity::MAX_PAYLOAD_LEN + 1).unwrap();
    oversize.extend_from_slice(&claimed.to_be_bytes());
    assert!(matches!(
        SignedEnvelope::from_bytes(&oversize),
        Err(EncodingError::FieldTooLarge { .. })
    ));
    assert!(matches!(
        w.alice
            .sign(vec![0u8; strongroom_identity::MAX_PAYLOAD_LEN + 1]),
        Err(EncodingError::FieldTooLarge { .. })
    ));
}
