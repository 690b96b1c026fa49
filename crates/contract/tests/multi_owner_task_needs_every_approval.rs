//! A task over three organizations' datasets runs only after all three approve; one
//! rejection rejects it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{GOOD_MEASUREMENT, World, algorithm, attestation, caller, success, task};
use serde_json::json;
use strongroom_contract::Caller;
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{TaskDefinition, TaskList, TaskStatus, TaskView};

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
        worker: caller("CloudMSP", "worker", "executor"),
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

    let claimed: TaskView =
        t.w.exec_as(&t.worker, good.clone(), &claim)
            .map(|r| serde_json::from_slice(&r).unwrap())
            .unwrap();
    assert_eq!(claimed.status, TaskStatus::Running);
    assert!(claimed.inputs.iter().all(|i| i.wrapped_keys.len() == 1));
    assert_eq!(claimed.min_cell_size, 5 + "Hosp1MSP".len() as u32);
    assert_eq!(
        hex::encode(TaskDefinition::of_task(&claimed).config_hash().unwrap()),
        claimed.config_hash
    );
    // A second worker of the same build cannot take it over.
    let other = caller("CloudMSP", "worker-2", "executor");
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
