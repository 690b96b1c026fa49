//! A node joins only if the consortium's node policy accepts its evidence: after the
//! organizations vote a node policy that names another measurement, a node of this
//! build that asks to join is refused, stops with the reason, and writes no secret;
//! the cluster's membership is unchanged.
#![allow(clippy::unwrap_used)]

mod cluster;

use cluster::{Devnet, connect};
use strongroom_enclave::governance::ProposedChange;

/// A node policy that accepts only a measurement no build has.
const OTHER_CODE_POLICY: &str = "allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";

#[test]
fn a_node_of_code_the_node_policy_does_not_name_is_refused_and_gets_no_secret() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 1, 2);
    // Both organizations vote the new node policy in.
    devnet.carry(ProposedChange::SetNodePolicy {
        policy: OTHER_CODE_POLICY.into(),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let constitution = runtime.block_on(async {
        let client = connect(&devnet.nodes[0].api).await.unwrap();
        client.constitution(&devnet.admin(0)).await.unwrap()
    });
    assert_eq!(constitution.node_policy.as_deref(), Some(OTHER_CODE_POLICY));
    // A second node of Org2MSP, with its own node certificate, asks to join.
    let mut joiner = devnet.spawn_joiner(&base.path().join("joiner"), 1, "joiner", 2);
    let (status, stderr) = joiner.wait_stopped();
    let data_dir = joiner.data_dir.clone();
    assert!(!status.success(), "the joiner was refused: {stderr}");
    assert!(
        stderr.contains("join refused") && stderr.contains("no [[allow]] entry admits"),
        "the joiner says why: {stderr}"
    );
    assert!(
        !data_dir.join("service-secrets.json").exists(),
        "the refused joiner holds no secret"
    );
    assert_eq!(
        devnet.gauge(0, "strongroom_raft_voters"),
        Some(1),
        "the cluster's membership is unchanged"
    );
    assert_eq!(devnet.gauge(0, "strongroom_raft_learners"), Some(0));
}
