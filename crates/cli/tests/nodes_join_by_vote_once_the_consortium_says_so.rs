//! Adding a node by vote: once the organizations vote that nodes join by vote
//! (`governance propose set-node-admission --by-vote`), a node of accepted code with a
//! valid node certificate is refused at join until they vote its id in (`add-node`);
//! then the same id joins and becomes a voter, and the constitution shows the rule and
//! the admitted id. Before the first vote, each organization adds its own nodes (every
//! other cluster test).
#![allow(clippy::unwrap_used)]

mod cluster;

use std::time::{Duration, Instant};

use cluster::{DEADLINE, Devnet, connect};
use strongroom_enclave::governance::ProposedChange;

#[test]
fn a_node_joins_only_once_the_consortium_admitted_its_id() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 1, 2);
    devnet.carry(ProposedChange::SetNodeAdmission { by_vote: true });

    let mut refused = devnet.spawn_joiner(&base.path().join("refused"), 1, "refused", 2);
    let (status, log) = refused.wait_stopped();
    assert!(!status.success(), "the joiner was refused: {log}");
    assert!(
        log.contains("has not admitted node 2") && log.contains("add-node --node-id 2"),
        "the joiner says why and what to do: {log}"
    );
    assert_eq!(devnet.gauge(0, "strongroom_raft_voters"), Some(1));

    devnet.carry(ProposedChange::AddNode { node_id: 2 });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let constitution = runtime.block_on(async {
        let client = connect(&devnet.nodes[0].api).await.unwrap();
        client.constitution(&devnet.admin(0)).await.unwrap()
    });
    assert!(constitution.nodes_admitted_by_vote);
    assert_eq!(constitution.admitted_nodes, [2]);

    let mut admitted = devnet.spawn_joiner(&base.path().join("admitted"), 1, "admitted", 2);
    let started = Instant::now();
    while devnet.gauge(0, "strongroom_raft_voters") != Some(2) {
        if let Some(status) = admitted.child.try_wait().unwrap() {
            panic!(
                "the admitted joiner stopped ({status}): {}",
                std::fs::read_to_string(&admitted.log).unwrap_or_default()
            );
        }
        assert!(started.elapsed() < DEADLINE, "node 2 never became a voter");
        std::thread::sleep(Duration::from_millis(100));
    }
}
