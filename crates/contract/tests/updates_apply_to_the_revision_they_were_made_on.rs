//! An `update_dataset` applies only to the revision it was made on: an untrusted host
//! that holds an update back and applies it after a newer one gets it refused, and the
//! state does not change.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, task};
use serde_json::{Value, json};
use strongroom_contract::sharing::{DatasetView, TaskView};
use strongroom_contract::{Caller, ContractError};

fn owner() -> Caller {
    caller("Org1MSP", "alice", "owner")
}

fn update(id: &str, revision: u64, labels: &[&str]) -> Value {
    json!({"op": "update_dataset", "id": id, "revision": revision, "labels": labels})
}

#[test]
fn an_older_update_applied_after_a_newer_one_is_refused_and_changes_nothing() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    let base = w.revision(&owner(), &ds);
    // Two updates made on the same revision; the host applies the second one first.
    let older = update(&ds, base, &["old"]);
    let newer = update(&ds, base, &["new"]);
    let applied: DatasetView = w.ok(&owner(), &newer);
    let now = applied.revision.unwrap();
    assert_ne!(now, base);
    let before = w.digest();
    assert_eq!(
        w.exec(&owner(), &older),
        Err(ContractError::Refused(format!(
            "dataset {ds} changed since revision {base} (now {now}): read it again and \
             reapply the change"
        )))
    );
    assert_eq!(w.digest(), before);
    let view: DatasetView = w.q(&owner(), &json!({"op": "get_dataset", "id": ds}));
    assert_eq!(view.summary.labels, ["new"]);
}

#[test]
fn an_update_on_the_current_revision_applies() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    let first: DatasetView = w.ok(&owner(), &update(&ds, w.revision(&owner(), &ds), &["a"]));
    let second: DatasetView = w.ok(&owner(), &update(&ds, first.revision.unwrap(), &["b"]));
    assert_eq!(second.summary.labels, ["b"]);
}

#[test]
fn the_revision_is_the_sequence_of_the_last_change() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    assert_eq!(w.revision(&owner(), &ds), w.sequence);
    let updated: DatasetView = w.ok(&owner(), &update(&ds, w.sequence, &["x"]));
    assert_eq!(updated.revision, Some(w.sequence));
    let withdrawn: DatasetView = w.ok(&owner(), &json!({"op": "withdraw_consent", "id": ds}));
    assert_eq!(withdrawn.revision, Some(w.sequence));
}

#[test]
fn a_budget_reservation_does_not_change_the_revision() {
    let mut w = World::new();
    let analyst = caller("Org2MSP", "bob", "analyst");
    let ds = w.register(&owner(), "cohort", json!({"epsilon_budget_micro": 1_000}));
    let revision = w.revision(&owner(), &ds);
    let alg = w.create(&analyst, &algorithm("dp", true));
    let mut t = task(&[&ds], &alg, "owner_side", &analyst);
    t["epsilon_micro"] = json!(10);
    let id = w.create(&analyst, &t);
    w.ok::<TaskView>(&owner(), &json!({"op": "approve_task", "task": id}));
    assert_eq!(w.revision(&owner(), &ds), revision);
    w.ok::<DatasetView>(&owner(), &update(&ds, revision, &["still"]));
}

#[test]
fn only_the_owning_organizations_readers_see_the_revision() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    for role in ["admin", "owner", "auditor"] {
        let view: DatasetView = w.q(
            &caller("Org1MSP", role, role),
            &json!({"op": "get_dataset", "id": ds}),
        );
        assert!(view.revision.is_some(), "{role}");
    }
    let outsider = w
        .query(
            &caller("Org2MSP", "bob", "analyst"),
            &json!({"op": "get_dataset", "id": ds}),
        )
        .unwrap();
    assert!(!String::from_utf8(outsider).unwrap().contains("revision"));
}

#[test]
fn an_update_without_a_revision_is_invalid() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    assert!(matches!(
        w.exec(&owner(), &json!({"op": "update_dataset", "id": ds, "labels": []})),
        Err(ContractError::Invalid(m)) if m.contains("revision")
    ));
}

#[test]
fn a_stale_revision_is_told_only_to_the_owner() {
    let mut w = World::new();
    let ds = w.register(&owner(), "cohort", json!({}));
    let stale = update(&ds, 0, &["x"]);
    for outsider in [
        caller("Org2MSP", "bob", "owner"),
        caller("Org1MSP", "olga", "admin"),
    ] {
        assert_eq!(
            w.exec(&outsider, &stale),
            Err(ContractError::NotFoundOrDenied)
        );
    }
}
