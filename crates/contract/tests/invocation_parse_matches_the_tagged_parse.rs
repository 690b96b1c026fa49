//! `Invocation::from_json` (which reads the operation's struct directly when `"op"`
//! comes first) gives exactly what serde's tagged parse gives: the same value for every
//! operation, and the same error, word for word, for every truncation and many one-byte
//! corruptions of each, with `"op"` first, last, or repeated.
#![allow(clippy::unwrap_used)]

mod common;

use common::{algorithm, caller, dataset, merge, permission, success, task};
use serde_json::{Value, json};
use strongroom_contract::sharing::Invocation;

/// One invocation of every operation, with optional fields set where there are some.
fn samples() -> Vec<Value> {
    let ds = "ds-0000000000000001";
    let alg = "alg-0000000000000002";
    let bob = caller("Org2MSP", "bob", "analyst");
    let mut full_task = task(&[ds, "ds-0000000000000003"], alg, "tee", &bob);
    merge(
        &mut full_task,
        json!({"epsilon_micro": 5, "parameters": {"group_by": "gene", "min_cell_size": 20, "nested": [1, 2.5, null, "é\"\\"]}}),
    );
    vec![
        json!({"op": "approve_permission", "request": "req-0000000000000004"}),
        json!({"op": "approve_task", "task": "task-0000000000000005"}),
        json!({"op": "claim_task", "task": "task-0000000000000005"}),
        algorithm("describe", true),
        dataset(
            "genomes",
            json!({"epsilon_budget_micro": 100, "min_cell_size": 11}),
        ),
        json!({"op": "reject_permission", "request": "req-0000000000000004", "reason": "no"}),
        json!({"op": "reject_task", "task": "task-0000000000000005", "reason": "not now"}),
        permission(ds, alg),
        task(&[ds], alg, "owner_side", &bob),
        full_task,
        json!({"op": "revoke_grant", "grant": "grant-0000000000000006"}),
        json!({"op": "update_dataset", "id": ds, "revision": 7, "labels": ["genomics"], "description": "new"}),
        json!({"op": "reserve_locations", "count": 3}),
        json!({"op": "withdraw_consent", "id": ds}),
        success("task-0000000000000005", b"sealed"),
        json!({"op": "write_result", "task": "task-0000000000000005",
               "outcome": {"status": "failed", "reason": "bad row 7"}}),
    ]
}

/// The invocation's JSON with `"op"` first (as clients write it), then the rest.
fn op_first(value: &Value) -> Vec<u8> {
    let mut rest = value.as_object().unwrap().clone();
    let op = rest.remove("op").unwrap();
    let rest = serde_json::to_string(&rest).unwrap();
    let members = &rest[1..];
    if members == "}" {
        format!(r#"{{"op":{op}}}"#).into_bytes()
    } else {
        format!(r#"{{"op":{op},{members}"#).into_bytes()
    }
}

fn same_outcome(bytes: &[u8]) {
    let fast = Invocation::from_json(bytes).map_err(|e| e.to_string());
    let tagged = serde_json::from_slice::<Invocation>(bytes).map_err(|e| e.to_string());
    assert_eq!(fast, tagged, "{}", String::from_utf8_lossy(bytes));
}

#[test]
fn every_operation_parses_the_same_either_way() {
    for sample in samples() {
        let first = op_first(&sample);
        assert!(first.starts_with(br#"{"op":""#));
        let parsed = Invocation::from_json(&first).unwrap();
        assert_eq!(
            parsed,
            serde_json::from_value::<Invocation>(sample.clone()).unwrap()
        );
        // The value's own order (keys sorted: "op" is rarely first) and serde's output.
        same_outcome(sample.to_string().as_bytes());
        same_outcome(&serde_json::to_vec(&parsed).unwrap());
        same_outcome(&first);
    }
}

#[test]
fn every_corruption_fails_or_succeeds_the_same_either_way() {
    let mut checked = 0;
    for sample in samples() {
        let first = op_first(&sample);
        for cut in 0..first.len() {
            same_outcome(&first[..cut]);
            for byte in [b'}', b',', b'"', b' ', b'x', b'0', b'{', b'\\'] {
                let mut changed = first.clone();
                changed[cut] = byte;
                same_outcome(&changed);
                checked += 1;
            }
        }
        // "op" twice, a trailing comma, trailing bytes, spaces where the fast path
        // expects none, and an operation name that does not exist.
        let text = String::from_utf8(first.clone()).unwrap();
        let name = sample["op"].as_str().unwrap();
        for variant in [
            text.replacen(r#"{"op":"#, r#"{"op":"approve_task","op":"#, 1),
            format!("{}, \"op\": \"{name}\"}}", &text[..text.len() - 1]),
            format!("{},}}", &text[..text.len() - 1]),
            format!("{text} x"),
            format!("{text}  "),
            text.replacen(r#"{"op":"#, r#"{ "op" : "#, 1),
            text.replacen(name, "no_such_operation", 1),
            text.replacen(name, &name.to_uppercase(), 1),
        ] {
            same_outcome(variant.as_bytes());
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} corruptions checked");
}
