//! A member or node certificate is accepted only when it chains to the expected
//! organization's root, and every rejection names its own reason.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use strongroom_identity::{
    CertificatePosition, ChainError, IssuerFault, KeyUsageFault, Role, RootFault, SubjectAltName,
    fingerprint, verify_member, verify_node, verify_root,
};
use time::{Duration, OffsetDateTime};

use common::{issue_custom, leaf_dn, org, validity, year};

#[test]
fn valid_member_is_accepted_with_its_identity() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();

    let identity = verify_member(alice.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap();
    assert_eq!(identity.msp_id, "Org1MSP");
    assert_eq!(identity.name, "alice");
    assert_eq!(identity.role, Role::Owner);
    assert_eq!(identity.public_key, alice.public_key());
    assert_eq!(identity.cert_fingerprint, fingerprint(alice.cert_der()));
    verify_root(ca.cert_der(), "Org1MSP", now).unwrap();
}

#[test]
fn every_role_round_trips_through_the_certificate() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    for role in Role::ALL {
        let member = ca.enroll_member("m", role, year(now)).unwrap();
        let identity = verify_member(member.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap();
        assert_eq!(identity.role, role);
    }
}

#[test]
fn expired_member_is_rejected_as_expired() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let old = ca
        .enroll_member(
            "old",
            Role::Analyst,
            validity(now, Duration::days(-10), Duration::days(-1)),
        )
        .unwrap();
    let err = verify_member(old.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Expired {
                position: CertificatePosition::Leaf,
                at,
                ..
            } if at == now
        ),
        "{err:?}"
    );
    // The same certificate was fine while it was valid.
    verify_member(
        old.cert_der(),
        ca.cert_der(),
        "Org1MSP",
        now - Duration::days(5),
    )
    .unwrap();
}

#[test]
fn member_not_yet_valid_is_rejected_as_not_yet_valid() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let early = ca
        .enroll_member(
            "early",
            Role::Analyst,
            validity(now, Duration::days(1), Duration::days(10)),
        )
        .unwrap();
    let err = verify_member(early.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::NotYetValid {
                position: CertificatePosition::Leaf,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn expired_root_is_rejected_even_for_a_valid_member() {
    let now = OffsetDateTime::now_utc();
    let ca = strongroom_identity::OrgCa::new(
        "Org1MSP",
        validity(now, Duration::days(-10), Duration::days(2)),
    )
    .unwrap();
    let alice = ca
        .enroll_member(
            "alice",
            Role::Analyst,
            validity(now, Duration::days(-1), Duration::days(30)),
        )
        .unwrap();
    let later = now + Duration::days(5);
    let err = verify_member(alice.cert_der(), ca.cert_der(), "Org1MSP", later).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Expired {
                position: CertificatePosition::Root,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn member_of_another_org_is_rejected_as_wrong_issuer() {
    let now = OffsetDateTime::now_utc();
    let org1 = org("Org1MSP", now);
    let org2 = org("Org2MSP", now);
    let bob = org2.enroll_member("bob", Role::Analyst, year(now)).unwrap();
    assert_eq!(
        verify_member(bob.cert_der(), org1.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongIssuer(IssuerFault::NameMismatch))
    );
}

#[test]
fn forged_certificate_with_the_right_issuer_name_is_rejected_as_bad_signature() {
    let now = OffsetDateTime::now_utc();
    let real = org("Org1MSP", now);
    // Another CA claiming the same name: its certificates carry Org1's issuer name.
    let impostor = org("Org1MSP", now);
    let forged = impostor
        .enroll_member("mallory", Role::Admin, year(now))
        .unwrap();
    assert_eq!(
        verify_member(forged.cert_der(), real.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongIssuer(IssuerFault::BadSignature))
    );
    // A genuine certificate with one signature byte changed fails the same way.
    let alice = real.enroll_member("alice", Role::Owner, year(now)).unwrap();
    let mut tampered = alice.cert_der().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    assert_eq!(
        verify_member(&tampered, real.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongIssuer(IssuerFault::BadSignature))
    );
}

#[test]
fn ca_certificate_used_as_member_is_rejected_as_wrong_key_usage() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    // The root is self-signed, so it "chains" to itself; it must still not pass.
    assert_eq!(
        verify_member(ca.cert_der(), ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongKeyUsage(KeyUsageFault::CaCertificate))
    );
    // A CA:true leaf issued by the org CA is refused too.
    let sub_ca = issue_custom(&ca, |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    });
    assert_eq!(
        verify_member(&sub_ca, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongKeyUsage(KeyUsageFault::CaCertificate))
    );
}

#[test]
fn member_without_digital_signature_is_rejected_as_wrong_key_usage() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let no_sign = issue_custom(&ca, |p| {
        p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    });
    assert_eq!(
        verify_member(&no_sign, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongKeyUsage(
            KeyUsageFault::MissingDigitalSignature
        ))
    );
    let no_usage = issue_custom(&ca, |p| p.key_usages.clear());
    assert_eq!(
        verify_member(&no_usage, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongKeyUsage(
            KeyUsageFault::MissingDigitalSignature
        ))
    );
    // Control: the same construction with digitalSignature passes.
    let ok = issue_custom(&ca, |_| {});
    verify_member(&ok, ca.cert_der(), "Org1MSP", now).unwrap();
}

#[test]
fn wrong_msp_is_rejected_as_wrong_msp() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    // The caller expects Org2, but was handed Org1's root and member.
    assert_eq!(
        verify_member(alice.cert_der(), ca.cert_der(), "Org2MSP", now),
        Err(ChainError::WrongMsp {
            position: CertificatePosition::Root,
            expected: "Org2MSP".to_owned(),
            found: Some("Org1MSP".to_owned()),
        })
    );
    // Org1's CA signed a certificate claiming O=Org2MSP.
    let claims_org2 = issue_custom(&ca, |p| {
        p.distinguished_name = leaf_dn(Some("Org2MSP"), Some("owner"), "mallory");
    });
    assert_eq!(
        verify_member(&claims_org2, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongMsp {
            position: CertificatePosition::Leaf,
            expected: "Org1MSP".to_owned(),
            found: Some("Org2MSP".to_owned()),
        })
    );
    let no_org = issue_custom(&ca, |p| {
        p.distinguished_name = leaf_dn(None, Some("owner"), "mallory");
    });
    assert!(matches!(
        verify_member(&no_org, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongMsp { found: None, .. })
    ));
}

#[test]
fn missing_or_unknown_role_is_rejected_with_its_reason() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let no_role = issue_custom(&ca, |p| {
        p.distinguished_name = leaf_dn(Some("Org1MSP"), None, "mallory");
    });
    assert_eq!(
        verify_member(&no_role, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::MissingRole)
    );
    let janitor = issue_custom(&ca, |p| {
        p.distinguished_name = leaf_dn(Some("Org1MSP"), Some("janitor"), "mallory");
    });
    assert_eq!(
        verify_member(&janitor, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::UnknownRole("janitor".to_owned()))
    );
    let two_roles = issue_custom(&ca, |p| {
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, "admin");
        // rcgen keeps one value per type; add a second OU through a custom type.
        p.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 11]), "owner");
    });
    assert!(matches!(
        verify_member(&two_roles, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::Malformed { .. })
    ));
}

#[test]
fn malformed_der_is_rejected_as_malformed() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    let der = alice.cert_der();

    for bad in [
        b"not a certificate".to_vec(),
        Vec::new(),
        der[..der.len() / 2].to_vec(),
        [der, &[0u8][..]].concat(),
    ] {
        assert!(
            matches!(
                verify_member(&bad, ca.cert_der(), "Org1MSP", now),
                Err(ChainError::Malformed {
                    position: CertificatePosition::Leaf,
                    ..
                })
            ),
            "{bad:02x?}"
        );
    }
    assert!(matches!(
        verify_member(der, b"garbage", "Org1MSP", now),
        Err(ChainError::Malformed {
            position: CertificatePosition::Root,
            ..
        })
    ));
}

#[test]
fn root_that_is_not_a_ca_is_rejected_as_invalid_root() {
    let now = OffsetDateTime::now_utc();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = leaf_dn(Some("Org1MSP"), None, "Org1MSP CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.is_ca = IsCa::ExplicitNoCa;
    let not_ca = params.self_signed(&key).unwrap();
    assert_eq!(
        verify_root(not_ca.der(), "Org1MSP", now),
        Err(ChainError::InvalidRoot(RootFault::NotCa))
    );
    // A member certificate is not self-issued.
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    assert_eq!(
        verify_root(alice.cert_der(), "Org1MSP", now),
        Err(ChainError::InvalidRoot(RootFault::NotSelfIssued))
    );
}

#[test]
fn unknown_critical_extension_is_rejected() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let cert = issue_custom(&ca, |p| {
        let mut ext = CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![5, 0]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    });
    assert!(matches!(
        verify_member(&cert, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::UnsupportedCriticalExtension { ref oid, .. }) if oid == "1.3.6.1.4.1.99999.1"
    ));
}

#[test]
fn node_certificate_is_accepted_only_as_a_node() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let node = ca
        .enroll_node(
            "node1",
            &[
                SubjectAltName::Dns("node1.org1.example".to_owned()),
                SubjectAltName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            ],
            year(now),
        )
        .unwrap();
    let identity = verify_node(node.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap();
    assert_eq!(identity.msp_id, "Org1MSP");
    assert_eq!(identity.name, "node1");
    assert_eq!(identity.dns_names, ["node1.org1.example"]);
    assert_eq!(identity.ip_addresses, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);

    // A node is not a member, and a member is not a node.
    assert_eq!(
        verify_member(node.cert_der(), ca.cert_der(), "Org1MSP", now),
        Err(ChainError::UnknownRole("node".to_owned()))
    );
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    assert_eq!(
        verify_node(alice.cert_der(), ca.cert_der(), "Org1MSP", now),
        Err(ChainError::UnknownRole("owner".to_owned()))
    );
    // OU=node without the TLS extended key usages is refused.
    let no_eku = issue_custom(&ca, |p| {
        p.distinguished_name = leaf_dn(Some("Org1MSP"), Some("node"), "node2");
    });
    assert_eq!(
        verify_node(&no_eku, ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongKeyUsage(KeyUsageFault::MissingServerAuth))
    );
    // Node of another org.
    let org2 = org("Org2MSP", now);
    let node2 = org2
        .enroll_node(
            "n",
            &[SubjectAltName::Dns("n.example".to_owned())],
            year(now),
        )
        .unwrap();
    assert_eq!(
        verify_node(node2.cert_der(), ca.cert_der(), "Org1MSP", now),
        Err(ChainError::WrongIssuer(IssuerFault::NameMismatch))
    );
}
