//! The fixture of the authorization tests: callers of every kind, and one state with a
//! dataset, a grant, a pending request and tasks at every stage.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Value, json};
use strongroom_contract::sharing::DatasetView;
use strongroom_contract::{Attestation, Caller, ObjectPurpose};

use super::{
    BAD_MEASUREMENT, GOOD_MEASUREMENT, World, algorithm, attestation, caller, dataset, permission,
    sha, success, task, task_for,
};

pub const KINDS: [&str; 14] = [
    "owner",
    "owner_admin",
    "owner_org_member",
    "owner_auditor",
    "executor",
    "requester",
    "requester_org_member",
    "recipient",
    "unrelated",
    "other_admin",
    "other_owner",
    "observer",
    "worker",
    "worker_wrong",
];

/// The kinds that are party to nothing in the fixture.
/// (`worker_wrong` is an executor of the requester's organization, a party.)
pub const NON_PARTIES: [&str; 4] = ["unrelated", "other_admin", "other_owner", "observer"];

pub fn who(kind: &str) -> Caller {
    match kind {
        "owner" => caller("Org1MSP", "alice", "owner"),
        "owner_admin" => caller("Org1MSP", "olga", "admin"),
        "owner_org_member" => caller("Org1MSP", "oscar", "analyst"),
        "owner_auditor" => caller("Org1MSP", "otto", "auditor"),
        "executor" => caller("Org1MSP", "exec1", "executor"),
        "requester" => caller("Org2MSP", "bob", "analyst"),
        "requester_org_member" => caller("Org2MSP", "carol", "analyst"),
        "recipient" => caller("Org6MSP", "rita", "analyst"),
        "unrelated" => caller("Org3MSP", "mallory", "analyst"),
        "other_admin" => caller("Org3MSP", "mara", "admin"),
        "other_owner" => caller("Org3MSP", "mike", "owner"),
        "observer" => caller("Org4MSP", "olivia", "auditor"),
        "worker" => caller("Org2MSP", "worker1", "executor"),
        "worker_wrong" => caller("Org2MSP", "worker2", "executor"),
        _ => unreachable!(),
    }
}

pub struct Fixture {
    pub world: World,
    pub dataset: String,
    /// The dataset's revision.
    pub revision: u64,
    /// The location of the dataset's file.
    pub location: String,
    /// A location reserved for Org1 and not registered.
    pub spare_location: String,
    /// The location of a withdrawn dataset of Org1.
    pub withdrawn_location: String,
    pub algorithm: String,
    pub pending_request: String,
    pub grant: String,
    pub pending_task: String,
    pub approved_task: String,
    pub approved_tee_task: String,
    pub running_task: String,
    pub running_tee_task: String,
    pub done_task: String,
    pub tee_hash: String,
}

pub fn fixture() -> Fixture {
    let mut w = World::new();
    let (alice, bob, carol) = (who("owner"), who("requester"), who("requester_org_member"));
    let (exec1, worker) = (who("executor"), who("worker"));
    let ds = w.register(&alice, "genomes", json!({}));
    let view: DatasetView = w.q(&alice, &json!({"op": "get_dataset", "id": ds}));
    let (revision, location) = (view.revision.unwrap(), view.files[0].location.clone());
    let retired = w.register(&alice, "retired", json!({}));
    let view: DatasetView = w.ok(&alice, &json!({"op": "withdraw_consent", "id": retired}));
    let withdrawn_location = view.files[0].location.clone();
    let spare_location = w.reserve(&alice, 1).remove(0);
    let rita = who("recipient");
    let alg = w.create(&bob, &algorithm("describe", false));
    let req = w.create(&bob, &permission(&ds, &alg));
    let grant = w.create(&alice, &json!({"op": "approve_permission", "request": req}));
    let pending_request = w.create(&bob, &permission(&ds, &alg));
    let pending_task = w.create(&carol, &task(&[&ds], &alg, "owner_side", &carol));
    let bob_task = |mode: &str| task_for(&[&ds], &alg, mode, &[&bob, &rita]);
    let approved_task = w.create(&bob, &bob_task("owner_side"));
    let approved_tee_task = w.create(&bob, &bob_task("tee"));
    let running_task = w.create(&bob, &bob_task("owner_side"));
    w.ok::<Value>(&exec1, &json!({"op": "claim_task", "task": running_task}));
    let running_tee_task = w.create(&bob, &bob_task("tee"));
    let hash = w.task(&bob, &running_tee_task).config_hash;
    w.exec_as(
        &worker,
        Some(attestation(GOOD_MEASUREMENT, &hash)),
        &json!({"op": "claim_task", "task": running_tee_task}),
    )
    .unwrap();
    let done_task = w.create(&bob, &bob_task("owner_side"));
    w.ok::<Value>(&exec1, &json!({"op": "claim_task", "task": done_task}));
    w.ok::<Value>(&exec1, &success(&done_task, b"sealed"));
    let tee_hash = w.task(&bob, &approved_tee_task).config_hash;
    // Org1's executor has published a member key, and alice shared Org1's key with it.
    w.ok::<Value>(
        &exec1,
        &json!({"op": "publish_member_key", "public_key": "ab".repeat(32)}),
    );
    w.ok::<Value>(
        &alice,
        &json!({"op": "share_org_key", "to": "exec1", "public_key": "ab".repeat(32), "wrapped_key": "00ff"}),
    );
    Fixture {
        world: w,
        dataset: ds,
        revision,
        location,
        spare_location,
        withdrawn_location,
        algorithm: alg,
        pending_request,
        grant,
        pending_task,
        approved_task,
        approved_tee_task,
        running_task,
        running_tee_task,
        done_task,
        tee_hash,
    }
}

/// What an operation does: a transaction, a query, a listing and the id it must show,
/// or an object access.
pub enum Op {
    Tx(Value),
    Query(Value),
    List(Value, String),
    Object(ObjectPurpose, String),
}

pub fn operations(f: &Fixture) -> Vec<(&'static str, Op)> {
    let ds = &f.dataset;
    vec![
        (
            "register_dataset",
            Op::Tx(dataset(
                "more",
                json!({"time_column": null, "files": [{
                    "name": "more.csv", "columns": ["age"], "size_bytes": 10,
                    "plaintext_sha256": sha(b"more"), "ciphertext_sha256": sha(b"more enc"),
                    "location": f.spare_location,
                }]}),
            )),
        ),
        (
            "update_dataset",
            Op::Tx(
                json!({"op": "update_dataset", "id": ds, "revision": f.revision, "labels": ["genomics"]}),
            ),
        ),
        (
            "withdraw_consent",
            Op::Tx(json!({"op": "withdraw_consent", "id": ds})),
        ),
        ("register_algorithm", Op::Tx(algorithm("stratify", false))),
        ("request_permission", Op::Tx(permission(ds, &f.algorithm))),
        (
            "approve_permission",
            Op::Tx(json!({"op": "approve_permission", "request": f.pending_request})),
        ),
        (
            "reject_permission",
            Op::Tx(json!({"op": "reject_permission", "request": f.pending_request})),
        ),
        (
            "revoke_grant",
            Op::Tx(json!({"op": "revoke_grant", "grant": f.grant})),
        ),
        (
            "request_task",
            Op::Tx(task(&[ds], &f.algorithm, "owner_side", &who("requester"))),
        ),
        (
            "approve_task",
            Op::Tx(json!({"op": "approve_task", "task": f.pending_task})),
        ),
        (
            "reject_task",
            Op::Tx(json!({"op": "reject_task", "task": f.pending_task})),
        ),
        (
            "claim_task (owner-side)",
            Op::Tx(json!({"op": "claim_task", "task": f.approved_task})),
        ),
        (
            "claim_task (tee)",
            Op::Tx(json!({"op": "claim_task", "task": f.approved_tee_task})),
        ),
        (
            "write_result (owner-side)",
            Op::Tx(success(&f.running_task, b"out")),
        ),
        (
            "write_result (tee)",
            Op::Tx(success(&f.running_tee_task, b"out")),
        ),
        (
            "search_catalog",
            Op::List(
                json!({"op": "search_catalog", "text": "genomes"}),
                ds.clone(),
            ),
        ),
        (
            "get_dataset",
            Op::Query(json!({"op": "get_dataset", "id": ds})),
        ),
        (
            "get_algorithm",
            Op::Query(json!({"op": "get_algorithm", "id": f.algorithm})),
        ),
        (
            "list_algorithms",
            Op::List(json!({"op": "list_algorithms"}), f.algorithm.clone()),
        ),
        (
            "get_request",
            Op::Query(json!({"op": "get_request", "id": f.pending_request})),
        ),
        (
            "list_my_requests",
            Op::List(json!({"op": "list_my_requests"}), f.pending_request.clone()),
        ),
        (
            "get_task (owner-side)",
            Op::Query(json!({"op": "get_task", "id": f.approved_task})),
        ),
        (
            "get_task (tee, running)",
            Op::Query(json!({"op": "get_task", "id": f.running_tee_task})),
        ),
        (
            "list_my_tasks (pending)",
            Op::List(json!({"op": "list_my_tasks"}), f.pending_task.clone()),
        ),
        (
            "list_my_tasks (approved)",
            Op::List(json!({"op": "list_my_tasks"}), f.approved_task.clone()),
        ),
        (
            "publish_member_key",
            Op::Tx(json!({"op": "publish_member_key", "public_key": "cd".repeat(32)})),
        ),
        (
            "share_org_key",
            Op::Tx(
                json!({"op": "share_org_key", "to": "exec1", "public_key": "ab".repeat(32), "wrapped_key": "0011"}),
            ),
        ),
        (
            "get_member_key",
            Op::Query(json!({"op": "get_member_key", "name": "exec1"})),
        ),
        (
            "get_org_key_share",
            Op::Query(json!({"op": "get_org_key_share"})),
        ),
        (
            "list_my_tasks (tee, approved)",
            Op::List(json!({"op": "list_my_tasks"}), f.approved_tee_task.clone()),
        ),
        (
            "read_result",
            Op::Query(json!({"op": "read_result", "task": f.done_task})),
        ),
        (
            "audit_trail",
            Op::Query(json!({"op": "audit_trail", "dataset": ds})),
        ),
        (
            "reserve_locations",
            Op::Tx(json!({"op": "reserve_locations", "count": 2})),
        ),
        (
            "authorize_object (upload)",
            Op::Object(ObjectPurpose::Upload, f.spare_location.clone()),
        ),
        (
            "authorize_object (owner read, active)",
            Op::Object(ObjectPurpose::OwnerRead, f.location.clone()),
        ),
        (
            "authorize_object (owner read, withdrawn)",
            Op::Object(ObjectPurpose::OwnerRead, f.withdrawn_location.clone()),
        ),
        (
            "authorize_object (task input, running)",
            Op::Object(
                ObjectPurpose::TaskInput {
                    task: f.running_task.clone(),
                },
                f.location.clone(),
            ),
        ),
        (
            "authorize_object (task input, running tee)",
            Op::Object(
                ObjectPurpose::TaskInput {
                    task: f.running_tee_task.clone(),
                },
                f.location.clone(),
            ),
        ),
        (
            "authorize_object (task input, finished)",
            Op::Object(
                ObjectPurpose::TaskInput {
                    task: f.done_task.clone(),
                },
                f.location.clone(),
            ),
        ),
    ]
}

pub fn attestation_of(kind: &str, f: &Fixture) -> Option<Attestation> {
    match kind {
        "worker" => Some(attestation(GOOD_MEASUREMENT, &f.tee_hash)),
        // Verified evidence, but bound to another task's configuration.
        "worker_wrong" => Some(attestation(BAD_MEASUREMENT, &"ee".repeat(32))),
        _ => None,
    }
}
