//! Shares of an organization's data key: an owner wraps it to a member's published key,
//! only that member reads the share, only the organization's members read member keys,
//! and a share to a key the member has replaced is refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, caller};
use serde_json::{Value, json};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{MemberKeyView, OrgKeyShareView};

fn publish(key: &str) -> Value {
    json!({"op": "publish_member_key", "public_key": key})
}

fn share(to: &str, key: &str) -> Value {
    json!({"op": "share_org_key", "to": to, "public_key": key, "wrapped_key": "00ff"})
}

#[test]
fn only_the_member_a_share_is_for_reads_it() {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let analyzer = caller("Org1MSP", "analyzer", "executor");
    let oscar = caller("Org1MSP", "oscar", "analyst");
    let bob = caller("Org2MSP", "bob", "owner");
    let key = "ab".repeat(32);
    w.ok::<MemberKeyView>(&analyzer, &publish(&key));
    let shared: OrgKeyShareView = w.ok(&alice, &share("analyzer", &key));
    assert_eq!(shared.by.name, "alice");
    let read: OrgKeyShareView = w.q(&analyzer, &json!({"op": "get_org_key_share"}));
    assert_eq!(
        (read.wrapped_key.as_str(), read.public_key),
        ("00ff", key.clone())
    );
    for other in [&oscar, &alice, &bob] {
        assert_eq!(
            w.query(other, &json!({"op": "get_org_key_share"})),
            Err(ContractError::NotFoundOrDenied)
        );
    }
    // Another organization sees no member key of Org1, as if there were none.
    let asked = w.query(&bob, &json!({"op": "get_member_key", "name": "analyzer"}));
    let nothing = w.query(&bob, &json!({"op": "get_member_key", "name": "nobody"}));
    assert_eq!(asked, Err(ContractError::NotFoundOrDenied));
    assert_eq!(asked, nothing);
}

#[test]
fn a_share_needs_a_published_key_and_the_current_one() {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let analyzer = caller("Org1MSP", "analyzer", "executor");
    let old = "ab".repeat(32);
    let new = "cd".repeat(32);
    assert!(matches!(
        w.exec(&alice, &share("analyzer", &old)),
        Err(ContractError::Refused(m)) if m.contains("published no member key")
    ));
    w.ok::<MemberKeyView>(&analyzer, &publish(&old));
    w.ok::<MemberKeyView>(&analyzer, &publish(&new));
    assert!(matches!(
        w.exec(&alice, &share("analyzer", &old)),
        Err(ContractError::Refused(m)) if m.contains("has since published")
    ));
    w.ok::<OrgKeyShareView>(&alice, &share("analyzer", &new));
}

#[test]
fn only_owners_and_admins_share_and_keys_are_checked() {
    let mut w = World::new();
    let analyzer = caller("Org1MSP", "analyzer", "executor");
    let key = "ab".repeat(32);
    w.ok::<MemberKeyView>(&analyzer, &publish(&key));
    for role in ["analyst", "auditor", "executor"] {
        let member = caller("Org1MSP", "m", role);
        assert_eq!(
            w.exec(&member, &share("analyzer", &key)),
            Err(ContractError::NotFoundOrDenied),
            "{role}"
        );
    }
    for (bad, field) in [
        (publish("abc"), "public_key"),
        (share("", &key), "to"),
        (
            json!({"op": "share_org_key", "to": "analyzer", "public_key": key, "wrapped_key": ""}),
            "wrapped_key",
        ),
    ] {
        let admin = caller("Org1MSP", "olga", "admin");
        assert!(
            matches!(w.exec(&admin, &bad), Err(ContractError::Invalid(m)) if m.starts_with(field)),
            "{bad}"
        );
    }
}

#[test]
fn the_core_reads_exactly_the_key_a_member_published_last() {
    use strongroom_contract::Contract;
    use strongroom_contract::sharing::SharingContract;

    let mut w = World::new();
    let analyzer = caller("Org1MSP", "analyzer", "executor");
    assert_eq!(
        SharingContract.member_key("Org1MSP", "analyzer", &w.state),
        None
    );
    w.ok::<MemberKeyView>(&analyzer, &publish(&"ab".repeat(32)));
    w.ok::<MemberKeyView>(&analyzer, &publish(&"cd".repeat(32)));
    assert_eq!(
        SharingContract.member_key("Org1MSP", "analyzer", &w.state),
        Some([0xcd; 32])
    );
    // Another organization's member of the same name published nothing.
    assert_eq!(
        SharingContract.member_key("Org2MSP", "analyzer", &w.state),
        None
    );
}
