//! Every invocation and query struct refuses fields it does not know, and the error
//! names the field.
#![allow(clippy::unwrap_used)]

use strongroom_contract::sharing::SharingContract;
use strongroom_contract::{Caller, Contract, ContractError, MemState, TxContext};

fn tx() -> TxContext {
    TxContext {
        caller: Caller {
            msp_id: "Org1MSP".into(),
            name: "alice".into(),
            role: "owner".into(),
        },
        timestamp_ms: 1_000,
        sequence: 1,
        attestation: None,
        entropy: [0; 32],
        defaults: Default::default(),
    }
}

fn refused_naming(result: Result<Vec<u8>, ContractError>, field: &str) {
    match result {
        Err(ContractError::Invalid(message)) => {
            assert!(message.contains(field), "{message:?} does not name {field}")
        }
        other => panic!("expected Invalid naming {field}, got {other:?}"),
    }
}

#[test]
fn unknown_top_level_field_of_an_invocation_is_refused() {
    let mut state = MemState::new();
    let json = br#"{"op":"approve_permission","request":"req-0011223344556677","colour":"red"}"#;
    refused_naming(SharingContract.execute(&tx(), json, &mut state), "colour");
    assert!(state.is_empty());
}

#[test]
fn unknown_nested_field_is_refused() {
    let mut state = MemState::new();
    let digest = "ab".repeat(32);
    let json = serde_json::json!({
        "op": "register_dataset", "name": "n", "kind": "csv",
        "consent": { "purposes": ["research"], "forever": true },
        "files": [{ "name": "a.csv", "plaintext_sha256": digest, "ciphertext_sha256": digest,
                    "size_bytes": 1, "location": "s3://b/a" }],
        "wrapped_keys": [{ "recipient": "kms", "key": "00" }],
    });
    refused_naming(
        SharingContract.execute(&tx(), json.to_string().as_bytes(), &mut state),
        "forever",
    );
    let json = br#"{"op":"write_result","task":"task-0011223344556677","outcome":{"status":"failed","reason":"x","extra":1}}"#;
    refused_naming(SharingContract.execute(&tx(), json, &mut state), "extra");
    assert!(state.is_empty());
}

#[test]
fn unknown_field_of_a_query_is_refused() {
    let state = MemState::new();
    let caller = tx().caller;
    for json in [
        &br#"{"op":"get_task","id":"task-0011223344556677","verbose":true}"#[..],
        br#"{"op":"search_catalog","verbose":true}"#,
        br#"{"op":"list_my_tasks","verbose":true}"#,
    ] {
        refused_naming(SharingContract.query(&caller, json, &state), "verbose");
    }
}

#[test]
fn unknown_operation_is_refused() {
    let mut state = MemState::new();
    refused_naming(
        SharingContract.execute(&tx(), br#"{"op":"drop_table"}"#, &mut state),
        "drop_table",
    );
}
