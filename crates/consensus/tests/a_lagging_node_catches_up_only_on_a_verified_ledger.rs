//! A node added after the leader purged its Raft log catches up from a snapshot: the
//! ledger entries before the snapshot come from a peer ([`LedgerSource`]) and are
//! written only if the whole chain verifies under the service key and ends at the
//! snapshot's head. A peer that alters one entry leaves the node's ledger empty.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Loopback;
use strongroom_consensus::{
    ChainApplier, ConsensusNode, LedgerPeers, LedgerSource, NodeAddr, NodeConfig,
};
use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{Entry, LedgerStore, SignatureSchedule, verify_ledger};

/// Serves the leader's ledger, with one entry's payload altered if `tamper`.
struct FromLeader {
    ledger: Arc<Mutex<Option<Arc<LedgerStore>>>>,
    tamper: bool,
}

impl LedgerSource for FromLeader {
    fn fetch(
        &self,
        from: u64,
        to: u64,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Entry>, String>> + Send + '_>> {
        Box::pin(async move {
            let ledger = self.ledger.lock().unwrap().clone().ok_or("no leader yet")?;
            let mut entries = ledger.range(from..=to).map_err(|e| e.to_string())?;
            if self.tamper
                && let Some(entry) = entries.iter_mut().find(|e| e.header.sequence == 3)
                && let Some(byte) = entry.payload.first_mut()
            {
                *byte ^= 1;
            }
            Ok(entries)
        })
    }
}

fn config(dir: &std::path::Path, id: u64) -> NodeConfig {
    NodeConfig {
        id,
        addr: format!("node-{id}"),
        schedule: SignatureSchedule {
            max_entries: 5,
            max_interval_ms: 60_000,
        },
        snapshot_every: 10,
        ..NodeConfig::single(dir.join(format!("node-{id}")))
    }
}

/// Two voters write 80 entries (snapshots every 10, the log before purged), then a
/// third node is added as a learner with `source`; returns the leader and the learner.
async fn lagging_learner(
    dir: &std::path::Path,
    tamper: bool,
) -> (ConsensusNode, ConsensusNode, SigningKey) {
    let key = default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap();
    let transport = Loopback::default();
    let members: BTreeMap<u64, NodeAddr> = BTreeMap::from([(
        1,
        NodeAddr {
            addr: "node-1".into(),
        },
    )]);
    let leader = ConsensusNode::start(
        config(dir, 1),
        Some(members),
        transport.clone(),
        key.clone(),
        ChainApplier::default(),
    )
    .await
    .unwrap();
    transport.register("node-1", leader.raft());
    leader
        .raft()
        .wait(Some(Duration::from_secs(20)))
        .current_leader(1, "node 1 leads")
        .await
        .unwrap();
    for i in 0..80u32 {
        leader
            .propose(format!("tx {i}").into_bytes())
            .await
            .unwrap();
    }
    let purged = leader
        .raft()
        .wait(Some(Duration::from_secs(20)))
        .metrics(|m| m.purged.is_some(), "the log purged")
        .await
        .unwrap();
    assert!(
        purged.purged.unwrap().index > 1,
        "the log before a snapshot is purged"
    );
    let shared = Arc::new(Mutex::new(Some(leader.ledger().clone())));
    let learner = ConsensusNode::start(
        NodeConfig {
            catch_up: Some(LedgerPeers(Arc::new(FromLeader {
                ledger: shared,
                tamper,
            }))),
            ..config(dir, 2)
        },
        None,
        transport.clone(),
        key.clone(),
        ChainApplier::default(),
    )
    .await
    .unwrap();
    transport.register("node-2", learner.raft());
    leader
        .raft()
        .add_learner(
            2,
            NodeAddr {
                addr: "node-2".into(),
            },
            false,
        )
        .await
        .unwrap();
    (leader, learner, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_behind_the_purge_point_gets_the_leaders_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (leader, learner, key) = lagging_learner(dir.path(), false).await;
    let last = leader.raft().metrics().borrow().last_applied.unwrap().index;
    learner
        .raft()
        .wait(Some(Duration::from_secs(30)))
        .applied_index_at_least(Some(last), "caught up")
        .await
        .unwrap();
    assert!(
        learner.raft().metrics().borrow().snapshot.is_some(),
        "the learner installed a snapshot"
    );
    let service = key.verifying_key();
    let expected = verify_ledger(leader.ledger(), Some(&service)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = verify_ledger(learner.ledger(), Some(&service)).unwrap();
        if got.entries >= expected.entries {
            assert_eq!(got.head_hash, expected.head_hash);
            assert_eq!(got.root, expected.root);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the learner's ledger never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    learner.shutdown().await.unwrap();
    leader.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_entry_from_a_peer_leaves_the_ledger_unwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (leader, learner, _key) = lagging_learner(dir.path(), true).await;
    // The learner receives the snapshot and refuses it; give it time to try.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        learner.ledger().head().unwrap(),
        None,
        "nothing of an unverified chain is written"
    );
    assert!(learner.raft().metrics().borrow().snapshot.is_none());
    let _ = learner.shutdown().await;
    leader.shutdown().await.unwrap();
}
