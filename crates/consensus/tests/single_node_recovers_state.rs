//! A single-node cluster orders proposals into the ledger, and after a restart (with
//! and without snapshots) the applier's state and the ledger continue exactly.
#![allow(clippy::unwrap_used)]

use sha2::{Digest, Sha256};
use strongroom_consensus::{ChainApplier, ConsensusError, ConsensusNode, NodeConfig};
use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{EntryKind, SignatureSchedule, verify_ledger};

fn key() -> SigningKey {
    default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap()
}

fn chain(payloads: &[Vec<u8>]) -> [u8; 32] {
    payloads.iter().fold([0u8; 32], |h, p| {
        let mut hasher = Sha256::new();
        hasher.update(h);
        hasher.update(p);
        hasher.finalize().into()
    })
}

fn config(dir: &std::path::Path, snapshot_every: u64) -> NodeConfig {
    NodeConfig {
        schedule: SignatureSchedule {
            max_entries: 7,
            max_interval_ms: 60_000,
        },
        snapshot_every,
        ..NodeConfig::single(dir)
    }
}

async fn run(snapshot_every: u64) {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let service = key.verifying_key();
    let mut payloads = Vec::new();

    let node = ConsensusNode::start_single(
        config(dir.path(), snapshot_every),
        key.clone(),
        ChainApplier::default(),
    )
    .await
    .unwrap();
    let mut sequences = Vec::new();
    for i in 0..40u32 {
        let payload = format!("proposal {i}").into_bytes();
        payloads.push(payload.clone());
        let applied = node.propose(payload).await.unwrap();
        assert_eq!(applied.response, chain(&payloads), "response after {i}");
        sequences.push(applied.sequence.unwrap());
    }
    // Sequence numbers strictly increase, with room for signature entries between.
    assert!(sequences.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(sequences[0], 1);
    let first = node.ledger().entry(1).unwrap().unwrap();
    assert_eq!(first.header.kind, EntryKind::Genesis);
    assert_eq!(first.payload, b"proposal 0");
    if snapshot_every < 40 {
        // openraft builds snapshots in the background; the restart must use one.
        node.raft()
            .wait(Some(std::time::Duration::from_secs(10)))
            .metrics(
                |m| m.snapshot.is_some_and(|s| s.index >= snapshot_every),
                "snapshot built",
            )
            .await
            .unwrap();
    }
    // An oversized proposal is refused before it is ordered.
    let huge = vec![0u8; strongroom_consensus::MAX_PAYLOAD_BYTES + 1];
    assert!(matches!(
        node.propose(huge).await,
        Err(ConsensusError::TooLarge { .. })
    ));
    node.shutdown().await.unwrap();

    // Restart: the state continues from the ledger (and snapshot, if one was taken).
    let node = ConsensusNode::start_single(
        config(dir.path(), snapshot_every),
        key.clone(),
        ChainApplier::default(),
    )
    .await
    .unwrap();
    let payload = b"after restart".to_vec();
    payloads.push(payload.clone());
    let applied = node.propose(payload).await.unwrap();
    assert_eq!(applied.response, chain(&payloads));
    assert!(applied.sequence.unwrap() > *sequences.last().unwrap());
    let summary = verify_ledger(node.ledger(), Some(&service)).unwrap();
    assert!(summary.signatures >= 40 / 7, "{summary:?}");
    node.shutdown().await.unwrap();

    // A different service key cannot take over the ledger.
    let err = ConsensusNode::start_single(
        config(dir.path(), snapshot_every),
        self::key(),
        ChainApplier::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConsensusError::Ledger(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_recovers_by_replaying_the_ledger() {
    run(10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_recovers_from_snapshot_and_ledger_after_it() {
    run(5).await;
}
