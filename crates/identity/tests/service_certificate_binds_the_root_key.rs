//! A service certificate certifies the key that signs ledger roots: it verifies while
//! valid and names the service; an expired, altered or CA-issued certificate does not.
#![allow(clippy::unwrap_used)]

mod common;

use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey;
use strongroom_identity::{
    CertificatePosition, ChainError, Role, service_certificate, verify_service_certificate,
};
use time::{Duration, OffsetDateTime};

#[test]
fn the_certificate_names_the_service_and_certifies_its_key() {
    let now = OffsetDateTime::now_utc();
    let key = SigningKey::random(&mut rand_core::OsRng);
    let pkcs8 = key.to_pkcs8_der().unwrap();
    let cert = service_certificate(pkcs8.as_bytes(), "consortium-1", common::year(now)).unwrap();
    let identity = verify_service_certificate(&cert, now).unwrap();
    assert_eq!(identity.name, "consortium-1");
    assert_eq!(
        identity.public_key,
        p256::PublicKey::from(key.verifying_key())
    );

    // Outside its validity.
    let later = now + Duration::days(400);
    assert!(matches!(
        verify_service_certificate(&cert, later),
        Err(ChainError::Expired {
            position: CertificatePosition::Leaf,
            ..
        })
    ));

    // Any altered byte in the signed part or the signature is refused.
    for at in [cert.len() / 3, cert.len() / 2, cert.len() - 3] {
        let mut bad = cert.clone();
        bad[at] ^= 0x01;
        assert!(verify_service_certificate(&bad, now).is_err(), "byte {at}");
    }

    // A member certificate (issued by an org CA, not self-signed) is not a service
    // certificate.
    let org = common::org("Org1MSP", now);
    let member = org
        .enroll_member("alice", Role::Admin, common::year(now))
        .unwrap();
    assert!(matches!(
        verify_service_certificate(member.cert_der(), now),
        Err(ChainError::WrongIssuer(_))
    ));

    // A key that is not PKCS#8 is refused with a reason.
    let err = service_certificate(b"not a key", "consortium-1", common::year(now)).unwrap_err();
    assert!(err.to_string().contains("service key"), "{err}");
}
