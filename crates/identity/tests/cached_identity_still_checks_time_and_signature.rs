//! `SignedEnvelope::verify_with` (a chain check cached by certificate fingerprint)
//! accepts exactly what the full `verify` accepts: the certificate must be the cached
//! one, the root and leaf must be valid at the time of use, and the signature must
//! verify.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_identity::{
    CertificatePosition, ChainError, EnvelopeError, SignedEnvelope, TrustStore,
};
use time::{Duration, OffsetDateTime};

use common::{TwoMembers, two_members};

#[test]
fn cached_identity_gives_the_same_answers_as_the_full_check() {
    let now = OffsetDateTime::now_utc();
    let TwoMembers {
        alice,
        bob,
        trust,
        alice_identity: identity,
        ..
    } = two_members(now);

    assert_eq!(
        trust.verify_member(alice.cert_der(), now).unwrap(),
        identity
    );
    assert!(matches!(
        TrustStore::new().verify_member(alice.cert_der(), now),
        Err(EnvelopeError::UnknownMsp { .. })
    ));
    let envelope = alice.sign(b"payload".to_vec()).unwrap();

    // Same signer as the full check.
    let full = envelope.verify(&trust, now).unwrap();
    let cached = envelope.verify_with(&identity, now).unwrap();
    assert_eq!(full, cached);
    assert_eq!(cached.name, "alice");

    // Time is checked at each use: later than the leaf's validity, and before it.
    let later = now + Duration::days(20);
    let expected = envelope.verify(&trust, later).unwrap_err();
    assert!(matches!(
        expected,
        EnvelopeError::SignerCertificate(ChainError::Expired {
            position: CertificatePosition::Leaf,
            ..
        })
    ));
    assert_eq!(
        envelope.verify_with(&identity, later).unwrap_err(),
        expected
    );
    let earlier = now - Duration::days(2);
    assert_eq!(
        envelope.verify_with(&identity, earlier).unwrap_err(),
        envelope.verify(&trust, earlier).unwrap_err()
    );
    // Past the root's validity too (the root is checked first).
    let much_later = now + Duration::days(400);
    let root_expired = envelope.verify_with(&identity, much_later).unwrap_err();
    assert!(matches!(
        root_expired,
        EnvelopeError::SignerCertificate(ChainError::Expired {
            position: CertificatePosition::Root,
            ..
        })
    ));
    assert_eq!(
        root_expired,
        envelope.verify(&trust, much_later).unwrap_err()
    );

    // Another member's envelope cannot ride on alice's cached identity.
    let from_bob = bob.sign(b"payload".to_vec()).unwrap();
    assert_eq!(
        from_bob.verify_with(&identity, now).unwrap_err(),
        EnvelopeError::CertificateMismatch
    );
    // Nor can bob's signature under alice's certificate.
    let forged = SignedEnvelope {
        signature_der: from_bob.signature_der.clone(),
        ..envelope.clone()
    };
    assert_eq!(
        forged.verify_with(&identity, now).unwrap_err(),
        EnvelopeError::BadSignature
    );
    // Nor a changed payload.
    let changed = SignedEnvelope {
        payload: b"payloaD".to_vec(),
        ..envelope
    };
    assert_eq!(
        changed.verify_with(&identity, now).unwrap_err(),
        EnvelopeError::BadSignature
    );
}
