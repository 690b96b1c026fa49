//! Non-disclosure: for a caller that is not a party, an operation on something that
//! exists answers exactly what it answers on something that never existed — the same
//! error value, the same text, the same serialized bytes — and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture::{Fixture, KINDS, NON_PARTIES, Op, attestation_of, fixture, operations, who};
use common::{World, caller, permission, task};
use serde_json::{Value, json};
use strongroom_contract::sharing::{CatalogPage, TaskView};
use strongroom_contract::{Caller, ContractError, ObjectPurpose};

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
        "authorize_object (upload)" => &f.spare_location,
        "authorize_object (owner read, active)"
        | "authorize_object (task input, running)"
        | "authorize_object (task input, running tee)"
        | "authorize_object (task input, finished)" => &f.location,
        "authorize_object (owner read, withdrawn)" => &f.withdrawn_location,
        _ => return None,
    })
}

/// A well-formed id or location like `id` that was never assigned.
fn missing(id: &str) -> String {
    if id.starts_with("data/") {
        return "data/0123456789abcdef0123456789abcdef".into();
    }
    let (prefix, _) = id.split_once('-').unwrap();
    format!("{prefix}-0123456789abcdef")
}

/// The same JSON with `id` replaced by a well-formed id that was never assigned.
fn with_missing(value: &Value, id: &str) -> Value {
    let text = value.to_string().replace(id, &missing(id));
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
    if let Op::Object(purpose, location) = op {
        let location = match missing_id {
            Some(id) => location.replace(id, &missing(id)),
            None => location.clone(),
        };
        return world
            .authorize(&who(kind), purpose, &location)
            .map(|grant| serde_json::to_vec(&grant).unwrap());
    }
    let (Op::Tx(json) | Op::Query(json) | Op::List(json, _)) = op else {
        unreachable!("object accesses are handled above")
    };
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
                    !NON_PARTIES.contains(&kind),
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
    // 22 id- or location-addressed operations, most with 9 or more non-party callers.
    assert!(compared > 180, "only {compared} comparisons");
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
            Op::Tx(json!({"op": "update_dataset", "id": ds, "revision": f.revision, "labels": []})),
        ),
    ];
    for (name, op) in &ops {
        for kind in KINDS {
            if matches!(kind, "owner" | "owner_admin" | "owner_auditor") {
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

/// What every non-party lists in `world`, as bytes.
fn lists_of_non_parties(world: &World) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for kind in NON_PARTIES {
        for list in [
            json!({"op": "list_my_requests"}),
            json!({"op": "list_my_tasks"}),
        ] {
            out.push(world.query(&who(kind), &list).unwrap());
        }
    }
    out
}

#[test]
fn a_non_party_lists_exactly_what_it_lists_in_a_world_without_the_others_things() {
    let f = fixture();
    assert_eq!(
        lists_of_non_parties(&f.world),
        lists_of_non_parties(&World::new())
    );
}

/// Two worlds that differ only in the dataset's privacy budget and what tasks spent
/// of it; the same transactions otherwise, so the same ids and times.
fn with_and_without_budget() -> (World, World, String) {
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let exec = caller("Org1MSP", "exec", "executor");
    let build = |budget: Option<u64>| {
        let mut w = World::new();
        let extra = match budget {
            Some(b) => json!({"epsilon_budget_micro": b}),
            None => json!({}),
        };
        let ds = w.register(&owner, "cohort", extra);
        let alg = w.create(&analyst, &common::algorithm("count", true));
        let request = w.create(&analyst, &permission(&ds, &alg));
        w.create(
            &owner,
            &json!({"op": "approve_permission", "request": request}),
        );
        let mut t = task(&[&ds], &alg, "owner_side", &analyst);
        t["epsilon_micro"] = json!(250_000);
        let id = w.create(&analyst, &t);
        w.ok::<TaskView>(&exec, &json!({"op": "claim_task", "task": id}));
        (w, ds)
    };
    let (with, ds) = build(Some(1_000_000));
    let (without, same) = build(None);
    assert_eq!(ds, same);
    (with, without, ds)
}

#[test]
fn a_non_member_of_the_owning_org_cannot_tell_whether_a_dataset_has_a_budget() {
    let (with, without, ds) = with_and_without_budget();
    let outsiders: Vec<Caller> = ["requester", "unrelated", "other_owner", "observer"]
        .into_iter()
        .map(who)
        .collect();
    for outsider in &outsiders {
        for query in [
            json!({"op": "search_catalog"}),
            json!({"op": "search_catalog", "text": "cohort"}),
            json!({"op": "get_dataset", "id": ds}),
        ] {
            let (a, b) = (
                with.query(outsider, &query),
                without.query(outsider, &query),
            );
            assert_eq!(a, b, "{query} by {outsider:?}");
            let text = String::from_utf8(a.unwrap()).unwrap();
            assert!(!text.contains("epsilon"), "{query} by {outsider:?}: {text}");
        }
    }
    // The owning organization sees it.
    let page: CatalogPage = with.q(&who("owner_org_member"), &json!({"op": "search_catalog"}));
    assert_eq!(page.items[0].epsilon_budget_micro, Some(1_000_000));
    assert_eq!(page.items[0].epsilon_spent_micro, Some(250_000));
}

#[test]
fn an_object_access_by_a_non_party_answers_the_same_for_an_existing_and_a_missing_location() {
    let f = fixture();
    let missing = missing(&f.location);
    let purposes = [
        ObjectPurpose::Upload,
        ObjectPurpose::OwnerRead,
        ObjectPurpose::TaskInput {
            task: f.running_task.clone(),
        },
        ObjectPurpose::TaskInput {
            task: f.running_tee_task.clone(),
        },
    ];
    for kind in NON_PARTIES {
        for purpose in &purposes {
            for location in [&f.location, &f.spare_location, &f.withdrawn_location] {
                let existing = f.world.authorize(&who(kind), purpose, location);
                let absent = f.world.authorize(&who(kind), purpose, &missing);
                assert_eq!(
                    existing,
                    Err(ContractError::NotFoundOrDenied),
                    "{kind} {purpose:?}"
                );
                assert_eq!(
                    fingerprint(existing.map(|_| Vec::new())),
                    fingerprint(absent.map(|_| Vec::new())),
                    "{kind} {purpose:?} {location}"
                );
            }
        }
    }
}
