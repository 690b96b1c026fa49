//! A three-node consortium whose peer links run through proxies the test controls is
//! cut in two: the leader alone on one side, the other two nodes on the other. The
//! majority elects a leader and takes writes; the old leader refuses them (nothing a
//! client sent there is acknowledged or ever enters the ledger) and its ledger stands
//! still. After healing, every node holds the same ledger, the majority's writes in it.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::time::{Duration, Instant};

use cluster::proxy::Proxies;
use cluster::{DEADLINE, Devnet, connect, propose};

/// The node the nodes of `among` agree leads, once they do.
fn agreed_leader(devnet: &Devnet, among: &[usize]) -> usize {
    let started = Instant::now();
    loop {
        let named: Vec<Option<u64>> = among
            .iter()
            .map(|&i| devnet.gauge(i, "strongroom_raft_leader_id"))
            .collect();
        if let Some(Some(leader)) = named.first()
            && *leader > 0
            && named.iter().all(|n| *n == Some(*leader))
        {
            let index = usize::try_from(*leader - 1).unwrap();
            if among.contains(&index) {
                return index;
            }
        }
        assert!(
            started.elapsed() < DEADLINE,
            "nodes {among:?} never agreed on a leader among them: {named:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_minority_side_refuses_writes_and_the_logs_converge_after_healing() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let proxies = Proxies::default();
    for i in 0..3 {
        devnet.route_peers_through(i, &proxies);
    }
    let old_leader = devnet.wait_for_leader();
    let majority: Vec<usize> = (0..3).filter(|&i| i != old_leader).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = devnet.admin(0);
    runtime.block_on(async {
        let client = connect(&devnet.nodes[old_leader].api).await.unwrap();
        client.govern(&admin, &propose("before")).await.unwrap();
    });
    devnet.wait_caught_up();

    let old_leader_id = devnet.nodes[old_leader].id;
    proxies.partition(&[old_leader_id], &[1, 2, 3]);
    let new_leader = agreed_leader(&devnet, &majority);
    let sequence_cut_off = devnet
        .gauge(old_leader, "strongroom_ledger_sequence")
        .unwrap();

    let (minority, majority_write) = runtime.block_on(async {
        let at_old = connect(&devnet.nodes[old_leader].api).await.unwrap();
        let at_new = connect(&devnet.nodes[new_leader].api).await.unwrap();
        let asked = Instant::now();
        let minority = tokio::time::timeout(
            Duration::from_secs(60),
            at_old.govern(&admin, &propose("minority")),
        )
        .await
        .expect("the minority answers within a minute, not only once healed");
        eprintln!(
            "the cut-off old leader refused a write after {} ms: {:?}",
            asked.elapsed().as_millis(),
            minority.as_ref().err()
        );
        let majority = at_new.govern(&admin, &propose("majority")).await;
        (minority, majority)
    });
    assert!(
        minority.is_err(),
        "the cut-off old leader refused the write, yet answered {:?}",
        minority.map(|w| w.sequence)
    );
    let majority_write = majority_write.expect("the majority takes writes");
    assert_eq!(
        devnet.gauge(old_leader, "strongroom_ledger_sequence"),
        Some(sequence_cut_off),
        "the cut-off node's ledger stood still"
    );

    proxies.heal();
    devnet.wait_caught_up();
    let descriptions: Vec<String> = runtime.block_on(async {
        let client = connect(&devnet.nodes[old_leader].api).await.unwrap();
        let proposals = client.proposals(&admin).await.unwrap();
        proposals.into_iter().map(|p| p.description).collect()
    });
    assert!(
        descriptions.iter().any(|d| d == "majority"),
        "the majority's write (sequence {:?}) reached the healed node: {descriptions:?}",
        majority_write.sequence
    );
    assert!(
        !descriptions.iter().any(|d| d == "minority"),
        "the refused write entered the ledger: {descriptions:?}"
    );
    devnet.stop_and_compare_ledgers();
}
