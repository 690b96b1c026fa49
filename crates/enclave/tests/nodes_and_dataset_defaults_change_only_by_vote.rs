//! `remove_node`, `add_node`, `set_node_admission` and `set_defaults`: a node of the
//! cluster is retired, a node id admitted, the admission rule changed and the dataset
//! defaults changed only when a threshold of organizations votes for it; a proposal
//! naming a node outside the cluster, a retired node or the last voter (removal), a
//! node of the cluster, an admitted or a retired id (admission), or defaults out of
//! range, is refused with the reason and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::consortium::{Consortium, refused};
use serde_json::{Value, json};
use strongroom_contract::DatasetDefaults;
use strongroom_enclave::governance::{ConstitutionView, HistoryPage, ProposalList, ProposalStatus};

/// What a refused proposal must leave as it was.
fn governance(c: &mut Consortium) -> (ConstitutionView, ProposalList, HistoryPage) {
    let analyst = c.analysts[0].clone();
    (
        c.constitution(),
        c.ask(&analyst, &json!({"op": "list_proposals"})),
        c.ask(&analyst, &json!({"op": "history"})),
    )
}

/// Proposes `change` as Org1's admin; the refusal, after checking it changed nothing.
fn refused_proposal(c: &mut Consortium, change: Value) -> String {
    let before = governance(c);
    let admin = c.admins[0].clone();
    let reason = refused(c.govern(&admin, &json!({"op": "propose", "change": change})));
    assert_eq!(
        governance(c),
        before,
        "the refused {change} changed nothing"
    );
    reason
}

#[test]
fn a_voted_removal_retires_the_node() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[4]);
    let admin = c.admins[0].clone();
    let proposal = c.proposal(
        &admin,
        &json!({"op": "propose", "change": {"change": "remove_node", "node_id": 3}}),
    );
    assert_eq!(proposal.status, ProposalStatus::Open);
    assert!(
        c.core.retired_nodes().is_empty(),
        "one vote retires nothing"
    );
    let second = c.admins[1].clone();
    let decided = c.proposal(&second, &common::consortium::vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    assert_eq!(c.core.retired_nodes(), [3]);
    assert_eq!(c.constitution().retired_nodes, [3]);
}

#[test]
fn a_learner_can_be_retired() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[4]);
    c.carry(json!({"change": "remove_node", "node_id": 4}));
    assert_eq!(c.core.retired_nodes(), [4]);
}

#[test]
fn removing_a_node_outside_the_cluster_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[4]);
    let reason = refused_proposal(&mut c, json!({"change": "remove_node", "node_id": 9}));
    assert!(
        reason.contains("node 9 is not a node of the cluster"),
        "{reason}"
    );
}

#[test]
fn removing_the_last_voter_is_refused() {
    let mut c = Consortium::with_cluster(&[1], &[4]);
    let reason = refused_proposal(&mut c, json!({"change": "remove_node", "node_id": 1}));
    assert!(reason.contains("last voter"), "{reason}");
}

#[test]
fn removing_a_retired_node_again_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    c.carry(json!({"change": "remove_node", "node_id": 2}));
    // The leader has not removed it from the membership yet: still refused.
    let reason = refused_proposal(&mut c, json!({"change": "remove_node", "node_id": 2}));
    assert!(reason.contains("node 2 is already retired"), "{reason}");
}

#[test]
fn a_voted_admission_admits_the_id_and_a_voted_rule_makes_joins_need_it() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    assert!(
        c.core.node_admission().admits(7),
        "open until a vote says otherwise"
    );
    c.carry(json!({"change": "set_node_admission", "by_vote": true}));
    assert!(!c.core.node_admission().admits(7));
    let admin = c.admins[0].clone();
    let proposal = c.proposal(
        &admin,
        &json!({"op": "propose", "change": {"change": "add_node", "node_id": 7}}),
    );
    assert!(
        !c.core.node_admission().admits(7),
        "one vote admits nothing"
    );
    let second = c.admins[1].clone();
    let decided = c.proposal(&second, &common::consortium::vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    assert!(c.core.node_admission().admits(7));
    assert!(!c.core.node_admission().admits(8));
    let constitution = c.constitution();
    assert!(constitution.nodes_admitted_by_vote);
    assert_eq!(constitution.admitted_nodes, [7]);
    c.carry(json!({"change": "set_node_admission", "by_vote": false}));
    assert!(c.core.node_admission().admits(8));
    assert!(!c.constitution().nodes_admitted_by_vote);
}

#[test]
fn admitting_a_node_of_the_cluster_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[4]);
    let reason = refused_proposal(&mut c, json!({"change": "add_node", "node_id": 4}));
    assert!(
        reason.contains("node 4 is already a node of the cluster"),
        "{reason}"
    );
}

#[test]
fn admitting_an_admitted_node_again_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    c.carry(json!({"change": "add_node", "node_id": 5}));
    let reason = refused_proposal(&mut c, json!({"change": "add_node", "node_id": 5}));
    assert!(reason.contains("node 5 is already admitted"), "{reason}");
}

#[test]
fn admitting_a_retired_node_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    c.carry(json!({"change": "remove_node", "node_id": 3}));
    let reason = refused_proposal(&mut c, json!({"change": "add_node", "node_id": 3}));
    assert!(reason.contains("node 3 was retired"), "{reason}");
}

#[test]
fn admitting_node_id_zero_is_refused_naming_the_field() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let reason = refused_proposal(&mut c, json!({"change": "add_node", "node_id": 0}));
    assert!(
        reason.starts_with("invalid invocation: change.node_id: must be at least 1"),
        "{reason}"
    );
}

#[test]
fn node_id_zero_is_refused_naming_the_field() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let reason = refused_proposal(&mut c, json!({"change": "remove_node", "node_id": 0}));
    assert!(
        reason.starts_with("invalid invocation: change.node_id: must be at least 1"),
        "{reason}"
    );
}

#[test]
fn a_node_id_that_is_not_a_number_is_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    for bad in [json!("2"), json!(-1), json!(2.5), json!(null)] {
        let reason = refused_proposal(&mut c, json!({"change": "remove_node", "node_id": bad}));
        assert!(reason.contains("governance invocation"), "{bad}: {reason}");
    }
    let reason = refused_proposal(
        &mut c,
        json!({"change": "remove_node", "node_id": 2, "force": true}),
    );
    assert!(reason.contains("unknown field"), "{reason}");
}

#[test]
fn voted_defaults_replace_what_they_name_and_keep_the_rest() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    assert_eq!(c.constitution().defaults, DatasetDefaults::INITIAL);
    c.carry(json!({"change": "set_defaults", "epsilon_budget_micro": 1_500_000}));
    assert_eq!(
        c.constitution().defaults,
        DatasetDefaults {
            min_cell_size: 11,
            epsilon_budget_micro: Some(1_500_000)
        }
    );
    c.carry(json!({"change": "set_defaults", "min_cell_size": 25}));
    assert_eq!(
        c.constitution().defaults,
        DatasetDefaults {
            min_cell_size: 25,
            epsilon_budget_micro: Some(1_500_000)
        }
    );
}

#[test]
fn defaults_naming_nothing_are_refused() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let reason = refused_proposal(&mut c, json!({"change": "set_defaults"}));
    assert!(
        reason.starts_with("invalid invocation: change: names neither"),
        "{reason}"
    );
}

#[test]
fn a_minimum_cell_size_out_of_range_is_refused_naming_the_field() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    for k in [0, 10_001] {
        let reason = refused_proposal(
            &mut c,
            json!({"change": "set_defaults", "min_cell_size": k}),
        );
        assert!(
            reason.starts_with("invalid invocation: change.min_cell_size"),
            "{k}: {reason}"
        );
    }
}

#[test]
fn a_privacy_budget_out_of_range_is_refused_naming_the_field() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    for micro in [0, 100_000_001] {
        let reason = refused_proposal(
            &mut c,
            json!({"change": "set_defaults", "min_cell_size": 5, "epsilon_budget_micro": micro}),
        );
        assert!(
            reason.starts_with("invalid invocation: change.epsilon_budget_micro"),
            "{micro}: {reason}"
        );
    }
}

#[test]
fn only_admins_propose_defaults() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let before = governance(&mut c);
    let analyst = c.analysts[0].clone();
    let reason = refused(c.govern(
        &analyst,
        &json!({"op": "propose", "change": {"change": "set_defaults", "min_cell_size": 5}}),
    ));
    assert!(reason.contains("only an organization's admin"), "{reason}");
    assert_eq!(governance(&mut c), before);
}
