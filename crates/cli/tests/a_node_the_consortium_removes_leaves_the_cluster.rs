//! A node the consortium retires by vote (`governance propose remove-node`) leaves the
//! cluster: once the vote carries, the leader removes it from the Raft membership (the
//! voters gauge of the other nodes drops to 2, and it is not a learner either), writes
//! still commit through the remaining nodes, the constitution and the history show the
//! retirement, and the retired node, wiped and started again under its id, is refused
//! at join and gets no secret. A retired leader removes itself, and the two others
//! elect a leader among them.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{DEADLINE, Devnet, connect};
use strongroom_enclave::governance::{
    GovernanceInvocation, ProposalStatus, ProposedChange, Threshold,
};

fn write(description: &str) -> GovernanceInvocation {
    GovernanceInvocation::Propose {
        change: ProposedChange::SetThreshold {
            threshold: Threshold::Majority,
        },
        description: description.to_owned(),
        expires_at_ms: None,
    }
}

#[test]
fn a_retired_node_leaves_the_membership_and_may_not_join_again() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let leader = devnet.wait_for_leader();
    // A follower that joined (not the founding node, whose settings found a ledger).
    let retiree = (1..3).find(|&i| i != leader).unwrap();
    let retiree_id = devnet.nodes[retiree].id;
    let stay: Vec<usize> = (0..3).filter(|&i| i != retiree).collect();
    for i in 0..3 {
        assert_eq!(devnet.gauge(i, "strongroom_raft_voters"), Some(3));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = connect(&devnet.nodes[leader].api).await.unwrap();
        let proposal = client
            .govern(
                &devnet.admin(0),
                &GovernanceInvocation::Propose {
                    change: ProposedChange::RemoveNode {
                        node_id: retiree_id,
                    },
                    description: "decommissioned".into(),
                    expires_at_ms: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(proposal.value.status, ProposalStatus::Open);
        let carried = client
            .govern(
                &devnet.admin(1),
                &GovernanceInvocation::Vote {
                    proposal: proposal.value.id.clone(),
                    approve: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(carried.value.status, ProposalStatus::Enacted);
    });
    // The leader removes it: the remaining nodes count two voters and no learner.
    let started = Instant::now();
    loop {
        let voters: Vec<Option<u64>> = stay
            .iter()
            .map(|&i| devnet.gauge(i, "strongroom_raft_voters"))
            .collect();
        if voters.iter().all(|v| *v == Some(2)) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the retired node is still a voter: {voters:?}\n{}",
            devnet.log_tail(leader)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for &i in &stay {
        assert_eq!(devnet.gauge(i, "strongroom_raft_learners"), Some(0));
    }
    devnet.sigkill(retiree);
    // Writes still commit, through each remaining node, and the retirement is on record.
    runtime.block_on(async {
        for (n, &i) in stay.iter().enumerate() {
            let client = connect(&devnet.nodes[i].api).await.unwrap();
            let written = client
                .govern(&devnet.admin(i), &write(&format!("after the removal {n}")))
                .await
                .unwrap();
            assert!(
                written.sequence.is_some(),
                "a write through node {i} committed"
            );
        }
        let client = connect(&devnet.nodes[stay[1]].api).await.unwrap();
        let constitution = client.constitution(&devnet.admin(0)).await.unwrap();
        assert_eq!(constitution.retired_nodes, [retiree_id]);
        let history = client.governance_history(&devnet.admin(2)).await.unwrap();
        let removal = history
            .iter()
            .find(|e| {
                e.change
                    == ProposedChange::RemoveNode {
                        node_id: retiree_id,
                    }
            })
            .unwrap();
        assert_eq!(removal.summary, format!("remove node {retiree_id}"));
        assert_eq!(removal.votes.len(), 2, "{removal:?}");
    });
    // Wiped and started again under its id, it asks to join and is refused.
    let data_dir = devnet.nodes[retiree].data_dir.clone();
    std::fs::remove_dir_all(&data_dir).unwrap();
    let mut again = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(["node", "start", "--config"])
        .arg(&devnet.nodes[retiree].config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = again.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = again.kill();
            panic!("the retired node neither joined nor stopped");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(again.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "the retired node was refused: {stderr}");
    assert!(
        stderr.contains("join refused")
            && stderr.contains(&format!("node {retiree_id} was retired by the consortium")),
        "the retired node says why: {stderr}"
    );
    assert!(
        !data_dir.join("service-secrets.json").exists(),
        "the refused node holds no secret"
    );
    for &i in &stay {
        assert_eq!(
            devnet.gauge(i, "strongroom_raft_voters"),
            Some(2),
            "the membership is unchanged"
        );
    }
    devnet.stop_all();
}

#[test]
fn a_retired_leader_removes_itself_and_another_node_leads() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let leader = devnet.wait_for_leader();
    let leader_id = devnet.nodes[leader].id;
    let stay: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = connect(&devnet.nodes[stay[0]].api).await.unwrap();
        let proposal = client
            .govern(
                &devnet.admin(0),
                &GovernanceInvocation::Propose {
                    change: ProposedChange::RemoveNode { node_id: leader_id },
                    description: "the leader's host is decommissioned".into(),
                    expires_at_ms: None,
                },
            )
            .await
            .unwrap();
        let carried = client
            .govern(
                &devnet.admin(1),
                &GovernanceInvocation::Vote {
                    proposal: proposal.value.id.clone(),
                    approve: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(carried.value.status, ProposalStatus::Enacted);
    });
    let started = Instant::now();
    loop {
        let seen: Vec<(Option<u64>, Option<u64>)> = stay
            .iter()
            .map(|&i| {
                (
                    devnet.gauge(i, "strongroom_raft_voters"),
                    devnet.gauge(i, "strongroom_raft_leader_id"),
                )
            })
            .collect();
        let agreed = seen.iter().all(|(voters, leads)| {
            *voters == Some(2) && leads.is_some_and(|l| l != leader_id && l > 0)
        });
        if agreed && seen[0].1 == seen[1].1 {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the remaining nodes never agreed on two voters and a new leader: {seen:?}\n{}",
            devnet.log_tail(leader)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    runtime.block_on(async {
        for &i in &stay {
            let client = connect(&devnet.nodes[i].api).await.unwrap();
            let written = client
                .govern(&devnet.admin(i), &write("after the leader left"))
                .await
                .unwrap();
            assert!(written.sequence.is_some());
        }
    });
}
