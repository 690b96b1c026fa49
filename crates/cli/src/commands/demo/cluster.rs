//! `strongroom demo --nodes N`: the demo's flow on a consortium of N nodes (a devnet),
//! the clients talking to a follower, and every node's ledger verified at the end.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use strongroom_identity::{OrgCa, Role};

use super::{DemoArgs, Org, Step, enroll, flow_steps};

/// The flow of [`super::demo`](super) on a devnet of `nodes` nodes.
pub(super) async fn demo(args: &DemoArgs, base: &Path, nodes: u64) -> Result<()> {
    let started = Instant::now();
    let mut step = Step { number: 0, started };
    println!(
        "strongroom demo: three organizations share and analyse patient data on a consortium of {nodes} nodes"
    );
    println!("working directory: {}", base.display());

    step.next("Start a consortium: one node per organization, joined by attestation");
    let dir = base.join("devnet");
    let devnet = crate::commands::devnet::start(&dir, nodes, 3, 500, |_| {}).await?;
    for node in &devnet.nodes {
        step.say(&format!(
            "node {} of {}: {} (peers over mutual TLS at {})",
            node.id, node.msp_id, node.api, node.peer
        ));
    }
    step.say("WARNING: INSECURE SIMULATION: no TEE on this machine; the evidence is simulated");
    let outcome = async {
        let org = |i: usize| -> Result<Org> {
            let dir = devnet.orgs[i].dir.clone();
            let ca = OrgCa::load(&dir, None)?;
            Ok(Org { dir, ca })
        };
        let (org1, org2, org3) = (org(0)?, org(1)?, org(2)?);
        let alice = enroll(&org1, "alice", Role::Owner)?;
        let analyzer = enroll(&org1, "analyzer", Role::Executor)?;
        let bob = enroll(&org2, "bob", Role::Analyst)?;
        let eve = enroll(&org3, "eve", Role::Analyst)?;
        step.say("Org1MSP (hospital, data owner): alice (owner), analyzer (executor)");
        step.say("Org2MSP (research lab):         bob (analyst)");
        step.say("Org3MSP (unrelated):            eve (analyst)");
        // Node 1 founded the cluster and leads; the clients use another node.
        let follower = devnet.nodes.get(1).unwrap_or(&devnet.nodes[0]);
        step.say(&format!(
            "the clients talk to node {} ({}): it forwards every write to the leader",
            follower.id, follower.api
        ));
        flow_steps(
            args,
            &dir,
            &mut step,
            &follower.api,
            Some(&follower.ops),
            [&alice, &analyzer, &bob, &eve],
        )
        .await?;
        crate::commands::devnet::wait_converged(&devnet).await
    }
    .await;
    crate::commands::devnet::stop(&devnet);
    outcome?;

    step.next("Every node holds the same ledger, verified offline");
    let mut heads = Vec::new();
    for node in &devnet.nodes {
        let store = strongroom_ledger::LedgerStore::open(
            node.data_dir.join(strongroom_consensus::LEDGER_FILE),
        )?;
        let summary = strongroom_ledger::verify_ledger(&store, None)
            .with_context(|| format!("node {}'s ledger", node.id))?;
        step.say(&format!(
            "node {}: {} entries, {} signatures, head {}",
            node.id,
            summary.entries,
            summary.signatures,
            &hex::encode(summary.head_hash)[..16]
        ));
        heads.push((summary.entries, summary.head_hash));
    }
    ensure!(
        heads.windows(2).all(|w| w[0] == w[1]),
        "the nodes' ledgers differ: {heads:?}"
    );
    println!(
        "\ndemo complete in {:.1} s: every step above ran through a follower's HTTPS API and the leader's Raft log",
        step.started.elapsed().as_secs_f64()
    );
    Ok(())
}
