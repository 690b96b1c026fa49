//! A task over three organizations' datasets runs only after all three approve; one
//! rejection rejects it. An attested worker's claim releases each input's key, on a
//! lease after which another worker may claim the task again.
#![allow(clippy::unwrap_used)]

mod common;

use common::{GOOD_MEASUREMENT, World, algorithm, attestation, caller, success, task};
use serde_json::json;
use strongroom_contract::Caller;
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{
    AuditAction, AuditTrail, TaskDefinition, TaskList, TaskStatus, TaskView,
};

struct Three {
    w: World,
    owners: Vec<Caller>,
    inputs: Vec<String>,
    alg: String,
    analyst: Caller,
    worker: Caller,
}

fn three_hospitals() -> Three {
    let mut w = World::new();
    let owners: Vec<Caller> = (1..=3)
        .map(|i| caller(&format!("Hosp{i}MSP"), "owner", "owner"))
        .collect();
    let inputs = owners
        .iter()
        .map(|o| {
            w.register(
                o,
                &format!("cohort-{}", o.msp_id),
                json!({"min_cell_size": 5 + o.msp_id.len() as u32}),
            )
        })
        .collect();
    let analyst = caller("ResearchMSP", "rita", "analyst");
    let alg = w.create(&analyst, &algorithm("allele_frequency", false));
    Three {
        w,
        owners,
        inputs,
        alg,
        analyst,
        // The research organization runs the attested worker: only a party's may.
        worker: caller("ResearchMSP", "worker", "executor"),
    }
}

#[test]
fn runs_only_after_all_three_owners_approve() {
    let mut t = three_hospitals();
    let inputs: Vec<&str> = t.inputs.iter().map(String::as_str).collect();
    let id =
        t.w.create(&t.analyst, &task(&inputs, &t.alg, "tee", &t.analyst));
    let hash = t.w.task(&t.analyst, &id).config_hash;
    let good = Some(attestation(GOOD_MEASUREMENT, &hash));
    let claim = json!({"op": "claim_task", "task": id});

    // Owner-side mode is impossible across organizations.
    assert!(matches!(
        t.w.exec(&t.analyst, &task(&inputs, &t.alg, "owner_side", &t.analyst)),
        Err(ContractError::Invalid(m)) if m.starts_with("mode:")
    ));

    for (i, owner) in t.owners.iter().enumerate() {
        let awaiting: TaskList = t.w.q(owner, &json!({"op": "list_my_tasks"}));
        assert_eq!(awaiting.items.len(), 1, "{} is not asked", owner.msp_id);
        assert_eq!(
            t.w.task(&t.analyst, &id).status,
            TaskStatus::PendingApproval
        );
        assert_eq!(
            t.w.exec_as(&t.worker, good.clone(), &claim),
            Err(ContractError::NotFoundOrDenied),
            "claimed after {i} approvals"
        );
        let view: TaskView = t.w.ok(owner, &json!({"op": "approve_task", "task": id}));
        assert_eq!(
            view.inputs[i].approved_by.as_ref().unwrap().msp_id,
            owner.msp_id
        );
        let awaiting: TaskList = t.w.q(owner, &json!({"op": "list_my_tasks"}));
        assert!(awaiting.items.is_empty());
        // Approving twice is refused, and only to a party.
        assert!(matches!(
            t.w.exec(owner, &json!({"op": "approve_task", "task": id})),
            Err(ContractError::Refused(_))
        ));
    }
    assert_eq!(t.w.task(&t.analyst, &id).status, TaskStatus::Approved);

    // A worker of an organization that is no party is refused, attested or not, with
    // the answer a missing task gets.
    let outsider = caller("CloudMSP", "worker", "executor");
    assert_eq!(
        t.w.exec_as(&outsider, good.clone(), &claim),
        Err(ContractError::NotFoundOrDenied)
    );

    let claimed: TaskView =
        t.w.exec_as(&t.worker, good.clone(), &claim)
            .map(|r| serde_json::from_slice(&r).unwrap())
            .unwrap();
    assert_eq!(claimed.status, TaskStatus::Running);
    assert!(claimed.inputs.iter().all(|i| i.wrapped_keys.len() == 2));
    assert_eq!(claimed.min_cell_size, 5 + "Hosp1MSP".len() as u32);
    assert_eq!(
        hex::encode(TaskDefinition::of_task(&claimed).config_hash().unwrap()),
        claimed.config_hash
    );
    // A second worker of the same build cannot take it over while the lease holds.
    let other = caller("ResearchMSP", "worker-2", "executor");
    assert_eq!(
        t.w.exec_as(&other, good.clone(), &claim),
        Err(ContractError::NotFoundOrDenied)
    );
    t.w.exec_as(&t.worker, good, &success(&id, b"aggregate"))
        .unwrap();
    assert_eq!(t.w.task(&t.owners[2], &id).status, TaskStatus::Succeeded);
}

#[test]
fn a_worker_must_bind_the_config_hash_and_run_the_measured_code() {
    let mut t = three_hospitals();
    let inputs: Vec<&str> = t.inputs.iter().map(String::as_str).collect();
    let id =
        t.w.create(&t.analyst, &task(&inputs, &t.alg, "tee", &t.analyst));
    for owner in &t.owners.clone() {
        t.w.ok::<TaskView>(owner, &json!({"op": "approve_task", "task": id}));
    }
    let claim = json!({"op": "claim_task", "task": id});
    let other_hash = "00".repeat(32);
    for attestation in [None, Some(attestation(GOOD_MEASUREMENT, &other_hash))] {
        assert_eq!(
            t.w.exec_as(&t.worker, attestation, &claim),
            Err(ContractError::NotFoundOrDenied)
        );
    }
}

#[test]
fn one_rejection_rejects_the_task() {
    let mut t = three_hospitals();
    let inputs: Vec<&str> = t.inputs.iter().map(String::as_str).collect();
    let id =
        t.w.create(&t.analyst, &task(&inputs, &t.alg, "tee", &t.analyst));
    t.w.ok::<TaskView>(
        &t.owners[0].clone(),
        &json!({"op": "approve_task", "task": id}),
    );
    let rejected: TaskView = t.w.ok(
        &t.owners[1].clone(),
        &json!({"op": "reject_task", "task": id, "reason": "not for this purpose"}),
    );
    assert_eq!(rejected.status, TaskStatus::Rejected);
    assert_eq!(
        rejected.reject_reason.as_deref(),
        Some("not for this purpose")
    );
    assert!(matches!(
        t.w.exec(
            &t.owners[2].clone(),
            &json!({"op": "approve_task", "task": id})
        ),
        Err(ContractError::Refused(_))
    ));
    let awaiting: TaskList = t.w.q(&t.owners[2], &json!({"op": "list_my_tasks"}));
    assert!(awaiting.items.is_empty());
    let hash = t.w.task(&t.analyst, &id).config_hash;
    assert_eq!(
        t.w.exec_as(
            &t.worker,
            Some(attestation(GOOD_MEASUREMENT, &hash)),
            &json!({"op": "claim_task", "task": id})
        ),
        Err(ContractError::NotFoundOrDenied)
    );
}

/// A task approved by all three hospitals, and the attestation that binds it.
fn approved(t: &mut Three) -> (String, String) {
    let inputs: Vec<&str> = t.inputs.iter().map(String::as_str).collect();
    let id =
        t.w.create(&t.analyst, &task(&inputs, &t.alg, "tee", &t.analyst));
    for owner in &t.owners.clone() {
        t.w.ok::<TaskView>(owner, &json!({"op": "approve_task", "task": id}));
    }
    let hash = t.w.task(&t.analyst, &id).config_hash;
    (id, hash)
}

#[test]
fn a_tee_claim_releases_each_input_s_key_and_each_owner_sees_the_release() {
    let mut t = three_hospitals();
    let (id, hash) = approved(&mut t);
    let claim = json!({"op": "claim_task", "task": id});
    let good = attestation(GOOD_MEASUREMENT, &hash);
    let releases = t.w.key_releases_of(&t.worker, Some(good.clone()), &claim);
    assert_eq!(
        releases
            .iter()
            .map(|r| r.dataset.as_str())
            .collect::<Vec<_>>(),
        t.inputs.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(releases.iter().all(|r| r.task == id));
    for (owner, dataset) in t.owners.clone().iter().zip(t.inputs.clone()) {
        let trail: AuditTrail =
            t.w.q(owner, &json!({"op": "audit_trail", "dataset": dataset}));
        let last = trail.events.last().unwrap();
        assert_eq!(last.action, AuditAction::KeyReleased);
        assert_eq!(last.subject, id);
        let to = last.released_to.as_ref().unwrap();
        assert_eq!(to.measurement, good.measurement);
        assert_eq!((to.platform.as_str(), to.insecure), ("sim", true));
    }
}

#[test]
fn a_dead_worker_s_task_is_claimed_again_after_its_lease_and_only_the_new_worker_writes() {
    let mut t = three_hospitals();
    let (id, hash) = approved(&mut t);
    let first = attestation(GOOD_MEASUREMENT, &hash);
    let mut second = first.clone();
    second.worker_key = [5; 32];
    let other = caller("Hosp2MSP", "worker-2", "executor");
    t.w.exec_as(
        &t.worker,
        Some(first.clone()),
        &json!({"op": "claim_task", "task": id, "lease_ms": 60_000}),
    )
    .unwrap();
    let claim = json!({"op": "claim_task", "task": id});
    assert!(t.w.exec_as(&other, Some(second.clone()), &claim).is_err());
    // Its party's workers see the running task and its lease.
    let list: TaskList = t.w.q(&other, &json!({"op": "list_my_tasks"}));
    let lease = list.items[0].evidence.as_ref().unwrap().lease_until_ms;
    t.w.time_ms = lease;
    let reclaimed: TaskView =
        t.w.exec_as(&other, Some(second.clone()), &claim)
            .map(|r| serde_json::from_slice(&r).unwrap())
            .unwrap();
    assert_eq!(reclaimed.claimant.unwrap().name, "worker-2");
    // The first worker, back from the dead, writes nothing.
    assert_eq!(
        t.w.exec_as(&t.worker, Some(first), &success(&id, b"late")),
        Err(ContractError::NotFoundOrDenied)
    );
    // Nor does the new claimant with another one-time key than the keys went to.
    let mut impostor = second.clone();
    impostor.worker_key = [6; 32];
    assert_eq!(
        t.w.exec_as(&other, Some(impostor), &success(&id, b"forged")),
        Err(ContractError::NotFoundOrDenied)
    );
    t.w.exec_as(&other, Some(second), &success(&id, b"aggregate"))
        .unwrap();
    assert_eq!(t.w.task(&t.analyst, &id).status, TaskStatus::Succeeded);
}

#[test]
fn a_lease_outside_its_bounds_or_on_an_owner_side_task_is_invalid() {
    let mut t = three_hospitals();
    let (id, hash) = approved(&mut t);
    for lease in [0, 999, 24 * 3600 * 1000 + 1] {
        let result = t.w.exec_as(
            &t.worker,
            Some(attestation(GOOD_MEASUREMENT, &hash)),
            &json!({"op": "claim_task", "task": id, "lease_ms": lease}),
        );
        assert!(
            matches!(&result, Err(ContractError::Invalid(m)) if m.starts_with("lease_ms")),
            "{lease}: {result:?}"
        );
    }
}
