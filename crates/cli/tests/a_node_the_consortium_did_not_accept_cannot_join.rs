//! A node joins only if the consortium's node policy accepts its evidence: after the
//! organizations vote a node policy that names another measurement, a node of this
//! build that asks to join is refused, stops with the reason, and writes no secret;
//! the cluster's membership is unchanged.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{DEADLINE, Devnet, connect};
use strongroom_enclave::governance::{GovernanceInvocation, ProposedChange};

/// A node policy that accepts only a measurement no build has.
const OTHER_CODE_POLICY: &str = "allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";

#[test]
fn a_node_of_code_the_node_policy_does_not_name_is_refused_and_gets_no_secret() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 1, 2);
    // Both organizations vote the new node policy in.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = connect(&devnet.nodes[0].api).await.unwrap();
        let proposal = client
            .govern(
                &devnet.admin(0),
                &GovernanceInvocation::Propose {
                    change: ProposedChange::SetNodePolicy {
                        policy: OTHER_CODE_POLICY.into(),
                    },
                    description: "only other code".into(),
                    expires_at_ms: None,
                },
            )
            .await
            .unwrap();
        client
            .govern(
                &devnet.admin(1),
                &GovernanceInvocation::Vote {
                    proposal: proposal.value.id,
                    approve: true,
                },
            )
            .await
            .unwrap();
        let constitution = client.constitution(&devnet.admin(0)).await.unwrap();
        assert_eq!(constitution.node_policy.as_deref(), Some(OTHER_CODE_POLICY));
    });
    // A second node of Org2MSP, with its own node certificate, asks to join.
    let joiner_dir = base.path().join("joiner");
    let org2 = &devnet.orgs[1];
    let out = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(["node", "enroll", "--ca"])
        .arg(org2)
        .args(["--name", "joiner", "--san", "127.0.0.1", "--out"])
        .arg(&joiner_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let founder = std::fs::read_to_string(&devnet.nodes[0].config).unwrap();
    let peer = founder
        .lines()
        .find_map(|l| l.strip_prefix("peer_listen = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let data_dir = joiner_dir.join("data");
    let mut joiner = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(["node", "start", "--data-dir"])
        .arg(&data_dir)
        .args(["--listen", "127.0.0.1:0", "--peer-listen", "127.0.0.1:0"])
        .args(["--node-id", "2", "--join", &peer, "--node-certificate"])
        .arg(joiner_dir.join("joiner.pem"))
        .args(devnet.orgs.iter().enumerate().flat_map(|(i, dir)| {
            [
                "--org".to_owned(),
                format!("Org{}MSP={}", i + 1, dir.join("ca.pem").display()),
            ]
        }))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = joiner.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the joiner neither joined nor stopped"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(joiner.stderr.as_mut().unwrap(), &mut stderr).unwrap();
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
