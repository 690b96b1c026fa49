//! What stops data use: consent withdrawal, grant and consent expiry by ledger time,
//! grant revocation, and an exhausted privacy budget.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, permission, success, task};
use serde_json::{Value, json};
use strongroom_contract::sharing::{
    CatalogPage, DatasetView, GrantStatus, GrantView, RequestView, TaskStatus, TaskView,
};
use strongroom_contract::{Caller, ContractError, State};

struct Setup {
    w: World,
    owner: Caller,
    exec: Caller,
    analyst: Caller,
    ds: String,
    alg: String,
}

fn setup(extra: Value, dp: bool) -> Setup {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let ds = w.register(&owner, "cohort", extra);
    let alg = w.create(&analyst, &algorithm("count", dp));
    Setup {
        w,
        owner,
        exec: caller("Org1MSP", "exec", "executor"),
        analyst,
        ds,
        alg,
    }
}

fn refused(result: Result<Vec<u8>, ContractError>, containing: &str) {
    match result {
        Err(ContractError::Refused(m)) => assert!(m.contains(containing), "{m}"),
        other => panic!("expected a refusal about {containing:?}, got {other:?}"),
    }
}

fn grant(s: &mut Setup, scope_extra: Value) -> String {
    let mut request = permission(&s.ds, &s.alg);
    common::merge(&mut request["scope"], scope_extra);
    let id = s.w.create(&s.analyst, &request);
    s.w.create(
        &s.owner,
        &json!({"op": "approve_permission", "request": id}),
    )
}

#[test]
fn withdrawn_consent_stops_catalog_grants_tasks_and_keys() {
    let mut s = setup(json!({}), false);
    let pending = s.w.create(&s.analyst, &permission(&s.ds, &s.alg));
    grant(&mut s, json!({}));
    let approved = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    let running = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    let claimed: TaskView =
        s.w.ok(&s.exec, &json!({"op": "claim_task", "task": running}));
    assert_eq!(claimed.inputs[0].wrapped_keys.len(), 2);

    let view: DatasetView =
        s.w.ok(&s.owner, &json!({"op": "withdraw_consent", "id": s.ds}));
    assert_eq!(
        view.status,
        strongroom_contract::sharing::DatasetStatus::Withdrawn
    );

    let page: CatalogPage = s.w.q(&s.analyst, &json!({"op": "search_catalog"}));
    assert!(page.items.is_empty());
    refused(
        s.w.exec(
            &s.owner,
            &json!({"op": "approve_permission", "request": pending}),
        ),
        "withdrawn",
    );
    assert_eq!(
        s.w.exec(
            &s.analyst,
            &task(&[&s.ds], &s.alg, "owner_side", &s.analyst)
        ),
        Err(ContractError::NotFoundOrDenied)
    );
    refused(
        s.w.exec(&s.exec, &json!({"op": "claim_task", "task": approved})),
        "withdrawn",
    );
    // The running task's claimant no longer sees the keys.
    assert!(
        s.w.task(&s.exec, &running).inputs[0]
            .wrapped_keys
            .is_empty()
    );
    // Withdrawal is final.
    refused(
        s.w.exec(
            &s.owner,
            &json!({"op": "update_dataset", "id": s.ds, "revision": s.w.revision(&s.owner, &s.ds), "labels": []}),
        ),
        "withdrawn",
    );
}

#[test]
fn a_grant_ends_at_its_expiry_by_ledger_time() {
    let mut s = setup(json!({}), false);
    let end = s.w.time_ms + 10_000;
    let grant_id = grant(&mut s, json!({"expires_at_ms": end}));
    let before = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    assert_eq!(s.w.task(&s.analyst, &before).status, TaskStatus::Approved);

    s.w.advance(20_000);
    // The next transaction's time is past the end: the grant no longer covers tasks.
    let after = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    assert_eq!(
        s.w.task(&s.analyst, &after).status,
        TaskStatus::PendingApproval
    );
    refused(
        s.w.exec(&s.exec, &json!({"op": "claim_task", "task": before})),
        &grant_id,
    );
    // Queries judge by the latest recorded ledger time.
    let request_id = request_of(&s, &grant_id);
    let request: RequestView =
        s.w.q(&s.analyst, &json!({"op": "get_request", "id": request_id}));
    assert_eq!(request.grant.unwrap().status, GrantStatus::Expired);
}

fn request_of(s: &Setup, grant_id: &str) -> String {
    let requests: strongroom_contract::sharing::RequestList =
        s.w.q(&s.analyst, &json!({"op": "list_my_requests"}));
    requests
        .items
        .into_iter()
        .find(|r| r.grant.as_ref().is_some_and(|g| g.id == grant_id))
        .unwrap()
        .id
}

#[test]
fn consent_expiry_takes_a_dataset_out_of_the_catalog() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let end = w.time_ms + 5_000;
    let ds = w.register(
        &owner,
        "short",
        json!({"consent": {"purposes": ["research"], "expires_at_ms": end}}),
    );
    let page: CatalogPage = w.q(
        &analyst,
        &json!({"op": "search_catalog", "labels": ["clinical"]}),
    );
    assert_eq!(page.items.len(), 1);
    w.advance(10_000);
    w.create(&analyst, &algorithm("tick", false)); // any transaction records the time
    let page: CatalogPage = w.q(
        &analyst,
        &json!({"op": "search_catalog", "labels": ["clinical"]}),
    );
    assert!(page.items.is_empty());
    assert_eq!(
        w.query(&analyst, &json!({"op": "get_dataset", "id": ds})),
        Err(ContractError::NotFoundOrDenied)
    );
    // The owner renews consent: back in the catalog.
    let renewed = w.time_ms + 1_000_000;
    w.ok::<DatasetView>(
        &owner,
        &json!({"op": "update_dataset", "id": ds, "revision": w.revision(&owner, &ds), "consent": {"purposes": ["research"], "expires_at_ms": renewed}}),
    );
    let page: CatalogPage = w.q(
        &analyst,
        &json!({"op": "search_catalog", "labels": ["clinical"]}),
    );
    assert_eq!(page.items.len(), 1);
}

#[test]
fn a_revoked_grant_stops_future_tasks() {
    let mut s = setup(json!({}), false);
    let grant_id = grant(&mut s, json!({}));
    let approved = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    let revoked: GrantView = s.w.ok(
        &s.owner,
        &json!({"op": "revoke_grant", "grant": grant_id, "reason": "study closed"}),
    );
    assert_eq!(revoked.status, GrantStatus::Revoked);
    refused(
        s.w.exec(&s.exec, &json!({"op": "claim_task", "task": approved})),
        "revoked",
    );
    let next = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    assert_eq!(
        s.w.task(&s.analyst, &next).status,
        TaskStatus::PendingApproval
    );
    refused(
        s.w.exec(&s.owner, &json!({"op": "revoke_grant", "grant": grant_id})),
        "already revoked",
    );
    // A running task finishes: revocation stops future tasks, not a run in progress.
    let grant2 = grant(&mut s, json!({}));
    let running = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": running}));
    s.w.ok::<GrantView>(&s.owner, &json!({"op": "revoke_grant", "grant": grant2}));
    let done: TaskView = s.w.ok(&s.exec, &success(&running, b"r"));
    assert_eq!(done.status, TaskStatus::Succeeded);
}

/// The budget as the owner sees it: what is spent of it.
fn spent(s: &Setup) -> Option<u64> {
    s.w.q::<DatasetView>(&s.owner, &json!({"op": "get_dataset", "id": s.ds}))
        .summary
        .epsilon_spent_micro
}

#[test]
fn a_claim_that_would_exceed_the_budget_is_refused_and_a_request_never_is() {
    let mut s = setup(json!({"epsilon_budget_micro": 1_000_000}), true);
    grant(&mut s, json!({}));
    let dp_task = |s: &mut Setup, epsilon: u64| {
        let mut t = task(&[&s.ds], &s.alg, "owner_side", &s.analyst);
        t["epsilon_micro"] = json!(epsilon);
        s.w.create(&s.analyst, &t)
    };
    // Requests reserve nothing, however many: both are covered by the grant.
    let first = dp_task(&mut s, 600_000);
    let second = dp_task(&mut s, 600_000);
    assert_eq!(spent(&s), Some(0));
    // The claim of a grant-covered input reserves its ε.
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": first}));
    assert_eq!(spent(&s), Some(600_000));
    let refusal =
        s.w.exec(&s.exec, &json!({"op": "claim_task", "task": second}));
    refused(refusal.clone(), "privacy budget");
    let message = format!("{refusal:?}");
    for number in ["600000", "400000", "1000000"] {
        assert!(!message.contains(number), "{message}");
    }
    // Rejecting the unclaimed task gives back nothing: nothing was reserved for it.
    s.w.ok::<TaskView>(&s.owner, &json!({"op": "reject_task", "task": second}));
    assert_eq!(spent(&s), Some(600_000));
    let third = dp_task(&mut s, 400_000);
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": third}));
    assert_eq!(spent(&s), Some(1_000_000));
    let fourth = dp_task(&mut s, 1);
    refused(
        s.w.exec(&s.exec, &json!({"op": "claim_task", "task": fourth})),
        "privacy budget",
    );
    // A differentially private algorithm needs an ε.
    assert!(matches!(
        s.w.exec(&s.analyst, &task(&[&s.ds], &s.alg, "owner_side", &s.analyst)),
        Err(ContractError::Invalid(m)) if m.starts_with("epsilon_micro:")
    ));
}

#[test]
fn a_requester_cannot_lower_the_small_cell_threshold() {
    let mut s = setup(json!({"min_cell_size": 20}), false);
    let mut t = task(&[&s.ds], &s.alg, "owner_side", &s.analyst);
    t["parameters"] = json!({"min_cell_size": 5});
    assert!(matches!(
        s.w.exec(&s.analyst, &t),
        Err(ContractError::Invalid(m)) if m.starts_with("parameters.min_cell_size:")
    ));
    t["parameters"] = json!({"min_cell_size": 50});
    let id = s.w.create(&s.analyst, &t);
    assert_eq!(s.w.task(&s.analyst, &id).min_cell_size, 50);
}

/// States written before grant covers were kept in the grant index have empty index
/// entries; a task request then reads the grant record, and revoking such a grant still
/// stops future tasks (and writes the cover).
#[test]
fn grants_indexed_without_a_cover_are_read_from_their_records() {
    let mut s = setup(json!({}), false);
    let grant_id = grant(&mut s, json!({}));
    let prefix = format!("d/{}/g/", s.ds);
    let entries: Vec<Vec<u8>> =
        s.w.state
            .iter()
            .filter(|(k, _)| k.starts_with(prefix.as_bytes()))
            .map(|(k, v)| {
                assert!(!v.is_empty(), "a new grant's index entry carries its cover");
                k.to_vec()
            })
            .collect();
    assert_eq!(entries.len(), 1);
    for key in &entries {
        s.w.state.put(key.clone(), Vec::new());
    }
    let covered = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    let view = s.w.task(&s.analyst, &covered);
    assert_eq!(view.status, TaskStatus::Approved);
    assert_eq!(view.inputs[0].grant.as_deref(), Some(grant_id.as_str()));
    s.w.ok::<GrantView>(&s.owner, &json!({"op": "revoke_grant", "grant": grant_id}));
    assert!(!s.w.state.get(&entries[0]).unwrap().is_empty());
    let next = s.w.create(
        &s.analyst,
        &task(&[&s.ds], &s.alg, "owner_side", &s.analyst),
    );
    assert_eq!(
        s.w.task(&s.analyst, &next).status,
        TaskStatus::PendingApproval
    );
}
