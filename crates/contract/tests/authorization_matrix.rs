//! Every operation × every kind of caller, against the expected allow or deny.
//!
//! Each cell runs the operation on a fresh copy of one fixture: Org1 owns a dataset (and
//! a withdrawn one, and a spare location reservation), Org2's bob holds a grant on it
//! and made a pending request, Org2's carol asked for a task that awaits approval, and
//! bob's tasks (whose results go to bob and to Org6's rita) are at every later stage.
//! One test per operation (row); each prints its row and compares it with the table.
//!
//! Outcomes: `allow`, `deny` (`NotFoundOrDenied`), `refused` (`Refused`); for listings
//! `sees` or `empty` (whether the fixture's thing is listed); for `get_dataset` `keys`
//! (wrapped keys and file locations), `locations` (locations, no keys) or `allow`
//! (neither); for `get_task` `locations` (the inputs' file locations) or `allow`.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture::{KINDS, Op, attestation_of, fixture, operations, who};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{
    AlgorithmList, CatalogPage, DatasetView, RequestList, TaskList, TaskView,
};

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
                    "list_algorithms" => {
                        drop(serde_json::from_str::<AlgorithmList>(&text).unwrap())
                    }
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
                let located = view.files.iter().all(|f| !f.location.is_empty());
                match (view.wrapped_keys.is_empty(), located) {
                    (false, true) => "keys",
                    (true, true) => "locations",
                    (true, false) => "allow",
                    (false, false) => "keys without locations",
                }
            }
            _ if name.starts_with("get_task") => {
                let view: TaskView = serde_json::from_slice(&reply).unwrap();
                if view.inputs[0].files.iter().all(|f| !f.location.is_empty()) {
                    "locations"
                } else {
                    "allow"
                }
            }
            _ => "allow",
        },
    }
}

/// Runs one operation as every kind of caller; compares with `expected`.
fn check_row(name: &str, expected: [&str; 14]) {
    let f = fixture();
    let ops = operations(&f);
    let (_, op) = ops
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no operation {name} in the fixture"));
    let mut mismatches = Vec::new();
    println!("{name}");
    for (kind, want) in KINDS.into_iter().zip(expected) {
        let mut world = f.world.clone();
        let result = match op {
            Op::Tx(invocation) => world.exec_as(&who(kind), attestation_of(kind, &f), invocation),
            Op::Query(query) | Op::List(query, _) => world.query(&who(kind), query),
            Op::Object(purpose, location) => world
                .authorize(&who(kind), purpose, location)
                .map(|grant| serde_json::to_vec(&grant).unwrap()),
        };
        let got = outcome(result, op, name);
        println!("  {kind:>22}: {got}");
        if got != want {
            mismatches.push(format!("{name} by {kind}: got {got}, expected {want}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The table: one row per operation, one `#[test]` per row.
macro_rules! matrix {
    ($($test:ident: $name:literal => $row:expr;)*) => {
        mod each_operation_allows_exactly_the_expected_callers {
            use super::check_row;

            $(
                #[test]
                fn $test() {
                    check_row($name, $row);
                }
            )*
        }

        #[test]
        fn the_table_has_a_row_for_every_operation_of_the_fixture() {
            let f = fixture();
            let mut names: Vec<&str> = operations(&f).iter().map(|(n, _)| *n).collect();
            let mut rows = vec![$($name),*];
            names.sort_unstable();
            rows.sort_unstable();
            assert_eq!(names, rows);
        }
    };
}

#[rustfmt::skip]
matrix! {
    //                                                          owner     owner_admin owner_org_member owner_auditor executor requester requester_org_member recipient unrelated other_admin other_owner observer worker   worker_wrong
    register_dataset: "register_dataset" =>                     ["allow",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "refused", "deny", "deny",  "deny"];
    update_dataset: "update_dataset" =>                         ["allow",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    withdraw_consent: "withdraw_consent" =>                     ["allow",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    register_algorithm: "register_algorithm" =>                 ["allow",  "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"];
    request_permission: "request_permission" =>                 ["deny",   "deny",  "allow", "deny",  "deny",  "allow", "allow", "allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny"];
    approve_permission: "approve_permission" =>                 ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    reject_permission: "reject_permission" =>                   ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    revoke_grant: "revoke_grant" =>                             ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    request_task: "request_task" =>                             ["deny",   "deny",  "allow", "deny",  "deny",  "allow", "allow", "allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny"];
    approve_task: "approve_task" =>                             ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    reject_task: "reject_task" =>                               ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    claim_task_owner_side: "claim_task (owner-side)" =>         ["deny",   "deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    claim_task_tee: "claim_task (tee)" =>                       ["deny",   "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "allow", "deny"];
    write_result_owner_side: "write_result (owner-side)" =>     ["deny",   "deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    write_result_tee: "write_result (tee)" =>                   ["deny",   "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "allow", "deny"];
    search_catalog: "search_catalog" =>                         ["sees",   "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees"];
    get_dataset: "get_dataset" =>                               ["keys",   "keys",  "locations", "keys", "locations", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"];
    get_algorithm: "get_algorithm" =>                           ["allow",  "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"];
    list_algorithms: "list_algorithms" =>                       ["sees",   "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees",  "sees"];
    get_request: "get_request" =>                               ["allow",  "allow", "deny",  "allow", "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    list_my_requests: "list_my_requests" =>                     ["sees",   "sees",  "empty", "empty", "empty", "sees",  "empty", "empty", "empty", "empty", "empty", "empty", "empty", "empty"];
    get_task_owner_side: "get_task (owner-side)" =>             ["locations", "locations", "deny", "locations", "locations", "allow", "deny", "allow", "deny", "deny", "deny", "deny", "deny", "deny"];
    get_task_tee_running: "get_task (tee, running)" =>          ["locations", "locations", "deny", "locations", "locations", "allow", "deny", "allow", "deny", "deny", "deny", "deny", "locations", "allow"];
    list_my_tasks_pending: "list_my_tasks (pending)" =>         ["sees",   "sees",  "empty", "empty", "empty", "empty", "sees",  "empty", "empty", "empty", "empty", "empty", "empty", "empty"];
    list_my_tasks_approved: "list_my_tasks (approved)" =>       ["empty",  "empty", "empty", "empty", "sees",  "sees",  "empty", "empty", "empty", "empty", "empty", "empty", "empty", "empty"];
    publish_member_key: "publish_member_key" =>                 ["allow",  "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"];
    share_org_key: "share_org_key" =>                           ["allow",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "refused", "refused", "deny", "deny", "deny"];
    get_member_key: "get_member_key" =>                         ["allow",  "allow", "allow", "allow", "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    get_org_key_share: "get_org_key_share" =>                   ["deny",   "deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    list_my_tasks_tee_approved: "list_my_tasks (tee, approved)" => ["empty", "empty", "empty", "empty", "sees", "sees", "empty", "empty", "empty", "empty", "empty", "empty", "sees", "sees"];
    read_result: "read_result" =>                               ["deny",   "deny",  "deny",  "deny",  "deny",  "allow", "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    audit_trail: "audit_trail" =>                               ["allow",  "allow", "deny",  "allow", "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    reserve_locations: "reserve_locations" =>                   ["allow",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "allow", "deny",  "deny",  "deny"];
    authorize_upload: "authorize_object (upload)" =>            ["allow",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny",  "deny"];
    authorize_owner_read_active: "authorize_object (owner read, active)" => ["allow", "allow", "allow", "allow", "allow", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny"];
    authorize_owner_read_withdrawn: "authorize_object (owner read, withdrawn)" => ["allow", "allow", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny"];
    authorize_task_input_running: "authorize_object (task input, running)" => ["deny", "deny", "deny", "deny", "allow", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny"];
    authorize_task_input_running_tee: "authorize_object (task input, running tee)" => ["deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "allow", "deny"];
    authorize_task_input_finished: "authorize_object (task input, finished)" => ["deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny", "deny"];
}
