//! `strongroom devnet up` forms a consortium of one node per organization, joined by
//! attestation over mutual TLS; a write through any node is ordered by the leader,
//! readable at once at the node that took it, and every node ends with the same
//! ledger. A follower whose data is wiped rejoins and catches up from a snapshot, its
//! ledger fetched from a peer. `devnet down` stops every node.
#![allow(clippy::unwrap_used)]

mod cluster;

use cluster::{Devnet, connect, ledger_report, propose};

#[test]
fn writes_through_any_node_are_read_there_and_every_node_keeps_the_same_ledger() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let leader = devnet.wait_for_leader();
    for i in 0..3 {
        assert_eq!(
            devnet.gauge(i, "strongroom_raft_voters"),
            Some(3),
            "node {} counts three voters",
            i + 1
        );
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for i in 0..3 {
            // Each organization's admin writes through the node of its organization:
            // the leader's own, and two followers that forward to it.
            let admin = devnet.admin(i);
            let client = connect(&devnet.nodes[i].api).await.unwrap();
            let description = format!("written through node {}", i + 1);
            let written = client.govern(&admin, &propose(&description)).await.unwrap();
            let sequence = written.sequence.unwrap();
            // Read at once, at the same node: the write is there.
            let seen = client.proposals(&admin).await.unwrap();
            assert!(
                seen.iter()
                    .any(|p| p.description == description && p.id == written.value.id),
                "node {} (leader: node {}) answered without the write at {sequence} it took: {seen:?}",
                i + 1,
                leader + 1
            );
        }
    });
    devnet.wait_caught_up();
    let report = devnet.stop_and_compare_ledgers();
    assert!(report.starts_with("ledger ok: "), "{report}");
}

#[test]
fn devnet_down_stops_every_node_and_forgets_them() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("devnet");
    let devnet = Devnet::up(&dir, 2, 1);
    assert!((0..2).all(|i| devnet.alive(i)));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(["devnet", "down", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "devnet down: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        (0..2).all(|i| !devnet.alive(i)),
        "a node still runs after devnet down"
    );
    assert!(!dir.join("devnet.json").exists());
}

#[test]
fn a_wiped_follower_rejoins_and_catches_up_from_a_snapshot() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up_with(
        &base.path().join("devnet"),
        3,
        3,
        &["--snapshot-every-entries", "40"],
    );
    let leader = devnet.wait_for_leader();
    let follower = (leader + 1) % 3;
    devnet.sigkill(follower);
    std::fs::remove_dir_all(&devnet.nodes[follower].data_dir).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Enough entries that the leader snapshots and purges the Raft log the wiped node
    // would need: it can only catch up from a snapshot.
    runtime.block_on(async {
        let admin = devnet.admin(leader);
        let client = connect(&devnet.nodes[leader].api).await.unwrap();
        for n in 0..200 {
            client
                .govern(&admin, &propose(&format!("before the wipe {n}")))
                .await
                .unwrap();
        }
    });
    let purged_past = devnet
        .gauge(leader, "strongroom_raft_snapshot_index")
        .unwrap();
    assert!(
        purged_past > 40,
        "the leader snapshotted (at {purged_past})"
    );
    devnet.restart(follower);
    devnet.wait_caught_up();
    assert!(
        devnet
            .gauge(follower, "strongroom_raft_snapshot_index")
            .unwrap()
            > 0,
        "the rejoined node holds a snapshot: it caught up from one"
    );
    let log = std::fs::read_to_string(&devnet.nodes[follower].log).unwrap();
    assert!(
        !log.contains("catching the ledger up to the snapshot:"),
        "the catch-up failed on the way: {log}"
    );
    // The rejoined node answers from the state the snapshot gave it.
    runtime.block_on(async {
        let admin = devnet.admin(follower);
        let client = connect(&devnet.nodes[follower].api).await.unwrap();
        let seen = client.proposals(&admin).await.unwrap();
        assert!(
            seen.iter().any(|p| p.description == "before the wipe 199"),
            "the rejoined node knows the writes made while it was gone"
        );
    });
    devnet.stop_all();
    let reports: Vec<String> = devnet
        .nodes
        .iter()
        .map(|n| ledger_report(&n.data_dir))
        .collect();
    assert_eq!(
        reports[leader], reports[follower],
        "the rejoined node holds the leader's ledger"
    );
}
