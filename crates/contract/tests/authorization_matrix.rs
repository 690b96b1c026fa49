//! Every operation × every kind of caller, against the expected allow or deny.
//!
//! Each cell runs the operation on a fresh copy of one fixture: Org1 owns a dataset,
//! Org2's bob holds a grant on it and made a pending request, Org2's carol asked for a
//! task that awaits approval, and bob's tasks are at every later stage. The table of
//! outcomes is printed (`cargo test -- --nocapture`) and compared with the expected one.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture::{KINDS, Op, attestation_of, fixture, operations, who};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{CatalogPage, DatasetView, RequestList, TaskList};

#[rustfmt::skip]
const EXPECTED: [(&str, [&str; 10]); 26] = [
    // owner, owner_admin, owner_org_member, executor, requester, requester_org_member, unrelated, observer, worker, worker_wrong
    ("register_dataset",          ["allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("update_dataset",            ["allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("withdraw_consent",          ["allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("register_algorithm",        ["allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"]),
    ("request_permission",        ["deny",  "deny",  "allow", "deny",  "allow", "allow", "allow", "deny",  "deny",  "deny"]),
    ("approve_permission",        ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("reject_permission",         ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("revoke_grant",              ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("request_task",              ["deny",  "deny",  "allow", "deny",  "allow", "allow", "allow", "deny",  "deny",  "deny"]),
    ("approve_task",              ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("reject_task",               ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("claim_task (owner-side)",   ["deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("claim_task (tee)",          ["deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "allow", "deny"]),
    ("write_result (owner-side)", ["deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("write_result (tee)",        ["deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "allow", "deny"]),
    ("search_catalog",            ["sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees"]),
    ("get_dataset",               ["keys",  "keys",  "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"]),
    ("get_algorithm",             ["allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"]),
    ("get_request",               ["allow", "allow", "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("list_my_requests",          ["sees",  "sees",  "empty", "empty", "sees",  "empty", "empty", "empty", "empty", "empty"]),
    ("get_task (owner-side)",     ["allow", "allow", "deny",  "allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("get_task (tee, running)",   ["allow", "allow", "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "allow", "deny"]),
    ("list_my_tasks (pending)",   ["sees",  "sees",  "empty", "empty", "empty", "sees",  "empty", "empty", "empty", "empty"]),
    ("list_my_tasks (approved)",  ["empty", "empty", "empty", "sees",  "sees",  "empty", "empty", "empty", "empty", "empty"]),
    ("read_result",               ["deny",  "deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny"]),
    ("audit_trail",               ["allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"]),
];

fn outcome(result: Result<Vec<u8>, ContractError>, op: &Op, name: &str) -> &'static str {
    match result {
        Err(ContractError::NotFoundOrDenied) => "deny",
        Err(ContractError::Refused(_)) => "refused",
        Err(_) => "invalid",
        Ok(reply) => match op {
            Op::List(_, id) => {
                let text = String::from_utf8(reply).unwrap();
                // Check the reply is the right type, then whether it shows the id.
                match name {
                    "search_catalog" => drop(serde_json::from_str::<CatalogPage>(&text).unwrap()),
                    "list_my_requests" => drop(serde_json::from_str::<RequestList>(&text).unwrap()),
                    _ => drop(serde_json::from_str::<TaskList>(&text).unwrap()),
                }
                if text.contains(&format!("\"id\":\"{id}\"")) {
                    "sees"
                } else {
                    "empty"
                }
            }
            _ if name == "get_dataset" => {
                let view: DatasetView = serde_json::from_slice(&reply).unwrap();
                if view.wrapped_keys.is_empty() {
                    "allow"
                } else {
                    "keys"
                }
            }
            _ => "allow",
        },
    }
}

#[test]
fn every_operation_for_every_kind_of_caller() {
    let f = fixture();
    let ops = operations(&f);
    assert_eq!(ops.len(), EXPECTED.len());
    let mut actual = Vec::new();
    for (name, op) in &ops {
        let mut row = Vec::new();
        for kind in KINDS {
            let mut world = f.world.clone();
            let result = match op {
                Op::Tx(invocation) => {
                    world.exec_as(&who(kind), attestation_of(kind, &f), invocation)
                }
                Op::Query(query) | Op::List(query, _) => world.query(&who(kind), query),
            };
            row.push(outcome(result, op, name));
        }
        actual.push((*name, row));
    }

    let width = KINDS.iter().map(|k| k.len()).max().unwrap();
    print!("{:27}", "operation");
    for kind in KINDS {
        print!(" {kind:>width$}");
    }
    println!();
    for (name, row) in &actual {
        print!("{name:27}");
        for cell in row {
            print!(" {cell:>width$}");
        }
        println!();
    }

    let mut mismatches = Vec::new();
    for ((name, row), (expected_name, expected_row)) in actual.iter().zip(EXPECTED) {
        assert_eq!(*name, expected_name);
        for (i, (got, want)) in row.iter().zip(expected_row).enumerate() {
            if *got != want {
                mismatches.push(format!(
                    "{name} by {}: got {got}, expected {want}",
                    KINDS[i]
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
