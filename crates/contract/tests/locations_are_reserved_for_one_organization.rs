//! Object locations are handed out by the contract, each reserved for one organization
//! for a day of ledger time: another organization can neither register nor upload into
//! them (and cannot tell them from locations never handed out), a location is
//! registered once, and after registration it accepts no upload.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, caller, dataset, unreserved_location};
use serde_json::{Value, json};
use strongroom_contract::sharing::{RESERVATION_TTL_MS, Reserved};
use strongroom_contract::{Caller, ContractError, ObjectGrant, ObjectPurpose};

fn alice() -> Caller {
    caller("Org1MSP", "alice", "owner")
}

fn mike() -> Caller {
    caller("Org3MSP", "mike", "owner")
}

/// A registration of one file at `location`.
fn at(name: &str, location: &str) -> Value {
    let mut invocation = dataset(name, json!({}));
    invocation["files"][0]["location"] = json!(location);
    invocation
}

/// A registration of two files at `first` and `second`.
fn at_two(first: &str, second: &str) -> Value {
    let mut invocation = at("pair", first);
    let mut other = invocation["files"][0].clone();
    other["name"] = json!("second.csv");
    other["location"] = json!(second);
    invocation["files"].as_array_mut().unwrap().push(other);
    invocation
}

fn message(result: Result<Vec<u8>, ContractError>) -> String {
    match result {
        Err(ContractError::Refused(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn reserved_locations_are_distinct_well_formed_and_last_a_day() {
    let mut w = World::new();
    let reserved: Reserved = w.ok(&alice(), &json!({"op": "reserve_locations", "count": 64}));
    assert_eq!(reserved.locations.len(), 64);
    assert_eq!(reserved.expires_at_ms, w.time_ms + RESERVATION_TTL_MS);
    assert_eq!(RESERVATION_TTL_MS, 24 * 60 * 60 * 1000);
    let mut seen = std::collections::BTreeSet::new();
    for location in &reserved.locations {
        let hex = location.strip_prefix("data/").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(seen.insert(location.clone()), "{location} twice");
    }
    // A second reservation hands out other locations.
    for location in w.reserve(&alice(), 64) {
        assert!(seen.insert(location.clone()), "{location} handed out again");
    }
}

#[test]
fn a_reservation_asks_for_1_to_64_locations() {
    let mut w = World::new();
    for count in [0, 65, 1000] {
        assert!(
            matches!(
                w.exec(&alice(), &json!({"op": "reserve_locations", "count": count})),
                Err(ContractError::Invalid(m)) if m.starts_with("count:")
            ),
            "{count}"
        );
    }
}

#[test]
fn only_owners_reserve_locations() {
    let mut w = World::new();
    for role in ["admin", "analyst", "auditor", "executor"] {
        assert_eq!(
            w.exec(
                &caller("Org1MSP", "someone", role),
                &json!({"op": "reserve_locations", "count": 1})
            ),
            Err(ContractError::NotFoundOrDenied),
            "{role}"
        );
    }
}

#[test]
fn another_organization_cannot_register_my_reservation_nor_tell_it_exists() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    let before = w.digest();
    let on_mine = message(w.exec(&mike(), &at("taken", &mine)));
    let never = unreserved_location("never handed out");
    let on_never = message(w.exec(&mike(), &at("taken", &never)));
    assert_eq!(on_mine.replace(&mine, "L"), on_never.replace(&never, "L"));
    assert_eq!(w.digest(), before);
    // The location is still mine.
    w.create(&alice(), &at("mine", &mine));
}

#[test]
fn another_organization_cannot_upload_into_my_reservation() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    let missing = unreserved_location("missing");
    for who in [mike(), caller("Org3MSP", "mara", "admin")] {
        for location in [&mine, &missing] {
            assert_eq!(
                w.authorize(&who, &ObjectPurpose::Upload, location),
                Err(ContractError::NotFoundOrDenied)
            );
        }
    }
    assert_eq!(
        w.authorize(&alice(), &ObjectPurpose::Upload, &mine),
        Ok(ObjectGrant { dataset: None })
    );
    // Another owner of my organization may upload into it too.
    assert!(
        w.authorize(
            &caller("Org1MSP", "al", "owner"),
            &ObjectPurpose::Upload,
            &mine
        )
        .is_ok()
    );
}

#[test]
fn a_location_is_registered_once_and_reuse_is_refused_as_if_never_reserved() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    w.create(&alice(), &at("first", &mine));
    let before = w.digest();
    let reused = message(w.exec(&alice(), &at("second", &mine)));
    let never = unreserved_location("never");
    let unreserved = message(w.exec(&alice(), &at("second", &never)));
    assert_eq!(reused.replace(&mine, "L"), unreserved.replace(&never, "L"));
    assert_eq!(w.digest(), before);
}

#[test]
fn a_location_named_twice_in_one_registration_is_invalid() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    assert!(matches!(
        w.exec(&alice(), &at_two(&mine, &mine)),
        Err(ContractError::Invalid(m)) if m.starts_with("files.location:")
    ));
}

#[test]
fn a_refused_location_refuses_the_whole_registration() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    let theirs = w.reserve(&mike(), 1).remove(0);
    let before = w.digest();
    assert!(matches!(
        w.exec(&alice(), &at_two(&mine, &theirs)),
        Err(ContractError::Refused(m)) if m.starts_with("files[1].location:")
    ));
    assert_eq!(w.digest(), before);
    // My location is still free.
    assert!(w.authorize(&alice(), &ObjectPurpose::Upload, &mine).is_ok());
}

#[test]
fn a_malformed_location_is_invalid_before_anything_is_looked_up() {
    let mut w = World::new();
    for location in ["s3://bucket/x.enc", "datasets/abc/x.csv", "data/XYZ"] {
        // Even for a caller who may not register at all: the form comes first.
        for who in [alice(), caller("Org2MSP", "bob", "analyst")] {
            assert!(
                matches!(
                    w.exec(&who, &at("bad", location)),
                    Err(ContractError::Invalid(m)) if m.starts_with("files[0].location:")
                ),
                "{location}"
            );
        }
        assert!(matches!(
            w.authorize(&alice(), &ObjectPurpose::Upload, location),
            Err(ContractError::Invalid(_))
        ));
    }
}

#[test]
fn an_expired_reservation_is_refused_as_expired_to_its_own_organization() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    w.advance(RESERVATION_TTL_MS);
    let refusal = message(w.exec(&alice(), &at("late", &mine)));
    assert!(refusal.contains("expired"), "{refusal}");
    // To another organization it is as unknown as ever.
    let theirs = message(w.exec(&mike(), &at("late", &mine)));
    assert!(!theirs.contains("expired"), "{theirs}");
}

#[test]
fn an_expired_reservation_accepts_no_upload() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    w.advance(RESERVATION_TTL_MS - 2_000);
    assert!(w.authorize(&alice(), &ObjectPurpose::Upload, &mine).is_ok());
    w.advance(2_000);
    assert_eq!(
        w.authorize(&alice(), &ObjectPurpose::Upload, &mine),
        Err(ContractError::NotFoundOrDenied)
    );
}

#[test]
fn a_registered_location_accepts_no_upload() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    let id = w.create(&alice(), &at("stored", &mine));
    assert_eq!(
        w.authorize(&alice(), &ObjectPurpose::Upload, &mine),
        Err(ContractError::NotFoundOrDenied)
    );
    // It is readable as the dataset's object instead.
    assert_eq!(
        w.authorize(&alice(), &ObjectPurpose::OwnerRead, &mine),
        Ok(ObjectGrant { dataset: Some(id) })
    );
}

#[test]
fn a_reserved_but_unregistered_location_is_never_readable() {
    let mut w = World::new();
    let mine = w.reserve(&alice(), 1).remove(0);
    for who in [alice(), caller("Org1MSP", "olga", "admin")] {
        assert_eq!(
            w.authorize(&who, &ObjectPurpose::OwnerRead, &mine),
            Err(ContractError::NotFoundOrDenied)
        );
    }
}
