//! A dataset's privacy budget is spent by its owner's decisions (approving a task) or
//! when a task covered by a grant is claimed, never by a request: a requester cannot
//! exhaust an owner's budget. A rejection gives back exactly what was reserved, and only
//! the owning organization ever sees numbers.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, permission, task};
use serde_json::{Value, json};
use strongroom_contract::sharing::{DatasetView, TaskStatus, TaskView};
use strongroom_contract::{Caller, ContractError};

const BUDGET: u64 = 1_000_000;

struct Setup {
    w: World,
    owner: Caller,
    exec: Caller,
    analyst: Caller,
    ds: String,
    alg: String,
}

fn setup() -> Setup {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let ds = w.register(&owner, "cohort", json!({"epsilon_budget_micro": BUDGET}));
    let alg = w.create(&analyst, &algorithm("dp_count", true));
    Setup {
        w,
        owner,
        exec: caller("Org1MSP", "exec", "executor"),
        analyst,
        ds,
        alg,
    }
}

fn dp_task(s: &Setup, epsilon: u64) -> Value {
    let mut t = task(&[&s.ds], &s.alg, "owner_side", &s.analyst);
    t["epsilon_micro"] = json!(epsilon);
    t
}

fn spent(s: &Setup) -> u64 {
    s.w.q::<DatasetView>(&s.owner, &json!({"op": "get_dataset", "id": s.ds}))
        .summary
        .epsilon_spent_micro
        .unwrap()
}

fn grant(s: &mut Setup) {
    let request = s.w.create(&s.analyst, &permission(&s.ds, &s.alg));
    s.w.create(
        &s.owner,
        &json!({"op": "approve_permission", "request": request}),
    );
}

fn approve(s: &mut Setup, id: &str) -> Result<Vec<u8>, ContractError> {
    s.w.exec(&s.owner, &json!({"op": "approve_task", "task": id}))
}

fn numbers_in(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| n.len() >= 4)
        .collect()
}

#[test]
fn a_requesters_many_requests_leave_the_budget_untouched() {
    let mut s = setup();
    for _ in 0..5 {
        let id = s.w.create(&s.analyst, &dp_task(&s, BUDGET));
        assert_eq!(
            s.w.task(&s.analyst, &id).status,
            TaskStatus::PendingApproval
        );
    }
    assert_eq!(spent(&s), 0);
}

#[test]
fn a_request_is_never_refused_for_a_budget() {
    let mut s = setup();
    let first = s.w.create(&s.analyst, &dp_task(&s, BUDGET));
    approve(&mut s, &first).unwrap();
    assert_eq!(spent(&s), BUDGET);
    // The budget is spent, yet a request is accepted: it is the approval that decides.
    s.w.create(&s.analyst, &dp_task(&s, BUDGET));
    s.w.create(&s.analyst, &dp_task(&s, BUDGET + 1));
}

#[test]
fn an_owners_approval_reserves_epsilon() {
    let mut s = setup();
    let id = s.w.create(&s.analyst, &dp_task(&s, 300_000));
    let view: TaskView = serde_json::from_slice(&approve(&mut s, &id).unwrap()).unwrap();
    assert_eq!(view.status, TaskStatus::Approved);
    assert_eq!(spent(&s), 300_000);
    // The claim of an approved input reserves nothing more.
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": id}));
    assert_eq!(spent(&s), 300_000);
}

#[test]
fn an_approval_the_budget_does_not_allow_is_refused_with_numbers_and_changes_nothing() {
    let mut s = setup();
    let first = s.w.create(&s.analyst, &dp_task(&s, 700_000));
    approve(&mut s, &first).unwrap();
    let second = s.w.create(&s.analyst, &dp_task(&s, 400_000));
    let before = s.w.digest();
    match approve(&mut s, &second) {
        Err(ContractError::Refused(m)) => {
            assert!(m.contains("300000 of 1000000 left"), "{m}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.w.digest(), before);
    assert_eq!(
        s.w.task(&s.analyst, &second).status,
        TaskStatus::PendingApproval
    );
}

#[test]
fn a_claim_reserves_epsilon_for_inputs_covered_by_a_grant() {
    let mut s = setup();
    grant(&mut s);
    let id = s.w.create(&s.analyst, &dp_task(&s, 250_000));
    assert_eq!(s.w.task(&s.analyst, &id).status, TaskStatus::Approved);
    assert_eq!(spent(&s), 0);
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": id}));
    assert_eq!(spent(&s), 250_000);
}

#[test]
fn a_claim_the_budget_does_not_allow_is_refused_without_numbers_and_changes_nothing() {
    let mut s = setup();
    grant(&mut s);
    let first = s.w.create(&s.analyst, &dp_task(&s, 800_000));
    let second = s.w.create(&s.analyst, &dp_task(&s, 300_000));
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": first}));
    let before = s.w.digest();
    match s
        .w
        .exec(&s.exec, &json!({"op": "claim_task", "task": second}))
    {
        Err(ContractError::Refused(m)) => {
            assert!(m.contains("privacy budget"), "{m}");
            // Ids are hex; no decimal number of 4 or more digits (budget, spent, left).
            for number in numbers_in(&m) {
                assert!(
                    !["800000", "200000", "1000000", "300000"].contains(&number),
                    "{m}"
                );
            }
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.w.digest(), before);
    assert_eq!(s.w.task(&s.analyst, &second).status, TaskStatus::Approved);
}

#[test]
fn a_rejection_refunds_what_an_approval_reserved() {
    let mut s = setup();
    let id = s.w.create(&s.analyst, &dp_task(&s, 400_000));
    approve(&mut s, &id).unwrap();
    assert_eq!(spent(&s), 400_000);
    s.w.ok::<TaskView>(&s.owner, &json!({"op": "reject_task", "task": id}));
    assert_eq!(spent(&s), 0);
}

#[test]
fn a_rejection_of_an_unclaimed_grant_covered_task_refunds_nothing() {
    let mut s = setup();
    grant(&mut s);
    let claimed = s.w.create(&s.analyst, &dp_task(&s, 100_000));
    s.w.ok::<TaskView>(&s.exec, &json!({"op": "claim_task", "task": claimed}));
    let unclaimed = s.w.create(&s.analyst, &dp_task(&s, 500_000));
    s.w.ok::<TaskView>(&s.owner, &json!({"op": "reject_task", "task": unclaimed}));
    assert_eq!(spent(&s), 100_000);
}

#[test]
fn a_multi_owner_rejection_refunds_only_the_inputs_that_were_reserved() {
    let mut w = World::new();
    let owners: Vec<Caller> = (1..=2)
        .map(|i| caller(&format!("Hosp{i}MSP"), "owner", "owner"))
        .collect();
    let inputs: Vec<String> = owners
        .iter()
        .map(|o| w.register(o, "cohort", json!({"epsilon_budget_micro": BUDGET})))
        .collect();
    let analyst = caller("ResearchMSP", "rita", "analyst");
    let alg = w.create(&analyst, &algorithm("dp_count", true));
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let mut t = task(&refs, &alg, "tee", &analyst);
    t["epsilon_micro"] = json!(200_000);
    let id = w.create(&analyst, &t);
    w.ok::<TaskView>(&owners[0], &json!({"op": "approve_task", "task": id}));
    let spent_of = |w: &World, i: usize| {
        w.q::<DatasetView>(&owners[i], &json!({"op": "get_dataset", "id": inputs[i]}))
            .summary
            .epsilon_spent_micro
    };
    assert_eq!((spent_of(&w, 0), spent_of(&w, 1)), (Some(200_000), Some(0)));
    w.ok::<TaskView>(&owners[1], &json!({"op": "reject_task", "task": id}));
    assert_eq!((spent_of(&w, 0), spent_of(&w, 1)), (Some(0), Some(0)));
}

#[test]
fn only_the_owning_organization_sees_budget_numbers() {
    let mut s = setup();
    let id = s.w.create(&s.analyst, &dp_task(&s, 300_000));
    approve(&mut s, &id).unwrap();
    for member in ["admin", "analyst", "auditor", "executor"] {
        let view: DatasetView = s.w.q(
            &caller("Org1MSP", member, member),
            &json!({"op": "get_dataset", "id": s.ds}),
        );
        assert_eq!(view.summary.epsilon_budget_micro, Some(BUDGET), "{member}");
        assert_eq!(view.summary.epsilon_spent_micro, Some(300_000), "{member}");
    }
    for outsider in [
        s.analyst.clone(),
        caller("Org3MSP", "mike", "owner"),
        caller("Org3MSP", "mara", "admin"),
    ] {
        for query in [
            json!({"op": "get_dataset", "id": s.ds}),
            json!({"op": "search_catalog"}),
            json!({"op": "get_task", "id": id}),
            json!({"op": "list_my_tasks"}),
        ] {
            let Ok(reply) = s.w.query(&outsider, &query) else {
                continue;
            };
            let text = String::from_utf8(reply).unwrap();
            assert!(!text.contains("epsilon_budget"), "{query}: {text}");
            assert!(!text.contains("epsilon_spent"), "{query}: {text}");
            assert!(!text.contains("1000000"), "{query}: {text}");
        }
    }
}
