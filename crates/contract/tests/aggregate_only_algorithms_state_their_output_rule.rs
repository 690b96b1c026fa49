//! An aggregate-only algorithm states the rule its outputs follow, and whoever reads
//! the algorithm or a task running it (an analyzer reading its `TaskView`) sees it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, algorithm, caller, task};
use serde_json::json;
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{AlgorithmView, OutputRule};

#[test]
fn an_aggregate_only_algorithm_without_an_output_rule_is_invalid() {
    let mut w = World::new();
    let mut invocation = algorithm("count", false);
    invocation.as_object_mut().unwrap().remove("output_rule");
    assert!(matches!(
        w.exec(&caller("Org2MSP", "bob", "analyst"), &invocation),
        Err(ContractError::Invalid(m)) if m.starts_with("output_rule:")
    ));
}

#[test]
fn an_output_rule_on_an_algorithm_that_is_not_aggregate_only_is_invalid() {
    let mut w = World::new();
    let mut invocation = algorithm("rows", false);
    invocation["aggregate_only"] = json!(false);
    assert!(matches!(
        w.exec(&caller("Org2MSP", "bob", "analyst"), &invocation),
        Err(ContractError::Invalid(m)) if m.starts_with("output_rule:")
    ));
    invocation.as_object_mut().unwrap().remove("output_rule");
    w.create(&caller("Org2MSP", "bob", "analyst"), &invocation);
}

#[test]
fn an_unknown_output_rule_is_invalid() {
    let mut w = World::new();
    let mut invocation = algorithm("count", false);
    invocation["output_rule"] = json!("whatever_we_like");
    assert!(matches!(
        w.exec(&caller("Org2MSP", "bob", "analyst"), &invocation),
        Err(ContractError::Invalid(_))
    ));
}

#[test]
fn the_algorithm_and_a_task_running_it_carry_the_output_rule() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let analyst = caller("Org2MSP", "bob", "analyst");
    let ds = w.register(&owner, "cohort", json!({}));
    let alg = w.create(&analyst, &algorithm("count", false));
    let view: AlgorithmView = w.q(&analyst, &json!({"op": "get_algorithm", "id": alg}));
    assert_eq!(view.output_rule, Some(OutputRule::SmallCellsSuppressed));
    let text = String::from_utf8(
        w.query(&analyst, &json!({"op": "get_algorithm", "id": alg}))
            .unwrap(),
    )
    .unwrap();
    assert!(
        text.contains(r#""output_rule":"small_cells_suppressed""#),
        "{text}"
    );
    let id = w.create(&analyst, &task(&[&ds], &alg, "owner_side", &analyst));
    w.ok::<serde_json::Value>(&owner, &json!({"op": "approve_task", "task": id}));
    let executor = caller("Org1MSP", "exec", "executor");
    for who in [&analyst, &owner, &executor] {
        assert_eq!(
            w.task(who, &id).algorithm.output_rule,
            Some(OutputRule::SmallCellsSuppressed)
        );
    }
}
