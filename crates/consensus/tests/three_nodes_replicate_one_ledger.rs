//! Adding members uses the single node's code path: three nodes, connected by an
//! in-process transport through the same RPC codec (`serve_rpc`) the HTTPS transport
//! will use, elect a leader, replicate proposals, and every node writes a
//! byte-identical, verifying ledger. A follower refuses proposals, naming the leader.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::Loopback;
use strongroom_consensus::{ChainApplier, ConsensusError, ConsensusNode, NodeAddr, NodeConfig};
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_ledger::{SignatureSchedule, verify_ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_write_identical_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let key = default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap();
    let transport = Loopback::default();
    let members: BTreeMap<u64, NodeAddr> = (1..=3)
        .map(|id| {
            (
                id,
                NodeAddr {
                    addr: format!("node-{id}"),
                },
            )
        })
        .collect();
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        let config = NodeConfig {
            id,
            addr: format!("node-{id}"),
            schedule: SignatureSchedule {
                max_entries: 5,
                max_interval_ms: 60_000,
            },
            ..NodeConfig::single(dir.path().join(format!("node-{id}")))
        };
        let bootstrap = (id == 1).then(|| members.clone());
        let node = ConsensusNode::start(
            config,
            bootstrap,
            transport.clone(),
            key.clone(),
            ChainApplier::default(),
        )
        .await
        .unwrap();
        transport.register(&format!("node-{id}"), node.raft());
        nodes.push(node);
    }
    let leader = nodes[0]
        .raft()
        .wait(Some(Duration::from_secs(20)))
        .metrics(|m| m.current_leader.is_some(), "a leader")
        .await
        .unwrap()
        .current_leader
        .unwrap();
    let leader_node = &nodes[(leader - 1) as usize];
    for i in 0..20u32 {
        let applied = leader_node
            .propose(format!("tx {i}").into_bytes())
            .await
            .unwrap();
        assert!(applied.sequence.is_some());
    }
    // A follower does not order proposals; it names the leader.
    let follower = nodes
        .iter()
        .find(|n| n.raft().metrics().borrow().id != leader)
        .unwrap();
    match follower.propose(b"to a follower".to_vec()).await {
        Err(ConsensusError::NotLeader { leader: Some(l) }) => assert_eq!(l, leader),
        other => panic!("a follower accepted a proposal: {other:?}"),
    }

    // Every node applies everything and writes the same ledger.
    let last = leader_node
        .raft()
        .metrics()
        .borrow()
        .last_applied
        .unwrap()
        .index;
    for node in &nodes {
        node.raft()
            .wait(Some(Duration::from_secs(20)))
            .applied_index_at_least(Some(last), "replicated")
            .await
            .unwrap();
    }
    // Applied entries reach each node's ledger file a moment later (its ledger writer
    // fsyncs in the background): wait until every ledger has the leader's length.
    let service = key.verifying_key();
    let expected = verify_ledger(leader_node.ledger(), Some(&service))
        .unwrap()
        .entries;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let summaries = loop {
        let summaries: Vec<_> = nodes
            .iter()
            .map(|n| verify_ledger(n.ledger(), Some(&service)).unwrap())
            .collect();
        if summaries.iter().all(|s| s.entries >= expected) || std::time::Instant::now() > deadline {
            break summaries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(summaries[0].entries >= 20 + 20 / 5);
    for s in &summaries[1..] {
        assert_eq!(s.head_hash, summaries[0].head_hash, "ledgers differ");
        assert_eq!(s.root, summaries[0].root);
    }
    for node in nodes {
        node.shutdown().await.unwrap();
    }
}
