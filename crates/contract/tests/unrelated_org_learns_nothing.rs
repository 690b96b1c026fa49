//! Non-disclosure: for a caller that is not a party, an operation on something that
//! exists answers exactly what it answers on something that never existed — the same
//! error value, the same text, the same serialized bytes — and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture::{Fixture, KINDS, Op, attestation_of, fixture, operations, who};
use serde_json::{Value, json};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::CatalogPage;

/// The id each operation is about, if it is about one thing.
fn target<'a>(name: &str, f: &'a Fixture) -> Option<&'a str> {
    Some(match name {
        "update_dataset" | "withdraw_consent" | "audit_trail" => &f.dataset,
        "approve_permission" | "reject_permission" | "get_request" => &f.pending_request,
        "revoke_grant" => &f.grant,
        "approve_task" | "reject_task" => &f.pending_task,
        "claim_task (owner-side)" | "get_task (owner-side)" => &f.approved_task,
        "claim_task (tee)" => &f.approved_tee_task,
        "write_result (owner-side)" => &f.running_task,
        "write_result (tee)" | "get_task (tee, running)" => &f.running_tee_task,
        "read_result" => &f.done_task,
        _ => return None,
    })
}

/// The same JSON with `id` replaced by a well-formed id that was never assigned.
fn with_missing(value: &Value, id: &str) -> Value {
    let (prefix, _) = id.split_once('-').unwrap();
    let text = value
        .to_string()
        .replace(id, &format!("{prefix}-0123456789abcdef"));
    serde_json::from_str(&text).unwrap()
}

/// Everything observable about an error.
fn fingerprint(result: Result<Vec<u8>, ContractError>) -> (String, String, Vec<u8>) {
    let error = result.expect_err("expected a refusal");
    (
        format!("{error:?}"),
        error.to_string(),
        serde_json::to_vec(&error).unwrap(),
    )
}

fn run(
    f: &Fixture,
    kind: &str,
    op: &Op,
    missing_id: Option<&str>,
) -> Result<Vec<u8>, ContractError> {
    let mut world = f.world.clone();
    let before = world.digest();
    let (Op::Tx(json) | Op::Query(json) | Op::List(json, _)) = op;
    let json = match missing_id {
        Some(id) => with_missing(json, id),
        None => json.clone(),
    };
    let result = match op {
        Op::Tx(_) => world.exec_as(&who(kind), attestation_of(kind, f), &json),
        _ => world.query(&who(kind), &json),
    };
    if result.is_err() {
        assert_eq!(
            world.digest(),
            before,
            "{kind}: a refusal changed the state"
        );
    }
    result
}

#[test]
fn every_operation_denies_non_parties_exactly_as_it_denies_missing_things() {
    let f = fixture();
    let mut compared = 0;
    for (name, op) in operations(&f) {
        let Some(id) = target(name, &f) else { continue };
        for kind in KINDS {
            let existing = run(&f, kind, &op, None);
            if !matches!(existing, Err(ContractError::NotFoundOrDenied)) {
                // A party: allowed, or told why not (checked in other tests).
                assert!(
                    !matches!(kind, "unrelated" | "observer" | "worker_wrong"),
                    "{name} by {kind} answered {existing:?}"
                );
                continue;
            }
            let missing = run(&f, kind, &op, Some(id));
            assert_eq!(
                fingerprint(existing),
                fingerprint(missing),
                "{name} by {kind}: existing and missing differ"
            );
            compared += 1;
        }
    }
    // 16 id-addressed operations, most with 7 or more non-party callers.
    assert!(compared > 100, "only {compared} comparisons");
}

#[test]
fn a_withdrawn_dataset_is_as_absent_as_one_that_never_existed() {
    let mut f = fixture();
    f.world.ok::<Value>(
        &who("owner"),
        &json!({"op": "withdraw_consent", "id": f.dataset}),
    );
    let ds = f.dataset.clone();
    let ops: Vec<(&str, Op)> = vec![
        (
            "get_dataset",
            Op::Query(json!({"op": "get_dataset", "id": ds})),
        ),
        (
            "audit_trail",
            Op::Query(json!({"op": "audit_trail", "dataset": ds})),
        ),
        (
            "request_permission",
            Op::Tx(common::permission(&ds, &f.algorithm)),
        ),
        (
            "request_task",
            Op::Tx(common::task(&[&ds], &f.algorithm, "tee", &who("requester"))),
        ),
        (
            "update_dataset",
            Op::Tx(json!({"op": "update_dataset", "id": ds, "labels": []})),
        ),
    ];
    for (name, op) in &ops {
        for kind in KINDS {
            if matches!(kind, "owner" | "owner_admin") {
                continue;
            }
            let existing = run(&f, kind, op, None);
            let missing = run(&f, kind, op, Some(&ds));
            assert!(
                matches!(existing, Err(ContractError::NotFoundOrDenied)),
                "{name} by {kind}"
            );
            assert_eq!(
                fingerprint(existing),
                fingerprint(missing),
                "{name} by {kind}"
            );
        }
    }
    let page: CatalogPage = f
        .world
        .q(&who("unrelated"), &json!({"op": "search_catalog"}));
    assert!(page.items.iter().all(|d| d.id != ds));
    // Its owner still sees it, withdrawn.
    let owner_view: strongroom_contract::sharing::DatasetView = f
        .world
        .q(&who("owner"), &json!({"op": "get_dataset", "id": ds}));
    assert_eq!(
        owner_view.status,
        strongroom_contract::sharing::DatasetStatus::Withdrawn
    );
}

#[test]
fn a_malformed_id_is_invalid_whether_or_not_anything_exists() {
    let f = fixture();
    let unrelated = who("unrelated");
    for query in [
        json!({"op": "get_task", "id": "task-XYZ"}),
        json!({"op": "get_request", "id": f.approved_task}),
    ] {
        assert!(matches!(
            f.world.query(&unrelated, &query),
            Err(ContractError::Invalid(_))
        ));
    }
}
