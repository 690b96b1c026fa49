//! Who may download a dataset's objects, and who sees where they are: its own
//! organization as owner (all members while the dataset is active, only admins and
//! owners after), and a task's claimant while the claim holds. Nobody else, and the
//! locations are shown exactly to those who may download.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, permission, success, task};
use serde_json::json;
use strongroom_contract::sharing::{DatasetView, GrantView, TaskView};
use strongroom_contract::{Caller, ContractError, ObjectGrant, ObjectPurpose};

struct Setup {
    w: World,
    owner: Caller,
    exec: Caller,
    analyst: Caller,
    ds: String,
    location: String,
    alg: String,
}

fn setup(extra: serde_json::Value) -> Setup {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let ds = w.register(&owner, "cohort", extra);
    let view: DatasetView = w.q(&owner, &json!({"op": "get_dataset", "id": ds}));
    let location = view.files[0].location.clone();
    let alg = w.create(&analyst, &algorithm("count", false));
    Setup {
        w,
        owner,
        exec: caller("Org1MSP", "exec", "executor"),
        analyst,
        ds,
        location,
        alg,
    }
}

fn owner_read(s: &Setup, who: &Caller) -> Result<ObjectGrant, ContractError> {
    s.w.authorize(who, &ObjectPurpose::OwnerRead, &s.location)
}

fn input_read(s: &Setup, who: &Caller, task: &str) -> Result<ObjectGrant, ContractError> {
    s.w.authorize(
        who,
        &ObjectPurpose::TaskInput { task: task.into() },
        &s.location,
    )
}

fn org1(role: &str) -> Caller {
    caller("Org1MSP", role, role)
}

/// A task of the analyst on the dataset, covered by a grant, claimed by the executor.
fn running_task(s: &mut Setup) -> String {
    let request = s.w.create(&s.analyst, &permission(&s.ds, &s.alg));
    s.w.create(
        &s.owner,
        &json!({"op": "approve_permission", "request": request}),
    );
    let id = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": id}));
    id
}

#[test]
fn every_member_of_the_owning_org_reads_an_active_dataset() {
    let s = setup(json!({}));
    for role in ["owner", "admin", "analyst", "auditor", "executor"] {
        assert_eq!(
            owner_read(&s, &org1(role)),
            Ok(ObjectGrant {
                dataset: Some(s.ds.clone())
            }),
            "{role}"
        );
    }
}

#[test]
fn nobody_outside_the_owning_org_reads_as_owner_whatever_their_role() {
    let s = setup(json!({}));
    for role in ["owner", "admin", "analyst", "auditor", "executor"] {
        assert_eq!(
            owner_read(&s, &caller("Org2MSP", role, role)),
            Err(ContractError::NotFoundOrDenied),
            "{role}"
        );
    }
}

#[test]
fn only_admins_and_owners_read_a_withdrawn_dataset() {
    let mut s = setup(json!({}));
    s.w.ok::<DatasetView>(&s.owner, &json!({"op": "withdraw_consent", "id": s.ds}));
    for (role, allowed) in [
        ("owner", true),
        ("admin", true),
        ("analyst", false),
        ("auditor", false),
        ("executor", false),
    ] {
        assert_eq!(owner_read(&s, &org1(role)).is_ok(), allowed, "{role}");
    }
}

#[test]
fn only_admins_and_owners_read_a_dataset_past_its_consent_end() {
    let mut s = setup(
        json!({"consent": {"purposes": ["research"], "expires_at_ms": World::new().time_ms + 60_000}}),
    );
    s.w.advance(120_000);
    for (role, allowed) in [
        ("owner", true),
        ("admin", true),
        ("analyst", false),
        ("executor", false),
    ] {
        assert_eq!(owner_read(&s, &org1(role)).is_ok(), allowed, "{role}");
    }
}

#[test]
fn the_claimant_reads_the_inputs_of_its_running_task_and_nobody_else_does() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    assert_eq!(
        input_read(&s, &s.exec, &id),
        Ok(ObjectGrant {
            dataset: Some(s.ds.clone())
        })
    );
    for who in [
        s.analyst.clone(),
        s.owner.clone(),
        caller("Org1MSP", "exec2", "executor"),
    ] {
        assert_eq!(
            input_read(&s, &who, &id),
            Err(ContractError::NotFoundOrDenied),
            "{who:?}"
        );
    }
}

#[test]
fn the_claimant_reads_only_locations_of_the_task_inputs() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    let other = s.w.register(&s.owner, "other", json!({}));
    let view: DatasetView = s.w.q(&s.owner, &json!({"op": "get_dataset", "id": other}));
    assert_eq!(
        s.w.authorize(
            &s.exec,
            &ObjectPurpose::TaskInput { task: id },
            &view.files[0].location
        ),
        Err(ContractError::NotFoundOrDenied)
    );
}

#[test]
fn the_claimant_is_refused_once_the_task_has_ended() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    s.w.ok::<TaskView>(&s.exec, &success(&id, b"sealed"));
    assert_eq!(
        input_read(&s, &s.exec, &id),
        Err(ContractError::NotFoundOrDenied)
    );
}

#[test]
fn the_claimant_is_refused_once_the_covering_grant_is_revoked() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    let grant = s.w.task(&s.analyst, &id).inputs[0].grant.clone().unwrap();
    s.w.ok::<GrantView>(&s.owner, &json!({"op": "revoke_grant", "grant": grant}));
    assert_eq!(
        input_read(&s, &s.exec, &id),
        Err(ContractError::NotFoundOrDenied)
    );
}

#[test]
fn the_claimant_is_refused_once_consent_is_withdrawn() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    s.w.ok::<DatasetView>(&s.owner, &json!({"op": "withdraw_consent", "id": s.ds}));
    assert_eq!(
        input_read(&s, &s.exec, &id),
        Err(ContractError::NotFoundOrDenied)
    );
}

#[test]
fn a_task_input_read_of_a_missing_task_is_denied_like_any_other() {
    let mut s = setup(json!({}));
    let id = running_task(&mut s);
    let missing = "task-0123456789abcdef";
    assert_eq!(
        input_read(&s, &s.analyst, &id),
        input_read(&s, &s.analyst, missing)
    );
    assert!(matches!(
        input_read(&s, &s.exec, "task-XYZ"),
        Err(ContractError::Invalid(_))
    ));
}

#[test]
fn get_dataset_shows_locations_only_to_those_who_may_read_the_objects() {
    let mut s = setup(json!({}));
    let get = |s: &Setup, who: &Caller| -> DatasetView {
        s.w.q(who, &json!({"op": "get_dataset", "id": s.ds}))
    };
    for role in ["owner", "admin", "analyst", "auditor", "executor"] {
        assert_eq!(get(&s, &org1(role)).files[0].location, s.location, "{role}");
    }
    let outsider =
        s.w.query(&s.analyst, &json!({"op": "get_dataset", "id": s.ds}));
    let text = String::from_utf8(outsider.unwrap()).unwrap();
    assert!(!text.contains("location"), "{text}");
    assert!(!text.contains(&s.location), "{text}");
    // Once withdrawn, the auditor still sees the dataset, but not where its objects are.
    s.w.ok::<DatasetView>(&s.owner, &json!({"op": "withdraw_consent", "id": s.ds}));
    assert!(get(&s, &org1("auditor")).files[0].location.is_empty());
    assert_eq!(get(&s, &org1("admin")).files[0].location, s.location);
}

#[test]
fn a_task_shows_locations_to_the_claimant_while_its_claim_holds_and_to_the_owning_org() {
    let mut s = setup(json!({}));
    let recipient = caller("Org6MSP", "rita", "analyst");
    let request = s.w.create(&s.analyst, &permission(&s.ds, &s.alg));
    s.w.create(
        &s.owner,
        &json!({"op": "approve_permission", "request": request}),
    );
    let id = s.w.create(
        &s.analyst,
        &common::task_for(&[&s.ds], &s.alg, "owner_side", &[&s.analyst, &recipient]),
    );
    let located =
        |s: &Setup, who: &Caller| !s.w.task(who, &id).inputs[0].files[0].location.is_empty();
    // The executor is of the owning organization: it sees them before claiming too.
    assert!(located(&s, &s.exec));
    assert!(located(&s, &s.owner));
    assert!(!located(&s, &s.analyst));
    assert!(!located(&s, &recipient));
    let claimed: TaskView = s.w.ok(&s.exec, &json!({"op": "claim_task", "task": id}));
    assert_eq!(claimed.inputs[0].files[0].location, s.location);
    assert!(!located(&s, &s.analyst));
    let text = String::from_utf8(
        s.w.query(&recipient, &json!({"op": "get_task", "id": id}))
            .unwrap(),
    )
    .unwrap();
    assert!(!text.contains(&s.location), "{text}");
}

#[test]
fn a_tee_claimant_of_another_org_sees_locations_only_while_its_claim_holds() {
    let mut s = setup(json!({}));
    let request = s.w.create(&s.analyst, &permission(&s.ds, &s.alg));
    let grant = s.w.create(
        &s.owner,
        &json!({"op": "approve_permission", "request": request}),
    );
    let id =
        s.w.create(&s.analyst, &task(&[&s.ds], &s.alg, "tee", &s.analyst));
    let worker = caller("Org2MSP", "worker", "executor");
    let hash = s.w.task(&s.analyst, &id).config_hash;
    let claim = s.w.exec_as(
        &worker,
        Some(common::attestation(common::GOOD_MEASUREMENT, &hash)),
        &json!({"op": "claim_task", "task": id}),
    );
    let claimed: TaskView = serde_json::from_slice(&claim.unwrap()).unwrap();
    assert_eq!(claimed.inputs[0].files[0].location, s.location);
    assert!(input_read(&s, &worker, &id).is_ok());
    s.w.ok::<GrantView>(&s.owner, &json!({"op": "revoke_grant", "grant": grant}));
    assert!(
        s.w.task(&worker, &id).inputs[0].files[0]
            .location
            .is_empty()
    );
    assert_eq!(
        input_read(&s, &worker, &id),
        Err(ContractError::NotFoundOrDenied)
    );
}
