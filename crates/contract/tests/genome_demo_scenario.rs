//! The genome-sharing demo end to end at the contract level: Org1 owns genome data,
//! Org2 finds it, asks for and gets permission, requests an analysis that Org1's
//! analyzer runs and writes back encrypted to Org2; Org3 is refused everywhere.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, sha, success};
use serde_json::{Value, json};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{
    AuditAction, AuditTrail, CatalogPage, DatasetView, GrantStatus, RequestList, RequestStatus,
    RequestView, ResultView, TaskDefinition, TaskList, TaskStatus, TaskView,
};

#[test]
fn org1_shares_with_org2_and_org3_learns_nothing() {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let analyzer = caller("Org1MSP", "analyzer", "executor");
    let bob = caller("Org2MSP", "bob", "analyst");
    let eve = [
        caller("Org3MSP", "eve", "analyst"),
        caller("Org3MSP", "eve-admin", "admin"),
        caller("Org3MSP", "eve-owner", "owner"),
        caller("Org3MSP", "eve-exec", "executor"),
    ];

    // store
    let genomes = w.register(
        &alice,
        "brca",
        json!({
            "kind": "vcf",
            "description": "Whole genome variants of a breast cancer cohort",
            "labels": ["genomics", "oncology"],
            "files": [{
                "name": "cohort.vcf", "columns": ["CHROM", "POS", "REF", "ALT", "SAMPLE"],
                "plaintext_sha256": sha(b"vcf"), "ciphertext_sha256": sha(b"vcf enc"),
                "size_bytes": 123_456, "location": "s3://org1/cohort.vcf.enc",
            }],
            "time_column": null,
        }),
    );
    let _noise = w.register(&alice, "visits", json!({}));
    let freq = w.create(&bob, &algorithm("allele_frequency", false));

    // search: Org2 finds it by words and label; Org3 sees the same public catalog.
    let page: CatalogPage = w.q(
        &bob,
        &json!({"op": "search_catalog", "text": "Breast cancer", "labels": ["genomics"]}),
    );
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, genomes);
    assert_eq!(page.items[0].owner_msp, "Org1MSP");

    // request permission → approve
    let request = w.create(
        &bob,
        &json!({
            "op": "request_permission", "dataset": genomes, "purpose": "research",
            "algorithms": [freq], "scope": {"columns": ["CHROM", "POS", "REF", "ALT"]},
        }),
    );
    let pending: RequestList = w.q(&alice, &json!({"op": "list_my_requests"}));
    assert_eq!(pending.items.len(), 1);
    let grant = w.create(
        &alice,
        &json!({"op": "approve_permission", "request": request}),
    );
    let view: RequestView = w.q(&bob, &json!({"op": "get_request", "id": request}));
    assert_eq!(view.status, RequestStatus::Approved);
    assert_eq!(view.grant.as_ref().unwrap().id, grant);
    assert_eq!(view.grant.unwrap().status, GrantStatus::Active);

    // request a task: covered by the grant, so approved at once.
    let task = w.create(
        &bob,
        &json!({
            "op": "request_task", "inputs": [genomes], "algorithm": freq,
            "parameters": {"population": "all"}, "columns": ["CHROM", "POS", "ALT"],
            "recipients": [{"msp_id": "Org2MSP", "name": "bob", "public_key": "cd".repeat(32)}],
            "mode": "owner_side",
        }),
    );
    assert_eq!(w.task(&bob, &task).status, TaskStatus::Approved);
    // A column outside the grant's scope would have needed Org1's approval instead.
    let wider = w.create(
        &bob,
        &json!({
            "op": "request_task", "inputs": [genomes], "algorithm": freq,
            "columns": ["SAMPLE"], "mode": "owner_side",
            "recipients": [{"msp_id": "Org2MSP", "name": "bob", "public_key": "cd".repeat(32)}],
        }),
    );
    assert_eq!(w.task(&bob, &wider).status, TaskStatus::PendingApproval);

    // execute, owner-side: Org1's analyzer finds the task, claims it, gets the keys.
    let todo: TaskList = w.q(&analyzer, &json!({"op": "list_my_tasks"}));
    assert_eq!(
        todo.items.iter().map(|t| &t.id).collect::<Vec<_>>(),
        vec![&task]
    );
    // Before claiming, it sees the key wrapped to its own organization (to check
    // that its organization key opens it): nothing anyone else could open.
    // (The other is wrapped to the core's key-release key: only a core opens it.)
    let keys = &todo.items[0].inputs[0].wrapped_keys;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].recipient, "kms:v1");
    assert_eq!(keys[1].recipient, "tee:key-release");
    let claimed: TaskView = w.ok(&analyzer, &json!({"op": "claim_task", "task": task}));
    assert_eq!(claimed.status, TaskStatus::Running);
    let stored: DatasetView = w.q(&alice, &json!({"op": "get_dataset", "id": genomes}));
    assert_eq!(
        claimed.inputs[0].files[0].location,
        stored.files[0].location
    );
    assert!(claimed.inputs[0].files[0].location.starts_with("data/"));
    assert_eq!(claimed.inputs[0].wrapped_keys.len(), 2);
    assert_eq!(claimed.min_cell_size, 11);
    let definition = TaskDefinition::of_task(&claimed);
    assert_eq!(
        hex::encode(definition.config_hash().unwrap()),
        claimed.config_hash
    );
    let done: TaskView = w.ok(&analyzer, &success(&task, b"frequencies sealed to bob"));
    assert_eq!(done.status, TaskStatus::Succeeded);
    assert!(
        done.inputs[0].wrapped_keys.is_empty(),
        "keys outlive the run"
    );

    // Org2 reads the result.
    let result: ResultView = w.q(&bob, &json!({"op": "read_result", "task": task}));
    assert_eq!(
        hex::decode(result.ciphertext.unwrap()).unwrap(),
        b"frequencies sealed to bob"
    );
    assert_eq!(result.executor.name, "analyzer");

    // Org1's audit trail tells the story.
    let trail: AuditTrail = w.q(&alice, &json!({"op": "audit_trail", "dataset": genomes}));
    let actions: Vec<AuditAction> = trail.events.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::DatasetRegistered,
            AuditAction::PermissionRequested,
            AuditAction::PermissionApproved,
            AuditAction::TaskRequested,
            AuditAction::TaskRequested,
            AuditAction::TaskClaimed,
            AuditAction::ResultWritten,
        ]
    );
    assert_eq!(trail.events[1].actor.msp_id, "Org2MSP");

    // Org3: refused everywhere, with one and the same answer.
    let before = w.digest();
    for who in &eve {
        for query in [
            json!({"op": "get_request", "id": request}),
            json!({"op": "get_task", "id": task}),
            json!({"op": "get_task", "id": wider}),
            json!({"op": "read_result", "task": task}),
            json!({"op": "audit_trail", "dataset": genomes}),
        ] {
            assert_eq!(
                w.query(who, &query),
                Err(ContractError::NotFoundOrDenied),
                "{query}"
            );
        }
        for list in [
            json!({"op": "list_my_requests"}),
            json!({"op": "list_my_tasks"}),
        ] {
            let reply = String::from_utf8(w.query(who, &list).unwrap()).unwrap();
            assert!(reply.contains("\"items\":[]"), "{who:?} listed {reply}");
        }
        for invocation in [
            json!({"op": "approve_permission", "request": request}),
            json!({"op": "reject_permission", "request": request}),
            json!({"op": "revoke_grant", "grant": grant}),
            json!({"op": "approve_task", "task": wider}),
            json!({"op": "reject_task", "task": wider}),
            json!({"op": "claim_task", "task": wider}),
            json!({"op": "withdraw_consent", "id": genomes}),
            json!({"op": "update_dataset", "id": genomes, "revision": 1, "labels": []}),
            success(&task, b"forged"),
        ] {
            assert_eq!(
                w.exec(who, &invocation),
                Err(ContractError::NotFoundOrDenied),
                "{invocation}"
            );
        }
    }
    assert_eq!(w.digest(), before, "Org3's attempts changed the state");
    // …while the public catalog is public to it too.
    let page: CatalogPage = w.q(&eve[0], &json!({"op": "search_catalog", "kind": "vcf"}));
    assert_eq!(page.items.len(), 1);
    let _: Value = w.q(&eve[0], &json!({"op": "get_dataset", "id": genomes}));
}
