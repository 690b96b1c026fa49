//! The peer listener and the peer client accept a certificate only if a consortium
//! organization's CA issued it to a node (OU `node`, serverAuth and clientAuth): a
//! member's certificate of the same CA, or a node certificate of another CA, fails.
#![allow(clippy::unwrap_used)]

use rustls::pki_types::UnixTime;
use strongroom_identity::{OrgCa, Role, SubjectAltName, Validity};
use strongroom_node::peer::PeerTrust;

fn validity() -> Validity {
    Validity::starting_now(time::Duration::days(30)).unwrap()
}

fn consortium() -> (OrgCa, PeerTrust) {
    let ca = OrgCa::new("Org1MSP", validity()).unwrap();
    let trust = PeerTrust::new(vec![("Org1MSP".into(), ca.cert_der().to_vec())]);
    (ca, trust)
}

fn loopback() -> Vec<SubjectAltName> {
    vec![SubjectAltName::Ip([127, 0, 0, 1].into())]
}

#[test]
fn a_node_certificate_of_a_consortium_ca_is_accepted() {
    let (ca, trust) = consortium();
    let node = ca.enroll_node("node1", &loopback(), validity()).unwrap();
    let identity = trust.check(node.cert_der(), UnixTime::now()).unwrap();
    assert_eq!(identity.msp_id, "Org1MSP");
    assert_eq!(identity.name, "node1");
}

#[test]
fn a_member_certificate_of_the_same_ca_is_refused() {
    let (ca, trust) = consortium();
    let admin = ca.enroll_member("admin", Role::Admin, validity()).unwrap();
    let error = trust.check(admin.cert_der(), UnixTime::now()).unwrap_err();
    assert!(error.to_string().contains("Org1MSP"), "{error}");
}

#[test]
fn a_node_certificate_of_another_ca_is_refused() {
    let (_, trust) = consortium();
    let other = OrgCa::new("Org1MSP", validity()).unwrap();
    let node = other.enroll_node("node1", &loopback(), validity()).unwrap();
    assert!(trust.check(node.cert_der(), UnixTime::now()).is_err());
}
