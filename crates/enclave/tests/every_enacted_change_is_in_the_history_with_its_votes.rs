//! `governance history`: every change that took effect, in ledger order, each with the
//! sequence of the entry that carried it (the deciding vote, or the proposal when its
//! proposer's vote sufficed), the proposal, the change in one line, its proposer and
//! every vote that counted with the sequence of that vote. Proposals that did not take
//! effect are not in it; a replica that replays the ledger answers the same.
#![allow(clippy::unwrap_used)]

mod common;

use common::consortium::{Consortium, vote};
use common::{core, digest};
use serde_json::json;
use strongroom_enclave::governance::{HistoryPage, ProposalStatus};
use strongroom_enclave::{EnclaveRequest, EnclaveResponse};

fn history(c: &mut Consortium) -> HistoryPage {
    let analyst = c.analysts[2].clone();
    c.ask(&analyst, &json!({"op": "history"}))
}

#[test]
fn enacted_changes_are_listed_in_ledger_order_with_the_votes_that_counted() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let admins = c.admins.clone();
    // Proposed first, carried second: ledger order is the order of enactment.
    let slow = c.proposal(
        &admins[2],
        &json!({"op": "propose", "change": {"change": "set_defaults", "min_cell_size": 20}}),
    );
    let proposed_at = c.ledger.entries.len() as u64;
    let fast = c.carry(json!({"change": "remove_node", "node_id": 3}));
    let fast_carried_at = c.ledger.entries.len() as u64;
    let against = c.proposal(&admins[1], &vote(&slow.id, false));
    assert_eq!(against.status, ProposalStatus::Open);
    let decided = c.proposal(&admins[0], &vote(&slow.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    let slow_carried_at = c.ledger.entries.len() as u64;

    let page = history(&mut c);
    assert_eq!(page.next, None);
    let ids: Vec<&str> = page.items.iter().map(|e| e.proposal.as_str()).collect();
    assert_eq!(ids, [fast.id.as_str(), slow.id.as_str()]);
    assert_eq!(page.items[0].sequence, fast_carried_at);
    assert_eq!(page.items[0].summary, "remove node 3");
    assert_eq!(page.items[0].proposer.msp_id, "Org1MSP");
    let last = &page.items[1];
    assert_eq!(last.sequence, slow_carried_at);
    assert_eq!(last.summary, "dataset defaults: minimum cell size 20");
    assert_eq!(last.proposer.msp_id, "Org3MSP");
    let votes: Vec<(&str, bool, Option<u64>)> = last
        .votes
        .iter()
        .map(|v| (v.msp_id.as_str(), v.approve, v.sequence))
        .collect();
    assert_eq!(
        votes,
        [
            ("Org1MSP", true, Some(slow_carried_at)),
            ("Org2MSP", false, Some(slow_carried_at - 1)),
            ("Org3MSP", true, Some(proposed_at)),
        ],
        "every vote that counted, for and against, with its own sequence"
    );
}

#[test]
fn proposals_that_did_not_take_effect_are_not_in_the_history() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let admins = c.admins.clone();
    // Rejected.
    let rejected = c.proposal(
        &admins[0],
        &json!({"op": "propose", "change": {"change": "set_defaults", "min_cell_size": 7}}),
    );
    c.proposal(&admins[1], &vote(&rejected.id, false));
    let decided = c.proposal(&admins[2], &vote(&rejected.id, false));
    assert_eq!(decided.status, ProposalStatus::Rejected);
    // Failed: the node left the cluster between the proposal and the deciding vote.
    let failing = c.proposal(
        &admins[0],
        &json!({"op": "propose", "change": {"change": "remove_node", "node_id": 2}}),
    );
    c.ledger.voters = vec![1, 3];
    let failed = c.proposal(&admins[1], &vote(&failing.id, true));
    assert_eq!(failed.status, ProposalStatus::Failed);
    assert!(
        failed
            .outcome
            .as_deref()
            .unwrap()
            .contains("not a node of the cluster"),
        "{failed:?}"
    );
    // Open.
    c.proposal(
        &admins[0],
        &json!({"op": "propose", "change": {"change": "set_defaults", "min_cell_size": 9}}),
    );
    assert_eq!(history(&mut c).items, []);
}

#[test]
fn the_history_pages_by_sequence() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    for k in 2..=6 {
        c.carry(json!({"change": "set_defaults", "min_cell_size": k}));
    }
    let analyst = c.analysts[0].clone();
    let first: HistoryPage = c.ask(&analyst, &json!({"op": "history", "limit": 3}));
    assert_eq!(first.items.len(), 3);
    let rest: HistoryPage = c.ask(
        &analyst,
        &json!({"op": "history", "after": first.next.unwrap(), "limit": 3}),
    );
    assert_eq!(rest.next, None);
    let all: Vec<String> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|e| e.summary.clone())
        .collect();
    let expected: Vec<String> = (2..=6)
        .map(|k| format!("dataset defaults: minimum cell size {k}"))
        .collect();
    assert_eq!(all, expected);
}

#[test]
fn a_limit_out_of_range_is_refused_naming_the_field() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    let request = strongroom_enclave::request::PreparedRequest::valid_until(
        &c.key,
        &c.analysts[0].clone(),
        strongroom_enclave::request::Purpose::Query,
        strongroom_enclave::request::Body::Governance(br#"{"op":"history","limit":0}"#.to_vec()),
        c.t + 60_000,
    )
    .unwrap();
    let EnclaveResponse::Answer { response } = c.core.handle(EnclaveRequest::Query {
        envelope: request.payload.clone(),
        host_time_ms: 0,
    }) else {
        panic!("query")
    };
    let reason = common::consortium::refused(request.open_response(&response).unwrap());
    assert!(reason.contains("limit: must be 1 to 100"), "{reason}");
}

#[test]
fn a_replica_that_replays_the_ledger_has_the_same_history() {
    let mut c = Consortium::with_cluster(&[1, 2, 3], &[]);
    c.carry(json!({"change": "set_defaults", "epsilon_budget_micro": 2_500_000}));
    c.carry(json!({"change": "remove_node", "node_id": 2}));
    let written = history(&mut c);
    assert_eq!(written.items.len(), 2);
    let state = digest(&mut c.core);
    let mut replica = core();
    common::join(&mut c.core, &mut replica);
    for entry in &c.ledger.entries {
        let response = replica.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "{response:?}"
        );
    }
    assert_eq!(digest(&mut replica), state);
    c.core = replica;
    assert_eq!(history(&mut c), written);
}
