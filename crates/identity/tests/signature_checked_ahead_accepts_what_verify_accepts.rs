//! `SignedEnvelope::check_signature` (done ahead, without the trusted roots or a time)
//! followed by `verify_checked` accepts exactly what the full `verify` accepts: the
//! signature must verify under the certificate's own key, the proof must be for these
//! exact bytes and this certificate, and the certificate must be valid at the time of
//! use.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_identity::{
    CertificatePosition, ChainError, EnvelopeError, SignedEnvelope, SignerKeys,
};
use time::{Duration, OffsetDateTime};

use common::{TwoMembers, two_members};

#[test]
fn a_signature_checked_ahead_gives_the_same_answers_as_the_full_check() {
    let now = OffsetDateTime::now_utc();
    let TwoMembers {
        alice,
        bob,
        trust,
        alice_identity: identity,
        bob_identity,
        ..
    } = two_members(now);

    let envelope = alice.sign(b"payload".to_vec()).unwrap();
    let checked = envelope.check_signature().unwrap();
    assert_eq!(
        envelope.verify_checked(&checked, &identity, now).unwrap(),
        envelope.verify(&trust, now).unwrap()
    );

    // The time is still checked at use.
    let later = now + Duration::days(20);
    let expired = envelope
        .verify_checked(&checked, &identity, later)
        .unwrap_err();
    assert!(matches!(
        expired,
        EnvelopeError::SignerCertificate(ChainError::Expired {
            position: CertificatePosition::Leaf,
            ..
        })
    ));
    assert_eq!(expired, envelope.verify(&trust, later).unwrap_err());

    // A bad signature, a changed payload or a high-S twin never gets a proof.
    let from_bob = bob.sign(b"payload".to_vec()).unwrap();
    let forged = SignedEnvelope {
        signature_der: from_bob.signature_der.clone(),
        ..envelope.clone()
    };
    assert_eq!(
        forged.check_signature().unwrap_err(),
        EnvelopeError::BadSignature
    );
    let changed = SignedEnvelope {
        payload: b"payloaD".to_vec(),
        ..envelope.clone()
    };
    assert_eq!(
        changed.check_signature().unwrap_err(),
        EnvelopeError::BadSignature
    );
    let garbage_cert = SignedEnvelope {
        signer_cert_der: b"not a certificate".to_vec(),
        ..envelope.clone()
    };
    assert!(matches!(
        garbage_cert.check_signature(),
        Err(EnvelopeError::SignerCertificate(
            ChainError::Malformed { .. }
        ))
    ));

    // A proof made for one envelope does not stand in for another's signature, even
    // one by the same signer, nor under another member's identity.
    let other = alice.sign(b"other payload".to_vec()).unwrap();
    assert_eq!(
        other.verify_checked(&checked, &identity, now).unwrap_err(),
        EnvelopeError::CertificateMismatch
    );
    assert_eq!(
        changed
            .verify_checked(&checked, &identity, now)
            .unwrap_err(),
        EnvelopeError::CertificateMismatch
    );
    let bob_checked = from_bob.check_signature().unwrap();
    assert_eq!(
        from_bob
            .verify_checked(&bob_checked, &identity, now)
            .unwrap_err(),
        EnvelopeError::CertificateMismatch
    );
    assert_eq!(
        from_bob
            .verify_checked(&bob_checked, &bob_identity, now)
            .unwrap()
            .name,
        "bob"
    );
}

/// With the signer keys cached, every answer is the uncached one: for the first and the
/// later envelopes of a member, for a certificate that another member's signature
/// claims, and for a certificate that does not parse (which is never kept).
#[test]
fn cached_signer_keys_give_the_same_answers() {
    let now = OffsetDateTime::now_utc();
    let TwoMembers { alice, bob, .. } = two_members(now);
    let keys = SignerKeys::new();
    let alice_first = alice.sign(b"one".to_vec()).unwrap();
    let alice_second = alice.sign(b"two".to_vec()).unwrap();
    let from_bob = bob.sign(b"one".to_vec()).unwrap();
    let bob_under_alice = SignedEnvelope {
        signature_der: from_bob.signature_der.clone(),
        ..alice_first.clone()
    };
    let alice_under_bob = SignedEnvelope {
        signer_cert_der: from_bob.signer_cert_der.clone(),
        ..alice_first.clone()
    };
    let garbage_cert = SignedEnvelope {
        signer_cert_der: b"not a certificate".to_vec(),
        ..alice_first.clone()
    };
    let cases = [
        &alice_first,
        &alice_second,
        &from_bob,
        &bob_under_alice,
        &alice_under_bob,
        &garbage_cert,
        &alice_first,
        &garbage_cert,
    ];
    for (i, envelope) in cases.into_iter().enumerate() {
        assert_eq!(
            envelope.check_signature_cached(&keys),
            envelope.check_signature(),
            "case {i}"
        );
    }
    assert!(alice_first.check_signature_cached(&keys).is_ok());
    assert_eq!(
        bob_under_alice.check_signature_cached(&keys).unwrap_err(),
        EnvelopeError::BadSignature
    );
    // Two certificates parsed; the garbage one was refused and not kept.
    assert_eq!(keys.len(), 2);
}
