//! Helpers shared by the integration tests.
#![allow(dead_code)]
// Test helpers: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use strongroom_identity::{
    Member, MemberIdentity, OrgCa, Role, TrustStore, Validity, verify_member,
};
use time::{Duration, OffsetDateTime};

/// A validity period from `now + from` to `now + to`.
pub fn validity(now: OffsetDateTime, from: Duration, to: Duration) -> Validity {
    Validity::new(now + from, now + to).unwrap()
}

/// A validity from 30 days ago to a year from now.
pub fn year(now: OffsetDateTime) -> Validity {
    validity(now, Duration::days(-30), Duration::days(365))
}

/// An org CA valid for a year around now.
pub fn org(msp: &str, now: OffsetDateTime) -> OrgCa {
    OrgCa::new(msp, year(now)).unwrap()
}

/// Org1 trusted by a store, with alice (analyst, valid from a day ago for ten days)
/// and bob (owner, valid for a year), and their identities checked at `now`.
pub struct TwoMembers {
    pub org1: OrgCa,
    pub alice: Member,
    pub bob: Member,
    pub trust: TrustStore,
    pub alice_identity: MemberIdentity,
    pub bob_identity: MemberIdentity,
}

pub fn two_members(now: OffsetDateTime) -> TwoMembers {
    let org1 = org("Org1MSP", now);
    let alice = org1
        .enroll_member(
            "alice",
            Role::Analyst,
            validity(now, Duration::days(-1), Duration::days(10)),
        )
        .unwrap();
    let bob = org1.enroll_member("bob", Role::Owner, year(now)).unwrap();
    let mut trust = TrustStore::new();
    trust.insert("Org1MSP", org1.cert_der().to_vec());
    let alice_identity = verify_member(alice.cert_der(), org1.cert_der(), "Org1MSP", now).unwrap();
    let bob_identity = verify_member(bob.cert_der(), org1.cert_der(), "Org1MSP", now).unwrap();
    TwoMembers {
        org1,
        alice,
        bob,
        trust,
        alice_identity,
        bob_identity,
    }
}

/// Issues, with `ca`'s real key, a leaf certificate that starts as a well-formed member
/// certificate (`O=<msp>, OU=analyst, CN=mallory`, digitalSignature, CA:false) and is
/// then changed by `customize`. Lets tests build certificates `OrgCa` refuses to make.
pub fn issue_custom(ca: &OrgCa, customize: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
    let msp = ca.msp_id();
    let ca_key = KeyPair::try_from(ca.private_key_pkcs8_der().unwrap().as_slice()).unwrap();
    let mut issuer_params = CertificateParams::default();
    let mut issuer_dn = DistinguishedName::new();
    issuer_dn.push(DnType::OrganizationName, msp);
    issuer_dn.push(DnType::CommonName, format!("{msp} CA"));
    issuer_params.distinguished_name = issuer_dn;
    issuer_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = Issuer::new(issuer_params, ca_key);

    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(1);
    params.distinguished_name = leaf_dn(Some(msp), Some("analyst"), "mallory");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.is_ca = IsCa::ExplicitNoCa;
    customize(&mut params);

    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    params.signed_by(&leaf_key, &issuer).unwrap().der().to_vec()
}

/// `O=<msp>, OU=<unit>, CN=<name>`, leaving out absent parts.
pub fn leaf_dn(msp: Option<&str>, unit: Option<&str>, name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(msp) = msp {
        dn.push(DnType::OrganizationName, msp);
    }
    if let Some(unit) = unit {
        dn.push(DnType::OrganizationalUnitName, unit);
    }
    dn.push(DnType::CommonName, name);
    dn
}
