//! A dataset registered without its own minimum cell size or privacy budget gets the
//! consortium's defaults in effect when it is registered (the core passes them with
//! each transaction); a later change of the defaults leaves it as it was, and a value
//! the owner names wins over the default.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, caller};
use serde_json::json;
use strongroom_contract::DatasetDefaults;
use strongroom_contract::sharing::DatasetView;

fn settings(w: &World, owner: &strongroom_contract::Caller, id: &str) -> (u32, Option<u64>) {
    let view: DatasetView = w.q(owner, &json!({"op": "get_dataset", "id": id}));
    (
        view.summary.min_cell_size,
        view.summary.epsilon_budget_micro,
    )
}

#[test]
fn without_a_vote_the_initial_defaults_apply() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let id = w.register(&owner, "cohort", json!({}));
    assert_eq!(settings(&w, &owner, &id), (11, None));
}

#[test]
fn a_dataset_registered_after_a_change_gets_the_new_defaults() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    w.defaults = DatasetDefaults {
        min_cell_size: 20,
        epsilon_budget_micro: Some(3_000_000),
    };
    let id = w.register(&owner, "cohort", json!({}));
    assert_eq!(settings(&w, &owner, &id), (20, Some(3_000_000)));
}

#[test]
fn a_dataset_registered_before_a_change_keeps_what_it_had() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let before = w.register(&owner, "before", json!({}));
    w.defaults = DatasetDefaults {
        min_cell_size: 20,
        epsilon_budget_micro: Some(3_000_000),
    };
    // Any later transaction, even on that very dataset, leaves it as registered.
    let revision = w.revision(&owner, &before);
    let _: DatasetView = w.ok(
        &owner,
        &json!({"op": "update_dataset", "id": before, "revision": revision, "description": "later"}),
    );
    assert_eq!(settings(&w, &owner, &before), (11, None));
}

#[test]
fn values_the_owner_names_win_over_the_defaults() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    w.defaults = DatasetDefaults {
        min_cell_size: 20,
        epsilon_budget_micro: Some(3_000_000),
    };
    let id = w.register(
        &owner,
        "cohort",
        json!({"min_cell_size": 5, "epsilon_budget_micro": 1_000_000}),
    );
    assert_eq!(settings(&w, &owner, &id), (5, Some(1_000_000)));
}
